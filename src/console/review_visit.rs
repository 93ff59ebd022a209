//! One visit in the review console: every field, the score sheet, the GPS
//! point, the revision history with what changed, conflicting pushes beside
//! the stored revision, reviews and the audit log; approve or return.
use crate::api;
use crate::components::loaded::loaded;
use crate::console::review_list::describe;
use crate::console::visit_photos::VisitPhotos;
use crate::data::pick;
use crate::i18n::{t, t_string, use_i18n};
use htx_core::console::{labels, ConflictInfo, StoredRevision, VisitHistory};
use htx_core::diff::FieldChange;
use htx_core::format::format_datetime_vn;
use htx_core::review::ReviewDecision;
use htx_core::validation::field_label;
use htx_core::Visit;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

#[component]
pub fn ReviewVisitPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let history = LocalResource::new(move || {
        let id = id();
        async move { api::get_signed_in::<VisitHistory>(&format!("/api/v1/visits/{id}")).await }
    });
    view! {
        <main class="page wide" data-testid="review-visit">
            <p><A href="/review">{t!(i18n, back_to_review)}</A></p>
            {move || loaded(history.get(), |h| view! { <Detail h on_review=move || history.refetch() /> })}
        </main>
    }
}

#[component]
fn Detail(h: VisitHistory, on_review: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let latest = h.latest.clone();
    let v = latest.visit.clone();
    let org = h.organisation.clone();
    let title = org
        .as_ref()
        .map(|o| o.name.clone())
        .unwrap_or_else(|| v.organisation_id.to_string());
    let state = h
        .latest_review()
        .map(|r| r.decision.clone())
        .unwrap_or_else(|| "pending".into());
    let (state_vi, state_en) = labels::review_state(&state).unwrap_or(("", ""));
    let grade = latest.grade.as_deref().and_then(labels::grade);
    let score = latest
        .score_centi
        .map(|c| format!("{:.2}", c as f64 / 100.0).replace('.', ","));
    view! {
        <h1 data-testid="review-title">{title}</h1>
        <dl class="kv">
            {org.map(|o| {
                let kind = labels::kind(&o.kind).unwrap_or(("", ""));
                let sector = labels::sector(&o.sector);
                view! {
                    <div><dt>{t!(i18n, registration_code)}</dt><dd>{o.registration_code.unwrap_or_default()}</dd></div>
                    <div><dt>{t!(i18n, filter_kind)}</dt><dd>{move || pick(kind.0, kind.1).to_string()}</dd></div>
                    <div><dt>{t!(i18n, filter_sector)}</dt><dd>{move || pick(sector.0, sector.1).to_string()}</dd></div>
                    <div><dt>{t!(i18n, filter_place)}</dt><dd>{o.place_name}</dd></div>
                    {o.provisional.then(|| view! { <div><dt>{t!(i18n, provisional)}</dt><dd class="warn">{t!(i18n, provisional_note)}</dd></div> })}
                }
            })}
            <div><dt>{t!(i18n, visit_date)}</dt><dd>{format_datetime_vn(v.started_at)}</dd></div>
            // The account that sent the visit: the device's own text is only what the phone said.
            <div><dt>{t!(i18n, officer)}</dt><dd data-testid="review-officer">{format!("{} ({})", h.owner, h.owner_username)}</dd></div>
            {(v.officer.trim() != h.owner.trim()).then(|| view! {
                <div><dt>{t!(i18n, officer_on_device)}</dt><dd data-testid="review-officer-device">{v.officer.clone()}</dd></div>
            })}
            <div><dt>{t!(i18n, revision)}</dt><dd data-testid="review-revision">{latest.revision}</dd></div>
            <div><dt>{t!(i18n, score)}</dt><dd>{score.unwrap_or_else(|| "—".into())}</dd></div>
            <div><dt>{t!(i18n, grade)}</dt><dd>{move || grade.map(|(vi, en)| pick(vi, en).to_string()).unwrap_or_else(|| "—".into())}</dd></div>
            <div><dt>{t!(i18n, review_state)}</dt><dd data-testid="review-state" data-state=state.clone()>{move || pick(state_vi, state_en).to_string()}</dd></div>
        </dl>
        <ReviewActions visit_id=v.id revision=latest.revision on_review />
        {(!h.conflicts.is_empty()).then(|| view! {
            <section class="card conflict" data-testid="review-conflicts">
                <h2>{t!(i18n, conflicts_heading)}</h2>
                {h.conflicts.iter().cloned().map(conflict).collect_view()}
            </section>
        })}
        <section class="card">
            <h2>{t!(i18n, fields_heading)}</h2>
            <Fields visit=v.clone() />
            <h3>{t!(i18n, notes)}</h3>
            <p class="notes">{if v.notes.is_empty() { "—".to_string() } else { v.notes.clone() }}</p>
            <h3>{t!(i18n, photos)}</h3>
            <VisitPhotos photos=v.photos.clone() />
            <h3>{t!(i18n, gps)}</h3>
            {match v.location {
                Some(g) => {
                    let (lat, lon) = (g.latitude(), g.longitude());
                    let osm = format!("https://www.openstreetmap.org/?mlat={lat:.6}&mlon={lon:.6}#map=16/{lat:.6}/{lon:.6}");
                    view! { <p>{format!("{lat:.6}, {lon:.6} (± {} m) ", g.accuracy_m)}<a href=osm target="_blank" rel="noopener">{t!(i18n, open_map)}</a></p> }.into_any()
                }
                None => view! { <p class="muted">{t!(i18n, no_gps)}</p> }.into_any(),
            }}
        </section>
        <section class="card">
            <h2>{t!(i18n, score_sheet)}</h2>
            <ScorePoints visit=v />
        </section>
        <section class="card" data-testid="review-history">
            <h2>{t!(i18n, history_heading)}</h2>
            {h.revisions.iter().rev().cloned().map(revision).collect_view()}
        </section>
        <section class="card" data-testid="review-audit">
            <h2>{t!(i18n, audit_heading)}</h2>
            <ul class="audit">
                {h.reviews.iter().map(|r| {
                    let (vi, en) = labels::review_state(&r.decision).unwrap_or(("", ""));
                    let line = format!("{} · {} · {} {}", r.reviewed_at, r.reviewer, t_string!(i18n, revision), r.revision);
                    let comment = r.comment.clone();
                    view! { <li data-testid="review-entry"><strong>{move || pick(vi, en).to_string()}</strong>{format!(" — {line}")}
                        {(!comment.is_empty()).then(|| view! { <blockquote>{comment}</blockquote> })}</li> }
                }).collect_view()}
                {h.audit.iter().map(|a| view! { <li class="muted small">{format!("{} · {} ({}) · {}", a.at, a.display_name, a.username, a.action)}</li> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn ReviewActions(
    visit_id: Uuid,
    revision: i64,
    on_review: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let comment = RwSignal::new(String::new());
    let (error, set_error) = signal(None::<String>);
    // A decision is an Action: the buttons wait while it is out, and its
    // answer clears the comment and reloads the visit, or says what failed.
    let decide = Action::new_local(move |(decision, text): &(ReviewDecision, String)| {
        let (decision, text) = (*decision, text.clone());
        async move { api::post_review(visit_id, revision, decision, &text).await }
    });
    let busy = decide.pending();
    Effect::new(move |_| {
        let Some(answer) = decide.value().get() else {
            return;
        };
        untrack(|| match answer {
            Ok(()) => {
                comment.set(String::new());
                on_review();
            }
            Err(e) => set_error.set(Some(describe(i18n, &e))),
        });
    });
    let send = move |decision: ReviewDecision| {
        let text = comment.get_untracked();
        if decision == ReviewDecision::Returned && text.trim().is_empty() {
            set_error.set(Some(t_string!(i18n, return_needs_comment).to_string()));
            return;
        }
        set_error.set(None);
        decide.dispatch((decision, text.trim().to_owned()));
    };
    let approve = move |_| send(ReviewDecision::Approved);
    let give_back = move |_| send(ReviewDecision::Returned);
    view! {
        <section class="card actions" data-testid="review-actions">
            <label for="review-comment">{t!(i18n, review_comment)}</label>
            <textarea id="review-comment" data-testid="review-comment-input" rows="3" bind:value=comment></textarea>
            <div class="row">
                <button class="primary" data-testid="review-approve" disabled=busy on:click=approve>{t!(i18n, approve)}</button>
                <button data-testid="review-return" disabled=busy on:click=give_back>{t!(i18n, return_to_officer)}</button>
            </div>
            {move || error.get().map(|m| view! { <p class="error" role="alert" data-testid="review-error">{m}</p> })}
        </section>
    }
}

/// Every field of the form, section by section, with the value as stored.
#[component]
fn Fields(visit: Visit) -> impl IntoView {
    htx_core::form::SECTIONS
        .iter()
        .map(|s| {
            let rows = s
                .fields
                .iter()
                .map(|f| {
                    let (vi, en) = field_label(f.path);
                    let value = htx_core::form::read(&visit, f.path);
                    let value = match value.as_str() {
                        "" => "—".to_string(),
                        "yes" => pick("Có", "Yes").to_string(),
                        "no" => pick("Không", "No").to_string(),
                        _ => value,
                    };
                    view! { <tr data-path=f.path><th>{move || pick(vi, en).to_string()}</th><td>{value}</td></tr> }
                })
                .collect_view();
            view! {
                <h3>{move || pick(s.title_vi, s.title_en).to_string()}</h3>
                <table class="fields"><tbody>{rows}</tbody></table>
            }
        })
        .collect_view()
}

/// The points entered, with the criteria titles when the rubric is on this device.
#[component]
fn ScorePoints(visit: Visit) -> impl IntoView {
    let Some(sheet) = visit.score_sheet.clone() else {
        return view! { <p class="muted">{move || pick("Chuyến này không chấm điểm xếp loại.", "No classification on this visit.").to_string()}</p> }.into_any();
    };
    let rubric = LocalResource::new(|| async { crate::data::ref_data().await.ok() });
    let header = format!(
        "{} v{} · {}",
        sheet.rubric_id, sheet.rubric_version, sheet.year
    );
    view! {
        <p class="muted">{header}</p>
        <table class="fields"><tbody>
            {move || {
                let data = rubric.get().flatten();
                let r = data.as_ref().and_then(|d| d.rubrics.get(&sheet.rubric_id, sheet.rubric_version).cloned());
                sheet.points.iter().map(|(code, pts)| {
                    let title = r.as_ref().and_then(|r| {
                        r.groups.iter().flat_map(|g| &g.criteria).find_map(|c| {
                            if c.code == *code { Some((c.title_vi.clone(), c.title_en.clone())) }
                            else { c.sub_items.iter().find(|s| s.code == *code).map(|s| (s.title_vi.clone(), s.title_en.clone())) }
                        })
                    });
                    let label = title.map(|(vi, en)| pick(&vi, &en).to_string()).unwrap_or_default();
                    view! { <tr><th>{format!("{code} {label}")}</th><td class="num">{pts.to_string()}</td></tr> }
                }).collect_view()
            }}
        </tbody></table>
    }.into_any()
}

fn changes_table(
    changes: Vec<FieldChange>,
    before: &'static str,
    after: &'static str,
) -> impl IntoView {
    view! {
        <table class="changes"><thead><tr><th></th><th>{before}</th><th>{after}</th></tr></thead><tbody>
            {changes.into_iter().map(|c| {
                let (vi, en) = field_label(&c.path);
                let label = if vi.is_empty() { c.path.clone() } else { pick(vi, en).to_string() };
                view! { <tr data-path=c.path.clone()><th>{label}</th>
                    <td class="before">{c.before.unwrap_or_else(|| "—".into())}</td>
                    <td class="after">{c.after.unwrap_or_else(|| "—".into())}</td></tr> }
            }).collect_view()}
        </tbody></table>
    }
}

fn revision(r: StoredRevision) -> impl IntoView {
    let head = format!(
        "{} {} · {} {} · {} {}",
        pick("Phiên bản", "Revision"),
        r.revision,
        pick("gửi bởi", "sent by"),
        r.pushed_by,
        pick("nhận lúc", "received"),
        r.received_at
    );
    let replaces = r
        .replaces_revision
        .map(|p| format!(" · {} {p}", pick("thay cho phiên bản", "replaces revision")));
    let changes = r.changes;
    view! {
        <div class="revision" data-testid="review-revision-entry" data-revision=r.revision>
            <h3>{head}{replaces}</h3>
            {if changes.is_empty() {
                view! { <p class="muted small">{pick("Bản đầu tiên (hoặc không đổi trường nào).", "First revision (or no field changed).").to_string()}</p> }.into_any()
            } else {
                changes_table(changes, pick("Trước", "Before"), pick("Sau", "After")).into_any()
            }}
        </div>
    }
}

fn conflict(c: ConflictInfo) -> impl IntoView {
    let why = match c.reason.as_str() {
        "stale_base" => pick("Sửa từ một phiên bản cũ", "Edited from an older revision"),
        _ => pick(
            "Cùng phiên bản, nội dung khác",
            "Same revision, other content",
        ),
    };
    let head = format!(
        "{} {} · {} · {} {} · {}",
        pick("Phiên bản", "Revision"),
        c.revision,
        why,
        pick("gửi bởi", "sent by"),
        c.pushed_by,
        c.received_at
    );
    view! {
        <div class="revision" data-testid="review-conflict">
            <h3>{head}</h3>
            {changes_table(c.differences, pick("Trên máy chủ", "Stored"), pick("Bản xung đột", "Conflicting"))}
        </div>
    }
}
