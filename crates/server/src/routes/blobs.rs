//! `/api/v1/blobs/{sha256}`: photos, content-addressed. PUT stores an image
//! whose SHA-256 equals the path (201 stored, 200 already present); GET
//! returns it to staff and to the officer who uploaded it.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use htx_core::photo::{is_sha256_hex, sha256_hex, ImageType, MAX_PHOTO_BYTES};
use serde::Serialize;

use crate::auth::AuthUser;
use crate::db::{self, blobs};
use crate::error::{ApiResult, AppError};
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
    Path(sha256): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<BlobStored>)> {
    check_name(&sha256)?;
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
    let created = !blobs::exists(&state.db, &sha256).await?
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
    Path(sha256): Path<String>,
) -> ApiResult<Response> {
    check_name(&sha256)?;
    let blob = blobs::get(&state.db, &sha256)
        .await?
        .ok_or_else(|| AppError::not_found("no photo with this SHA-256"))?;
    if user.require_staff().is_err() && blob.uploaded_by != user.id {
        return Err(AppError::forbidden(
            "only staff and the officer who took it may see this photo",
        ));
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
