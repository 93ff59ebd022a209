//! `POST /api/v1/auth/login`: username + password → bearer token with expiry.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::auth::{self, Role};
use crate::db::{self, sessions, users};
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub token_type: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    pub expires_in_secs: u64,
    pub user: UserInfo,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct UserInfo {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Assigned commune codes (officers).
    pub places: Vec<String>,
}

pub async fn login(
    State(state): State<AppState>,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> ApiResult<Json<LoginResponse>> {
    let Json(req) = body?;
    if req.username.len() > 200 || req.password.len() > 1024 {
        return Err(AppError::InvalidCredentials);
    }
    let user = auth::check_credentials(&state, req.username.trim(), req.password).await?;
    let role = Role::parse(&user.role).ok_or(AppError::InvalidCredentials)?;
    let token = auth::new_token()?;
    let ttl = state.config.token_ttl_secs;
    let now_ms = db::now_millis();
    let expires_ms =
        now_ms.saturating_add(i64::try_from(ttl.saturating_mul(1000)).unwrap_or(i64::MAX));
    sessions::delete_expired(&state.db, &user.id, now_ms).await?;
    sessions::insert(
        &state.db,
        &auth::token_hash(&token),
        &user.id,
        &db::now_timestamp(),
        expires_ms,
    )
    .await?;
    let places = users::places(&state.db, &user.id).await?;
    let expires_at = chrono::DateTime::from_timestamp_millis(expires_ms)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(Json(LoginResponse {
        token,
        token_type: "Bearer".into(),
        expires_at,
        expires_in_secs: ttl,
        user: UserInfo {
            username: user.username,
            display_name: user.display_name,
            role,
            places,
        },
    }))
}
