//! The app over HTTPS on a host name that is not localhost (issue 19), as
//! phones reach a real deployment: the page is a secure context, the service
//! worker installs, and the app opens again with the server gone.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use htx_e2e::TestApp;

const HOST: &str = "htx.test";

#[tokio::test(flavor = "multi_thread")]
async fn over_https_the_service_worker_installs_and_the_app_opens_offline() {
    let mut app = TestApp::start_tls("https_offline", HOST).await;
    let r = https_offline(&mut app).await;
    app.finish(r).await;
}

async fn https_offline(app: &mut TestApp) -> Result<()> {
    let b = &app.browser;
    app.open_home().await?;
    let origin = b.exec("return location.origin;").await?;
    ensure!(
        origin == format!("https://{HOST}:{}", app.server.port()).as_str(),
        "the page's origin: {origin}"
    );
    ensure!(
        b.exec("return window.isSecureContext;").await? == true,
        "not a secure context"
    );
    let res = app.http.get(app.url("/")).send().await?;
    ensure!(
        res.headers().get("strict-transport-security").is_some(),
        "no HSTS over HTTPS: {:?}",
        res.headers()
    );

    // The service worker takes control (one reload if clients.claim() was late) and caches the shell.
    let controlled = "navigator.serviceWorker.controller !== null";
    if b.wait_for_js(controlled, Duration::from_secs(15))
        .await
        .is_err()
    {
        b.reload().await?;
        app.wait_home().await?;
        b.wait_for_js(controlled, Duration::from_secs(20))
            .await
            .context("no service worker over HTTPS")?;
    }
    htx_e2e::poll_until("the app shell cached", Duration::from_secs(30), || async {
        let n = b.exec_promise("caches.keys().then(k => Promise.all(k.map(n => caches.open(n).then(c => c.keys())))).then(l => l.flat().length)").await?;
        Ok((n.as_u64().unwrap_or(0) > 3).then_some(()))
    })
    .await?;

    // The server is gone; the app opens from the service worker.
    app.server.stop().await?;
    b.reload().await?;
    app.wait_home()
        .await
        .context("the home page offline over HTTPS")?;
    b.screenshot("https-offline-home").await?;
    Ok(())
}
