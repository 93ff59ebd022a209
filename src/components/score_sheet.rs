//! The score sheet (phiếu chấm điểm) of the rubric in force, with the
//! running total and grade the officer sees while scoring.
use super::field_input::{FieldErrors, FieldInput, WriteField};
use crate::data::pick;
use crate::i18n::{t, t_string, use_i18n};
use htx_core::device::running_score;
use htx_core::form;
use htx_core::format::format_date_vn;
use htx_core::{Organisation, Rubric, Visit};
use leptos::prelude::*;

#[component]
pub fn ScoreSheetSection(
    rubric: Rubric,
    /// The visited organisation: its registry facts go into the sheet.
    organisation: Option<Organisation>,
    visit: RwSignal<Visit>,
    errors: RwSignal<FieldErrors>,
    readonly: Signal<bool>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let rubric = StoredValue::new(rubric);
    let organisation = StoredValue::new(organisation);
    // Every change of the sheet also refreshes the facts from the registry.
    let with_registry_facts = move |v: &mut Visit| {
        organisation.with_value(|o| {
            if let Some(o) = o {
                form::copy_organisation_facts(v, o);
            }
        })
    };
    let groups = rubric.with_value(|r| r.groups.clone());
    let items = groups.into_iter().map(|g| {
        let criteria = g.criteria.into_iter().map(|c| {
            let title = (c.title_vi.clone(), c.title_en.clone());
            let lines = c.scored_items().into_iter().map(|(code, max)| {
                let code = code.to_string();
                let sub_title = c.sub_items.iter().find(|s| s.code == code).map(|s| (s.title_vi.clone(), s.title_en.clone()));
                let path = format!("score_sheet.points.{code}");
                let initial = form::read_points(&visit.get_untracked(), &code);
                let code2 = code.clone();
                let path2 = path.clone();
                let path3 = path.clone();
                let input = move |ev| {
                    let text = event_target_value(&ev);
                    let mut v = visit.get_untracked();
                    let r = rubric.with_value(|r| form::write_points(&mut v, r, &code2, max, &text));
                    match r {
                        Ok(()) => {
                            with_registry_facts(&mut v);
                            visit.set(v);
                            errors.update(|e| { e.remove(&path2); });
                            on_change.run(());
                        }
                        Err(e) => errors.update(|m| { m.insert(path2.clone(), (e.message_vi, e.message_en)); }),
                    }
                };
                view! {
                    <div class="score-line" class:has-error={let p = path.clone(); move || errors.with(|e| e.contains_key(&p))}>
                        <label for=format!("s-{code}")>
                            <span class="code">{code.clone()}</span>
                            {sub_title.map(|(vi, en)| view! { <span>{move || pick(&vi, &en).to_string()}</span> })}
                        </label>
                        <div class="control">
                            <input id=format!("s-{code}") data-score=code.clone() type="text" inputmode="decimal"
                                autocomplete="off" disabled=readonly prop:value=initial on:input=input />
                            <span class="unit">"/ " {max.to_string()}</span>
                        </div>
                        {move || errors.with(|e| e.get(&path3).map(|(vi, en)| {
                            let msg = pick(vi, en).to_string();
                            view! { <p class="field-error" role="alert" data-error-for=path3.clone()>{msg}</p> }
                        }))}
                    </div>
                }
            }).collect_view();
            view! {
                <fieldset class="criterion">
                    <legend>{c.code.clone()} " · " {move || pick(&title.0, &title.1).to_string()} " (" {c.max_points.to_string()} ")"</legend>
                    {lines}
                </fieldset>
            }
        }).collect_view();
        let gt = (g.title_vi.clone(), g.title_en.clone());
        view! {
            <h3>{g.code.clone()} ". " {move || pick(&gt.0, &gt.1).to_string()}</h3>
            {g.provisional.then(|| view! { <p class="warn">{t!(i18n, provisional_points)}</p> })}
            {criteria}
        }
    }).collect_view();
    // The rating facts are form fields whose writes start the sheet and
    // refresh the registry facts.
    let facts = form::RATING_FACTS
        .iter()
        .map(|field| {
            let path = field.path;
            let write: WriteField = Callback::new(move |(mut v, text): (Visit, String)| {
                rubric.with_value(|r| form::write_fact(&mut v, r, path, &text))?;
                with_registry_facts(&mut v);
                Ok(v)
            });
            let initial = form::read_fact(&visit.get_untracked(), path);
            view! { <FieldInput field initial write visit errors readonly on_change /> }
        })
        .collect_view();
    let registry_facts = organisation.with_value(|o| o.as_ref().map(|o| {
        let founded = o.founded_on.map(format_date_vn).unwrap_or_else(|| "—".into());
        let agricultural = o.is_agricultural();
        view! {
            <p class="muted" data-testid="registry-facts">
                {t!(i18n, founded_on_registry)} " " {founded} " · " {t!(i18n, agricultural_sector)} " "
                {move || if agricultural { t_string!(i18n, yes) } else { t_string!(i18n, no) }}
            </p>
        }
    }));
    view! {
        <fieldset class="criterion rating-facts">
            <legend>{t!(i18n, rating_facts)}</legend>
            {registry_facts}
            {facts}
        </fieldset>
        <div class="score-sheet">{items}</div>
    }
}

/// The running total and grade, in view on every part of the form (the
/// score sheet's facts and items change it).
#[component]
pub fn RunningScore(rubric: Rubric, visit: RwSignal<Visit>) -> impl IntoView {
    let i18n = use_i18n();
    let rubric = StoredValue::new(rubric);
    let running = Memo::new(move |_| visit.with(|v| rubric.with_value(|r| running_score(v, r))));
    view! {
        <div class="running-score" data-testid="running-score" aria-live="polite">
            {move || match running.get() {
                None => view! { <span>{t!(i18n, score_not_started)}</span> }.into_any(),
                Some(s) => {
                    let grade = s.grade;
                    let note = (s.note_vi.clone(), s.note_en.clone());
                    view! {
                        <span>{t!(i18n, score_total)} " "
                            <strong data-testid="running-total">{s.total.to_string()}</strong> " / " {s.max_points.to_string()}</span>
                        <span>{t!(i18n, grade)} " "
                            <strong data-testid="running-grade" data-grade=grade.map(|g| g.as_str()).unwrap_or_default()>
                                {move || grade.map(|g| pick(g.label_vi(), g.label_en()).to_string()).unwrap_or_else(|| "—".into())}
                            </strong>
                        </span>
                        {(s.missing > 0).then(|| view! { <span class="muted">{t!(i18n, score_missing, n = s.missing)}</span> })}
                        {note.0.map(|vi| { let en = note.1.clone().unwrap_or_default(); view! { <span class="warn">{move || pick(&vi, &en).to_string()}</span> } })}
                    }.into_any()
                }
            }}
        </div>
    }
}
