//! `GET /api/health`: liveness of the server and its database.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use crate::state::AppState;
use crate::{db, demo, index_follower};

#[derive(Debug, Serialize)]
pub struct Health {
    /// "ok" or "degraded" (database unreachable).
    pub status: &'static str,
    pub version: &'static str,
    pub protocol_version: u32,
    pub database: DatabaseHealth,
    pub demo_data: bool,
}

#[derive(Debug, Serialize)]
pub struct DatabaseHealth {
    /// "ok" or "error".
    pub status: &'static str,
    pub backend: &'static str,
    /// Version of the latest applied migration (null when unreachable).
    pub schema_version: Option<i64>,
    /// Stored revisions not yet in the review console's list (written just
    /// after each push; more than a few for long means its writer is stuck).
    pub console_list_behind: Option<i64>,
}

pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let backend = db::kind(&state.db).name();
    let probe = async {
        db::ping(&state.db).await?;
        let schema_version = db::schema_version(&state.db).await?;
        let demo_data = demo::is_seeded(&state.db).await?;
        Ok::<_, sqlx::Error>((schema_version, demo_data))
    };
    let (status, database, demo_data) = match probe.await {
        Ok((schema_version, demo_data)) => (
            StatusCode::OK,
            DatabaseHealth {
                status: "ok",
                backend,
                schema_version,
                console_list_behind: index_follower::behind(&state.db).await.ok(),
            },
            demo_data,
        ),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                DatabaseHealth {
                    status: "error",
                    backend,
                    schema_version: None,
                    console_list_behind: None,
                },
                false,
            )
        }
    };
    let body = Health {
        status: if status == StatusCode::OK {
            "ok"
        } else {
            "degraded"
        },
        version: env!("CARGO_PKG_VERSION"),
        protocol_version: htx_core::PROTOCOL_VERSION,
        database,
        demo_data,
    };
    (status, Json(body))
}
