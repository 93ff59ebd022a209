//! Review console bench: `cargo run -p htx-e2e --bin console_bench`
//! (scripts/bench.sh runs it against a release build of the server).
//!
//! 100,000 visits pushed through the real sync endpoint, then, against the
//! real server on loopback: the console's visit list (first page, a deep
//! page, filtered and sorted, text search, a place of the old hierarchy),
//! a visit's detail, the dashboard and an XLSX export, each timed over
//! repeated requests (p50 / p95); and the /review page in headless Chromium
//! until its table shows. Prints figures; never fails on a figure.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use htx_core::sync::PushBatch;
use htx_e2e::console::REVIEWER;
use htx_e2e::field::OFFICER;
use htx_e2e::sync::{api_token, final_visits, officer_organisations};
use htx_e2e::TestApp;
use serde_json::Value;
use uuid::Uuid;

const VISITS: usize = 100_000;
const RUNS: usize = 20;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn seed(app: &TestApp) -> Result<String> {
    let orgs = officer_organisations(app, OFFICER.0, OFFICER.1).await?;
    let token = Arc::new(api_token(app, OFFICER.0, OFFICER.1).await?);
    let url = Arc::new(app.url("/api/v1/sync/push"));
    let started = Instant::now();
    let visits = final_visits(&orgs, VISITS)?;
    let batches: Vec<Vec<htx_core::Visit>> = visits.chunks(200).map(<[_]>::to_vec).collect();
    let now = htx_core::time::to_vn(&chrono::Utc::now());
    // Four devices pushing at once.
    let mut lanes: Vec<Vec<Vec<htx_core::Visit>>> = vec![Vec::new(); 4];
    for (i, b) in batches.into_iter().enumerate() {
        lanes[i % 4].push(b);
    }
    let tasks: Vec<_> = lanes
        .into_iter()
        .map(|lane| {
            let (http, url, token) = (app.http.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                for visits in lane {
                    let batch = PushBatch::new(Uuid::now_v7(), Uuid::now_v7(), now, visits);
                    let r = http
                        .post(url.as_str())
                        .bearer_auth(token.as_str())
                        .json(&batch)
                        .send()
                        .await?;
                    if !r.status().is_success() {
                        bail!("push answered {}", r.status());
                    }
                }
                Ok(())
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    println!(
        "{:<44} {:>8.1} s",
        format!("seeding {VISITS} visits (4 devices)"),
        started.elapsed().as_secs_f64()
    );
    api_token(app, REVIEWER.0, REVIEWER.1).await
}

/// Times `RUNS` GETs of `path`; prints p50 / p95 and what one answer held.
async fn time_get(app: &TestApp, token: &str, what: &str, path: &str) -> Result<Value> {
    let mut ms = Vec::new();
    let mut last = Value::Null;
    for _ in 0..RUNS {
        let t = Instant::now();
        let r = app
            .http
            .get(app.url(path))
            .bearer_auth(token)
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("{path} answered {}", r.status());
        }
        let bytes = r.bytes().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        last = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    }
    ms.sort_by(f64::total_cmp);
    let (p50, p95) = (percentile(&ms, 0.5), percentile(&ms, 0.95));
    let total = last
        .get("total")
        .map(|t| format!("   ({t} matching)"))
        .unwrap_or_default();
    println!(
        "{what:<44} p50 {p50:>7.1} ms   p95 {p95:>7.1} ms   goal p95 100 ms: {}{total}",
        if p95 <= 100.0 { "within" } else { "OVER" }
    );
    Ok(last)
}

#[tokio::main]
async fn main() -> Result<()> {
    let app = TestApp::try_start("console_bench").await?;
    let r = async {
        let token = seed(&app).await?;
        let page = time_get(
            &app,
            &token,
            "visit list, first page (50)",
            "/api/v1/visits",
        )
        .await?;
        time_get(
            &app,
            &token,
            "visit list, page 1,000",
            "/api/v1/visits?page=1000",
        )
        .await?;
        let year = chrono::Utc::now().format("%Y");
        time_get(
            &app,
            &token,
            "filtered: year, pending, by score",
            &format!("/api/v1/visits?year={year}&state=pending&sort=score_high_first"),
        )
        .await?;
        time_get(
            &app,
            &token,
            "search 'tan hiep' (no diacritics)",
            "/api/v1/visits?q=tan%20hiep",
        )
        .await?;
        time_get(
            &app,
            &token,
            "place of the old hierarchy (Hòn Đất)",
            "/api/v1/visits?hierarchy=old&place=903",
        )
        .await?;
        let id = page["items"][0]["visit_id"]
            .as_str()
            .context("no visit listed")?;
        time_get(
            &app,
            &token,
            "one visit's detail",
            &format!("/api/v1/visits/{id}"),
        )
        .await?;
        // The dashboard and exports read every visit of the year: timed, no goal set.
        for (what, path) in [
            (
                "dashboard (all 100,000 visits of the year)",
                "/api/v1/dashboard?reviewed=false",
            ),
            (
                "indicators XLSX export",
                "/api/v1/exports/indicators.xlsx?reviewed=false",
            ),
        ] {
            let t = Instant::now();
            let r = app
                .http
                .get(app.url(path))
                .bearer_auth(&token)
                .send()
                .await?;
            let n = r.bytes().await?.len();
            println!(
                "{what:<44} {:>8.0} ms   ({n} bytes)",
                t.elapsed().as_secs_f64() * 1000.0
            );
        }

        // The console page in the browser, signed in, until the table shows.
        htx_e2e::console::staff_sign_in(&app, &app.browser, REVIEWER.0, REVIEWER.1).await?;
        let b = &app.browser;
        let mut ms = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            b.goto(&app.url("/review?state=pending")).await?;
            b.wait_for("[data-testid=review-row]", htx_e2e::field::UI_TIMEOUT)
                .await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "{:<44} p50 {:>7.1} ms",
            "/review in Chromium, navigation to rows",
            percentile(&ms, 0.5)
        );
        Ok(())
    }
    .await;
    app.finish(r).await;
    Ok(())
}
