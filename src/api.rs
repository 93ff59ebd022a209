//! Calls to the server's JSON API. Errors keep the server's stable code so
//! the UI can say what happened in the officer's language.
use crate::session::Session;
use crate::storage::DeviceStore;
use htx_core::api::{ErrorEnvelope, LoginRequest, LoginResponse, NewReview};
use htx_core::review::ReviewDecision;
use htx_core::sync::{PullResponse, PushResponse, ReceiptQuery, ReceiptResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer at all (offline, server down).
    Network,
    /// The server answered with an error; `message_vi`: the same in
    /// Vietnamese where the server has it; `rows`: per-row problems of an
    /// import (`invalid_rows`).
    Server {
        status: u16,
        code: String,
        message: String,
        message_vi: Option<String>,
        rows: Vec<htx_core::registry::RowError>,
    },
    /// An answer this build cannot read.
    Decode(String),
}

impl ApiError {
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ApiError::Server { status: 401, .. })
    }
}

/// A request body: JSON text, or JSON gzip-compressed by the browser.
#[derive(Clone)]
enum Body {
    Json(String),
    Csv(String),
    Gzip(js_sys::Uint8Array),
    /// A photo's bytes and their type.
    Image(String, web_sys::Blob),
}

/// Sends one request; `Err(Network)` only when no answer came.
async fn send(
    method: &str,
    path: &str,
    body: Option<Body>,
    token: Option<&str>,
) -> Result<web_sys::Response, ApiError> {
    let window = web_sys::window().ok_or(ApiError::Network)?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_cache(web_sys::RequestCache::NoStore);
    let headers = web_sys::Headers::new().map_err(|_| ApiError::Network)?;
    let _ = headers.set("Accept", "application/json");
    if let Some(t) = token {
        let _ = headers.set("Authorization", &format!("Bearer {t}"));
    }
    match body {
        Some(Body::Json(b)) => {
            let _ = headers.set("Content-Type", "application/json");
            init.set_body(&wasm_bindgen::JsValue::from_str(&b));
        }
        Some(Body::Csv(b)) => {
            let _ = headers.set("Content-Type", "text/csv; charset=utf-8");
            init.set_body(&wasm_bindgen::JsValue::from_str(&b));
        }
        Some(Body::Image(mime, blob)) => {
            let _ = headers.set("Content-Type", &mime);
            init.set_body(&blob);
        }
        Some(Body::Gzip(bytes)) => {
            let _ = headers.set("Content-Type", "application/json");
            let _ = headers.set("Content-Encoding", "gzip");
            init.set_body(&bytes);
        }
        None => {}
    }
    init.set_headers(&headers);
    let request =
        web_sys::Request::new_with_str_and_init(path, &init).map_err(|_| ApiError::Network)?;
    JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| ApiError::Network)?
        .dyn_into()
        .map_err(|_| ApiError::Network)
}

async fn fetch_json<R: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<Body>,
    token: Option<&str>,
) -> Result<R, ApiError> {
    let resp = send(method, path, body, token).await?;
    let text = JsFuture::from(resp.text().map_err(|_| ApiError::Network)?)
        .await
        .map_err(|_| ApiError::Network)?
        .as_string()
        .unwrap_or_default();
    if !resp.ok() {
        let e = serde_json::from_str::<ErrorEnvelope>(&text)
            .map(|b| b.error)
            .unwrap_or_else(|_| {
                ErrorEnvelope::new("http_error", text.chars().take(200).collect::<String>()).error
            });
        return Err(ApiError::Server {
            status: resp.status(),
            code: e.code,
            message: e.message,
            message_vi: e.message_vi,
            rows: e.rows,
        });
    }
    // 204 No Content and other empty answers read as JSON null.
    let text = if text.is_empty() {
        "null".to_owned()
    } else {
        text
    };
    serde_json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()))
}

/// Revokes this device's token on the server (sign-out). Offline, or with a
/// token the server no longer knows, there is nothing to revoke: the caller
/// forgets the token either way.
pub async fn logout(token: &str) -> Result<(), ApiError> {
    let _: serde_json::Value = fetch_json("POST", "/api/v1/auth/logout", None, Some(token)).await?;
    Ok(())
}

pub async fn login(username: &str, password: &str) -> Result<Session, ApiError> {
    let request = LoginRequest {
        username: username.to_owned(),
        password: password.to_owned(),
    };
    let body = serde_json::to_string(&request).unwrap_or_default();
    let r: LoginResponse =
        fetch_json("POST", "/api/v1/auth/login", Some(Body::Json(body)), None).await?;
    Ok(Session {
        token: r.token,
        expires_at: r.expires_at,
        username: r.user.username,
        display_name: r.user.display_name,
        role: r.user.role,
        places: r.user.places,
    })
}

/// Downloads reference data changed since the stored cursor, page by page;
/// each page is stored with its cursor, so a cut connection resumes. Returns
/// the number of organisations received.
/// Pulls every page of changes since the stored cursor (`full`: since 0).
/// `None` when nothing had changed, so nothing was written.
pub async fn pull_reference(
    store: &DeviceStore,
    session: &Session,
    full: bool,
) -> Result<Option<usize>, PullError> {
    use crate::timing::{timing_end, timing_start};
    timing_start("htx-sync-pull-cursor");
    let mut since = if full {
        0
    } else {
        store
            .pull_cursor(&session.username)
            .await
            .map_err(PullError::Storage)?
            .map(|c| c.0)
            .unwrap_or(0)
    };
    timing_end("htx-sync-pull-cursor");
    let mut received = 0;
    let mut applied = false;
    loop {
        let path = format!("/api/v1/sync/pull?since={since}");
        timing_start("htx-sync-pull-request");
        let page: PullResponse = fetch_json("GET", &path, None, Some(&session.token))
            .await
            .map_err(PullError::Api)?;
        timing_end("htx-sync-pull-request");
        received += page.organisations.len();
        // Nothing changed since the cursor (the usual answer): no storage work.
        let unchanged = page.cursor.0 == since
            && page.organisations.is_empty()
            && page.places.is_empty()
            && page.rubrics.is_empty()
            && page.reviews.is_empty();
        if unchanged && since > 0 {
            return Ok(applied.then_some(received));
        }
        let now = chrono::Utc::now().to_rfc3339();
        store
            .apply_pull(&page, &session.username, &now)
            .await
            .map_err(PullError::Storage)?;
        applied = true;
        if !page.has_more || page.cursor.0 == since {
            return Ok(Some(received));
        }
        since = page.cursor.0;
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PullError {
    Api(ApiError),
    Storage(crate::storage::StorageError),
}

/// JSON for the server, gzip-compressed when the browser can
/// (`CompressionStream`): officers sync over weak mobile links.
async fn compressed_json<T: Serialize>(value: &T) -> Result<Body, ApiError> {
    let text = serde_json::to_string(value).map_err(|e| ApiError::Decode(e.to_string()))?;
    Ok(compressed(text).await)
}

/// JSON text for the server, gzip-compressed when the browser can.
async fn compressed(text: String) -> Body {
    match crate::net::gzip(&text).await {
        Some(bytes) => Body::Gzip(bytes),
        None => Body::Json(text),
    }
}

impl Body {
    /// Bytes on the wire (before HTTP framing).
    fn len(&self) -> usize {
        match self {
            Body::Json(s) | Body::Csv(s) => s.len(),
            Body::Gzip(b) => b.length() as usize,
            Body::Image(_, b) => b.size() as usize,
        }
    }
}

/// The push body around records already in JSON (`records_json`, an
/// array): the same document as a serialized [`htx_core::sync::PushBatch`].
#[derive(Serialize)]
struct PushEnvelope<'a> {
    protocol_version: u32,
    device_id: Uuid,
    batch_id: Uuid,
    sent_at: chrono::DateTime<chrono::FixedOffset>,
    records: &'a serde_json::value::RawValue,
}

/// A sync request's body (a push, a receipt query), built and compressed
/// ahead of its turn: a push waits for the answer to the one before it,
/// and building the next bodies meanwhile keeps that wait the only one.
pub struct SyncBody(Body);

impl SyncBody {
    /// Bytes on the wire (before HTTP framing).
    pub fn bytes(&self) -> usize {
        self.0.len()
    }
}

/// The push body of one batch of final revisions (`records_json`: their
/// JSON array, as the outbox hands it over). `sent_at` is when it was built.
pub async fn push_body(
    device_id: Uuid,
    batch_id: Uuid,
    records_json: &str,
) -> Result<SyncBody, ApiError> {
    use crate::timing::{timing_end, timing_start};
    timing_start("htx-sync-take-encode");
    let records: &serde_json::value::RawValue =
        serde_json::from_str(records_json).map_err(|e| ApiError::Decode(e.to_string()))?;
    let envelope = PushEnvelope {
        protocol_version: htx_core::PROTOCOL_VERSION,
        device_id,
        batch_id,
        sent_at: htx_core::time::to_vn(&chrono::Utc::now()),
        records,
    };
    let text = serde_json::to_string(&envelope).map_err(|e| ApiError::Decode(e.to_string()))?;
    timing_end("htx-sync-take-encode");
    timing_start("htx-sync-take-gzip");
    let body = compressed(text).await;
    timing_end("htx-sync-take-gzip");
    Ok(SyncBody(body))
}

/// Sends one batch; one result per record.
pub async fn push(body: &SyncBody, token: &str) -> Result<PushResponse, ApiError> {
    fetch_json(
        "POST",
        "/api/v1/sync/push",
        Some(body.0.clone()),
        Some(token),
    )
    .await
}

/// The body of a receipt query.
pub async fn receipt_body(query: &ReceiptQuery) -> Result<SyncBody, ApiError> {
    compressed_json(query).await.map(SyncBody)
}

/// Which of these revisions the server holds (the only proof of arrival).
pub async fn receipts(query: &SyncBody, token: &str) -> Result<ReceiptResponse, ApiError> {
    fetch_json(
        "POST",
        "/api/v1/sync/receipt",
        Some(query.0.clone()),
        Some(token),
    )
    .await
}

/// Uploads a photo under its SHA-256 (the server checks the name against
/// the bytes; present already is success too).
pub async fn put_photo(photo: &crate::storage::StoredPhoto, token: &str) -> Result<(), ApiError> {
    let path = format!("/api/v1/blobs/{}", photo.sha256);
    let body = Body::Image(photo.mime.clone(), photo.blob.clone());
    let _: serde_json::Value = fetch_json("PUT", &path, Some(body), Some(token)).await?;
    Ok(())
}

/// The signed-in user's token, or the 401 the server would answer.
fn token() -> Result<String, ApiError> {
    Session::load().map(|s| s.token).ok_or(ApiError::Server {
        status: 401,
        code: "unauthorized".into(),
        message: String::new(),
        message_vi: None,
        rows: Vec::new(),
    })
}

/// GET an API path as the signed-in user (the review console).
pub async fn get_signed_in<R: DeserializeOwned>(path: &str) -> Result<R, ApiError> {
    fetch_json("GET", path, None, Some(&token()?)).await
}

/// Approves (`approved`) or returns (`returned`, with a comment) a stored
/// visit revision.
pub async fn post_review(
    visit_id: Uuid,
    revision: i64,
    decision: ReviewDecision,
    comment: &str,
) -> Result<(), ApiError> {
    let review = NewReview {
        visit_id,
        revision: u32::try_from(revision).map_err(|e| ApiError::Decode(e.to_string()))?,
        decision,
        comment: comment.to_owned(),
    };
    let _: serde_json::Value = send_json("POST", "/api/v1/reviews", &review).await?;
    Ok(())
}

/// Sends `body` as JSON with `method` as the signed-in user.
pub async fn send_json<R: DeserializeOwned, B: Serialize>(
    method: &str,
    path: &str,
    body: &B,
) -> Result<R, ApiError> {
    let text = serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))?;
    fetch_json(method, path, Some(Body::Json(text)), Some(&token()?)).await
}

/// Posts a CSV file's text as the signed-in user.
pub async fn post_csv<R: DeserializeOwned>(path: &str, csv: String) -> Result<R, ApiError> {
    fetch_json("POST", path, Some(Body::Csv(csv)), Some(&token()?)).await
}

/// Downloads a file the server makes for the signed-in user (an export) and
/// offers it to save as `name`.
pub async fn download_signed_in(path: &str, name: &str) -> Result<(), ApiError> {
    let blob = get_blob_signed_in(path).await?;
    crate::download::save_blob(name, &blob).map_err(ApiError::Decode)
}

/// GET a file (an export, a photo) as the signed-in user.
pub async fn get_blob_signed_in(path: &str) -> Result<web_sys::Blob, ApiError> {
    let resp = send("GET", path, None, Some(&token()?)).await?;
    if !resp.ok() {
        return Err(ApiError::Server {
            status: resp.status(),
            code: "http_error".into(),
            message: resp.status_text(),
            message_vi: None,
            rows: Vec::new(),
        });
    }
    JsFuture::from(resp.blob().map_err(|_| ApiError::Network)?)
        .await
        .map_err(|_| ApiError::Network)?
        .dyn_into()
        .map_err(|_| ApiError::Network)
}
