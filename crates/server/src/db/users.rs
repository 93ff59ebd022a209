//! `users`, `user_places` and `user_scopes`: accounts, the communes assigned
//! to officers and the units reviewers and admins may see.

use sqlx::{Executor, FromRow};

use super::Backend;

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
}

const COLUMNS: &str = "id, username, display_name, role, password_hash";

pub async fn find_by_username<'e, E>(db: E, username: &str) -> Result<Option<UserRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE username = $1"))
        .bind(username)
        .fetch_optional(db)
        .await
}

/// `(id, username, display_name)` of the given accounts (a JSON array of ids).
pub async fn names<'e, E>(
    db: E,
    ids_json: &str,
) -> Result<Vec<(String, String, String)>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(
        "SELECT id, username, display_name FROM users WHERE id IN (SELECT value FROM json_each($1))",
    )
    .bind(ids_json)
    .fetch_all(db)
    .await
}

/// Inserts a user unless the username exists; returns whether inserted.
pub async fn insert_if_absent<'e, E>(
    db: E,
    row: &UserRow,
    is_demo: bool,
    now: &str,
) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let done = sqlx::query(
        "INSERT INTO users (id, username, display_name, role, password_hash, is_demo, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(&row.id)
    .bind(&row.username)
    .bind(&row.display_name)
    .bind(&row.role)
    .bind(&row.password_hash)
    .bind(super::Flag(is_demo))
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn assign_place<'e, E>(db: E, user_id: &str, place_code: &str) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query(
        "INSERT INTO user_places (user_id, place_code) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .bind(place_code)
    .execute(db)
    .await
    .map(|_| ())
}

/// Place codes assigned to a user, sorted.
pub async fn places<'e, E>(db: E, user_id: &str) -> Result<Vec<String>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar("SELECT place_code FROM user_places WHERE user_id = $1 ORDER BY place_code")
        .bind(user_id)
        .fetch_all(db)
        .await
}

pub async fn has_place<'e, E>(db: E, user_id: &str, place_code: &str) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar::<_, super::Flag>(
        "SELECT EXISTS (SELECT 1 FROM user_places WHERE user_id = $1 AND place_code = $2)",
    )
    .bind(user_id)
    .bind(place_code)
    .fetch_one(db)
    .await
    .map(bool::from)
}

/// Units (either hierarchy, any level) a reviewer or admin may see.
pub async fn scopes<'e, E>(db: E, user_id: &str) -> Result<Vec<htx_core::PlaceRef>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT hierarchy, place_code FROM user_scopes WHERE user_id = $1 ORDER BY hierarchy, place_code",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(h, code)| {
            let hierarchy = if h == "old" {
                htx_core::Hierarchy::Old
            } else {
                htx_core::Hierarchy::New
            };
            htx_core::PlaceRef::new(hierarchy, code)
        })
        .collect())
}

pub async fn assign_scope<'e, E>(
    db: E,
    user_id: &str,
    unit: &htx_core::PlaceRef,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let hierarchy = match unit.hierarchy {
        htx_core::Hierarchy::Old => "old",
        htx_core::Hierarchy::New => "new",
    };
    sqlx::query(
        "INSERT INTO user_scopes (user_id, hierarchy, place_code) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .bind(hierarchy)
    .bind(&unit.code)
    .execute(db)
    .await
    .map(|_| ())
}

/// Replaces an account's password hash.
pub async fn set_password<'e, E>(
    db: E,
    user_id: &str,
    password_hash: &str,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user_id)
        .bind(password_hash)
        .execute(db)
        .await
        .map(|_| ())
}

/// Disables or re-enables an account.
pub async fn set_disabled<'e, E>(db: E, user_id: &str, disabled: bool) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query("UPDATE users SET disabled = $2 WHERE id = $1")
        .bind(user_id)
        .bind(super::Flag(disabled))
        .execute(db)
        .await
        .map(|_| ())
}

/// Whether the account is disabled.
pub async fn is_disabled<'e, E>(db: E, user_id: &str) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar::<_, super::Flag>("SELECT disabled FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await
        .map(bool::from)
}

/// Every account, by username.
pub async fn all<'e, E>(db: E) -> Result<Vec<UserRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users ORDER BY username"))
        .fetch_all(db)
        .await
}

/// Replaces a user's places and scopes (run it in a transaction).
pub async fn replace_assignments(
    conn: &mut <Backend as sqlx::Database>::Connection,
    user_id: &str,
    places: &[String],
    scopes: &[htx_core::PlaceRef],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM user_places WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM user_scopes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for p in places {
        assign_place(&mut *conn, user_id, p).await?;
    }
    for s in scopes {
        assign_scope(&mut *conn, user_id, s).await?;
    }
    Ok(())
}
