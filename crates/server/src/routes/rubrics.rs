//! Rubric versions (bộ tiêu chí xếp loại).
//!
//! - `GET  /api/v1/rubrics` (reviewer, admin) → the versions in force
//! - `POST /api/v1/rubrics` (admin) a `htx_core::Rubric` → 201; checked by
//!   htx-core (points add up, grade bands cover the range, …); a version
//!   already published with other content is a 409. Devices receive it with
//!   their next pull.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use htx_core::Rubric;

use crate::db::{self, audit, rubrics};
use crate::error::{ApiResult, AppError};
use crate::extract::{Admin, AppJson, Staff};
use crate::state::AppState;

pub use htx_core::api::RubricSummary;

pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
) -> ApiResult<Json<Vec<RubricSummary>>> {
    Ok(Json(
        state
            .fresh_rubrics()
            .await?
            .iter()
            .map(|r| RubricSummary {
                id: r.id.clone(),
                version: r.version,
                title_vi: r.title_vi.clone(),
                legal_basis: r.legal_basis.clone(),
                valid_from: r.valid_from,
                valid_until: r.valid_until,
            })
            .collect(),
    ))
}

pub async fn publish(
    State(state): State<AppState>,
    Admin(user): Admin,
    AppJson(rubric): AppJson<Rubric>,
) -> ApiResult<StatusCode> {
    let mut registry = (*state.fresh_rubrics().await?).clone();
    if registry.get(&rubric.id, rubric.version).is_some() {
        return Err(AppError::Conflict(format!(
            "rubric {} version {} is already published; publish a new version",
            rubric.id, rubric.version
        )));
    }
    registry
        .add(rubric.clone())
        .map_err(|e| AppError::BadRequest(format!("rubric refused: {e}")))?;
    let body = serde_json::to_string(&rubric).map_err(anyhow::Error::from)?;
    let now = db::now_timestamp();
    let mut tx = state.begin_write().await?;
    let version = i64::from(rubric.version);
    if !rubrics::insert(&mut tx, &rubric.id, version, &body, &user.id, &now).await? {
        return Err(AppError::Conflict(
            "published meanwhile by someone else".into(),
        ));
    }
    let detail =
        serde_json::json!({ "id": rubric.id, "version": rubric.version, "title": rubric.title_vi });
    let key = format!("{}@{}", rubric.id, rubric.version);
    audit::record(
        &mut *tx,
        &now,
        &user.id,
        "rubric.publish",
        audit::ENTITY_RUBRIC,
        &key,
        &detail,
    )
    .await?;
    tx.commit().await?;
    // Reload rather than install `registry`: another publish may have landed
    // between our snapshot and our commit.
    state.load_rubrics().await?;
    Ok(StatusCode::CREATED)
}
