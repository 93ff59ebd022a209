//! `GET /api/v1/visits/{id}`: the latest stored revision of a visit and its
//! history (every accepted revision), plus unresolved conflicts.

use axum::extract::{Path, State};
use axum::Json;
use htx_core::Visit;
use serde::Serialize;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::{users, visits};
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct StoredRevision {
    pub revision: i64,
    pub replaces_revision: Option<i64>,
    pub hash: String,
    pub received_at: String,
    pub visit: Visit,
}

#[derive(Debug, Serialize)]
pub struct ConflictInfo {
    pub revision: i64,
    pub hash: String,
    pub reason: String,
    pub server_hash: String,
    pub received_at: String,
}

#[derive(Debug, Serialize)]
pub struct VisitHistory {
    pub latest: StoredRevision,
    /// Oldest first.
    pub revisions: Vec<StoredRevision>,
    pub conflicts: Vec<ConflictInfo>,
}

fn stored(row: visits::RevisionRow) -> ApiResult<StoredRevision> {
    Ok(StoredRevision {
        revision: row.revision,
        replaces_revision: row.replaces_revision,
        hash: row.content_hash,
        received_at: row.received_at,
        visit: serde_json::from_str(&row.body).map_err(anyhow::Error::from)?,
    })
}

pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<VisitHistory>> {
    let id = id.to_string();
    let not_found = || AppError::not_found("no such visit");
    let latest = visits::latest(&state.db, &id)
        .await?
        .ok_or_else(not_found)?;
    if let Some(user_id) = user.place_scope() {
        // Another officer's visit: answered as if it did not exist.
        if !users::has_place(&state.db, user_id, &latest.place_code).await? {
            return Err(not_found());
        }
    }
    let revisions = visits::history(&state.db, &id)
        .await?
        .into_iter()
        .map(stored)
        .collect::<ApiResult<Vec<_>>>()?;
    let conflicts = visits::conflicts(&state.db, &id)
        .await?
        .into_iter()
        .map(|c| ConflictInfo {
            revision: c.revision,
            hash: c.content_hash,
            reason: c.reason,
            server_hash: c.server_hash,
            received_at: c.received_at,
        })
        .collect();
    Ok(Json(VisitHistory {
        latest: stored(latest)?,
        revisions,
        conflicts,
    }))
}
