//! Downloads for alliance staff (reviewer, admin), with the filters and the
//! scope of the dashboard (`year`, `hierarchy`, `place`, `reviewed`):
//!
//! - `GET /api/v1/exports/visits.csv`, `/exports/visits.xlsx`: one row per
//!   visit, its revision that counts in the year;
//! - `GET /api/v1/exports/indicators.csv`, `/exports/indicators.xlsx`: one
//!   row per Phụ lục 1 indicator (the workbook has a second sheet with the
//!   organisations without a visit).
//!
//! Files are attachments named e.g. `luot-khao-sat-2025.csv`,
//! `chi-tieu-2025-cu-903-tat-ca.xlsx` (see `ReportData::file_suffix`).

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::export::{self, Table, CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE};
use crate::extract::{AppQuery, Staff};
use crate::report::{self, ReportData, ReportQuery};
use crate::state::AppState;
use htx_core::RubricRegistry;

#[derive(Clone, Copy)]
enum What {
    Visits,
    Indicators,
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Xlsx,
}

fn tables(what: What, format: Format, data: &ReportData, rubrics: &RubricRegistry) -> Vec<Table> {
    match what {
        What::Visits => vec![export::visits_table(&data.visit_lines(rubrics))],
        What::Indicators => {
            let report = data.indicators(rubrics);
            let values = report
                .groups
                .first()
                .map(|g| g.indicators.as_slice())
                .unwrap_or_default();
            let mut t = vec![export::indicators_table(values, &report::not_measured())];
            if matches!(format, Format::Xlsx) {
                t.push(export::without_visit_table(
                    &data.organisations_without_visit(),
                ));
            }
            t
        }
    }
}

async fn download(
    state: AppState,
    user: AuthUser,
    q: ReportQuery,
    what: What,
    format: Format,
) -> ApiResult<Response> {
    let filter = q.parse(&state)?;
    let data = report::load(&state, &user, filter).await?;
    let base = match what {
        What::Visits => "luot-khao-sat",
        What::Indicators => "chi-tieu",
    };
    let (ext, content_type) = match format {
        Format::Csv => ("csv", CSV_CONTENT_TYPE),
        Format::Xlsx => ("xlsx", XLSX_CONTENT_TYPE),
    };
    let file_name = format!("{base}{}.{ext}", data.file_suffix());
    // Published through any server process, as the pushes were scored.
    let rubrics = state.fresh_rubrics().await?;
    // Writing a workbook of a province's year is CPU work: off the async threads.
    let bytes = tokio::task::spawn_blocking(move || {
        let tables = tables(what, format, &data, &rubrics);
        match format {
            Format::Csv => export::to_csv(&tables[0]),
            Format::Xlsx => export::to_xlsx(&tables),
        }
    })
    .await
    .map_err(anyhow::Error::from)??;
    Ok((
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_DISPOSITION, export::attachment(&file_name)),
        ],
        bytes,
    )
        .into_response())
}

pub async fn visits_csv(
    State(state): State<AppState>,
    Staff(user): Staff,
    AppQuery(q): AppQuery<ReportQuery>,
) -> ApiResult<Response> {
    download(state, user, q, What::Visits, Format::Csv).await
}

pub async fn visits_xlsx(
    State(state): State<AppState>,
    Staff(user): Staff,
    AppQuery(q): AppQuery<ReportQuery>,
) -> ApiResult<Response> {
    download(state, user, q, What::Visits, Format::Xlsx).await
}

pub async fn indicators_csv(
    State(state): State<AppState>,
    Staff(user): Staff,
    AppQuery(q): AppQuery<ReportQuery>,
) -> ApiResult<Response> {
    download(state, user, q, What::Indicators, Format::Csv).await
}

pub async fn indicators_xlsx(
    State(state): State<AppState>,
    Staff(user): Staff,
    AppQuery(q): AppQuery<ReportQuery>,
) -> ApiResult<Response> {
    download(state, user, q, What::Indicators, Format::Xlsx).await
}
