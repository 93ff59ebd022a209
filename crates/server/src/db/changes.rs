//! `changes`: the change sequence behind the pull cursor. Every change to
//! pulled data appends a row; the entity keeps the seq of its latest change.

use super::Backend;

/// Entity names in `changes.entity`.
pub const ORGANISATION: &str = "organisation";
pub const REVIEW: &str = "review";
pub const RUBRIC: &str = "rubric";

/// Appends a change and returns its seq (strictly greater than every earlier one).
pub async fn record(
    conn: &mut <Backend as sqlx::Database>::Connection,
    entity: &str,
    entity_id: &str,
    now: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO changes (entity, entity_id, changed_at) VALUES ($1, $2, $3) RETURNING seq",
    )
    .bind(entity)
    .bind(entity_id)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// The latest seq handed out (0 before any change).
pub async fn latest<'e, E>(db: E) -> Result<i64, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Backend>,
{
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM changes")
        .fetch_one(db)
        .await
}
