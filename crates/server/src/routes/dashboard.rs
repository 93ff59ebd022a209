//! `GET /api/v1/dashboard?year&hierarchy&place&reviewed` (reviewer, admin):
//! the plan's indicators (Phụ lục 1) for a year and a place of the user's
//! scope, with the numbers behind each figure and the organisations without
//! a visit that year ([`crate::report::Dashboard`]).

use axum::extract::State;
use axum::Json;

use crate::error::ApiResult;
use crate::extract::{AppQuery, Staff};
use crate::report::{self, Dashboard, ReportQuery};
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    Staff(user): Staff,
    AppQuery(q): AppQuery<ReportQuery>,
) -> ApiResult<Json<Dashboard>> {
    let filter = q.parse(&state)?;
    let data = report::load(&state, &user, filter).await?;
    // Published through any server process, as the pushes were scored.
    let rubrics = state.fresh_rubrics().await?;
    // A province's year of visits: computed off the async threads.
    let dashboard = tokio::task::spawn_blocking(move || data.dashboard(&rubrics))
        .await
        .map_err(anyhow::Error::from)?;
    Ok(Json(dashboard))
}
