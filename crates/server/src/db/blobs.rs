//! `blobs`: photos, content-addressed by the hex SHA-256 of their bytes.

use sqlx::Executor;

use super::Backend;

/// Stores the blob unless present; returns whether it was inserted.
pub async fn insert_if_absent<'e, E>(
    db: E,
    sha256: &str,
    content: &[u8],
    uploaded_by: &str,
    now: &str,
) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let done = sqlx::query(
        "INSERT INTO blobs (sha256, size, content, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(content.len() as i64)
    .bind(content)
    .bind(uploaded_by)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn exists<'e, E>(db: E, sha256: &str) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = $1)")
        .bind(sha256)
        .fetch_one(db)
        .await
}

/// A stored photo's bytes and who uploaded it.
pub struct StoredBlob {
    pub content: Vec<u8>,
    pub uploaded_by: String,
}

pub async fn get<'e, E>(db: E, sha256: &str) -> Result<Option<StoredBlob>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let row: Option<(Vec<u8>, String)> =
        sqlx::query_as("SELECT content, uploaded_by FROM blobs WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(content, uploaded_by)| StoredBlob {
        content,
        uploaded_by,
    }))
}
