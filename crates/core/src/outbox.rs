//! The device's outbox (hộp thư đi): final visit revisions waiting for the
//! server, and the rules of sending them. Plain Rust so the rules are tested
//! natively; the browser glue only stores entries and does the HTTP calls.
//!
//! The promise: an entry leaves the outbox only when the server's receipt
//! says it holds that exact revision (or the server refused it for good:
//! rejected or conflicting, which the officer then sees and fixes). Whatever
//! happens in between (a cut connection, a killed server, a closed tab) the
//! entry is sent again, and the server answers "duplicate" for what it
//! already has.

use crate::device::LocalStatus;
use crate::hash::ContentHash;
use crate::problem::ValidationError;
use crate::review::{ReviewDecision, ReviewOutcome};
use crate::sync::{ReceiptStatus, RecordKey, RecordOutcome, VisitRevision};
use crate::visit::Visit;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Records per push (the server refuses more with 413). Each batch costs
/// the device two IndexedDB transactions and two requests whatever its
/// size, so a long backlog of small records goes faster in large batches;
/// real visits reach [`MAX_BATCH_BYTES`] or [`MAX_BATCH_PHOTOS`] first.
pub const MAX_BATCH_RECORDS: usize = 500;
/// Photos named by one batch: the device uploads them just before pushing
/// it, and until it is stored the server counts them against the account's
/// quota of unnamed photos (5,000 by default).
pub const MAX_BATCH_PHOTOS: usize = 4_000;
/// Bytes of JSON per push, after decompression (the server refuses more with 413).
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;
/// Room left for the batch envelope (ids, times) under [`MAX_BATCH_BYTES`].
const ENVELOPE_BYTES: usize = 4 * 1024;

/// One final revision waiting to be sent, frozen when it was finalized: a
/// later edit of the visit makes a new entry, it never changes this one.
///
/// The record is kept as its JSON text: taking a batch then reads strings
/// and joins them, instead of reading each visit back as an object and
/// writing it out again. Entries queued by earlier versions of the app hold
/// the record as an object (`record`) instead of `hash`, `photos` and
/// `record_json`; the device reads both (see its storage's outbox).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OutboxEntry {
    /// `"<visit id>/<revision, 10 digits>"`, see [`OutboxEntry::key_of`].
    pub key: String,
    pub visit_id: Uuid,
    pub revision: u32,
    /// Sending order: milliseconds since the epoch when queued.
    pub queued_ms: f64,
    /// Push attempts so far. Once non-zero the server may hold this
    /// revision, so an edit must become a new revision (see [`edit_mode`]).
    #[serde(default)]
    pub attempts: u32,
    /// Length of `record_json` (batches are planned by it).
    #[serde(default)]
    pub bytes: u32,
    /// The account whose visit this is ([`crate::device::VisitSummary::account`]):
    /// a sync sends only the signed-in account's entries.
    #[serde(default)]
    pub account: String,
    /// The record's content hash ([`VisitRevision::hash`]).
    pub hash: ContentHash,
    /// The photos (SHA-256) the record names: uploaded before it.
    #[serde(default)]
    pub photos: Vec<String>,
    /// The [`VisitRevision`] as JSON, sent as it is.
    pub record_json: String,
}

impl OutboxEntry {
    pub fn new(visit: &Visit, account: &str, queued_ms: f64) -> serde_json::Result<OutboxEntry> {
        let record = VisitRevision::new(visit.clone());
        let record_json = serde_json::to_string(&record)?;
        Ok(OutboxEntry {
            key: Self::key_of(visit.id, visit.revision),
            visit_id: visit.id,
            revision: visit.revision,
            queued_ms,
            attempts: 0,
            bytes: record_json.len() as u32,
            account: account.to_string(),
            hash: record.hash,
            photos: visit.photos.iter().map(|p| p.sha256.clone()).collect(),
            record_json,
        })
    }

    /// The size [`batch_len`] plans by for a stored entry: its `bytes`, or
    /// for entries queued before sizes were stored, the length of `text`
    /// (the record's JSON as it will be sent).
    pub fn planned_len(bytes: u32, text: &str) -> usize {
        if bytes > 0 {
            bytes as usize
        } else {
            text.len()
        }
    }

    /// Sorts by visit then revision, so one visit's revisions are adjacent
    /// and in order.
    pub fn key_of(id: Uuid, revision: u32) -> String {
        format!("{id}/{revision:010}")
    }

    pub fn record_key(&self) -> RecordKey {
        RecordKey {
            id: self.visit_id,
            revision: self.revision,
        }
    }

    /// What the sync keeps of this entry while its record is on the wire.
    pub fn head(&self) -> OutboxHead {
        OutboxHead {
            key: self.key.clone(),
            visit_id: self.visit_id,
            revision: self.revision,
            hash: self.hash.clone(),
        }
    }
}

/// An entry as the sync settles it: everything but the record itself, which
/// the device sends as it was stored (it is never decoded to be sent).
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxHead {
    pub key: String,
    pub visit_id: Uuid,
    pub revision: u32,
    /// The record's content hash, as queued.
    pub hash: ContentHash,
}

impl OutboxHead {
    pub fn record_key(&self) -> RecordKey {
        RecordKey {
            id: self.visit_id,
            revision: self.revision,
        }
    }
}

/// The state a visit is in, from its stored summary's state and whether
/// that summary's revision is still in the outbox. A receipt confirms a
/// batch by taking its entries out of the outbox (one delete) and leaves
/// the summaries as they were: a "waiting" summary whose revision has left
/// the outbox is confirmed. Every other way out of the outbox (a refusal, a
/// conflict, a returned visit, an edit of a revision never sent) writes the
/// summary's new state in the same transaction, so only a receipt leaves a
/// waiting summary behind.
pub fn derived_status(stored: LocalStatus, queued: bool) -> LocalStatus {
    match stored {
        LocalStatus::Waiting if !queued => LocalStatus::Confirmed,
        s => s,
    }
}

/// How the form must treat an edit of a final visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditMode {
    /// Change this revision in place: the server has never seen it.
    SameRevision,
    /// Start the next revision: the server holds (or may hold) this one.
    NextRevision,
}

/// `status` is the visit's local state; `sent` whether an outbox entry of
/// this revision has been pushed at least once (it may have arrived even if
/// no answer came back).
pub fn edit_mode(status: LocalStatus, sent: bool) -> EditMode {
    match status {
        LocalStatus::Draft | LocalStatus::Rejected => EditMode::SameRevision,
        LocalStatus::Waiting if !sent => EditMode::SameRevision,
        LocalStatus::Waiting
        | LocalStatus::Confirmed
        | LocalStatus::Conflict
        | LocalStatus::Returned => EditMode::NextRevision,
    }
}

/// How many of `entries` (for each queued record in order: its JSON bytes
/// and the photos it names) go in the next batch: at most
/// [`MAX_BATCH_RECORDS`], [`MAX_BATCH_BYTES`] and [`MAX_BATCH_PHOTOS`], and
/// at least one, so even an oversized record is tried (and refused by the
/// server, visibly) instead of blocking the queue forever.
pub fn batch_len(entries: &[(usize, usize)]) -> usize {
    let mut bytes = ENVELOPE_BYTES;
    let mut photos = 0;
    let mut n = 0;
    for &(size, named) in entries.iter().take(MAX_BATCH_RECORDS) {
        // +1 for the comma between records.
        if n > 0 && (bytes + size + 1 > MAX_BATCH_BYTES || photos + named > MAX_BATCH_PHOTOS) {
            break;
        }
        bytes += size + 1;
        photos += named;
        n += 1;
    }
    n
}

/// What became of one sent entry, decided from the push answer and the
/// receipt answer together.
#[derive(Clone, Debug, PartialEq)]
pub enum Settlement {
    /// The receipt shows the server holds exactly this content: done.
    Confirmed,
    /// The server holds it and a reviewer has already sent it back.
    Returned { comment: String },
    /// The server refused it; the officer must fix it.
    Rejected { errors: Vec<ValidationError> },
    /// The server holds other content under this revision.
    Conflict,
    /// No proof either way (no answer, or stored but not in the receipt):
    /// stays in the outbox and is sent again.
    Pending,
}

impl Settlement {
    /// The local state a visit takes, `None` while it stays waiting.
    pub fn status(&self) -> Option<LocalStatus> {
        match self {
            Settlement::Confirmed => Some(LocalStatus::Confirmed),
            Settlement::Returned { .. } => Some(LocalStatus::Returned),
            Settlement::Rejected { .. } => Some(LocalStatus::Rejected),
            Settlement::Conflict => Some(LocalStatus::Conflict),
            Settlement::Pending => None,
        }
    }

    /// Whether the entry leaves the outbox.
    pub fn is_final(&self) -> bool {
        !matches!(self, Settlement::Pending)
    }
}

/// The settlement of a record the server refused as too large to receive
/// (413 for a batch of that record alone): it cannot ever be sent as it is,
/// so it leaves the queue as rejected, with the reason, instead of blocking
/// every visit queued after it.
pub fn too_large() -> Settlement {
    Settlement::Rejected {
        errors: vec![ValidationError::new(
            "",
            crate::problem::ErrorCode::TooLong,
            "Chuyến khảo sát quá lớn để gửi (trên 1 MB): hãy rút gọn ghi chú rồi hoàn tất lại",
            "The visit is too large to send (over 1 MB): shorten the notes and finalize it again",
        )],
    }
}

/// Decides one entry. A push answer alone never confirms: only a receipt
/// with the same hash does (the push answer may describe an older attempt
/// or be cut short; the receipt is read after the fact).
pub fn settle(
    entry: &OutboxHead,
    outcome: Option<&RecordOutcome>,
    receipt: Option<&ReceiptStatus>,
) -> Settlement {
    match outcome {
        Some(RecordOutcome::Rejected { errors }) => {
            return Settlement::Rejected {
                errors: errors.clone(),
            }
        }
        Some(RecordOutcome::Conflict { .. }) => return Settlement::Conflict,
        _ => {}
    }
    let Some(held) = receipt.and_then(|r| r.receipt.as_ref()) else {
        return Settlement::Pending;
    };
    if held.key != entry.record_key() {
        return Settlement::Pending;
    }
    if held.hash != entry.hash {
        return Settlement::Conflict;
    }
    match receipt.and_then(|r| r.review.as_ref()) {
        Some(ReviewOutcome {
            decision: ReviewDecision::Returned,
            comment,
            ..
        }) => Settlement::Returned {
            comment: comment.clone(),
        },
        _ => Settlement::Confirmed,
    }
}

/// Wait before retry number `attempt` (1 = first retry) after a failed sync:
/// exponential from 2 s, capped at 5 minutes, with "equal jitter" (half
/// fixed, half random) so a hundred phones coming back online together do
/// not retry in step. `random` is uniform in `[0, 1)`.
pub fn backoff_ms(attempt: u32, random: f64) -> u64 {
    const BASE_MS: u64 = 2_000;
    const CAP_MS: u64 = 5 * 60 * 1000;
    let exp = BASE_MS.saturating_mul(1u64 << attempt.saturating_sub(1).min(20));
    let d = exp.min(CAP_MS);
    let r = random.clamp(0.0, 1.0 - f64::EPSILON);
    d / 2 + ((d / 2) as f64 * r) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::ContentHash;
    use crate::sync::Receipt;
    use crate::time::VN_OFFSET;
    use crate::visit::VisitState;
    use chrono::TimeZone;

    fn final_visit() -> Visit {
        let t = VN_OFFSET.with_ymd_and_hms(2025, 9, 3, 8, 0, 0).unwrap();
        let mut v = Visit::new_draft(Uuid::now_v7(), Uuid::nil(), "canbo1", t);
        v.state = VisitState::Final;
        v
    }

    fn started_at() -> chrono::DateTime<chrono::FixedOffset> {
        final_visit().started_at
    }

    fn receipt_for(
        e: &OutboxEntry,
        hash: &ContentHash,
        review: Option<ReviewOutcome>,
    ) -> ReceiptStatus {
        ReceiptStatus {
            key: e.record_key(),
            receipt: Some(Receipt {
                key: e.record_key(),
                hash: hash.clone(),
                received_at: started_at(),
            }),
            review,
        }
    }

    fn entry() -> OutboxEntry {
        OutboxEntry::new(&final_visit(), "canbo1", 1.0).unwrap()
    }

    #[test]
    fn entries_know_their_size() {
        let e = entry();
        let json = &e.record_json;
        assert_eq!(OutboxEntry::planned_len(e.bytes, json), json.len());
        let old = OutboxEntry {
            bytes: 0,
            ..e.clone()
        };
        assert_eq!(
            OutboxEntry::planned_len(old.bytes, json),
            OutboxEntry::planned_len(e.bytes, json)
        );
    }

    #[test]
    fn an_entry_holds_its_record_as_sent_and_names_its_photos() {
        let mut v = final_visit();
        v.photos.push(crate::visit::PhotoRef {
            id: Uuid::now_v7(),
            sha256: "ab".repeat(32),
            caption: String::new(),
        });
        let e = OutboxEntry::new(&v, "canbo1", 1.0).unwrap();
        let record: VisitRevision = serde_json::from_str(&e.record_json).unwrap();
        assert_eq!(record, VisitRevision::new(v.clone()));
        assert_eq!((&e.hash, e.record_key()), (&record.hash, record.key()));
        assert_eq!(e.photos, vec!["ab".repeat(32)]);
    }

    #[test]
    fn a_head_names_the_same_record() {
        let e = entry();
        let h = e.head();
        assert_eq!(
            (h.record_key(), &h.hash, &h.key),
            (e.record_key(), &e.hash, &e.key)
        );
    }

    #[test]
    fn keys_sort_by_visit_then_revision() {
        let id = Uuid::now_v7();
        let (a, b) = (OutboxEntry::key_of(id, 9), OutboxEntry::key_of(id, 10));
        assert!(a < b, "{a} < {b}");
        assert!(a.starts_with(&id.to_string()));
    }

    #[test]
    fn only_a_receipt_with_the_same_hash_confirms() {
        let e = entry();
        let accepted = RecordOutcome::Accepted {
            receipt: Receipt {
                key: e.record_key(),
                hash: e.hash.clone(),
                received_at: started_at(),
            },
        };
        // Accepted but no receipt (the receipt call failed): stays queued.
        assert_eq!(
            settle(&e.head(), Some(&accepted), None),
            Settlement::Pending
        );
        // No push answer at all (cut connection) but the receipt shows it arrived.
        assert_eq!(
            settle(&e.head(), None, Some(&receipt_for(&e, &e.hash, None))),
            Settlement::Confirmed
        );
        // The receipt says the server does not hold it.
        let missing = ReceiptStatus {
            key: e.record_key(),
            receipt: None,
            review: None,
        };
        assert_eq!(
            settle(&e.head(), Some(&accepted), Some(&missing)),
            Settlement::Pending
        );
        // Held with other content: a conflict, not a confirmation.
        let other = ContentHash::of_bytes(b"other");
        assert_eq!(
            settle(&e.head(), None, Some(&receipt_for(&e, &other, None))),
            Settlement::Conflict
        );
        assert!(!Settlement::Pending.is_final() && Settlement::Conflict.is_final());
    }

    #[test]
    fn a_waiting_revision_out_of_the_outbox_is_confirmed() {
        assert_eq!(
            derived_status(LocalStatus::Waiting, true),
            LocalStatus::Waiting
        );
        assert_eq!(
            derived_status(LocalStatus::Waiting, false),
            LocalStatus::Confirmed
        );
        // Only "waiting" derives: every other state was written as it is.
        for s in LocalStatus::ALL {
            if s != LocalStatus::Waiting {
                assert_eq!(derived_status(s, false), s);
                assert_eq!(derived_status(s, true), s);
            }
        }
    }

    #[test]
    fn refusals_settle_without_a_receipt_and_reviews_show() {
        let e = entry();
        let errors = vec![ValidationError::new(
            "facts.members",
            crate::problem::ErrorCode::Required,
            "Thiếu",
            "Missing",
        )];
        let s = settle(
            &e.head(),
            Some(&RecordOutcome::Rejected {
                errors: errors.clone(),
            }),
            None,
        );
        assert_eq!(s, Settlement::Rejected { errors });
        assert_eq!(s.status(), Some(LocalStatus::Rejected));
        let c = RecordOutcome::Conflict {
            server_hash: ContentHash::of_bytes(b"x"),
        };
        assert_eq!(
            settle(&e.head(), Some(&c), None).status(),
            Some(LocalStatus::Conflict)
        );
        let review = ReviewOutcome {
            visit_id: e.visit_id,
            revision: e.revision,
            decision: ReviewDecision::Returned,
            comment: "Thiếu số thành viên".into(),
            reviewer: "lmhtx1".into(),
            reviewed_at: started_at(),
        };
        let s = settle(
            &e.head(),
            None,
            Some(&receipt_for(&e, &e.hash, Some(review))),
        );
        assert_eq!(
            s,
            Settlement::Returned {
                comment: "Thiếu số thành viên".into()
            }
        );
    }

    #[test]
    fn a_record_too_large_to_send_is_rejected_not_retried() {
        let s = too_large();
        assert!(s.is_final(), "it must leave the queue");
        assert_eq!(s.status(), Some(LocalStatus::Rejected));
        let Settlement::Rejected { errors } = s else {
            unreachable!()
        };
        assert!(errors[0].message_vi.contains("quá lớn"));
    }

    #[test]
    fn edits_after_a_send_attempt_are_new_revisions() {
        assert_eq!(edit_mode(LocalStatus::Draft, false), EditMode::SameRevision);
        assert_eq!(
            edit_mode(LocalStatus::Waiting, false),
            EditMode::SameRevision
        );
        assert_eq!(
            edit_mode(LocalStatus::Waiting, true),
            EditMode::NextRevision
        );
        assert_eq!(
            edit_mode(LocalStatus::Rejected, true),
            EditMode::SameRevision
        );
        for s in [
            LocalStatus::Confirmed,
            LocalStatus::Conflict,
            LocalStatus::Returned,
        ] {
            assert_eq!(edit_mode(s, false), EditMode::NextRevision);
        }
    }

    #[test]
    fn batches_respect_both_limits_and_never_stall() {
        assert_eq!(batch_len(&[]), 0);
        assert_eq!(batch_len(&[(1_000, 0); 700]), MAX_BATCH_RECORDS);
        // 100 KB records: ten fit under 1 MiB with the envelope, not eleven.
        assert_eq!(batch_len(&[(100_000, 0); 50]), 10);
        // Visits with 20 photos each: 200 of them name the most a batch may.
        assert_eq!(batch_len(&[(1_000, 20); 300]), 200);
        assert_eq!(batch_len(&[(1_000, 19); 300]), 210);
        // One record larger than a batch is still sent alone (and refused visibly).
        assert_eq!(batch_len(&[(2 * MAX_BATCH_BYTES, 0), (10, 0)]), 1);
        assert_eq!(batch_len(&[(10, MAX_BATCH_PHOTOS + 1), (10, 0)]), 1);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        assert_eq!(backoff_ms(1, 0.0), 1_000);
        assert_eq!(backoff_ms(1, 0.999_999), 1_999);
        assert_eq!(backoff_ms(2, 0.0), 2_000);
        assert_eq!(backoff_ms(3, 0.5), 6_000);
        assert_eq!(backoff_ms(30, 0.0), 150_000);
        assert!(backoff_ms(u32::MAX, 1.0) < 300_000);
        let spread: std::collections::BTreeSet<u64> =
            (0..10).map(|i| backoff_ms(5, i as f64 / 10.0)).collect();
        assert_eq!(spread.len(), 10, "jitter spreads retries");
    }
}
