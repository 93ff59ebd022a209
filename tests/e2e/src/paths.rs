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

/// A TCP port on 127.0.0.1 that is free now and that no other test of this
/// process was given.
///
/// Taken from below the kernel's ephemeral range, counting up from an offset
/// of this process's id: the kernel hands ports in that range to every
/// `bind(0)` and outgoing connection, so a port found there and released can
/// be given to another test's server or driver before ours binds it (that
/// happened in CI: a test then talked to another test's server).
pub fn free_port() -> Result<u16> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static TAKEN: AtomicU32 = AtomicU32::new(0);
    let (low, high) = own_port_range();
    let span = high - low;
    let start = std::process::id().wrapping_mul(2_654_435_761);
    for _ in 0..span {
        let n = start.wrapping_add(TAKEN.fetch_add(1, Ordering::Relaxed));
        let port = (low + n % span) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    bail!("no free port on 127.0.0.1 in {low}..{high}")
}

/// Ports the kernel never picks by itself: the 10,000 below the low end of
/// `ip_local_port_range` (32768 by default), and never below 1024.
fn own_port_range() -> (u32, u32) {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32768);
    let high = ephemeral_low.max(2048);
    (high.saturating_sub(10_000).max(1024), high)
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
