//! The outbox store: final revisions waiting for the server
//! ([`htx_core::outbox`] holds the rules). Every change to it happens in the
//! same transaction as the visit and summary it concerns, so a crash never
//! leaves a final visit unqueued or a queue entry without its visit.
use super::json::{from_js, from_js_all, from_js_fields, get_as, put_keyed, to_js};
use super::schema::{indexes, stores};
use super::{DeviceStore, Result, StorageError};
use htx_core::device::LocalStatus;
use htx_core::device::VisitSummary;
use htx_core::hash::ContentHash;
use htx_core::outbox::{batch_len, OutboxEntry, OutboxHead, Settlement};
use htx_core::review::{ReviewDecision, ReviewOutcome};
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::KeyRange;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;
use wasm_bindgen::JsValue;

/// A batch taken from the outbox for one push.
pub struct TakenBatch {
    pub heads: Vec<OutboxHead>,
    /// The records as one JSON array, in the order of `heads`.
    pub records_json: String,
    /// The photos these records name (SHA-256), to upload before them.
    pub photos: Vec<String>,
}

/// The few fields of a stored [`OutboxEntry`] a push needs (read without
/// decoding its record's visit).
#[derive(Deserialize)]
struct StoredHead {
    key: String,
    visit_id: Uuid,
    revision: u32,
    #[serde(default)]
    attempts: u32,
    #[serde(default)]
    bytes: u32,
    record: StoredHash,
}

#[derive(Deserialize)]
struct StoredHash {
    hash: ContentHash,
}

impl StoredHead {
    /// Every property name in a `StoredHead` (`record.hash` included).
    const FIELDS: &'static [&'static str] = &[
        "key", "visit_id", "revision", "attempts", "bytes", "record", "hash",
    ];
}

/// Meta key set once the outbox has been filled from visits that were
/// already waiting when the store was created (schema 3 → 4).
const BACKFILLED: &str = "outbox_backfilled";

/// Meta key: the outbox entries a push has carried that no receipt has
/// settled yet, with how many pushes carried each. One small record written
/// once per batch, instead of rewriting every entry (and its whole visit)
/// to count its attempt. Entries an earlier app counted carry `attempts`.
const SENT: &str = "outbox_sent";

/// Outbox key → pushes that carried it.
type SentMarks = BTreeMap<String, u32>;

async fn sent_marks(meta: &ObjectStore<'_>) -> Result<SentMarks> {
    Ok(get_as(meta, SENT).await?.unwrap_or_default())
}

impl DeviceStore {
    /// How many revisions wait to be sent (one count, no records read).
    pub async fn outbox_len(&self) -> Result<u32> {
        self.count_of(stores::OUTBOX).await
    }

    /// The next batch in queue order, each entry's attempt counted (in
    /// [`SENT`]) in the same transaction that reads it. From then on an edit
    /// of that visit makes a new revision, since the server may hold this
    /// one whatever happens to the request.
    ///
    /// The records are not decoded: each goes out as the browser's
    /// `JSON.stringify` of what was stored (decoding 200 whole visits into
    /// Rust and writing them back cost most of a sync's time). The server
    /// recomputes every content hash, so the text itself need not be
    /// canonical.
    ///
    /// Only `account`'s entries: another officer's visits wait for them.
    pub async fn take_batch(&self, account: &str) -> Result<TakenBatch> {
        self.take_batch_after(account, &HashSet::new()).await
    }

    /// The next batch, leaving out the entries of `in_flight` (keys of a
    /// batch pushed whose receipt is still awaited: a sync sends the next
    /// batch meanwhile).
    pub async fn take_batch_after(
        &self,
        account: &str,
        in_flight: &HashSet<String>,
    ) -> Result<TakenBatch> {
        let tx = self.tx(&[stores::OUTBOX, stores::META], true)?;
        let store = tx.object_store(stores::OUTBOX)?;
        let meta = tx.object_store(stores::META)?;
        let index = store.index(indexes::BY_ACCOUNT_QUEUED)?;
        let read: Vec<JsValue> = index
            .get_all()
            .with_query::<super::accounts::AccountKey, _>(super::accounts::account_range(account))
            .with_limit((htx_core::outbox::MAX_BATCH_RECORDS + in_flight.len()) as u32)
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        let entries: js_sys::Array = read.iter().collect();
        let heads: Vec<StoredHead> = from_js_fields(&entries, StoredHead::FIELDS)?;
        let (mut raw, mut stored): (Vec<JsValue>, Vec<StoredHead>) = read
            .into_iter()
            .zip(heads)
            .filter(|(_, h)| !in_flight.contains(&h.key))
            .unzip();
        let mut texts = Vec::with_capacity(raw.len());
        for v in &raw {
            let record = js_sys::Reflect::get(v, &JsValue::from_str("record"))
                .map_err(|_| StorageError::decode("no record"))?;
            let text = js_sys::JSON::stringify(&record)
                .map_err(|_| StorageError::decode("record not JSON"))?;
            texts.push(String::from(text));
        }
        let sizes: Vec<usize> = stored
            .iter()
            .zip(&texts)
            .map(|(h, t)| OutboxEntry::planned_len(h.bytes, t))
            .collect();
        let n = batch_len(&sizes);
        raw.truncate(n);
        stored.truncate(n);
        texts.truncate(n);
        if n > 0 {
            let mut marks = sent_marks(&meta).await?;
            for h in &stored {
                *marks.entry(h.key.clone()).or_insert(h.attempts) += 1;
            }
            put_keyed(&meta, SENT, &marks)?;
        }
        tx.commit().await?;
        let records_json = format!("[{}]", texts.join(","));
        let photos = raw
            .iter()
            .flat_map(super::photos::names_in_outbox_entry)
            .collect();
        let heads = stored
            .into_iter()
            .map(|h| OutboxHead {
                key: h.key,
                visit_id: h.visit_id,
                revision: h.revision,
                hash: h.record.hash,
            })
            .collect();
        Ok(TakenBatch {
            heads,
            records_json,
            photos,
        })
    }

    /// Before a final visit is edited: takes its revision back out of the
    /// outbox if it was never sent. Returns whether it had been sent (then
    /// the edit must be a new revision). One transaction, so a sync running
    /// at the same moment either got it first (sent) or never sees it.
    pub async fn take_back(&self, id: Uuid, revision: u32) -> Result<bool> {
        let tx = self.tx(&[stores::OUTBOX, stores::META], true)?;
        let store = tx.object_store(stores::OUTBOX)?;
        let key = OutboxEntry::key_of(id, revision);
        let entry: Option<OutboxEntry> = get_as(&store, &key).await?;
        let sent = match entry {
            None => false,
            // Counted on the entry by an earlier app.
            Some(e) if e.attempts > 0 => true,
            Some(_)
                if sent_marks(&tx.object_store(stores::META)?)
                    .await?
                    .contains_key(&key) =>
            {
                true
            }
            Some(_) => {
                store.delete(key.as_str()).primitive()?;
                false
            }
        };
        tx.commit().await?;
        Ok(sent)
    }

    /// Records what became of sent entries: settled ones leave the outbox
    /// and their visit's summary takes the new state (unless the officer has
    /// moved on to a newer revision meanwhile); pending ones stay queued.
    /// The visits themselves are never touched: nothing is deleted by sync.
    pub async fn settle(&self, results: &[(OutboxHead, Settlement)]) -> Result<()> {
        let tx = self.tx(
            &[stores::OUTBOX, stores::VISIT_SUMMARIES, stores::META],
            true,
        )?;
        let outbox = tx.object_store(stores::OUTBOX)?;
        let summaries = tx.object_store(stores::VISIT_SUMMARIES)?;
        let settled: Vec<&(OutboxHead, Settlement)> =
            results.iter().filter(|(_, s)| s.is_final()).collect();
        if !settled.is_empty() {
            let meta = tx.object_store(stores::META)?;
            let mut marks = sent_marks(&meta).await?;
            let before = marks.len();
            for (entry, _) in &settled {
                marks.remove(&entry.key);
            }
            if marks.len() != before {
                put_keyed(&meta, SENT, &marks)?;
            }
        }
        let keys: Vec<&str> = settled.iter().map(|(e, _)| e.key.as_str()).collect();
        delete_keys(&outbox, &keys).await?;
        let ids: Vec<String> = settled
            .iter()
            .map(|(e, _)| e.visit_id.to_string())
            .collect();
        let mut current = summaries_by_id(&summaries, &ids).await?;
        for ((entry, settlement), id) in settled.into_iter().zip(&ids) {
            let summary = current.remove(id.as_str());
            let Some(status) = settlement.status() else {
                continue;
            };
            let Some(mut s) = summary else { continue };
            if s.revision != entry.revision || s.status != LocalStatus::Waiting {
                continue;
            }
            s.status = status;
            s.problems = match settlement {
                Settlement::Rejected { errors } => errors.clone(),
                _ => Vec::new(),
            };
            if let Settlement::Returned { comment } = settlement {
                s.review_comment = Some(comment.clone());
            }
            summaries.put(to_js(&s)?).primitive()?;
        }
        Ok(tx.commit().await?)
    }

    /// Fills the outbox from visits that were waiting before it existed.
    /// Runs once per device (marked in `meta`).
    pub async fn backfill_outbox(&self) -> Result<()> {
        if self.meta::<bool>(BACKFILLED).await?.unwrap_or(false) {
            return Ok(());
        }
        let waiting: Vec<VisitSummary> = self
            .all_summaries()
            .await?
            .into_iter()
            .filter(|s| s.status == LocalStatus::Waiting)
            .collect();
        let now = js_sys::Date::now();
        let mut entries = Vec::new();
        for s in waiting {
            if let Some(v) = self.get_visit(s.id).await? {
                if v.revision == s.revision && v.state == htx_core::VisitState::Final {
                    entries.push(OutboxEntry::new(&v, &s.account, now));
                }
            }
        }
        let tx = self.tx(&[stores::OUTBOX, stores::META], true)?;
        let outbox = tx.object_store(stores::OUTBOX)?;
        for e in &entries {
            outbox.put(to_js(e)?).primitive()?;
        }
        put_keyed(&tx.object_store(stores::META)?, BACKFILLED, &true)?;
        Ok(tx.commit().await?)
    }
}

// A batch's entries and summaries are usually neighbours in their stores:
// both are keyed by visit id (UUID v7, so in recording order), and the queue
// sends in finalizing order. The two helpers below reach them with one range
// request in that case, and key by key otherwise: request count, not bytes,
// is what a settle of 200 entries costs (one range instead of 200 requests).

/// The summaries in `store` of the visits whose ids are `keys`, by id.
async fn summaries_by_id(
    store: &ObjectStore<'_>,
    keys: &[String],
) -> Result<HashMap<String, VisitSummary>> {
    let mut found = HashMap::with_capacity(keys.len());
    let (Some(lo), Some(hi)) = (keys.iter().min(), keys.iter().max()) else {
        return Ok(found);
    };
    // At most twice the batch: a wide range falls back to reads by key.
    let near: Vec<VisitSummary> = from_js_all(
        store
            .get_all()
            .with_query::<String, _>(KeyRange::Bound(lo.clone(), false, hi.clone(), false))
            .with_limit(2 * keys.len() as u32)
            .primitive()?
            .await?,
    )?;
    let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
    for s in near {
        let id = s.id.to_string();
        if wanted.contains(id.as_str()) {
            found.insert(id, s);
        }
    }
    let missing: Vec<&String> = keys.iter().filter(|k| !found.contains_key(*k)).collect();
    // Every read in flight at once: one at a time costs a round trip each.
    let mut reads = Vec::with_capacity(missing.len());
    for k in &missing {
        reads.push(store.get(k.as_str()).primitive()?);
    }
    for (k, raw) in missing
        .into_iter()
        .zip(futures::future::join_all(reads).await)
    {
        let raw: Option<JsValue> = raw?;
        if let Some(r) = raw {
            found.insert(k.clone(), from_js(&r)?);
        }
    }
    Ok(found)
}

/// Deletes the records of `keys`: as one range when the range between the
/// smallest and largest holds those records and nothing else.
async fn delete_keys(store: &ObjectStore<'_>, keys: &[&str]) -> Result<()> {
    let (Some(lo), Some(hi)) = (keys.iter().min(), keys.iter().max()) else {
        return Ok(());
    };
    let range = || KeyRange::Bound(lo.to_string(), false, hi.to_string(), false);
    let in_range: Vec<String> = store
        .get_all_keys::<String>()
        .with_query::<String, _>(range())
        .with_limit(keys.len() as u32 + 1)
        .primitive()?
        .await?
        .collect::<std::result::Result<_, _>>()?;
    let wanted: HashSet<&str> = keys.iter().copied().collect();
    if in_range.len() == wanted.len() && in_range.iter().all(|k| wanted.contains(k.as_str())) {
        store.delete::<String, _>(range()).primitive()?;
    } else {
        for k in keys {
            store.delete(*k).primitive()?;
        }
    }
    Ok(())
}

/// Review outcomes from a pull: a returned visit shows the reviewer's
/// comment; an approval clears an earlier return of the same revision.
/// Runs inside the pull's transaction.
pub(super) async fn apply_reviews(
    summaries: &ObjectStore<'_>,
    reviews: &[ReviewOutcome],
) -> Result<()> {
    for r in reviews {
        let id = r.visit_id.to_string();
        let Some(mut s) = get_as::<VisitSummary>(summaries, &id).await? else {
            continue;
        };
        // Only the revision reviewed, and never over the officer's own edit.
        if s.revision != r.revision || matches!(s.status, LocalStatus::Draft | LocalStatus::Waiting)
        {
            continue;
        }
        match r.decision {
            ReviewDecision::Returned => {
                s.status = LocalStatus::Returned;
                s.review_comment = Some(r.comment.clone());
            }
            ReviewDecision::Approved => {
                s.status = LocalStatus::Confirmed;
                s.review_comment = None;
            }
        }
        summaries.put(to_js(&s)?).primitive()?;
    }
    Ok(())
}

/// Queues or un-queues a visit's revision as its summary says, inside the
/// transaction that saves the visit: final and waiting → in the outbox.
pub(super) fn queue_if_waiting(
    outbox: &ObjectStore<'_>,
    visit: &htx_core::Visit,
    summary: &VisitSummary,
    now_ms: f64,
) -> Result<()> {
    if summary.status == LocalStatus::Waiting && visit.state == htx_core::VisitState::Final {
        outbox
            .put(to_js(&OutboxEntry::new(visit, &summary.account, now_ms))?)
            .primitive()?;
    }
    Ok(())
}
