//! Read queries of the dashboard and the exports (`crate::report`): the
//! organisations, visit revisions and reviews of a scope. Nothing is written.
//!
//! The scope is the JSON array of new-hierarchy commune codes of
//! [`crate::scope::Scope::as_json`] (`None`: every place).

use sqlx::{Executor, FromRow};

use super::organisations::OrganisationRow;
use super::Backend;

/// The organisations whose commune is in the scope, by name; not those
/// merged into another (their visits count for the other).
pub async fn organisations_in<'e, E>(
    db: E,
    communes: Option<&str>,
) -> Result<Vec<OrganisationRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(
        "SELECT id, registration_code, name, kind, sector, legal_status, place_code, place_name, \
         founded_on, is_demo, provisional, created_at, updated_at FROM organisations \
         WHERE merged_into IS NULL \
         AND ($1 IS NULL OR place_code IN (SELECT value FROM json_each($1))) \
         ORDER BY name, id",
    )
    .bind(communes)
    .fetch_all(db)
    .await
}

/// A stored revision with the account that pushed it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RevisionOf {
    pub visit_id: String,
    pub revision: i64,
    /// The organisation the visit counts for: the one it names, or the one
    /// that organisation was merged into.
    pub organisation_id: String,
    pub place_code: String,
    /// The `Visit` as JSON.
    pub body: String,
    pub received_at: String,
    pub officer: String,
    pub officer_name: String,
}

/// The organisation a revision counts for (`o`) and its filter by scope.
const COUNTS_FOR: &str = "JOIN organisations n ON n.id = v.organisation_id \
     JOIN organisations o ON o.id = COALESCE(n.merged_into, n.id) \
     WHERE ($1 IS NULL OR o.place_code IN (SELECT value FROM json_each($1)))";

/// Every revision of a visit of an organisation in the scope (the one it
/// counts for, see [`RevisionOf::organisation_id`]) received on or after
/// `received_from` (an RFC 3339 prefix such as `2024-12-30`), oldest first.
/// A revision is never received before its visit started (the server
/// refuses start times in the future), so the caller bounds the year's
/// visits with it and filters the exact local dates itself.
pub async fn revisions_in<'e, E>(
    db: E,
    communes: Option<&str>,
    received_from: &str,
) -> Result<Vec<RevisionOf>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!(
        "SELECT v.visit_id, v.revision, o.id AS organisation_id, v.place_code, v.body, \
         v.received_at, u.username AS officer, u.display_name AS officer_name \
         FROM visit_revisions v JOIN users u ON u.id = v.pushed_by {COUNTS_FOR} \
         AND v.received_at >= $2 ORDER BY v.id"
    ))
    .bind(communes)
    .bind(received_from)
    .fetch_all(db)
    .await
}

/// The decision in force of a reviewed revision.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ReviewedRevision {
    pub review_id: String,
    pub visit_id: String,
    pub revision: i64,
    /// approved | returned
    pub decision: String,
}

/// The review in force (the latest) of each revision that [`revisions_in`]
/// returns for the same arguments and has been reviewed.
pub async fn latest_reviews_in<'e, E>(
    db: E,
    communes: Option<&str>,
    received_from: &str,
) -> Result<Vec<ReviewedRevision>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!(
        "SELECT r.id AS review_id, r.visit_id, r.revision, r.decision FROM reviews r \
         JOIN visit_revisions v ON v.visit_id = r.visit_id AND v.revision = r.revision \
         {COUNTS_FOR} AND v.received_at >= $2 \
         AND r.seq = (SELECT MAX(l.seq) FROM reviews l \
                      WHERE l.visit_id = r.visit_id AND l.revision = r.revision) \
         ORDER BY r.seq"
    ))
    .bind(communes)
    .bind(received_from)
    .fetch_all(db)
    .await
}
