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
//!   PostgreSQL) and `ON CONFLICT ... DO NOTHING` upserts. Not portable as
//!   written, and what a second backend must change: lists bound as one JSON
//!   array and read with SQLite's `json_each($n)` (organisations, report,
//!   reviews, users, visit_index, visits; PostgreSQL would use
//!   `jsonb_array_elements_text` or `= ANY($n)`), and write transactions
//!   opened with `BEGIN IMMEDIATE` (`begin_write`);
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
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

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

/// Opens a database file that must exist already (backups, restores).
pub async fn connect_existing(path: &Path) -> anyhow::Result<Db> {
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30));
    SqlitePoolOptions::new()
        .max_connections(1)
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

/// Whose turn it is to write: one write transaction at a time, taken in
/// arrival order. Without it, concurrent writers meet at SQLite's lock, whose
/// busy handler polls with sleeps of up to 100 ms and serves no one in order:
/// with 200 devices pushing at once, that made the slowest push wait seconds.
#[derive(Clone, Default)]
pub struct WriteGate(Arc<tokio::sync::Mutex<()>>);

/// A write transaction that holds the [`WriteGate`] until it ends and takes
/// SQLite's write lock at once (`BEGIN IMMEDIATE`: two deferred transactions
/// that both read and then write can deadlock). Derefs to the connection,
/// like a `sqlx::Transaction`.
pub struct WriteTx {
    // Dropped in this order: the transaction (rolled back unless committed),
    // then the turn.
    tx: sqlx::Transaction<'static, Backend>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteGate {
    /// Waits for the turn, then begins the transaction.
    pub async fn begin(&self, db: &Db) -> Result<WriteTx, sqlx::Error> {
        let turn = self.0.clone().lock_owned().await;
        Ok(WriteTx {
            tx: db.begin_with("BEGIN IMMEDIATE").await?,
            _turn: turn,
        })
    }
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Ends the transaction without its changes, before giving up the turn.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

/// Marks a point inside a write transaction that
/// [`rollback_to_savepoint`] returns to (one record of a push group: a
/// record that is not stored leaves nothing of what it wrote). Not nested.
pub async fn savepoint(tx: &mut WriteTx) -> Result<(), sqlx::Error> {
    sqlx::query("SAVEPOINT record")
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Keeps what was written since [`savepoint`].
pub async fn release_savepoint(tx: &mut WriteTx) -> Result<(), sqlx::Error> {
    sqlx::query("RELEASE SAVEPOINT record")
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Undoes what was written since [`savepoint`] and ends it; the
/// transaction goes on.
pub async fn rollback_to_savepoint(tx: &mut WriteTx) -> Result<(), sqlx::Error> {
    sqlx::query("ROLLBACK TO SAVEPOINT record")
        .execute(&mut **tx)
        .await?;
    release_savepoint(tx).await
}

impl std::ops::Deref for WriteTx {
    type Target = <Backend as sqlx::Database>::Connection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writers get their turn in the order they asked, each after the one
    /// before has finished: none meets SQLite's lock and its busy handler.
    #[tokio::test]
    async fn writers_take_turns_in_arrival_order() {
        let dir = tempfile::tempdir().unwrap();
        let db = connect(&dir.path().join("gate.sqlite3")).await.unwrap();
        sqlx::query("CREATE TABLE turns (n INTEGER)")
            .execute(&db)
            .await
            .unwrap();
        let gate = WriteGate::default();
        let first = gate.begin(&db).await.unwrap();
        let mut waiting = Vec::new();
        for n in 1..=5 {
            let (gate, db) = (gate.clone(), db.clone());
            waiting.push(tokio::spawn(async move {
                let mut tx = gate.begin(&db).await.unwrap();
                sqlx::query("INSERT INTO turns (n) VALUES ($1)")
                    .bind(n)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }));
            // Let this writer queue up before the next one asks.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Nobody wrote while the first transaction held the turn.
        let none: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM turns")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(none, 0);
        first.rollback().await.unwrap();
        for w in waiting {
            w.await.unwrap();
        }
        let order: Vec<i64> = sqlx::query_scalar("SELECT n FROM turns ORDER BY rowid")
            .fetch_all(&db)
            .await
            .unwrap();
        assert_eq!(order, vec![1, 2, 3, 4, 5]);
    }
}
