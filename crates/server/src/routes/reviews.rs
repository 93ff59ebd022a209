//! `POST /api/v1/reviews`: a reviewer approves a stored visit revision or
//! returns it with a comment; officers of the place get it with their next pull.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use htx_core::review::ReviewDecision;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{AuthUser, Role};
use crate::db::{self, reviews, visits};
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct NewReview {
    pub visit_id: Uuid,
    pub revision: u32,
    pub decision: ReviewDecision,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Serialize)]
pub struct ReviewCreated {
    pub id: Uuid,
    /// Change sequence of this review.
    pub seq: i64,
}

pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    body: Result<Json<NewReview>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<ReviewCreated>)> {
    let Json(req) = body?;
    if user.role == Role::Officer {
        return Err(AppError::forbidden(
            "only reviewers and admins review visits",
        ));
    }
    if req.decision == ReviewDecision::Returned && req.comment.trim().is_empty() {
        return Err(AppError::BadRequest(
            "a returned visit needs a comment".into(),
        ));
    }
    let visit_id = req.visit_id.to_string();
    if visits::find_key(&state.db, &visit_id, i64::from(req.revision))
        .await?
        .is_none()
    {
        return Err(AppError::not_found("no such visit revision"));
    }
    let id = Uuid::now_v7();
    let decision = match req.decision {
        ReviewDecision::Approved => "approved",
        ReviewDecision::Returned => "returned",
    };
    let mut tx = state.db.begin().await?;
    let seq = reviews::insert(
        &mut tx,
        &id.to_string(),
        &visit_id,
        i64::from(req.revision),
        decision,
        req.comment.trim(),
        &user.id,
        &db::now_timestamp(),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(ReviewCreated { id, seq })))
}
