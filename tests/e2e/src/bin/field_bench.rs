//! Field-app bench: `cargo run -p htx-e2e --bin field_bench` (scripts/bench.sh).
//!
//! The real server and the built app in headless Chromium (360×740). After a
//! demo officer signs in, 5,000 organisations and 10,000 visits (with their
//! list summaries) are written into the app's IndexedDB, then the page is
//! reloaded and measured as an officer uses it:
//! - autosave: one draft save as the form does it on every keystroke, read
//!   from the app's own User Timing measures ("htx-autosave": IndexedDB
//!   transaction start to commit);
//! - search as you type: typing "hop tac xa nong nghiep tan hiep" a letter at
//!   a time, from the input event until the results are updated and laid out
//!   (the bench checks that nothing changes later);
//! - opening the visit list (tab tap to the first rows on screen);
//! - start-up on a slow phone (the CPU slowed 4× with DevTools'
//!   `Emulation.setCPUThrottlingRate`): the first load of a new phone over an
//!   emulated 3G link (`Network.emulateNetworkConditions`, DevTools' "Fast 3G"
//!   and "Slow 3G"), and, with the server gone and the data above stored,
//!   opening the app from the service worker. Both to a usable home page: the
//!   app's "htx-home-ready" mark, from navigation start.
//!
//! Prints p50/p95 against the goals (save ≤ 5 ms p95, search ≤ 30 ms p95, list
//! ≤ 100 ms, offline start-up ≤ 1.5 s); never fails on a figure, only if it
//! cannot measure.

use anyhow::{anyhow, Result};
use htx_core::{time::to_vn, Organisation, OrganisationKind, Sector, Visit};
use htx_e2e::field::{
    find_and_open, sign_in, start_visit, wait_offline_ready, OFFICER, UI_TIMEOUT,
};
use htx_e2e::{Browser, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

const ORGS: u32 = 5_000;
const VISITS: u32 = 10_000;

const SEED_JS: &str = r#"
const [org, visit, nOrg, nVisit] = arguments;
const done = arguments[arguments.length - 1];
const words = ['Nông nghiệp', 'Dịch vụ', 'Tân', 'Hiệp', 'Phú', 'Quốc', 'Thạnh', 'Đông', 'An', 'Minh',
  'Vĩnh', 'Thông', 'Lúa gạo', 'Thủy sản', 'Giồng', 'Riềng', 'Hòa', 'Bình', 'Kiên', 'Hải'];
const r = indexedDB.open('htx-survey');
r.onerror = () => done('open: ' + r.error);
r.onsuccess = () => {
  const db = r.result;
  const tx = db.transaction(['organisations', 'visits', 'visit_summaries'], 'readwrite');
  const orgs = tx.objectStore('organisations'), visits = tx.objectStore('visits'), sums = tx.objectStore('visit_summaries');
  const ids = [], names = [];
  for (let i = 0; i < nOrg; i++) {
    const id = crypto.randomUUID();
    const name = 'Hợp tác xã ' + words[i % 20] + ' ' + words[(i * 7 + 3) % 20] + ' ' + i;
    ids.push(id); names.push(name);
    orgs.put(Object.assign({}, org, { id, name, registration_code: String(1700000000 + i) }));
  }
  const base = Date.now() - nVisit * 1000;
  for (let i = 0; i < nVisit; i++) {
    const id = crypto.randomUUID(), k = i % nOrg;
    visits.put(Object.assign({}, visit, { id, organisation_id: ids[k], notes: 'Ghi chú ' + i }));
    const updated = base + i * 1000;
    sums.put({ id, organisation_id: ids[k], organisation_name: names[k], started_at: visit.started_at,
      updated_ms: updated, recent: -updated, status: i % 3 === 0 ? 'confirmed' : 'draft', revision: 0,
      notes_excerpt: 'Ghi chú ' + i, grade: null, total: null, problems: [], review_comment: null });
  }
  tx.oncomplete = () => { db.close(); done(true); };
  tx.onerror = () => done('tx: ' + tx.error);
};
"#;

const SEARCH_JS: &str = r#"(async () => {
  const input = document.querySelector('[data-testid=org-search]');
  const main = document.querySelector('main');
  const q = 'hop tac xa nong nghiep tan hiep';
  const times = [];
  // Every keystroke counts, also one that leaves the results as they were:
  // the clock stops at the first task after the input event, when the app's
  // reactive work (search, then the list's update) has run, and the page is
  // laid out. A change to the page after that would mean the clock stopped
  // early: the bench says so.
  let late = 0, stopped = true;
  new MutationObserver(() => { if (stopped) late++; }).observe(main, { subtree: true, childList: true, characterData: true });
  const step = (value) => new Promise(res => {
    stopped = false;
    const t0 = performance.now();
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    // Reading a size makes the browser lay the page out now: the results'
    // layout counts, the wait for the next frame does not.
    setTimeout(() => { void main.offsetHeight; stopped = true; res(performance.now() - t0); }, 0);
  });
  const pause = () => new Promise(r => setTimeout(r, 30));
  for (let round = 0; round < 2; round++) {
    for (let i = 1; i <= q.length; i++) { times.push(await step(q.slice(0, i))); await pause(); }
    await step(''); await pause();
  }
  if (late > 0) throw new Error(late + ' page changes came after the clock stopped');
  return times;
})()"#;

const SAVE_JS: &str = r#"(async () => {
  performance.clearMeasures('htx-autosave');
  const notes = document.querySelector('[data-testid=visit-notes]');
  for (let i = 0; i < 100; i++) {
    notes.value += (i % 10 === 9) ? ' ' : 'a';
    notes.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise(r => setTimeout(r, 40));
  }
  await new Promise(r => setTimeout(r, 300));
  return performance.getEntriesByName('htx-autosave').map(e => e.duration);
})()"#;

const LIST_JS: &str = r#"(async () => {
  const times = [];
  const wait = (pred) => new Promise(res => {
    if (pred()) return res();
    const mo = new MutationObserver(() => { if (pred()) { mo.disconnect(); res(); } });
    mo.observe(document.body, { subtree: true, childList: true });
  });
  for (let round = 0; round < 5; round++) {
    document.querySelector("nav.tabs a[href='/storage']").click();
    await wait(() => document.querySelector('[data-testid=storage-page]'));
    await new Promise(r => setTimeout(r, 200));
    const t0 = performance.now();
    document.querySelector("nav.tabs a[href='/visits']").click();
    await wait(() => document.querySelectorAll('[data-testid=visit-item]').length > 0);
    times.push(performance.now() - t0);
  }
  return times;
})()"#;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(what: &str, values: Value, goal_ms: f64, at: f64) -> Result<()> {
    let mut v: Vec<f64> = serde_json::from_value(values)?;
    if v.is_empty() {
        return Err(anyhow!("{what}: no samples"));
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let (p50, p95) = (percentile(&v, 0.5), percentile(&v, 0.95));
    let checked = percentile(&v, at);
    let goal = if goal_ms.is_finite() {
        let verdict = if checked <= goal_ms { "within" } else { "OVER" };
        format!("goal {goal_ms} ms at p{:.0}: {verdict}", at * 100.0)
    } else {
        "(no goal)".to_string()
    };
    println!(
        "{what:<28} n={:<4} p50 {p50:>8.2} ms  p95 {p95:>8.2} ms  max {:>8.2} ms  {goal}",
        v.len(),
        v[v.len() - 1],
    );
    Ok(())
}

/// The app's "usable home" mark, in ms from navigation start.
const HOME_READY_JS: &str = "(performance.getEntriesByName('htx-home-ready')[0] || {}).startTime";

/// CPU slowdown of a cheap phone against this machine.
const CPU_SLOWDOWN: u32 = 4;

/// DevTools' network presets: (name, latency ms, download and upload B/s).
const LINKS: [(&str, f64, f64, f64); 2] = [
    (
        "Fast 3G",
        562.5,
        1_600_000.0 * 0.9 / 8.0,
        750_000.0 * 0.9 / 8.0,
    ),
    (
        "Slow 3G",
        2_000.0,
        500_000.0 * 0.8 / 8.0,
        500_000.0 * 0.8 / 8.0,
    ),
];

/// A new phone's first load over each emulated link, each in a fresh
/// browser (no cache, no service worker): ms to a usable home, and KB sent.
async fn first_load_over_3g(app: &TestApp) -> Result<()> {
    for (name, latency, down, up) in LINKS {
        let mut times = Vec::new();
        let mut kb = 0.0;
        for _ in 0..3 {
            let b = Browser::start().await?;
            b.cdp("Network.enable", json!({})).await?;
            b.cdp(
                "Network.emulateNetworkConditions",
                json!({ "offline": false, "latency": latency, "downloadThroughput": down, "uploadThroughput": up }),
            )
            .await?;
            b.cdp(
                "Emulation.setCPUThrottlingRate",
                json!({ "rate": CPU_SLOWDOWN }),
            )
            .await?;
            b.goto(&app.url("/")).await?;
            let t = b
                .wait_for_js(HOME_READY_JS, Duration::from_secs(120))
                .await?;
            times.push(t.as_f64().unwrap_or(f64::NAN));
            kb = b
                .exec("return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((s, e) => s + (e.transferSize || 0), 0) / 1024;")
                .await?
                .as_f64()
                .unwrap_or(0.0);
            b.close().await?;
        }
        report(
            &format!("first load, {name}, CPU {CPU_SLOWDOWN}x ({kb:.0} KB)"),
            json!(times),
            f64::INFINITY,
            0.5,
        )?;
    }
    Ok(())
}

/// Opening the app with the server gone: from the service worker, with the
/// bench's data stored, the CPU slowed down.
async fn start_offline(app: &mut TestApp) -> Result<()> {
    wait_offline_ready(app).await?;
    app.server.stop().await?;
    let b = &app.browser;
    b.cdp(
        "Emulation.setCPUThrottlingRate",
        json!({ "rate": CPU_SLOWDOWN }),
    )
    .await?;
    let mut times = Vec::new();
    for _ in 0..5 {
        app.goto("/").await?;
        let t = b
            .wait_for_js(HOME_READY_JS, Duration::from_secs(60))
            .await?;
        // The home page counts the bench's visits (and the one it started).
        let shown: u32 = b
            .text("[data-testid=stored-visits-count]")
            .await?
            .trim()
            .parse()
            .unwrap_or(0);
        if shown < VISITS {
            return Err(anyhow!(
                "home shows {shown} visits, not the {VISITS} stored"
            ));
        }
        times.push(t.as_f64().unwrap_or(f64::NAN));
    }
    b.cdp("Emulation.setCPUThrottlingRate", json!({ "rate": 1 }))
        .await?;
    report(
        &format!("start offline, CPU {CPU_SLOWDOWN}x"),
        json!(times),
        1500.0,
        0.5,
    )
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut app = TestApp::try_start("field_bench").await?;
    let r = async {
        run(&app).await?;
        first_load_over_3g(&app).await?;
        start_offline(&mut app).await
    }
    .await;
    app.finish(r).await;
    Ok(())
}

async fn run(app: &TestApp) -> Result<()> {
    let b = &app.browser;
    sign_in(app, OFFICER.0, OFFICER.1).await?;

    let mut org = Organisation::new(
        uuid_nil(),
        OrganisationKind::Cooperative,
        "x",
        Sector::Crops,
    );
    org.place_new = Some("30850".into());
    let mut visit = Visit::new_draft(
        uuid_nil(),
        uuid_nil(),
        OFFICER.0,
        to_vn(&chrono::Utc::now()),
    );
    visit.facts.members.official = Some(120);
    visit.facts.workers = Some(15);
    let seed_started = std::time::Instant::now();
    let seeded = b
        .client()
        .execute_async(
            SEED_JS,
            vec![
                serde_json::to_value(&org)?,
                serde_json::to_value(&visit)?,
                json!(ORGS),
                json!(VISITS),
            ],
        )
        .await?;
    if seeded != Value::Bool(true) {
        return Err(anyhow!("seeding IndexedDB failed: {seeded}"));
    }
    println!(
        "htx-survey field bench: {ORGS} organisations and {VISITS} visits written to IndexedDB in {:.1} s\n",
        seed_started.elapsed().as_secs_f64()
    );
    app.goto("/").await?;
    app.wait_home().await?;
    b.wait_for_text(
        "[data-testid=stored-visits-count]",
        &VISITS.to_string(),
        UI_TIMEOUT,
    )
    .await?;

    find_and_open(app, "tan hiep", "Tân Hiệp").await?;
    start_visit(app).await?;
    report(
        "autosave (one draft)",
        b.exec_promise(SAVE_JS).await?,
        5.0,
        0.95,
    )?;

    b.click("nav.tabs a[href='/orgs']").await?;
    b.wait_for("[data-testid=org-search]", UI_TIMEOUT).await?;
    report(
        "search as you type",
        b.exec_promise(SEARCH_JS).await?,
        30.0,
        0.95,
    )?;

    report(
        "open the visit list",
        b.exec_promise(LIST_JS).await?,
        100.0,
        0.5,
    )?;
    println!("\nstart-up (to a usable home page, from navigation start):");
    Ok(())
}

fn uuid_nil() -> uuid::Uuid {
    uuid::Uuid::nil()
}
