//! `meta`: key/value facts about this database.

use sqlx::Executor;

use super::Backend;

/// Key set once the demo dataset has been seeded; value = when.
pub const DEMO_SEEDED_AT: &str = "demo_seeded_at";
/// When the demo's three years of visits were written (`demo::seed_history`).
pub const DEMO_HISTORY_SEEDED_AT: &str = "demo_history_seeded_at";
/// The last `visit_revisions.id` the console's list rows include
/// (`crate::index_follower`).
pub const VISIT_INDEX_UPTO: &str = "visit_index_upto";

pub async fn get<'e, E>(db: E, key: &str) -> Result<Option<String>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
        .bind(key)
        .fetch_optional(db)
        .await
}

/// Sets `key` to `value`, whatever it was.
pub async fn set<'e, E>(db: E, key: &str, value: &str, now: &str) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query(
        "INSERT INTO meta (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(db)
    .await
    .map(|_| ())
}

/// Sets `key` only if it has no value yet; returns whether it was set.
pub async fn set_if_absent<'e, E>(
    db: E,
    key: &str,
    value: &str,
    now: &str,
) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let done = sqlx::query(
        "INSERT INTO meta (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The names of the tables of this database (before migrating, what a
/// caller may read depends on them).
/// Each backend has its own catalogue.
pub async fn tables(db: &super::Db) -> Result<std::collections::BTreeSet<String>, sqlx::Error> {
    let sql = match super::kind(db) {
        super::Kind::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        super::Kind::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let names: Vec<String> = sqlx::query_scalar(sql).fetch_all(db).await?;
    Ok(names.into_iter().collect())
}
