//! Database access. All SQL of the server lives under this module, one
//! submodule per table; handlers never write SQL.
//!
//! Two backends, one binary: SQLite (a file, the embedded default) and
//! PostgreSQL (a province or the country, several server processes on one
//! database), chosen at start by `--database` ([`Location`]).
//!
//! How the code spans them: `sqlx::Any`. Every query is written once, as
//! runtime `sqlx::query`/`query_as` text (no compile-time macros) with
//! numbered `$1, $2` placeholders, which both backends accept; the table
//! modules are generic over executors of [`Backend`] (a pool, a connection or
//! a transaction). `Any` carries only integers, floats, text, bytes and
//! booleans, which is all the schema uses: ids, dates and timestamps are
//! ISO/UUID text and flags 0/1 integers on both backends (the migrations say
//! why; [`Flag`] reads and binds the flags). An enum over two pools or
//! generics over `sqlx::Database` would have written or compiled each of
//! ~100 queries twice for no difference in what they do. `Any` costs a
//! conversion of each row and bound value (measured in the commit that
//! brought PostgreSQL).
//!
//! What differs between the backends, exactly (everything else, including
//! multi-row `VALUES`, `ON CONFLICT` upserts and `RETURNING`, is one text):
//! - migrations: `migrations/sqlite/` and `migrations/postgres/`, the same
//!   tables, columns and version numbers; PostgreSQL's use BIGINT, identity
//!   columns for SQLite's AUTOINCREMENT and BYTEA for BLOB;
//! - two SQLite functions the queries use, `json_each(text)` (lists bound as
//!   one JSON array: organisations, report, reviews, users, visit_index,
//!   visits) and `instr` (the console's search), are defined with SQLite's
//!   meaning by PostgreSQL's migration 0001;
//! - a write transaction ([`begin_exclusive`], [`WriteGate`]): SQLite's
//!   `BEGIN IMMEDIATE`; on PostgreSQL `BEGIN` and a transaction-scoped
//!   advisory lock ([`WRITE_LOCK`]), so writers of every process on the
//!   database take turns as they do on one SQLite file. That is what keeps
//!   the change sequence (`changes.seq`, `visit_revisions.id`) in commit
//!   order: a number is taken only while holding the lock, and the lock is
//!   let go only after the commit is visible, so a reader that sees 105 also
//!   sees 104;
//! - statements built with thousands of values ([`query_builder`]: a
//!   push's revisions and list rows, photo links, the copy) write `?` on
//!   SQLite, which finds numbered parameters slowly, and `$n` on PostgreSQL;
//! - two spellings both accept where SQLite's were not PostgreSQL's:
//!   `FROM (VALUES ...) AS v` (PostgreSQL needs the name) and a `CROSS JOIN`
//!   with its condition in `WHERE` (SQLite's way to fix a join order;
//!   PostgreSQL allows no `ON` there); and `CAST(SUM(..) AS BIGINT)`, as
//!   PostgreSQL's SUM of integers is NUMERIC, which `Any` cannot read;
//! - a read snapshot ([`begin_read`]): SQLite's deferred `BEGIN`; on
//!   PostgreSQL `REPEATABLE READ, READ ONLY` (its default, READ COMMITTED,
//!   would give each statement its own snapshot);
//! - the connection's settings ([`connect`]): SQLite's WAL journal,
//!   `synchronous = NORMAL`, foreign keys and busy timeout; while serving,
//!   the server copies the WAL into the file itself ([`connect_serving`],
//!   [`checkpoint`]);
//! - each its own catalogue of tables ([`meta::tables`]);
//! - SQLite only: `backup`/`restore` (`VACUUM INTO`; PostgreSQL has
//!   `pg_dump`, README).
//!
//! Photos are rows of `blobs` on both backends: every server process on one
//! PostgreSQL sees every photo, with no shared directory to mount.

pub mod audit;
pub mod blobs;
pub mod changes;
pub mod copy;
pub mod meta;
pub mod organisations;
pub mod query_builder;
pub mod report;
pub mod reviews;
pub mod rubrics;
pub mod sessions;
pub mod users;
pub mod visit_index;
pub mod visits;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::Executor;

/// The sqlx database driver; table modules are generic over executors of it
/// (a pool, a connection or a transaction).
pub type Backend = sqlx::Any;

/// The connection pool handed around in [`crate::AppState`].
pub type Db = sqlx::Pool<Backend>;

/// A transaction on [`Db`].
pub type Tx = sqlx::Transaction<'static, Backend>;

/// Migrations embedded at compile time, one set per backend.
pub static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
pub static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Key of the PostgreSQL advisory lock every write transaction holds
/// (`pg_advisory_xact_lock`): "htxwrite" in ASCII.
pub const WRITE_LOCK: i64 = 0x6874_7877_7269_7465;

/// Where the data lives (`--database`): a SQLite file (a path, or
/// `sqlite://path`) or a PostgreSQL database (`postgres://...` or
/// `postgresql://...`).
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl FromStr for Location {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Location::Postgres(s.to_owned()));
        }
        let path = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
            .unwrap_or(s);
        Ok(Location::Sqlite(PathBuf::from(path)))
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Self {
        Location::Sqlite(path)
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Self {
        Location::Sqlite(path.to_owned())
    }
}

/// For logs and messages: a PostgreSQL URL without its password.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => match url::Url::parse(url) {
                Ok(mut u) if u.password().is_some() => {
                    let _ = u.set_password(Some("***"));
                    write!(f, "{u}")
                }
                Ok(u) => write!(f, "{u}"),
                Err(_) => f.write_str("postgres://(unparsable URL)"),
            },
        }
    }
}

/// As [`Display`](fmt::Display): a configuration printed for debugging
/// never shows the database password.
impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({self})")
    }
}

impl Location {
    /// The SQLite file, if that is where the data lives.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }
}

/// Which backend a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    /// The name `/api/health` reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgresql",
        }
    }
}

/// The backend of a pool, from the URL it connects to.
pub fn kind(db: &Db) -> Kind {
    if db
        .connect_options()
        .database_url
        .scheme()
        .starts_with("postgres")
    {
        Kind::Postgres
    } else {
        Kind::Sqlite
    }
}

/// A `sqlite:` URL for sqlx naming `path` exactly (sqlx percent-decodes it).
fn sqlite_url(path: &Path, mode: &str) -> anyhow::Result<String> {
    let path = std::path::absolute(path)
        .with_context(|| format!("resolving database path {}", path.display()))?;
    let path = path
        .to_str()
        .with_context(|| format!("database path {} is not UTF-8", path.display()))?;
    let mut encoded = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => encoded.push_str("%25"),
            '?' => encoded.push_str("%3F"),
            '#' => encoded.push_str("%23"),
            ' ' => encoded.push_str("%20"),
            c => encoded.push(c),
        }
    }
    Ok(format!("sqlite:{encoded}?mode={mode}"))
}

/// SQLite's settings of each connection: WAL journal (readers never wait
/// for the writer), `synchronous = NORMAL` (durable at each checkpoint; a
/// power cut loses at most the last commits, never the file), foreign keys,
/// temporary storage in memory, and how long a writer waits for another
/// process's lock. Temporary storage: a push's many-row INSERT keeps a
/// statement journal larger than SQLite holds in memory by default, and each
/// was otherwise a file created and deleted in the temporary directory, one
/// or more per push. The sorts and groupings of the server's queries hold
/// ids and names, not visits. With `own_checkpoints`, no commit copies the
/// WAL into the database file: the process calls [`checkpoint`] itself (the
/// server, from a task of its own).
fn sqlite_pool(busy_timeout: Duration, own_checkpoints: bool) -> AnyPoolOptions {
    let pragmas = format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; PRAGMA busy_timeout = {};{}",
        busy_timeout.as_millis(),
        if own_checkpoints {
            " PRAGMA wal_autocheckpoint = 0;"
        } else {
            ""
        }
    );
    AnyPoolOptions::new().after_connect(move |conn, _| {
        let pragmas = pragmas.clone();
        Box::pin(async move { conn.execute(pragmas.as_str()).await.map(|_| ()) })
    })
}

/// How long a writer waits for another process's lock ([`connect`],
/// [`connect_serving`]).
const SERVING_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens the database: a SQLite file (created with its parent directory if
/// missing) or a PostgreSQL database (which must exist; the server creates
/// its tables). `pool_size`: connections kept open.
pub async fn connect(location: &Location, pool_size: u32) -> anyhow::Result<Db> {
    connect_with(location, pool_size, false).await
}

/// [`connect`] for a process that copies SQLite's WAL into the database
/// file itself, calling [`checkpoint`] often (the server while it serves):
/// SQLite's own checkpoint runs inside the commit that crosses its
/// threshold, and the push answered by that commit waited for it.
pub async fn connect_serving(location: &Location, pool_size: u32) -> anyhow::Result<Db> {
    connect_with(location, pool_size, true).await
}

async fn connect_with(
    location: &Location,
    pool_size: u32,
    own_checkpoints: bool,
) -> anyhow::Result<Db> {
    sqlx::any::install_default_drivers();
    let (options, url) = match location {
        Location::Sqlite(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating database directory {}", parent.display()))?;
            }
            (
                sqlite_pool(SERVING_BUSY_TIMEOUT, own_checkpoints),
                sqlite_url(path, "rwc")?,
            )
        }
        Location::Postgres(url) => (AnyPoolOptions::new(), url.clone()),
    };
    options
        .max_connections(pool_size.max(1))
        .acquire_timeout(Duration::from_secs(5))
        .connect(&url)
        .await
        .with_context(|| format!("opening database {location}"))
}

/// Opens a SQLite file that must exist already (backups, restores).
pub async fn connect_existing(path: &Path) -> anyhow::Result<Db> {
    sqlx::any::install_default_drivers();
    sqlite_pool(Duration::from_secs(30), false)
        .max_connections(1)
        .connect(&sqlite_url(path, "rw")?)
        .await
        .with_context(|| format!("opening database {}", path.display()))
}

/// Copies what SQLite's WAL holds into the database file, as far as no
/// reader still needs it, beside the writer (a passive checkpoint: it waits
/// for no one, and writers do not wait for it). Returns the pages the WAL
/// holds (0 on PostgreSQL). The next write starts the WAL over only once
/// every page is copied.
pub async fn checkpoint(db: &Db) -> Result<i64, sqlx::Error> {
    if kind(db) != Kind::Sqlite {
        return Ok(0);
    }
    let (_busy, in_wal, _copied): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(db)
            .await?;
    Ok(in_wal)
}

/// Copies the rest of SQLite's WAL into the database file and has the next
/// write start it over, unless a reader is still in it: it waits for no
/// one. Takes SQLite's write lock: call it with this process's writers held
/// ([`WriteGate::turn`]). Returns whether the WAL starts over (`false` on
/// PostgreSQL, or when a reader was in it).
pub async fn restart_wal(db: &Db) -> Result<bool, sqlx::Error> {
    if kind(db) != Kind::Sqlite {
        return Ok(false);
    }
    let mut conn = db.acquire().await?;
    let busy = |t: Duration| format!("PRAGMA busy_timeout = {}", t.as_millis());
    let restarted = async {
        sqlx::query(&busy(Duration::ZERO))
            .execute(&mut *conn)
            .await?;
        let (blocked, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(RESTART)")
            .fetch_one(&mut *conn)
            .await?;
        sqlx::query(&busy(SERVING_BUSY_TIMEOUT))
            .execute(&mut *conn)
            .await?;
        Ok(blocked == 0)
    }
    .await;
    if restarted.is_err() {
        // Back to the pool with its usual busy timeout, or not at all.
        conn.close_on_drop();
    }
    restarted
}

/// Applies the pending embedded migrations of the pool's backend.
pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    let migrator = match kind(db) {
        Kind::Sqlite => &SQLITE_MIGRATOR,
        Kind::Postgres => &POSTGRES_MIGRATOR,
    };
    migrator
        .run(db)
        .await
        .context("running database migrations")
}

/// Begins a transaction that writes: the only writer of the database until
/// it ends, whichever process holds it (module docs). Most code goes through
/// [`WriteGate`], which also orders this process's writers.
pub async fn begin_exclusive(db: &Db) -> Result<Tx, sqlx::Error> {
    match kind(db) {
        // Takes SQLite's write lock at once: two deferred transactions that
        // both read and then write can deadlock.
        Kind::Sqlite => db.begin_with("BEGIN IMMEDIATE").await,
        Kind::Postgres => {
            let mut tx = db.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
            Ok(tx)
        }
    }
}

/// Begins a read-only transaction: one consistent snapshot for every
/// statement in it.
pub async fn begin_read(db: &Db) -> Result<Tx, sqlx::Error> {
    match kind(db) {
        Kind::Sqlite => db.begin().await,
        Kind::Postgres => {
            db.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await
        }
    }
}

/// A yes/no column, INTEGER 0/1 on both backends (booleans have no SQLite
/// type, and `sqlx::Any` decodes a `bool` only from a real boolean). Reads
/// 0/1 and PostgreSQL's `EXISTS (...)`; binds as 0/1. Fields of row structs
/// stay `bool` with `#[sqlx(try_from = "Flag")]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

impl sqlx::Type<Backend> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<Backend>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        ty.kind().is_integer() || ty.kind() == sqlx::any::AnyTypeInfoKind::Bool
    }
}

impl<'r> sqlx::Decode<'r, Backend> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        use sqlx::ValueRef;
        if value.type_info().kind() == sqlx::any::AnyTypeInfoKind::Bool {
            return <bool as sqlx::Decode<Backend>>::decode(value).map(Flag);
        }
        <i64 as sqlx::Decode<Backend>>::decode(value).map(|n| Flag(n != 0))
    }
}

impl<'q> sqlx::Encode<'q, Backend> for Flag {
    fn encode_by_ref(
        &self,
        buf: &mut <Backend as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <i64 as sqlx::Encode<Backend>>::encode(i64::from(self.0), buf)
    }
}

/// Cheap liveness check of the database.
pub async fn ping(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(db).await.map(|_| ())
}

/// Version of the latest successfully applied migration (None before any).
pub async fn schema_version(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
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
/// the database's write lock ([`begin_exclusive`]). Derefs to the
/// connection, like a `sqlx::Transaction`.
pub struct WriteTx {
    // Dropped in this order: the transaction (rolled back unless committed),
    // then the turn.
    tx: Tx,
    kind: Kind,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteGate {
    /// Waits for the turn and keeps it until the guard drops, without a
    /// transaction: no writer of this process writes meanwhile.
    pub async fn turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.0.clone().lock_owned().await
    }

    /// Waits for the turn, then begins the transaction.
    pub async fn begin(&self, db: &Db) -> Result<WriteTx, sqlx::Error> {
        let turn = self.turn().await;
        Ok(WriteTx {
            tx: begin_exclusive(db).await?,
            kind: kind(db),
            _turn: turn,
        })
    }
}

impl WriteTx {
    /// The backend it writes to.
    pub fn kind(&self) -> Kind {
        self.kind
    }

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
        let db = connect(&dir.path().join("gate.sqlite3").into(), 8)
            .await
            .unwrap();
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
