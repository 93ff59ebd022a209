//! The outbox store: final revisions waiting for the server
//! ([`htx_core::outbox`] holds the rules). Every change to it happens in the
//! same transaction as the visit and summary it concerns, so a crash never
//! leaves a final visit unqueued or a queue entry without its visit.
use super::accounts::{account_range, account_range_from, outbox_len_in, AccountKey};
use super::json::{field, from_js_fields, get_as, put_keyed, set_field, to_js};
use super::schema::{indexes, stores};
use super::{DeviceStore, Result, StorageError};
use crate::timing::{timing_end, timing_start};
use htx_core::device::LocalStatus;
use htx_core::device::VisitSummary;
use htx_core::hash::ContentHash;
use htx_core::outbox::{batch_len, derived_status, OutboxEntry, OutboxHead, Settlement};
use htx_core::review::{ReviewDecision, ReviewOutcome};
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::KeyRange;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;
use wasm_bindgen::JsValue;

/// A batch taken from the outbox for one push.
pub struct TakenBatch {
    pub heads: Vec<OutboxHead>,
    /// The records as one JSON array, in the order of `heads`.
    pub records_json: String,
    /// The photos these records name (SHA-256), to upload before them.
    pub photos: Vec<String>,
    /// Each entry's place in the queue (`queued_ms`), in the order of `heads`.
    queued: Vec<f64>,
    /// The meta key of the attempt mark taking it wrote ([`SENT`]), if it
    /// took anything.
    mark: Option<String>,
}

/// The few fields of a stored [`OutboxEntry`] a push needs (read without
/// its record). The hash is the entry's own, or for an entry an earlier
/// app queued, its record object's (`record.hash`).
#[derive(Deserialize)]
struct StoredHead {
    key: String,
    visit_id: Uuid,
    revision: u32,
    queued_ms: f64,
    #[serde(default)]
    bytes: u32,
    hash: Option<ContentHash>,
    record: Option<StoredHash>,
}

#[derive(Deserialize)]
struct StoredHash {
    hash: ContentHash,
}

impl StoredHead {
    /// Every property name in a `StoredHead` (`record.hash` included).
    const FIELDS: &'static [&'static str] = &[
        "key",
        "visit_id",
        "revision",
        "queued_ms",
        "bytes",
        "record",
        "hash",
    ];

    fn into_head(self) -> Result<OutboxHead> {
        let hash = self
            .hash
            .or(self.record.map(|r| r.hash))
            .ok_or_else(|| StorageError::decode("outbox entry without a hash"))?;
        Ok(OutboxHead {
            key: self.key,
            visit_id: self.visit_id,
            revision: self.revision,
            hash,
        })
    }
}

/// A stored entry's record as the JSON text to send: as stored, or for an
/// entry an earlier app queued, the browser's `JSON.stringify` of its
/// record object. The server recomputes every content hash, so the text
/// need not be canonical.
fn record_text(entry: &JsValue) -> Result<String> {
    if let Some(text) = field(entry, "record_json").as_string() {
        return Ok(text);
    }
    let record = field(entry, "record");
    if record.is_undefined() {
        return Err(StorageError::decode("outbox entry without a record"));
    }
    Ok(js_sys::JSON::stringify(&record)
        .map_err(|_| StorageError::decode("record not JSON"))?
        .into())
}

/// Meta key set once the outbox has been filled from the summaries stored
/// as waiting without an entry: visits already waiting when the store was
/// created (schema 3 → 4), and, once more when confirmations began to be
/// derived from the outbox ([`derived_status`]; the key was
/// `outbox_backfilled` before), any an older app left there (an edit taken
/// back, the app closed before the draft was saved): they were never sent,
/// and would otherwise read as confirmed.
const BACKFILLED: &str = "outbox_backfilled_2";

/// Meta keys of the attempt marks: the outbox entries a push may have
/// carried that no receipt has settled yet. One record per batch taken,
/// `outbox_sent/<id>`, holding its entries' keys: put once when the batch
/// is taken, deleted when its receipt settles it, so a batch costs one
/// small write whatever else is in flight (not a rewrite of every entry
/// and its visit, nor of one map of every mark). Marks an earlier app kept
/// stay valid until settled: `attempts` on the entry, or one map under
/// `outbox_sent` itself (key → count).
const SENT: &str = "outbox_sent";

/// Summaries per transaction of [`DeviceStore::record_confirmations`].
const RECORD_CHUNK: usize = 200;

/// Every attempt mark's meta key: [`SENT`] itself and `SENT/…` (`0`
/// follows `/`, and no other meta key starts with `SENT0`).
fn sent_range() -> KeyRange<String> {
    KeyRange::Bound(SENT.to_string(), false, format!("{SENT}0"), true)
}

/// Meta key prefix (then the account): a place in that account's queue
/// (`queued_ms`) that every entry before it had left when a batch was last
/// settled. Only a hint, checked before each use ([`queue_start`]).
const HEAD: &str = "outbox_head/";

/// Where a sync's first batch is read from in `account`'s queue: from the
/// stored head if no entry of the account lies before it (the entries from
/// it on are all of the account's), else from the start. A read from the
/// start crosses the index entries of every revision sent since Chromium's
/// last sweep ([`outbox_len_in`]).
async fn queue_start(
    outbox: &ObjectStore<'_>,
    meta: &ObjectStore<'_>,
    account: &str,
) -> Result<Option<f64>> {
    let Some(head) = get_as::<f64>(meta, &format!("{HEAD}{account}")).await? else {
        return Ok(None);
    };
    let all = outbox_len_in(outbox, account).await?;
    let from_head = outbox
        .index(indexes::BY_ACCOUNT_QUEUED)?
        .count()
        .with_query::<AccountKey, _>(account_range_from(account, head))
        .primitive()?
        .await?;
    Ok((from_head == all).then_some(head))
}

/// Every attempt mark: its meta key and the outbox keys it names.
async fn sent_marks(meta: &ObjectStore<'_>) -> Result<Vec<(String, Vec<String>)>> {
    let keys: Vec<String> = meta
        .get_all_keys::<String>()
        .with_query::<String, _>(sent_range())
        .primitive()?
        .await?
        .collect::<std::result::Result<_, _>>()?;
    let marks: Vec<JsValue> = meta
        .get_all()
        .with_query::<String, _>(sent_range())
        .primitive()?
        .await?
        .collect::<std::result::Result<_, _>>()?;
    Ok(keys
        .into_iter()
        .zip(marks.iter().map(marked_keys))
        .collect())
}

/// The outbox keys one attempt mark names: an array of them, or the map
/// (key → count) an earlier app kept.
fn marked_keys(mark: &JsValue) -> Vec<String> {
    use wasm_bindgen::JsCast;
    let keys: js_sys::Array = if js_sys::Array::is_array(mark) {
        mark.clone().unchecked_into()
    } else if mark.is_object() {
        js_sys::Object::keys(mark.unchecked_ref::<js_sys::Object>()).unchecked_into()
    } else {
        js_sys::Array::new()
    };
    keys.iter().filter_map(|k| k.as_string()).collect()
}

impl DeviceStore {
    /// How many revisions wait to be sent (one count, no records read).
    pub async fn outbox_len(&self) -> Result<u32> {
        self.count_of(stores::OUTBOX).await
    }

    /// The next batch in queue order, marked as sent (one [`SENT`] record)
    /// in the same transaction that reads it. From then on an edit
    /// of that visit makes a new revision, since the server may hold this
    /// one whatever happens to the request.
    ///
    /// The records are not decoded: each goes out as the JSON text stored
    /// with it ([`record_text`]; decoding 200 whole visits into Rust and
    /// writing them back cost most of a sync's time).
    ///
    /// Only `account`'s entries: another officer's visits wait for them.
    pub async fn take_batch(&self, account: &str) -> Result<TakenBatch> {
        self.take_batch_after(account, None).await
    }

    /// The next batch after `in_flight` (a batch pushed whose receipt is
    /// still awaited: a sync sends the next batch meanwhile), read from
    /// where it ended in the queue. An entry queued before it and still
    /// there (the server's answer left it pending) waits for the next run.
    pub async fn take_batch_after(
        &self,
        account: &str,
        in_flight: Option<&TakenBatch>,
    ) -> Result<TakenBatch> {
        // From the in-flight batch's last place in the queue, inclusive:
        // entries queued in the same millisecond may not all be in it.
        let last = in_flight.and_then(|b| b.queued.iter().copied().reduce(f64::max));
        let skip: HashSet<&str> = in_flight
            .into_iter()
            .flat_map(|b| b.heads.iter().zip(&b.queued))
            .filter(|(_, q)| Some(**q) == last)
            .map(|(h, _)| h.key.as_str())
            .collect();
        timing_start("htx-sync-take-read");
        let tx = self.tx(&[stores::OUTBOX, stores::META], true)?;
        let store = tx.object_store(stores::OUTBOX)?;
        let meta = tx.object_store(stores::META)?;
        let start = match last {
            Some(q) => Some(q),
            None => queue_start(&store, &meta, account).await?,
        };
        let range = match start {
            Some(q) => account_range_from(account, q),
            None => account_range(account),
        };
        let index = store.index(indexes::BY_ACCOUNT_QUEUED)?;
        let read: Vec<JsValue> = index
            .get_all()
            .with_query::<AccountKey, _>(range)
            .with_limit((htx_core::outbox::MAX_BATCH_RECORDS + skip.len()) as u32)
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        timing_end("htx-sync-take-read");
        timing_start("htx-sync-take-text");
        let entries: js_sys::Array = read.iter().collect();
        let heads: Vec<StoredHead> = from_js_fields(&entries, StoredHead::FIELDS)?;
        let (raw, mut stored): (Vec<JsValue>, Vec<StoredHead>) = read
            .into_iter()
            .zip(heads)
            .filter(|(_, h)| !skip.contains(h.key.as_str()))
            .unzip();
        let mut texts = raw.iter().map(record_text).collect::<Result<Vec<_>>>()?;
        let mut named: Vec<Vec<String>> = raw
            .iter()
            .map(super::photos::names_in_outbox_entry)
            .collect();
        let planned: Vec<(usize, usize)> = stored
            .iter()
            .zip(&texts)
            .zip(&named)
            .map(|((h, t), p)| (OutboxEntry::planned_len(h.bytes, t), p.len()))
            .collect();
        let n = batch_len(&planned);
        stored.truncate(n);
        texts.truncate(n);
        named.truncate(n);
        timing_end("htx-sync-take-text");
        timing_start("htx-sync-take-mark");
        let mark = (n > 0).then(|| format!("{SENT}/{}", Uuid::now_v7()));
        if let Some(mark) = &mark {
            let keys: Vec<&str> = stored.iter().map(|h| h.key.as_str()).collect();
            put_keyed(&meta, mark, &keys)?;
        }
        tx.commit().await?;
        timing_end("htx-sync-take-mark");
        let records_json = format!("[{}]", texts.join(","));
        let photos = named.into_iter().flatten().collect();
        let queued = stored.iter().map(|h| h.queued_ms).collect();
        let heads = stored
            .into_iter()
            .map(StoredHead::into_head)
            .collect::<Result<_>>()?;
        Ok(TakenBatch {
            heads,
            records_json,
            photos,
            queued,
            mark,
        })
    }

    /// Removes the attempt mark of a batch taken but never sent (the run
    /// ended before its turn), so an edit of its visits changes their
    /// revision in place again. Marks of earlier pushes of the same entries
    /// are records of their own, and stay.
    pub async fn unmark_unsent(&self, batch: &TakenBatch) -> Result<()> {
        let Some(mark) = &batch.mark else {
            return Ok(());
        };
        let tx = self.tx(&[stores::META], true)?;
        tx.object_store(stores::META)?
            .delete(mark.as_str())
            .primitive()?;
        tx.commit().await?;
        Ok(())
    }

    /// Before a final visit is edited: takes its revision back out of the
    /// outbox if it was never sent. Returns whether it had been sent (then
    /// the edit must be a new revision). One transaction, so a sync running
    /// at the same moment either got it first (sent) or never sees it. The
    /// summary becomes a draft in the same transaction: a waiting summary
    /// out of the outbox reads as confirmed ([`derived_status`]), which a
    /// revision taken back is not, even if the app stops before the form
    /// saves the draft.
    pub async fn take_back(&self, id: Uuid, revision: u32) -> Result<bool> {
        let tx = self.tx(
            &[stores::OUTBOX, stores::META, stores::VISIT_SUMMARIES],
            true,
        )?;
        let store = tx.object_store(stores::OUTBOX)?;
        let key = OutboxEntry::key_of(id, revision);
        let entry: Option<JsValue> = store.get(key.as_str()).primitive()?.await?;
        let sent = match entry {
            None => false,
            // Counted on the entry by an earlier app.
            Some(e) if field(&e, "attempts").as_f64().unwrap_or(0.0) > 0.0 => true,
            Some(_)
                if sent_marks(&tx.object_store(stores::META)?)
                    .await?
                    .iter()
                    .any(|(_, keys)| keys.contains(&key)) =>
            {
                true
            }
            Some(_) => {
                store.delete(key.as_str()).primitive()?;
                let summaries = tx.object_store(stores::VISIT_SUMMARIES)?;
                let stored: Option<JsValue> =
                    summaries.get(id.to_string().as_str()).primitive()?.await?;
                if let Some(s) = stored {
                    if field(&s, "revision").as_f64() == Some(f64::from(revision)) {
                        set_field(
                            &s,
                            "status",
                            &JsValue::from_str(LocalStatus::Draft.as_str()),
                        )?;
                        summaries.put(&s).primitive()?;
                    }
                }
                false
            }
        };
        tx.commit().await?;
        Ok(sent)
    }

    /// Records what became of sent entries: settled ones leave the outbox;
    /// pending ones stay queued. A confirmed entry's leaving is its whole
    /// record: its waiting summary now reads as confirmed
    /// ([`derived_status`]), so a receipt for 200 visits costs one delete,
    /// not 200 summary writes. A refused, conflicting or returned one writes
    /// its summary's new state in the same transaction (unless the officer
    /// has moved on to a newer revision meanwhile). The visits themselves
    /// are never touched: nothing is deleted by sync.
    pub async fn settle(&self, results: &[(OutboxHead, Settlement)]) -> Result<()> {
        self.settle_at(results, None).await
    }

    /// [`settle`](Self::settle) for a whole batch `account` took: once every
    /// entry of it has left, the queue's head ([`HEAD`]) moves past it, so
    /// the next sync reads from there.
    pub async fn settle_batch(
        &self,
        account: &str,
        batch: &TakenBatch,
        results: &[(OutboxHead, Settlement)],
    ) -> Result<()> {
        let passed = results.iter().all(|(_, s)| s.is_final());
        let head = batch.queued.iter().copied().reduce(f64::max);
        self.settle_at(results, head.filter(|_| passed).map(|h| (account, h)))
            .await
    }

    async fn settle_at(
        &self,
        results: &[(OutboxHead, Settlement)],
        head: Option<(&str, f64)>,
    ) -> Result<()> {
        let tx = self.tx(
            &[stores::OUTBOX, stores::VISIT_SUMMARIES, stores::META],
            true,
        )?;
        let outbox = tx.object_store(stores::OUTBOX)?;
        let summaries = tx.object_store(stores::VISIT_SUMMARIES)?;
        let settled: Vec<&(OutboxHead, Settlement)> =
            results.iter().filter(|(_, s)| s.is_final()).collect();
        timing_start("htx-sync-settle-marks");
        if !settled.is_empty() {
            // Every mark naming a settled entry, this batch's and any
            // earlier push's that left it pending: a mark is deleted once
            // all its entries have left, rewritten with the rest before.
            let meta = tx.object_store(stores::META)?;
            let gone: HashSet<&str> = settled.iter().map(|(e, _)| e.key.as_str()).collect();
            for (mark, keys) in sent_marks(&meta).await? {
                let left: Vec<&String> =
                    keys.iter().filter(|k| !gone.contains(k.as_str())).collect();
                if left.is_empty() {
                    meta.delete(mark.as_str()).primitive()?;
                } else if left.len() < keys.len() {
                    put_keyed(&meta, &mark, &left)?;
                }
            }
        }
        if let Some((account, q)) = head {
            put_keyed(
                &tx.object_store(stores::META)?,
                &format!("{HEAD}{account}"),
                &q,
            )?;
        }
        timing_end("htx-sync-settle-marks");
        timing_start("htx-sync-settle-delete");
        let keys: Vec<&str> = settled.iter().map(|(e, _)| e.key.as_str()).collect();
        delete_keys(&outbox, &keys).await?;
        timing_end("htx-sync-settle-delete");
        timing_start("htx-sync-settle-write");
        let refused: Vec<&(OutboxHead, Settlement)> = settled
            .into_iter()
            .filter(|(_, s)| *s != Settlement::Confirmed)
            .collect();
        let ids: Vec<String> = refused
            .iter()
            .map(|(e, _)| e.visit_id.to_string())
            .collect();
        let current = summaries_by_id(&summaries, &ids).await?;
        // The stored summaries are changed in place, as objects: only the
        // fields a settlement sets ([`VisitSummary`]'s `status`, `problems`,
        // `review_comment`), without decoding and encoding each summary.
        // Looked up, not taken: two revisions of one visit may settle together.
        for ((entry, settlement), id) in refused.into_iter().zip(&ids) {
            let summary = current.get(id.as_str()).cloned();
            let Some(status) = settlement.status() else {
                continue;
            };
            let Some(s) = summary else { continue };
            let stored_revision = field(&s, "revision").as_f64();
            if stored_revision != Some(f64::from(entry.revision))
                || field(&s, "status").as_string().as_deref() != Some(LocalStatus::Waiting.as_str())
            {
                continue;
            }
            set_field(&s, "status", &JsValue::from_str(status.as_str()))?;
            let problems = match settlement {
                Settlement::Rejected { errors } => to_js(errors)?,
                _ => js_sys::Array::new().into(),
            };
            set_field(&s, "problems", &problems)?;
            if let Settlement::Returned { comment } = settlement {
                set_field(&s, "review_comment", &JsValue::from_str(comment))?;
            }
            summaries.put(&s).primitive()?;
        }
        timing_end("htx-sync-settle-write");
        timing_start("htx-sync-settle-commit");
        tx.commit().await?;
        timing_end("htx-sync-settle-commit");
        Ok(())
    }

    /// Writes "confirmed" into `account`'s stored summaries that read as
    /// confirmed ([`derived_status`]), so the state index counts and lists
    /// them directly again. Returns how many. Only a cache of what the
    /// outbox already says: it runs after a sync, off its critical path, in
    /// transactions of [`RECORD_CHUNK`] summaries, so an autosave never
    /// waits long behind one.
    pub async fn record_confirmations(&self, account: &str) -> Result<u32> {
        use super::accounts::account_key;
        // Keys only (decoding thousands of summaries would hold up the page):
        // the waiting summaries of visits with nothing in the outbox.
        let found: Vec<String> = {
            let tx = self.tx(&[stores::OUTBOX, stores::VISIT_SUMMARIES], false)?;
            let waiting: Vec<String> = tx
                .object_store(stores::VISIT_SUMMARIES)?
                .index(indexes::BY_ACCOUNT_STATUS)?
                .get_all_keys::<String>()
                .with_query::<AccountKey, _>(account_key(account, LocalStatus::Waiting.as_str()))
                .primitive()?
                .await?
                .collect::<std::result::Result<_, _>>()?;
            let queued = queued_visits(&tx.object_store(stores::OUTBOX)?).await?;
            waiting
                .into_iter()
                .filter(|id| !queued.contains(id))
                .collect()
        };
        let confirmed = JsValue::from_str(LocalStatus::Confirmed.as_str());
        let waiting = Some(LocalStatus::Waiting.as_str().to_string());
        let mut n = 0;
        for ids in found.chunks(RECORD_CHUNK) {
            // Checked again inside the write: the officer may have edited
            // one, or a sync queued it again, since the read above.
            let tx = self.tx(&[stores::OUTBOX, stores::VISIT_SUMMARIES], true)?;
            let outbox = tx.object_store(stores::OUTBOX)?;
            let summaries = tx.object_store(stores::VISIT_SUMMARIES)?;
            let mut current = summaries_by_id(&summaries, ids).await?;
            let queued = queued_keys(&outbox).await?;
            for id in ids {
                let Some(s) = current.remove(id) else {
                    continue;
                };
                let (Ok(uuid), Some(revision)) =
                    (id.parse::<Uuid>(), field(&s, "revision").as_f64())
                else {
                    continue;
                };
                if field(&s, "status").as_string() == waiting
                    && !queued.contains(&OutboxEntry::key_of(uuid, revision as u32))
                {
                    set_field(&s, "status", &confirmed)?;
                    summaries.put(&s).primitive()?;
                    n += 1;
                }
            }
            tx.commit().await?;
        }
        Ok(n)
    }

    /// Fills the outbox from visits that were waiting before it existed.
    /// Runs once per device (marked in `meta`).
    pub async fn backfill_outbox(&self) -> Result<()> {
        if self.meta::<bool>(BACKFILLED).await?.unwrap_or(false) {
            return Ok(());
        }
        // As stored, not as derived: a waiting summary out of the outbox is
        // exactly what this step queues.
        let queued = {
            let tx = self.tx(&[stores::OUTBOX], false)?;
            queued_keys(&tx.object_store(stores::OUTBOX)?).await?
        };
        let waiting: Vec<VisitSummary> = self
            .get_every::<VisitSummary>(stores::VISIT_SUMMARIES)
            .await?
            .into_iter()
            .filter(|s| s.status == LocalStatus::Waiting)
            .filter(|s| !queued.contains(&OutboxEntry::key_of(s.id, s.revision)))
            .collect();
        let now = js_sys::Date::now();
        let mut entries = Vec::new();
        for s in waiting {
            if let Some(v) = self.get_visit(s.id).await? {
                if v.revision == s.revision && v.state == htx_core::VisitState::Final {
                    entries
                        .push(OutboxEntry::new(&v, &s.account, now).map_err(StorageError::decode)?);
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

/// The summaries in `store` of the visits whose ids are `keys`, by id, as
/// stored (objects, not decoded).
async fn summaries_by_id(
    store: &ObjectStore<'_>,
    keys: &[String],
) -> Result<HashMap<String, JsValue>> {
    let mut found = HashMap::with_capacity(keys.len());
    let (Some(lo), Some(hi)) = (keys.iter().min(), keys.iter().max()) else {
        return Ok(found);
    };
    // At most twice the batch: a wide range falls back to reads by key.
    let near = store
        .get_all()
        .with_query::<String, _>(KeyRange::Bound(lo.clone(), false, hi.clone(), false))
        .with_limit(2 * keys.len() as u32)
        .primitive()?
        .await?;
    let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
    for s in near {
        let s = s?;
        if let Some(id) = field(&s, "id").as_string() {
            if wanted.contains(id.as_str()) {
                found.insert(id, s);
            }
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
            found.insert(k.clone(), r);
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
    outbox: &ObjectStore<'_>,
    reviews: &[ReviewOutcome],
) -> Result<()> {
    for r in reviews {
        let id = r.visit_id.to_string();
        let Some(mut s) = get_as::<VisitSummary>(summaries, &id).await? else {
            continue;
        };
        derive_states(outbox, std::slice::from_mut(&mut s)).await?;
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
        let entry =
            OutboxEntry::new(visit, &summary.account, now_ms).map_err(StorageError::decode)?;
        outbox.put(to_js(&entry)?).primitive()?;
    }
    Ok(())
}

/// Every outbox key on the device (`"<visit id>/<revision>"`), keys only.
pub(super) async fn queued_keys(outbox: &ObjectStore<'_>) -> Result<HashSet<String>> {
    Ok(outbox
        .get_all_keys::<String>()
        .primitive()?
        .await?
        .collect::<std::result::Result<_, _>>()?)
}

/// The visits (ids) with anything in the outbox, from its keys.
pub(super) async fn queued_visits(outbox: &ObjectStore<'_>) -> Result<HashSet<String>> {
    Ok(queued_keys(outbox)
        .await?
        .into_iter()
        .filter_map(|k| k.split_once('/').map(|(id, _)| id.to_string()))
        .collect())
}

/// Above this many waiting summaries, [`derive_states`] reads every
/// outbox key once instead of asking about each summary's own.
const LOOKUPS_MAX: usize = 64;

/// Gives each summary the state it is in ([`derived_status`]): a waiting
/// one whose revision has left the outbox was confirmed by a receipt.
pub(super) async fn derive_states(
    outbox: &ObjectStore<'_>,
    summaries: &mut [VisitSummary],
) -> Result<()> {
    let waiting: Vec<usize> = (0..summaries.len())
        .filter(|&i| summaries[i].status == LocalStatus::Waiting)
        .collect();
    let key = |i: usize| OutboxEntry::key_of(summaries[i].id, summaries[i].revision);
    let queued: Vec<bool> = if waiting.len() > LOOKUPS_MAX {
        let keys = queued_keys(outbox).await?;
        waiting.iter().map(|&i| keys.contains(&key(i))).collect()
    } else {
        // Every lookup in flight at once: one at a time costs a round trip each.
        let mut counts = Vec::with_capacity(waiting.len());
        for &i in &waiting {
            counts.push(outbox.count().with_query::<String, _>(key(i)).primitive()?);
        }
        futures::future::join_all(counts)
            .await
            .into_iter()
            .map(|n| n.map(|n| n > 0))
            .collect::<std::result::Result<_, _>>()?
    };
    for (i, q) in waiting.into_iter().zip(queued) {
        summaries[i].status = derived_status(summaries[i].status, q);
    }
    Ok(())
}
