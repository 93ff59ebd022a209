//! A picked image made ready to store: decoded by the browser, shrunk and
//! re-encoded where [`htx_core::photo::redraw_size`] says so, checked and
//! named by its SHA-256. The rules are in htx-core; this is the browser glue.
use htx_core::photo::{redraw_size, sha256_hex, ImageType, JPEG_QUALITY, MAX_PHOTO_BYTES};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A photo ready for [`crate::storage::DeviceStore::put_photo`].
pub struct PreparedPhoto {
    pub sha256: String,
    pub mime: &'static str,
    pub blob: web_sys::Blob,
    /// Pixels as stored.
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PhotoError {
    /// The browser cannot decode it as an image.
    NotAnImage,
    /// Still over the server's limit after shrinking.
    TooLarge,
    /// The browser failed (out of memory, canvas unavailable, ...).
    Browser(String),
}

fn browser(e: JsValue) -> PhotoError {
    PhotoError::Browser(e.as_string().unwrap_or_else(|| format!("{e:?}")))
}

/// The bytes of a stored or picked image.
pub async fn bytes_of(blob: &web_sys::Blob) -> Result<Vec<u8>, PhotoError> {
    let buffer = JsFuture::from(blob.array_buffer()).await.map_err(browser)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Decodes `file`, shrinks it if needed and names it.
pub async fn prepare(file: &web_sys::Blob) -> Result<PreparedPhoto, PhotoError> {
    let window = web_sys::window().ok_or_else(|| PhotoError::Browser("no window".into()))?;
    let mut bytes = bytes_of(file).await?;
    let bitmap: web_sys::ImageBitmap = JsFuture::from(
        window
            .create_image_bitmap_with_blob(file)
            .map_err(browser)?,
    )
    .await
    .map_err(|_| PhotoError::NotAnImage)?
    .unchecked_into();
    let (mut width, mut height) = (bitmap.width(), bitmap.height());
    let mut blob = file.clone();
    if let Some((w, h)) = redraw_size(width, height, &bytes) {
        blob = redraw(&window, &bitmap, w, h).await?;
        bytes = bytes_of(&blob).await?;
        (width, height) = (w, h);
    }
    bitmap.close();
    let kind = ImageType::sniff(&bytes).ok_or(PhotoError::NotAnImage)?;
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    Ok(PreparedPhoto {
        sha256: sha256_hex(&bytes),
        mime: kind.mime(),
        blob,
        width,
        height,
    })
}

/// Draws `bitmap` at `w`×`h` and encodes it as JPEG.
async fn redraw(
    window: &web_sys::Window,
    bitmap: &web_sys::ImageBitmap,
    w: u32,
    h: u32,
) -> Result<web_sys::Blob, PhotoError> {
    let document = window
        .document()
        .ok_or_else(|| PhotoError::Browser("no document".into()))?;
    let canvas: web_sys::HtmlCanvasElement = document
        .create_element("canvas")
        .map_err(browser)?
        .unchecked_into();
    canvas.set_width(w);
    canvas.set_height(h);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(browser)?
        .ok_or_else(|| PhotoError::Browser("no 2d canvas".into()))?
        .unchecked_into();
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(bitmap, 0.0, 0.0, f64::from(w), f64::from(h))
        .map_err(browser)?;
    // toBlob answers through a callback; a Promise makes it awaitable.
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let fail = reject.clone();
        let done = Closure::once_into_js(move |blob: JsValue| {
            let _ = if blob.is_null() {
                fail.call1(&JsValue::NULL, &"encoding failed".into())
            } else {
                resolve.call1(&JsValue::NULL, &blob)
            };
        });
        if let Err(e) = canvas.to_blob_with_type_and_encoder_options(
            done.unchecked_ref(),
            "image/jpeg",
            &JsValue::from_f64(JPEG_QUALITY),
        ) {
            let _ = reject.call1(&JsValue::NULL, &e);
        }
    });
    Ok(JsFuture::from(promise)
        .await
        .map_err(browser)?
        .unchecked_into())
}

/// A `Blob` of `bytes` typed `mime` (a photo read back from a hand-over file).
pub fn blob_of(bytes: &[u8], mime: &str) -> Result<web_sys::Blob, PhotoError> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts).map_err(browser)
}
