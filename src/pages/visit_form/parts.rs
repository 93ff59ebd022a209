//! The views of the visit form: heading, notices, the sections and the
//! actions. State and what changes it live in the parent module.
use crate::components::field_input::{FieldErrors, FieldInput};
use crate::components::geo::GeoButton;
use crate::components::photos::PhotoSection;
use crate::components::score_sheet::ScoreSheetSection;
use crate::data::pick;
use crate::i18n::{t, use_i18n};
use htx_core::device::VisitSummary;
use htx_core::form::SECTIONS;
use htx_core::format::format_datetime_vn;
use htx_core::problem::ValidationError;
use htx_core::validation::field_label;
use htx_core::{Organisation, Rubric, Visit};
use leptos::prelude::*;

/// The organisation, when the visit started, its state and revision.
#[component]
pub fn VisitHeading(
    org_name: String,
    visit: RwSignal<Visit>,
    summary: RwSignal<VisitSummary>,
) -> impl IntoView {
    let i18n = use_i18n();
    let started = format_datetime_vn(visit.with_untracked(|v| v.started_at));
    view! {
        <h1 data-testid="visit-org-name">{org_name}</h1>
        <p class="muted">
            {t!(i18n, started_at)} " " {started} " · "
            <span data-testid="visit-status" data-status=move || summary.with(|s| s.status.as_str())>
                {move || summary.with(|s| pick(s.status.label_vi(), s.status.label_en()).to_string())}
            </span>
            " · " {t!(i18n, revision)} " " <span data-testid="visit-revision">{move || visit.with(|v| v.revision)}</span>
        </p>
    }
}

/// What the officer must know: the reviewer's comment, the server's
/// reasons, the form's errors, "finalized", a failed save.
#[component]
pub fn VisitNotices(
    summary: RwSignal<VisitSummary>,
    problems: RwSignal<Vec<ValidationError>>,
    just_finalized: ReadSignal<bool>,
    save_error: ReadSignal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
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
    }
}

/// The form's sections, the score sheet, photos, notes and GPS.
#[component]
pub fn VisitSections(
    visit: RwSignal<Visit>,
    errors: RwSignal<FieldErrors>,
    readonly: Signal<bool>,
    on_change: Callback<()>,
    /// Changes when the revision or state does (an edit): the fields are
    /// rendered again then, never while the officer types.
    form_key: Memo<(u32, htx_core::VisitState)>,
    organisation: StoredValue<Option<Organisation>>,
    rubric: StoredValue<Option<Rubric>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let notes_initial = visit.with_untracked(|v| v.notes.clone());
    view! {
        {move || {
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
                    {match rubric.get_value() {
                        Some(r) => view! { <ScoreSheetSection rubric=r organisation=organisation.get_value() visit errors readonly on_change /> }.into_any(),
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
    }
}

/// "Hoàn tất" on a draft, "Sửa" on a final visit.
#[component]
pub fn VisitActions(
    readonly: Signal<bool>,
    on_finalize: Callback<()>,
    on_edit: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="form-actions">
            {move || if readonly.get() {
                view! { <button class="primary" data-testid="edit-visit" on:click=move |_| on_edit.run(())>{t!(i18n, edit_visit)}</button> }.into_any()
            } else {
                view! { <button class="primary" data-testid="finalize" on:click=move |_| on_finalize.run(())>{t!(i18n, finalize)}</button> }.into_any()
            }}
            <p class="muted autosave" data-testid="autosave-note">{t!(i18n, autosave_note)}</p>
        </div>
    }
}
