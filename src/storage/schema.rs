//! IndexedDB schema and its upgrade steps. Add a step, never edit a shipped
//! one: a phone may hold a database of any earlier version, full of visits
//! that have not reached the server yet.
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::KeyPath;

pub const DB_NAME: &str = "htx-survey";

/// Current schema version. Version history:
/// 1. `visits` (key path `id`).
/// 2. `organisations` (reference data downloaded in the office, key path `id`)
///    and `meta` (small device facts such as the last sync cursor, out-of-line keys).
/// 3. `visit_summaries` (one [`htx_core::device::VisitSummary`] per visit, key
///    path `id`) with indexes `by_recent` (newest first) and `by_status`.
///    Summaries of visits stored by versions 1-2 are rebuilt after opening
///    ([`super::visits::repair_summaries`]), since an upgrade handler cannot await.
/// 4. `outbox` (one [`htx_core::outbox::OutboxEntry`] per final revision
///    waiting for the server, key path `key`) with index `by_queued`. Visits
///    already waiting are queued after opening ([`super::outbox`]'s backfill).
/// 5. `photos` (one image `Blob` per SHA-256, key path `sha256`, see
///    [`super::photos`]).
/// 6. Each summary and outbox entry names its account (`account`), with
///    indexes `by_account_recent` and `by_account_status` on summaries and
///    `by_account_queued` on the outbox, so lists, counts and batches read
///    only the signed-in account's records. Records stored before carry no
///    `account` (so no index holds them) until they are labelled after
///    opening ([`super::accounts`]).
/// 7. The single-field indexes of steps 3 and 4 (`by_recent`, `by_status`,
///    `by_queued`) are dropped: nothing has read them since 6, and every
///    summary and outbox write kept them up to date. Records are untouched.
/// 8. No store or index changes. A receipt's confirmation became the outbox
///    entry's leaving alone (`htx_core::outbox::derived_status`): a summary
///    stored as waiting whose revision is out of the outbox is confirmed. An
///    open tab of an earlier app would read those as still waiting (and edit
///    a confirmed revision in place); the version step makes it give way and
///    reload as this one ([`super::DeviceStore`]'s `give_way_to_upgrades`).
/// 9. No store or index changes. The marks of revisions a push may have
///    carried moved from one `meta` map to one `meta` record per batch
///    (`super::outbox`'s `SENT`); the map an earlier app left is still read.
///    An open tab of an earlier app would not see the new marks (and take a
///    sent revision back to edit it in place): the step makes it give way.
pub const SCHEMA_VERSION: u32 = 9;

pub mod stores {
    pub const VISITS: &str = "visits";
    pub const ORGANISATIONS: &str = "organisations";
    pub const META: &str = "meta";
    pub const VISIT_SUMMARIES: &str = "visit_summaries";
    pub const OUTBOX: &str = "outbox";
    pub const PHOTOS: &str = "photos";
}

pub mod indexes {
    pub const BY_RECENT: &str = "by_recent";
    pub const BY_STATUS: &str = "by_status";
    pub const BY_QUEUED: &str = "by_queued";
    pub const BY_ACCOUNT_RECENT: &str = "by_account_recent";
    pub const BY_ACCOUNT_STATUS: &str = "by_account_status";
    pub const BY_ACCOUNT_QUEUED: &str = "by_account_queued";
}

const UPGRADE_PROBE: &str = "upgrade_probe";

fn pair(a: &'static str, b: &'static str) -> KeyPath<&'static str> {
    KeyPath::Sequence([a, b].into_iter().collect())
}

/// Runs every step after `old` up to `new`. Steps only add stores and add
/// or drop indexes, so the records already stored are kept as they are.
pub(super) fn upgrade(db: &Database, old: u32, new: u32) -> indexed_db_futures::Result<()> {
    if old < 1 && new >= 1 {
        db.create_object_store(stores::VISITS)
            .with_key_path("id".into())
            .build()?;
    }
    if old < 2 && new >= 2 {
        db.create_object_store(stores::ORGANISATIONS)
            .with_key_path("id".into())
            .build()?;
        db.create_object_store(stores::META).build()?;
    }
    if old < 3 && new >= 3 {
        let s = db
            .create_object_store(stores::VISIT_SUMMARIES)
            .with_key_path("id".into())
            .build()?;
        s.create_index(indexes::BY_RECENT, KeyPath::One("recent"))
            .build()?;
        s.create_index(indexes::BY_STATUS, KeyPath::One("status"))
            .build()?;
    }
    if old < 4 && new >= 4 {
        let s = db
            .create_object_store(stores::OUTBOX)
            .with_key_path("key".into())
            .build()?;
        s.create_index(indexes::BY_QUEUED, KeyPath::One("queued_ms"))
            .build()?;
    }
    if old < 5 && new >= 5 {
        db.create_object_store(stores::PHOTOS)
            .with_key_path("sha256".into())
            .build()?;
    }
    if old < 6 && new >= 6 {
        // indexed_db_futures hands the upgrade no transaction, but a store
        // created in it knows its transaction, which reaches the stores
        // that already exist. The probe store goes again at once.
        {
            let probe = db.create_object_store(UPGRADE_PROBE).build()?;
            let tx = probe.transaction();
            let s = tx.object_store(stores::VISIT_SUMMARIES)?;
            s.create_index(indexes::BY_ACCOUNT_RECENT, pair("account", "recent"))
                .build()?;
            s.create_index(indexes::BY_ACCOUNT_STATUS, pair("account", "status"))
                .build()?;
            let o = tx.object_store(stores::OUTBOX)?;
            o.create_index(indexes::BY_ACCOUNT_QUEUED, pair("account", "queued_ms"))
                .build()?;
        }
        db.delete_object_store(UPGRADE_PROBE)?;
    }
    if old < 7 && new >= 7 {
        {
            let probe = db.create_object_store(UPGRADE_PROBE).build()?;
            let tx = probe.transaction();
            let s = tx.object_store(stores::VISIT_SUMMARIES)?;
            s.delete_index(indexes::BY_RECENT)?;
            s.delete_index(indexes::BY_STATUS)?;
            tx.object_store(stores::OUTBOX)?
                .delete_index(indexes::BY_QUEUED)?;
        }
        db.delete_object_store(UPGRADE_PROBE)?;
    }
    Ok(())
}
