//! The one error type of the HTTP layer. Every API error is rendered as
//! `{"error":{"code":"<stable_snake_case>","message":"..."}}` with a matching
//! status. Codes are part of the API contract: never rename one.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

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
    InvalidJson(#[from] JsonRejection),

    #[error("database error")]
    Database(#[from] sqlx::Error),

    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
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
            Self::Database(_) => "database_error",
            Self::Internal(_) => "internal_error",
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
        let body = json!({ "error": { "code": self.code(), "message": message } });
        (status, Json(body)).into_response()
    }
}
