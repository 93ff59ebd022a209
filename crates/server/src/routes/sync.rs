//! `POST /api/v1/sync/push`, `POST /api/v1/sync/receipt`,
//! `GET /api/v1/sync/pull?since=CURSOR&limit=N` (see [`crate::sync`]).

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::Json;
use htx_core::sync::{PullResponse, PushBatch, PushResponse, ReceiptQuery, ReceiptResponse};
use serde::Deserialize;

use crate::auth::AuthUser;
use crate::error::{ApiResult, AppError};
use crate::state::AppState;
use crate::sync;

pub async fn push(
    State(state): State<AppState>,
    user: AuthUser,
    body: Result<Json<PushBatch>, JsonRejection>,
) -> ApiResult<Json<PushResponse>> {
    let Json(batch) = body?;
    Ok(Json(sync::push(&state, &user, batch).await?))
}

pub async fn receipt(
    State(state): State<AppState>,
    user: AuthUser,
    body: Result<Json<ReceiptQuery>, JsonRejection>,
) -> ApiResult<Json<ReceiptResponse>> {
    let Json(query) = body?;
    Ok(Json(sync::receipts(&state, &user, query).await?))
}

#[derive(Debug, Deserialize)]
pub struct PullParams {
    #[serde(default)]
    pub since: u64,
    #[serde(default)]
    pub limit: Option<u32>,
}

pub async fn pull(
    State(state): State<AppState>,
    user: AuthUser,
    params: Result<Query<PullParams>, QueryRejection>,
) -> ApiResult<Json<PullResponse>> {
    let Query(params) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
    Ok(Json(
        sync::pull(&state, &user, params.since, params.limit).await?,
    ))
}
