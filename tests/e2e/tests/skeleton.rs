//! Skeleton end-to-end tests: the real htx-server serving the built app to
//! headless Chromium. Needs `target/debug/htx-server` (or HTX_SERVER_BIN) and
//! `dist/` (or HTX_DIST): `scripts/test.sh` builds both.
//!
//! Each test owns its server and browser (free ports, fresh profile), so the
//! tests run in parallel; at most HTX_E2E_BROWSERS (default 2) browsers are
//! alive at once.
//!
//! DOM contract used here: `<html lang>`, `[data-testid=lang-toggle]`,
//! `[data-testid=net-status][data-state=online|offline|checking]`,
//! `main[data-testid=home]`, `[data-testid=db-version]`,
//! `[data-testid=stored-visits-count]`, `input[data-testid=draft-notes]`,
//! `button[data-testid=save-draft]`,
//! `ul[data-testid=visit-list] > li[data-testid=visit-item]` (newest first).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, ensure, Context, Result};
use htx_e2e::dist::{asset_refs, file_for_url, wasm_ref};
use htx_e2e::{ServerProcess, TestApp};
use serde_json::Value;

const NET_STATUS: &str = "[data-testid=net-status]";
const VISIT_ITEM: &str = "ul[data-testid=visit-list] > li[data-testid=visit-item]";
const STORED_COUNT: &str = "[data-testid=stored-visits-count]";
/// The app decides it is online/offline (a health check) within this.
const NET_TIMEOUT: Duration = Duration::from_secs(15);
const UI_TIMEOUT: Duration = Duration::from_secs(10);

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix} {nanos}")
}

async fn count_of(app: &TestApp, css: &str) -> Result<u64> {
    let t = app.browser.text(css).await?;
    t.trim().parse::<u64>().map_err(|_| anyhow!("`{css}` text {t:?} is not a number"))
}

/// Console errors that are bugs: uncaught exceptions and console.error.
/// Failed network loads are printed but not counted (offline tests cause them).
async fn script_errors(app: &TestApp) -> Result<Vec<String>> {
    let mut bad = Vec::new();
    for e in app.browser.console_errors().await? {
        if e.source == "network" {
            eprintln!("[{}] (network, ignored) {}", app.name, e.message);
        } else {
            bad.push(e.to_string());
        }
    }
    Ok(bad)
}

// ---------------------------------------------------------------- (1)

#[tokio::test(flavor = "multi_thread")]
async fn first_load_online() {
    let app = TestApp::start("first_load_online").await;
    let r = first_load_online_body(&app).await;
    app.finish(r).await;
}

async fn first_load_online_body(app: &TestApp) -> Result<()> {
    app.open_home().await?;
    let lang = app.browser.html_lang().await?;
    ensure!(lang == "vi", "<html lang> is {lang:?}, expected \"vi\" by default");

    app.browser.wait_for_attr(NET_STATUS, "data-state", "online", NET_TIMEOUT).await?;
    app.browser.wait_for_text(NET_STATUS, "Trực tuyến", UI_TIMEOUT).await?;

    let version = count_of(app, "[data-testid=db-version]").await.context("db-version")?;
    ensure!(version >= 1, "db-version is {version}, expected a schema version >= 1");
    count_of(app, STORED_COUNT).await.context("stored-visits-count")?;
    app.browser.find("input[data-testid=draft-notes]").await?;
    app.browser.find("button[data-testid=save-draft]").await?;
    app.browser.find("[data-testid=lang-toggle]").await?;

    // index.html registers /sw.js.
    let script = htx_e2e::poll_until("a service worker registration", Duration::from_secs(15), || async {
        let v = app
            .browser
            .exec_promise("navigator.serviceWorker.getRegistration().then(r => r && (r.installing || r.waiting || r.active || {}).scriptURL)")
            .await?;
        Ok(v.as_str().map(str::to_string))
    })
    .await?;
    ensure!(script.ends_with("/sw.js"), "the service worker script is {script:?}");
    app.browser.screenshot("01-home-online").await?;

    let errors = script_errors(app).await?;
    ensure!(errors.is_empty(), "console errors on first load:\n{}", errors.join("\n"));
    Ok(())
}

// ---------------------------------------------------------------- (2)

#[tokio::test(flavor = "multi_thread")]
async fn offline_reload_keeps_app_and_data() {
    let mut app = TestApp::start("offline_reload_keeps_app_and_data").await;
    let r = offline_reload_body(&mut app).await;
    app.finish(r).await;
}

/// Paths of everything in Cache Storage, all caches.
const CACHED_PATHS_JS: &str = "(async () => {
    const out = [];
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const req of await cache.keys()) out.push(new URL(req.url).pathname);
    }
    return out;
})()";

fn shell_is_cached(paths: &[String]) -> bool {
    paths.iter().any(|p| p == "/index.html")
        && paths.iter().any(|p| p.ends_with(".wasm"))
        && paths.iter().any(|p| p.ends_with(".js"))
        && paths.iter().any(|p| p.ends_with(".css"))
}

async fn offline_reload_body(app: &mut TestApp) -> Result<()> {
    let b = &app.browser;
    app.open_home().await?;
    b.wait_for_attr(NET_STATUS, "data-state", "online", NET_TIMEOUT).await?;

    // A draft saved while online stays on the device.
    let before = count_of(app, STORED_COUNT).await?;
    let notes = unique("e2e ngoại tuyến");
    b.fill("input[data-testid=draft-notes]", &notes).await?;
    b.click("button[data-testid=save-draft]").await?;
    b.wait_for_text(VISIT_ITEM, &notes, UI_TIMEOUT).await.context("the new draft is not the first visit-item")?;
    htx_e2e::poll_until("stored-visits-count to grow by the draft", UI_TIMEOUT, || async {
        Ok((count_of(app, STORED_COUNT).await? > before).then_some(()))
    })
    .await?;

    // The service worker controls the page (clients.claim(); else one reload).
    let controlled = "navigator.serviceWorker.controller !== null";
    if b.wait_for_js(controlled, Duration::from_secs(15)).await.is_err() {
        b.reload().await?;
        app.wait_home().await?;
        b.wait_for_js(controlled, Duration::from_secs(20)).await.context("no service worker controls the page")?;
    }
    // ... and has precached the app shell.
    let mut last = Vec::new();
    let cached = htx_e2e::poll_until("the app shell in Cache Storage", Duration::from_secs(30), || async {
        let v = b.exec_promise(CACHED_PATHS_JS).await?;
        let paths: Vec<String> = serde_json::from_value(v)?;
        Ok(shell_is_cached(&paths).then_some(paths))
    })
    .await;
    match cached {
        Ok(p) => last = p,
        Err(e) => {
            if let Ok(v) = b.exec_promise(CACHED_PATHS_JS).await {
                last = serde_json::from_value(v).unwrap_or_default();
            }
            bail!("{e:#}; cached: {last:?}");
        }
    }
    eprintln!("[{}] cached: {last:?}", app.name);

    let saved = count_of(app, STORED_COUNT).await?;

    // The server goes away.
    app.server.stop().await.context("SIGTERM the server")?;
    ensure!(
        std::net::TcpStream::connect_timeout(&app.server.addr(), Duration::from_secs(1)).is_err(),
        "port {} still accepts connections after the server stopped",
        app.server.port()
    );

    // Reload: the service worker serves the shell, IndexedDB still has the draft.
    b.reload().await?;
    app.wait_home().await.context("home did not render offline")?;
    b.wait_for_text(VISIT_ITEM, &notes, UI_TIMEOUT).await.context("the draft is gone after the offline reload")?;
    b.wait_for_attr(NET_STATUS, "data-state", "offline", NET_TIMEOUT).await?;
    b.wait_for_text(NET_STATUS, "Ngoại tuyến", UI_TIMEOUT).await?;
    let after = count_of(app, STORED_COUNT).await?;
    ensure!(after == saved, "stored-visits-count offline is {after}, was {saved} online");
    ensure!(b.html_lang().await? == "vi");
    b.screenshot("02-offline-reload").await?;

    // A deep link opened offline is the app shell too.
    app.goto("/visits").await?;
    b.wait_for(NET_STATUS, Duration::from_secs(30)).await.context("no app shell at /visits offline")?;
    b.find("[data-testid=lang-toggle]").await?;
    b.wait_for_attr(NET_STATUS, "data-state", "offline", NET_TIMEOUT).await?;
    b.screenshot("02b-offline-deep-link").await?;
    Ok(())
}

// ---------------------------------------------------------------- (3)

#[tokio::test(flavor = "multi_thread")]
async fn language_toggle_persists() {
    let app = TestApp::start("language_toggle_persists").await;
    let r = language_toggle_body(&app).await;
    app.finish(r).await;
}

async fn wait_lang(app: &TestApp, lang: &str) -> Result<()> {
    app.browser
        .wait_for_js(&format!("document.documentElement.lang === {lang:?}"), UI_TIMEOUT)
        .await
        .map(|_| ())
        .with_context(|| format!("<html lang> never became {lang:?}"))
}

async fn language_toggle_body(app: &TestApp) -> Result<()> {
    let b = &app.browser;
    app.open_home().await?;
    wait_lang(app, "vi").await?;
    b.wait_for_attr(NET_STATUS, "data-state", "online", NET_TIMEOUT).await?;
    b.wait_for_text(NET_STATUS, "Trực tuyến", UI_TIMEOUT).await?;

    b.click("[data-testid=lang-toggle]").await?;
    wait_lang(app, "en").await?;
    b.wait_for_text(NET_STATUS, "Online", UI_TIMEOUT).await?;

    b.reload().await?;
    app.wait_home().await?;
    wait_lang(app, "en").await.context("the language choice did not survive a reload")?;
    b.wait_for_attr(NET_STATUS, "data-state", "online", NET_TIMEOUT).await?;
    b.wait_for_text(NET_STATUS, "Online", UI_TIMEOUT).await?;
    b.screenshot("03-home-english").await?;

    // And back.
    b.click("[data-testid=lang-toggle]").await?;
    wait_lang(app, "vi").await?;
    b.reload().await?;
    app.wait_home().await?;
    wait_lang(app, "vi").await?;
    b.wait_for_text(NET_STATUS, "Trực tuyến", NET_TIMEOUT).await?;
    Ok(())
}

// ---------------------------------------------------------------- server-only tests

/// Runs a server-only test body; on failure panics with the server log.
async fn with_server<F, Fut>(name: &str, body: F)
where
    F: FnOnce(ServerProcess) -> Fut,
    Fut: std::future::Future<Output = (ServerProcess, Result<()>)>,
{
    let server = match ServerProcess::start().await {
        Ok(s) => s,
        Err(e) => panic!("[{name}] could not start htx-server: {e:#}"),
    };
    let (mut server, r) = body(server).await;
    match r {
        Ok(()) => {
            let _ = server.stop().await;
        }
        Err(e) => {
            let _ = server.kill().await;
            let msg = format!("[{name}] FAILED: {e:#}\n----- server log -----\n{}\n----- end -----", server.log_tail(16000));
            drop(server); // before panicking: its Drop would print the log again
            panic!("{msg}");
        }
    }
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    Some((be(16), be(20)))
}

// ---------------------------------------------------------------- (4)

#[tokio::test(flavor = "multi_thread")]
async fn manifest_is_installable() {
    with_server("manifest_is_installable", |server| async move {
        let r = manifest_body(&server).await;
        (server, r)
    })
    .await;
}

async fn manifest_body(server: &ServerProcess) -> Result<()> {
    let http = htx_e2e::http_client();
    let url = server.url("/manifest.webmanifest");
    let r = http.get(&url).send().await?;
    ensure!(r.status() == 200, "GET /manifest.webmanifest: {}", r.status());
    let ct = header(&r, "content-type");
    ensure!(ct.contains("json"), "manifest content-type {ct:?}, expected application/manifest+json");
    let m: Value = serde_json::from_slice(&r.bytes().await?).context("the manifest is not JSON")?;

    ensure!(m["display"] == "standalone", "display is {}", m["display"]);
    let start = m["start_url"].as_str().unwrap_or_default();
    ensure!(!start.is_empty(), "no start_url");
    let base = reqwest::Url::parse(&url)?;
    let r = http.get(base.join(start)?).send().await?;
    ensure!(r.status() == 200, "start_url {start} answers {}", r.status());
    ensure!(m["name"].as_str().is_some_and(|s| !s.is_empty()), "no name");
    ensure!(m["short_name"].as_str().is_some_and(|s| !s.is_empty()), "no short_name");

    let icons = m["icons"].as_array().ok_or_else(|| anyhow!("no icons array"))?;
    for want in ["192x192", "512x512"] {
        let icon = icons
            .iter()
            .find(|i| i["sizes"].as_str().is_some_and(|s| s.split_whitespace().any(|s| s == want)))
            .ok_or_else(|| anyhow!("no {want} icon in {icons:?}"))?;
        let src = icon["src"].as_str().ok_or_else(|| anyhow!("{want} icon has no src"))?;
        let r = http.get(base.join(src)?).send().await?;
        ensure!(r.status() == 200, "icon {src}: {}", r.status());
        let ct = header(&r, "content-type");
        ensure!(ct.starts_with("image/png"), "icon {src}: content-type {ct:?}");
        let body = r.bytes().await?;
        let (w, h) = png_size(&body).ok_or_else(|| anyhow!("icon {src} is not a PNG"))?;
        ensure!(format!("{w}x{h}") == want, "icon {src} is {w}x{h}, manifest says {want}");
    }
    Ok(())
}

// ---------------------------------------------------------------- (5)

#[tokio::test(flavor = "multi_thread")]
async fn server_headers_cache_and_compression() {
    with_server("server_headers_cache_and_compression", |server| async move {
        let r = headers_body(&server).await;
        (server, r)
    })
    .await;
}

async fn headers_body(server: &ServerProcess) -> Result<()> {
    let http = htx_e2e::http_client();

    let r = http.get(server.url("/api/health")).send().await?;
    ensure!(r.status() == 200, "/api/health: {}", r.status());

    // index.html (and the SPA fallback for deep links) must always revalidate.
    let mut index_html = String::new();
    for path in ["/", "/index.html", "/visits"] {
        let r = http.get(server.url(path)).send().await?;
        ensure!(r.status() == 200, "GET {path}: {}", r.status());
        let ct = header(&r, "content-type");
        ensure!(ct.starts_with("text/html"), "GET {path}: content-type {ct:?}");
        let cc = header(&r, "cache-control");
        ensure!(cc.contains("no-cache") || cc.contains("no-store"), "GET {path}: cache-control {cc:?}, expected no-cache");
        let body = r.text().await?;
        if path == "/" {
            index_html = body;
        } else {
            ensure!(body == index_html, "GET {path} is not index.html");
        }
    }

    // The hashed wasm: immutable, right type, compressed on request.
    let wasm = wasm_ref(&index_html)?;
    eprintln!("index.html references {:?}", asset_refs(&index_html));
    let raw = std::fs::read(file_for_url(server.dist_dir(), &wasm))
        .with_context(|| format!("{wasm} is not in {}", server.dist_dir().display()))?;

    let r = http.get(server.url(&wasm)).send().await?;
    ensure!(r.status() == 200, "GET {wasm}: {}", r.status());
    let cc = header(&r, "cache-control");
    ensure!(cc.contains("immutable") && cc.contains("max-age"), "GET {wasm}: cache-control {cc:?}, expected max-age=..., immutable");
    let ct = header(&r, "content-type");
    ensure!(ct.starts_with("application/wasm"), "GET {wasm}: content-type {ct:?}");
    let ce = header(&r, "content-encoding");
    ensure!(ce.is_empty() || ce == "identity", "GET {wasm} without Accept-Encoding came {ce:?}");
    ensure!(r.bytes().await? == raw, "GET {wasm} differs from the file in dist");

    let r = http.get(server.url(&wasm)).header("accept-encoding", "gzip").send().await?;
    ensure!(r.status() == 200);
    let ce = header(&r, "content-encoding");
    ensure!(ce == "gzip", "GET {wasm} with Accept-Encoding: gzip came with content-encoding {ce:?}");
    ensure!(header(&r, "cache-control").contains("immutable"), "gzip response lost immutable");
    let gz = r.bytes().await?;
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped).context("the gzip body does not decode")?;
    ensure!(unzipped == raw, "the gunzipped wasm differs from the file in dist");
    ensure!(gz.len() < raw.len(), "gzip did not shrink the wasm ({} >= {})", gz.len(), raw.len());
    eprintln!("wasm {wasm}: {} bytes raw, {} bytes gzip from the server", raw.len(), gz.len());

    let r = http.get(server.url(&wasm)).header("accept-encoding", "br").send().await?;
    ensure!(r.status() == 200);
    let ce = header(&r, "content-encoding");
    ensure!(ce == "br", "GET {wasm} with Accept-Encoding: br came with content-encoding {ce:?}");
    let br = r.bytes().await?;
    ensure!(br.len() < raw.len(), "brotli did not shrink the wasm");
    eprintln!("wasm {wasm}: {} bytes br from the server", br.len());

    let r = http.get(server.url(&wasm)).header("accept-encoding", "gzip, deflate, br, zstd").send().await?;
    let ce = header(&r, "content-encoding");
    ensure!(ce == "br" || ce == "gzip", "browser-like Accept-Encoding got {ce:?}");

    // The service worker: served as JavaScript, filled in by gen-sw.py, never immutable.
    let r = http.get(server.url("/sw.js")).send().await?;
    ensure!(r.status() == 200, "GET /sw.js: {}", r.status());
    let ct = header(&r, "content-type");
    ensure!(ct.contains("javascript"), "GET /sw.js: content-type {ct:?}");
    let cc = header(&r, "cache-control");
    ensure!(!cc.contains("immutable"), "GET /sw.js: cache-control {cc:?} must not be immutable");
    let sw = r.text().await?;
    let precache = htx_e2e::dist::precache_urls(&sw)?;
    ensure!(precache.iter().any(|u| u == "/index.html") && precache.contains(&wasm), "precache list {precache:?}");
    Ok(())
}
