//! Sync end to end: the real server and its SQLite file, the built app in
//! headless Chromium, the network cut the hard ways (server stopped, server
//! SIGKILLed in the middle of a batch or with two batches waiting for their
//! receipts, the tab closed during a sync, a token the server no longer
//! accepts). After each, every visit must be on the server exactly once and
//! still on the device.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use htx_e2e::console::REVIEWER;
use htx_e2e::field::{sign_in, wait_offline_ready, OFFICER, UI_TIMEOUT};
use htx_e2e::sync::{
    api_token, console_list, device_counts, final_visits, officer_organisations, push_visits,
    server_revisions, store_on_device, wait_device,
};
use htx_e2e::{poll_until, TestApp};
use uuid::Uuid;

/// How long the device may take to resume and finish after the server is
/// back: the retry backoff or the connection re-check (30 s), whichever
/// comes first, plus the sync itself.
const RESUME_TIMEOUT: Duration = Duration::from_secs(90);

async fn home_tile(app: &TestApp, status: &str) -> Result<u64> {
    let t = app
        .browser
        .text(&format!("[data-testid=count-{status}]"))
        .await?;
    t.trim()
        .parse()
        .with_context(|| format!("count-{status} is {t:?}"))
}

/// Polls the server's database until a pushed batch is being written (its
/// write transaction holds SQLite's write lock: our own `BEGIN IMMEDIATE`
/// with no busy wait fails) after at least one batch is committed and before
/// all of `total` visits are; returns the number committed at that moment.
async fn wait_mid_batch(app: &TestApp, total: i64) -> Result<i64> {
    let one_batch = htx_core::outbox::MAX_BATCH_RECORDS as i64;
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=rw", app.server.database_path().display());
    let mut probe = sqlx::SqliteConnection::connect(&url).await?;
    sqlx::query("PRAGMA busy_timeout = 0")
        .execute(&mut probe)
        .await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match sqlx::query("BEGIN IMMEDIATE").execute(&mut probe).await {
            Ok(_) => {
                sqlx::query("ROLLBACK").execute(&mut probe).await?;
            }
            Err(e) if e.to_string().contains("locked") || e.to_string().contains("busy") => {
                let (n, _, _) = server_revisions(app.server.database_path()).await?;
                if n >= one_batch && n < total {
                    return Ok(n);
                }
            }
            Err(e) => return Err(e.into()),
        }
        let (n, _, _) = server_revisions(app.server.database_path()).await?;
        if n >= total {
            bail!("the sync finished before a batch could be interrupted");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    bail!("no batch was being written within 60 s")
}

/// The server holds exactly `n` revisions, of `n` different visits, none
/// stored twice.
async fn ensure_stored_once(app: &TestApp, n: i64) -> Result<()> {
    let (rows, distinct, doubled) = server_revisions(app.server.database_path()).await?;
    ensure!(
        (rows, distinct, doubled) == (n, n, 0),
        "server holds {rows} revisions of {distinct} visits, {doubled} doubled"
    );
    Ok(())
}

/// After a restart, the device confirms all `n` visits, none refused or in
/// conflict, and the server holds each once.
async fn all_confirmed_once(app: &TestApp, n: u64) -> Result<()> {
    let what = format!("all {n} visits confirmed");
    let c = wait_device(app, &what, RESUME_TIMEOUT, |c| c.confirmed == n).await?;
    ensure!(
        c.outbox == 0 && c.visits == n && c.rejected == 0 && c.conflict == 0,
        "after resuming: {c:?}"
    );
    ensure_stored_once(app, n as i64).await
}

/// Signs in as the demo officer and stores `n` finalized visits on the
/// device; returns the officer's organisations.
async fn signed_in_with_visits(app: &TestApp, n: usize) -> Result<Vec<htx_core::Organisation>> {
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    let orgs = officer_organisations(app, OFFICER.0, OFFICER.1).await?;
    store_on_device(app, &orgs, &final_visits(&orgs, n)?).await?;
    Ok(orgs)
}

// ---------------------------------------------------------------- (1)

#[tokio::test(flavor = "multi_thread")]
async fn thousand_visits_recorded_offline_sync_once_when_the_server_is_back() {
    let mut app = TestApp::start("thousand_visits_offline").await;
    let r = thousand_offline(&mut app).await;
    app.finish(r).await;
}

async fn thousand_offline(app: &mut TestApp) -> Result<()> {
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    wait_offline_ready(app).await?;
    let orgs = officer_organisations(app, OFFICER.0, OFFICER.1).await?;
    let visits = final_visits(&orgs, 1000)?;

    app.server.stop().await?;
    let b = &app.browser;
    b.reload().await?;
    app.wait_home().await?;
    store_on_device(app, &orgs, &visits).await?;
    b.reload().await?;
    app.wait_home().await?;
    // The sync at start fails (no server); everything waits, nothing is lost.
    b.wait_for_attr(
        "[data-testid=sync-panel]",
        "data-phase",
        "failed",
        UI_TIMEOUT,
    )
    .await
    .context("sync with the server down should fail and schedule a retry")?;
    let c = device_counts(app).await?;
    ensure!(
        c.outbox == 1000 && c.waiting == 1000 && c.visits == 1000,
        "before the server is back: {c:?}"
    );
    ensure!(b.text("[data-testid=sync-waiting]").await?.trim() == "1000");
    ensure!(home_tile(app, "waiting").await? == 1000);
    b.screenshot("sync-waiting-offline").await?;

    app.server.restart().await?;
    let started = Instant::now();
    let c = wait_device(app, "all 1000 visits confirmed", RESUME_TIMEOUT, |c| {
        c.confirmed == 1000
    })
    .await?;
    eprintln!(
        "[{}] resumed and confirmed 1000 visits {:?} after the restart",
        app.name,
        started.elapsed()
    );
    ensure!(
        c.outbox == 0 && c.waiting == 0 && c.visits == 1000,
        "after sync: {c:?}"
    );
    ensure_stored_once(app, 1000).await?;
    // The officer sees it on home without reloading.
    b.wait_for_text("[data-testid=count-confirmed]", "1000", UI_TIMEOUT)
        .await?;
    b.wait_for_attr("[data-testid=sync-panel]", "data-phase", "done", UI_TIMEOUT)
        .await?;
    ensure!(b.text("[data-testid=sync-waiting]").await?.trim() == "0");
    b.screenshot("sync-done").await?;
    Ok(())
}

// ---------------------------------------------------------------- (2)

#[tokio::test(flavor = "multi_thread")]
async fn server_killed_in_the_middle_of_a_batch_stores_every_visit_once() {
    let mut app = TestApp::start("server_killed_mid_batch").await;
    let r = killed_mid_batch(&mut app).await;
    app.finish(r).await;
}

async fn killed_mid_batch(app: &mut TestApp) -> Result<()> {
    signed_in_with_visits(app, 1000).await?;
    app.browser.click("[data-testid=sync-now]").await?;
    let at_kill = wait_mid_batch(app, 1000).await?;
    app.server.kill().await?;
    eprintln!(
        "[{}] SIGKILLed the server with {at_kill} of 1000 visits stored",
        app.name
    );
    let c = wait_device(
        app,
        "the device notices the server is gone",
        UI_TIMEOUT,
        |c| c.outbox > 0,
    )
    .await?;
    ensure!(c.visits == 1000, "nothing leaves the device: {c:?}");
    let (rows, _, doubled) = server_revisions(app.server.database_path()).await?;
    ensure!(
        rows < 1000 && doubled == 0,
        "after the kill the server holds {rows} ({doubled} doubled)"
    );
    // A batch is one transaction: the one cut short left nothing behind.
    ensure!(
        rows % htx_core::outbox::MAX_BATCH_RECORDS as i64 == 0,
        "a partial batch was kept: {rows} rows"
    );
    // Batches are pipelined (the next is written while the one before waits
    // for its receipt), yet a visit is confirmed only from a receipt: never
    // more than the server holds.
    ensure!(
        c.confirmed as i64 <= rows,
        "{} confirmed on the device, {rows} held by the server",
        c.confirmed
    );

    app.server.restart().await?;
    all_confirmed_once(app, 1000).await
}

#[tokio::test(flavor = "multi_thread")]
async fn server_killed_with_two_batches_in_flight_confirms_each_visit_from_a_receipt() {
    let mut app =
        TestApp::start_with_server_args("killed_two_batches_in_flight", &["--hold-receipts"]).await;
    let r = killed_two_in_flight(&mut app).await;
    app.finish(r).await;
}

async fn killed_two_in_flight(app: &mut TestApp) -> Result<()> {
    let one_batch = htx_core::outbox::MAX_BATCH_RECORDS as i64;
    // Three batches: a third must not go out while two wait for receipts.
    let total = 3 * one_batch;
    signed_in_with_visits(app, total as usize).await?;
    app.browser.click("[data-testid=sync-now]").await?;
    // The server stores the first batch and answers it, then never answers
    // its receipt query; the device sends the second batch meanwhile. Both
    // are answered "accepted", neither is confirmed by a receipt.
    let stored = poll_until(
        "two batches stored while the first waits for its receipt",
        Duration::from_secs(60),
        || async {
            let (n, _, _) = server_revisions(app.server.database_path()).await?;
            Ok((n >= 2 * one_batch).then_some(n))
        },
    )
    .await?;
    ensure!(
        stored == 2 * one_batch,
        "{stored} stored: a third batch went out while two waited for receipts"
    );
    let c = device_counts(app).await?;
    ensure!(
        c.confirmed == 0 && c.outbox == total as u64 && c.visits == total as u64,
        "with two batches answered and no receipt: {c:?}"
    );
    app.server.kill().await?;
    eprintln!(
        "[{}] SIGKILLed the server with two batches ({stored} visits) waiting for receipts",
        app.name
    );

    app.server.restart_with_args(&[]).await?;
    // The two batches go again and are found stored: nothing doubled.
    all_confirmed_once(app, total as u64).await
}

// ---------------------------------------------------------------- (3)

#[tokio::test(flavor = "multi_thread")]
async fn tab_closed_during_sync_resumes_at_the_next_start() {
    let mut app = TestApp::start("tab_closed_during_sync").await;
    let r = tab_closed(&mut app).await;
    app.finish(r).await;
}

async fn tab_closed(app: &mut TestApp) -> Result<()> {
    signed_in_with_visits(app, 1000).await?;
    let client = app.browser.client();
    let first = client.window().await?;
    let spare = client.new_window(true).await?.handle;
    client.switch_to_window(first).await?;
    app.browser.click("[data-testid=sync-now]").await?;
    let at_close = wait_mid_batch(app, 1000).await?;
    client.close_window().await?;
    client.switch_to_window(spare).await?;
    eprintln!(
        "[{}] closed the tab with {at_close} of 1000 visits stored",
        app.name
    );

    app.open_home().await?;
    let c = wait_device(
        app,
        "all 1000 visits confirmed after the restart",
        RESUME_TIMEOUT,
        |c| c.confirmed == 1000,
    )
    .await?;
    ensure!(
        c.outbox == 0 && c.visits == 1000 && c.conflict == 0,
        "after resuming: {c:?}"
    );
    ensure_stored_once(app, 1000).await?;
    Ok(())
}

// ---------------------------------------------------------------- (4)

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_visit_does_not_block_the_rest_and_an_expired_token_loses_nothing() {
    let mut app = TestApp::start("rejected_and_expired_token").await;
    let r = rejected_and_expired(&mut app).await;
    app.finish(r).await;
}

async fn rejected_and_expired(app: &mut TestApp) -> Result<()> {
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    let orgs = officer_organisations(app, OFFICER.0, OFFICER.1).await?;
    let mut visits = final_visits(&orgs, 5)?;
    // The second visit names an organisation the server does not know; the
    // fourth is too large for the server to receive at all (1.1 MB of notes).
    visits[1].organisation_id = Uuid::now_v7();
    let bad = visits[1].id;
    visits[3].notes = "Ghi chú rất dài. ".repeat(70_000);
    store_on_device(app, &orgs, &visits).await?;

    // The server no longer accepts the device's token (expired, revoked).
    let b = &app.browser;
    b.exec(
        "const s = JSON.parse(localStorage.getItem('htx.session')); s.token = 'no-longer-valid'; \
         localStorage.setItem('htx.session', JSON.stringify(s));",
    )
    .await?;
    b.click("[data-testid=sync-now]").await?;
    b.wait_for_attr(
        "[data-testid=sync-panel]",
        "data-phase",
        "needs-sign-in",
        UI_TIMEOUT,
    )
    .await?;
    let c = device_counts(app).await?;
    ensure!(
        c.outbox == 5 && c.waiting == 5 && c.visits == 5,
        "an expired token loses nothing: {c:?}"
    );
    b.wait_for("[data-testid=sync-sign-in]", UI_TIMEOUT).await?;
    b.screenshot("sync-needs-sign-in").await?;

    // Signing in again sends everything; the bad visits do not hold up the rest.
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    let c = wait_device(app, "3 confirmed and 2 rejected", UI_TIMEOUT * 2, |c| {
        c.confirmed == 3 && c.rejected == 2
    })
    .await?;
    ensure!(c.outbox == 0 && c.visits == 5, "{c:?}");
    ensure_stored_once(app, 3).await?;

    // The rejected visit stays on the device, with the reason, and can be fixed.
    app.goto("/visits?status=rejected").await?;
    let list = b
        .wait_for_text(
            "[data-testid=visit-list]",
            "Không có tổ chức này trên máy chủ",
            UI_TIMEOUT,
        )
        .await?;
    ensure!(
        list.contains("quá lớn để gửi"),
        "the too-large visit shows why: {list}"
    );
    b.screenshot("sync-rejected-in-list").await?;
    app.goto(&format!("/visits/{bad}")).await?;
    b.wait_for_text(
        "[data-testid=visit-server-problems]",
        "Không có tổ chức này",
        UI_TIMEOUT,
    )
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
        b.text("[data-testid=visit-revision]").await?.trim() == "0",
        "a rejected visit is fixed in the same revision"
    );

    // A visit confirmed by a sync while its page is open: "Sửa" must start a
    // new revision (the page still says "waiting"; the device knows better).
    let late = final_visits(&orgs, 1)?;
    store_on_device(app, &orgs, &late).await?;
    app.goto(&format!("/visits/{}", late[0].id)).await?;
    b.wait_for_attr(
        "[data-testid=visit-status]",
        "data-status",
        "waiting",
        UI_TIMEOUT,
    )
    .await?;
    // The connection comes back: sync runs by itself.
    b.exec(
        "window.dispatchEvent(new Event('offline')); window.dispatchEvent(new Event('online'));",
    )
    .await?;
    wait_device(app, "the late visit confirmed", UI_TIMEOUT, |c| {
        c.confirmed == 4
    })
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
        "a revision the server holds was edited in place"
    );
    Ok(())
}

// ---------------------------------------------------------------- (6)
// The console's list rows are written after the push answers (issue 17).

/// How long the console's list may lag an answered push: the list waits up
/// to a second for rows still to be written (`index_follower::LIST_WAIT`).
const LIST_BOUND: Duration = Duration::from_secs(2);

/// Whether the console lists each of `ids` once, at `revision`.
async fn listed_once(
    app: &TestApp,
    token: &str,
    ids: &[String],
    revision: i64,
) -> Result<Option<()>> {
    let items = console_list(app, token).await?;
    let all = ids.iter().all(|id| {
        let rows: Vec<_> = items.iter().filter(|i| &i.visit_id == id).collect();
        rows.len() == 1 && rows[0].revision == revision
    });
    Ok(all.then_some(()))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_lists_a_pushed_visit_within_the_bound() {
    let app = TestApp::start("console_lists_pushed_visits").await;
    let r = listed_within_the_bound(&app).await;
    app.finish(r).await;
}

async fn listed_within_the_bound(app: &TestApp) -> Result<()> {
    let orgs = officer_organisations(app, OFFICER.0, OFFICER.1).await?;
    let officer = api_token(app, OFFICER.0, OFFICER.1).await?;
    let reviewer = api_token(app, REVIEWER.0, REVIEWER.1).await?;
    let mut visits = final_visits(&orgs, 50)?;
    let ids: Vec<String> = visits.iter().map(|v| v.id.to_string()).collect();
    push_visits(app, &officer, visits.clone()).await?;
    let answered = Instant::now();
    poll_until(
        "the 50 pushed visits in the console's list",
        LIST_BOUND,
        || listed_once(app, &reviewer, &ids, 0),
    )
    .await?;
    eprintln!(
        "[{}] listed {:?} after the push answered",
        app.name,
        answered.elapsed()
    );
    // A new revision replaces the visit's row (not a second row).
    for v in &mut visits[..10] {
        let mut next = v.clone();
        next.revision = 1;
        next.replaces_revision = Some(0);
        next.notes = format!("{} (sửa)", v.notes);
        *v = next;
    }
    push_visits(app, &officer, visits[..10].to_vec()).await?;
    poll_until("the 10 new revisions listed", LIST_BOUND, || {
        listed_once(app, &reviewer, &ids[..10], 1)
    })
    .await?;
    ensure!(
        console_list(app, &reviewer).await?.len() == 50,
        "one row per visit"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_before_the_list_rows_lists_the_visits_after_restart() {
    let mut app =
        TestApp::start_with_server_args("killed_before_list_rows", &["--hold-console-index"]).await;
    let r = killed_before_list_rows(&mut app).await;
    app.finish(r).await;
}

async fn killed_before_list_rows(app: &mut TestApp) -> Result<()> {
    let orgs = officer_organisations(app, OFFICER.0, OFFICER.1).await?;
    let officer = api_token(app, OFFICER.0, OFFICER.1).await?;
    let visits = final_visits(&orgs, 30)?;
    let ids: Vec<String> = visits.iter().map(|v| v.id.to_string()).collect();
    // Answered: the revisions are committed; their list rows are not
    // written (the server holds them back, as one killed at this moment).
    push_visits(app, &officer, visits).await?;
    let reviewer = api_token(app, REVIEWER.0, REVIEWER.1).await?;
    ensure!(
        console_list(app, &reviewer).await?.is_empty(),
        "the held server wrote list rows"
    );
    let (rows, _, _) = server_revisions(app.server.database_path()).await?;
    ensure!(rows == 30, "{rows} revisions stored before the kill");
    app.server.kill().await?;

    app.server.restart_with_args(&[]).await?;
    // Sessions live in the database: the same token still works.
    poll_until(
        "the 30 visits in the console's list after the restart",
        LIST_BOUND,
        || listed_once(app, &reviewer, &ids, 0),
    )
    .await?;
    ensure_stored_once(app, 30).await?;
    Ok(())
}
