//! Sign-in and sign-out:
//! - `POST /api/v1/auth/login`: username + password → bearer token with
//!   expiry; wrong passwords are throttled per account and per address.
//! - `POST /api/v1/auth/logout`: revokes the token it is sent with.
//! - `PUT /api/v1/auth/password` `{current, new}`: changes one's password and
//!   revokes one's other tokens (other phones sign in again).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::auth::{self, AuthUser, Role};
use crate::db::{self, sessions, users};
use crate::error::{ApiResult, AppError};
use crate::extract::AppJson;
use crate::state::AppState;
use crate::throttle::ClientAddr;

pub use htx_core::api::{LoginRequest, LoginResponse, UserInfo};

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    AppJson(req): AppJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    if req.username.len() > 200 || req.password.len() > 1024 {
        return Err(AppError::InvalidCredentials);
    }
    let username = req.username.trim();
    // Before the password is looked at: once the limit is reached, the
    // right password is refused too, until the window ends.
    if let Err(wait) = state.throttle.check(username, addr) {
        return Err(AppError::TooManyAttempts {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    let user = match auth::check_credentials(&state, username, req.password).await {
        Err(AppError::InvalidCredentials) => {
            state.throttle.failed(username, addr);
            return Err(AppError::InvalidCredentials);
        }
        other => other?,
    };
    state.throttle.succeeded(username);
    if users::is_disabled(&state.db, &user.id).await? {
        return Err(AppError::AccountDisabled);
    }
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

/// `POST /api/v1/auth/logout`: the token this request came with no longer
/// signs anything in. The device's data is the device's business: it keeps
/// every visit.
pub async fn logout(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    sessions::delete(&state.db, &user.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

/// `PUT /api/v1/auth/password`: the current password, then the new one
/// (at least 10 characters); every other token of the account is revoked.
pub async fn change_password(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    user: AuthUser,
    AppJson(req): AppJson<PasswordChange>,
) -> ApiResult<Json<serde_json::Value>> {
    if req.new.chars().count() < crate::routes::users::MIN_PASSWORD || req.new.len() > 1024 {
        return Err(AppError::BadRequest(format!(
            "new: at least {} characters",
            crate::routes::users::MIN_PASSWORD
        )));
    }
    // A stolen token must not be enough to take the account over: the
    // current password is checked, and guessing it is throttled like a sign-in.
    if let Err(wait) = state.throttle.check(&user.username, addr) {
        return Err(AppError::TooManyAttempts {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    if let Err(e) = auth::check_credentials(&state, &user.username, req.current).await {
        if matches!(e, AppError::InvalidCredentials) {
            state.throttle.failed(&user.username, addr);
        }
        return Err(e);
    }
    let hash = state.passwords.hash(req.new).await?;
    let now = db::now_timestamp();
    let mut tx = state.begin_write().await?;
    users::set_password(&mut *tx, &user.id, &hash).await?;
    let revoked = sessions::delete_all_of(&mut *tx, &user.id, Some(&user.token_hash)).await?;
    crate::db::audit::record(
        &mut *tx,
        &now,
        &user.id,
        "user.password",
        crate::db::audit::ENTITY_USER,
        &user.id,
        &serde_json::json!({ "revoked_sessions": revoked }),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(serde_json::json!({ "revoked_sessions": revoked })))
}
