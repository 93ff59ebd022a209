//! Sync protocol types shared by the app and the server.
//!
//! Push: the device sends visit revisions, each with a content hash; the server
//! answers per record: accepted, duplicate (same id, revision and hash: a
//! retry), conflict (same id and revision, other content), or rejected (with
//! validation errors). [`decide`] is that rule, so both sides agree on it.
//! Receipts let a device ask what the server holds; pull brings reference
//! data and review outcomes changed since a cursor.
//!
//! Content hashes: [`crate::hash`].

use crate::hash::{canonical_visit, content_hash, ContentHash};
use crate::organisation::Organisation;
use crate::place::Place;
use crate::problem::{ErrorCode, ValidationError};
use crate::review::ReviewOutcome;
use crate::rubric::Rubric;
use crate::visit::Visit;
use crate::PROTOCOL_VERSION;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Identifies one revision of one visit.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordKey {
    pub id: Uuid,
    pub revision: u32,
}

/// A visit revision as pushed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct VisitRevision {
    pub visit: Visit,
    pub hash: ContentHash,
}

impl VisitRevision {
    pub fn new(visit: Visit) -> VisitRevision {
        let hash = content_hash(&visit);
        VisitRevision { visit, hash }
    }
    pub fn key(&self) -> RecordKey {
        RecordKey {
            id: self.visit.id,
            revision: self.visit.revision,
        }
    }
    /// The hash matches the content (detects truncation / tampering / bugs).
    pub fn hash_matches(&self) -> bool {
        content_hash(&self.visit) == self.hash
    }
    /// The visit's canonical JSON if the hash matches it, else `None`: the
    /// server checks and stores a record with one serialisation, and what it
    /// stores is exactly what was hashed.
    pub fn canonical_if_matches(&self) -> Option<String> {
        let bytes = canonical_visit(&self.visit);
        (ContentHash::of_bytes(&bytes) == self.hash)
            .then(|| String::from_utf8(bytes).expect("serde_json writes UTF-8"))
    }
}

/// Opaque, monotonically increasing change sequence handed out by the server.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default,
)]
#[serde(transparent)]
pub struct Cursor(pub u64);

/// Device → server: `POST` a batch of visit revisions.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PushBatch {
    pub protocol_version: u32,
    pub device_id: Uuid,
    /// Chosen by the device; re-sending the same batch is safe (duplicates).
    pub batch_id: Uuid,
    pub sent_at: DateTime<FixedOffset>,
    pub records: Vec<VisitRevision>,
}

impl PushBatch {
    pub fn new(
        device_id: Uuid,
        batch_id: Uuid,
        sent_at: DateTime<FixedOffset>,
        visits: Vec<Visit>,
    ) -> PushBatch {
        PushBatch {
            protocol_version: PROTOCOL_VERSION,
            device_id,
            batch_id,
            sent_at,
            records: visits.into_iter().map(VisitRevision::new).collect(),
        }
    }
}

/// The server's record of having stored a revision.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub key: RecordKey,
    pub hash: ContentHash,
    pub received_at: DateTime<FixedOffset>,
}

/// Outcome for one record of a push. On the wire `{"status": "accepted",
/// "receipt": …}` and so on (internally tagged); read through
/// [`OutcomeWire`], which gives the same result without serde's buffering
/// of tagged enums (a second copy of every type inside, in the field wasm).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "snake_case", try_from = "OutcomeWire")]
pub enum RecordOutcome {
    /// Stored now.
    Accepted { receipt: Receipt },
    /// Already stored with the same hash (a retry); the original receipt.
    Duplicate { receipt: Receipt },
    /// Same id and revision already stored with other content: the device
    /// must make a new revision (see [`Visit::next_revision`]).
    Conflict { server_hash: ContentHash },
    /// Not stored.
    Rejected { errors: Vec<ValidationError> },
}

/// [`RecordOutcome`] as read: the tag and every variant's fields, each
/// variant then taking the ones it needs.
#[derive(Deserialize)]
struct OutcomeWire {
    status: OutcomeStatus,
    receipt: Option<Receipt>,
    server_hash: Option<ContentHash>,
    errors: Option<Vec<ValidationError>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum OutcomeStatus {
    Accepted,
    Duplicate,
    Conflict,
    Rejected,
}

impl TryFrom<OutcomeWire> for RecordOutcome {
    type Error = &'static str;

    fn try_from(w: OutcomeWire) -> Result<Self, Self::Error> {
        Ok(match w.status {
            OutcomeStatus::Accepted => RecordOutcome::Accepted {
                receipt: w.receipt.ok_or("missing field `receipt`")?,
            },
            OutcomeStatus::Duplicate => RecordOutcome::Duplicate {
                receipt: w.receipt.ok_or("missing field `receipt`")?,
            },
            OutcomeStatus::Conflict => RecordOutcome::Conflict {
                server_hash: w.server_hash.ok_or("missing field `server_hash`")?,
            },
            OutcomeStatus::Rejected => RecordOutcome::Rejected {
                errors: w.errors.ok_or("missing field `errors`")?,
            },
        })
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RecordResult {
    pub key: RecordKey,
    pub outcome: RecordOutcome,
}

/// Server → device answer to a [`PushBatch`], one result per record, in order.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PushResponse {
    pub protocol_version: u32,
    pub batch_id: Uuid,
    pub server_time: DateTime<FixedOffset>,
    pub results: Vec<RecordResult>,
}

/// The per-record rule. `stored` is the server's receipt for the same
/// `(id, revision)`, if any; `validation_errors` comes from
/// [`crate::validation::validate_visit`] run on the server.
pub fn decide(
    incoming: &VisitRevision,
    stored: Option<&Receipt>,
    validation_errors: Vec<ValidationError>,
    received_at: DateTime<FixedOffset>,
) -> RecordOutcome {
    if !incoming.hash_matches() {
        return hash_mismatch();
    }
    decide_verified(incoming, stored, validation_errors, received_at)
}

/// The answer to a record whose hash does not match its content.
pub fn hash_mismatch() -> RecordOutcome {
    RecordOutcome::Rejected {
        errors: vec![ValidationError::new(
            "hash",
            ErrorCode::HashMismatch,
            "Mã kiểm tra không khớp nội dung bản ghi",
            "The content hash does not match the record",
        )],
    }
}

/// [`decide`] for a record whose hash the caller has already checked: the
/// server checks it once per record, first, since hashing is the costliest
/// step of a push.
pub fn decide_verified(
    incoming: &VisitRevision,
    stored: Option<&Receipt>,
    validation_errors: Vec<ValidationError>,
    received_at: DateTime<FixedOffset>,
) -> RecordOutcome {
    if let Some(r) = stored {
        return if r.hash == incoming.hash {
            RecordOutcome::Duplicate { receipt: r.clone() }
        } else {
            RecordOutcome::Conflict {
                server_hash: r.hash.clone(),
            }
        };
    }
    if !validation_errors.is_empty() {
        return RecordOutcome::Rejected {
            errors: validation_errors,
        };
    }
    RecordOutcome::Accepted {
        receipt: Receipt {
            key: incoming.key(),
            hash: incoming.hash.clone(),
            received_at,
        },
    }
}

/// Device → server: which of these revisions do you hold?
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReceiptQuery {
    pub protocol_version: u32,
    pub keys: Vec<RecordKey>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReceiptStatus {
    pub key: RecordKey,
    /// `None`: the server does not hold this revision.
    #[serde(default)]
    pub receipt: Option<Receipt>,
    /// Latest review of this revision, if any.
    #[serde(default)]
    pub review: Option<ReviewOutcome>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReceiptResponse {
    pub protocol_version: u32,
    pub statuses: Vec<ReceiptStatus>,
}

/// Device → server: reference data and reviews changed after `since`
/// (`None`: everything).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PullRequest {
    pub protocol_version: u32,
    pub device_id: Uuid,
    #[serde(default)]
    pub since: Option<Cursor>,
    /// Upper bound on items per response; the server may return fewer.
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PullResponse {
    pub protocol_version: u32,
    /// Pass back as `since` next time.
    pub cursor: Cursor,
    /// More changes remain after `cursor`.
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub places: Vec<Place>,
    #[serde(default)]
    pub organisations: Vec<Organisation>,
    #[serde(default)]
    pub rubrics: Vec<Rubric>,
    #[serde(default)]
    pub reviews: Vec<ReviewOutcome>,
    /// The revisions that [`reviews`](Self::reviews) return to the officer,
    /// as stored: a phone that does not hold the visit (a new phone, a
    /// device reset) receives it to fix. Empty for staff.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returned_visits: Vec<Visit>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sync protocol version {got} is not supported (this build speaks {expected})")]
pub struct ProtocolMismatch {
    pub got: u32,
    pub expected: u32,
}

impl ProtocolMismatch {
    pub fn to_validation_error(&self) -> ValidationError {
        ValidationError::new(
            "protocol_version",
            ErrorCode::UnsupportedProtocol,
            format!(
                "Phiên bản giao thức đồng bộ {} không được hỗ trợ (cần {}); hãy cập nhật ứng dụng",
                self.got, self.expected
            ),
            format!(
                "Sync protocol version {} is not supported (expected {}); update the app",
                self.got, self.expected
            ),
        )
    }
}

/// Both sides call this on every message they receive.
pub fn check_protocol(version: u32) -> Result<(), ProtocolMismatch> {
    if version == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(ProtocolMismatch {
            got: version,
            expected: PROTOCOL_VERSION,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::canonical_json;
    use crate::time::VN_OFFSET;
    use chrono::TimeZone;
    use serde_json::Value;

    fn visit() -> Visit {
        let t = VN_OFFSET.with_ymd_and_hms(2025, 8, 1, 9, 0, 0).unwrap();
        Visit::new_draft(Uuid::from_u128(1), Uuid::from_u128(2), "Lê Văn C", t)
    }

    #[test]
    fn canonical_json_sorts_keys_everywhere() {
        let v: Value =
            serde_json::from_str(r#"{"b":1,"a":{"z":[{"y":2,"x":"é"}],"c":null}}"#).unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":null,"z":[{"x":"é","y":2}]},"b":1}"#
        );
    }

    /// The writer as first built (a string per key and scalar): the fast one
    /// must produce the same bytes, or every stored hash would change.
    fn reference_canonical(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    reference_canonical(&map[k], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    reference_canonical(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }

    #[test]
    fn canonical_writer_matches_the_reference_on_a_full_visit() {
        let mut v = crate::fixtures::complete_final(visit());
        v.notes = "Ghi chú \"có ngoặc\"\n\ttab \\ và emoji 🌾 \u{1}".into();
        v.revision = 3;
        v.replaces_revision = Some(2);
        let value = serde_json::to_value(&v).unwrap();
        let mut expected = String::new();
        reference_canonical(&value, &mut expected);
        assert_eq!(canonical_json(&value), expected);
        assert_eq!(content_hash(&v), ContentHash::of_bytes(expected.as_bytes()));
        let rev = VisitRevision::new(v.clone());
        assert_eq!(
            rev.canonical_if_matches().as_deref(),
            Some(expected.as_str())
        );
        let mut forged = rev.clone();
        forged.visit.notes.push('!');
        assert_eq!(forged.canonical_if_matches(), None);
        let odd: Value = serde_json::from_str(
            r#"{"é":[1,-2,3.5,1e300,true,null,{}],"":"","A":{"b":[[]],"a":"\u0000"}}"#,
        )
        .unwrap();
        let mut expected = String::new();
        reference_canonical(&odd, &mut expected);
        assert_eq!(canonical_json(&odd), expected);
    }

    #[test]
    fn hash_is_stable_and_content_sensitive() {
        let v = visit();
        let h = content_hash(&v);
        assert_eq!(h.0.len(), 64);
        // Pinned: the same bytes must hash the same on wasm32 and native. If this
        // changes, stored hashes change: bump PROTOCOL_VERSION.
        let canonical = canonical_json(&serde_json::to_value(&v).unwrap());
        assert!(
            canonical.starts_with(r#"{"facts":{"avg_member_income":null,"charter_capital":null,"#)
        );
        assert!(canonical.ends_with(r#""started_at":"2025-08-01T09:00:00+07:00","state":"draft"}"#));
        assert_eq!(
            h.0,
            "a20db78de3ecc9f221b44de284c3b92fce42f2a6c2c4fde7204a46777178f9ab"
        );
        assert_eq!(h, ContentHash::of_bytes(canonical.as_bytes()));
        let mut w = v.clone();
        w.notes = "x".into();
        assert_ne!(content_hash(&w), h);
        assert_eq!(content_hash(&v.clone()), h);
    }

    #[test]
    fn sha256_known_vector() {
        assert_eq!(
            ContentHash::of_bytes(b"abc").0,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn decide_covers_every_outcome() {
        let now = VN_OFFSET.with_ymd_and_hms(2025, 8, 1, 10, 0, 0).unwrap();
        let rev = VisitRevision::new(visit());
        let acc = decide(&rev, None, vec![], now);
        let RecordOutcome::Accepted { receipt } = acc.clone() else {
            panic!("{acc:?}")
        };
        assert_eq!(
            receipt.key,
            RecordKey {
                id: Uuid::from_u128(1),
                revision: 0
            }
        );
        assert_eq!(
            decide(&rev, Some(&receipt), vec![], now),
            RecordOutcome::Duplicate {
                receipt: receipt.clone()
            }
        );

        let mut other = visit();
        other.notes = "khác".into();
        let other = VisitRevision::new(other);
        assert_eq!(
            decide(&other, Some(&receipt), vec![], now),
            RecordOutcome::Conflict {
                server_hash: receipt.hash.clone()
            }
        );

        let err = ValidationError::new("officer", ErrorCode::Required, "vi", "en");
        assert_eq!(
            decide(&other, None, vec![err.clone()], now),
            RecordOutcome::Rejected { errors: vec![err] }
        );

        let mut forged = rev.clone();
        forged.visit.notes = "tampered".into();
        let RecordOutcome::Rejected { errors } = decide(&forged, None, vec![], now) else {
            panic!()
        };
        assert_eq!(errors[0].code, ErrorCode::HashMismatch);
    }

    #[test]
    fn protocol_check() {
        assert!(check_protocol(PROTOCOL_VERSION).is_ok());
        let e = check_protocol(PROTOCOL_VERSION + 1).unwrap_err();
        let v = e.to_validation_error();
        assert_eq!(v.code, ErrorCode::UnsupportedProtocol);
        assert!(v.message_vi.contains("giao thức"));
    }

    #[test]
    fn outcome_wire_format() {
        let o = RecordOutcome::Conflict {
            server_hash: ContentHash("ab".into()),
        };
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"status":"conflict","server_hash":"ab"}"#
        );
    }

    #[test]
    fn every_outcome_reads_back_as_written_and_a_missing_field_is_an_error() {
        let now = VN_OFFSET.with_ymd_and_hms(2025, 9, 3, 8, 0, 0).unwrap();
        let receipt = Receipt {
            key: RecordKey {
                id: Uuid::now_v7(),
                revision: 2,
            },
            hash: ContentHash("ab".into()),
            received_at: now,
        };
        let outcomes = [
            RecordOutcome::Accepted {
                receipt: receipt.clone(),
            },
            RecordOutcome::Duplicate { receipt },
            RecordOutcome::Conflict {
                server_hash: ContentHash("cd".into()),
            },
            hash_mismatch(),
            RecordOutcome::Rejected { errors: vec![] },
        ];
        for o in outcomes {
            let text = serde_json::to_string(&o).unwrap();
            assert_eq!(
                serde_json::from_str::<RecordOutcome>(&text).unwrap(),
                o,
                "{text}"
            );
        }
        for bad in [
            r#"{"status":"accepted"}"#,
            r#"{"status":"conflict","receipt":null}"#,
            r#"{"status":"rejected"}"#,
            r#"{"status":"stored","errors":[]}"#,
            r#"{"errors":[]}"#,
        ] {
            assert!(serde_json::from_str::<RecordOutcome>(bad).is_err(), "{bad}");
        }
    }
}
