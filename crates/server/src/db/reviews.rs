//! `reviews`: review outcomes of visit revisions.

use sqlx::{Executor, FromRow};

use super::{changes, Backend};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ReviewRow {
    pub id: String,
    pub visit_id: String,
    pub revision: i64,
    pub decision: String,
    pub comment: String,
    /// The reviewer's display name.
    pub reviewer: String,
    pub reviewed_at: String,
    pub seq: i64,
}

const SELECT: &str = "SELECT r.id, r.visit_id, r.revision, r.decision, r.comment, \
     u.display_name AS reviewer, r.reviewed_at, r.seq FROM reviews r JOIN users u ON u.id = r.reviewer";

/// Inserts a review and records the change (run it in a transaction).
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut <Backend as sqlx::Database>::Connection,
    id: &str,
    visit_id: &str,
    revision: i64,
    decision: &str,
    comment: &str,
    reviewer_id: &str,
    now: &str,
) -> Result<i64, sqlx::Error> {
    let seq = changes::record(&mut *conn, changes::REVIEW, id, now).await?;
    sqlx::query(
        "INSERT INTO reviews (id, visit_id, revision, decision, comment, reviewer, reviewed_at, seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(visit_id)
    .bind(revision)
    .bind(decision)
    .bind(comment)
    .bind(reviewer_id)
    .bind(now)
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    Ok(seq)
}

/// Reviews changed after `since`, oldest first, at most `limit`; when
/// `user_id` is given, only of that officer's work: revisions they pushed and
/// visits an admin handed to them (not a colleague's visits of a shared
/// commune, and still their own after they are moved off a place).
pub async fn changed_since<'e, E>(
    db: E,
    since: i64,
    user_id: Option<&str>,
    limit: i64,
) -> Result<Vec<ReviewRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!(
        "{SELECT} JOIN visit_revisions v ON v.visit_id = r.visit_id AND v.revision = r.revision \
         WHERE r.seq > $1 \
         AND ($2 IS NULL OR v.pushed_by = $2 \
              OR r.visit_id IN (SELECT visit_id FROM visit_owners WHERE owner_id = $2)) \
         ORDER BY r.seq LIMIT $3"
    ))
    .bind(since)
    .bind(user_id)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Every review of the given visits (a JSON array of ids; a receipt query
/// asks about up to 1,000 at once), in one statement, oldest first: the
/// caller keeps the latest per revision.
pub async fn for_visits<'e, E>(db: E, visit_ids_json: &str) -> Result<Vec<ReviewRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!(
        "{SELECT} WHERE r.visit_id IN (SELECT value FROM json_each($1)) ORDER BY r.seq"
    ))
    .bind(visit_ids_json)
    .fetch_all(db)
    .await
}

/// Every review of a visit (any revision), oldest first.
pub async fn for_visit<'e, E>(db: E, visit_id: &str) -> Result<Vec<ReviewRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!("{SELECT} WHERE r.visit_id = $1 ORDER BY r.seq"))
        .bind(visit_id)
        .fetch_all(db)
        .await
}
