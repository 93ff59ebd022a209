//! `POST /api/v1/sync/push`, `POST /api/v1/sync/receipt`,
//! `GET /api/v1/sync/pull?since=CURSOR&limit=N` (see [`crate::sync`]).

use axum::extract::State;
use axum::Json;
use htx_core::sync::{PullResponse, PushBatch, PushResponse, ReceiptQuery, ReceiptResponse};
use serde::Deserialize;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::{AppJson, AppQuery};
use crate::state::AppState;
use crate::sync;

pub async fn push(
    State(state): State<AppState>,
    user: AuthUser,
    AppJson(batch): AppJson<PushBatch>,
) -> ApiResult<Json<PushResponse>> {
    Ok(Json(sync::push(&state, &user, batch).await?))
}

pub async fn receipt(
    State(state): State<AppState>,
    user: AuthUser,
    AppJson(query): AppJson<ReceiptQuery>,
) -> ApiResult<Json<ReceiptResponse>> {
    if state.config.hold_receipts {
        std::future::pending::<()>().await;
    }
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
    AppQuery(params): AppQuery<PullParams>,
) -> ApiResult<Json<PullResponse>> {
    Ok(Json(
        sync::pull(&state, &user, params.since, params.limit).await?,
    ))
}
