//! `sessions`: sign-in tokens, stored as the SHA-256 of the token.

use sqlx::{Executor, FromRow};

use super::Backend;

/// A session with its user.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SessionUser {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    /// A demo account (`--demo`): what it creates is demo data too.
    #[sqlx(try_from = "super::Flag")]
    pub is_demo: bool,
    /// Unix milliseconds.
    pub expires_at: i64,
}

pub async fn insert<'e, E>(
    db: E,
    token_hash: &str,
    user_id: &str,
    now: &str,
    expires_at_ms: i64,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at_ms)
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn find<'e, E>(db: E, token_hash: &str) -> Result<Option<SessionUser>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(
        "SELECT s.user_id, u.username, u.display_name, u.role, u.is_demo, s.expires_at \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.disabled = 0",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

/// Deletes the sessions of `user_id` that expired before `now_ms`.
pub async fn delete_expired<'e, E>(db: E, user_id: &str, now_ms: i64) -> Result<u64, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
        .bind(user_id)
        .bind(now_ms)
        .execute(db)
        .await
        .map(|r| r.rows_affected())
}

/// Revokes one token (sign-out). Returns whether it existed.
pub async fn delete<'e, E>(db: E, token_hash: &str) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await
        .map(|r| r.rows_affected() == 1)
}

/// Revokes every token of `user_id` but `keep` (the one changing its
/// password, if any). Returns how many were revoked.
pub async fn delete_all_of<'e, E>(
    db: E,
    user_id: &str,
    keep: Option<&str>,
) -> Result<u64, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR token_hash <> $2)")
        .bind(user_id)
        .bind(keep)
        .execute(db)
        .await
        .map(|r| r.rows_affected())
}
