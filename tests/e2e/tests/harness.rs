//! Tests of the harness itself, with no built server or app: a stand-in
//! server (tests/fixtures/fake_server.py, needs python3) serving a static page,
//! and the real chromedriver + headless Chromium.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{ensure, Result};
use htx_e2e::{Browser, ServerProcess};

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>harness</title></head>
<body>
<main data-testid="home">
  <span data-testid="net-status" data-state="checking">Đang kiểm tra</span>
  <span data-testid="count">0</span>
  <input data-testid="draft-notes"><button data-testid="save-draft">Lưu</button>
  <ul data-testid="visit-list"></ul>
</main>
<script>
  document.querySelector("[data-testid=save-draft]").addEventListener("click", () => {
    const li = document.createElement("li");
    li.dataset.testid = "visit-item";
    li.textContent = document.querySelector("[data-testid=draft-notes]").value;
    document.querySelector("[data-testid=visit-list]").prepend(li);
    localStorage.setItem("saved", li.textContent);
  });
  setTimeout(() => {
    const s = document.querySelector("[data-testid=net-status]");
    s.dataset.state = "online"; s.textContent = "Trực tuyến";
  }, 300);
  document.querySelector("[data-testid=count]").textContent = localStorage.getItem("saved") ? "1" : "0";
  console.error("harness-console-error");
</script>
</body></html>"#;

fn fake_dist() -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("index.html"), PAGE)?;
    Ok(dir)
}

fn fake_server_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake_server.py")
}

async fn start_fake(dist: &tempfile::TempDir) -> Result<ServerProcess> {
    ServerProcess::start_custom(fake_server_bin(), dist.path().to_path_buf(), &[]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn server_process_stop_kill_restart_same_port() -> Result<()> {
    let dist = fake_dist()?;
    let mut server = start_fake(&dist).await?;
    let port = server.port();
    let http = htx_e2e::http_client();
    ensure!(http.get(server.url("/api/health")).send().await?.status() == 200);
    ensure!(
        server.database_path().exists(),
        "the stand-in creates the database file"
    );

    server.stop().await?;
    ensure!(!server.is_running());
    ensure!(
        !server.port_accepts_connections(),
        "port {port} still accepts connections after stop"
    );
    server.restart().await?;
    ensure!(server.port() == port);
    ensure!(http.get(server.url("/index.html")).send().await?.status() == 200);

    server.kill().await?;
    ensure!(
        !server.port_accepts_connections(),
        "port {port} still accepts connections after kill"
    );
    server.restart().await?;
    ensure!(http.get(server.url("/api/health")).send().await?.status() == 200);
    ensure!(
        server.log().matches("fake-server listening").count() == 3,
        "log:\n{}",
        server.log()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_binary_fails_with_a_clear_message() -> Result<()> {
    let dist = fake_dist()?;
    let err = ServerProcess::start_custom(
        PathBuf::from("/nonexistent/htx-server"),
        dist.path().into(),
        &[],
    )
    .await
    .err()
    .expect("starting a missing binary must fail");
    ensure!(
        format!("{err:#}").contains("/nonexistent/htx-server"),
        "{err:#}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_helpers_against_a_static_page() -> Result<()> {
    let dist = fake_dist()?;
    let server = start_fake(&dist).await?;
    let browser = Browser::start().await?;
    let t = Duration::from_secs(10);

    browser.goto(&server.url("/")).await?;
    browser.wait_for("main[data-testid=home]", t).await?;
    ensure!(browser.html_lang().await? == "vi");
    browser
        .wait_for_attr("[data-testid=net-status]", "data-state", "online", t)
        .await?;
    ensure!(browser.text("[data-testid=net-status]").await? == "Trực tuyến");
    ensure!(
        browser
            .attr("[data-testid=net-status]", "data-state")
            .await?
            .as_deref()
            == Some("online")
    );

    browser
        .fill("input[data-testid=draft-notes]", "ghi chú thử")
        .await?;
    browser.click("button[data-testid=save-draft]").await?;
    browser
        .wait_for_text(
            "ul[data-testid=visit-list] > li[data-testid=visit-item]",
            "ghi chú thử",
            t,
        )
        .await?;

    let sum = browser
        .exec_with(
            "return arguments[0] + arguments[1];",
            vec![2.into(), 3.into()],
        )
        .await?;
    ensure!(sum == 5, "{sum}");
    let v = browser
        .exec_promise("(async () => { await new Promise(r => setTimeout(r, 50)); return 'ok'; })()")
        .await?;
    ensure!(v == "ok", "{v}");
    ensure!(browser
        .exec_promise("Promise.reject(new Error('boom'))")
        .await
        .is_err());
    let w = browser.window_size().await?;
    ensure!(w == (360, 740), "viewport {w:?}");

    let errors = browser.console_errors().await?;
    ensure!(
        errors
            .iter()
            .any(|e| e.message.contains("harness-console-error")),
        "{errors:?}"
    );

    // The profile survives a reload: localStorage is still there.
    browser.reload().await?;
    browser.wait_for_text("[data-testid=count]", "1", t).await?;
    let shot = browser.screenshot("harness-static-page").await?;
    ensure!(
        std::fs::read(&shot)?.starts_with(b"\x89PNG"),
        "{}",
        shot.display()
    );
    browser.close().await?;
    Ok(())
}
