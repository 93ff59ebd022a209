//! `/api/v1/blobs/{sha256}`: photos, content-addressed. PUT stores an image
//! whose SHA-256 equals the path (201 stored, 200 already present), within
//! the uploader's quota of photos no visit names yet (429 beyond it). GET
//! returns it to whoever may see a visit that names it (its officer, staff
//! of its place), or, while no visit names it, to its uploader.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use htx_core::photo::{is_sha256_hex, sha256_hex, ImageType, MAX_PHOTO_BYTES};
use serde::Serialize;

use crate::auth::{AuthUser, Role};
use crate::db::{self, blobs, visits};
use crate::error::{ApiResult, AppError};
use crate::extract::AppPath;
use crate::scope::Scope;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct BlobStored {
    pub sha256: String,
    pub size: usize,
    /// false: it was already stored (nothing written).
    pub created: bool,
}

fn check_name(sha256: &str) -> ApiResult<()> {
    if is_sha256_hex(sha256) {
        Ok(())
    } else {
        Err(AppError::BadRequest(
            "the blob name must be a lowercase hex SHA-256 (64 characters)".into(),
        ))
    }
}

pub async fn put(
    State(state): State<AppState>,
    user: AuthUser,
    AppPath(sha256): AppPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<BlobStored>)> {
    check_name(&sha256)?;
    crate::sync::may_push(&state, &user)?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(format!("a blob is at most {MAX_PHOTO_BYTES} bytes"))
        } else {
            AppError::BadRequest(e.body_text())
        }
    })?;
    let size = body.len();
    let actual = sha256_hex(&body);
    if actual != sha256 {
        return Err(AppError::BadRequest(format!(
            "the body's SHA-256 is {actual}, not {sha256}"
        )));
    }
    // Only images: the console shows these to staff as pictures.
    if ImageType::sniff(&body).is_none() {
        return Err(AppError::UnsupportedMediaType(
            "a photo must be a JPEG, PNG or WebP image".into(),
        ));
    }
    let exists = blobs::exists(&state.db, &sha256).await?;
    if !exists {
        check_quota(&state, &user, size).await?;
    }
    let created = !exists
        && blobs::insert_if_absent(&state.db, &sha256, &body, &user.id, &db::now_timestamp())
            .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(BlobStored {
            sha256,
            size,
            created,
        }),
    ))
}

pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    AppPath(sha256): AppPath<String>,
) -> ApiResult<Response> {
    check_name(&sha256)?;
    let blob = blobs::get(&state.db, &sha256)
        .await?
        .ok_or_else(|| AppError::not_found("no photo with this SHA-256"))?;
    let named_by = blobs::named_by(&state.db, &sha256).await?;
    let visible = if named_by.is_empty() {
        blob.uploaded_by == user.id
    } else if user.role == Role::Officer {
        // Who owns each visit, by the one rule (visits::ownerships).
        let ids = serde_json::to_string(&named_by.iter().map(|(id, _)| id).collect::<Vec<_>>())
            .map_err(anyhow::Error::from)?;
        let keys = visits::find_keys(&state.db, &ids).await?;
        visits::ownerships(&keys)
            .values()
            .any(|o| o.owner == user.id)
    } else {
        let scope = Scope::of(&state, &user).await?;
        named_by.iter().any(|(_, place)| scope.allows(place))
    };
    // Answered as if it did not exist: a photo's name says nothing to
    // someone who may not see it.
    if !visible {
        return Err(AppError::not_found("no photo with this SHA-256"));
    }
    let mime = ImageType::sniff(&blob.content).map_or("application/octet-stream", ImageType::mime);
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            // Content-addressed: the bytes behind a name never change.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=31536000, immutable"),
            ),
        ],
        blob.content,
    )
        .into_response())
}

/// Seconds a device over its photo quota is asked to wait: its photos count
/// again once the visits that name them are pushed, or are removed unnamed.
const QUOTA_RETRY_SECS: u64 = 600;

/// Refuses an upload that would take the account past its quota of photos
/// no visit names yet (count and bytes).
async fn check_quota(state: &AppState, user: &AuthUser, size: usize) -> ApiResult<()> {
    let (count, bytes) = blobs::unreferenced_of(&state.db, &user.id).await?;
    let max_count = state.config.photo_quota_count;
    let max_bytes = state.config.photo_quota_mib.saturating_mul(1024 * 1024);
    let count = u64::try_from(count).unwrap_or(0);
    let bytes = u64::try_from(bytes).unwrap_or(0);
    if count >= max_count || bytes.saturating_add(size as u64) > max_bytes {
        return Err(AppError::QuotaExceeded {
            message: format!(
                "this account already holds {count} photos ({bytes} bytes) that no visit names; \
                 the limit is {max_count} photos and {max_bytes} bytes: push the visits that name them first"
            ),
            retry_after_secs: QUOTA_RETRY_SECS,
        });
    }
    Ok(())
}

/// The upload time before which a photo no visit names is removed
/// (`--unreferenced-photo-days` ago), as `blobs.created_at` is written.
pub fn unreferenced_cutoff(older_than_days: u32) -> String {
    let before = chrono::Utc::now() - chrono::Duration::days(i64::from(older_than_days));
    before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
