//! The JSON API, mounted under `/api`. Add a submodule per resource and merge
//! its routes in [`api_router`]; handlers stay thin (extract, call `db::*` or
//! `htx_core`, map to JSON) and return [`crate::ApiResult`].

pub mod health;

use axum::http::header::CACHE_CONTROL;
use axum::http::HeaderValue;
use axum::routing::get;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
use crate::state::AppState;

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        // Unknown /api/... paths and wrong methods answer in JSON, never with
        // the SPA's index.html.
        .fallback(|| async { AppError::not_found("no such API endpoint") })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        // API responses are never cached (by the browser, a proxy or the
        // service worker's HTTP cache).
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}
