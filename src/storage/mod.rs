//! The device's storage: one IndexedDB database owned by this module.
//!
//! Everything the officer records lives here until the server has confirmed
//! it, so the rules are strict: a schema version constant, object stores
//! created only in the upgrade handler, every upgrade step keeps existing data,
//! and every write transaction is committed explicitly (indexed_db_futures
//! rolls back uncommitted ones). Never await the network inside a transaction.
mod accounts;
mod json;
mod outbox;
mod photos;
mod reference;
mod schema;
mod visits;

use htx_core::Visit;
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{Transaction, TransactionMode};
use json::{from_js_all, get_as, to_js};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use uuid::Uuid;

pub use accounts::OtherAccounts;
pub use outbox::TakenBatch;
pub use photos::{PhotoUsage, StoredPhoto};
pub use reference::Reference;
pub use schema::{stores, DB_NAME, SCHEMA_VERSION};
pub use visits::{StatusCounts, StoredVisit};

thread_local! {
    /// The app's one open connection. Opening IndexedDB costs milliseconds;
    /// an autosave on every keystroke cannot pay that each time.
    static SHARED: RefCell<Option<Rc<DeviceStore>>> = const { RefCell::new(None) };
}

/// Why a storage operation failed; shown to the officer, so it keeps the
/// browser's own message (quota exceeded, blocked by another tab, ...).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StorageError {
    #[error("IndexedDB: {0}")]
    Idb(String),
    #[error("stored record is unreadable: {0}")]
    Decode(String),
}

impl StorageError {
    fn idb(e: impl std::fmt::Display) -> Self {
        Self::Idb(e.to_string())
    }

    fn decode(e: impl std::fmt::Display) -> Self {
        Self::Decode(e.to_string())
    }
}

// IndexedDB's own errors keep the browser's message (`?` converts them).
impl From<indexed_db_futures::error::Error> for StorageError {
    fn from(e: indexed_db_futures::error::Error) -> Self {
        Self::idb(e)
    }
}

impl From<indexed_db_futures::error::OpenDbError> for StorageError {
    fn from(e: indexed_db_futures::error::OpenDbError) -> Self {
        Self::idb(e)
    }
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// An open handle on the device database.
pub struct DeviceStore {
    db: Database,
}

impl DeviceStore {
    /// Opens the app's database at the current schema version, creating or
    /// upgrading it as needed.
    pub async fn open() -> Result<Self> {
        Self::open_at(DB_NAME, SCHEMA_VERSION).await
    }

    /// The app's shared connection, opened (and repaired) on first use.
    pub async fn shared() -> Result<Rc<DeviceStore>> {
        if let Some(s) = SHARED.with(|c| c.borrow().clone()) {
            return Ok(s);
        }
        let store = Rc::new(Self::open().await?);
        store.give_way_to_upgrades();
        store.repair_summaries().await?;
        store.backfill_outbox().await?;
        store.label_accounts().await?;
        // Another caller may have opened one meanwhile: keep the first, and
        // close this one (an open connection blocks schema upgrades).
        let kept = SHARED.with(|c| c.borrow_mut().get_or_insert(store.clone()).clone());
        if !Rc::ptr_eq(&kept, &store) {
            store.db.clone().close();
        }
        Ok(kept)
    }

    /// A newer version of the app (another tab, or this one after an update)
    /// cannot upgrade the database while this connection is open: close it
    /// and reload, so this tab runs the new version too. Every change is
    /// already saved (autosave), so the reload loses nothing.
    fn give_way_to_upgrades(&self) {
        use indexed_db_futures::internals::SystemRepr;
        let db = self.db.clone();
        let on_change = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            db.clone().close();
            SHARED.with(|c| c.borrow_mut().take());
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        });
        self.db
            .as_sys()
            .set_onversionchange(Some(wasm_bindgen::JsCast::unchecked_ref(
                on_change.as_ref(),
            )));
        // Lives as long as the page: the connection is the page's.
        on_change.forget();
    }

    /// Opens `name` at `version`, applying every upgrade step from the stored
    /// version up to `version`. Tests use older versions to prove upgrades.
    pub async fn open_at(name: &str, version: u32) -> Result<Self> {
        let db = Database::open(name)
            .with_version(version)
            .with_on_upgrade_needed(move |event, db| {
                schema::upgrade(&db, event.old_version() as u32, version)
            })
            .await?;
        Ok(Self { db })
    }

    /// The schema version of the open database.
    pub fn version(&self) -> u32 {
        self.db.version() as u32
    }

    /// Names of the object stores, sorted (for the storage panel and tests).
    pub fn store_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.db.object_store_names().collect();
        names.sort();
        names
    }

    pub fn close(self) {
        self.db.close();
    }

    /// Deletes a whole database (tests, and a future "wipe this device").
    pub async fn delete(name: &str) -> Result<()> {
        Ok(Database::delete_by_name(name)?.await?)
    }

    /// A transaction over `names`; write transactions must be committed
    /// explicitly (indexed_db_futures rolls back the others when dropped).
    pub(crate) fn tx(&self, names: &[&str], write: bool) -> Result<Transaction<'_>> {
        let mode = if write {
            TransactionMode::Readwrite
        } else {
            TransactionMode::Readonly
        };
        Ok(self.db.transaction(names).with_mode(mode).build()?)
    }

    /// A write transaction whose commit waits until the browser has asked
    /// the system to put it on disk (`durability: "strict"`). Browsers
    /// default to "relaxed" (Chromium since 121): a power cut in the next
    /// seconds could lose the commit. For what must outlive one: a visit
    /// made final (it may leave the phone only from there).
    pub(crate) fn tx_strict(&self, names: &[&str]) -> Result<Transaction<'_>> {
        use indexed_db_futures::transaction::{TransactionDurability, TransactionOptions};
        Ok(self
            .db
            .transaction(names)
            .with_mode(TransactionMode::Readwrite)
            .with_options(TransactionOptions::new().with_durability(TransactionDurability::Strict))
            .build()?)
    }

    /// One record of `store` by key, if present.
    pub(crate) async fn get_one<T: DeserializeOwned>(
        &self,
        store: &str,
        key: &str,
    ) -> Result<Option<T>> {
        let tx = self.tx(&[store], false)?;
        get_as(&tx.object_store(store)?, key).await
    }

    /// Every record of `store`, in key order.
    pub(crate) async fn get_every<T: DeserializeOwned>(&self, store: &str) -> Result<Vec<T>> {
        let tx = self.tx(&[store], false)?;
        let s = tx.object_store(store)?;
        from_js_all(s.get_all().primitive()?.await?)
    }

    /// Inserts or replaces one record with an in-line key.
    pub(crate) async fn put_one<T: Serialize>(&self, store: &str, value: &T) -> Result<()> {
        let tx = self.tx(&[store], true)?;
        let s = tx.object_store(store)?;
        s.put(to_js(value)?).primitive()?;
        Ok(tx.commit().await?)
    }

    /// How many records `store` holds.
    pub(crate) async fn count_of(&self, store: &str) -> Result<u32> {
        let tx = self.tx(&[store], false)?;
        let s = tx.object_store(store)?;
        Ok(s.count().primitive()?.await?)
    }

    /// Inserts or replaces a visit alone (tests; the app saves a visit with
    /// its summary, see `save_visit`).
    pub async fn put_visit(&self, visit: &Visit) -> Result<()> {
        self.put_one(stores::VISITS, visit).await
    }

    pub async fn get_visit(&self, id: Uuid) -> Result<Option<Visit>> {
        self.get_one(stores::VISITS, &id.to_string()).await
    }

    /// Every visit on the device, newest first (UUID v7 ids sort by time).
    pub async fn list_visits(&self) -> Result<Vec<Visit>> {
        let mut visits: Vec<Visit> = self.get_every(stores::VISITS).await?;
        visits.sort_by_key(|v| std::cmp::Reverse(v.id));
        Ok(visits)
    }

    pub async fn count_visits(&self) -> Result<u32> {
        self.count_of(stores::VISITS).await
    }
}
