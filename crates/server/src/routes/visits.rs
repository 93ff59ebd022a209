//! Visits as the review console sees them.
//!
//! - `GET /api/v1/visits?year&hierarchy&place&kind&sector&grade&state&officer&q&sort&page&per_page`
//!   (reviewer, admin): one page of the latest revisions in the user's scope.
//! - `GET /api/v1/visits/{id}`: the latest stored revision, every revision
//!   with what changed from the one before, unresolved conflicts beside what
//!   they conflict with, reviews and the audit log (officers: only visits of
//!   their places; everyone else: their scope).

use axum::extract::{Path, Query, State};
use axum::Json;
use htx_core::console::{
    ConflictInfo, ListOrder, OrganisationInfo, ReviewInfo, StoredRevision, VisitHistory, VisitPage,
};
use htx_core::diff::visit_changes;
use htx_core::search::fold;
use htx_core::{Hierarchy, PlaceRef, Visit};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::audit;
use crate::db::visit_index::{self, ListFilter};
use crate::db::{organisations, reviews, visits};
use crate::error::{ApiResult, AppError};
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
    user: AuthUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<VisitPage>> {
    user.require_staff()?;
    let mut scope = Scope::of(&state, &user).await?;
    if let Some(place) = given(&q.place) {
        let hierarchy = match one_of(&q.hierarchy, "hierarchy", &["new", "old"])?.as_deref() {
            Some("old") => Hierarchy::Old,
            _ => Hierarchy::New,
        };
        scope = scope.within(&state, &[PlaceRef::new(hierarchy, place)]);
    }
    let year = given(&q.year)
        .map(|y| y.parse::<i64>())
        .transpose()
        .map_err(|_| AppError::BadRequest("year must be a number".into()))?;
    let filter = ListFilter {
        communes: scope.as_json(&state),
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
    Path(id): Path<Uuid>,
) -> ApiResult<Json<VisitHistory>> {
    let id = id.to_string();
    let not_found = || AppError::not_found("no such visit");
    let latest_row = visits::latest(&state.db, &id)
        .await?
        .ok_or_else(not_found)?;
    // Outside the user's places or scope: answered as if it did not exist.
    if !Scope::of(&state, &user)
        .await?
        .allows(&latest_row.place_code)
    {
        return Err(not_found());
    }
    let rubrics = state.rubrics();
    let mut revisions: Vec<StoredRevision> = Vec::new();
    for row in visits::history(&state.db, &id).await? {
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
                .map(|g| crate::console::grade_code(g).to_owned()),
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
    for c in visits::conflicts(&state.db, &id).await? {
        let visit = parse_body(&c.body)?;
        conflicts.push(ConflictInfo {
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
    Ok(Json(VisitHistory {
        latest,
        organisation,
        revisions,
        conflicts,
        reviews,
        audit,
    }))
}
