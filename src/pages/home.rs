//! Home: what is stored on this device, and a quick draft to prove it.
use crate::components::visit_list::VisitList;
use crate::i18n::{t, t_string, use_i18n};
use crate::storage::{load_summary, save_visit};
use htx_core::{time::to_vn, Visit};
use leptos::html;
use leptos::prelude::*;
use uuid::Uuid;

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let reload = RwSignal::new(0u32);
    let summary = LocalResource::new(move || {
        reload.track();
        load_summary()
    });
    let visits = Signal::derive(move || {
        summary.get().and_then(|r| r.ok()).map(|s| s.visits).unwrap_or_default()
    });

    view! {
        {move || match summary.get() {
            None => view! { <main class="page" data-testid="loading"><p class="muted">{t!(i18n, loading)}</p></main> }.into_any(),
            Some(Err(e)) => {
                let error = e.to_string();
                view! {
                    <main class="page" data-testid="storage-error">
                        <p class="error" role="alert">{t!(i18n, storage_error, error)}</p>
                    </main>
                }.into_any()
            }
            Some(Ok(s)) => view! {
                <main class="page" data-testid="home">
                    <h1>{t!(i18n, home_heading)}</h1>
                    <p class="muted">{t!(i18n, home_intro)}</p>
                    <dl class="facts">
                        <div>
                            <dt>{t!(i18n, stored_visits)}</dt>
                            <dd data-testid="stored-visits-count">{s.visits.len()}</dd>
                        </div>
                        <div>
                            <dt>{t!(i18n, db_version)}</dt>
                            <dd data-testid="db-version">{s.schema_version}</dd>
                        </div>
                    </dl>
                    <QuickDraft on_saved=move || reload.update(|n| *n += 1) />
                    <VisitList visits />
                </main>
            }.into_any(),
        }}
    }
}

/// A one-field draft: the smallest real record, until the visit form exists.
#[component]
fn QuickDraft(on_saved: impl Fn() + Copy + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let notes_ref = NodeRef::<html::Input>::new();
    let (message, set_message) = signal(None::<Result<(), String>>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(input) = notes_ref.get() else { return };
        let notes = input.value().trim().to_string();
        if notes.is_empty() {
            set_message.set(Some(Err(String::new())));
            return;
        }
        let mut visit = Visit::new_draft(Uuid::now_v7(), Uuid::nil(), "", to_vn(&chrono::Utc::now()));
        visit.notes = notes;
        leptos::task::spawn_local(async move {
            match save_visit(&visit).await {
                Ok(()) => {
                    input.set_value("");
                    set_message.set(Some(Ok(())));
                    on_saved();
                }
                Err(e) => set_message.set(Some(Err(e.to_string()))),
            }
        });
    };
    view! {
        <form class="card" on:submit=submit>
            <h2>{t!(i18n, draft_heading)}</h2>
            <label for="draft-notes">{t!(i18n, draft_notes_label)}</label>
            <input
                id="draft-notes"
                data-testid="draft-notes"
                node_ref=notes_ref
                autocomplete="off"
                placeholder=move || t_string!(i18n, draft_notes_placeholder).to_string()
            />
            <button type="submit" class="primary" data-testid="save-draft">{t!(i18n, save_draft)}</button>
            {move || message.get().map(|m| match m {
                Ok(()) => view! { <p class="ok" role="status" data-testid="save-result">{t!(i18n, saved)}</p> }.into_any(),
                Err(e) if e.is_empty() => view! { <p class="error" role="alert" data-testid="save-result">{t!(i18n, empty_notes)}</p> }.into_any(),
                Err(error) => view! { <p class="error" role="alert" data-testid="save-result">{t!(i18n, storage_error, error)}</p> }.into_any(),
            })}
        </form>
    }
}
