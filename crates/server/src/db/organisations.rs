//! `organisations`: tổ hợp tác, HTX, liên hiệp HTX, quỹ tín dụng nhân dân.
//! Columns are generic for now; they will be aligned with `htx_core`'s
//! `Organisation` once it exists.

use serde::Serialize;
use sqlx::{Executor, FromRow};

use super::{changes, Backend};

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
    #[sqlx(try_from = "super::Flag")]
    pub is_demo: bool,
    /// Recorded in the field, not yet matched by staff (migration 0003).
    #[sqlx(try_from = "super::Flag")]
    pub provisional: bool,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, registration_code, name, kind, sector, legal_status, place_code, \
     place_name, founded_on, is_demo, provisional, created_at, updated_at";

/// Inserts `row` unless an organisation with the same id or registration code
/// exists; returns whether a row was inserted. An insert is recorded in the
/// change sequence (run it in a transaction).
pub async fn insert_if_absent(
    conn: &mut <Backend as sqlx::Database>::Connection,
    row: &OrganisationRow,
) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "INSERT INTO organisations ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING"
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
        .bind(super::Flag(row.is_demo))
        .bind(super::Flag(row.provisional))
        .bind(&row.created_at)
        .bind(&row.updated_at)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    let seq = changes::record(&mut *conn, changes::ORGANISATION, &row.id, &row.updated_at).await?;
    sqlx::query("UPDATE organisations SET seq = $1 WHERE id = $2")
        .bind(seq)
        .bind(&row.id)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

pub async fn find<'e, E>(db: E, id: &str) -> Result<Option<OrganisationRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM organisations WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// The organisations of `ids_json` (a JSON array of ids), in one statement.
pub async fn find_many<'e, E>(db: E, ids_json: &str) -> Result<Vec<OrganisationRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM organisations WHERE id IN (SELECT value FROM json_each($1))"
    ))
    .bind(ids_json)
    .fetch_all(db)
    .await
}

/// `(id, merged_into)` of those of `ids_json` that were merged.
pub async fn merges_of<'e, E>(db: E, ids_json: &str) -> Result<Vec<(String, String)>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(
        "SELECT id, merged_into FROM organisations \
         WHERE merged_into IS NOT NULL AND id IN (SELECT value FROM json_each($1))",
    )
    .bind(ids_json)
    .fetch_all(db)
    .await
}

/// An organisation with the seq of its latest change.
#[derive(Debug, Clone, FromRow)]
pub struct ChangedOrganisation {
    pub seq: i64,
    #[sqlx(flatten)]
    pub row: OrganisationRow,
}

/// Organisations changed after `since`, oldest change first, at most
/// `limit`; only in the places of `user_id` when given.
pub async fn changed_since<'e, E>(
    db: E,
    since: i64,
    user_id: Option<&str>,
    limit: i64,
) -> Result<Vec<ChangedOrganisation>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!(
        "SELECT seq, {COLUMNS} FROM organisations WHERE seq > $1 \
         AND ($2 IS NULL OR place_code IN (SELECT place_code FROM user_places WHERE user_id = $2)) \
         ORDER BY seq LIMIT $3"
    ))
    .bind(since)
    .bind(user_id)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The core record of a stored organisation. Codes the core does not know
/// (the stored codes predate it) map to the nearest core value.
pub fn to_core(row: &OrganisationRow) -> Option<htx_core::Organisation> {
    use htx_core::{LegalStatus, OrganisationKind, Sector};
    let kind = match row.kind.as_str() {
        "cooperative_group" => OrganisationKind::CooperativeGroup,
        "cooperative" => OrganisationKind::Cooperative,
        "cooperative_union" => OrganisationKind::CooperativeUnion,
        "peoples_credit_fund" => OrganisationKind::PeoplesCreditFund,
        _ => return None,
    };
    let sector = Sector::from_code(&row.sector);
    let legal_status = match row.legal_status.as_str() {
        "halted" | "suspended" => LegalStatus::Halted,
        "pending_dissolution" => LegalStatus::PendingDissolution,
        "dissolved" => LegalStatus::Dissolved,
        "non_compliant" => LegalStatus::NonCompliant,
        _ => LegalStatus::Active,
    };
    let mut o = htx_core::Organisation::new(row.id.parse().ok()?, kind, row.name.clone(), sector);
    o.registration_code = row.registration_code.clone();
    o.place_new = Some(row.place_code.clone());
    o.founded_on = row
        .founded_on
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    o.legal_status = legal_status;
    o.provisional = row.provisional;
    Some(o)
}

/// The row of an organisation recorded in the field (provisional), with
/// the name of its commune from the place registry.
pub fn provisional_row(
    o: &htx_core::Organisation,
    place_name: &str,
    now: &str,
) -> Option<OrganisationRow> {
    row_from_core(o, place_name, true, now)
}

/// The row of a core organisation (its commune's name from the registry).
pub fn row_from_core(
    o: &htx_core::Organisation,
    place_name: &str,
    provisional: bool,
    now: &str,
) -> Option<OrganisationRow> {
    Some(OrganisationRow {
        id: o.id.to_string(),
        registration_code: o.registration_code.clone().filter(|c| !c.trim().is_empty()),
        name: o.name.clone(),
        kind: o.kind.as_str().to_owned(),
        sector: o.sector.as_str().to_owned(),
        legal_status: o.legal_status.as_str().to_owned(),
        place_code: o.place_new.clone()?,
        place_name: place_name.to_owned(),
        founded_on: o.founded_on.map(|d| d.format("%Y-%m-%d").to_string()),
        is_demo: false,
        provisional,
        created_at: now.to_owned(),
        updated_at: now.to_owned(),
    })
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

/// Records a change of `id` in the change sequence (devices pull it).
async fn touch(
    conn: &mut <Backend as sqlx::Database>::Connection,
    id: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    let seq = changes::record(&mut *conn, changes::ORGANISATION, id, now).await?;
    sqlx::query("UPDATE organisations SET seq = $1 WHERE id = $2")
        .bind(seq)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

/// Replaces the registry fields of `row.id` (not `created_at`, `is_demo`).
/// Returns false when the registration code belongs to another organisation.
pub async fn update(
    conn: &mut <Backend as sqlx::Database>::Connection,
    row: &OrganisationRow,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE organisations SET registration_code = $2, name = $3, kind = $4, sector = $5, \
         legal_status = $6, place_code = $7, place_name = $8, founded_on = $9, provisional = $10, \
         updated_at = $11 WHERE id = $1",
    )
    .bind(&row.id)
    .bind(&row.registration_code)
    .bind(&row.name)
    .bind(&row.kind)
    .bind(&row.sector)
    .bind(&row.legal_status)
    .bind(&row.place_code)
    .bind(&row.place_name)
    .bind(&row.founded_on)
    .bind(super::Flag(row.provisional))
    .bind(&row.updated_at)
    .execute(&mut *conn)
    .await;
    match done {
        Err(e)
            if e.as_database_error()
                .is_some_and(|d| d.is_unique_violation()) =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
        Ok(_) => {
            touch(conn, &row.id, &row.updated_at).await?;
            Ok(true)
        }
    }
}

/// Merges provisional `from` into `into`: `from` is marked merged, and the
/// console lists its visits under `into`, in its commune (run it in a
/// transaction).
pub async fn merge(
    conn: &mut <Backend as sqlx::Database>::Connection,
    from: &str,
    into: &OrganisationRow,
    into_search_key: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE organisations SET merged_into = $2, updated_at = $3 WHERE id = $1")
        .bind(from)
        .bind(&into.id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE visit_index SET organisation_id = $2, search_key = $3, place_code = $4 \
         WHERE organisation_id = $1",
    )
    .bind(from)
    .bind(&into.id)
    .bind(into_search_key)
    .bind(&into.place_code)
    .execute(&mut *conn)
    .await?;
    touch(conn, from, now).await
}

/// The organisation `id` was merged into, if it was.
pub async fn merged_into<'e, E>(db: E, id: &str) -> Result<Option<String>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar("SELECT merged_into FROM organisations WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
        .map(Option::flatten)
}

/// A registry row with its merge target and number of visits.
#[derive(Debug, Clone, FromRow)]
pub struct RegistryRow {
    #[sqlx(flatten)]
    pub row: OrganisationRow,
    pub merged_into: Option<String>,
    pub visits: i64,
}

/// Organisations in the communes of `communes_json` (JSON array; `None`:
/// all), by name.
pub async fn in_places<'e, E>(
    db: E,
    communes_json: Option<&str>,
) -> Result<Vec<RegistryRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("o.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query_as(&format!(
        "SELECT {cols}, o.merged_into, \
         (SELECT COUNT(*) FROM visit_index i WHERE i.organisation_id = o.id) AS visits \
         FROM organisations o \
         WHERE ($1 IS NULL OR o.place_code IN (SELECT value FROM json_each($1))) \
         ORDER BY o.name, o.id"
    ))
    .bind(communes_json)
    .fetch_all(db)
    .await
}
