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

/// A write transaction that takes SQLite's write lock at once (`BEGIN
/// IMMEDIATE`): two deferred transactions that both read and then write can
/// deadlock, and SQLite answers the loser "database is locked" without
/// waiting for the busy timeout.
pub async fn begin_write(db: &Db) -> Result<sqlx::Transaction<'static, Backend>, sqlx::Error> {
    db.begin_with("BEGIN IMMEDIATE").await
}
