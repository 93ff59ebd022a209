//! Reading the built app (dist/): its files, the assets index.html references,
//! and the service worker's precache list.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use flate2::write::GzEncoder;
use flate2::Compression;

/// Every file under `dir`, as sorted `/`-separated paths relative to it.
pub fn list_files(dir: &Path) -> Result<Vec<String>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                walk(root, &path, out)?;
            } else {
                let rel: PathBuf = path.strip_prefix(root)?.to_path_buf();
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// Size of `bytes` compressed with gzip -9.
pub fn gzip9_len(bytes: &[u8]) -> usize {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).expect("gzip to memory");
    enc.finish().expect("gzip to memory").len()
}

/// Root-relative URLs (`/x-0123456789abcdef_bg.wasm`, `/x.js`, `/x.css`, ...)
/// that appear in index.html, in order of first appearance, without duplicates.
pub fn asset_refs(index_html: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in index_html.split(|c: char| {
        matches!(
            c,
            '"' | '\'' | '`' | '(' | ')' | ' ' | '<' | '>' | '=' | ',' | '\n' | '\t' | ';'
        )
    }) {
        if token.starts_with('/')
            && !token.starts_with("//")
            && token.rsplit_once('.').is_some_and(|(_, ext)| {
                !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric())
            })
            && !out.iter().any(|t| t == token)
        {
            out.push(token.to_string());
        }
    }
    out
}

/// The wasm module index.html loads.
pub fn wasm_ref(index_html: &str) -> Result<String> {
    asset_refs(index_html)
        .into_iter()
        .find(|u| u.ends_with(".wasm"))
        .ok_or_else(|| anyhow!("index.html references no .wasm file"))
}

/// The precache list in dist/sw.js (`const PRECACHE = [...]`, written by scripts/gen-sw.py).
pub fn precache_urls(sw_js: &str) -> Result<Vec<String>> {
    let start = sw_js
        .find("const PRECACHE =")
        .ok_or_else(|| anyhow!("sw.js has no `const PRECACHE =`"))?;
    let rest = sw_js[start + "const PRECACHE =".len()..].trim_start();
    if rest.starts_with("\"__PRECACHE_URLS__\"") {
        bail!("sw.js still has the __PRECACHE_URLS__ placeholder: scripts/gen-sw.py (Trunk post_build hook) did not run");
    }
    let mut it = serde_json::Deserializer::from_str(rest).into_iter::<Vec<String>>();
    it.next()
        .ok_or_else(|| anyhow!("sw.js: nothing after `const PRECACHE =`"))?
        .context("sw.js: PRECACHE is not a JSON array of strings")
}

/// The cache version in dist/sw.js (`const VERSION = "<16 hex>"`, written by scripts/gen-sw.py).
pub fn sw_version(sw_js: &str) -> Result<String> {
    let start = sw_js
        .find("const VERSION = \"")
        .ok_or_else(|| anyhow!("sw.js has no `const VERSION = \"...\"`"))?;
    let rest = &sw_js[start + "const VERSION = \"".len()..];
    let version = &rest[..rest
        .find('"')
        .ok_or_else(|| anyhow!("sw.js: unterminated VERSION string"))?];
    if version == "__PRECACHE_VERSION__" {
        bail!("sw.js still has the __PRECACHE_VERSION__ placeholder: scripts/gen-sw.py (Trunk post_build hook) did not run");
    }
    Ok(version.to_string())
}

/// Copies the directory tree `src` into `dst` (created if missing).
pub fn copy_dir(src: &Path, dst: &Path) -> Result<()> {
    std::fs::create_dir_all(dst).with_context(|| format!("creating {}", dst.display()))?;
    for rel in list_files(src)? {
        let to = dst.join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::copy(src.join(&rel), &to)
            .with_context(|| format!("copying {rel} to {}", to.display()))?;
    }
    Ok(())
}

/// The file in `dist` that a root-relative URL names.
pub fn file_for_url(dist: &Path, url: &str) -> PathBuf {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .trim_start_matches('/');
    dist.join(if path.is_empty() { "index.html" } else { path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_trunk_assets() {
        let html = r#"<link rel="modulepreload" href="/htx-survey-0123456789abcdef.js" crossorigin="anonymous" integrity="sha384-x">
<link rel="preload" href="/htx-survey-0123456789abcdef_bg.wasm" crossorigin="anonymous" as="fetch" type="application/wasm">
<link rel="stylesheet" href="/main-fedcba9876543210.css" integrity="sha384-y"/>
<script type="module">import init, * as bindings from '/htx-survey-0123456789abcdef.js';
const wasm = await init({ module_or_path: '/htx-survey-0123456789abcdef_bg.wasm' });</script>
<link rel="manifest" href="/manifest.webmanifest" />"#;
        assert_eq!(
            asset_refs(html),
            [
                "/htx-survey-0123456789abcdef.js",
                "/htx-survey-0123456789abcdef_bg.wasm",
                "/main-fedcba9876543210.css",
                "/manifest.webmanifest"
            ]
        );
        assert_eq!(
            wasm_ref(html).unwrap(),
            "/htx-survey-0123456789abcdef_bg.wasm"
        );
    }

    #[test]
    fn reads_precache_list() {
        let sw = "const VERSION = \"abc\";\nconst PRECACHE = [\"/index.html\", \"/a.wasm\"];\nconst PREFIX = \"x\";";
        assert_eq!(precache_urls(sw).unwrap(), ["/index.html", "/a.wasm"]);
        assert!(precache_urls("const PRECACHE = \"__PRECACHE_URLS__\";").is_err());
        assert_eq!(
            sw_version("const VERSION = \"8adf4c6959615fdb\";\n").unwrap(),
            "8adf4c6959615fdb"
        );
        assert!(sw_version("const VERSION = \"__PRECACHE_VERSION__\";").is_err());
        assert_eq!(
            file_for_url(Path::new("/d"), "/icons/a.png"),
            Path::new("/d/icons/a.png")
        );
    }
}
