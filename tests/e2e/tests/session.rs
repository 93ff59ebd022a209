//! Signing in and out on a phone (issue 19): sign-out revokes the token on
//! the server, warns when visits still wait for the server and never deletes
//! them; too many wrong passwords are refused with the wait, in Vietnamese.

use anyhow::{ensure, Context, Result};
use htx_e2e::field::{sign_in, OFFICER, UI_TIMEOUT};
use htx_e2e::sync::{
    api_token, device_counts, final_visits, officer_organisations, store_on_device, wait_device,
};
use htx_e2e::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn sign_out_warns_about_unsent_visits_keeps_them_and_revokes_the_token() {
    let mut app = TestApp::start("sign_out").await;
    let r = sign_out(&mut app).await;
    app.finish(r).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_next_officer_on_a_shared_phone_neither_sees_nor_sends_the_previous_ones_visits() {
    let mut app = TestApp::start("shared_phone").await;
    let r = shared_phone(&mut app).await;
    app.finish(r).await;
}

const SECOND: (&str, &str) = ("canbo2", "canbo2-demo");
const REVIEWER: (&str, &str) = ("kiemduyet", "kiemduyet-demo");

/// Who the server says pushed visit `id` (None: the server does not hold it).
async fn pushed_by(app: &TestApp, id: uuid::Uuid) -> Result<Option<String>> {
    let token = api_token(app, REVIEWER.0, REVIEWER.1).await?;
    let res = app
        .http
        .get(app.url(&format!("/api/v1/visits/{id}")))
        .bearer_auth(token)
        .send()
        .await?;
    if res.status() == 404 {
        return Ok(None);
    }
    let v: serde_json::Value = res.error_for_status()?.json().await?;
    Ok(v["owner_username"].as_str().map(str::to_owned))
}

async fn shared_phone(app: &mut TestApp) -> Result<()> {
    let b = &app.browser;
    // canbo1 finalizes two visits with no connection and signs out.
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    let orgs1 = officer_organisations(app, OFFICER.0, OFFICER.1).await?;
    app.server.stop().await?;
    let first = final_visits(&orgs1, 2)?;
    store_on_device(app, &orgs1, &first).await?;
    app.open_home().await?;
    b.wait_for_text("[data-testid=count-waiting]", "2", UI_TIMEOUT)
        .await?;
    b.click("[data-testid=sign-out]").await?;
    b.wait_for("[data-testid=sign-out-confirm]", UI_TIMEOUT)
        .await?;
    confirm_sign_out(b).await?;
    ensure!(
        b.text("[data-testid=count-waiting]").await?.trim() == "0",
        "signed out, canbo1's visits are still counted"
    );

    // canbo2 takes the phone: sees that two visits of another account wait, never which.
    app.server.restart().await?;
    sign_in(app, SECOND.0, SECOND.1).await?;
    let notice = b
        .wait_for_text("[data-testid=other-accounts]", "2 chuyến", UI_TIMEOUT)
        .await?;
    ensure!(
        notice.contains("2 chưa gửi"),
        "the notice says they wait: {notice}"
    );
    ensure!(
        b.text("[data-testid=count-waiting]").await?.trim() == "0",
        "canbo1's visits counted for canbo2"
    );
    app.goto("/visits").await?;
    b.wait_for("[data-testid=visits-page]", UI_TIMEOUT).await?;
    let listed = b
        .exec("return document.querySelector('main').innerHTML;")
        .await?;
    let listed = listed.as_str().unwrap_or_default();
    for v in &first {
        ensure!(
            !listed.contains(&v.id.to_string()),
            "canbo1's visit {} is listed for canbo2",
            v.id
        );
    }
    app.goto(&format!("/visits/{}", first[0].id)).await?;
    b.wait_for("[data-testid=visit-other-account]", UI_TIMEOUT)
        .await
        .context("another account's visit opened")?;
    ensure!(
        b.find_all("[data-testid=visit-notes]").await?.is_empty(),
        "another account's visit shows its form"
    );
    b.screenshot("shared-phone-other-account").await?;

    // canbo2's own visit goes; canbo1's stay on the phone, unsent.
    let orgs2 = officer_organisations(app, SECOND.0, SECOND.1).await?;
    let mut second = final_visits(&orgs2, 1)?;
    second[0].officer = SECOND.0.to_string();
    store_on_device(app, &orgs2, &second).await?;
    app.open_home().await?;
    wait_device(
        app,
        "canbo2's visit sent, canbo1's kept",
        UI_TIMEOUT * 2,
        |c| c.confirmed == 1 && c.outbox == 2,
    )
    .await?;
    ensure!(
        pushed_by(app, second[0].id).await?.as_deref() == Some(SECOND.0),
        "canbo2's visit is stored as canbo2's"
    );
    for v in &first {
        ensure!(
            pushed_by(app, v.id).await?.is_none(),
            "canbo1's visit {} reached the server under canbo2",
            v.id
        );
    }

    // canbo1 signs in again on the same phone: their visits are theirs again and go.
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    wait_device(app, "canbo1's visits sent", UI_TIMEOUT * 3, |c| {
        c.confirmed == 3 && c.outbox == 0
    })
    .await?;
    for v in &first {
        ensure!(
            pushed_by(app, v.id).await?.as_deref() == Some(OFFICER.0),
            "canbo1's visit {} is stored as canbo1's",
            v.id
        );
    }
    b.wait_for_text("[data-testid=other-accounts]", "1 chuyến", UI_TIMEOUT)
        .await?;
    Ok(())
}

async fn token_on_device(app: &TestApp) -> Result<String> {
    let v = app
        .browser
        .exec("return JSON.parse(localStorage.getItem('htx.session') || 'null');")
        .await?;
    v["token"]
        .as_str()
        .map(str::to_owned)
        .context("no token on the device")
}

/// Confirms the sign-out warning and waits for the page the app reloads
/// into (signed out), not the old page on its way out.
async fn confirm_sign_out(b: &htx_e2e::Browser) -> Result<()> {
    click_and_wait_signed_out(b, "[data-testid=sign-out-confirm]").await
}

/// Clicks `css` (a sign-out) and waits for the reloaded, signed-out page: a
/// test that went on sooner would have the reload land on its next page.
async fn click_and_wait_signed_out(b: &htx_e2e::Browser, css: &str) -> Result<()> {
    b.exec("window.__before_sign_out = true; return true;")
        .await?;
    b.click(css).await?;
    b.wait_for_js(
        "window.__before_sign_out === undefined && document.querySelector('[data-testid=signed-out]') !== null",
        UI_TIMEOUT,
    )
    .await
    .map(|_| ())
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
    let warning = b
        .wait_for_text("[data-testid=sign-out-warning]", "2 chuyến", UI_TIMEOUT)
        .await?;
    ensure!(
        warning.contains("không bị xóa"),
        "the warning says nothing is deleted: {warning}"
    );
    b.screenshot("sign-out-warning").await?;
    // A sync ending meanwhile re-reads home's figures; the warning the
    // officer is reading stays.
    let runs = "performance.getEntriesByName('htx-sync').length";
    let before = b.exec(&format!("return {runs};")).await?;
    b.click("[data-testid=sync-now]").await?;
    b.wait_for_js(&format!("{runs} > {before}"), UI_TIMEOUT)
        .await?;
    b.wait_for("[data-testid=state-counts]", UI_TIMEOUT).await?;
    ensure!(
        !b.find_all("[data-testid=sign-out-warning]")
            .await?
            .is_empty(),
        "a sync closed the sign-out warning"
    );
    b.click("[data-testid=sign-out-cancel]").await?;
    ensure!(
        b.find_all("[data-testid=sign-out-warning]")
            .await?
            .is_empty(),
        "cancel closes the warning"
    );
    b.find("[data-testid=signed-in]")
        .await
        .context("still signed in after cancel")?;
    b.click("[data-testid=sign-out]").await?;
    b.wait_for("[data-testid=sign-out-confirm]", UI_TIMEOUT)
        .await?;
    confirm_sign_out(b).await.context("signed out (offline)")?;
    let c = device_counts(app).await?;
    ensure!(
        c.visits == 2 && c.outbox == 2,
        "the unsent visits stay on the device and in the outbox: {c:?}"
    );

    // Back online and signed in again: they go.
    app.server.restart().await?;
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    wait_device(app, "the waiting visits sent", UI_TIMEOUT * 3, |c| {
        c.confirmed == 2 && c.outbox == 0
    })
    .await?;

    // Online with nothing waiting: sign-out at once, and the token is revoked.
    let token2 = token_on_device(app).await?;
    app.open_home().await?;
    click_and_wait_signed_out(b, "[data-testid=sign-out]")
        .await
        .context("signed out (online)")?;
    for t in [&token2] {
        let res = app
            .http
            .get(app.url("/api/v1/sync/pull"))
            .bearer_auth(t)
            .send()
            .await?;
        ensure!(
            res.status() == 401,
            "the signed-out token still works: {}",
            res.status()
        );
    }
    let _ = token;
    ensure!(
        device_counts(app).await?.visits == 2,
        "signing out deletes nothing"
    );

    // Five wrong passwords, then the sixth attempt is refused with the wait.
    app.goto("/signin").await?;
    b.wait_for("[data-testid=signin-username]", UI_TIMEOUT)
        .await?;
    for _ in 0..6 {
        b.fill("[data-testid=signin-username]", OFFICER.0).await?;
        b.fill("[data-testid=signin-password]", "sai-mat-khau")
            .await?;
        b.click("[data-testid=signin-submit]").await?;
        b.wait_for("[data-testid=signin-error]", UI_TIMEOUT).await?;
    }
    b.wait_for_text("[data-testid=signin-error]", "thử lại sau", UI_TIMEOUT)
        .await
        .context("the throttle's message")?;
    b.screenshot("sign-in-throttled").await?;
    Ok(())
}
