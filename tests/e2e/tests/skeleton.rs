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
//! `[data-testid=stored-visits-count]`, `[data-testid=go-signin]`, the field
//! steps of `htx_e2e::field` (sign in, find, start a visit, notes),
//! `ul[data-testid=visit-list] > li[data-testid=visit-item]` (newest first).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, ensure, Context, Result};
use htx_e2e::dist::{asset_refs, copy_dir, file_for_url, sw_version, wasm_ref};
use htx_e2e::{field, ServerProcess, TestApp};
use serde_json::Value;

const NET_STATUS: &str = "[data-testid=net-status]";
const VISIT_ITEM: &str = "ul[data-testid=visit-list] > li[data-testid=visit-item]";
const STORED_COUNT: &str = "[data-testid=stored-visits-count]";
/// The app decides it is online/offline (a health check) within this.
const NET_TIMEOUT: Duration = Duration::from_secs(15);
const UI_TIMEOUT: Duration = Duration::from_secs(10);

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix} {nanos}")
}

async fn count_of(app: &TestApp, css: &str) -> Result<u64> {
    let t = app.browser.text(css).await?;
    t.trim()
        .parse::<u64>()
        .map_err(|_| anyhow!("`{css}` text {t:?} is not a number"))
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
    ensure!(
        lang == "vi",
        "<html lang> is {lang:?}, expected \"vi\" by default"
    );

    app.browser
        .wait_for_attr(NET_STATUS, "data-state", "online", NET_TIMEOUT)
        .await?;
    app.browser
        .wait_for_text(NET_STATUS, "Trực tuyến", UI_TIMEOUT)
        .await?;

    let version = count_of(app, "[data-testid=db-version]")
        .await
        .context("db-version")?;
    ensure!(
        version >= 1,
        "db-version is {version}, expected a schema version >= 1"
    );
    count_of(app, STORED_COUNT)
        .await
        .context("stored-visits-count")?;
    app.browser
        .find("[data-testid=go-signin]")
        .await
        .context("a new device offers to sign in")?;
    // One clear call to sign in: nothing asks to sign in "again", and no
    // sync panel or pending badge where nothing can be sent yet.
    app.browser
        .wait_for_text(
            "[data-testid=signed-out]",
            "chưa có tài khoản nào đăng nhập",
            UI_TIMEOUT,
        )
        .await?;
    let home = app.browser.text("main[data-testid=home]").await?;
    ensure!(
        !home.to_lowercase().contains("đăng nhập lại"),
        "a device that never signed in is asked to sign in again:\n{home}"
    );
    for absent in ["sync-panel", "pending-badge"] {
        ensure!(
            app.browser
                .find_all(&format!("[data-testid={absent}]"))
                .await?
                .is_empty(),
            "a device that never signed in shows {absent}"
        );
    }
    app.browser.find("[data-testid=start-visit]").await?;
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
    ensure!(
        script.ends_with("/sw.js"),
        "the service worker script is {script:?}"
    );
    app.browser.screenshot("01-home-online").await?;

    let errors = script_errors(app).await?;
    ensure!(
        errors.is_empty(),
        "console errors on first load:\n{}",
        errors.join("\n")
    );

    // The page runs under the server's Content-Security-Policy: the app
    // itself caused no violation, and an injected inline script is refused
    // (and recorded as one).
    app.csp_violations().await?;
    let ran = app
        .browser
        .exec("const s = document.createElement('script'); s.textContent = 'window.injected = 1'; document.head.appendChild(s); return window.injected || null;")
        .await?;
    ensure!(ran.is_null(), "an injected inline script ran: {ran}");
    htx_e2e::poll_until("the refused script recorded", UI_TIMEOUT, || async {
        Ok(app.csp_violations().await.is_err().then_some(()))
    })
    .await?;
    app.browser
        .exec("sessionStorage.removeItem('cspViolations');")
        .await?;
    let res = app.http.get(app.url("/")).send().await?;
    let csp = res
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    ensure!(
        csp.contains("'sha256-") && csp.contains("frame-ancestors 'none'"),
        "the page's policy: {csp:?}"
    );
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

/// Signs in, starts a visit of a demo cooperative, types `notes` into it and
/// goes home; waits until it is the newest visit-item and
/// stored-visits-count has grown.
async fn save_draft(app: &TestApp, notes: &str) -> Result<()> {
    let b = &app.browser;
    let before = count_of(app, STORED_COUNT).await?;
    field::sign_in(app, field::OFFICER.0, field::OFFICER.1).await?;
    field::find_and_open(app, "tan hiep", "Tân Hiệp").await?;
    let id = field::start_visit(app).await?;
    b.fill("[data-testid=visit-notes]", notes).await?;
    field::wait_saved(app, &id, notes).await?;
    b.click("nav.tabs a[href='/']").await?;
    app.wait_home().await?;
    b.wait_for_text(VISIT_ITEM, notes, UI_TIMEOUT)
        .await
        .context("the new draft is not the first visit-item")?;
    htx_e2e::poll_until(
        "stored-visits-count to grow by the draft",
        UI_TIMEOUT,
        || async { Ok((count_of(app, STORED_COUNT).await? > before).then_some(())) },
    )
    .await?;
    Ok(())
}

/// Waits until a service worker controls the page (one reload if
/// clients.claim() did not do it) and the app shell is in Cache Storage;
/// returns the cached paths.
async fn wait_sw_ready(app: &TestApp) -> Result<Vec<String>> {
    let b = &app.browser;
    let controlled = "navigator.serviceWorker.controller !== null";
    if b.wait_for_js(controlled, Duration::from_secs(15))
        .await
        .is_err()
    {
        b.reload().await?;
        app.wait_home().await?;
        b.wait_for_js(controlled, Duration::from_secs(20))
            .await
            .context("no service worker controls the page")?;
    }
    // ... and has precached the app shell.
    let cached = htx_e2e::poll_until(
        "the app shell in Cache Storage",
        Duration::from_secs(30),
        || async {
            let v = b.exec_promise(CACHED_PATHS_JS).await?;
            let paths: Vec<String> = serde_json::from_value(v)?;
            Ok(shell_is_cached(&paths).then_some(paths))
        },
    )
    .await;
    match cached {
        Ok(paths) => {
            eprintln!("[{}] cached: {paths:?}", app.name);
            Ok(paths)
        }
        Err(e) => {
            let last: Vec<String> = match b.exec_promise(CACHED_PATHS_JS).await {
                Ok(v) => serde_json::from_value(v).unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            bail!("{e:#}; cached: {last:?}");
        }
    }
}

/// Where the browser can route requests past the service worker (Chromium's
/// static routes), API calls go straight to the network: the worker is not
/// woken for a push, a receipt or a pull. The shell's files still come
/// through it (they are what it serves offline).
async fn api_bypasses_the_worker(app: &TestApp) -> Result<()> {
    // Firefox has no static routes, and leaves both figures below empty.
    if app.browser.engine() != htx_e2e::browser::Engine::Chromium {
        return Ok(());
    }
    // [the route the browser took for an API call (Resource Timing's
    // workerMatchedSourceType, Chromium only), a shell file's workerStart].
    let t = app
        .browser
        .exec_promise(
            "(async () => { \
               const t = Date.now(); \
               await (await fetch('/api/health?t=' + t)).text(); \
               await (await fetch('/manifest.webmanifest?t=' + t)).text(); \
               await new Promise((r) => setTimeout(r, 50)); \
               const entry = (p) => performance.getEntriesByType('resource') \
                 .find((r) => r.name.endsWith(p + '?t=' + t)); \
               return [entry('/api/health').workerMatchedSourceType || '', \
                       entry('/manifest.webmanifest').workerStart]; \
             })()",
        )
        .await?;
    ensure!(
        t[1].as_f64().unwrap_or(0.0) > 0.0,
        "a shell file did not come through the service worker: {t}"
    );
    ensure!(
        t[0] == "network",
        "an API call went through the service worker: {t}"
    );
    Ok(())
}

async fn offline_reload_body(app: &mut TestApp) -> Result<()> {
    let b = &app.browser;
    app.open_home().await?;
    b.wait_for_attr(NET_STATUS, "data-state", "online", NET_TIMEOUT)
        .await?;

    // A draft saved while online stays on the device.
    let notes = unique("e2e ngoại tuyến");
    save_draft(app, &notes).await?;

    // The service worker controls the page and has precached the app shell.
    wait_sw_ready(app).await?;
    api_bypasses_the_worker(app).await?;

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
    app.wait_home()
        .await
        .context("home did not render offline")?;
    b.wait_for_text(VISIT_ITEM, &notes, UI_TIMEOUT)
        .await
        .context("the draft is gone after the offline reload")?;
    b.wait_for_attr(NET_STATUS, "data-state", "offline", NET_TIMEOUT)
        .await?;
    b.wait_for_text(NET_STATUS, "Ngoại tuyến", UI_TIMEOUT)
        .await?;
    let after = count_of(app, STORED_COUNT).await?;
    ensure!(
        after == saved,
        "stored-visits-count offline is {after}, was {saved} online"
    );
    ensure!(b.html_lang().await? == "vi");
    b.screenshot("02-offline-reload").await?;

    // A deep link opened offline is the app shell too.
    app.goto("/visits").await?;
    b.wait_for(NET_STATUS, Duration::from_secs(30))
        .await
        .context("no app shell at /visits offline")?;
    b.find("[data-testid=lang-toggle]").await?;
    b.wait_for_attr(NET_STATUS, "data-state", "offline", NET_TIMEOUT)
        .await?;
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
        .wait_for_js(
            &format!("document.documentElement.lang === {lang:?}"),
            UI_TIMEOUT,
        )
        .await
        .map(|_| ())
        .with_context(|| format!("<html lang> never became {lang:?}"))
}

async fn language_toggle_body(app: &TestApp) -> Result<()> {
    let b = &app.browser;
    app.open_home().await?;
    wait_lang(app, "vi").await?;
    b.wait_for_attr(NET_STATUS, "data-state", "online", NET_TIMEOUT)
        .await?;
    b.wait_for_text(NET_STATUS, "Trực tuyến", UI_TIMEOUT)
        .await?;

    b.click("[data-testid=lang-toggle]").await?;
    wait_lang(app, "en").await?;
    b.wait_for_text(NET_STATUS, "Online", UI_TIMEOUT).await?;

    b.reload().await?;
    app.wait_home().await?;
    wait_lang(app, "en")
        .await
        .context("the language choice did not survive a reload")?;
    b.wait_for_attr(NET_STATUS, "data-state", "online", NET_TIMEOUT)
        .await?;
    b.wait_for_text(NET_STATUS, "Online", UI_TIMEOUT).await?;
    b.screenshot("03-home-english").await?;

    // And back.
    b.click("[data-testid=lang-toggle]").await?;
    wait_lang(app, "vi").await?;
    b.reload().await?;
    app.wait_home().await?;
    wait_lang(app, "vi").await?;
    b.wait_for_text(NET_STATUS, "Trực tuyến", NET_TIMEOUT)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- (6)

#[tokio::test(flavor = "multi_thread")]
async fn new_version_takes_over_and_keeps_data() {
    let mut app = TestApp::start("new_version_takes_over_and_keeps_data").await;
    let r = new_version_body(&mut app).await;
    app.finish(r).await;
}

/// Our shell caches (`htx-shell-*`) in Cache Storage, sorted.
async fn shell_caches(app: &TestApp) -> Result<Vec<String>> {
    let v = app
        .browser
        .exec_promise("caches.keys().then(ks => ks.filter(k => k.startsWith('htx-shell-')).sort())")
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// The service worker as the page sees it; `controllerChanges` counts the
/// `controllerchange` events since [`WATCH_CONTROLLER_JS`] ran.
const SW_STATE_JS: &str = "navigator.serviceWorker.getRegistration().then(r => ({
    controller: navigator.serviceWorker.controller ? navigator.serviceWorker.controller.scriptURL : null,
    controllerIsActive: !!(r && r.active) && navigator.serviceWorker.controller === r.active,
    installing: !!(r && r.installing),
    waiting: !!(r && r.waiting),
    active: r && r.active ? r.active.state : null,
    controllerChanges: window.__htxControllerChanges || 0,
}))";
const WATCH_CONTROLLER_JS: &str = "window.__htxControllerChanges = 0;
    navigator.serviceWorker.addEventListener('controllerchange', () => { window.__htxControllerChanges += 1; });
    return true;";

/// What the redeployed build adds to index.html.
const BUILD_META: &str = "meta[name=htx-build]";

async fn new_version_body(app: &mut TestApp) -> Result<()> {
    // (1) Version 1: a draft on the device, the shell precached.
    app.open_home().await?;
    app.browser
        .wait_for_attr(NET_STATUS, "data-state", "online", NET_TIMEOUT)
        .await?;
    let notes = unique("e2e phiên bản mới");
    save_draft(app, &notes).await?;
    wait_sw_ready(app).await?;
    let saved = count_of(app, STORED_COUNT).await?;
    ensure!(
        app.browser.find_all(BUILD_META).await?.is_empty(),
        "version 1 already has <meta name=htx-build>"
    );

    // (2) Exactly one shell cache, named after dist/sw.js's VERSION.
    let dist = app.server.dist_dir().to_path_buf();
    let sw_v1 = std::fs::read_to_string(dist.join("sw.js")).context("reading dist/sw.js")?;
    let v1 = sw_version(&sw_v1)?;
    let old_cache = format!("htx-shell-{v1}");
    let caches_v1 = shell_caches(app).await?;
    ensure!(
        caches_v1 == [old_cache.clone()],
        "shell caches before the update: {caches_v1:?}, expected [{old_cache:?}]"
    );

    // (3) Version 2 = a copy of dist/ with a new sw.js VERSION and a visible change in index.html.
    let v2_dir = tempfile::Builder::new()
        .prefix("htx-e2e-dist-v2-")
        .tempdir()?;
    copy_dir(&dist, v2_dir.path())?;
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
    let mut v2 = format!("{nanos:016x}");
    if v2 == v1 {
        v2 = format!("{:016x}", nanos ^ 1);
    }
    let new_cache = format!("htx-shell-{v2}");
    let sw_v2 = sw_v1.replacen(
        &format!("const VERSION = \"{v1}\""),
        &format!("const VERSION = \"{v2}\""),
        1,
    );
    ensure!(
        sw_version(&sw_v2)? == v2,
        "could not change VERSION in the copy of sw.js"
    );
    std::fs::write(v2_dir.path().join("sw.js"), &sw_v2)?;
    let index_v1 = std::fs::read_to_string(dist.join("index.html"))?;
    ensure!(
        index_v1.contains("</head>"),
        "dist/index.html has no </head>"
    );
    let index_v2 = index_v1.replacen(
        "</head>",
        "<meta name=\"htx-build\" content=\"v2\">\n</head>",
        1,
    );
    std::fs::write(v2_dir.path().join("index.html"), &index_v2)?;

    // (4) Redeploy: same port, same database, the new build.
    app.server
        .stop()
        .await
        .context("SIGTERM the server (version 1)")?;
    app.server
        .restart_with_static_dir(v2_dir.path())
        .await
        .context("starting the server on version 2")?;
    let served = app.http.get(app.url("/sw.js")).send().await?.text().await?;
    ensure!(
        sw_version(&served)? == v2,
        "the restarted server does not serve the new sw.js"
    );

    // (5) The browser checks for an update; the new worker installs,
    // activates, deletes the old cache and takes the page over.
    let b = &app.browser;
    b.exec(WATCH_CONTROLLER_JS).await?;
    b.exec_promise(
        "navigator.serviceWorker.getRegistration().then(r => r.update()).then(() => true)",
    )
    .await
    .context("registration.update()")?;
    let last = std::sync::Mutex::new(String::from("nothing yet"));
    let took_over = htx_e2e::poll_until(
        "the new service worker to take over",
        Duration::from_secs(20),
        || async {
            let caches = shell_caches(app).await?;
            let state = b.exec_promise(SW_STATE_JS).await?;
            *last.lock().unwrap() = format!("caches {caches:?}, sw {state}");
            let ok = caches == [new_cache.clone()]
                && state["controllerIsActive"] == true
                && state["installing"] == false
                && state["waiting"] == false
                && state["active"] == "activated"
                && state["controllerChanges"].as_u64().unwrap_or(0) >= 1;
            Ok(ok.then_some(()))
        },
    )
    .await;
    if let Err(e) = took_over {
        bail!(
            "{e:#}; last seen: {}; expected caches [{new_cache:?}] (old {old_cache:?})",
            last.lock().unwrap()
        );
    }
    eprintln!("[{}] after the update: {}", app.name, last.lock().unwrap());
    let sw_text = b
        .exec_promise("fetch('/sw.js', { cache: 'no-store' }).then(r => r.text())")
        .await?;
    ensure!(
        sw_text.as_str().is_some_and(|t| t.contains(&v2)),
        "the page's fetch('/sw.js') does not contain {v2}"
    );
    let cached_index = b
        .exec_promise(&format!("caches.open({new_cache:?}).then(c => c.match('/index.html')).then(r => r ? r.text() : null)"))
        .await?;
    ensure!(
        cached_index
            .as_str()
            .is_some_and(|t| t.contains("name=\"htx-build\"")),
        "the new cache's /index.html is not version 2's: {cached_index}"
    );

    // Reload: version 2 renders, the draft is still there.
    b.reload().await?;
    app.wait_home()
        .await
        .context("home did not render on version 2")?;
    let build = b
        .attr(BUILD_META, "content")
        .await
        .context("no <meta name=htx-build> after the update")?;
    ensure!(
        build.as_deref() == Some("v2"),
        "<meta name=htx-build> content is {build:?}"
    );
    b.wait_for_text(VISIT_ITEM, &notes, UI_TIMEOUT)
        .await
        .context("the draft is gone after the update")?;
    let after = count_of(app, STORED_COUNT).await?;
    ensure!(
        after == saved,
        "stored-visits-count after the update is {after}, was {saved}"
    );
    b.wait_for_js("navigator.serviceWorker.controller !== null", UI_TIMEOUT)
        .await
        .context("no controller after the reload")?;
    let caches = shell_caches(app).await?;
    ensure!(
        caches == [new_cache.clone()],
        "shell caches after the reload: {caches:?}, expected [{new_cache:?}]"
    );
    b.wait_for_attr(NET_STATUS, "data-state", "online", NET_TIMEOUT)
        .await?;
    b.screenshot("04-after-update").await?;
    let errors = script_errors(app).await?;
    ensure!(
        errors.is_empty(),
        "console errors during the update:\n{}",
        errors.join("\n")
    );

    // (6) Offline: version 2's cache serves the app, with the draft.
    app.server
        .stop()
        .await
        .context("SIGTERM the server (version 2)")?;
    let b = &app.browser;
    b.reload().await?;
    app.wait_home()
        .await
        .context("version 2 did not render offline")?;
    let build = b
        .attr(BUILD_META, "content")
        .await
        .context("offline page has no <meta name=htx-build>")?;
    ensure!(
        build.as_deref() == Some("v2"),
        "offline <meta name=htx-build> content is {build:?}"
    );
    b.wait_for_text(VISIT_ITEM, &notes, UI_TIMEOUT)
        .await
        .context("the draft is gone offline after the update")?;
    let offline = count_of(app, STORED_COUNT).await?;
    ensure!(
        offline == saved,
        "stored-visits-count offline after the update is {offline}, was {saved}"
    );
    b.wait_for_attr(NET_STATUS, "data-state", "offline", NET_TIMEOUT)
        .await?;
    b.screenshot("04b-after-update-offline").await?;
    Ok(())
}

// ---------------------------------------------------------------- (7)

/// A newer version of the app opening the database with a higher schema (in
/// another tab) is not blocked by this tab's open connection: this tab closes
/// it and reloads, to run the new version too.
#[tokio::test(flavor = "multi_thread")]
async fn an_open_tab_gives_way_to_a_schema_upgrade() {
    let app = TestApp::start("an_open_tab_gives_way_to_a_schema_upgrade").await;
    let r = gives_way_body(&app).await;
    app.finish(r).await;
}

async fn gives_way_body(app: &TestApp) -> Result<()> {
    app.open_home().await?;
    let b = &app.browser;
    // The home page has opened the app's connection (it shows the schema).
    count_of(app, "[data-testid=db-version]").await?;
    b.exec("window.__before_upgrade = true;").await?;
    let client = b.client();
    let first = client.window().await?;
    let other = client.new_window(true).await?.handle;
    client.switch_to_window(other).await?;
    client.goto(&app.url("/api/health")).await?;
    let upgraded = b
        .exec_promise(
            "new Promise((ok, ko) => { const r = indexedDB.open('htx-survey', 1000); \
             r.onblocked = () => ko('blocked by the open tab'); r.onerror = () => ko(r.error); \
             r.onsuccess = () => { const v = r.result.version; r.result.close(); ok(v); }; })",
        )
        .await?;
    ensure!(
        upgraded.as_u64() == Some(1000),
        "the upgrade answered {upgraded}"
    );
    client.close_window().await?;
    client.switch_to_window(first).await?;
    htx_e2e::poll_until("the first tab reloaded", UI_TIMEOUT, || async {
        Ok((b.exec("return window.__before_upgrade === undefined && document.readyState === 'complete';").await?
            == Value::Bool(true))
        .then_some(()))
    })
    .await?;
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
            let msg = format!(
                "[{name}] FAILED: {e:#}\n----- server log -----\n{}\n----- end -----",
                server.log_tail(16000)
            );
            drop(server); // before panicking: its Drop would print the log again
            panic!("{msg}");
        }
    }
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
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
    ensure!(
        r.status() == 200,
        "GET /manifest.webmanifest: {}",
        r.status()
    );
    let ct = header(&r, "content-type");
    ensure!(
        ct.contains("json"),
        "manifest content-type {ct:?}, expected application/manifest+json"
    );
    let m: Value = serde_json::from_slice(&r.bytes().await?).context("the manifest is not JSON")?;

    ensure!(m["display"] == "standalone", "display is {}", m["display"]);
    let start = m["start_url"].as_str().unwrap_or_default();
    ensure!(!start.is_empty(), "no start_url");
    let base = reqwest::Url::parse(&url)?;
    let r = http.get(base.join(start)?).send().await?;
    ensure!(
        r.status() == 200,
        "start_url {start} answers {}",
        r.status()
    );
    ensure!(m["name"].as_str().is_some_and(|s| !s.is_empty()), "no name");
    ensure!(
        m["short_name"].as_str().is_some_and(|s| !s.is_empty()),
        "no short_name"
    );

    let icons = m["icons"]
        .as_array()
        .ok_or_else(|| anyhow!("no icons array"))?;
    for want in ["192x192", "512x512"] {
        let icon = icons
            .iter()
            .find(|i| {
                i["sizes"]
                    .as_str()
                    .is_some_and(|s| s.split_whitespace().any(|s| s == want))
            })
            .ok_or_else(|| anyhow!("no {want} icon in {icons:?}"))?;
        let src = icon["src"]
            .as_str()
            .ok_or_else(|| anyhow!("{want} icon has no src"))?;
        let r = http.get(base.join(src)?).send().await?;
        ensure!(r.status() == 200, "icon {src}: {}", r.status());
        let ct = header(&r, "content-type");
        ensure!(
            ct.starts_with("image/png"),
            "icon {src}: content-type {ct:?}"
        );
        let body = r.bytes().await?;
        let (w, h) = png_size(&body).ok_or_else(|| anyhow!("icon {src} is not a PNG"))?;
        ensure!(
            format!("{w}x{h}") == want,
            "icon {src} is {w}x{h}, manifest says {want}"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- (5)

#[tokio::test(flavor = "multi_thread")]
async fn server_headers_cache_and_compression() {
    with_server(
        "server_headers_cache_and_compression",
        |server| async move {
            let r = headers_body(&server).await;
            (server, r)
        },
    )
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
        ensure!(
            ct.starts_with("text/html"),
            "GET {path}: content-type {ct:?}"
        );
        let cc = header(&r, "cache-control");
        ensure!(
            cc.contains("no-cache") || cc.contains("no-store"),
            "GET {path}: cache-control {cc:?}, expected no-cache"
        );
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
    ensure!(
        cc.contains("immutable") && cc.contains("max-age"),
        "GET {wasm}: cache-control {cc:?}, expected max-age=..., immutable"
    );
    let ct = header(&r, "content-type");
    ensure!(
        ct.starts_with("application/wasm"),
        "GET {wasm}: content-type {ct:?}"
    );
    let ce = header(&r, "content-encoding");
    ensure!(
        ce.is_empty() || ce == "identity",
        "GET {wasm} without Accept-Encoding came {ce:?}"
    );
    ensure!(
        r.bytes().await? == raw,
        "GET {wasm} differs from the file in dist"
    );

    let r = http
        .get(server.url(&wasm))
        .header("accept-encoding", "gzip")
        .send()
        .await?;
    ensure!(r.status() == 200);
    let ce = header(&r, "content-encoding");
    ensure!(
        ce == "gzip",
        "GET {wasm} with Accept-Encoding: gzip came with content-encoding {ce:?}"
    );
    ensure!(
        header(&r, "cache-control").contains("immutable"),
        "gzip response lost immutable"
    );
    let gz = r.bytes().await?;
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped)
        .context("the gzip body does not decode")?;
    ensure!(
        unzipped == raw,
        "the gunzipped wasm differs from the file in dist"
    );
    ensure!(
        gz.len() < raw.len(),
        "gzip did not shrink the wasm ({} >= {})",
        gz.len(),
        raw.len()
    );
    eprintln!(
        "wasm {wasm}: {} bytes raw, {} bytes gzip from the server",
        raw.len(),
        gz.len()
    );

    let r = http
        .get(server.url(&wasm))
        .header("accept-encoding", "br")
        .send()
        .await?;
    ensure!(r.status() == 200);
    let ce = header(&r, "content-encoding");
    ensure!(
        ce == "br",
        "GET {wasm} with Accept-Encoding: br came with content-encoding {ce:?}"
    );
    let br = r.bytes().await?;
    ensure!(br.len() < raw.len(), "brotli did not shrink the wasm");
    eprintln!("wasm {wasm}: {} bytes br from the server", br.len());

    let r = http
        .get(server.url(&wasm))
        .header("accept-encoding", "gzip, deflate, br, zstd")
        .send()
        .await?;
    let ce = header(&r, "content-encoding");
    ensure!(
        ce == "br" || ce == "gzip",
        "browser-like Accept-Encoding got {ce:?}"
    );

    // The service worker: served as JavaScript, filled in by gen-sw.py, never immutable.
    let r = http.get(server.url("/sw.js")).send().await?;
    ensure!(r.status() == 200, "GET /sw.js: {}", r.status());
    let ct = header(&r, "content-type");
    ensure!(ct.contains("javascript"), "GET /sw.js: content-type {ct:?}");
    let cc = header(&r, "cache-control");
    ensure!(
        !cc.contains("immutable"),
        "GET /sw.js: cache-control {cc:?} must not be immutable"
    );
    let sw = r.text().await?;
    let precache = htx_e2e::dist::precache_urls(&sw)?;
    ensure!(
        precache.iter().any(|u| u == "/index.html") && precache.contains(&wasm),
        "precache list {precache:?}"
    );
    Ok(())
}
