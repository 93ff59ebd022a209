//! Security headers on every response (issue 19): a Content-Security-Policy
//! that both pages really run under, `Referrer-Policy`, `X-Frame-Options`
//! (with CSP's `frame-ancestors 'none'`), `nosniff`, and HSTS when the
//! server speaks TLS.
//!
//! The pages have inline scripts (Trunk's loader of the wasm, the service
//! worker's registration): rather than `'unsafe-inline'`, the policy lists
//! the SHA-256 of each inline script of the built pages, read when the
//! server starts, so a rebuilt app is covered by a restart. Scripts from
//! anywhere but this server, plugins, framing and `<base>` are refused;
//! WebAssembly needs `'wasm-unsafe-eval'`. Inline style attributes (bars
//! of the dashboard's chart) are allowed: styles cannot run code.

use std::path::Path;

use axum::http::{header, HeaderName, HeaderValue};
use base64::Engine;
use sha2::{Digest, Sha256};

/// The pages served, relative to the static dir.
const PAGES: [&str; 2] = ["index.html", "console/index.html"];

/// The policy for the pages under `static_dir` (absent pages: no hashes).
pub fn content_security_policy(static_dir: &Path) -> String {
    let mut hashes: Vec<String> = PAGES
        .iter()
        .filter_map(|p| std::fs::read_to_string(static_dir.join(p)).ok())
        .flat_map(|html| {
            inline_scripts(&html)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    hashes.sort();
    hashes.dedup();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{}{}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' blob: data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        if hashes.is_empty() { "" } else { " " },
        hashes.join(" ")
    )
}

/// The text of each `<script>` without a `src` in `html`, as the browser
/// hashes it (everything between the tags).
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body_start = open_end + 1;
        let Some(close) = after[body_start..].find("</script>") else {
            break;
        };
        if !tag.contains(" src=") && !tag.contains(" src =") {
            out.push(&after[body_start..body_start + close]);
        }
        rest = &after[body_start + close..];
    }
    out
}

/// The headers every response carries (HSTS only over TLS).
pub fn headers(csp: &str, tls: bool) -> Vec<(HeaderName, HeaderValue)> {
    let mut h = vec![
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(csp).expect("the policy is ASCII"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ];
    if tls {
        // A year, as browsers' preload lists ask; subdomains are the deployer's.
        h.push((
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = "<head><script type=\"module\">\nimport init from '/a.js';\n</script>\
                    <script src=\"/x.js\"></script><script>\n  reg();\n</script></head>";
        assert_eq!(
            inline_scripts(html),
            ["\nimport init from '/a.js';\n", "\n  reg();\n"]
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), html).unwrap();
        let csp = content_security_policy(dir.path());
        let expected =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"\n  reg();\n"));
        assert!(csp.contains(&format!("'sha256-{expected}'")), "{csp}");
        assert_eq!(csp.matches("'sha256-").count(), 2);
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"));
        assert!(
            !csp.contains("'unsafe-inline' 'sha")
                && !csp.contains("script-src 'self' 'unsafe-inline'")
        );
    }
}
