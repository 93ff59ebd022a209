//! The full demo (`--demo` with its three years of visits) as its users see
//! it: an officer signing in on a new phone finds the visits the reviewer
//! returned to them, with the comment, and fixes one; the reviewer's
//! dashboard shows figures for each year.

use anyhow::{ensure, Context, Result};
use htx_e2e::console::{staff_sign_in, REVIEWER};
use htx_e2e::field::{sign_in, wait_saved, OFFICER, UI_TIMEOUT};
use htx_e2e::sync::{api_token, wait_device};
use htx_e2e::{Browser, TestApp};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn a_new_phone_receives_the_visits_returned_to_its_officer() {
    let mut app = TestApp::start_with_server_args("demo_returned", &["--demo-history=true"]).await;
    let reviewer = match Browser::start_desktop().await {
        Ok(b) => b,
        Err(e) => return app.finish(Err(e)).await,
    };
    let r = returned_on_a_new_phone(&mut app, &reviewer).await;
    let _ = reviewer.close().await;
    app.finish(r).await;
}

async fn returned_on_a_new_phone(app: &mut TestApp, rb: &Browser) -> Result<()> {
    let b = &app.browser;
    // Signing in is the first pull: the returned visits come with it.
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    app.goto("/visits?status=returned").await?;
    b.wait_for(
        "[data-testid=visit-list] [data-testid=review-comment]",
        UI_TIMEOUT,
    )
    .await
    .context("the visits returned to canbo1 are on the new phone")?;
    let returned = b
        .find_all("[data-testid=visit-item][data-status=returned]")
        .await?
        .len();
    ensure!(returned >= 2, "{returned} returned visits on the phone");
    b.screenshot("demo-returned-on-new-phone").await?;

    // Open one: the comment is there, and "Sửa" makes the next revision.
    b.click("[data-testid=visit-item][data-status=returned] a")
        .await?;
    b.wait_for("[data-testid=visit-review-comment]", UI_TIMEOUT)
        .await?;
    let id = b
        .exec("return location.pathname.split('/').pop();")
        .await?
        .as_str()
        .map(str::to_owned)
        .context("the visit's id in the address")?;
    b.click("[data-testid=edit-visit]").await?;
    b.wait_for_attr(
        "[data-testid=visit-status]",
        "data-status",
        "draft",
        UI_TIMEOUT,
    )
    .await?;
    ensure!(
        b.text("[data-testid=visit-revision]").await?.trim() == "1",
        "the fix is revision 1"
    );
    b.fill(
        "[data-testid=visit-notes]",
        "Đã sửa trên máy mới theo nhận xét",
    )
    .await?;
    wait_saved(app, &id, "máy mới").await?;
    b.click("[data-testid=finalize]").await?;
    b.wait_for("[data-testid=finalized]", UI_TIMEOUT).await?;
    wait_device(app, "the fix sent", UI_TIMEOUT * 2, |c| c.outbox == 0).await?;
    let token = api_token(app, OFFICER.0, OFFICER.1).await?;
    let stored: Value = app
        .http
        .get(app.url(&format!("/api/v1/visits/{id}")))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    ensure!(
        stored["latest"]["revision"] == 1,
        "the server holds the fix: {}",
        stored["latest"]["revision"]
    );

    // The reviewer's dashboard has numbers for every year of the demo.
    staff_sign_in(app, rb, REVIEWER.0, REVIEWER.1).await?;
    for year in ["2024", "2025", "2026"] {
        rb.goto(&app.url(&format!("/dashboard?year={year}")))
            .await?;
        let cell = "[data-testid=indicator-row][data-indicator=cooperatives_good_or_fair] [data-testid=indicator-value]";
        let share = rb
            .wait_for_text(cell, "%", UI_TIMEOUT)
            .await
            .with_context(|| format!("{year}: a share of graded cooperatives"))?;
        ensure!(!share.contains("0/0"), "{year}: {share}");
        let summary = rb.text("[data-testid=dashboard-summary]").await?;
        ensure!(summary.contains(year), "the dashboard of {year}: {summary}");
    }
    rb.screenshot("demo-dashboard").await?;
    Ok(())
}
