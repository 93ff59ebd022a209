//! Serving the built app (Trunk's `dist/`) with the caching rules an
//! offline-first PWA needs:
//! - `index.html`, `sw.js`, `manifest.webmanifest` and every other file whose
//!   name carries no content hash: `Cache-Control: no-cache` (always
//!   revalidated, so a new deploy is picked up);
//! - Trunk's hashed assets (`name-<hex hash>.ext`, `name-<hex hash>_bg.wasm`):
//!   `public, max-age=31536000, immutable`;
//! - SPA fallback: a GET for an extension-less path that is not a file
//!   (e.g. `/visits/123`) gets the field app's `index.html`, or for the staff
//!   console's routes ([`htx_core::console::CONSOLE_ROUTES`]) the console's `console/index.html`
//!   (a second bundle, so phones never download the console); a missing file
//!   with an extension is a 404;
//! - no `index.html` in the static dir: a small page saying the app is not
//!   built, instead of an error.

use std::path::Path;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use htx_core::console::Part;

use crate::state::AppState;

pub const NO_CACHE: &str = "no-cache";
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Fallback handler of the router: everything that is not `/api/...`.
pub async fn serve(State(state): State<AppState>, req: Request) -> Response {
    let dir = state.config.static_dir.clone();
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let headers = req.headers().clone();

    // The build writes .br / .gz beside the big assets (scripts/lib.sh
    // precompress): sent as they are, smaller than compressing on the fly.
    let files = ServeDir::new(&dir).precompressed_br().precompressed_gzip();
    let mut response = match files.oneshot(req).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };

    if response.status() == StatusCode::NOT_FOUND
        && (method == Method::GET || method == Method::HEAD)
        && is_spa_route(&path)
    {
        let index = dir.join(page_of_route(&path));
        if !index.is_file() {
            return not_built_page(&dir);
        }
        let mut index_req = Request::new(Body::empty());
        *index_req.method_mut() = method;
        *index_req.headers_mut() = headers;
        response = match ServeFile::new(index).oneshot(index_req).await {
            Ok(response) => response.map(Body::new),
            Err(never) => match never {},
        };
        set_header(&mut response, CACHE_CONTROL, NO_CACHE);
        return response;
    }

    let cache = if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        cache_control_for(&path)
    } else {
        NO_CACHE
    };
    set_header(&mut response, CACHE_CONTROL, cache);
    if path.ends_with(".webmanifest") && response.status().is_success() {
        set_header(&mut response, CONTENT_TYPE, "application/manifest+json");
    }
    response
}

fn set_header(response: &mut Response, name: axum::http::HeaderName, value: &'static str) {
    response
        .headers_mut()
        .insert(name, HeaderValue::from_static(value));
}

/// The page (relative to the static dir) that runs the route `path`.
pub fn page_of_route(path: &str) -> &'static str {
    match Part::of_path(path) {
        Part::Console => "console/index.html",
        Part::Field => "index.html",
    }
}

/// The last path segment has no extension: a client-side route, not a file.
pub fn is_spa_route(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    !last.contains('.')
}

/// Cache-Control for a successfully served path.
pub fn cache_control_for(path: &str) -> &'static str {
    let file = path.rsplit('/').next().unwrap_or("");
    if is_hashed_asset(file) {
        IMMUTABLE
    } else {
        NO_CACHE
    }
}

/// Trunk's content-hashed names: `-` + the hash in lowercase hex, then the
/// extension (`.css`, `.js`) or a suffix such as `_bg.wasm`. Trunk prints its
/// 64-bit hash with `{:x}`, without leading zeros, so one build in 16 has 15
/// digits. Fewer than 12 digits (one file in 65,536) is not recognised and is
/// merely served `no-cache`; the floor keeps names like `icon-192.png` out.
pub fn is_hashed_asset(file_name: &str) -> bool {
    const MIN_DIGITS: usize = 12;
    const MAX_DIGITS: usize = 16;
    let bytes = file_name.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        if b != b'-' {
            return false;
        }
        let digits = bytes[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(*c))
            .count();
        let end = i + 1 + digits;
        (MIN_DIGITS..=MAX_DIGITS).contains(&digits)
            && matches!(bytes.get(end), Some(b'.' | b'_'))
            && file_name[end..].contains('.')
    })
}

fn not_built_page(dir: &Path) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>htx-survey: app not built</title></head>\n\
         <body><h1>htx-survey: the app is not built</h1>\n\
         <p>No <code>index.html</code> in the static directory <code>{}</code>. \
         Build the app with <code>scripts/run.sh</code> (or point <code>--static-dir</code> / \
         <code>HTX_STATIC_DIR</code> at Trunk's <code>dist/</code>). The API is up: \
         <a href=\"/api/health\">/api/health</a>.</p></body></html>\n",
        html_escape(&dir.display().to_string())
    );
    let mut response = Html(page).into_response();
    set_header(&mut response, CACHE_CONTROL, "no-store");
    response
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_routes_get_the_console_page() {
        assert_eq!(page_of_route("/review"), "console/index.html");
        assert_eq!(
            page_of_route("/review/0190aa00-0000-7000-8000-000000000000"),
            "console/index.html"
        );
        assert_eq!(page_of_route("/admin"), "console/index.html");
        assert_eq!(page_of_route("/"), "index.html");
        assert_eq!(page_of_route("/visits/1"), "index.html");
        assert_eq!(page_of_route("/reviews"), "index.html");
    }

    #[test]
    fn hashed_names() {
        assert!(is_hashed_asset("htx-survey-5a1d018b42b7199b_bg.wasm"));
        assert!(is_hashed_asset("htx-survey-5a1d018b42b7199b.js"));
        assert!(is_hashed_asset("style-3821fbac1bdd2b2f.css"));
        assert!(!is_hashed_asset("index.html"));
        assert!(!is_hashed_asset("sw.js"));
        assert!(!is_hashed_asset("manifest.webmanifest"));
        assert!(!is_hashed_asset("icon-192.png"));
        // Trunk drops leading zeros: 15 (or 14...) digits are still a hash.
        assert!(is_hashed_asset("htx-survey-e145281295e5fcb_bg.wasm"));
        assert!(is_hashed_asset("style-3821fbac1bdd2b2.css"));
        assert!(!is_hashed_asset("style-3821fbac1bd.css")); // 11 hex: too short to tell
        assert!(!is_hashed_asset("style-3821fbac1bdd2b2f0.css")); // 17 hex
        assert!(!is_hashed_asset("style-3821FBAC1BDD2B2F.css"));
        assert!(!is_hashed_asset("x-3821fbac1bdd2b2f")); // no extension
    }

    #[test]
    fn spa_routes() {
        assert!(is_spa_route("/"));
        assert!(is_spa_route("/visits/123"));
        assert!(!is_spa_route("/missing.js"));
        assert!(!is_spa_route("/a/b/file.wasm"));
    }
}
