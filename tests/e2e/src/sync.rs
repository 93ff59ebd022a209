//! Helpers for the sync tests and bench: visits recorded "offline" written
//! straight into the app's IndexedDB exactly as the app stores a finalized
//! visit (visit + list summary + outbox entry, built with htx-core's own
//! types), the server's database read directly, and the device's counts.

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, FixedOffset, Utc};
use htx_core::device::VisitSummary;
use htx_core::outbox::OutboxEntry;
use htx_core::sync::PullResponse;
use htx_core::{Organisation, OrganisationKind, Visit};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::TestApp;

/// Reads every organisation the officer may see, as the device would (login
/// and pull over HTTP).
pub async fn officer_organisations(
    app: &TestApp,
    user: &str,
    password: &str,
) -> Result<Vec<Organisation>> {
    let token = api_token(app, user, password).await?;
    let mut since = 0u64;
    let mut out = Vec::new();
    loop {
        let page: PullResponse = app
            .http
            .get(app.url(&format!("/api/v1/sync/pull?since={since}")))
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        out.extend(page.organisations);
        if !page.has_more || page.cursor.0 == since {
            return Ok(out);
        }
        since = page.cursor.0;
    }
}

/// A bearer token for `user`.
pub async fn api_token(app: &TestApp, user: &str, password: &str) -> Result<String> {
    let r: Value = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": user, "password": password }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    r["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no token in {r}"))
}

fn now_vn() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&htx_core::time::VN_OFFSET)
}

/// `n` complete final visits of the given cooperatives (round robin), as an
/// officer would finalize them: valid for the server's checks.
pub fn final_visits(orgs: &[Organisation], n: usize) -> Result<Vec<Visit>> {
    let coops: Vec<&Organisation> = orgs
        .iter()
        .filter(|o| o.kind == OrganisationKind::Cooperative)
        .collect();
    if coops.is_empty() {
        bail!("no cooperative among {} organisations", orgs.len());
    }
    let started = now_vn() - chrono::Duration::hours(3);
    Ok((0..n)
        .map(|i| {
            let mut v =
                Visit::new_draft(Uuid::now_v7(), coops[i % coops.len()].id, "canbo1", started);
            v.notes = format!("Ghi chú chuyến khảo sát số {i}");
            let mut v = htx_core::fixtures::complete_final(v);
            v.plan.enterprise_link = Some(false);
            v.plan.enterprise_partner = None;
            v
        })
        .collect())
}

const SEED_JS: &str = r#"
const [rows] = arguments;
const done = arguments[arguments.length - 1];
const r = indexedDB.open('htx-survey');
r.onerror = () => done('open: ' + r.error);
r.onsuccess = () => {
  const db = r.result;
  const tx = db.transaction(['visits', 'visit_summaries', 'outbox'], 'readwrite');
  const v = tx.objectStore('visits'), s = tx.objectStore('visit_summaries'), o = tx.objectStore('outbox');
  for (const row of JSON.parse(rows)) { v.put(row[0]); s.put(row[1]); if (row[2]) o.put(row[2]); }
  tx.oncomplete = () => { db.close(); done(true); };
  tx.onerror = () => done('tx: ' + tx.error);
};
"#;

/// Writes `visits` into the app's IndexedDB as finalized, waiting visits
/// (the app must have opened the database once, at schema 4 or later).
/// Non-final visits are stored as drafts, outside the outbox.
pub async fn store_on_device(app: &TestApp, orgs: &[Organisation], visits: &[Visit]) -> Result<()> {
    let now_ms = Utc::now().timestamp_millis();
    let rows = visits
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let org = orgs.iter().find(|o| o.id == v.organisation_id);
            let t = now_ms - (visits.len() - i) as i64;
            let summary = VisitSummary::of(v, org, None, t);
            let entry = v
                .is_final()
                .then(|| OutboxEntry::new(v, &summary.account, t as f64))
                .transpose()?;
            Ok(json!([v, summary, entry]))
        })
        .collect::<Result<Vec<Value>>>()?;
    // Chunks keep each WebDriver call small.
    for chunk in rows.chunks(500) {
        let text = serde_json::to_string(chunk)?;
        let r = app
            .browser
            .client()
            .execute_async(SEED_JS, vec![json!(text)])
            .await?;
        if r != json!(true) {
            bail!("seeding the device failed: {r}");
        }
    }
    Ok(())
}

/// What the device holds: outbox entries and visits per local state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceCounts {
    pub outbox: u64,
    pub waiting: u64,
    pub confirmed: u64,
    pub rejected: u64,
    pub conflict: u64,
    pub visits: u64,
    /// Confirmed visits whose summary is still stored as waiting (the app
    /// writes them after the sync, see `record_confirmations`).
    pub unrecorded: u64,
}

const COUNTS_JS: &str = r#"
const done = arguments[arguments.length - 1];
const r = indexedDB.open('htx-survey');
r.onerror = () => done('open: ' + r.error);
r.onsuccess = () => { try {
  const db = r.result;
  const tx = db.transaction(['visits', 'visit_summaries', 'outbox'], 'readonly');
  const out = { waiting: 0, confirmed: 0, rejected: 0, conflict: 0, unrecorded: 0 };
  const count = (name, req) => { req.onsuccess = () => { out[name] = req.result; }; };
  count('outbox', tx.objectStore('outbox').count());
  count('visits', tx.objectStore('visits').count());
  // Every account's summaries, by state (the app's own indexes are per
  // account). A receipt confirms by taking the revision out of the outbox
  // and leaves its summary "waiting" until the app writes it later
  // (htx_core::outbox::derived_status): such a summary is confirmed.
  const queued = tx.objectStore('outbox').getAllKeys();
  const all = tx.objectStore('visit_summaries').getAll();
  all.onsuccess = () => {
    const keys = new Set(queued.result);
    for (const s of all.result) {
      let status = s.status;
      const key = s.id + '/' + String(s.revision).padStart(10, '0');
      if (status === 'waiting' && !keys.has(key)) { status = 'confirmed'; out.unrecorded += 1; }
      if (status in out) out[status] += 1;
    }
  };
  tx.oncomplete = () => { db.close(); done(out); };
  tx.onerror = () => done('tx: ' + tx.error);
} catch (e) { done('counts: ' + e); } };
"#;

/// Reads the device's counts straight from IndexedDB (a second observer,
/// not the app's own screen).
pub async fn device_counts(app: &TestApp) -> Result<DeviceCounts> {
    let v = app
        .browser
        .client()
        .execute_async(COUNTS_JS, vec![])
        .await?;
    let n = |k: &str| v[k].as_u64().ok_or_else(|| anyhow!("no {k} in {v}"));
    Ok(DeviceCounts {
        outbox: n("outbox")?,
        waiting: n("waiting")?,
        confirmed: n("confirmed")?,
        rejected: n("rejected")?,
        conflict: n("conflict")?,
        visits: n("visits")?,
        unrecorded: n("unrecorded")?,
    })
}

/// Waits until the device's counts satisfy `pred`; returns them.
pub async fn wait_device(
    app: &TestApp,
    what: &str,
    timeout: Duration,
    pred: impl Fn(&DeviceCounts) -> bool,
) -> Result<DeviceCounts> {
    let last = std::cell::RefCell::new(DeviceCounts::default());
    let (last_ref, pred) = (&last, &pred);
    let r = crate::poll_until(what, timeout, move || async move {
        let c = device_counts(app).await?;
        *last_ref.borrow_mut() = c.clone();
        Ok(pred(&c).then_some(c))
    })
    .await;
    r.with_context(|| format!("last device counts: {:?}", last.borrow()))
}

/// The server's stored revisions: (rows, distinct visits, rows per
/// (visit, revision) above one). Read from the SQLite file directly.
pub async fn server_revisions(database: &Path) -> Result<(i64, i64, i64)> {
    use sqlx::Row;
    let url = format!("sqlite://{}?mode=ro", database.display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await?;
    let row = sqlx::query(
        "SELECT COUNT(*), COUNT(DISTINCT visit_id), \
         (SELECT COUNT(*) FROM (SELECT 1 FROM visit_revisions GROUP BY visit_id, revision HAVING COUNT(*) > 1)) \
         FROM visit_revisions",
    )
    .fetch_one(&mut conn)
    .await?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

/// Pushes `visits` as one batch over the API, as a device would; fails
/// unless every record is accepted.
pub async fn push_visits(app: &TestApp, token: &str, visits: Vec<Visit>) -> Result<()> {
    let batch = htx_core::sync::PushBatch::new(Uuid::now_v7(), Uuid::now_v7(), now_vn(), visits);
    let answer: htx_core::sync::PushResponse = app
        .http
        .post(app.url("/api/v1/sync/push"))
        .bearer_auth(token)
        .json(&batch)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    if let Some(bad) = answer
        .results
        .iter()
        .find(|r| !matches!(r.outcome, htx_core::sync::RecordOutcome::Accepted { .. }))
    {
        bail!("a pushed record was not accepted: {bad:?}");
    }
    Ok(())
}

/// The review console's list (`GET /api/v1/visits`), every page, as the
/// staff account of `token` sees it.
pub async fn console_list(
    app: &TestApp,
    token: &str,
) -> Result<Vec<htx_core::console::VisitListItem>> {
    let mut items = Vec::new();
    for page in 1.. {
        let p: htx_core::console::VisitPage = app
            .http
            .get(app.url(&format!("/api/v1/visits?per_page=200&page={page}")))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let last = p.items.len() < 200;
        items.extend(p.items);
        if last {
            return Ok(items);
        }
    }
    unreachable!("pages are counted until one is short")
}
