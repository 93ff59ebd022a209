//! Signing in and out on a phone (issue 19): sign-out revokes the token on
//! the server, warns when visits still wait for the server and never deletes
//! them; too many wrong passwords are refused with the wait, in Vietnamese.

use anyhow::{ensure, Context, Result};
use htx_e2e::field::{sign_in, OFFICER, UI_TIMEOUT};
use htx_e2e::sync::{device_counts, final_visits, officer_organisations, store_on_device, wait_device};
use htx_e2e::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn sign_out_warns_about_unsent_visits_keeps_them_and_revokes_the_token() {
    let mut app = TestApp::start("sign_out").await;
    let r = sign_out(&mut app).await;
    app.finish(r).await;
}

async fn token_on_device(app: &TestApp) -> Result<String> {
    let v = app.browser.exec("return JSON.parse(localStorage.getItem('htx.session') || 'null');").await?;
    v["token"].as_str().map(str::to_owned).context("no token on the device")
}

async fn sign_out(app: &mut TestApp) -> Result<()> {
    let b = &app.browser;
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    let orgs = officer_organisations(app, OFFICER.0, OFFICER.1).await?;
    let token = token_on_device(app).await?;

    // Two visits finalized while the server is away: they wait.
    app.server.stop().await?;
    store_on_device(app, &orgs, &final_visits(&orgs, 2)?).await?;
    app.open_home().await?;
    b.click("[data-testid=sign-out]").await?;
    let warning = b.wait_for_text("[data-testid=sign-out-warning]", "2 chuyến", UI_TIMEOUT).await?;
    ensure!(warning.contains("không bị xóa"), "the warning says nothing is deleted: {warning}");
    b.screenshot("sign-out-warning").await?;
    b.click("[data-testid=sign-out-cancel]").await?;
    ensure!(b.find_all("[data-testid=sign-out-warning]").await?.is_empty(), "cancel closes the warning");
    b.find("[data-testid=signed-in]").await.context("still signed in after cancel")?;
    b.click("[data-testid=sign-out]").await?;
    b.wait_for("[data-testid=sign-out-confirm]", UI_TIMEOUT).await?;
    b.click("[data-testid=sign-out-confirm]").await?;
    b.wait_for("[data-testid=signed-out]", UI_TIMEOUT).await.context("signed out (offline)")?;
    let c = device_counts(app).await?;
    ensure!(c.visits == 2 && c.outbox == 2, "the unsent visits stay on the device and in the outbox: {c:?}");

    // Back online and signed in again: they go.
    app.server.restart().await?;
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    wait_device(app, "the waiting visits sent", UI_TIMEOUT * 3, |c| c.confirmed == 2 && c.outbox == 0).await?;

    // Online with nothing waiting: sign-out at once, and the token is revoked.
    let token2 = token_on_device(app).await?;
    app.open_home().await?;
    b.click("[data-testid=sign-out]").await?;
    b.wait_for("[data-testid=signed-out]", UI_TIMEOUT).await.context("signed out (online)")?;
    for t in [&token2] {
        let res = app.http.get(app.url("/api/v1/sync/pull")).bearer_auth(t).send().await?;
        ensure!(res.status() == 401, "the signed-out token still works: {}", res.status());
    }
    let _ = token;
    ensure!(device_counts(app).await?.visits == 2, "signing out deletes nothing");

    // Five wrong passwords, then the sixth attempt is refused with the wait.
    app.goto("/signin").await?;
    for _ in 0..6 {
        b.fill("[data-testid=signin-username]", OFFICER.0).await?;
        b.fill("[data-testid=signin-password]", "sai-mat-khau").await?;
        b.click("[data-testid=signin-submit]").await?;
        b.wait_for("[data-testid=signin-error]", UI_TIMEOUT).await?;
    }
    b.wait_for_text("[data-testid=signin-error]", "thử lại sau", UI_TIMEOUT).await.context("the throttle's message")?;
    b.screenshot("sign-in-throttled").await?;
    Ok(())
}
