//! The one error type of the HTTP layer. Every API error is rendered as
//! `{"error":{"code":"<stable_snake_case>","message":"..."}}` with a matching
//! status. Codes are part of the API contract: never rename one.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use htx_core::api::ErrorEnvelope;

pub type ApiResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),

    #[error("method not allowed")]
    MethodNotAllowed,

    #[error("{0}")]
    BadRequest(String),

    #[error(transparent)]
    InvalidJson(JsonRejection),

    /// A query string the route cannot read (`?page=abc`).
    #[error("{0}")]
    InvalidQuery(String),

    /// A path parameter the route cannot read (an id that is no UUID).
    #[error("{0}")]
    InvalidPath(String),

    /// No token, or a token the server does not know.
    #[error("sign in required")]
    Unauthorized,

    /// The token was valid but has expired: sign in again.
    #[error("the session has expired; sign in again")]
    TokenExpired,

    /// Unknown user or wrong password (deliberately indistinguishable).
    #[error("wrong username or password")]
    InvalidCredentials,

    #[error("{0}")]
    Forbidden(String),

    /// The password was right but an admin disabled the account.
    #[error("this account is disabled; ask an admin")]
    AccountDisabled,

    /// A field of the sent record is not acceptable; the message in both
    /// languages, so the console can show the Vietnamese one.
    #[error("{path}: {en}")]
    Invalid {
        path: String,
        vi: String,
        en: String,
    },

    /// The record lies outside the places the user may change.
    #[error("{en}")]
    OutOfScope { vi: String, en: String },

    #[error("{0}")]
    PayloadTooLarge(String),

    /// The body is not of a type the route stores (a photo that is no image).
    #[error("{0}")]
    UnsupportedMediaType(String),

    /// The request clashes with what is stored (e.g. a username taken).
    #[error("{0}")]
    Conflict(String),

    /// The record changed since the client read it (e.g. a review of a
    /// revision that is no longer the latest): reload and decide again.
    #[error("{0}")]
    Stale(String),

    #[error("{0}")]
    UnsupportedProtocol(String),

    /// Too many wrong passwords for the account or from the address: sign-in
    /// is refused until the window ends, whatever the password.
    #[error("too many failed sign-ins; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },

    /// Too much of one kind of work at once (sign-ins waiting for a password
    /// hash): try again after the given seconds.
    #[error("the server is busy; try again in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },

    /// An account's allowance is used up (photos uploaded but not yet named
    /// by any visit): try again after the given seconds.
    #[error("{message}")]
    QuotaExceeded {
        message: String,
        retry_after_secs: u64,
    },

    #[error("database error")]
    Database(#[from] sqlx::Error),

    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    pub fn forbidden(why: impl Into<String>) -> Self {
        Self::Forbidden(why.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized | Self::TokenExpired | Self::InvalidCredentials => {
                StatusCode::UNAUTHORIZED
            }
            Self::Forbidden(_) | Self::OutOfScope { .. } | Self::AccountDisabled => {
                StatusCode::FORBIDDEN
            }
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Conflict(_) | Self::Stale(_) => StatusCode::CONFLICT,
            Self::UnsupportedProtocol(_) => StatusCode::BAD_REQUEST,
            Self::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::QuotaExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BadRequest(_) | Self::InvalidQuery(_) | Self::InvalidPath(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::InvalidJson(rejection) => rejection.status(),
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::BadRequest(_) => "bad_request",
            Self::InvalidJson(_) => "invalid_json",
            Self::InvalidQuery(_) => "invalid_query",
            Self::InvalidPath(_) => "invalid_path",
            Self::Unauthorized => "unauthorized",
            Self::TokenExpired => "token_expired",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden(_) | Self::OutOfScope { .. } => "forbidden",
            Self::AccountDisabled => "account_disabled",
            Self::Invalid { .. } => "invalid",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Conflict(_) => "conflict",
            Self::Stale(_) => "stale",
            Self::UnsupportedProtocol(_) => "unsupported_protocol",
            Self::Busy { .. } => "busy",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::Database(_) => "database_error",
            Self::Internal(_) => "internal_error",
        }
    }
}

impl From<JsonRejection> for AppError {
    /// A body over the route's limit is `payload_too_large`, anything else
    /// `invalid_json`.
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::PayloadTooLarge(rejection.body_text())
        } else {
            Self::InvalidJson(rejection)
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::InvalidQuery(rejection.body_text())
    }
}

impl From<PathRejection> for AppError {
    /// A route without the parameter it reads is the server's fault.
    fn from(rejection: PathRejection) -> Self {
        if rejection.status().is_server_error() {
            Self::Internal(anyhow::anyhow!(rejection.body_text()))
        } else {
            Self::InvalidPath(rejection.body_text())
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        // Details of server-side failures go to the log, not to the client.
        let message = match &self {
            Self::Database(e) => {
                tracing::error!(error = %e, "database error");
                self.to_string()
            }
            Self::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                self.to_string()
            }
            Self::InvalidJson(rejection) => rejection.body_text(),
            other => other.to_string(),
        };
        let mut body = ErrorEnvelope::new(self.code(), message);
        let e = &mut body.error;
        match &self {
            Self::Invalid { path, vi, .. } => {
                e.field = Some(path.clone());
                e.message_vi = Some(vi.clone());
            }
            Self::OutOfScope { vi, .. } => e.message_vi = Some(vi.clone()),
            Self::AccountDisabled => {
                e.message_vi =
                    Some("Tài khoản này đã bị khóa: hãy liên hệ quản trị Liên minh HTX.".into())
            }
            Self::TooManyAttempts { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60).max(1);
                e.message_vi = Some(format!(
                    "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {minutes} phút."
                ));
                e.retry_after_secs = Some(*retry_after_secs);
            }
            _ => {}
        }
        let retry_after = match &self {
            Self::Busy { retry_after_secs }
            | Self::TooManyAttempts { retry_after_secs }
            | Self::QuotaExceeded {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
