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
    sqlx::query_scalar::<_, super::Flag>("SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = $1)")
        .bind(sha256)
        .fetch_one(db)
        .await
        .map(bool::from)
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

/// Photos `uploaded_by` uploaded that no stored visit names: how many, and
/// their bytes (the upload quota).
pub async fn unreferenced_of<'e, E>(db: E, uploaded_by: &str) -> Result<(i64, i64), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(
        // CAST: PostgreSQL's SUM of BIGINT is NUMERIC, which sqlx::Any
        // does not read.
        "SELECT COUNT(*), CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM blobs b \
         WHERE b.uploaded_by = $1 \
         AND NOT EXISTS (SELECT 1 FROM visit_photos p WHERE p.sha256 = b.sha256)",
    )
    .bind(uploaded_by)
    .fetch_one(db)
    .await
}

/// The visits that name the photo (any revision) and their communes (as the
/// console lists them; a visit not listed yet, as its first revision stored).
pub async fn named_by<'e, E>(db: E, sha256: &str) -> Result<Vec<(String, String)>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(
        "SELECT p.visit_id, COALESCE(i.place_code, r.place_code) FROM visit_photos p \
         JOIN visit_revisions r ON r.visit_id = p.visit_id \
              AND r.revision = (SELECT MIN(x.revision) FROM visit_revisions x WHERE x.visit_id = p.visit_id) \
         LEFT JOIN visit_index i ON i.visit_id = p.visit_id \
         WHERE p.sha256 = $1",
    )
    .bind(sha256)
    .fetch_all(db)
    .await
}

/// Deletes the photos no stored visit names that were uploaded before
/// `before` (an RFC 3339 UTC timestamp, as `created_at`); returns how many.
pub async fn delete_unreferenced_before<'e, E>(db: E, before: &str) -> Result<u64, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let done = sqlx::query(
        "DELETE FROM blobs WHERE created_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM visit_photos p WHERE p.sha256 = blobs.sha256)",
    )
    .bind(before)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
