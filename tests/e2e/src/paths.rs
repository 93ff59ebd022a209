//! Where things are: workspace, built app, server binary, screenshots; free ports.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The workspace root (`tests/e2e/../..`).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    root.canonicalize().unwrap_or(root)
}

const HOW_TO_BUILD: &str = "run `scripts/test.sh` (it builds the server and the app) \
     or build them yourself: `cargo build -p htx-server` and `trunk build`";

/// The built app: `$HTX_DIST`, else `<workspace>/dist`. Fails with a clear
/// message when `index.html` is not there.
pub fn dist_dir() -> Result<PathBuf> {
    let dist = match std::env::var_os("HTX_DIST") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => workspace_root().join("dist"),
    };
    if !dist.join("index.html").is_file() {
        bail!(
            "the built app is missing: {} does not exist (HTX_DIST overrides the directory); {HOW_TO_BUILD}",
            dist.join("index.html").display()
        );
    }
    Ok(dist)
}

/// The server binary: `$HTX_SERVER_BIN`, else `<workspace>/target/debug/htx-server`.
/// Fails with a clear message when it does not exist.
pub fn server_bin() -> Result<PathBuf> {
    let bin = match std::env::var_os("HTX_SERVER_BIN") {
        Some(b) if !b.is_empty() => PathBuf::from(b),
        _ => workspace_root().join("target/debug/htx-server"),
    };
    if !bin.is_file() {
        bail!(
            "the server binary is missing: {} does not exist (HTX_SERVER_BIN overrides the path); {HOW_TO_BUILD}",
            bin.display()
        );
    }
    Ok(bin)
}

/// `<workspace>/target/screenshots`, created if needed.
pub fn screenshots_dir() -> Result<PathBuf> {
    let dir = workspace_root().join("target/screenshots");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read
/// the port, release it). Another process may take it in between; callers
/// that spawn a listener on it get a clear error in that case.
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0 to find a free port")?;
    Ok(l.local_addr()?.port())
}

/// The last `max` bytes of a text file (lossy UTF-8), for failure reports.
pub fn tail_of_file(path: &Path, max: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let start = bytes.len().saturating_sub(max);
            let mut s = String::from_utf8_lossy(&bytes[start..]).into_owned();
            if start > 0 {
                s.insert_str(0, "[...]\n");
            }
            s
        }
        Err(e) => format!("<cannot read {}: {e}>", path.display()),
    }
}
