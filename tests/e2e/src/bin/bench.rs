//! Size bench of the built app: `cargo run -p htx-e2e --bin bench`.
//!
//! 1. Every file in dist/ with its raw and gzip -9 size, the wasm, and the
//!    gzip total of the service worker's precache list (= the app shell).
//! 2. The real first load: htx-server (which compresses) + headless Chromium
//!    with a fresh profile load `/` until `main[data-testid=home]`; the
//!    Navigation and Resource Timing transfer sizes are summed.
//!
//! Prints "first-load budget 300 KB brotli: <size> (within|OVER)": the app
//! shell as a phone gets it over HTTPS (the precompressed `.br` files the
//! server sends; files without one count gzip -9). Browsers ask for brotli
//! over HTTPS only, so the measured load over http://127.0.0.1 is gzip. Exits 0
//! whatever the size; exits non-zero only if it cannot build the table or
//! measure the load. Same environment as the tests (HTX_SERVER_BIN, HTX_DIST,
//! CHROMEDRIVER, CHROMIUM).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use htx_e2e::dist::{file_for_url, gzip9_len, list_files, precache_urls};
use htx_e2e::{Browser, ServerProcess};
use serde_json::Value;

const BUDGET_BYTES: u64 = 300 * 1024;

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

#[tokio::main]
async fn main() -> Result<()> {
    let dist = htx_e2e::dist_dir()?;
    println!("htx-survey size bench (1 KB = 1024 bytes)\n");
    println!("dist: {}", dist.display());

    // ------------------------------------------------------------ static sizes
    let files = list_files(&dist)?;
    let mut gz: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let width = files.iter().map(|f| f.len()).max().unwrap_or(4).max(4);
    println!("\n{:<width$}  {:>10}  {:>10}", "file", "raw", "gzip -9");
    let (mut raw_total, mut gz_total) = (0u64, 0u64);
    for f in &files {
        let bytes = std::fs::read(dist.join(f))?;
        let g = gzip9_len(&bytes) as u64;
        println!("{:<width$}  {:>10}  {:>10}", f, bytes.len(), g);
        raw_total += bytes.len() as u64;
        gz_total += g;
        gz.insert(f.clone(), (bytes.len() as u64, g));
    }
    println!("{:<width$}  {:>10}  {:>10}", "TOTAL", raw_total, gz_total);

    println!();
    let wasm: Vec<_> = gz.iter().filter(|(f, _)| f.ends_with(".wasm")).collect();
    if wasm.is_empty() {
        bail!("no .wasm file in {}", dist.display());
    }
    for (f, (raw, g)) in &wasm {
        println!(
            "wasm {f}: raw {raw} bytes ({}), gzip -9 {g} bytes ({})",
            kb(*raw),
            kb(*g)
        );
    }

    let sw = std::fs::read_to_string(dist.join("sw.js")).context("reading dist/sw.js")?;
    let precache = precache_urls(&sw)?;
    let mut shell_gz = 0u64;
    let mut shell_raw = 0u64;
    for url in &precache {
        let path = file_for_url(&dist, url);
        let rel = path
            .strip_prefix(&dist)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        match gz.get(&rel) {
            Some((raw, g)) => {
                shell_raw += raw;
                shell_gz += g;
            }
            None => bail!("precache entry {url} is not in dist ({})", path.display()),
        }
    }
    // What a phone downloads over HTTPS: the precompressed brotli files.
    let mut shell_br = 0u64;
    for url in &precache {
        let path = file_for_url(&dist, url);
        let br = path.with_file_name(format!(
            "{}.br",
            path.file_name().unwrap_or_default().to_string_lossy()
        ));
        shell_br += match std::fs::metadata(&br) {
            Ok(m) => m.len(),
            Err(_) => gzip9_len(&std::fs::read(&path)?) as u64,
        };
    }
    println!(
        "SW precache (app shell): {} files, raw {shell_raw} bytes ({}), gzip -9 {shell_gz} bytes ({}), brotli {shell_br} bytes ({})",
        precache.len(),
        kb(shell_raw),
        kb(shell_gz),
        kb(shell_br)
    );

    // ------------------------------------------------------------ measured first load
    println!("\nmeasuring the first load in headless Chromium (fresh profile) ...");
    let mut server = ServerProcess::start().await?;
    let measured = measure(&server).await;
    let _ = server.stop().await;
    let (entries, elapsed) = match measured {
        Ok(m) => m,
        Err(e) => bail!(
            "could not measure the first load: {e:#}\nserver log:\n{}",
            server.log_tail(8000)
        ),
    };

    let name_w = entries
        .iter()
        .map(|e| e.0.len())
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    println!(
        "\n{:<name_w$}  {:>10}  {:>10}  {:>10}",
        "request", "transfer", "encoded", "decoded"
    );
    let (mut transfer, mut encoded, mut decoded) = (0u64, 0u64, 0u64);
    for (name, t, en, de) in &entries {
        let chars: Vec<char> = name.chars().collect();
        let short: String = if chars.len() > name_w {
            std::iter::once('…')
                .chain(chars[chars.len() - (name_w - 1)..].iter().copied())
                .collect()
        } else {
            name.clone()
        };
        println!("{:<name_w$}  {:>10}  {:>10}  {:>10}", short, t, en, de);
        transfer += t;
        encoded += en;
        decoded += de;
    }
    println!(
        "{:<name_w$}  {:>10}  {:>10}  {:>10}",
        "TOTAL", transfer, encoded, decoded
    );
    println!(
        "\nfirst load (until main[data-testid=home], {:.1} s): transferred {transfer} bytes ({}), bodies {encoded} bytes encoded / {decoded} decoded",
        elapsed.as_secs_f64(),
        kb(transfer)
    );
    let api: u64 = entries
        .iter()
        .filter(|e| e.0.starts_with("/api/"))
        .map(|e| e.1)
        .sum();
    println!(
        "of which /api/ requests: {api} bytes ({}); app shell and assets: {} bytes ({})",
        kb(api),
        transfer - api,
        kb(transfer - api)
    );
    if transfer == 0 {
        bail!("the measured transfer is 0 bytes: Resource Timing gave no sizes");
    }
    let verdict = if shell_br <= BUDGET_BYTES {
        "within"
    } else {
        "OVER"
    };
    println!(
        "first-load budget 300 KB brotli: {} ({verdict})",
        kb(shell_br)
    );
    Ok(())
}

/// (url path, transferSize, encodedBodySize, decodedBodySize) of the
/// navigation and every resource, and the time until home rendered.
async fn measure(server: &ServerProcess) -> Result<(Vec<(String, u64, u64, u64)>, Duration)> {
    let browser = Browser::start().await?;
    let started = Instant::now();
    browser.goto(&server.url("/")).await?;
    browser
        .wait_for("main[data-testid=home]", htx_e2e::app::APP_TIMEOUT)
        .await?;
    let elapsed = started.elapsed();

    // Let late requests (icons, manifest, first API calls) land: until the
    // resource count is unchanged for 1 s, at most 10 s.
    let count_js = "return performance.getEntriesByType('resource').length;";
    let mut last = browser.exec(count_js).await?.as_u64().unwrap_or(0);
    let mut stable_since = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && stable_since.elapsed() < Duration::from_secs(1) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let n = browser.exec(count_js).await?.as_u64().unwrap_or(0);
        if n != last {
            last = n;
            stable_since = Instant::now();
        }
    }

    let v = browser
        .exec(
            "const pick = e => ({ name: e.name, transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize });
             return { nav: performance.getEntriesByType('navigation').map(pick),
                      res: performance.getEntriesByType('resource').map(pick) };",
        )
        .await?;
    browser.close().await?;

    let nav = v["nav"].as_array().cloned().unwrap_or_default();
    if nav.is_empty() {
        bail!("no PerformanceNavigationTiming entry");
    }
    let res = v["res"].as_array().cloned().unwrap_or_default();
    let base = server.base_url();
    let entries = nav
        .iter()
        .chain(res.iter())
        .map(|e: &Value| {
            let name = e["name"].as_str().unwrap_or_default();
            let name = name.strip_prefix(&base).unwrap_or(name).to_string();
            let n = |k: &str| e[k].as_f64().unwrap_or(0.0) as u64;
            (name, n("transfer"), n("encoded"), n("decoded"))
        })
        .collect();
    Ok((entries, elapsed))
}
