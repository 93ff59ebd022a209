//! IndexedDB schema and its upgrade steps. Add a step, never edit a shipped
//! one: a phone may hold a database of any earlier version, full of visits
//! that have not reached the server yet.
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;

pub const DB_NAME: &str = "htx-survey";

/// Current schema version. Version history:
/// 1. `visits` (key path `id`).
/// 2. `organisations` (reference data downloaded in the office, key path `id`)
///    and `meta` (small device facts such as the last sync cursor, out-of-line keys).
pub const SCHEMA_VERSION: u32 = 2;

pub mod stores {
    pub const VISITS: &str = "visits";
    pub const ORGANISATIONS: &str = "organisations";
    pub const META: &str = "meta";
}

/// Runs every step after `old` up to `new`. Steps only add stores, so the
/// records already stored are kept as they are.
pub(super) fn upgrade(db: &Database, old: u32, new: u32) -> indexed_db_futures::Result<()> {
    if old < 1 && new >= 1 {
        db.create_object_store(stores::VISITS).with_key_path("id".into()).build()?;
    }
    if old < 2 && new >= 2 {
        db.create_object_store(stores::ORGANISATIONS).with_key_path("id".into()).build()?;
        db.create_object_store(stores::META).build()?;
    }
    Ok(())
}
