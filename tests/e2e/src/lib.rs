//! End-to-end harness for htx-survey.
//!
//! Drives the real `htx-server` binary (serving the Trunk-built `dist/`) and
//! Debian's headless Chromium through chromedriver. Nothing here downloads a
//! browser or a driver: the paths are `/usr/bin/chromium` and
//! `/usr/bin/chromedriver` unless `CHROMIUM` / `CHROMEDRIVER` say otherwise.
//!
//! * [`ServerProcess`]: the server on a free port with a throw-away SQLite
//!   database; stoppable (SIGTERM), killable (SIGKILL) and restartable on the
//!   same port and database.
//! * [`Browser`]: chromedriver + Chromium with a fresh profile (phone-sized
//!   window), wrapped in small polling helpers.
//! * [`TestApp`]: one server + one browser for one test, with a failure
//!   report (screenshot, console errors, server log).
//!
//! Environment: `HTX_SERVER_BIN`, `HTX_DIST`, `CHROMEDRIVER`, `CHROMIUM`,
//! `HTX_E2E_BROWSERS` (how many browsers may run at once, default 2).

pub mod app;
pub mod browser;
pub mod console;
pub mod dist;
pub mod field;
pub mod paths;
pub mod poll;
pub mod server;
pub mod sync;

pub use app::TestApp;
pub use browser::{Browser, ConsoleEntry};
pub use paths::{dist_dir, free_port, screenshots_dir, server_bin, workspace_root};
pub use poll::poll_until;
pub use server::ServerProcess;

/// A plain-HTTP client for talking to the server: no TLS, no transparent
/// decompression (so `Content-Encoding` is what the server really sent).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("reqwest client")
}
