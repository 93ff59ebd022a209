//! `PUT /api/v1/blobs/{sha256}`: photos, content-addressed. The body's
//! SHA-256 must equal the path; 201 when stored, 200 when already present.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::AuthUser;
use crate::db::{self, blobs};
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

/// Largest photo accepted, bytes.
pub const MAX_BLOB_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, Serialize)]
pub struct BlobStored {
    pub sha256: String,
    pub size: usize,
    /// false: it was already stored (nothing written).
    pub created: bool,
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub async fn put(
    State(state): State<AppState>,
    user: AuthUser,
    Path(sha256): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<BlobStored>)> {
    if !is_sha256_hex(&sha256) {
        return Err(AppError::BadRequest(
            "the blob name must be a lowercase hex SHA-256 (64 characters)".into(),
        ));
    }
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(format!("a blob is at most {MAX_BLOB_BYTES} bytes"))
        } else {
            AppError::BadRequest(e.body_text())
        }
    })?;
    let size = body.len();
    let actual = hex::encode(Sha256::digest(&body));
    if actual != sha256 {
        return Err(AppError::BadRequest(format!(
            "the body's SHA-256 is {actual}, not {sha256}"
        )));
    }
    if blobs::exists(&state.db, &sha256).await? {
        return Ok((
            StatusCode::OK,
            Json(BlobStored {
                sha256,
                size,
                created: false,
            }),
        ));
    }
    let created =
        blobs::insert_if_absent(&state.db, &sha256, &body, &user.id, &db::now_timestamp()).await?;
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
