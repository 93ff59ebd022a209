//! Backups (issue 19): `htx-server backup --to DIR` copies the database,
//! photos included (they are rows of `blobs`), while the server runs and
//! devices keep pushing; `htx-server restore --from FILE` puts a copy in
//! place of a database that does not exist yet.
//!
//! The copy is SQLite's `VACUUM INTO`: one read transaction, so it holds
//! exactly what was committed when it began (every visit whose receipt was
//! given before the backup started) and writers go on meanwhile (WAL). The
//! copy is checked (`PRAGMA integrity_check`) and described in a manifest
//! beside it (counts, SHA-256 of the file).

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db;

/// What a backup holds, written beside it as `<file>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub file: String,
    pub taken_at: String,
    pub schema_version: Option<i64>,
    pub bytes: u64,
    pub sha256: String,
    pub organisations: i64,
    pub visit_revisions: i64,
    pub reviews: i64,
    pub users: i64,
    pub photos: i64,
}

async fn count(db: &db::Db, table: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db)
        .await?)
}

/// Checks a database file and describes it.
async fn describe(path: &Path, taken_at: &str) -> anyhow::Result<Manifest> {
    let copy = db::connect_existing(path).await?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&copy)
        .await?;
    anyhow::ensure!(
        check == "ok",
        "{}: integrity check says {check}",
        path.display()
    );
    let manifest = Manifest {
        file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        taken_at: taken_at.to_owned(),
        schema_version: db::schema_version(&copy).await?,
        bytes: 0,
        sha256: String::new(),
        organisations: count(&copy, "organisations").await?,
        visit_revisions: count(&copy, "visit_revisions").await?,
        reviews: count(&copy, "reviews").await?,
        users: count(&copy, "users").await?,
        photos: count(&copy, "blobs").await?,
    };
    copy.close().await;
    let bytes = tokio::fs::read(path).await?;
    Ok(Manifest {
        bytes: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&bytes)),
        ..manifest
    })
}

/// Copies the database at `database` into a new file in `dir` (created if
/// needed), checks the copy and writes its manifest. Returns the copy's path.
pub async fn backup(database: &Path, dir: &Path) -> anyhow::Result<(PathBuf, Manifest)> {
    anyhow::ensure!(database.is_file(), "no database at {}", database.display());
    tokio::fs::create_dir_all(dir)
        .await
        .with_context(|| format!("creating {}", dir.display()))?;
    let now = chrono::Utc::now();
    let taken_at = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let target = dir.join(format!(
        "htx-survey-{}.sqlite3",
        now.format("%Y%m%dT%H%M%S%.3fZ")
    ));
    anyhow::ensure!(!target.exists(), "{} exists", target.display());
    let source = db::connect_existing(database).await?;
    let target_text = target
        .to_str()
        .context("the backup directory's path is not UTF-8")?;
    sqlx::query("VACUUM INTO $1")
        .bind(target_text)
        .execute(&source)
        .await
        .with_context(|| format!("copying {} into {}", database.display(), target.display()))?;
    source.close().await;
    let manifest = describe(&target, &taken_at).await?;
    let json = serde_json::to_string_pretty(&manifest)?;
    tokio::fs::write(target.with_extension("sqlite3.json"), json).await?;
    Ok((target, manifest))
}

/// Puts the backup `from` in place as the database `to`, which must not
/// exist yet (a restore never overwrites data: move the old file away
/// first). The backup is checked before and after the copy.
pub async fn restore(from: &Path, to: &Path) -> anyhow::Result<Manifest> {
    anyhow::ensure!(from.is_file(), "no backup at {}", from.display());
    for existing in [to.to_path_buf(), with_suffix(to, "-wal")] {
        anyhow::ensure!(
            !existing.exists(),
            "{} exists: move it away first (a restore never overwrites a database)",
            existing.display()
        );
    }
    describe(from, "").await.context("checking the backup")?;
    if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(parent).await?;
    }
    tokio::fs::copy(from, to)
        .await
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    describe(to, "").await
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}
