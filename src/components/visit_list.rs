//! A list of visits stored on the device, newest first.
use crate::i18n::{t, use_i18n};
use htx_core::{Visit, VisitState};
use leptos::prelude::*;

#[component]
pub fn VisitList(visits: Signal<Vec<Visit>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Show
            when=move || visits.with(|v| !v.is_empty())
            fallback=move || view! { <p class="muted" data-testid="no-visits">{t!(i18n, no_visits)}</p> }
        >
            <ul class="visit-list" data-testid="visit-list">
                <For each=move || visits.get() key=|v| (v.id, v.revision) let:visit>
                    <li class="visit-item" data-testid="visit-item">
                        <span class=format!("state state-{}", state_class(visit.state))>
                            {match visit.state {
                                VisitState::Draft => t!(i18n, state_draft).into_any(),
                                VisitState::Final => t!(i18n, state_final).into_any(),
                            }}
                        </span>
                        <span class="visit-notes">{visit.notes.clone()}</span>
                        <time class="visit-time" datetime=visit.started_at.to_rfc3339()>
                            {visit.started_at.format("%d/%m/%Y %H:%M").to_string()}
                        </time>
                    </li>
                </For>
            </ul>
        </Show>
    }
}

fn state_class(state: VisitState) -> &'static str {
    match state {
        VisitState::Draft => "draft",
        VisitState::Final => "final",
    }
}
