//! Whose visits are whose on a shared phone. Every summary and outbox entry
//! names its account (schema 6); what a signed-in officer sees, counts and
//! sends is read through the `by_account_*` indexes, bounded to that
//! account, so the next user of the phone never sees or sends the previous
//! officer's visits as their own. Nothing is ever deleted: the visits wait,
//! unseen, until their own officer signs in again.
use super::json::{field, from_js, from_js_all, set_field, to_js};
use super::schema::{indexes, stores};
use super::{DeviceStore, Result, StorageError};
use htx_core::device::VisitSummary;
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::primitive::TryToJs;
use indexed_db_futures::KeyRange;
use std::collections::HashMap;
use uuid::Uuid;
use wasm_bindgen::JsValue;

/// A key of the `by_account_*` compound indexes, or one end of the range
/// of one account's keys.
#[derive(Clone, Debug)]
pub(super) enum AccountKey {
    /// `[account]`: sorts before every `[account, …]`.
    Start(String),
    /// `[account, []]`: an array sorts after any number or string.
    End(String),
    /// `[account, second]`.
    Exact(String, String),
    /// `[account, number]`: a lower bound within the account's keys.
    From(String, f64),
}

impl TryToJs for AccountKey {
    fn try_to_js(&self) -> indexed_db_futures::Result<JsValue> {
        let a = |s: &str| JsValue::from_str(s);
        Ok(match self {
            AccountKey::Start(x) => js_sys::Array::of1(&a(x)),
            AccountKey::End(x) => js_sys::Array::of2(&a(x), &js_sys::Array::new()),
            AccountKey::Exact(x, y) => js_sys::Array::of2(&a(x), &a(y)),
            AccountKey::From(x, n) => js_sys::Array::of2(&a(x), &JsValue::from_f64(*n)),
        }
        .into())
    }
}

/// Every key `[account, …]`.
pub(super) fn account_range(account: &str) -> KeyRange<AccountKey> {
    KeyRange::Bound(
        AccountKey::Start(account.into()),
        false,
        AccountKey::End(account.into()),
        false,
    )
}

/// Every key `[account, n]` with `n >= from`.
pub(super) fn account_range_from(account: &str, from: f64) -> KeyRange<AccountKey> {
    KeyRange::Bound(
        AccountKey::From(account.into(), from),
        false,
        AccountKey::End(account.into()),
        false,
    )
}

/// The exact key `[account, second]`.
pub(super) fn account_key(account: &str, second: &str) -> KeyRange<AccountKey> {
    KeyRange::Only(AccountKey::Exact(account.into(), second.into()))
}

/// `account`'s entries in the outbox, counted as every entry less those
/// of the accounts sorting before and after it in the queue index (every
/// entry names its account: [`DeviceStore::label_accounts`]). Not as a
/// count of `account`'s own keys in the index: Chromium leaves a deleted
/// record's index entries behind until its sweeper runs (it waits for the
/// database to be idle, and runs at most every half hour), and a count
/// across the thousands a large sync leaves visits each of them.
pub(super) async fn outbox_len_in(outbox: &ObjectStore<'_>, account: &str) -> Result<u32> {
    let all = outbox.count().primitive()?.await?;
    if all == 0 {
        return Ok(0);
    }
    let index = outbox.index(indexes::BY_ACCOUNT_QUEUED)?;
    let before = index
        .count()
        .with_query::<AccountKey, _>(KeyRange::UpperBound(
            AccountKey::Start(account.into()),
            true,
        ))
        .primitive()?
        .await?;
    let after = index
        .count()
        .with_query::<AccountKey, _>(KeyRange::LowerBound(AccountKey::End(account.into()), true))
        .primitive()?
        .await?;
    Ok(all.saturating_sub(before + after))
}

/// What the device holds for accounts other than the signed-in one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OtherAccounts {
    pub visits: u32,
    pub waiting: u32,
}

impl DeviceStore {
    /// Records of `store` in `index` whose key starts with `account`.
    async fn count_in(&self, store: &str, index: &str, account: &str) -> Result<u32> {
        let tx = self.tx(&[store], false)?;
        let s = tx.object_store(store)?;
        let i = s.index(index)?;
        Ok(i.count()
            .with_query::<AccountKey, _>(account_range(account))
            .primitive()?
            .await?)
    }

    /// Revisions of `account` waiting to be sent: every outbox entry less
    /// the other accounts' ([`outbox_len_in`]).
    pub async fn outbox_len_of(&self, account: &str) -> Result<u32> {
        let tx = self.tx(&[stores::OUTBOX], false)?;
        outbox_len_in(&tx.object_store(stores::OUTBOX)?, account).await
    }

    /// Visits on the device that belong to `account`.
    pub async fn count_visits_of(&self, account: &str) -> Result<u32> {
        self.count_in(stores::VISIT_SUMMARIES, indexes::BY_ACCOUNT_RECENT, account)
            .await
    }

    /// Visits and waiting revisions of every other account (four counts).
    pub async fn other_accounts(&self, account: &str) -> Result<OtherAccounts> {
        let visits =
            self.count_of(stores::VISIT_SUMMARIES).await? - self.count_visits_of(account).await?;
        let waiting = self.outbox_len().await? - self.outbox_len_of(account).await?;
        Ok(OtherAccounts { visits, waiting })
    }

    /// Gives `account` the visits recorded while nobody was signed in (empty
    /// account): whoever signs in next recorded them. Returns how many.
    pub async fn claim_unowned(&self, account: &str) -> Result<u32> {
        if account.is_empty() {
            return Ok(0);
        }
        let tx = self.tx(&[stores::VISIT_SUMMARIES, stores::OUTBOX], true)?;
        let summaries = tx.object_store(stores::VISIT_SUMMARIES)?;
        let unowned: Vec<VisitSummary> = summaries
            .index(indexes::BY_ACCOUNT_RECENT)?
            .get_all()
            .with_query::<AccountKey, _>(account_range(""))
            .primitive()?
            .await
            .map_err(StorageError::from)
            .and_then(from_js_all)?;
        for mut s in unowned.iter().cloned() {
            s.account = account.to_string();
            summaries.put(to_js(&s)?).primitive()?;
        }
        let outbox = tx.object_store(stores::OUTBOX)?;
        let entries: Vec<JsValue> = outbox
            .index(indexes::BY_ACCOUNT_QUEUED)?
            .get_all()
            .with_query::<AccountKey, _>(account_range(""))
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        for e in entries {
            set_account(&e, account)?;
            outbox.put(e).primitive()?;
        }
        tx.commit().await?;
        Ok(unowned.len() as u32)
    }

    /// Summaries and outbox entries stored before schema 6 name no account:
    /// each takes its visit's officer (the username signed in when it was
    /// started). Cheap when nothing is missing: four counts.
    pub async fn label_accounts(&self) -> Result<()> {
        // An index holds only the records that have its key path.
        let summaries_ok = self.count_of(stores::VISIT_SUMMARIES).await?
            == self
                .index_len(stores::VISIT_SUMMARIES, indexes::BY_ACCOUNT_RECENT)
                .await?;
        let outbox_ok = self.count_of(stores::OUTBOX).await?
            == self
                .index_len(stores::OUTBOX, indexes::BY_ACCOUNT_QUEUED)
                .await?;
        if summaries_ok && outbox_ok {
            return Ok(());
        }
        let visits: HashMap<Uuid, String> = self
            .list_visits()
            .await?
            .into_iter()
            .map(|v| (v.id, v.officer))
            .collect();
        let tx = self.tx(&[stores::VISIT_SUMMARIES, stores::OUTBOX], true)?;
        let summaries = tx.object_store(stores::VISIT_SUMMARIES)?;
        let all: Vec<JsValue> = summaries
            .get_all()
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        let mut accounts = HashMap::new();
        for raw in all {
            let s: VisitSummary = from_js(&raw)?;
            if has_account(&raw) {
                accounts.insert(s.id, s.account);
                continue;
            }
            let account = visits.get(&s.id).cloned().unwrap_or_default();
            set_account(&raw, &account)?;
            summaries.put(raw).primitive()?;
            accounts.insert(s.id, account);
        }
        let outbox = tx.object_store(stores::OUTBOX)?;
        let entries: Vec<JsValue> = outbox
            .get_all()
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        for raw in entries.into_iter().filter(|e| !has_account(e)) {
            let account = field(&raw, "visit_id")
                .as_string()
                .and_then(|id| Uuid::parse_str(&id).ok())
                .and_then(|id| accounts.get(&id).or_else(|| visits.get(&id)).cloned())
                .unwrap_or_default();
            set_account(&raw, &account)?;
            outbox.put(raw).primitive()?;
        }
        Ok(tx.commit().await?)
    }

    /// Entries in `index`.
    async fn index_len(&self, store: &str, index: &str) -> Result<u32> {
        let tx = self.tx(&[store], false)?;
        let s = tx.object_store(store)?;
        let i = s.index(index)?;
        Ok(i.count().primitive()?.await?)
    }
}

fn has_account(record: &JsValue) -> bool {
    field(record, "account").is_string()
}

fn set_account(record: &JsValue, account: &str) -> Result<()> {
    set_field(record, "account", &JsValue::from_str(account))
}
