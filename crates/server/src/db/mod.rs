//! Database access. All SQL of the server lives under this module, one
//! submodule per table; handlers never write SQL.
//!
//! SQLite today. The way to PostgreSQL later, kept open on purpose:
//! - the driver is named in one place, [`Backend`] (and [`Db`] derives from
//!   it): switch it to `sqlx::Postgres` and [`connect`] to `PgPoolOptions` (or
//!   use `sqlx::Any` to pick the backend from a URL at run time); [`BACKEND`]
//!   names it for `/api/health`;
//! - queries are plain runtime `sqlx::query`/`query_as` (no compile-time
//!   macros), use numbered `$1, $2` placeholders (valid in both SQLite and
//!   PostgreSQL) and portable SQL (`ON CONFLICT ... DO NOTHING`, no SQLite-only
//!   functions);
//! - columns use portable representations (UUID/DATE/timestamps as ISO text,
//!   booleans as 0/1) as noted in the migrations; a PostgreSQL backend would get
//!   its own `migrations/postgres/` directory with native types and its own
//!   `migrate!` path.

pub mod audit;
pub mod blobs;
pub mod changes;
pub mod meta;
pub mod organisations;
pub mod report;
pub mod reviews;
pub mod rubrics;
pub mod sessions;
pub mod users;
pub mod visit_index;
pub mod visits;

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Executor;

/// The sqlx database driver; table modules are generic over executors of it
/// (a pool, a connection or a transaction).
pub type Backend = sqlx::Sqlite;

/// The connection pool handed around in [`crate::AppState`].
pub type Db = sqlx::Pool<Backend>;

/// Backend name reported by `/api/health`.
pub const BACKEND: &str = "sqlite";

/// Migrations embedded from `crates/server/migrations` at compile time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating if needed) the SQLite database file at `path`: creates its
/// parent directory, WAL journal, foreign keys on, busy timeout.
pub async fn connect(path: &Path) -> anyhow::Result<Db> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating database directory {}", parent.display()))?;
    }
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .with_context(|| format!("opening database {}", path.display()))
}

/// Applies the pending embedded migrations.
pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    MIGRATOR
        .run(db)
        .await
        .context("running database migrations")
}

/// Cheap liveness check of the database.
pub async fn ping(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(db).await.map(|_| ())
}

/// Version of the latest successfully applied migration (None before any).
pub async fn schema_version(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
        .fetch_one(db)
        .await
}

/// Current time as Unix milliseconds (session expiry).
pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Current time as stored in timestamp columns (RFC 3339, UTC, seconds).
pub fn now_timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Whose turn it is to write, and when to commit. One writer at a time, in
/// arrival order: without turns, concurrent writers meet at SQLite's lock,
/// whose busy handler polls with sleeps of up to 100 ms and serves no one in
/// order (with 200 devices pushing at once the slowest push waited seconds).
///
/// Group commit: a writer that ends its turn while others queue for theirs
/// leaves the transaction open for them, and the last writer of the group
/// (nobody queued, or [`MAX_GROUP`] writers in it) commits for all. Each
/// writer's work is a savepoint, so one writer's rollback undoes only its own
/// work; [`WriteTx::commit`] returns once the group's COMMIT has. A commit
/// writes every page the transaction touched to the WAL; 200 pushes of 10
/// visits dirty much the same index pages, so one commit for the group writes
/// them once instead of 200 times.
#[derive(Clone, Default)]
pub struct WriteGate {
    turn: Arc<tokio::sync::Mutex<Group>>,
    /// Writers waiting for their turn.
    queued: Arc<AtomicUsize>,
}

/// Most writers whose work one COMMIT carries: bounds how long the first of
/// them waits for the group.
pub const MAX_GROUP: usize = 16;

/// The gate's connection and its open group transaction.
#[derive(Default)]
struct Group {
    /// Kept between turns: a group's transaction lives on it.
    conn: Option<sqlx::pool::PoolConnection<Backend>>,
    /// Whether `conn` is inside a group's transaction (`BEGIN IMMEDIATE`).
    open: bool,
    /// Writers whose work is in the open transaction, waiting for its COMMIT.
    members: Vec<tokio::sync::oneshot::Sender<Result<(), String>>>,
}

/// A writer's turn: its work is a savepoint of the group's transaction.
/// Derefs to the connection, like a `sqlx::Transaction`. Dropped without
/// [`commit`](WriteTx::commit) or [`rollback`](WriteTx::rollback) (an error
/// on the way), its work is rolled back before the next writer's turn.
pub struct WriteTx {
    turn: Option<Turn>,
    gate: WriteGate,
    /// Whether the writer's savepoint was made.
    savepoint: bool,
}

type Turn = tokio::sync::OwnedMutexGuard<Group>;
type Member = tokio::sync::oneshot::Sender<Result<(), String>>;

const SAVEPOINT: &str = "SAVEPOINT write_turn";
const RELEASE: &str = "RELEASE write_turn";
const ROLLBACK_TO: &str = "ROLLBACK TO write_turn";

/// Runs a step of the gate in a task of its own and waits for it. A request
/// is cancelled at any await when its device goes away; the gate's steps
/// (taking a turn, ending it, committing a group) must still run to the end,
/// or a group could lose the writer it counts on to commit it.
async fn uncancelled<T: Send + 'static>(
    step: impl std::future::Future<Output = Result<T, sqlx::Error>> + Send + 'static,
) -> Result<T, sqlx::Error> {
    tokio::spawn(step)
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("write gate step failed: {e}")))?
}

impl WriteGate {
    /// Waits for the turn, then begins the writer's savepoint (and the
    /// group's transaction, `BEGIN IMMEDIATE`, if none is open: two deferred
    /// transactions that both read and then write can deadlock).
    pub async fn begin(&self, db: &Db) -> Result<WriteTx, sqlx::Error> {
        let (gate, db) = (self.clone(), db.clone());
        uncancelled(async move { gate.take_turn(&db).await }).await
    }

    async fn take_turn(self, db: &Db) -> Result<WriteTx, sqlx::Error> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let turn = self.turn.clone().lock_owned().await;
        self.queued.fetch_sub(1, Ordering::SeqCst);
        // From here an error drops `tx`, which ends the turn.
        let mut tx = WriteTx {
            turn: Some(turn),
            gate: self,
            savepoint: false,
        };
        let group = tx.turn.as_mut().expect("the turn just taken");
        if group.conn.is_none() {
            group.conn = Some(db.acquire().await?);
        }
        let mut steps = vec![SAVEPOINT];
        if !group.open {
            steps.insert(0, "BEGIN IMMEDIATE");
        }
        for step in steps {
            if let Err(e) = group.conn()?.execute(step).await {
                group.fail(&e).await;
                return Err(e);
            }
            group.open = true;
        }
        tx.savepoint = true;
        Ok(tx)
    }

    /// Ends a writer's turn, as a `member` of the group if it keeps its work
    /// (told of the COMMIT through the channel). Commits the group when
    /// nobody else is queued to extend it, or when it is full.
    async fn end_turn(&self, mut turn: Turn, member: Option<Member>) {
        if let Some(member) = member {
            turn.members.push(member);
        }
        if turn.open && (self.queued.load(Ordering::SeqCst) == 0 || turn.members.len() >= MAX_GROUP)
        {
            let done = match turn.conn() {
                Ok(conn) => conn.execute("COMMIT").await.map(|_| ()),
                Err(e) => Err(e),
            };
            match done {
                Ok(()) => {
                    turn.open = false;
                    for member in turn.members.drain(..) {
                        let _ = member.send(Ok(()));
                    }
                }
                Err(e) => turn.fail(&e).await,
            }
        }
    }

    /// Keeps a writer's work: releases its savepoint into the group.
    async fn keep(self, mut turn: Turn, member: Member) {
        turn.members.push(member);
        let released = match turn.conn() {
            Ok(conn) => conn.execute(RELEASE).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = released {
            // Tells every member, this one too.
            turn.fail(&e).await;
        }
        self.end_turn(turn, None).await;
    }

    /// Undoes a writer's work (its savepoint, if it was made), not the
    /// group's, and ends its turn.
    async fn undo(self, mut turn: Turn, savepoint: bool) -> Result<(), sqlx::Error> {
        let undone = async {
            if savepoint {
                let conn = turn.conn()?;
                conn.execute(ROLLBACK_TO).await?;
                conn.execute(RELEASE).await?;
            }
            Ok(())
        }
        .await;
        if let Err(e) = &undone {
            turn.fail(e).await;
        }
        self.end_turn(turn, None).await;
        undone
    }
}

impl Group {
    fn conn(&mut self) -> Result<&mut <Backend as sqlx::Database>::Connection, sqlx::Error> {
        self.conn
            .as_deref_mut()
            .ok_or_else(|| sqlx::Error::Protocol("the write gate has no connection".into()))
    }

    /// The group's transaction failed: roll it back, tell every member, and
    /// give the connection up (the next writer opens a fresh one).
    async fn fail(&mut self, error: &sqlx::Error) {
        tracing::error!(%error, members = self.members.len(), "write group rolled back");
        if let Some(mut conn) = self.conn.take() {
            if self.open {
                let _ = conn.execute("ROLLBACK").await;
            }
            let _ = conn.close().await;
        }
        self.open = false;
        for member in self.members.drain(..) {
            let _ = member.send(Err(format!("write group rolled back: {error}")));
        }
    }
}

impl WriteTx {
    /// Keeps the work and returns once it is committed (with the group).
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let turn = self.turn.take().expect("a turn until it ends");
        let (member, committed) = tokio::sync::oneshot::channel();
        let gate = self.gate.clone();
        uncancelled(async move {
            gate.keep(turn, member).await;
            Ok(())
        })
        .await?;
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(sqlx::Error::Protocol(e)),
            Err(_) => Err(sqlx::Error::Protocol("write group dropped".into())),
        }
    }

    /// Undoes this writer's work (not the group's) before giving up the turn.
    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        let turn = self.turn.take().expect("a turn until it ends");
        let (gate, savepoint) = (self.gate.clone(), self.savepoint);
        uncancelled(gate.undo(turn, savepoint)).await
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        // Ended by neither commit nor rollback (an error or a cancelled
        // request on the way): undo the work; the turn stays taken until then.
        if let Some(turn) = self.turn.take() {
            let (gate, savepoint) = (self.gate.clone(), self.savepoint);
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(gate.undo(turn, savepoint));
            }
        }
    }
}

impl std::ops::Deref for WriteTx {
    type Target = <Backend as sqlx::Database>::Connection;
    fn deref(&self) -> &Self::Target {
        self.turn
            .as_ref()
            .and_then(|t| t.conn.as_deref())
            .expect("a connection during the turn")
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.turn
            .as_mut()
            .and_then(|t| t.conn.as_deref_mut())
            .expect("a connection during the turn")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn turns_db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = connect(&dir.path().join("gate.sqlite3")).await.unwrap();
        sqlx::query("CREATE TABLE turns (n INTEGER)")
            .execute(&db)
            .await
            .unwrap();
        (dir, db)
    }

    async fn written(db: &Db, order: &str) -> Vec<i64> {
        sqlx::query_scalar(&format!("SELECT n FROM turns ORDER BY {order}"))
            .fetch_all(db)
            .await
            .unwrap()
    }

    /// How a test writer ends its turn.
    #[derive(Clone, Copy)]
    enum End {
        Commit,
        Rollback,
        /// Neither: the request failed or was cancelled on the way.
        Drop,
    }

    async fn insert(tx: &mut WriteTx, n: i64) {
        sqlx::query("INSERT INTO turns (n) VALUES ($1)")
            .bind(n)
            .execute(&mut **tx)
            .await
            .unwrap();
    }

    /// A writer that waits for its turn, inserts `n` and ends as told.
    fn writer(gate: &WriteGate, db: &Db, n: i64, end: End) -> tokio::task::JoinHandle<()> {
        let (gate, db) = (gate.clone(), db.clone());
        tokio::spawn(async move {
            let mut tx = gate.begin(&db).await.unwrap();
            insert(&mut tx, n).await;
            match end {
                End::Commit => {
                    tx.commit().await.unwrap();
                    // Committed means any other connection sees it.
                    let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM turns WHERE n = $1")
                        .bind(n)
                        .fetch_one(&db)
                        .await
                        .unwrap();
                    assert_eq!(
                        seen, 1,
                        "writer {n}'s commit returned before its row was visible"
                    );
                }
                End::Rollback => tx.rollback().await.unwrap(),
                End::Drop => drop(tx),
            }
        })
    }

    /// Writers get their turn in the order they asked, each after the one
    /// before has finished: none meets SQLite's lock and its busy handler.
    #[tokio::test]
    async fn writers_take_turns_in_arrival_order() {
        let (_dir, db) = turns_db().await;
        let gate = WriteGate::default();
        let first = gate.begin(&db).await.unwrap();
        let mut waiting = Vec::new();
        for n in 1..=5 {
            waiting.push(writer(&gate, &db, n, End::Commit));
            // Let this writer queue up before the next one asks.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Nobody wrote while the first transaction held the turn.
        assert_eq!(written(&db, "rowid").await, Vec::<i64>::new());
        first.rollback().await.unwrap();
        for w in waiting {
            w.await.unwrap();
        }
        assert_eq!(written(&db, "rowid").await, vec![1, 2, 3, 4, 5]);
    }

    /// Writers queued behind one turn share its group: the ones that
    /// roll back, or give up their turn without ending it, lose only their
    /// own work, and each commit returns once its row is committed.
    #[tokio::test]
    async fn a_group_keeps_each_writers_own_outcome() {
        let (_dir, db) = turns_db().await;
        let gate = WriteGate::default();
        let mut first = gate.begin(&db).await.unwrap();
        let ends = [
            End::Commit,
            End::Rollback,
            End::Commit,
            End::Drop,
            End::Commit,
            End::Commit,
        ];
        let mut waiting = Vec::new();
        for (n, end) in (1..).zip(ends) {
            waiting.push(writer(&gate, &db, n, end));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        insert(&mut first, 0).await;
        first.commit().await.unwrap();
        for w in waiting {
            w.await.unwrap();
        }
        assert_eq!(written(&db, "n").await, vec![0, 1, 3, 5, 6]);
    }

    /// A writer whose request is cancelled while it waits for its turn does
    /// not leave the writers before it waiting for a commit.
    #[tokio::test]
    async fn a_writer_giving_up_its_place_does_not_strand_the_group() {
        let (_dir, db) = turns_db().await;
        let gate = WriteGate::default();
        let mut first = gate.begin(&db).await.unwrap();
        let gives_up = writer(&gate, &db, 2, End::Commit);
        tokio::time::sleep(Duration::from_millis(20)).await;
        gives_up.abort();
        let _ = gives_up.await;
        insert(&mut first, 1).await;
        tokio::time::timeout(Duration::from_secs(5), first.commit())
            .await
            .expect("the first writer's commit returned")
            .unwrap();
        assert_eq!(written(&db, "n").await, vec![1]);
    }
}
