//! The review loop end to end, two browsers on one real server: an officer's
//! visit reaches the review console; the reviewer returns it with a comment;
//! the officer's device shows the comment after its next pull; the officer's
//! fix (a new revision) reaches the reviewer with what changed; approval.

use anyhow::{ensure, Context, Result};
use htx_e2e::console::{staff_sign_in, REVIEWER};
use htx_e2e::field::{pick_photo_file, sign_in, wait_photos, wait_saved, OFFICER, UI_TIMEOUT};
use htx_e2e::sync::{final_visits, officer_organisations, store_on_device, wait_device};
use htx_e2e::{Browser, TestApp};

const COMMENT: &str = "Số lao động chưa khớp với báo cáo năm, đề nghị kiểm tra lại";

#[tokio::test(flavor = "multi_thread")]
async fn a_returned_visit_reaches_the_officer_and_the_fix_reaches_the_reviewer() {
    let mut app = TestApp::start("review_loop").await;
    let reviewer = match Browser::start().await {
        Ok(b) => b,
        Err(e) => return app.finish(Err(e)).await,
    };
    let r = review_loop(&mut app, &reviewer).await;
    if r.is_err() {
        let _ = reviewer.screenshot("FAILED-review_loop-reviewer").await;
    }
    let _ = reviewer.close().await;
    app.finish(r).await;
}

async fn review_loop(app: &mut TestApp, rb: &Browser) -> Result<()> {
    let b = &app.browser;
    // The officer's visit, finalized on the device and synced.
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    let orgs = officer_organisations(app, OFFICER.0, OFFICER.1).await?;
    let visit = final_visits(&orgs, 1)?.remove(0);
    let id = visit.id.to_string();
    store_on_device(app, &orgs, &[visit]).await?;
    b.click("[data-testid=sync-now]").await?;
    wait_device(app, "the visit confirmed", UI_TIMEOUT, |c| c.confirmed == 1).await?;

    // The reviewer finds it in the console, awaiting review.
    staff_sign_in(app, rb, REVIEWER.0, REVIEWER.1).await?;
    let row = format!("[data-testid=review-row][data-visit='{id}']");
    rb.wait_for(&row, UI_TIMEOUT).await?;
    ensure!(
        rb.attr(&row, "data-state").await?.as_deref() == Some("pending"),
        "a new visit awaits review"
    );
    rb.screenshot("review-list").await?;
    rb.click(&format!("{row} a")).await?;
    rb.wait_for("[data-testid=review-title]", UI_TIMEOUT)
        .await?;
    // The officer shown is the account that sent the visit; what the device
    // typed as the officer is shown apart, as the device's.
    rb.wait_for_text(
        "[data-testid=review-officer]",
        "[DEMO] Cán bộ 1 (canbo1)",
        UI_TIMEOUT,
    )
    .await?;
    let typed = rb.text("[data-testid=review-officer-device]").await?;
    ensure!(
        typed.trim() == "canbo1",
        "the device's officer text is labelled apart: {typed:?}"
    );

    // Returning without a comment is refused in Vietnamese; with one, it is returned.
    rb.click("[data-testid=review-return]").await?;
    rb.wait_for_text("[data-testid=review-error]", "nhận xét", UI_TIMEOUT)
        .await?;
    rb.fill("[data-testid=review-comment-input]", COMMENT)
        .await?;
    rb.click("[data-testid=review-return]").await?;
    rb.wait_for_attr(
        "[data-testid=review-state]",
        "data-state",
        "returned",
        UI_TIMEOUT,
    )
    .await?;
    rb.wait_for_text("[data-testid=review-audit]", COMMENT, UI_TIMEOUT)
        .await?;

    // The officer's next pull (a sync) brings the comment to the device.
    app.open_home().await?;
    b.click("[data-testid=sync-now]").await?;
    app.goto("/visits?status=returned").await?;
    b.wait_for_text(
        "[data-testid=visit-list] [data-testid=review-comment]",
        COMMENT,
        UI_TIMEOUT * 2,
    )
    .await
    .context("the returned visit shows the reviewer's comment")?;
    b.screenshot("review-returned-on-device").await?;

    // The fix: "Sửa" makes revision 1; change a fact and the notes; finalize.
    app.goto(&format!("/visits/{id}")).await?;
    b.wait_for_text("[data-testid=visit-review-comment]", COMMENT, UI_TIMEOUT)
        .await?;
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
        "the fix is a new revision"
    );
    b.fill("[data-field='facts.workers']", "21").await?;
    b.fill("[data-testid=visit-notes]", "Đã đối chiếu báo cáo năm")
        .await?;
    wait_saved(app, &id, "Đã đối chiếu").await?;
    // With a photo of the annual report (uploaded before the visit that names it).
    pick_photo_file(
        b,
        &htx_e2e::paths::workspace_root().join("public/icons/icon-192.png"),
    )
    .await?;
    let photo = wait_photos(b, 1).await?.remove(0).0;
    wait_saved(app, &id, &photo).await?;
    b.click("[data-testid=finalize]").await?;
    b.wait_for("[data-testid=finalized]", UI_TIMEOUT).await?;
    wait_device(app, "the fix confirmed", UI_TIMEOUT * 2, |c| {
        c.confirmed == 1 && c.outbox == 0
    })
    .await?;

    // The reviewer sees revision 1, linked to 0, with what changed, and approves.
    rb.reload().await?;
    rb.wait_for_text("[data-testid=review-revision]", "1", UI_TIMEOUT)
        .await?;
    ensure!(
        rb.attr("[data-testid=review-state]", "data-state")
            .await?
            .as_deref()
            == Some("pending")
    );
    let entry = "[data-testid=review-revision-entry][data-revision='1']";
    let history = rb.wait_for_text(entry, "21", UI_TIMEOUT).await?;
    ensure!(
        history.contains("Đã đối chiếu báo cáo năm"),
        "the notes change is listed: {history}"
    );
    rb.find(&format!("{entry} tr[data-path='facts.workers']"))
        .await
        .context("the workers change")?;
    // The photo, fetched from the server with the reviewer's token.
    let drawn = format!(
        "(() => {{ const img = document.querySelector(\"[data-testid=review-photo][data-sha256='{photo}'] img\"); \
         return img && img.complete ? img.naturalWidth : 0; }})()"
    );
    let width = rb
        .wait_for_js(&drawn, UI_TIMEOUT)
        .await
        .context("the photo is not shown to the reviewer")?;
    ensure!(
        width.as_u64() == Some(192),
        "the reviewer's photo is {width} pixels wide"
    );
    let added = rb
        .text(&format!("{entry} tr[data-path='photos'] td.after"))
        .await
        .context("the photo in the changes")?;
    ensure!(
        added.contains(&photo[..8]),
        "the photo change shows {added:?}"
    );
    rb.exec("document.querySelector('[data-testid=review-photos]').scrollIntoView();")
        .await?;
    rb.screenshot("review-photos").await?;
    rb.screenshot("review-detail-fixed").await?;
    // Readable on a phone: nothing wider than the screen (a wide page is
    // zoomed out by the browser, and taps land on the wrong control).
    let overflow = rb
        .exec("return [document.documentElement.scrollWidth, window.innerWidth];")
        .await?;
    ensure!(
        overflow[0].as_u64() <= overflow[1].as_u64(),
        "the detail page is wider than the screen: {overflow}"
    );
    rb.click("[data-testid=review-approve]").await?;
    rb.wait_for_attr(
        "[data-testid=review-state]",
        "data-state",
        "approved",
        UI_TIMEOUT,
    )
    .await?;

    // The list says so too; the officer's device clears the comment at its next pull.
    rb.goto(&app.url("/review?state=approved")).await?;
    rb.wait_for(&row, UI_TIMEOUT).await?;
    app.open_home().await?;
    b.click("[data-testid=sync-now]").await?;
    app.goto(&format!("/visits/{id}")).await?;
    b.wait_for_attr(
        "[data-testid=visit-status]",
        "data-status",
        "confirmed",
        UI_TIMEOUT,
    )
    .await?;
    htx_e2e::poll_until("the comment cleared", UI_TIMEOUT, || async {
        Ok(b.find_all("[data-testid=visit-review-comment]")
            .await?
            .is_empty()
            .then_some(()))
    })
    .await?;
    Ok(())
}
