//! The registry of organisations (danh bạ tổ chức KTTT), for alliance staff
//! within their scope. Every change is recorded for devices (pull) and in
//! the audit log.
//!
//! - `GET  /api/v1/organisations?q&place&kind&sector&status&provisional&page&per_page`
//!   (`place`: a unit of the current hierarchy, e.g. a commune)
//! - `POST /api/v1/organisations` an `htx_core::Organisation` → 201
//! - `PUT  /api/v1/organisations/{id}` an `htx_core::Organisation` (same id): edit,
//!   including the legal status (e.g. ngừng hoạt động, chờ giải thể)
//! - `POST /api/v1/organisations/{id}/merge` `{into}`: a provisional organisation
//!   from the field is the same as an existing one
//! - `POST /api/v1/organisations/import` CSV text (see `htx_core::registry`):
//!   every row or none; 422 with every row's problems

use axum::extract::rejection::StringRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use htx_core::console::{RegistryItem, RegistryPage};
use htx_core::registry::{parse_registry_csv, RowError};
use htx_core::search::{fold, organisation_key};
use htx_core::{Hierarchy, Organisation, PlaceRef, Sector};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::organisations::{self, OrganisationRow};
use crate::db::{self, audit, visit_index};
use crate::error::{ApiResult, AppError};
use crate::extract::{AppJson, AppPath, AppQuery, Staff};
use crate::scope::Scope;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct RegistryQuery {
    pub q: Option<String>,
    pub place: Option<String>,
    pub kind: Option<String>,
    pub sector: Option<String>,
    pub status: Option<String>,
    /// `true`: only provisional organisations not merged yet.
    pub provisional: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub async fn list(
    State(state): State<AppState>,
    Staff(user): Staff,
    AppQuery(q): AppQuery<RegistryQuery>,
) -> ApiResult<Json<RegistryPage>> {
    // Each organisation's visits are counted from the console's list rows.
    crate::index_follower::wait_for_list(&state.write_handle()).await?;
    let mut scope = Scope::of(&state, &user).await?;
    if let Some(place) = given(&q.place) {
        scope = scope.within(
            &state.reference.places,
            &[PlaceRef::new(Hierarchy::New, place)],
        );
    }
    let rows =
        organisations::in_places(&state.db, scope.as_json(&state.reference.places).as_deref())
            .await?;
    let text = given(&q.q).map(fold);
    let sector_codes = given(&q.sector).map(|c| Sector::from_code(c).codes());
    let only_provisional = given(&q.provisional) == Some("true");
    let matching: Vec<_> = rows
        .into_iter()
        .filter(|r| {
            let o = &r.row;
            given(&q.kind).is_none_or(|k| o.kind == k)
                && sector_codes.is_none_or(|codes| codes.contains(&o.sector.as_str()))
                && given(&q.status).is_none_or(|s| o.legal_status == s)
                && (!only_provisional || (o.provisional && r.merged_into.is_none()))
                && text.as_ref().is_none_or(|t| {
                    organisation_key(&o.name, o.registration_code.as_deref()).contains(t.as_str())
                })
        })
        .collect();
    let per_page = q.per_page.unwrap_or(50).clamp(1, 500);
    let page = q.page.unwrap_or(1).max(1);
    let total = matching.len();
    let items = matching
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .filter_map(|r| {
            Some(RegistryItem {
                organisation: organisations::to_core(&r.row)?,
                place_name: r.row.place_name,
                merged_into: r.merged_into,
                visits: r.visits,
            })
        })
        .collect();
    Ok(Json(RegistryPage {
        total,
        page,
        per_page,
        items,
    }))
}

/// Why an organisation sent by staff is refused, in both languages (the
/// import shows it on the file's line).
struct Refusal {
    /// Field path of `htx_core::Organisation`.
    path: String,
    outside_scope: bool,
    vi: String,
    en: String,
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        if r.outside_scope {
            AppError::OutOfScope { vi: r.vi, en: r.en }
        } else {
            AppError::Invalid {
                path: r.path,
                vi: r.vi,
                en: r.en,
            }
        }
    }
}

/// Checks an organisation sent by staff and makes its row: valid for
/// htx-core, in a commune of the user's scope.
fn checked_row(
    state: &AppState,
    scope: &Scope,
    o: &Organisation,
    provisional: bool,
    now: &str,
) -> Result<OrganisationRow, Refusal> {
    let today = chrono::Utc::now()
        .with_timezone(&htx_core::time::VN_OFFSET)
        .date_naive();
    let errors = htx_core::validate_organisation(o, today, Some(&state.reference.places));
    if let Some(e) = errors.into_iter().next() {
        return Err(Refusal {
            path: e.path,
            outside_scope: false,
            vi: e.message_vi,
            en: e.message_en,
        });
    }
    let refuse = |outside_scope: bool, vi: String, en: String| Refusal {
        path: "place_new".into(),
        outside_scope,
        vi,
        en,
    };
    let Some(code) = o.place_new.as_deref() else {
        return Err(refuse(false, "Bắt buộc".into(), "Required".into()));
    };
    if !scope.allows(code) {
        return Err(refuse(
            true,
            format!("Xã {code} nằm ngoài địa bàn bạn phụ trách"),
            format!("Commune {code} is outside your scope"),
        ));
    }
    let Some(place) = state.reference.places.get(Hierarchy::New, code) else {
        return Err(refuse(
            false,
            format!("Không có xã mã {code}"),
            format!("No commune {code}"),
        ));
    };
    organisations::row_from_core(o, &place.name, provisional, now).ok_or_else(|| Refusal {
        path: "registration_code".into(),
        outside_scope: false,
        vi: "Mã của tổ chức không hợp lệ".into(),
        en: "The organisation's codes are not valid".into(),
    })
}

pub async fn create(
    State(state): State<AppState>,
    Staff(user): Staff,
    AppJson(o): AppJson<Organisation>,
) -> ApiResult<(StatusCode, Json<Organisation>)> {
    let scope = Scope::of(&state, &user).await?;
    let now = db::now_timestamp();
    let mut row = checked_row(&state, &scope, &o, false, &now)?;
    row.is_demo = user.is_demo;
    let mut tx = state.begin_write().await?;
    if !organisations::insert_if_absent(&mut tx, &row).await? {
        return Err(AppError::Conflict(
            "an organisation with this id or registration code exists".into(),
        ));
    }
    let detail = serde_json::to_value(&o).map_err(anyhow::Error::from)?;
    audit::record(
        &mut *tx,
        &now,
        &user.id,
        "organisation.create",
        audit::ENTITY_ORGANISATION,
        &row.id,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(o)))
}

pub async fn update(
    State(state): State<AppState>,
    Staff(user): Staff,
    AppPath(id): AppPath<Uuid>,
    AppJson(o): AppJson<Organisation>,
) -> ApiResult<Json<Organisation>> {
    if o.id != id {
        return Err(AppError::BadRequest(
            "the body's id differs from the path's".into(),
        ));
    }
    let scope = Scope::of(&state, &user).await?;
    let id = id.to_string();
    let stored = organisations::find(&state.db, &id)
        .await?
        .filter(|r| scope.allows(&r.place_code))
        .ok_or_else(|| AppError::not_found("no such organisation"))?;
    let now = db::now_timestamp();
    let row = checked_row(
        &state,
        &scope,
        &o,
        stored.provisional && o.provisional,
        &now,
    )?;
    let before = organisations::to_core(&stored);
    let mut tx = state.begin_write().await?;
    if !organisations::update(&mut tx, &row).await? {
        return Err(AppError::Conflict(
            "this registration code belongs to another organisation".into(),
        ));
    }
    visit_index::set_search_key(&mut *tx, &id, &crate::console::search_key(&row)).await?;
    let detail = serde_json::json!({ "before": before, "after": o });
    audit::record(
        &mut *tx,
        &now,
        &user.id,
        "organisation.update",
        audit::ENTITY_ORGANISATION,
        &id,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(o))
}

pub use htx_core::api::MergeRequest;

pub async fn merge(
    State(state): State<AppState>,
    Staff(user): Staff,
    AppPath(id): AppPath<Uuid>,
    AppJson(req): AppJson<MergeRequest>,
) -> ApiResult<StatusCode> {
    let scope = Scope::of(&state, &user).await?;
    let (from_id, into_id) = (id.to_string(), req.into.to_string());
    let refuse = |vi: &str, en: &str| AppError::Invalid {
        path: "into".into(),
        vi: vi.into(),
        en: en.into(),
    };
    if from_id == into_id {
        return Err(refuse(
            "Không thể gộp một tổ chức vào chính nó",
            "An organisation cannot be merged into itself",
        ));
    }
    let not_found = || AppError::not_found("no such organisation");
    let now = db::now_timestamp();
    // Checked inside the write transaction, so two staff merging at once
    // cannot both succeed or build a chain of merges.
    let mut tx = state.begin_write().await?;
    let from = organisations::find(&mut *tx, &from_id)
        .await?
        .filter(|r| scope.allows(&r.place_code))
        .ok_or_else(not_found)?;
    let into = organisations::find(&mut *tx, &into_id)
        .await?
        .filter(|r| scope.allows(&r.place_code))
        .ok_or_else(not_found)?;
    if !from.provisional {
        return Err(refuse(
            "Chỉ gộp tổ chức tạm (ghi nhận ngoài thực địa)",
            "Only a provisional organisation (found in the field) is merged",
        ));
    }
    // Only provisional organisations are merged, and never into one: a merge
    // target is final, so a visit's organisation resolves in one step.
    if into.provisional {
        return Err(refuse(
            "Phải gộp vào một tổ chức trong danh bạ, không phải tổ chức tạm",
            "The target must be a registry organisation, not a provisional one",
        ));
    }
    // The console files the visits under the target's commune as recorded by
    // the officer; a commune recorded wrongly is corrected first (Sửa).
    if from.place_code != into.place_code {
        return Err(refuse(
            "Hai tổ chức phải cùng xã: hãy sửa xã của tổ chức tạm trước",
            "Both must be in the same commune: correct the provisional organisation's commune first",
        ));
    }
    if organisations::merged_into(&mut *tx, &from_id)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict("it is already merged".into()));
    }
    let key = crate::console::search_key(&into);
    organisations::merge(&mut tx, &from_id, &into, &key, &now).await?;
    let detail = serde_json::json!({ "into": into_id, "into_name": into.name, "name": from.name });
    audit::record(
        &mut *tx,
        &now,
        &user.id,
        "organisation.merge",
        audit::ENTITY_ORGANISATION,
        &from_id,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize)]
pub struct Imported {
    pub imported: usize,
}

/// 422 with every row's problems, in the API's error shape.
fn invalid_rows(rows: Vec<RowError>) -> Response {
    let mut body = htx_core::api::ErrorEnvelope::new(
        "invalid_rows",
        format!(
            "{} problem(s) in the file; nothing was imported",
            rows.len()
        ),
    );
    body.error.rows = rows;
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Largest CSV accepted: a province's whole registry (thousands of rows of a
/// few hundred bytes) fits many times over.
pub const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

pub async fn import(
    State(state): State<AppState>,
    Staff(user): Staff,
    body: Result<String, StringRejection>,
) -> ApiResult<Response> {
    let text = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge(format!(
            "a registry file holds at most {} MiB",
            MAX_IMPORT_BYTES / 1024 / 1024
        )),
        _ => AppError::BadRequest(format!("the file is not UTF-8 text: {}", e.body_text())),
    })?;
    let scope = Scope::of(&state, &user).await?;
    let now_vn = chrono::Utc::now().with_timezone(&htx_core::time::VN_OFFSET);
    let parsed = parse_registry_csv(&text, now_vn.date_naive(), &state.reference.places, |_| {
        Uuid::now_v7()
    });
    let orgs = match parsed {
        Ok(orgs) => orgs,
        Err(rows) => return Ok(invalid_rows(rows)),
    };
    let now = db::now_timestamp();
    let mut problems = Vec::new();
    let mut tx = state.begin_write().await?;
    for (line, o) in &orgs {
        let (line, o) = (*line, o);
        let row = match checked_row(&state, &scope, o, false, &now) {
            Ok(row) => organisations::OrganisationRow {
                is_demo: user.is_demo,
                ..row
            },
            Err(r) => {
                problems.push(RowError {
                    line,
                    column: "ma_xa".into(),
                    message_vi: format!("{}: {}", o.name, r.vi),
                    message_en: format!("{}: {}", o.name, r.en),
                });
                continue;
            }
        };
        if !organisations::insert_if_absent(&mut tx, &row).await? {
            let code = o.registration_code.clone().unwrap_or_default();
            problems.push(RowError {
                line,
                column: "ma_so".into(),
                message_vi: format!("Mã số {code} đã có trong danh bạ"),
                message_en: format!("Code {code} is already in the registry"),
            });
        }
    }
    if !problems.is_empty() {
        tx.rollback().await?;
        return Ok(invalid_rows(problems));
    }
    let detail = serde_json::json!({ "imported": orgs.len() });
    audit::record(
        &mut *tx,
        &now,
        &user.id,
        "organisation.import",
        audit::ENTITY_ORGANISATION,
        "",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(Imported {
            imported: orgs.len(),
        }),
    )
        .into_response())
}
