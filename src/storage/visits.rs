//! Visits and their list summaries, always written together in one
//! transaction so a list never shows a visit the store does not hold.
use super::schema::{indexes, stores};
use super::{DeviceStore, Result, StorageError};
use htx_core::device::{LocalStatus, VisitSummary};
use htx_core::Visit;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A visit with its summary (local state, review comment, server problems).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredVisit {
    pub visit: Visit,
    pub summary: VisitSummary,
}

/// How many visits are in each local state.
pub type StatusCounts = BTreeMap<&'static str, u32>;

impl DeviceStore {
    /// Saves a visit and its summary atomically (the autosave path).
    pub async fn save_visit(&self, visit: &Visit, summary: &VisitSummary) -> Result<()> {
        let names = [stores::VISITS, stores::VISIT_SUMMARIES];
        let tx = self
            .db
            .transaction(&names[..])
            .with_mode(TransactionMode::Readwrite)
            .build()
            .map_err(StorageError::idb)?;
        let visits = tx.object_store(stores::VISITS).map_err(StorageError::idb)?;
        let summaries = tx.object_store(stores::VISIT_SUMMARIES).map_err(StorageError::idb)?;
        visits.put(visit).serde().map_err(StorageError::idb)?;
        summaries.put(summary).serde().map_err(StorageError::idb)?;
        tx.commit().await.map_err(StorageError::idb)
    }

    /// Saves many visits with their summaries in one transaction (import).
    pub async fn save_visits(&self, items: &[StoredVisit]) -> Result<()> {
        let names = [stores::VISITS, stores::VISIT_SUMMARIES];
        let tx = self
            .db
            .transaction(&names[..])
            .with_mode(TransactionMode::Readwrite)
            .build()
            .map_err(StorageError::idb)?;
        let visits = tx.object_store(stores::VISITS).map_err(StorageError::idb)?;
        let summaries = tx.object_store(stores::VISIT_SUMMARIES).map_err(StorageError::idb)?;
        for item in items {
            visits.put(&item.visit).serde().map_err(StorageError::idb)?;
            summaries.put(&item.summary).serde().map_err(StorageError::idb)?;
        }
        tx.commit().await.map_err(StorageError::idb)
    }

    pub async fn get_summary(&self, id: Uuid) -> Result<Option<VisitSummary>> {
        let tx = self.db.transaction(stores::VISIT_SUMMARIES).build().map_err(StorageError::idb)?;
        let store = tx.object_store(stores::VISIT_SUMMARIES).map_err(StorageError::idb)?;
        store
            .get(id.to_string())
            .serde()
            .map_err(StorageError::idb)?
            .await
            .map_err(|e| StorageError::Decode(e.to_string()))
    }

    /// The newest `limit` summaries, optionally of one state only.
    pub async fn recent_summaries(&self, status: Option<LocalStatus>, limit: u32) -> Result<Vec<VisitSummary>> {
        let tx = self.db.transaction(stores::VISIT_SUMMARIES).build().map_err(StorageError::idb)?;
        let store = tx.object_store(stores::VISIT_SUMMARIES).map_err(StorageError::idb)?;
        let mut rows: Vec<VisitSummary> = match status {
            None => {
                let index = store.index(indexes::BY_RECENT).map_err(StorageError::idb)?;
                let iter = index
                    .get_all()
                    .with_limit(limit)
                    .serde()
                    .map_err(StorageError::idb)?
                    .await
                    .map_err(StorageError::idb)?;
                iter.collect::<std::result::Result<_, _>>()
                    .map_err(|e| StorageError::Decode(e.to_string()))?
            }
            Some(s) => {
                // One state is a small share of the device's visits; sort here.
                let index = store.index(indexes::BY_STATUS).map_err(StorageError::idb)?;
                let iter = index
                    .get_all()
                    .with_query(s.as_str())
                    .serde()
                    .map_err(StorageError::idb)?
                    .await
                    .map_err(StorageError::idb)?;
                let mut v: Vec<VisitSummary> = iter
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|e| StorageError::Decode(e.to_string()))?;
                v.sort_by_key(|s| s.recent);
                v.truncate(limit as usize);
                v
            }
        };
        rows.shrink_to_fit();
        Ok(rows)
    }

    /// Visits per local state, counted by the index (no records read).
    pub async fn status_counts(&self) -> Result<StatusCounts> {
        let tx = self.db.transaction(stores::VISIT_SUMMARIES).build().map_err(StorageError::idb)?;
        let store = tx.object_store(stores::VISIT_SUMMARIES).map_err(StorageError::idb)?;
        let index = store.index(indexes::BY_STATUS).map_err(StorageError::idb)?;
        let mut out = StatusCounts::new();
        for s in LocalStatus::ALL {
            let n = index
                .count()
                .with_query(s.as_str())
                .primitive()
                .map_err(StorageError::idb)?
                .await
                .map_err(StorageError::idb)?;
            out.insert(s.as_str(), n);
        }
        Ok(out)
    }

    /// Every summary (export picks the unsynced ones).
    pub async fn all_summaries(&self) -> Result<Vec<VisitSummary>> {
        let tx = self.db.transaction(stores::VISIT_SUMMARIES).build().map_err(StorageError::idb)?;
        let store = tx.object_store(stores::VISIT_SUMMARIES).map_err(StorageError::idb)?;
        let iter = store.get_all().serde().map_err(StorageError::idb)?.await.map_err(StorageError::idb)?;
        iter.collect::<std::result::Result<_, _>>().map_err(|e| StorageError::Decode(e.to_string()))
    }

    /// Visits stored before summaries existed (schema 1-2) get one, so they
    /// show in the lists. Cheap when nothing is missing: two counts.
    pub async fn repair_summaries(&self) -> Result<()> {
        let visits = self.count_visits().await?;
        let summaries = {
            let tx = self.db.transaction(stores::VISIT_SUMMARIES).build().map_err(StorageError::idb)?;
            let store = tx.object_store(stores::VISIT_SUMMARIES).map_err(StorageError::idb)?;
            store.count().primitive().map_err(StorageError::idb)?.await.map_err(StorageError::idb)?
        };
        if visits == summaries {
            return Ok(());
        }
        let have: std::collections::HashSet<Uuid> =
            self.all_summaries().await?.into_iter().map(|s| s.id).collect();
        let now = js_sys::Date::now() as i64;
        let missing: Vec<StoredVisit> = self
            .list_visits()
            .await?
            .into_iter()
            .filter(|v| !have.contains(&v.id))
            .map(|v| {
                let summary = VisitSummary::of(&v, None, None, now);
                StoredVisit { visit: v, summary }
            })
            .collect();
        self.save_visits(&missing).await
    }
}
