//! `audit_log`: what staff did (nhật ký thao tác). Rows are only appended, in
//! the transaction of the action they record.

use sqlx::{Executor, FromRow};

use super::Backend;

pub const ENTITY_VISIT: &str = "visit";
pub const ENTITY_USER: &str = "user";
pub const ENTITY_RUBRIC: &str = "rubric";
pub const ENTITY_ORGANISATION: &str = "organisation";

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AuditEntry {
    pub at: String,
    pub username: String,
    pub display_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// JSON text of the action's details.
    pub detail: String,
}

pub async fn record<'e, E>(
    db: E,
    now: &str,
    user_id: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    detail: &serde_json::Value,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(now)
    .bind(user_id)
    .bind(action)
    .bind(entity)
    .bind(entity_id)
    .bind(detail.to_string())
    .execute(db)
    .await
    .map(|_| ())
}

/// Entries about one entity, oldest first.
pub async fn for_entity<'e, E>(
    db: E,
    entity: &str,
    entity_id: &str,
) -> Result<Vec<AuditEntry>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(
        "SELECT a.at, u.username, u.display_name, a.action, a.entity, a.entity_id, a.detail \
         FROM audit_log a JOIN users u ON u.id = a.user_id \
         WHERE a.entity = $1 AND a.entity_id = $2 ORDER BY a.id",
    )
    .bind(entity)
    .bind(entity_id)
    .fetch_all(db)
    .await
}

impl From<AuditEntry> for htx_core::console::AuditEntry {
    fn from(a: AuditEntry) -> Self {
        htx_core::console::AuditEntry {
            at: a.at,
            username: a.username,
            display_name: a.display_name,
            action: a.action,
            entity: a.entity,
            entity_id: a.entity_id,
            detail: a.detail,
        }
    }
}
