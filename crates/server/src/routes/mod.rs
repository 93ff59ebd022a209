//! The JSON API, mounted under `/api`. Add a submodule per resource and merge
//! its routes in [`api_router`]; handlers stay thin (extract, call `db::*`,
//! [`crate::sync`] or `htx_core`, map to JSON) and return [`crate::ApiResult`].
//!
//! Everything under `/api/v1` except `auth/login` needs a bearer token
//! ([`crate::auth::AuthUser`]); request bodies may be gzip-compressed.
//!
//! - `GET  /api/health`
//! - `POST /api/v1/auth/login` `{username, password}` → token, expiry, user
//! - `POST /api/v1/auth/logout`, `PUT /api/v1/auth/password` `{current, new}`
//! - `POST /api/v1/sync/push` `PushBatch` → `PushResponse` (≤ 500 records, ≤ 1 MiB)
//! - `POST /api/v1/sync/receipt` `ReceiptQuery` → `ReceiptResponse`
//! - `GET  /api/v1/sync/pull?since=CURSOR&limit=N` → `PullResponse`
//! - `PUT  /api/v1/blobs/{sha256}` image bytes (JPEG, PNG, WebP; ≤ 5 MiB) → 201 stored / 200 present
//! - `GET  /api/v1/blobs/{sha256}` → the image (staff, or the officer who uploaded it)
//! - `GET|POST /api/v1/organisations`, `PUT /api/v1/organisations/{id}`,
//!   `POST /api/v1/organisations/{id}/merge`, `POST /api/v1/organisations/import` (CSV) (staff)
//! - `POST /api/v1/reviews` `{visit_id, revision, decision, comment}` (reviewer, admin)
//! - `GET /api/v1/rubrics` (staff), `POST /api/v1/rubrics` a Rubric (admin)
//! - `GET|POST /api/v1/users`, `PUT /api/v1/users/{username}/assignments`,
//!   `DELETE /api/v1/users/{username}/sessions`, `PUT /api/v1/users/{username}/{disabled,password}` (admin)
//! - `GET  /api/v1/visits?year&place&kind&sector&grade&state&officer&q&sort&page` (reviewer, admin)
//!   → one page of the console's list
//! - `GET  /api/v1/visits/{id}` → latest revision, history with changes, conflicts, reviews, audit
//!   (officers: their own visits)
//! - `PUT  /api/v1/visits/{id}/owner` `{username}` (admin) → hands the visit to another officer
//! - `GET  /api/v1/dashboard?year&hierarchy&place&reviewed` (reviewer, admin) → `report::Dashboard`
//! - `GET  /api/v1/exports/{visits,indicators}.{csv,xlsx}?year&hierarchy&place&reviewed`
//!   (reviewer, admin) → attachment

pub mod auth;
pub mod blobs;
pub mod dashboard;
pub mod exports;
pub mod health;
pub mod registry;
pub mod reviews;
pub mod rubrics;
pub mod sync;
pub mod users;
pub mod visits;

use axum::extract::DefaultBodyLimit;
use axum::http::header::CACHE_CONTROL;
use axum::http::HeaderValue;
use axum::routing::{delete, get, post, put};
use axum::Router;
use tower::limit::ConcurrencyLimitLayer;
use tower::ServiceBuilder;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
use crate::state::AppState;
use htx_core::photo::MAX_PHOTO_BYTES;

/// Body limit of the JSON endpoints other than push (after decompression).
const DEFAULT_BODY_LIMIT: usize = 256 * 1024;

fn v1_router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/password", put(auth::change_password))
        .route(
            "/sync/push",
            // Outermost: a push waits for a place before its body is read.
            post(sync::push).layer(
                ServiceBuilder::new()
                    .layer(ConcurrencyLimitLayer::new(
                        crate::push_queue::MAX_PUSHES_IN_PROGRESS,
                    ))
                    .layer(DefaultBodyLimit::max(crate::sync::MAX_PUSH_BYTES)),
            ),
        )
        .route("/sync/receipt", post(sync::receipt))
        .route("/sync/pull", get(sync::pull))
        .route(
            "/blobs/{sha256}",
            put(blobs::put)
                .get(blobs::get)
                .layer(DefaultBodyLimit::max(MAX_PHOTO_BYTES)),
        )
        .route("/organisations", get(registry::list).post(registry::create))
        .route(
            "/organisations/import",
            post(registry::import).layer(DefaultBodyLimit::max(registry::MAX_IMPORT_BYTES)),
        )
        .route("/organisations/{id}", put(registry::update))
        .route("/organisations/{id}/merge", post(registry::merge))
        .route("/reviews", post(reviews::create))
        .route("/rubrics", get(rubrics::list).post(rubrics::publish))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{username}/assignments", put(users::assign))
        .route("/users/{username}/sessions", delete(users::revoke_sessions))
        .route("/users/{username}/disabled", put(users::set_disabled))
        .route("/users/{username}/password", put(users::reset_password))
        .route("/visits", get(visits::list))
        .route("/visits/{id}", get(visits::get))
        .route("/visits/{id}/owner", put(visits::set_owner))
        .route("/dashboard", get(dashboard::get))
        .route("/exports/visits.csv", get(exports::visits_csv))
        .route("/exports/visits.xlsx", get(exports::visits_xlsx))
        .route("/exports/indicators.csv", get(exports::indicators_csv))
        .route("/exports/indicators.xlsx", get(exports::indicators_xlsx))
        .layer(DefaultBodyLimit::max(DEFAULT_BODY_LIMIT))
        // The device gzips its pushes; limits above apply to the inflated body.
        .layer(RequestDecompressionLayer::new().gzip(true))
}

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .nest("/v1", v1_router())
        // Unknown /api/... paths and wrong methods answer in JSON, never with
        // the SPA's index.html.
        .fallback(|| async { AppError::not_found("no such API endpoint") })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        // API responses are never cached (by the browser, a proxy or the
        // service worker's HTTP cache), except where a handler says so (a
        // photo: its name is its content's hash).
        .layer(SetResponseHeaderLayer::if_not_present(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}
