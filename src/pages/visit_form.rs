//! The visit form: sections from `htx_core::form`, the score sheet, notes and
//! GPS. Every change is saved to the device at once (autosave); "Hoàn tất"
//! validates with htx-core and shows each error next to its field.
use crate::components::field_input::{FieldErrors, FieldInput};
use crate::components::geo::GeoButton;
use crate::components::photos::PhotoSection;
use crate::components::score_sheet::ScoreSheetSection;
use crate::data::{pick, ref_data};
use crate::i18n::{t, use_i18n};
use crate::storage::{DeviceStore, StorageError};
use htx_core::device::{LocalStatus, VisitSummary};
use htx_core::form::SECTIONS;
use htx_core::format::format_datetime_vn;
use htx_core::outbox::{edit_mode, EditMode};
use htx_core::problem::ValidationError;
use htx_core::time::to_vn;
use htx_core::validation::{field_label, validate_visit, ValidationContext};
use htx_core::{Organisation, Rubric, RubricRegistry, Visit, VisitState};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

/// What the page needs, loaded once.
#[derive(Clone)]
struct Loaded {
    visit: Visit,
    summary: VisitSummary,
    organisation: Option<Organisation>,
    rubric: Option<Rubric>,
}

async fn load(id: Uuid) -> Result<Option<Loaded>, StorageError> {
    let store = DeviceStore::shared().await?;
    let Some(visit) = store.get_visit(id).await? else {
        return Ok(None);
    };
    let d = ref_data().await?;
    let organisation = d
        .organisation(visit.organisation_id)
        .cloned()
        .or_else(|| visit.new_organisation.clone());
    let rubric = organisation
        .as_ref()
        .and_then(|o| d.rubric_for(o, visit.local_date()))
        .cloned();
    let summary = match store.get_summary(id).await? {
        Some(s) => s,
        None => VisitSummary::of(
            &visit,
            organisation.as_ref(),
            rubric.as_ref(),
            js_sys::Date::now() as i64,
        ),
    };
    Ok(Some(Loaded {
        visit,
        summary,
        organisation,
        rubric,
    }))
}

#[component]
pub fn VisitPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok()));
    let loaded = LocalResource::new(move || {
        let id = id();
        async move {
            match id {
                Some(id) => load(id).await,
                None => Ok(None),
            }
        }
    });
    view! {
        <main class="page visit-page" data-testid="visit-page">
            {move || match loaded.get() {
                None => view! { <p class="muted">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(e)) => { let error = e.to_string(); view! { <p class="error" role="alert">{t!(i18n, storage_error, error)}</p> }.into_any() }
                Some(Ok(None)) => view! { <p class="error" data-testid="visit-not-found">{t!(i18n, visit_not_found)}</p> }.into_any(),
                // Another account's visit on a shared phone: not shown, not editable.
                Some(Ok(Some(l))) if !l.summary.account.is_empty() && l.summary.account != crate::session::current_account() => {
                    view! { <p class="error" data-testid="visit-other-account">{t!(i18n, visit_of_other_account)}</p> }.into_any()
                }
                Some(Ok(Some(l))) => view! { <VisitForm loaded=l /> }.into_any(),
            }}
        </main>
    }
}

#[component]
fn VisitForm(loaded: Loaded) -> impl IntoView {
    let i18n = use_i18n();
    let Loaded {
        visit,
        summary,
        organisation,
        rubric,
    } = loaded;
    let visit = RwSignal::new(visit);
    let summary = RwSignal::new(summary);
    let errors = RwSignal::new(FieldErrors::new());
    let problems = RwSignal::new(Vec::<ValidationError>::new());
    let (save_error, set_save_error) = signal(None::<String>);
    let (just_finalized, set_just_finalized) = signal(false);
    let readonly = Signal::derive(move || visit.with(|v| v.state == VisitState::Final));
    let form_key = Memo::new(move |_| visit.with(|v| (v.revision, v.state)));
    let sync = crate::sync::use_sync();
    let org = StoredValue::new(organisation.clone());
    let rub = StoredValue::new(rubric.clone());

    // Autosave: the whole visit and its summary, one transaction per change.
    let persist = move |v: Visit, status: Option<LocalStatus>| {
        let mut s = org.with_value(|o| {
            rub.with_value(|r| {
                VisitSummary::of(&v, o.as_ref(), r.as_ref(), js_sys::Date::now() as i64)
            })
        });
        if let Some(st) = status {
            s.status = st;
        }
        summary.with_untracked(|p| {
            s.review_comment = p.review_comment.clone();
            // Whose it is on this device never changes with an edit.
            s.account = p.account.clone();
        });
        summary.set(s.clone());
        leptos::task::spawn_local(async move {
            crate::timing::timing_start("htx-autosave");
            let result = async { DeviceStore::shared().await?.save_visit(&v, &s).await }.await;
            crate::timing::timing_end("htx-autosave");
            set_save_error.set(result.err().map(|e| e.to_string()));
        });
    };
    let on_change = Callback::new(move |()| {
        set_just_finalized.set(false);
        persist(visit.get_untracked(), None);
    });

    let finalize = move |_| {
        let now = to_vn(&chrono::Utc::now());
        let mut v = visit.get_untracked();
        v.state = VisitState::Final;
        v.finished_at = Some(now);
        let errs = org.with_value(|o| {
            rub.with_value(|r| {
                let mut registry = RubricRegistry::new();
                if let Some(r) = r {
                    let _ = registry.add(r.clone());
                }
                let mut ctx = ValidationContext::new(now).with_rubrics(&registry);
                if let Some(o) = o {
                    ctx = ctx.with_organisation(o);
                }
                validate_visit(&v, &ctx)
            })
        });
        if errs.is_empty() {
            problems.set(Vec::new());
            errors.set(FieldErrors::new());
            visit.set(v.clone());
            persist(v, Some(LocalStatus::Waiting));
            set_just_finalized.set(true);
            crate::sync::request(sync);
        } else {
            errors.set(
                errs.iter()
                    .map(|e| (e.path.clone(), (e.message_vi.clone(), e.message_en.clone())))
                    .collect(),
            );
            problems.set(errs);
            focus_first_error();
        }
    };

    // Editing a final visit: the same revision while the server cannot have
    // it (never sent); a new revision (linked to the old one) once it may.
    let edit = move |_| {
        let status = summary.with_untracked(|s| s.status);
        let v = visit.get_untracked();
        leptos::task::spawn_local(async move {
            // The stored state, not the one on screen: a sync may have
            // confirmed this revision since the page opened.
            let found = async {
                let store = DeviceStore::shared().await?;
                let sent = store.take_back(v.id, v.revision).await?;
                let stored = store.get_summary(v.id).await?.map(|s| s.status);
                Ok::<_, StorageError>((sent, stored))
            }
            .await;
            let (sent, status) = match found {
                Ok((sent, stored)) => (sent, stored.unwrap_or(status)),
                Err(e) => {
                    set_save_error.set(Some(e.to_string()));
                    return;
                }
            };
            let mut v = v;
            if edit_mode(status, sent) == EditMode::NextRevision {
                v = v.next_revision();
            }
            v.state = VisitState::Draft;
            v.finished_at = None;
            visit.set(v.clone());
            set_just_finalized.set(false);
            persist(v, Some(LocalStatus::Draft));
        });
    };

    let org_name = organisation
        .as_ref()
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let started = format_datetime_vn(visit.with_untracked(|v| v.started_at));
    let notes_initial = visit.with_untracked(|v| v.notes.clone());
    view! {
        <h1 data-testid="visit-org-name">{org_name}</h1>
        <p class="muted">
            {t!(i18n, started_at)} " " {started} " · "
            <span data-testid="visit-status" data-status=move || summary.with(|s| s.status.as_str())>
                {move || summary.with(|s| pick(s.status.label_vi(), s.status.label_en()).to_string())}
            </span>
            " · " {t!(i18n, revision)} " " <span data-testid="visit-revision">{move || visit.with(|v| v.revision)}</span>
        </p>
        {move || summary.with(|s| s.review_comment.clone()).map(|c| view! {
            <p class="card warn" data-testid="visit-review-comment">{t!(i18n, reviewer_said)} " " {c}</p>
        })}
        {move || summary.with(|s| s.problems.clone()).into_iter().next().map(|_| view! {
            <p class="card error" data-testid="visit-server-problems">
                {move || summary.with(|s| s.problems.iter().map(|p| pick(&p.message_vi, &p.message_en).to_string()).collect::<Vec<_>>().join("; "))}
            </p>
        })}
        {move || (!problems.with(Vec::is_empty)).then(|| view! {
            <div class="card error-summary" role="alert" data-testid="finalize-errors">
                <strong>{t!(i18n, finalize_failed, n = problems.with(Vec::len))}</strong>
                <ul>
                    {move || problems.get().into_iter().map(|e| {
                        let (lvi, len) = field_label(&e.path);
                        view! { <li data-error-path=e.path.clone()>{move || format!("{}: {}", pick(lvi, len), pick(&e.message_vi, &e.message_en))}</li> }
                    }).collect_view()}
                </ul>
            </div>
        })}
        {move || just_finalized.get().then(|| view! { <p class="card ok" role="status" data-testid="finalized">{t!(i18n, finalized)}</p> })}
        {move || save_error.get().map(|e| view! { <p class="error" role="alert" data-testid="save-error">{t!(i18n, storage_error, error = e)}</p> })}
        {move || {
            // Re-render the fields only when the revision or state changes
            // (edit), never while the officer types.
            form_key.track();
            view! {
                {SECTIONS.iter().map(|s| view! {
                    <details class="section" open=true>
                        <summary>{move || pick(s.title_vi, s.title_en).to_string()}</summary>
                        {s.fields.iter().map(|f| view! { <FieldInput field=f visit errors readonly on_change /> }).collect_view()}
                    </details>
                }).collect_view()}
                <details class="section" open=true>
                    <summary>{t!(i18n, score_sheet)}</summary>
                    {match rub.get_value() {
                        Some(r) => view! { <ScoreSheetSection rubric=r organisation=org.get_value() visit errors readonly on_change /> }.into_any(),
                        None => view! { <p class="muted">{t!(i18n, no_rubric)}</p> }.into_any(),
                    }}
                </details>
            }
        }}
        <details class="section" open=true>
            <summary>{t!(i18n, photos)} " (" {move || visit.with(|v| v.photos.len())} ")"</summary>
            <PhotoSection visit readonly on_change />
        </details>
        <details class="section" open=true>
            <summary>{t!(i18n, notes_and_gps)}</summary>
            <label for="visit-notes">{t!(i18n, notes)}</label>
            <textarea id="visit-notes" data-testid="visit-notes" rows="4" disabled=readonly prop:value=notes_initial
                on:input=move |ev| { let text = event_target_value(&ev); visit.update(|v| v.notes = text); on_change.run(()); }></textarea>
            <GeoButton visit readonly on_change />
        </details>
        <div class="form-actions">
            {move || if readonly.get() {
                view! { <button class="primary" data-testid="edit-visit" on:click=edit>{t!(i18n, edit_visit)}</button> }.into_any()
            } else {
                view! { <button class="primary" data-testid="finalize" on:click=finalize>{t!(i18n, finalize)}</button> }.into_any()
            }}
            <p class="muted autosave" data-testid="autosave-note">{t!(i18n, autosave_note)}</p>
        </div>
    }
}

/// Brings the first field with an error into view, so the officer sees why.
fn focus_first_error() {
    leptos::task::spawn_local(async {
        // After the errors are rendered.
        let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(
            &wasm_bindgen::JsValue::NULL,
        ))
        .await;
        if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| {
            d.query_selector(".has-error input, .has-error select")
                .ok()
                .flatten()
        }) {
            el.scroll_into_view();
        }
    });
}
