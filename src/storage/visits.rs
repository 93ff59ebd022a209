//! Visits and their list summaries, always written together in one
//! transaction so a list never shows a visit the store does not hold.
use super::accounts::{account_key, account_range};
use super::json::{from_js_all, get_as, to_js};
use super::outbox::derive_states;
use super::schema::{indexes, stores};
use super::{DeviceStore, Result};
use htx_core::device::{LocalStatus, VisitSummary};
use htx_core::Visit;
use indexed_db_futures::prelude::*;
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
    /// Saves a visit and its summary atomically (the autosave path); a final
    /// waiting revision is queued in the outbox in the same transaction.
    pub async fn save_visit(&self, visit: &Visit, summary: &VisitSummary) -> Result<()> {
        self.put_pairs([(visit, summary)]).await
    }

    /// Saves many visits with their summaries in one transaction (import).
    pub async fn save_visits(&self, items: &[StoredVisit]) -> Result<()> {
        self.put_pairs(items.iter().map(|i| (&i.visit, &i.summary)))
            .await
    }

    async fn put_pairs<'v>(
        &self,
        pairs: impl IntoIterator<Item = (&'v Visit, &'v VisitSummary)>,
    ) -> Result<()> {
        let pairs: Vec<_> = pairs.into_iter().collect();
        let names = [stores::VISITS, stores::VISIT_SUMMARIES, stores::OUTBOX];
        // A final visit strictly; a draft's autosave (the next keystroke
        // saves it again) at the browser's default.
        let tx = if pairs.iter().any(|(v, _)| v.is_final()) {
            self.tx_strict(&names)?
        } else {
            self.tx(&names, true)?
        };
        let visits = tx.object_store(stores::VISITS)?;
        let summaries = tx.object_store(stores::VISIT_SUMMARIES)?;
        let outbox = tx.object_store(stores::OUTBOX)?;
        let now = js_sys::Date::now();
        for (visit, summary) in pairs {
            visits.put(to_js(visit)?).primitive()?;
            summaries.put(to_js(summary)?).primitive()?;
            super::outbox::queue_if_waiting(&outbox, visit, summary, now)?;
        }
        Ok(tx.commit().await?)
    }

    /// Writes a summary alone (tests that rebuild an older schema's data;
    /// the app always saves a summary with its visit).
    pub async fn put_summary(&self, summary: &VisitSummary) -> Result<()> {
        self.put_one(stores::VISIT_SUMMARIES, summary).await
    }

    /// A visit's summary, in the state it is in ([`derive_states`]).
    pub async fn get_summary(&self, id: Uuid) -> Result<Option<VisitSummary>> {
        let tx = self.tx(&[stores::VISIT_SUMMARIES, stores::OUTBOX], false)?;
        let store = tx.object_store(stores::VISIT_SUMMARIES)?;
        let mut found: Option<VisitSummary> = get_as(&store, &id.to_string()).await?;
        let outbox = tx.object_store(stores::OUTBOX)?;
        derive_states(&outbox, found.as_mut_slice()).await?;
        Ok(found)
    }

    /// The newest `limit` summaries of `account`, optionally of one state
    /// only, each in the state it is in ([`derive_states`]).
    pub async fn recent_summaries(
        &self,
        account: &str,
        status: Option<LocalStatus>,
        limit: u32,
    ) -> Result<Vec<VisitSummary>> {
        let tx = self.tx(&[stores::VISIT_SUMMARIES, stores::OUTBOX], false)?;
        let store = tx.object_store(stores::VISIT_SUMMARIES)?;
        let outbox = tx.object_store(stores::OUTBOX)?;
        let mut rows: Vec<VisitSummary> = match status {
            None => {
                let index = store.index(indexes::BY_ACCOUNT_RECENT)?;
                let iter = index
                    .get_all()
                    .with_query::<super::accounts::AccountKey, _>(account_range(account))
                    .with_limit(limit)
                    .primitive()?
                    .await?;
                let mut v: Vec<VisitSummary> = from_js_all(iter)?;
                derive_states(&outbox, &mut v).await?;
                v
            }
            Some(s) => {
                // One state is a small share of the device's visits; sort
                // here. Confirmed ones may still be stored as waiting.
                let index = store.index(indexes::BY_ACCOUNT_STATUS)?;
                let mut stored = vec![s];
                if s == LocalStatus::Confirmed {
                    stored.push(LocalStatus::Waiting);
                }
                let mut v: Vec<VisitSummary> = Vec::new();
                for as_stored in stored {
                    let iter = index
                        .get_all()
                        .with_query::<super::accounts::AccountKey, _>(account_key(
                            account,
                            as_stored.as_str(),
                        ))
                        .primitive()?
                        .await?;
                    v.extend(from_js_all::<VisitSummary>(iter)?);
                }
                derive_states(&outbox, &mut v).await?;
                v.retain(|x| x.status == s);
                v.sort_by_key(|s| s.recent);
                v.truncate(limit as usize);
                v
            }
        };
        rows.shrink_to_fit();
        Ok(rows)
    }

    /// `account`'s visits per local state, counted by the index (no
    /// records read). A summary stored as waiting whose visit has nothing
    /// left in the outbox counts as confirmed ([`derive_states`]; by visit,
    /// from keys alone).
    pub async fn status_counts(&self, account: &str) -> Result<StatusCounts> {
        let tx = self.tx(&[stores::VISIT_SUMMARIES, stores::OUTBOX], false)?;
        let store = tx.object_store(stores::VISIT_SUMMARIES)?;
        let index = store.index(indexes::BY_ACCOUNT_STATUS)?;
        let mut out = StatusCounts::new();
        for s in LocalStatus::ALL {
            let n = index
                .count()
                .with_query::<super::accounts::AccountKey, _>(account_key(account, s.as_str()))
                .primitive()?
                .await?;
            out.insert(s.as_str(), n);
        }
        if out[LocalStatus::Waiting.as_str()] > 0 {
            let ids: Vec<String> = index
                .get_all_keys::<String>()
                .with_query::<super::accounts::AccountKey, _>(account_key(
                    account,
                    LocalStatus::Waiting.as_str(),
                ))
                .primitive()?
                .await?
                .collect::<std::result::Result<_, _>>()?;
            let queued = super::outbox::queued_visits(&tx.object_store(stores::OUTBOX)?).await?;
            let confirmed = ids.iter().filter(|id| !queued.contains(*id)).count() as u32;
            *out.entry(LocalStatus::Waiting.as_str()).or_default() -= confirmed;
            *out.entry(LocalStatus::Confirmed.as_str()).or_default() += confirmed;
        }
        Ok(out)
    }

    /// Every summary of every account (the storage panel's totals), each
    /// in the state it is in.
    pub async fn all_summaries(&self) -> Result<Vec<VisitSummary>> {
        let tx = self.tx(&[stores::VISIT_SUMMARIES, stores::OUTBOX], false)?;
        let store = tx.object_store(stores::VISIT_SUMMARIES)?;
        let mut all: Vec<VisitSummary> = from_js_all(store.get_all().primitive()?.await?)?;
        derive_states(&tx.object_store(stores::OUTBOX)?, &mut all).await?;
        Ok(all)
    }

    /// Every summary of `account` (export picks the unsynced ones), each in
    /// the state it is in.
    pub async fn summaries_of(&self, account: &str) -> Result<Vec<VisitSummary>> {
        let tx = self.tx(&[stores::VISIT_SUMMARIES, stores::OUTBOX], false)?;
        let store = tx.object_store(stores::VISIT_SUMMARIES)?;
        let index = store.index(indexes::BY_ACCOUNT_RECENT)?;
        let iter = index
            .get_all()
            .with_query::<super::accounts::AccountKey, _>(account_range(account))
            .primitive()?
            .await?;
        let mut all: Vec<VisitSummary> = from_js_all(iter)?;
        derive_states(&tx.object_store(stores::OUTBOX)?, &mut all).await?;
        Ok(all)
    }

    /// Visits stored before summaries existed (schema 1-2) get one, so they
    /// show in the lists. Cheap when nothing is missing: two counts.
    pub async fn repair_summaries(&self) -> Result<()> {
        if self.count_visits().await? == self.count_of(stores::VISIT_SUMMARIES).await? {
            return Ok(());
        }
        let have: std::collections::HashSet<Uuid> = self
            .all_summaries()
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
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
