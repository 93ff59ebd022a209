//! A headless browser driven through its WebDriver: Chromium through
//! chromedriver (both from Debian) by default, or Firefox ESR (Debian's)
//! through geckodriver (from the crates registry) with
//! `HTX_E2E_BROWSER=firefox`. The same tests run in both.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::paths::{free_port, screenshots_dir, tail_of_file};
use crate::poll::poll_until;
use crate::server::log_file;

pub const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
pub const DEFAULT_FIREFOX: &str = "/usr/bin/firefox-esr";

/// The browser engine the tests drive (`HTX_E2E_BROWSER`: `chromium`, the
/// default, or `firefox`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Chromium,
    Firefox,
}

impl Engine {
    pub fn from_env() -> Engine {
        match std::env::var("HTX_E2E_BROWSER").as_deref() {
            Ok("firefox") => Engine::Firefox,
            _ => Engine::Chromium,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
        }
    }
}

fn binary_from_env(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}
/// Phone-sized viewport (CSS px), see `mobileEmulation` below.
pub const WINDOW_SIZE: (u32, u32) = (360, 740);

/// Browsers alive at once in one test binary (`HTX_E2E_BROWSERS`, default 2):
/// the machines have 2 cores, and a wasm app in a debug-built server is slow
/// enough already.
static BROWSER_SLOTS: Semaphore = Semaphore::const_new(0);
static SLOTS_INIT: std::sync::Once = std::sync::Once::new();

async fn browser_slot() -> Result<SemaphorePermit<'static>> {
    SLOTS_INIT.call_once(|| {
        let n = std::env::var("HTX_E2E_BROWSERS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(2);
        BROWSER_SLOTS.add_permits(n);
    });
    Ok(BROWSER_SLOTS.acquire().await?)
}

/// One browser console entry (chromedriver's browser log, or Firefox's
/// console output).
#[derive(Debug, Clone)]
pub struct ConsoleEntry {
    /// `SEVERE`, `WARNING`, `INFO`, `DEBUG`.
    pub level: String,
    /// `javascript` (uncaught errors), `console-api` (console.*), `network`, ...
    pub source: String,
    pub message: String,
}

impl std::fmt::Display for ConsoleEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{} {}] {}", self.level, self.source, self.message)
    }
}

/// A WebDriver (chromedriver or geckodriver) on a free port + a session of
/// a headless browser with its own fresh profile directory (IndexedDB, Cache Storage, service workers
/// and localStorage are isolated per `Browser`, and survive reloads within it).
///
/// Prefer [`close`](Self::close); dropping it also ends the session (a
/// synchronous `DELETE /session`) and kills the driver's process group.
pub struct Browser {
    engine: Engine,
    client: Option<Client>,
    session_id: String,
    driver: Option<Child>,
    driver_port: u16,
    driver_log: PathBuf,
    /// How much of the driver's log [`console`](Self::console) has read (Firefox).
    log_read: std::sync::atomic::AtomicU64,
    http: reqwest::Client,
    _slot: SemaphorePermit<'static>,
    // Last: removed after Chromium is gone.
    profile: TempDir,
}

/// Desktop viewport (CSS px) for the staff's review console.
pub const DESKTOP_SIZE: (u32, u32) = (1280, 900);

impl Browser {
    /// Starts the driver and a fresh headless browser with a phone viewport.
    pub async fn start() -> Result<Self> {
        Self::start_with(false, None).await
    }

    /// The same with a desktop viewport (alliance staff at their desks).
    pub async fn start_desktop() -> Result<Self> {
        Self::start_with(true, None).await
    }

    /// A phone-sized browser that reaches `site` (an HTTPS test server) by
    /// its host name and trusts its certificate as if a CA had signed it,
    /// so the page is a secure context (service workers register).
    pub async fn start_trusting(site: &crate::server::TlsSite) -> Result<Self> {
        Self::start_with(false, Some(site)).await
    }

    async fn start_with(desktop: bool, site: Option<&crate::server::TlsSite>) -> Result<Self> {
        let engine = Engine::from_env();
        let slot = browser_slot().await?;
        let profile = tempfile::Builder::new()
            .prefix("htx-e2e-browser-")
            .tempdir()?;
        let (driver_bin, browser_bin) = match engine {
            Engine::Chromium => (
                binary_from_env("CHROMEDRIVER", DEFAULT_CHROMEDRIVER),
                binary_from_env("CHROMIUM", DEFAULT_CHROMIUM),
            ),
            Engine::Firefox => (
                which("geckodriver").unwrap_or_else(|| PathBuf::from("geckodriver")),
                binary_from_env("FIREFOX", DEFAULT_FIREFOX),
            ),
        };
        let packages = match engine {
            Engine::Chromium => ["chromium-driver", "chromium"],
            Engine::Firefox => ["geckodriver (cargo install)", "firefox-esr"],
        };
        for (p, pkg) in [(&driver_bin, packages[0]), (&browser_bin, packages[1])] {
            if !p.is_file() {
                bail!("{} not found (install {pkg}, e.g. via scripts/setup.sh; never a downloaded build)", p.display());
            }
        }
        let user_data_dir = profile.path().join("profile");
        std::fs::create_dir_all(&user_data_dir)?;
        let driver_log = profile.path().join("driver.log");

        let driver_port = free_port()?;
        let log = log_file(&driver_log)?;
        let mut cmd = Command::new(&driver_bin);
        cmd.arg(format!("--port={driver_port}"));
        if engine == Engine::Firefox {
            // Its profiles go into this browser's temporary directory.
            cmd.arg("--host=127.0.0.1")
                .arg("--profile-root")
                .arg(&user_data_dir);
        }
        let driver = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            // Own process group, so the browser and its helpers can be killed with it.
            .process_group(0)
            .spawn()
            .with_context(|| format!("spawning {}", driver_bin.display()))?;

        let http = crate::http_client();
        let mut browser = Browser {
            engine,
            client: None,
            session_id: String::new(),
            driver: Some(driver),
            driver_port,
            driver_log,
            log_read: std::sync::atomic::AtomicU64::new(0),
            http,
            _slot: slot,
            profile,
        };
        browser.wait_for_driver().await?;

        let caps = match engine {
            Engine::Chromium => chromium_capabilities(&browser_bin, &user_data_dir, desktop, site),
            Engine::Firefox => {
                if site.is_some() {
                    bail!("the HTTPS test runs in Chromium only (it trusts the test's certificate by its key)");
                }
                firefox_capabilities(&browser_bin)
            }
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .map_err(|e| {
                anyhow!(
                    "starting a {} session through its driver failed: {e}\ndriver log:\n{}",
                    engine.name(),
                    tail_of_file(&browser.driver_log, 8000)
                )
            })?;
        if engine == Engine::Firefox {
            // The phone's size: desktop Firefox keeps a window at least 500
            // CSS px wide, so its "phone" is 500 px wide (Chromium emulates
            // the 360 px phone exactly).
            let (w, h) = if desktop { DESKTOP_SIZE } else { WINDOW_SIZE };
            client.set_window_size(w, h).await?;
        }
        browser.session_id = client
            .session_id()
            .await?
            .ok_or_else(|| anyhow!("the driver returned no session id"))?;
        client
            .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                Some(Duration::from_secs(60)),
                Some(Duration::from_secs(60)),
                Some(Duration::ZERO),
            ))
            .await?;
        browser.client = Some(client);
        Ok(browser)
    }

    async fn wait_for_driver(&mut self) -> Result<()> {
        let url = format!("http://127.0.0.1:{}/status", self.driver_port);
        let http = self.http.clone();
        let res = poll_until(
            "the WebDriver's /status ready",
            Duration::from_secs(20),
            || {
                let http = http.clone();
                let url = url.clone();
                async move {
                    let v: Value = http.get(&url).send().await?.json().await?;
                    Ok(v["value"]["ready"].as_bool().unwrap_or(false).then_some(()))
                }
            },
        )
        .await;
        if let Err(e) = res {
            let exited = self
                .driver
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            bail!(
                "{e:#} (driver exit status: {exited:?})\ndriver log:\n{}",
                tail_of_file(&self.driver_log, 8000)
            );
        }
        Ok(())
    }

    /// The fantoccini client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("browser session already closed")
    }

    /// The Chromium profile directory (`--user-data-dir`).
    pub fn profile_dir(&self) -> PathBuf {
        self.profile.path().join("profile")
    }

    /// Which browser this is.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The driver's log (chromedriver or geckodriver, and Firefox's output).
    pub fn driver_log(&self) -> &Path {
        &self.driver_log
    }

    /// Navigates to an absolute URL and waits for the load event.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client()
            .goto(url)
            .await
            .with_context(|| format!("goto {url}"))
    }

    pub async fn current_url(&self) -> Result<String> {
        Ok(self.client().current_url().await?.to_string())
    }

    /// Reloads the page (like F5) and waits for the load event.
    ///
    /// In Firefox, WebDriver's refresh bypasses the service worker, like a
    /// hard reload (Ctrl+Shift+R): offline it shows Firefox's error page
    /// where an officer's reload opens the app. So there the page reloads
    /// itself, as the reload button does.
    pub async fn reload(&self) -> Result<()> {
        if self.engine == Engine::Chromium {
            return self.client().refresh().await.context("reload");
        }
        self.exec(
            "window.__htxBeforeReload = true; setTimeout(() => location.reload(), 0); return true;",
        )
        .await?;
        poll_until("the reloaded page", Duration::from_secs(60), || async {
            // Errors while the old document goes: not loaded yet.
            let loaded = self
                .client()
                .execute(
                    "return window.__htxBeforeReload === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .map(|v| truthy(&v))
                .unwrap_or(false);
            Ok(loaded.then_some(()))
        })
        .await
        .context("reload")
    }

    /// The first element matching `css`, now.
    pub async fn find(&self, css: &str) -> Result<Element> {
        self.client()
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("find {css}"))
    }

    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        self.client()
            .find_all(Locator::Css(css))
            .await
            .with_context(|| format!("find_all {css}"))
    }

    /// Polls until an element matches `css`.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        poll_until(&format!("element `{css}`"), timeout, || async {
            match self.client().find(Locator::Css(css)).await {
                Ok(e) => Ok(Some(e)),
                Err(e) if e.is_no_such_element() => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    /// Polls until no element matches `css`.
    pub async fn wait_for_absent(&self, css: &str, timeout: Duration) -> Result<()> {
        poll_until(&format!("no element `{css}`"), timeout, || async {
            Ok(self
                .client()
                .find_all(Locator::Css(css))
                .await?
                .is_empty()
                .then_some(()))
        })
        .await
    }

    /// Polls until the element matching `css` has attribute `name` == `value`.
    pub async fn wait_for_attr(
        &self,
        css: &str,
        name: &str,
        value: &str,
        timeout: Duration,
    ) -> Result<()> {
        let seen = std::sync::Mutex::new(None);
        let r = poll_until(
            &format!("`{css}` [{name}=\"{value}\"]"),
            timeout,
            || async {
                let v = self.find(css).await?.attr(name).await?;
                let ok = v.as_deref() == Some(value);
                *seen.lock().unwrap() = Some(v);
                Ok(ok.then_some(()))
            },
        )
        .await;
        r.map_err(|e| anyhow!("{e:#} (last value seen: {:?})", seen.lock().unwrap()))
    }

    /// Polls until the text of the element matching `css` contains `needle`; returns the text.
    pub async fn wait_for_text(
        &self,
        css: &str,
        needle: &str,
        timeout: Duration,
    ) -> Result<String> {
        let seen = std::sync::Mutex::new(None);
        let r = poll_until(
            &format!("`{css}` to contain text {needle:?}"),
            timeout,
            || async {
                let t = self.find(css).await?.text().await?;
                let ok = t.contains(needle);
                *seen.lock().unwrap() = Some(t.clone());
                Ok(ok.then_some(t))
            },
        )
        .await;
        r.map_err(|e| anyhow!("{e:#} (last text seen: {:?})", seen.lock().unwrap()))
    }

    /// Polls until the JavaScript expression `expr` is truthy; returns its value.
    pub async fn wait_for_js(&self, expr: &str, timeout: Duration) -> Result<Value> {
        let script = format!("return ({expr});");
        poll_until(&format!("JS `{expr}` to be truthy"), timeout, || async {
            let v = self.client().execute(&script, vec![]).await?;
            Ok(truthy(&v).then_some(v))
        })
        .await
    }

    /// The rendered text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    /// An attribute of the first element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Result<Option<String>> {
        Ok(self.find(css).await?.attr(name).await?)
    }

    /// Opens the visit form's part holding `e` when another part is on
    /// screen (by its button in the part navigator, as the officer would),
    /// and waits until `e` is shown. Elsewhere it does nothing.
    pub async fn reveal(&self, e: &Element) -> Result<()> {
        let arg = serde_json::to_value(e)?;
        let opened = self
            .exec_with(
                "const part = arguments[0].closest('[data-part][hidden]'); if (!part) return false; \
                 document.querySelector(`[data-part-link='${part.dataset.part}']`).click(); return true;",
                vec![arg.clone()],
            )
            .await?;
        if truthy(&opened) {
            poll_until("the form part to open", Duration::from_secs(10), || async {
                let v = self
                    .exec_with(
                        "return arguments[0].closest('[hidden]') === null;",
                        vec![arg.clone()],
                    )
                    .await?;
                Ok(truthy(&v).then_some(()))
            })
            .await?;
        }
        Ok(())
    }

    /// Clicks the first element matching `css`.
    /// Scrolls it to the middle of the viewport first, as a finger would: the
    /// driver's own scrolling may leave it under the fixed bottom tab bar.
    pub async fn click(&self, css: &str) -> Result<()> {
        let e = self.find(css).await?;
        self.reveal(&e).await?;
        let arg = serde_json::to_value(&e)?;
        self.exec_with(
            "arguments[0].scrollIntoView({block: 'center'}); return true;",
            vec![arg],
        )
        .await?;
        e.click().await.with_context(|| format!("click {css}"))
    }

    /// Clears the input matching `css` and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        let e = self.find(css).await?;
        self.reveal(&e).await?;
        e.clear().await.with_context(|| format!("clear {css}"))?;
        e.send_keys(text)
            .await
            .with_context(|| format!("type into {css}"))
    }

    /// Runs `script` (a function body: use `return`).
    pub async fn exec(&self, script: &str) -> Result<Value> {
        self.exec_with(script, vec![]).await
    }

    /// Runs `script` with `arguments` = `args`.
    pub async fn exec_with(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.client()
            .execute(script, args)
            .await
            .map_err(|e| anyhow!("executing JS failed: {e}\n--- script ---\n{script}"))
    }

    /// Runs an asynchronous `script`: the callback is the last element of
    /// `arguments`; see also [`exec_promise`](Self::exec_promise).
    pub async fn exec_async(&self, script: &str) -> Result<Value> {
        self.client()
            .execute_async(script, vec![])
            .await
            .map_err(|e| anyhow!("executing async JS failed: {e}\n--- script ---\n{script}"))
    }

    /// Awaits the JavaScript expression `promise_expr` (may use `await` inside
    /// an async arrow); a rejection becomes an `Err`.
    pub async fn exec_promise(&self, promise_expr: &str) -> Result<Value> {
        let script = format!(
            "const done = arguments[arguments.length - 1];\n\
             Promise.resolve().then(() => ({promise_expr}))\n\
               .then(v => done({{ ok: v === undefined ? null : v }}), e => done({{ err: String(e && e.stack || e) }}));"
        );
        let v = self.exec_async(&script).await?;
        if let Some(err) = v.get("err") {
            bail!("JS promise rejected: {}", err.as_str().unwrap_or_default());
        }
        Ok(v.get("ok").cloned().unwrap_or(Value::Null))
    }

    /// The viewport size, `(innerWidth, innerHeight)` in CSS pixels.
    pub async fn window_size(&self) -> Result<(u64, u64)> {
        let v = self
            .exec("return [window.innerWidth, window.innerHeight];")
            .await?;
        Ok((v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0)))
    }

    /// `document.documentElement.lang`
    pub async fn html_lang(&self) -> Result<String> {
        Ok(self
            .exec("return document.documentElement.lang;")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Saves a PNG of the viewport to `<workspace>/target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self.client().screenshot().await.context("screenshot")?;
        let name = match self.engine {
            Engine::Chromium => name.to_string(),
            Engine::Firefox => format!("firefox-{name}"),
        };
        let path = screenshots_dir()?.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Browser console entries logged since the previous call (chromedriver
    /// hands each entry out once): console.*, uncaught errors, failed loads.
    pub async fn console(&self) -> Result<Vec<ConsoleEntry>> {
        if self.engine == Engine::Firefox {
            return self.firefox_console();
        }
        let v = self
            .chromedriver_post("se/log", json!({ "type": "browser" }))
            .await
            .context("reading the browser log from chromedriver")?;
        let entries = v["value"]
            .as_array()
            .ok_or_else(|| anyhow!("unexpected browser log answer: {v}"))?;
        Ok(entries
            .iter()
            .map(|e| ConsoleEntry {
                level: e["level"].as_str().unwrap_or_default().to_string(),
                source: e["source"].as_str().unwrap_or_default().to_string(),
                message: e["message"].as_str().unwrap_or_default().to_string(),
            })
            .collect())
    }

    /// POSTs `body` to chromedriver's own endpoint `path` of this session
    /// (beyond fantoccini's commands): its JSON answer.
    async fn chromedriver_post(&self, path: &str, body: Value) -> Result<Value> {
        let url = format!(
            "http://127.0.0.1:{}/session/{}/{path}",
            self.driver_port, self.session_id
        );
        Ok(self
            .http
            .post(&url)
            .json(&body)
            .send()
            .await?
            .json()
            .await?)
    }

    /// Firefox's console lines in the driver log since the previous call.
    fn firefox_console(&self) -> Result<Vec<ConsoleEntry>> {
        use std::sync::atomic::Ordering;
        let text = std::fs::read(&self.driver_log)
            .with_context(|| format!("reading {}", self.driver_log.display()))?;
        let from =
            (self.log_read.swap(text.len() as u64, Ordering::SeqCst) as usize).min(text.len());
        Ok(String::from_utf8_lossy(&text[from..])
            .lines()
            .filter_map(firefox_console_entry)
            .collect())
    }

    /// Runs a Chrome DevTools Protocol command (Chromium only), e.g.
    /// `Emulation.setCPUThrottlingRate`, through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        if self.engine != Engine::Chromium {
            bail!("{cmd}: the DevTools protocol is Chromium's");
        }
        let v = self
            .chromedriver_post("goog/cdp/execute", json!({ "cmd": cmd, "params": params }))
            .await
            .with_context(|| format!("DevTools command {cmd}"))?;
        if v["value"]["error"].is_string() {
            bail!("DevTools command {cmd} failed: {v}");
        }
        Ok(v["value"].clone())
    }

    /// The `SEVERE` console entries since the previous [`console`](Self::console) call.
    pub async fn console_errors(&self) -> Result<Vec<ConsoleEntry>> {
        Ok(self
            .console()
            .await?
            .into_iter()
            .filter(|e| e.level == "SEVERE")
            .collect())
    }

    /// Ends the session (Chromium quits) and stops chromedriver.
    pub async fn close(mut self) -> Result<()> {
        let r = match self.client.take() {
            Some(c) => c.close().await.map_err(anyhow::Error::from),
            None => Ok(()),
        };
        self.stop_driver();
        r
    }

    fn stop_driver(&mut self) {
        let Some(mut driver) = self.driver.take() else {
            return;
        };
        let pgid = driver.id() as libc::pid_t;
        if matches!(driver.try_wait(), Ok(None)) {
            // SAFETY: signals our own child's process group (created with process_group(0)).
            unsafe { libc::killpg(pgid, libc::SIGTERM) };
            for _ in 0..40 {
                if !matches!(driver.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        // Whatever is left of the group (Chromium helpers).
        // SAFETY: as above; ESRCH when the group is already empty.
        unsafe { libc::killpg(pgid, libc::SIGKILL) };
        let _ = driver.wait();
    }

    /// `DELETE /session/<id>` over a plain socket: usable from Drop, where
    /// no async runtime can be relied on.
    fn delete_session_blocking(&self) {
        if self.session_id.is_empty() {
            return;
        }
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.driver_port));
        let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
            return;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let req = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.session_id, self.driver_port
        );
        if s.write_all(req.as_bytes()).is_ok() {
            let mut sink = Vec::new();
            let _ = s.read_to_end(&mut sink);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.client.take().is_some() {
            self.delete_session_blocking();
        }
        self.stop_driver();
    }
}

/// JavaScript truthiness of a JSON value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// The first `name` on PATH.
fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Headless Chromium with its own profile; phone-sized by device emulation.
fn chromium_capabilities(
    chromium: &Path,
    user_data_dir: &Path,
    desktop: bool,
    site: Option<&crate::server::TlsSite>,
) -> serde_json::Map<String, Value> {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    let size = if desktop { DESKTOP_SIZE } else { WINDOW_SIZE };
    let mut options = json!({
            "binary": chromium.display().to_string(),
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                format!("--window-size={},{}", size.0, size.1),
                format!("--user-data-dir={}", user_data_dir.display()),
            ],
    });
    // No lookups beyond this machine; a test site's name maps to it.
    let args = options["args"].as_array_mut().expect("args");
    match site {
        None => args.push(json!(
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
        )),
        Some(site) => {
            args.push(json!(format!(
                "--host-resolver-rules=MAP {} 127.0.0.1, MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                site.host
            )));
            args.push(json!(format!(
                "--ignore-certificate-errors-spki-list={}",
                site.spki_sha256
            )));
        }
    }
    if !desktop {
        // Headless "new" Chromium clamps real windows to >= 500 px wide,
        // so the phone viewport comes from device emulation (touch, mobile
        // viewport); --window-size above only sizes the outer window.
        options["mobileEmulation"] = json!({
            "deviceMetrics": { "width": WINDOW_SIZE.0, "height": WINDOW_SIZE.1, "pixelRatio": 1.0, "touch": true, "mobile": true },
        });
    }
    caps.insert("goog:chromeOptions".into(), options);
    // Makes the browser console readable through chromedriver (console_errors).
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    caps
}

/// Headless Firefox ESR with a fresh profile from geckodriver (the window
/// is sized once the session runs). Its console goes to its standard
/// output, which geckodriver writes into the driver log that
/// [`Browser::console`] reads (geckodriver has no log endpoint).
fn firefox_capabilities(firefox: &Path) -> serde_json::Map<String, Value> {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("firefox"));
    caps.insert(
        "moz:firefoxOptions".into(),
        json!({
            "binary": firefox.display().to_string(),
            "args": ["-headless"],
            "prefs": {
                // The pages' console messages and uncaught errors to stdout
                // (the driver log); not the browser's own.
                "devtools.console.stdout.content": true,
                "devtools.console.stdout.chrome": false,
                "browser.backup.enabled": false,
                "browser.backup.scheduled.enabled": false,
                "messaging-system.rsexperimentloader.enabled": false,
                "app.normandy.enabled": false,
                "app.shield.optoutstudies.enabled": false,
                // JSON (e.g. /api/health) as plain text: Firefox's JSON
                // viewer is a page of its own origin, so a test's script
                // there would not reach the app's IndexedDB.
                "devtools.jsonview.enabled": false,
                // Nothing beyond this machine: no captive-portal probe,
                // connectivity check, safe browsing or update lookups.
                "network.captive-portal-service.enabled": false,
                "network.connectivity-service.enabled": false,
                "browser.safebrowsing.malware.enabled": false,
                "browser.safebrowsing.phishing.enabled": false,
                "browser.safebrowsing.downloads.enabled": false,
                "app.update.auto": false,
                "extensions.update.enabled": false,
                "datareporting.policy.dataSubmissionEnabled": false,
                "toolkit.telemetry.enabled": false,
                "browser.region.network.url": "",
                "browser.search.geoip.url": "",
            },
        }),
    );
    caps
}

/// Loggers of Firefox itself (remote settings, backups) whose lines its
/// console output mixes with the page's: not the app's errors.
const FIREFOX_OWN_LOGGERS: &[&str] = &["RSLoader:", "BackupService:"];

/// A console line Firefox printed (with `devtools.console.stdout.content`)
/// as a [`ConsoleEntry`]; other lines of the driver log are not.
fn firefox_console_entry(line: &str) -> Option<ConsoleEntry> {
    // The browser's own modules, not the page.
    if line.contains("resource://") || line.contains("chrome://") {
        return None;
    }
    let message = line.split_once(": ").map(|(_, m)| m).unwrap_or_default();
    if FIREFOX_OWN_LOGGERS.iter().any(|l| message.starts_with(l)) {
        return None;
    }
    let (level, source) = if line.starts_with("console.error:") {
        ("SEVERE", "console-api")
    } else if line.starts_with("JavaScript error:") {
        ("SEVERE", "javascript")
    } else if line.starts_with("console.warn:") || line.starts_with("JavaScript warning:") {
        ("WARNING", "console-api")
    } else if line.starts_with("console.") {
        ("INFO", "console-api")
    } else {
        return None;
    };
    Some(ConsoleEntry {
        level: level.into(),
        source: source.into(),
        message: line.to_string(),
    })
}
