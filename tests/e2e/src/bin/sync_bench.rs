//! Sync bench: `cargo run -p htx-e2e --bin sync_bench` (scripts/bench.sh runs
//! it against a release build of the server).
//!
//! In headless Chromium against the real server on loopback:
//! - 1,000 then 10,000 visits end to end: written to the device's outbox as
//!   the app stores finalized visits, then "Đồng bộ ngay": pushed in batches,
//!   confirmed by receipt, pulled; timed by the app's own User Timing
//!   measure ("htx-sync": one sync run, start to finish);
//! - a sync with nothing new; a sync after 10 % of the visits were edited
//!   (new revisions);
//! - bytes on the wire per visit (the app counts its gzip request bodies).
//!
//! Then, natively (reqwest, gzip bodies like the app's):
//! - server ingest: 20,000 visits in batches of 200 from one client, then
//!   from 4 clients at once;
//! - 200 concurrent clients each pushing 5 batches of 10 visits: latency
//!   p50/p99;
//!   meanwhile one visit of an organisation kept out of the load is pushed
//!   every 100 ms and the console's list (as the reviewer) is read until it
//!   shows it: the list lag p50/p99 (list rows are written after the push);
//! - the server's resident memory (VmRSS) and peak (VmHWM) after all that;
//! - on SQLite, the largest the WAL file grew meanwhile (disk the server
//!   uses beside its database file; it copies the WAL in the background).
//!
//! Prints each figure against its goal; never fails on a figure, only if it
//! cannot measure.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use htx_core::sync::{PushBatch, PushResponse, RecordOutcome};
use htx_core::{Organisation, Visit};
use htx_e2e::console::REVIEWER;
use htx_e2e::field::{sign_in, OFFICER};
use htx_e2e::sync::{
    api_token, device_counts, final_visits, officer_organisations, store_on_device,
};
use htx_e2e::TestApp;
use serde_json::Value;
use uuid::Uuid;

fn verdict(ok: bool) -> &'static str {
    if ok {
        "within"
    } else {
        "OVER"
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Clicks "Đồng bộ ngay" and waits for the run to finish with an empty
/// outbox; returns the duration of the first sync run the app measured.
async fn sync_once(app: &TestApp) -> Result<f64> {
    let b = &app.browser;
    // A click in the page (the app's own handler, as a tap runs it), a moment
    // after the WebDriver command has returned: chromedriver's work around a
    // command runs on the page's thread, and while a short sync awaited
    // IndexedDB it added 8-15 ms to the run.
    b.exec(
        "performance.clearMeasures(); \
         setTimeout(() => document.querySelector('[data-testid=sync-now]').click(), 50);",
    )
    .await?;
    // The app times itself; polling the page (WebDriver scripts run on its
    // main thread) while a short run is going would add to its figure.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let m = b
            .exec("return performance.getEntriesByName('htx-sync').map(e => e.duration);")
            .await?;
        let phase = b
            .attr("[data-testid=sync-panel]", "data-phase")
            .await?
            .unwrap_or_default();
        if let Some(first) = m.as_array().and_then(|a| a.first()).and_then(Value::as_f64) {
            if phase == "done" && device_counts(app).await?.outbox == 0 {
                return Ok(first);
            }
            if phase == "failed" || phase == "needs-sign-in" {
                bail!(
                    "sync ended in phase {phase}: {}",
                    b.text("[data-testid=sync-status]").await?
                );
            }
        }
        if Instant::now() > deadline {
            bail!("sync did not finish within 180 s (phase {phase})");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Where the last sync's time went, from the app's own measures: each
/// phase, then the steps inside a phase (`htx-sync-<phase>-<step>`).
async fn breakdown(app: &TestApp) -> Result<String> {
    let v = app
        .browser
        .exec(
            "const out = {}; for (const e of performance.getEntriesByType('measure')) \
             if (e.name.startsWith('htx-sync-')) out[e.name.slice(9)] = (out[e.name.slice(9)] || 0) + e.duration; \
             return out;",
        )
        .await?;
    let Some(all) = v.as_object() else {
        bail!("no measures: {v}");
    };
    // SYNC_BENCH_TIMELINE=1: every measure of the run, from its start.
    if std::env::var_os("SYNC_BENCH_TIMELINE").is_some() {
        let steps = app
            .browser
            .exec(
                "const s = performance.getEntriesByName('htx-sync')[0]?.startTime || 0; \
                 return performance.getEntriesByType('measure') \
                   .filter(e => e.name.startsWith('htx-sync')) \
                   .map(e => [e.startTime - s, e.startTime - s + e.duration, e.name]) \
                   .sort((a, b) => a[0] - b[0]);",
            )
            .await?;
        for step in steps.as_array().into_iter().flatten() {
            let at = |i: usize| step[i].as_f64().unwrap_or(0.0);
            eprintln!(
                "    {:>7.1}-{:<7.1} ms  {}",
                at(0),
                at(1),
                step[2].as_str().unwrap_or_default()
            );
        }
    }
    let order = ["count", "take", "push", "receipt", "settle", "pull"];
    let mut parts = Vec::new();
    for phase in order {
        let ms = all.get(phase).and_then(Value::as_f64).unwrap_or(0.0);
        let steps: Vec<String> = all
            .iter()
            .filter_map(|(k, v)| {
                let step = k.strip_prefix(phase)?.strip_prefix('-')?;
                Some(format!("{step} {:.0}", v.as_f64()?))
            })
            .collect();
        if steps.is_empty() {
            parts.push(format!("{phase} {ms:.0} ms"));
        } else {
            parts.push(format!("{phase} {ms:.0} ms ({})", steps.join(", ")));
        }
    }
    Ok(parts.join(", "))
}

async fn device_end_to_end(app: &TestApp, orgs: &[Organisation]) -> Result<()> {
    let b = &app.browser;
    let mut all: Vec<Visit> = Vec::new();
    for (n, goal_ms) in [(1_000usize, 300.0), (10_000, 2_500.0)] {
        let visits = final_visits(orgs, n)?;
        store_on_device(app, orgs, &visits).await?;
        let ms = sync_once(app).await?;
        let c = device_counts(app).await?;
        println!(
            "{:<40} {ms:>9.1} ms   goal {goal_ms} ms: {}   (device: {} confirmed)",
            format!("{n} visits end to end"),
            verdict(ms <= goal_ms),
            c.confirmed
        );
        println!("{:<40} {}", "  of which", breakdown(app).await?);
        all.extend(visits);
    }
    // The app writes the confirmations into the visits' summaries after the
    // run, off its path (until then they read as confirmed from the
    // outbox): how long that takes, and nothing new is measured after it, as
    // the next periodic sync would find the device.
    let t = Instant::now();
    let deadline = t + Duration::from_secs(120);
    while device_counts(app).await?.unrecorded > 0 {
        if Instant::now() > deadline {
            bail!("confirmations not written to the summaries within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "{:<40} {:>9.1} ms   (after the run, in the background; polled every 50 ms)",
        "  summaries written as confirmed",
        t.elapsed().as_secs_f64() * 1000.0
    );
    // Nothing new: the median of 7 runs (the first one right after a large
    // sync is not typical).
    let mut runs = Vec::new();
    for _ in 0..7 {
        runs.push(sync_once(app).await?);
    }
    runs.sort_by(f64::total_cmp);
    let ms = percentile(&runs, 0.5);
    println!(
        "{:<40} {ms:>9.1} ms   goal 12 ms: {}   (median of 7, {:.1}–{:.1} ms)",
        "sync with nothing new",
        verdict(ms <= 12.0),
        runs[0],
        runs[runs.len() - 1]
    );
    println!("{:<40} {}", "  of which (last run)", breakdown(app).await?);

    // 10 % of the 10,000 edited after confirmation: new revisions.
    let edited: Vec<Visit> = all[1_000..]
        .iter()
        .step_by(10)
        .map(|v| {
            let mut n = v.next_revision();
            n.notes.push_str(" (sửa)");
            n
        })
        .collect();
    store_on_device(app, orgs, &edited).await?;
    let ms = sync_once(app).await?;
    println!(
        "{:<40} {ms:>9.1} ms   goal 400 ms: {}   ({} new revisions)",
        "sync after 10 % were edited",
        verdict(ms <= 400.0),
        edited.len()
    );
    println!("{:<40} {}", "  of which", breakdown(app).await?);

    let bytes: u64 = b
        .attr("[data-testid=sync-sent]", "data-bytes")
        .await?
        .unwrap_or_default()
        .parse()?;
    let records: u64 = b
        .attr("[data-testid=sync-sent]", "data-records")
        .await?
        .unwrap_or_default()
        .parse()?;
    if records == 0 {
        bail!("the app counted no records sent");
    }
    let per = bytes as f64 / records as f64;
    println!(
        "{:<40} {per:>9.0} B    goal 800 B: {}   ({records} records, {:.1} MB gzip)",
        "bytes on the wire per visit",
        verdict(per <= 800.0),
        bytes as f64 / 1e6
    );
    Ok(())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip in memory");
    e.finish().expect("gzip in memory")
}

/// A gzip-compressed push body of `visits`.
fn push_body(visits: Vec<Visit>) -> Result<Vec<u8>> {
    let batch = PushBatch::new(
        Uuid::now_v7(),
        Uuid::now_v7(),
        htx_core::time::to_vn(&chrono::Utc::now()),
        visits,
    );
    Ok(gzip(&serde_json::to_vec(&batch)?))
}

async fn push(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: Vec<u8>,
) -> Result<PushResponse> {
    let r = http
        .post(url)
        .bearer_auth(token)
        .header("Content-Type", "application/json")
        .header("Content-Encoding", "gzip")
        .body(body)
        .send()
        .await?;
    if !r.status().is_success() {
        bail!(
            "push answered {}: {}",
            r.status(),
            r.text().await.unwrap_or_default()
        );
    }
    let answer: PushResponse = r.json().await?;
    if let Some(bad) = answer
        .results
        .iter()
        .find(|r| !matches!(r.outcome, RecordOutcome::Accepted { .. }))
    {
        bail!("a bench record was not accepted: {:?}", bad.outcome);
    }
    Ok(answer)
}

/// While `load` runs: pushes one visit of `marker` every 100 ms and reads the
/// console's list (newest first, searched for the organisation) until it
/// shows the visit; returns each lag, in ms, from the push's answer.
async fn list_lag_during<T>(
    app: &TestApp,
    marker: &Organisation,
    load: impl std::future::Future<Output = Result<T>>,
) -> Result<(T, Vec<f64>)> {
    let officer = api_token(app, OFFICER.0, OFFICER.1).await?;
    let reviewer = api_token(app, REVIEWER.0, REVIEWER.1).await?;
    let search = marker
        .registration_code
        .clone()
        .unwrap_or_else(|| marker.name.clone());
    let list_url = format!(
        "{}?q={}&per_page=20",
        app.url("/api/v1/visits"),
        urlencoding(&search)
    );
    let push_url = app.url("/api/v1/sync/push");
    let done = std::sync::atomic::AtomicBool::new(false);
    let sample = async {
        let mut lags = Vec::new();
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            let visit = final_visits(std::slice::from_ref(marker), 1)?.remove(0);
            let id = visit.id.to_string();
            push(&app.http, &push_url, &officer, push_body(vec![visit])?).await?;
            let answered = Instant::now();
            loop {
                let page: Value = app
                    .http
                    .get(&list_url)
                    .bearer_auth(&reviewer)
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                let listed = page["items"]
                    .as_array()
                    .is_some_and(|items| items.iter().any(|i| i["visit_id"] == id.as_str()));
                if listed {
                    break;
                }
                if answered.elapsed() > Duration::from_secs(10) {
                    bail!("visit {id} not in the console's list 10 s after its push");
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            lags.push(answered.elapsed().as_secs_f64() * 1000.0);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok::<_, anyhow::Error>(lags)
    };
    let load = async {
        let r = load.await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        r
    };
    let (loaded, lags) = tokio::join!(load, sample);
    Ok((loaded?, lags?))
}

/// CPU time the process has used, user and system, in ms (from
/// /proc/PID/stat: less noisy than wall time on a shared machine).
fn cpu_ms(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces, in parentheses).
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| anyhow!("unreadable /proc/{pid}/stat"))?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>()? + f[12].parse::<f64>()?;
    // USER_HZ is 100 on Linux.
    Ok(ticks * 10.0)
}

/// `s` for a URL's query string.
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn server_load(app: &TestApp, all_orgs: &[Organisation]) -> Result<()> {
    // The first cooperative is kept out of the load: its visits mark the
    // console list's lag.
    let marker = all_orgs
        .iter()
        .find(|o| o.kind == htx_core::OrganisationKind::Cooperative)
        .ok_or_else(|| anyhow!("no cooperative"))?;
    let orgs: Vec<Organisation> = all_orgs
        .iter()
        .filter(|o| o.id != marker.id)
        .cloned()
        .collect();
    let orgs = orgs.as_slice();
    let token = api_token(app, OFFICER.0, OFFICER.1).await?;
    let url = app.url("/api/v1/sync/push");
    let wal = app
        .server
        .postgres()
        .is_none()
        .then(|| watch_size(wal_path(app.server.database_path())));

    // Ingest: one client, batches of 200 prepared in advance.
    const INGEST: usize = 20_000;
    let bodies: Vec<Vec<u8>> = final_visits(orgs, INGEST)?
        .chunks(200)
        .map(|c| push_body(c.to_vec()))
        .collect::<Result<_>>()?;
    let pid = app
        .server
        .pid()
        .ok_or_else(|| anyhow!("server not running"))?;
    let (started, cpu) = (Instant::now(), cpu_ms(pid)?);
    for body in bodies {
        push(&app.http, &url, &token, body).await?;
    }
    let per_s = INGEST as f64 / started.elapsed().as_secs_f64();
    // The list rows of the last pushes are written just after: counted too.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cpu = (cpu_ms(pid)? - cpu) / (INGEST as f64 / 1000.0);
    println!(
        "{:<40} {per_s:>9.0} /s   goal 15000 /s: {}   (server CPU {cpu:.0} ms per 1,000 visits)",
        "server ingest (batches of 200)",
        verdict(per_s >= 15_000.0)
    );

    // The same from 4 clients at once (a few officers syncing after a
    // meeting): 5,000 visits each, batches of 200.
    let streams: Vec<Vec<Vec<u8>>> = final_visits(orgs, INGEST)?
        .chunks(INGEST / 4)
        .map(|c| c.chunks(200).map(|b| push_body(b.to_vec())).collect())
        .collect::<Result<_>>()?;
    let started = Instant::now();
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|bodies| {
            let (http, url, token) = (app.http.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                for body in bodies {
                    push(&http, &url, &token, body).await?;
                }
                Ok::<_, anyhow::Error>(())
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    let per_s = INGEST as f64 / started.elapsed().as_secs_f64();
    println!(
        "{:<40} {per_s:>9.0} /s   (no goal)",
        "server ingest, 4 clients at once"
    );

    // 200 concurrent clients, 5 pushes of 10 visits each.
    const CLIENTS: usize = 200;
    const PUSHES: usize = 5;
    let mut per_client: Vec<Vec<Vec<u8>>> = Vec::new();
    let visits = final_visits(orgs, CLIENTS * PUSHES * 10)?;
    for c in visits.chunks(PUSHES * 10) {
        per_client.push(
            c.chunks(10)
                .map(|b| push_body(b.to_vec()))
                .collect::<Result<_>>()?,
        );
    }
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    let (url, token) = (Arc::new(url), Arc::new(token));
    let started = Instant::now();
    let tasks: Vec<_> = per_client
        .into_iter()
        .map(|bodies| {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                let mut lat = Vec::new();
                for body in bodies {
                    let t = Instant::now();
                    push(&http, &url, &token, body).await?;
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                Ok::<_, anyhow::Error>(lat)
            })
        })
        .collect();
    let load = async {
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await??);
        }
        Ok::<_, anyhow::Error>((lat, started.elapsed().as_secs_f64()))
    };
    let ((mut lat, wall), mut lags) = list_lag_during(app, marker, load).await?;
    lat.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
    println!(
        "{:<40} p50 {p50:.1} ms  p99 {p99:.1} ms   goal p99 250 ms: {}   ({} pushes, {:.0} visits/s)",
        "200 concurrent pushing clients",
        verdict(p99 <= 250.0),
        lat.len(),
        (CLIENTS * PUSHES * 10) as f64 / wall
    );

    lags.sort_by(f64::total_cmp);
    if lags.is_empty() {
        bail!("no list lag sample during the load");
    }
    let (p50, p99) = (percentile(&lags, 0.5), percentile(&lags, 0.99));
    println!(
        "{:<40} p50 {p50:.1} ms  p99 {p99:.1} ms   goal p99 1000 ms: {}   ({} samples)",
        "console list lag, during the 200 clients",
        verdict(p99 <= 1000.0),
        lags.len()
    );

    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("reading the server's memory")?;
    let kb = |key: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let (rss, peak) = (kb("VmRSS:") as f64 / 1024.0, kb("VmHWM:") as f64 / 1024.0);
    println!(
        "{:<40} {rss:>9.1} MB   peak {peak:.1} MB   goal 100 MB: {}",
        "server memory (RSS)",
        verdict(peak <= 100.0)
    );
    if let Some((largest, watcher)) = wal {
        watcher.abort();
        println!(
            "{:<40} {:>9.1} MB at most   (no goal)",
            "SQLite WAL file",
            largest.load(Ordering::Relaxed) as f64 / 1e6
        );
    }
    Ok(())
}

/// The WAL file beside a SQLite database file.
fn wal_path(database: &std::path::Path) -> std::path::PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

/// The largest size `file` reaches, sampled every 50 ms until the task is
/// aborted.
fn watch_size(file: std::path::PathBuf) -> (Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let largest = Arc::new(AtomicU64::new(0));
    let seen = largest.clone();
    let watcher = tokio::spawn(async move {
        loop {
            if let Ok(meta) = std::fs::metadata(&file) {
                seen.fetch_max(meta.len(), Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    (largest, watcher)
}

#[tokio::main]
async fn main() -> Result<()> {
    let app = TestApp::try_start("sync_bench").await?;
    let r = async {
        println!(
            "htx-survey sync bench (server: {}, database: {})\n",
            htx_e2e::server_bin()?.display(),
            if app.server.postgres().is_some() {
                "PostgreSQL"
            } else {
                "SQLite"
            }
        );
        sign_in(&app, OFFICER.0, OFFICER.1).await?;
        let orgs = officer_organisations(&app, OFFICER.0, OFFICER.1).await?;
        // SYNC_BENCH=server: only the server's figures (quicker, no browser
        // work); SYNC_BENCH=device: only the browser's.
        let only = std::env::var("SYNC_BENCH").unwrap_or_default();
        if only != "server" {
            device_end_to_end(&app, &orgs).await?;
        }
        if only == "device" {
            return Ok(());
        }
        server_load(&app, &orgs).await
    }
    .await;
    app.finish(r).await;
    Ok(())
}
