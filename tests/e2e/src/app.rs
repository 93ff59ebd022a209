//! One test's world: a server and a browser, with a failure report.

use std::time::Duration;

use anyhow::{Context, Result};

use crate::browser::Browser;
use crate::server::ServerProcess;

/// How long the app may take to render `main[data-testid=home]` (wasm
/// download + compile + IndexedDB open on a loaded 2-core machine).
pub const APP_TIMEOUT: Duration = Duration::from_secs(45);

/// A server ([`ServerProcess`]) and a fresh browser ([`Browser`]) for one test.
///
/// ```ignore
/// let mut app = TestApp::start("my_test").await;      // panics with a clear message
/// let result = async { /* ... */ Ok(()) }.await;      // or a fn taking &mut TestApp
/// app.finish(result).await;                            // reports and panics on Err
/// ```
pub struct TestApp {
    pub name: String,
    pub browser: Browser,
    pub server: ServerProcess,
    pub http: reqwest::Client,
}

impl TestApp {
    /// Starts the server, then the browser. Panics (with the reason: missing
    /// binary or dist, server log, chromedriver log) if either fails.
    pub async fn start(name: &str) -> Self {
        match Self::try_start(name).await {
            Ok(app) => app,
            Err(e) => panic!("[{name}] could not start the test environment: {e:#}"),
        }
    }

    /// The same with a desktop-sized browser (the staff's console).
    pub async fn start_desktop(name: &str) -> Self {
        match Self::try_start_with(name, true).await {
            Ok(app) => app,
            Err(e) => panic!("[{name}] could not start the test environment: {e:#}"),
        }
    }

    pub async fn try_start(name: &str) -> Result<Self> {
        Self::try_start_with(name, false).await
    }

    /// The app over HTTPS at `https://<host>:<port>` (a certificate made for
    /// the test, trusted by the browser), not at localhost.
    pub async fn start_tls(name: &str, host: &str) -> Self {
        let started = async {
            let (server, site) = ServerProcess::start_tls(host)
                .await
                .context("starting htx-server over HTTPS")?;
            let browser = Browser::start_trusting(&site)
                .await
                .context("starting chromedriver + Chromium")?;
            let http = server.client();
            Ok::<_, anyhow::Error>(TestApp {
                name: name.to_string(),
                browser,
                server,
                http,
            })
        };
        match started.await {
            Ok(app) => app,
            Err(e) => panic!("[{name}] could not start the test environment: {e:#}"),
        }
    }

    /// [`start`](Self::start) with extra server flags (e.g. the full demo).
    pub async fn start_with_server_args(name: &str, args: &[&str]) -> Self {
        let started = async {
            let server = ServerProcess::start_with_args(args)
                .await
                .context("starting htx-server")?;
            let browser = Browser::start()
                .await
                .context("starting chromedriver + Chromium")?;
            Ok::<_, anyhow::Error>(TestApp {
                name: name.to_string(),
                browser,
                server,
                http: crate::http_client(),
            })
        };
        match started.await {
            Ok(app) => app,
            Err(e) => panic!("[{name}] could not start the test environment: {e:#}"),
        }
    }

    async fn try_start_with(name: &str, desktop: bool) -> Result<Self> {
        let server = ServerProcess::start()
            .await
            .context("starting htx-server")?;
        let browser = if desktop {
            Browser::start_desktop().await
        } else {
            Browser::start().await
        }
        .context("starting chromedriver + Chromium")?;
        Ok(TestApp {
            name: name.to_string(),
            browser,
            server,
            http: crate::http_client(),
        })
    }

    /// Absolute URL of `path` on the server.
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Navigates the browser to `path` on the server.
    pub async fn goto(&self, path: &str) -> Result<()> {
        self.browser.goto(&self.url(path)).await
    }

    /// Navigates to `path` and waits for `main[data-testid=home]`.
    pub async fn open_home(&self) -> Result<()> {
        self.goto("/").await?;
        self.wait_home().await
    }

    /// Waits for `main[data-testid=home]` (the database is open and the home page rendered).
    pub async fn wait_home(&self) -> Result<()> {
        self.browser
            .wait_for("main[data-testid=home]", APP_TIMEOUT)
            .await
            .map(|_| ())
    }

    /// The Content-Security-Policy violations the app's pages recorded in
    /// this tab (`sessionStorage.cspViolations`, see index.html): `Err` if any.
    pub async fn csp_violations(&self) -> Result<()> {
        let seen = self
            .browser
            .exec("try { return JSON.parse(sessionStorage.getItem('cspViolations') || '[]'); } catch (e) { return []; }")
            .await
            .unwrap_or(serde_json::Value::Array(Vec::new()));
        match seen.as_array() {
            Some(v) if !v.is_empty() => anyhow::bail!("Content-Security-Policy violations: {seen}"),
            _ => Ok(()),
        }
    }

    /// Ends the test: on `Err`, saves `target/screenshots/FAILED-<name>.png`,
    /// prints the browser console and the server log, and panics with the
    /// error; on `Ok`, closes the browser and stops the server.
    pub async fn finish(self, result: Result<()>) {
        // Every page the test went through ran under the server's
        // Content-Security-Policy: the pages record violations in the tab.
        let result = match result {
            Ok(()) => self.csp_violations().await,
            e => e,
        };
        let TestApp {
            name,
            browser,
            mut server,
            ..
        } = self;
        match result {
            Ok(()) => {
                let _ = browser.close().await;
                if server.is_running() {
                    let _ = server.stop().await;
                }
            }
            Err(e) => {
                let shot = match browser.screenshot(&format!("FAILED-{name}")).await {
                    Ok(p) => p.display().to_string(),
                    Err(se) => format!("<no screenshot: {se:#}>"),
                };
                let console = match browser.console().await {
                    Ok(entries) => entries
                        .iter()
                        .map(|c| format!("  {c}\n"))
                        .collect::<String>(),
                    Err(ce) => format!("  <no console: {ce:#}>\n"),
                };
                let url = browser.current_url().await.unwrap_or_default();
                let _ = browser.close().await;
                let _ = server.kill().await;
                let msg = format!(
                    "[{name}] FAILED: {e:#}\n\
                     page: {url}\nscreenshot: {shot}\n\
                     ----- browser console -----\n{console}\
                     ----- server log ({}) -----\n{}\n----- end -----",
                    server.log_path().display(),
                    server.log_tail(16000)
                );
                drop(server); // before panicking: its Drop would print the log again
                panic!("{msg}");
            }
        }
    }
}
