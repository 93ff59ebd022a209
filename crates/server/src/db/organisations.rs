//! `organisations`: tổ hợp tác, HTX, liên hiệp HTX, quỹ tín dụng nhân dân.
//! Columns are generic for now; they will be aligned with `htx_core`'s
//! `Organisation` once it exists.

use serde::Serialize;
use sqlx::{Executor, FromRow};

use super::Backend;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct OrganisationRow {
    pub id: String,
    pub registration_code: Option<String>,
    pub name: String,
    pub kind: String,
    pub sector: String,
    pub legal_status: String,
    pub place_code: String,
    pub place_name: String,
    pub founded_on: Option<String>,
    pub is_demo: bool,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, registration_code, name, kind, sector, legal_status, place_code, \
     place_name, founded_on, is_demo, created_at, updated_at";

/// Inserts `row` unless an organisation with the same id or registration code
/// exists; returns whether a row was inserted.
pub async fn insert_if_absent<'e, E>(db: E, row: &OrganisationRow) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let sql = format!(
        "INSERT INTO organisations ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING"
    );
    let done = sqlx::query(&sql)
        .bind(&row.id)
        .bind(&row.registration_code)
        .bind(&row.name)
        .bind(&row.kind)
        .bind(&row.sector)
        .bind(&row.legal_status)
        .bind(&row.place_code)
        .bind(&row.place_name)
        .bind(&row.founded_on)
        .bind(row.is_demo)
        .bind(&row.created_at)
        .bind(&row.updated_at)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn list<'e, E>(db: E) -> Result<Vec<OrganisationRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM organisations ORDER BY name, id"
    ))
    .fetch_all(db)
    .await
}

pub async fn count<'e, E>(db: E) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM organisations")
        .fetch_one(db)
        .await
}
