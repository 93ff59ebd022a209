//! The request extractors of the API: axum's own, but refusing with
//! [`AppError`], so a malformed body, query string or path answers the
//! documented JSON envelope like every other refusal (axum's rejections
//! answer text/plain). The role extractors run before any body is decoded.

use axum::extract::FromRequestParts;
use axum::extract::{FromRequest, Path, Query};
use axum::http::request::Parts;
use axum::Json;

use crate::auth::{AuthUser, Role};
use crate::error::AppError;
use crate::state::AppState;

/// A JSON body (`invalid_json` / `payload_too_large` when refused).
#[derive(FromRequest)]
#[from_request(via(Json), rejection(AppError))]
pub struct AppJson<T>(pub T);

/// A query string (`invalid_query` when refused).
#[derive(FromRequestParts)]
#[from_request(via(Query), rejection(AppError))]
pub struct AppQuery<T>(pub T);

/// Path parameters (`invalid_path` when refused).
#[derive(FromRequestParts)]
#[from_request(via(Path), rejection(AppError))]
pub struct AppPath<T>(pub T);

/// A signed-in reviewer or admin (the review console's users).
pub struct Staff(pub AuthUser);

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        user.require_staff()?;
        Ok(Self(user))
    }
}

/// A signed-in admin.
pub struct Admin(pub AuthUser);

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.role != Role::Admin {
            return Err(AppError::forbidden("only admins may do this"));
        }
        Ok(Self(user))
    }
}
