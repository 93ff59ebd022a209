//! The visit form: sections from `htx_core::form`, the score sheet, notes and
//! GPS. Every change is saved to the device at once (autosave); "Hoàn tất"
//! validates with htx-core and shows each error next to its field.
//!
//! This module holds the page, the visit's state and what changes it
//! (autosave, finalize, edit); [`parts`] the views of it.
mod parts;

use crate::components::field_input::FieldErrors;
use crate::components::part_nav::PartNav;
use crate::components::score_sheet::RunningScore;
use crate::data::ref_data;
use crate::i18n::{t, use_i18n};
use crate::storage::{DeviceStore, StorageError};
use htx_core::device::{LocalStatus, VisitSummary};
use htx_core::outbox::{edit_mode, EditMode};
use htx_core::problem::ValidationError;
use htx_core::progress::{input_id, part_states, FormContext, FormPart};
use htx_core::time::to_vn;
use htx_core::{Organisation, Rubric, Visit, VisitState};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::NavigateOptions;
use parts::{VisitActions, VisitHeading, VisitNotices, VisitSections};
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

    // The part on screen lives in the URL (`?part=score`), so a reload or
    // the back button returns to it.
    let query = use_query_map();
    let current = Memo::new(move |_| {
        query
            .with(|q| q.get("part").and_then(|c| FormPart::from_code(&c)))
            .unwrap_or(FormPart::Facts)
    });
    let visit_id = visit.with_untracked(|v| v.id);
    let navigate = StoredValue::new_local(use_navigate());
    let open_part = move |p: FormPart| {
        let options = NavigateOptions {
            replace: true,
            scroll: false,
            ..Default::default()
        };
        navigate.with_value(|n| n(&format!("/visits/{visit_id}?part={}", p.as_str()), options));
    };
    let go = Callback::new(move |p: FormPart| {
        open_part(p);
        if let Some(w) = web_sys::window() {
            w.scroll_to_with_x_and_y(0.0, 0.0);
        }
    });
    let go_to_field = Callback::new(move |path: String| {
        if let Some(p) = FormPart::of_path(&path) {
            open_part(p);
        }
        focus_element(input_id(&path));
    });
    let states = Memo::new(move |_| {
        let now = to_vn(&chrono::Utc::now());
        visit.with(|v| {
            errors.with(|e| {
                org.with_value(|o| {
                    rub.with_value(|r| {
                        let cx = FormContext {
                            organisation: o.as_ref(),
                            rubric: r.as_ref(),
                            now,
                        };
                        part_states(v, &cx, e.keys().map(String::as_str))
                    })
                })
            })
        })
    });

    let finalize = move |()| {
        let now = to_vn(&chrono::Utc::now());
        let mut v = visit.get_untracked();
        v.state = VisitState::Final;
        v.finished_at = Some(now);
        let errs =
            org.with_value(|o| rub.with_value(|r| check_final(&v, o.as_ref(), r.as_ref(), now)));
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
            let first = errs
                .iter()
                .find(|e| FormPart::of_path(&e.path).is_some())
                .map(|e| e.path.clone());
            problems.set(errs);
            match first {
                Some(path) => go_to_field.run(path),
                // Nothing to fix in a part (e.g. the start time is in the
                // future: the phone's clock): the list itself, at the top of
                // a form the officer has scrolled to its end.
                None => focus_element(parts::FINALIZE_ERRORS.to_string()),
            }
        }
    };

    // Editing a final visit: the same revision while the server cannot have
    // it (never sent); a new revision (linked to the old one) once it may.
    let edit = move |()| {
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
            crate::sync::recount(sync);
        });
    };

    let org_name = organisation
        .as_ref()
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let on_finalize = Callback::new(finalize);
    let on_edit = Callback::new(edit);
    view! {
        <VisitHeading org_name visit summary />
        <PartNav current states go />
        <VisitNotices summary problems just_finalized save_error go_to_field />
        <VisitSections visit errors readonly on_change form_key organisation=org rubric=rub current go />
        {rubric.map(|rubric| view! { <RunningScore rubric visit /> })}
        <VisitActions readonly on_finalize on_edit />
    }
}

/// The checks of "Hoàn tất": htx-core's validation of a final visit
/// against its organisation and rubric.
fn check_final(
    v: &Visit,
    organisation: Option<&Organisation>,
    rubric: Option<&Rubric>,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Vec<ValidationError> {
    FormContext {
        organisation,
        rubric,
        now,
    }
    .validate(v)
}

/// Scrolls to the element `id` and focuses it (the cursor in an input)
/// once the part holding it is shown, so the officer sees and fixes what
/// is wrong.
fn focus_element(id: String) {
    leptos::task::spawn_local(async move {
        // After the part is shown and the errors are rendered.
        let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(
            &wasm_bindgen::JsValue::NULL,
        ))
        .await;
        let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&id))
        else {
            return;
        };
        el.scroll_into_view();
        if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el) {
            let _ = el.focus();
        }
    });
}
