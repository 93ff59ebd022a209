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
use htx_core::progress::FormPart;
use htx_core::validation::labelled_message;
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

/// The id of the list of what "Hoàn tất" found.
pub const FINALIZE_ERRORS: &str = "finalize-errors";

/// What the officer must know: the reviewer's comment, the server's
/// reasons, the form's errors, "finalized", a failed save.
#[component]
pub fn VisitNotices(
    summary: RwSignal<VisitSummary>,
    problems: RwSignal<Vec<ValidationError>>,
    just_finalized: ReadSignal<bool>,
    save_error: ReadSignal<Option<String>>,
    /// Opens the part of the field at a path and puts the cursor in it.
    go_to_field: Callback<String>,
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
            <div class="card error-summary" role="alert" data-testid="finalize-errors" id=FINALIZE_ERRORS tabindex="-1">
                <strong>{t!(i18n, finalize_failed, n = problems.with(Vec::len))}</strong>
                <ul>
                    {move || problems.get().into_iter().map(|e| {
                        let (lvi, len) = labelled_message(&e);
                        let path = e.path.clone();
                        view! {
                            <li data-error-path=e.path.clone()>
                                <a href=format!("#{}", htx_core::progress::input_id(&e.path)) data-error-link=e.path.clone() on:click=move |ev| { ev.prevent_default(); go_to_field.run(path.clone()); }>
                                    {move || pick(&lvi, &len).to_string()}
                                </a>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        })}
        {move || just_finalized.get().then(|| view! { <p class="card ok" role="status" data-testid="finalized">{t!(i18n, finalized)}</p> })}
        {move || save_error.get().map(|e| view! { <p class="error" role="alert" data-testid="save-error">{t!(i18n, storage_error, error = e)}</p> })}
    }
}

/// The form's parts: its sections, the score sheet, photos, notes and GPS.
/// All are rendered (what the officer typed stays in its input); only the
/// current one is shown, with "next part" at its end.
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
    current: Memo<FormPart>,
    go: Callback<FormPart>,
) -> impl IntoView {
    let i18n = use_i18n();
    let notes_initial = visit.with_untracked(|v| v.notes.clone());
    let hidden = move |p: FormPart| move || current.get() != p;
    let title = move |p: FormPart| view! { <h2>{move || pick(p.label_vi(), p.label_en()).to_string()}</h2> };
    let next = move |p: FormPart| {
        p.next().map(|n| view! {
            <button type="button" class="button next-part" data-testid="next-part" on:click=move |_| go.run(n)>
                {t!(i18n, next_part)} ": " {move || pick(n.label_vi(), n.label_en()).to_string()} " ›"
            </button>
        })
    };
    view! {
        {move || {
            form_key.track();
            view! {
                {SECTIONS.iter().map(|s| {
                    let p = FormPart::from_code(s.id).unwrap_or(FormPart::Facts);
                    view! {
                        <section class="form-part" data-part=s.id hidden=hidden(p)>
                            {title(p)}
                            {s.fields.iter().map(|f| view! { <FieldInput field=f visit errors readonly on_change /> }).collect_view()}
                            {next(p)}
                        </section>
                    }
                }).collect_view()}
                <section class="form-part" data-part="score" hidden=hidden(FormPart::Score)>
                    {title(FormPart::Score)}
                    {match rubric.get_value() {
                        Some(r) => view! { <ScoreSheetSection rubric=r organisation=organisation.get_value() visit errors readonly on_change /> }.into_any(),
                        None => view! { <p class="muted">{t!(i18n, no_rubric)}</p> }.into_any(),
                    }}
                    {next(FormPart::Score)}
                </section>
            }
        }}
        <section class="form-part" data-part="photos" hidden=hidden(FormPart::Photos)>
            <h2>{t!(i18n, photos)} " (" {move || visit.with(|v| v.photos.len())} ")"</h2>
            <PhotoSection visit readonly on_change />
            {next(FormPart::Photos)}
        </section>
        <section class="form-part" data-part="notes" hidden=hidden(FormPart::Notes)>
            {title(FormPart::Notes)}
            <label for="visit-notes">{t!(i18n, notes)}</label>
            <textarea id="visit-notes" data-testid="visit-notes" rows="4" disabled=readonly prop:value=notes_initial
                on:input=move |ev| { let text = event_target_value(&ev); visit.update(|v| v.notes = text); on_change.run(()); }></textarea>
            <GeoButton visit readonly on_change />
        </section>
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
