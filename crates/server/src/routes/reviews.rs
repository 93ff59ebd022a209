//! `POST /api/v1/reviews`: a reviewer approves a stored visit revision or
//! returns it with a comment; officers of the place get it with their next pull.
//! The review, the console's list row and the audit entry are written in one
//! transaction.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use htx_core::review::ReviewDecision;
use serde::Serialize;
use uuid::Uuid;

use crate::db::{self, audit, reviews, visit_index, visits};
use crate::error::{ApiResult, AppError};
use crate::extract::{AppJson, Staff};
use crate::scope::Scope;
use crate::state::AppState;

pub use htx_core::api::NewReview;

#[derive(Debug, Serialize)]
pub struct ReviewCreated {
    pub id: Uuid,
    /// Change sequence of this review.
    pub seq: i64,
}

pub async fn create(
    State(state): State<AppState>,
    Staff(user): Staff,
    AppJson(req): AppJson<NewReview>,
) -> ApiResult<(StatusCode, Json<ReviewCreated>)> {
    let comment = req.comment.trim();
    if req.decision == ReviewDecision::Returned && comment.is_empty() {
        return Err(AppError::BadRequest(
            "a returned visit needs a comment".into(),
        ));
    }
    let visit_id = req.visit_id.to_string();
    let revision = i64::from(req.revision);
    let not_found = || AppError::not_found("no such visit revision");
    let stored = visits::find_key(&state.db, &visit_id, revision)
        .await?
        .ok_or_else(not_found)?;
    // Outside the reviewer's scope: as if it did not exist.
    if !Scope::of(&state, &user).await?.allows(&stored.place_code) {
        return Err(not_found());
    }
    // Four eyes: whoever recorded a visit (or was handed it) does not decide on it.
    if visits::pushed_any(&state.db, &visit_id, &user.id).await? {
        return Err(AppError::OutOfScope {
            vi: "Bạn đã gửi chuyến khảo sát này: người khác phải duyệt".into(),
            en: "You sent this visit: someone else must review it".into(),
        });
    }
    let id = Uuid::now_v7();
    let decision = match req.decision {
        ReviewDecision::Approved => "approved",
        ReviewDecision::Returned => "returned",
    };
    let now = db::now_timestamp();
    let mut tx = state.begin_write().await?;
    // Only the latest revision is reviewed: the officer's fix of a returned
    // visit must not be approved by a decision taken on the older one. Read
    // inside the write transaction so a push cannot slip in between.
    let latest = visits::latest_key(&mut *tx, &visit_id).await?;
    if latest.is_some_and(|k| k.revision != revision) {
        return Err(AppError::Stale(format!(
            "revision {revision} is no longer the latest of this visit: reload it"
        )));
    }
    let seq = reviews::insert(
        &mut tx,
        &id.to_string(),
        &visit_id,
        revision,
        decision,
        comment,
        &user.id,
        &now,
    )
    .await?;
    visit_index::set_review_state(&mut *tx, &visit_id, revision, decision).await?;
    let action = match req.decision {
        ReviewDecision::Approved => "visit.approve",
        ReviewDecision::Returned => "visit.return",
    };
    let detail = serde_json::json!({ "revision": revision, "comment": comment, "review_id": id });
    audit::record(
        &mut *tx,
        &now,
        &user.id,
        action,
        audit::ENTITY_VISIT,
        &visit_id,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(ReviewCreated { id, seq })))
}
