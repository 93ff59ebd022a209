//! Visits as the review console sees them.
//!
//! - `GET /api/v1/visits?year&hierarchy&place&kind&sector&grade&state&officer&q&sort&page&per_page`
//!   (reviewer, admin): one page of the latest revisions in the user's scope.
//! - `GET /api/v1/visits/{id}`: the latest stored revision, every revision
//!   with what changed from the one before and who pushed it, unresolved
//!   conflicts beside what they conflict with, reviews and the audit log
//!   (officers: only their own visits; staff: their scope).
//! - `PUT /api/v1/visits/{id}/owner` `{"username"}` (admins): hands a visit
//!   to another officer, who from then on sends its revisions (e.g. an
//!   officer who left, or a phone handed over); audited.

use axum::extract::State;
use axum::Json;
use htx_core::console::{
    ConflictInfo, ListOrder, OrganisationInfo, ReviewInfo, StoredRevision, VisitHistory, VisitPage,
};
use htx_core::diff::visit_changes;
use htx_core::search::fold;
use htx_core::{Hierarchy, PlaceRef, Visit};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::{AuthUser, Role};
use crate::db::audit;
use crate::db::visit_index::{self, ListFilter};
use crate::db::{self, organisations, reviews, users, visit_index as index, visits};
use crate::error::{ApiResult, AppError};
use crate::extract::{Admin, AppJson, AppPath, AppQuery, Staff};
use crate::scope::Scope;
use crate::state::AppState;

/// Largest page the list serves.
const MAX_PER_PAGE: i64 = 200;

/// Query of the list; empty strings count as absent (what an HTML form sends).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub year: Option<String>,
    /// `new` (default) or `old`: the hierarchy of `place`.
    pub hierarchy: Option<String>,
    /// A unit of that hierarchy at any level (province, district, commune).
    pub place: Option<String>,
    pub kind: Option<String>,
    pub sector: Option<String>,
    /// good | fair | average | weak | none
    pub grade: Option<String>,
    /// pending | approved | returned | conflict
    pub state: Option<String>,
    /// Officer's username.
    pub officer: Option<String>,
    /// Organisation name or registration code, with or without diacritics.
    pub q: Option<String>,
    pub sort: Option<ListOrder>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn one_of(v: &Option<String>, name: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
    match given(v) {
        Some(s) if !allowed.contains(&s.as_str()) => Err(AppError::BadRequest(format!(
            "{name} must be one of {}",
            allowed.join(", ")
        ))),
        other => Ok(other),
    }
}

pub async fn list(
    State(state): State<AppState>,
    Staff(user): Staff,
    AppQuery(q): AppQuery<ListQuery>,
) -> ApiResult<Json<VisitPage>> {
    let mut scope = Scope::of(&state, &user).await?;
    if let Some(place) = given(&q.place) {
        let hierarchy = match one_of(&q.hierarchy, "hierarchy", &["new", "old"])?.as_deref() {
            Some("old") => Hierarchy::Old,
            _ => Hierarchy::New,
        };
        scope = scope.within(&state.reference.places, &[PlaceRef::new(hierarchy, place)]);
    }
    let year = given(&q.year)
        .map(|y| y.parse::<i64>())
        .transpose()
        .map_err(|_| AppError::BadRequest("year must be a number".into()))?;
    let filter = ListFilter {
        communes: scope.as_json(&state.reference.places),
        year,
        kind: given(&q.kind),
        sector: given(&q.sector)
            .map(|c| serde_json::json!(htx_core::Sector::from_code(&c).codes()).to_string()),
        grade: one_of(
            &q.grade,
            "grade",
            &["good", "fair", "average", "weak", "none"],
        )?,
        review_state: one_of(
            &q.state,
            "state",
            &["pending", "approved", "returned", "conflict"],
        )?,
        officer: given(&q.officer),
        search: given(&q.q).map(|s| fold(&s)),
    };
    let per_page = q.per_page.unwrap_or(50).clamp(1, MAX_PER_PAGE);
    let page = q.page.unwrap_or(1).max(1);
    // Rows of visits pushed a moment ago may still be being written.
    crate::index_follower::wait_for_list(&state.write_handle()).await?;
    let total = visit_index::count(&state.db, &filter).await?;
    let items = visit_index::page(
        &state.db,
        &filter,
        q.sort.unwrap_or_default(),
        per_page,
        (page - 1).saturating_mul(per_page),
    )
    .await?
    .into_iter()
    .map(Into::into)
    .collect();
    Ok(Json(VisitPage {
        total,
        page,
        per_page,
        items,
    }))
}

fn parse_body(body: &str) -> ApiResult<Visit> {
    Ok(serde_json::from_str(body).map_err(anyhow::Error::from)?)
}

pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<Json<VisitHistory>> {
    let id = id.to_string();
    let not_found = || AppError::not_found("no such visit");
    let latest_row = visits::latest(&state.db, &id)
        .await?
        .ok_or_else(not_found)?;
    let ownership = visits::ownership_of(&state.db, &id)
        .await?
        .ok_or_else(not_found)?;
    // Officers see their own visits only; staff their scope. Anything else is
    // answered as if it did not exist.
    let visible = match user.role {
        Role::Officer => ownership.owner == user.id,
        _ => Scope::of(&state, &user)
            .await?
            .allows(&latest_row.place_code),
    };
    if !visible {
        return Err(not_found());
    }
    let history = visits::history(&state.db, &id).await?;
    let conflict_rows = visits::conflicts(&state.db, &id).await?;
    let names = account_names(
        &state,
        history
            .iter()
            .map(|r| &r.pushed_by)
            .chain(conflict_rows.iter().map(|c| &c.pushed_by))
            .chain([&ownership.owner]),
    )
    .await?;
    let name_of = |id: &str| {
        names
            .get(id)
            .map(|(_, name)| name.clone())
            .unwrap_or_default()
    };
    let rubrics = state.fresh_rubrics().await?;
    let mut revisions: Vec<StoredRevision> = Vec::new();
    for row in history {
        let visit = parse_body(&row.body)?;
        let changes = revisions
            .last()
            .map(|prev| visit_changes(&prev.visit, &visit))
            .unwrap_or_default();
        let scored = htx_core::score_visit(&visit, &rubrics);
        revisions.push(StoredRevision {
            revision: row.revision,
            replaces_revision: row.replaces_revision,
            hash: row.content_hash,
            received_at: row.received_at,
            score_centi: scored.as_ref().map(|r| i64::from(r.total.centi())),
            grade: scored
                .and_then(|r| r.rating.grade())
                .map(|g| g.as_str().to_owned()),
            pushed_by: name_of(&row.pushed_by),
            visit,
            changes,
        });
    }
    // As read with the history (the row read first decided the scope).
    let latest = match revisions
        .iter()
        .rposition(|r| r.revision == latest_row.revision)
    {
        Some(i) => revisions[i].clone(),
        None => return Err(not_found()),
    };
    let mut conflicts = Vec::new();
    for c in conflict_rows {
        let visit = parse_body(&c.body)?;
        conflicts.push(ConflictInfo {
            pushed_by: name_of(&c.pushed_by),
            revision: c.revision,
            hash: c.content_hash,
            reason: c.reason,
            server_hash: c.server_hash,
            received_at: c.received_at,
            differences: visit_changes(&latest.visit, &visit),
            visit,
        });
    }
    let organisation = organisations::find(&state.db, &latest_row.organisation_id)
        .await?
        .map(|o| OrganisationInfo {
            id: o.id,
            name: o.name,
            registration_code: o.registration_code,
            kind: o.kind,
            sector: o.sector,
            place_code: o.place_code,
            place_name: o.place_name,
            provisional: o.provisional,
        });
    let reviews = reviews::for_visit(&state.db, &id)
        .await?
        .into_iter()
        .map(|r| ReviewInfo {
            revision: r.revision,
            decision: r.decision,
            comment: r.comment,
            reviewer: r.reviewer,
            reviewed_at: r.reviewed_at,
        })
        .collect();
    let audit = audit::for_entity(&state.db, audit::ENTITY_VISIT, &id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let (owner_username, owner) = names.get(&ownership.owner).cloned().unwrap_or_default();
    Ok(Json(VisitHistory {
        latest,
        owner,
        owner_username,
        organisation,
        revisions,
        conflicts,
        reviews,
        audit,
    }))
}

/// `(username, display name)` of each account id.
async fn account_names<'a>(
    state: &AppState,
    ids: impl Iterator<Item = &'a String>,
) -> ApiResult<std::collections::HashMap<String, (String, String)>> {
    let ids: std::collections::BTreeSet<&String> = ids.collect();
    let json = serde_json::to_string(&ids).map_err(anyhow::Error::from)?;
    Ok(users::names(&state.db, &json)
        .await?
        .into_iter()
        .map(|(id, username, name)| (id, (username, name)))
        .collect())
}

#[derive(Debug, Deserialize)]
pub struct NewOwner {
    /// The officer's username.
    pub username: String,
}

/// `PUT /api/v1/visits/{id}/owner`: an admin hands a visit to another
/// officer. The officer must be able to work in the visit's commune; the
/// change is written with its audit entry, and the console lists the visit
/// under the new officer.
pub async fn set_owner(
    State(state): State<AppState>,
    Admin(user): Admin,
    AppPath(id): AppPath<Uuid>,
    AppJson(req): AppJson<NewOwner>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = id.to_string();
    let not_found = || AppError::not_found("no such visit");
    let latest = visits::latest(&state.db, &id)
        .await?
        .ok_or_else(not_found)?;
    if !Scope::of(&state, &user).await?.allows(&latest.place_code) {
        return Err(not_found());
    }
    let officer = users::find_by_username(&state.db, req.username.trim())
        .await?
        .filter(|u| u.role == Role::Officer.as_str())
        .ok_or_else(|| AppError::Invalid {
            path: "username".into(),
            vi: "Không có cán bộ với tên đăng nhập này".into(),
            en: "No officer has this username".into(),
        })?;
    if !users::has_place(&state.db, &officer.id, &latest.place_code).await? {
        return Err(AppError::Invalid {
            path: "username".into(),
            vi: "Cán bộ này không được giao xã/phường của chuyến khảo sát".into(),
            en: "This officer is not assigned the visit's commune".into(),
        });
    }
    let now = db::now_timestamp();
    let mut tx = state.begin_write().await?;
    let before = visits::ownership_of(&mut *tx, &id)
        .await?
        .ok_or_else(not_found)?;
    visits::assign_owner(&mut *tx, &id, &officer.id, &user.id, &now).await?;
    index::set_officer(&mut *tx, &id, &officer.id).await?;
    let detail =
        serde_json::json!({ "from": before.owner, "to": officer.id, "username": officer.username });
    audit::record(
        &mut *tx,
        &now,
        &user.id,
        "visit.reassign",
        audit::ENTITY_VISIT,
        &id,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(
        serde_json::json!({ "visit_id": id, "owner": officer.username }),
    ))
}
