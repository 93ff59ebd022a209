//! The request extractors of the API: axum's own, but refusing with
//! [`AppError`], so a malformed body, query string or path answers the
//! documented JSON envelope like every other refusal (axum's rejections
//! answer text/plain). The role extractors run before any body is decoded.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::FromRequestParts;
use axum::extract::{FromRequest, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::Json;
use serde::de::DeserializeOwned;

use crate::auth::{AuthUser, Role};
use crate::error::AppError;
use crate::state::AppState;

/// A JSON body (`invalid_json` / `payload_too_large` when refused), as
/// axum's `Json` reads it, refusals included. A body is read with
/// serde_json alone, and read again through `Json` only when refused, for
/// the error naming the value's path: `Json` tracks the path of every value
/// it reads (serde_path_to_error), a tenth of the server's time per pushed
/// visit.
pub struct AppJson<T>(pub T);

impl<T, S> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !json_content_type(req.headers()) {
            // Json's own refusal (`invalid_json`, 415).
            let Json(value) = Json::<T>::from_request(req, state).await?;
            return Ok(Self(value));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(JsonRejection::from)?;
        match serde_json::from_slice(&bytes) {
            Ok(value) => Ok(Self(value)),
            Err(_) => {
                let Json(value) = Json::<T>::from_bytes(&bytes)?;
                Ok(Self(value))
            }
        }
    }
}

/// `application/json` or `application/*+json`, as `Json` requires.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

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
