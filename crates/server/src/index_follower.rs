//! The review console's list rows follow the stored revisions.
//!
//! A push stores its revisions and answers once they are committed; the
//! list row of each (`visit_index`: organisation, date, score, grade) is
//! written afterwards by one task that follows `visit_revisions.id` from a
//! cursor kept in `meta`, moved in the transaction that writes the rows.
//! Why: a push's list rows were computed and written by the one writer while
//! every other push waited, and a receipt does not need them (issue 17).
//!
//! What holds: the revision and its uniqueness are written in the push's
//! transaction, so a receipt never names a visit the server could lose; a
//! server killed between the two indexes the rest when it starts; the
//! console's list waits (up to [`LIST_WAIT`]) for the rows of revisions
//! stored before it was asked, so a reviewer sees an answered push in the
//! list at once unless the follower is that far behind.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use htx_core::Visit;
use tokio::sync::{watch, Notify};

use crate::db::query_builder::Placeholders;
use crate::db::visit_index::IndexRow;
use crate::db::{self, meta, visit_index, visits};
use crate::state::WriteHandle;

/// Revisions indexed per transaction at most (their rows are computed before
/// the write turn).
const CHUNK: i64 = 1000;

/// The longest the console's list waits for rows still to be written.
pub const LIST_WAIT: Duration = Duration::from_secs(1);

/// How long the follower lets pushes gather before it writes their rows,
/// unless the console is waiting for them: under load, one transaction for
/// several pushes.
const GATHER: Duration = Duration::from_millis(50);

/// How long a computed row waits to be taken (`IndexFollower::computed`):
/// far longer than the follower ever lags, so
/// a row dropped is one another process listed (or, if this follower is
/// failing, one it reads again from the database).
const UNTAKEN: Duration = Duration::from_secs(60);

/// The follower's handle, shared by the server's state.
pub struct IndexFollower {
    wake: Notify,
    /// The console's list waits for rows: write them now.
    hurry: Notify,
    /// The last revision id the list includes, as this process knows it.
    indexed: watch::Sender<i64>,
    /// List rows the push writer computed for revisions it stored, by
    /// `(visit id, revision)`, with when: the follower takes them instead of
    /// reading and scoring the visits again. Emptied as it goes; after a
    /// restart the follower reads what it needs from the database. Rows
    /// another process's follower listed first are never taken here: they
    /// are dropped after [`UNTAKEN`].
    computed: Mutex<HashMap<(String, i64), (Instant, IndexRow)>>,
    task: OnceLock<()>,
    /// Never indexes (`--hold-console-index`, for the test of a server
    /// killed after a push committed and before its list rows).
    held: bool,
}

impl IndexFollower {
    pub fn new(held: bool) -> Self {
        Self {
            wake: Notify::new(),
            hurry: Notify::new(),
            indexed: watch::Sender::new(0),
            computed: Mutex::default(),
            task: OnceLock::new(),
            held,
        }
    }
}

/// A push group is about to commit these revisions, whose list rows it
/// computed: kept for the follower, which takes them once it finds the
/// revisions stored. Call [`Computed::wake`] after the commit,
/// [`Computed::forget`] if it failed.
pub fn computed(state: &WriteHandle, rows: Vec<IndexRow>) -> Computed<'_> {
    let keys: Vec<(String, i64)> = if state.follower.held {
        Vec::new()
    } else {
        let keys = rows
            .iter()
            .map(|r| (r.visit_id.clone(), r.revision))
            .collect();
        state
            .follower
            .computed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend({
                let now = Instant::now();
                rows.into_iter()
                    .map(move |r| ((r.visit_id.clone(), r.revision), (now, r)))
            });
        keys
    };
    Computed { state, keys }
}

/// List rows handed to the follower before their revisions' commit.
pub struct Computed<'a> {
    state: &'a WriteHandle,
    keys: Vec<(String, i64)>,
}

impl Computed<'_> {
    /// Committed: the follower writes them.
    pub fn wake(self) {
        if !self.keys.is_empty() {
            wake(self.state);
        }
    }

    /// Not committed: never to be listed.
    pub fn forget(self) {
        let mut computed = self
            .state
            .follower
            .computed
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for key in &self.keys {
            computed.remove(key);
        }
    }
}

/// Revisions were stored: the follower (started with the first call)
/// writes their list rows.
pub fn wake(state: &WriteHandle) {
    let follower = &state.follower;
    if follower.held {
        return;
    }
    follower.task.get_or_init(|| {
        tokio::spawn(run(state.clone()));
    });
    follower.wake.notify_one();
}

/// Waits until the list includes every revision stored before this call, at
/// most [`LIST_WAIT`]; returns whether it does.
pub async fn wait_for_list(state: &WriteHandle) -> Result<bool, sqlx::Error> {
    if state.follower.held {
        return Ok(false);
    }
    let target = visits::last_id(&state.db).await?;
    let mut indexed = state.follower.indexed.subscribe();
    if *indexed.borrow() >= target {
        return Ok(true);
    }
    wake(state);
    state.follower.hurry.notify_one();
    let caught_up = tokio::time::timeout(LIST_WAIT, indexed.wait_for(|&i| i >= target)).await;
    Ok(matches!(caught_up, Ok(Ok(_))))
}

/// Indexes what was stored, then again whenever woken (or every second).
async fn run(state: WriteHandle) {
    let follower = &state.follower;
    loop {
        if state.db.is_closed() {
            return;
        }
        if let Err(error) = catch_up(&state).await {
            tracing::error!(%error, "writing the console's list rows failed; trying again");
        }
        tokio::select! {
            _ = follower.wake.notified() => {}
            _ = follower.hurry.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        tokio::select! {
            _ = follower.hurry.notified() => {}
            _ = tokio::time::sleep(GATHER) => {}
        }
    }
}

/// Writes the list rows of every revision stored after the cursor; returns
/// how many revisions it read. Run at start-up before serving (what a killed
/// server left), then by the follower's task.
pub async fn catch_up(state: &WriteHandle) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        match index_next(state).await? {
            0 => return Ok(total),
            n => total += n,
        }
    }
}

/// Stored revisions whose list rows are not written yet (0 when the
/// console's list is up to date), for `/api/health`.
pub async fn behind(db: &db::Db) -> anyhow::Result<i64> {
    let upto = cursor(db).await?;
    Ok(visits::count_after(db, upto).await?)
}

async fn cursor<'e, E>(db: E) -> anyhow::Result<i64>
where
    E: sqlx::Executor<'e, Database = db::Backend>,
{
    let value = meta::get(db, meta::VISIT_INDEX_UPTO).await?;
    match value {
        None => Ok(0),
        Some(v) => v
            .parse()
            .with_context(|| format!("meta {}: {v:?}", meta::VISIT_INDEX_UPTO)),
    }
}

/// Indexes the next [`CHUNK`] revisions after the cursor.
async fn index_next(state: &WriteHandle) -> anyhow::Result<usize> {
    state
        .follower
        .computed
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|_, (at, _)| at.elapsed() < UNTAKEN);
    let upto = cursor(&state.db).await?;
    let keys = visits::keys_after(&state.db, upto, CHUNK).await?;
    let Some(last) = keys.last().map(|k| k.0) else {
        state.follower.indexed.send_replace(upto);
        return Ok(0);
    };
    // Of a visit stored more than once here, its latest revision.
    let mut latest: HashMap<&str, i64> = HashMap::new();
    for (_, visit_id, revision) in &keys {
        let r = latest.entry(visit_id).or_insert(*revision);
        *r = (*r).max(*revision);
    }
    let mut rows = Vec::with_capacity(latest.len());
    {
        let mut computed = state
            .follower
            .computed
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for (_, visit_id, revision) in &keys {
            let row = computed
                .remove(&(visit_id.clone(), *revision))
                .map(|(_, row)| row);
            if let Some(row) = row.filter(|_| latest[visit_id.as_str()] == *revision) {
                rows.push(row);
            }
        }
    }
    // Not computed by this process (stored before a restart, or by the
    // demo's seeding): read and scored here, before the write turn (a
    // stored revision never changes).
    let mut parsed: Vec<(visits::RevisionRow, Visit)> = Vec::new();
    if rows.len() < latest.len() {
        let listed: BTreeSet<&str> = rows.iter().map(|r| r.visit_id.as_str()).collect();
        for s in visits::stored_after(&state.db, upto, CHUNK).await? {
            let wanted = s.id <= last
                && latest.get(s.row.visit_id.as_str()) == Some(&s.row.revision)
                && !listed.contains(s.row.visit_id.as_str());
            if wanted {
                let visit: Visit = serde_json::from_str(&s.row.body).with_context(|| {
                    format!(
                        "stored visit {} revision {}",
                        s.row.visit_id, s.row.revision
                    )
                })?;
                parsed.push((s.row, visit));
            }
        }
    }
    let rubrics = state.fresh_rubrics().await?;
    let org_ids: BTreeSet<String> = rows
        .iter()
        .map(|r| r.organisation_id.clone())
        .chain(parsed.iter().map(|(r, _)| r.organisation_id.clone()))
        .collect();
    let visit_ids: BTreeSet<&str> = latest.keys().copied().collect();

    let mut tx = state.begin_write().await?;
    if cursor(&mut *tx).await? != upto {
        // Indexed meanwhile by another process on this database: read again.
        tx.rollback().await?;
        return Ok(keys.len());
    }
    // The organisations as they are now: renamed since the push (the search
    // text), or merged into another (listed under that one, in its commune,
    // as `organisations::merge` did to the rows it found).
    let orgs = crate::sync::organisations_now(&mut tx, org_ids).await?;
    let org = |id: &str| {
        orgs.get(id)
            .and_then(Option::as_ref)
            .with_context(|| format!("organisation {id} of a stored visit"))
    };
    for (row, visit) in &parsed {
        rows.push(crate::console::index_row(
            &rubrics,
            visit,
            row,
            org(&row.organisation_id)?,
        ));
    }
    for row in &mut rows {
        let now = org(&row.organisation_id)?;
        if now.id != row.organisation_id {
            row.organisation_id = now.id.clone();
            row.place_code = now.place_code.clone();
        }
        row.search_key = crate::console::search_key(now);
    }
    let placeholders = Placeholders::for_backend(tx.kind());
    for part in rows.chunks(500) {
        visit_index::upsert_many(&mut *tx, placeholders, part).await?;
    }
    visit_index::refresh_many(&mut *tx, &serde_json::to_string(&visit_ids)?).await?;
    meta::set(
        &mut *tx,
        meta::VISIT_INDEX_UPTO,
        &last.to_string(),
        &db::now_timestamp(),
    )
    .await?;
    tx.commit().await?;
    state.follower.indexed.send_replace(last);
    Ok(keys.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(visit_id: &str) -> IndexRow {
        IndexRow {
            visit_id: visit_id.into(),
            revision: 1,
            organisation_id: "o".into(),
            place_code: "30850".into(),
            visited_on: "2026-12-01".into(),
            year: 2026,
            officer_id: "u".into(),
            score_centi: None,
            grade: None,
            received_at: "2026-12-01T00:00:00Z".into(),
            search_key: "htx".into(),
        }
    }

    /// A row the push writer computed but another process's follower listed
    /// first is never taken here: it is dropped once old, not kept for as
    /// long as the server runs.
    #[tokio::test]
    async fn rows_another_process_listed_do_not_stay_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join("f.sqlite3").into();
        let db = db::connect(&location, 2).await.unwrap();
        db::migrate(&db).await.unwrap();
        let config = crate::Config {
            database: location,
            ..crate::Config::with_defaults()
        };
        let state = crate::AppState::new(db, config).write_handle();
        let long_ago = Instant::now() - UNTAKEN - Duration::from_secs(1);
        state.follower.computed.lock().unwrap().extend([
            (("old".to_owned(), 1), (long_ago, row("old"))),
            (("new".to_owned(), 1), (Instant::now(), row("new"))),
        ]);
        // Nothing stored after the cursor: the follower reads no revision.
        assert_eq!(index_next(&state).await.unwrap(), 0);
        let left: Vec<_> = state
            .follower
            .computed
            .lock()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(left, [("new".to_owned(), 1)]);
    }
}
