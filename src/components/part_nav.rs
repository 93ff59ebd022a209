//! The visit form's section navigator: each part of the form with its state
//! (not started, in progress, complete, with errors), the one on screen
//! marked; a tap opens that part.
use crate::data::pick;
use crate::i18n::{t_string, use_i18n};
use htx_core::progress::{FormPart, PartState};
use leptos::prelude::*;

/// Each part's state, in [`FormPart::ALL`] order (htx-core's `part_states`).
pub type PartStates = Memo<Vec<(FormPart, PartState)>>;

/// The state of `part` in `states`.
pub fn state_of(states: PartStates, part: FormPart) -> PartState {
    states.with(|s| {
        s.iter()
            .find(|(p, _)| *p == part)
            .map(|(_, st)| *st)
            .unwrap_or(PartState::NotStarted)
    })
}

fn mark(state: PartState) -> &'static str {
    match state {
        PartState::NotStarted => "○",
        PartState::InProgress => "◐",
        PartState::Complete => "✓",
        PartState::Errors => "!",
    }
}

#[component]
pub fn PartNav(
    current: Memo<FormPart>,
    states: PartStates,
    go: Callback<FormPart>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="part-nav" data-testid="part-nav" aria-label=move || t_string!(i18n, form_parts)>
            <ol>
                {FormPart::ALL.into_iter().map(|p| {
                    let state = move || state_of(states, p);
                    view! {
                        <li>
                            <button type="button" data-part-link=p.as_str() data-state=move || state().as_str()
                                aria-current=move || (current.get() == p).then_some("step")
                                on:click=move |_| go.run(p)>
                                <span class="part-mark" aria-hidden="true">{move || mark(state())}</span>
                                <span class="part-name">{move || pick(p.short_vi(), p.short_en()).to_string()}</span>
                                <span class="visually-hidden">{move || format!(" — {}", pick(state().label_vi(), state().label_en()))}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </nav>
    }
}
