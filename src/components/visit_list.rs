//! A list of visit summaries, newest first, each a link to its form.
use crate::data::pick;
use crate::i18n::{t, t_string, use_i18n};
use htx_core::device::VisitSummary;
use htx_core::format::format_datetime_vn;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn VisitList(visits: Signal<Vec<VisitSummary>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Show
            when=move || visits.with(|v| !v.is_empty())
            fallback=move || view! { <p class="muted" data-testid="no-visits">{t!(i18n, no_visits)}</p> }
        >
            <ul class="visit-list" data-testid="visit-list">
                <For each=move || visits.get() key=|v| (v.id, v.revision, v.updated_ms) let:s>
                    <VisitItem s />
                </For>
            </ul>
        </Show>
    }
}

#[component]
fn VisitItem(s: VisitSummary) -> impl IntoView {
    let i18n = use_i18n();
    let sync = crate::sync::use_sync();
    let id = s.id;
    let sending = move || sync.in_flight.with(|f| f.contains(&id));
    let status = s.status;
    let name = if s.organisation_name.is_empty() {
        "—".to_string()
    } else {
        s.organisation_name.clone()
    };
    let grade = s.grade;
    let comment = s.review_comment.clone();
    let problems = s.problems.clone();
    view! {
        <li class="visit-item" data-testid="visit-item" data-status=status.as_str() data-sending=move || sending().to_string()>
            <A href=format!("/visits/{}", s.id)>
                <span class=format!("state state-{}", status.as_str()) data-testid="visit-status">
                    {move || if sending() { t_string!(i18n, state_sending).to_string() } else { pick(status.label_vi(), status.label_en()).to_string() }}
                </span>
                <span class="visit-org">{name}</span>
                {(!s.notes_excerpt.is_empty()).then(|| view! { <span class="visit-notes">{s.notes_excerpt.clone()}</span> })}
                <span class="visit-meta">
                    <time datetime=s.started_at.to_rfc3339()>{format_datetime_vn(s.started_at)}</time>
                    {grade.map(|g| view! { <span class="grade" data-testid="visit-grade">{move || pick(g.label_vi(), g.label_en()).to_string()}</span> })}
                </span>
                {comment.map(|c| view! { <span class="review-comment" data-testid="review-comment">{c}</span> })}
                {(!problems.is_empty()).then(|| view! {
                    <span class="error">{move || problems.iter().map(|p| pick(&p.message_vi, &p.message_en).to_string()).collect::<Vec<_>>().join("; ")}</span>
                })}
            </A>
        </li>
    }
}
