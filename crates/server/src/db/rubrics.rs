//! `rubrics`: rubric versions published by admins (the built-in ones live
//! in htx-core).

use sqlx::Executor;

use super::{changes, Backend};

/// Stores a published rubric and records the change (run it in a
/// transaction). Returns false when that id and version is already stored.
pub async fn insert(
    conn: &mut <Backend as sqlx::Database>::Connection,
    id: &str,
    version: i64,
    body: &str,
    published_by: &str,
    now: &str,
) -> Result<bool, sqlx::Error> {
    let key = format!("{id}@{version}");
    let seq = changes::record(&mut *conn, changes::RUBRIC, &key, now).await?;
    let done = sqlx::query(
        "INSERT INTO rubrics (id, version, body, published_by, published_at, seq) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id, version) DO NOTHING",
    )
    .bind(id)
    .bind(version)
    .bind(body)
    .bind(published_by)
    .bind(now)
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every published rubric body (JSON), oldest first.
pub async fn all<'e, E>(db: E) -> Result<Vec<String>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar("SELECT body FROM rubrics ORDER BY seq")
        .fetch_all(db)
        .await
}

/// How many versions were published (never removed).
pub async fn count<'e, E>(db: E) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM rubrics")
        .fetch_one(db)
        .await
}

/// Whether a rubric was published after change `since`.
pub async fn changed_since<'e, E>(db: E, since: i64) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar::<_, super::Flag>("SELECT EXISTS (SELECT 1 FROM rubrics WHERE seq > $1)")
        .bind(since)
        .fetch_one(db)
        .await
        .map(bool::from)
}
