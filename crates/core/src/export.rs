//! Hand-over file for unsynced visits (tệp xuất dữ liệu).
//!
//! When sync is impossible (no signal for days, a broken phone, a server
//! outage before the 10 December report), an officer exports the visits
//! still on the device into one JSON file and hands it over (Zalo, USB,
//! e-mail). The file is versioned and self-checking:
//!
//! * `format` names the file type and `format_version` its layout; a file
//!   from a newer app is refused with "update the app" rather than misread;
//! * `sha256` is the SHA-256 of the canonical JSON (see
//!   [`crate::hash::canonical_json`]) of the whole bundle without the
//!   `sha256` key, so a hand-edited or truncated file is refused;
//! * importing never overwrites silently: [`merge_plan`] sorts every incoming
//!   visit into new / identical / newer revision / conflicting / older.
//!
//! The checksum is verified on the JSON as written, before it is turned into
//! Rust types, so a file from an older app (whose visits lack fields added
//! since, filled in by `#[serde(default)]`) still verifies.

use crate::hash::{canonical_json, content_hash, ContentHash};
use crate::json_tree::to_tree;
use crate::search::fold;
use crate::sync::RecordKey;
use crate::visit::Visit;
use crate::PROTOCOL_VERSION;
use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use uuid::Uuid;

/// Value of the `format` field.
pub const EXPORT_FORMAT: &str = "htx-survey-export";
/// Layout version written by this build; files with a higher one are refused.
pub const EXPORT_FORMAT_VERSION: u32 = 1;

/// An export file. Build with [`ExportBundle::new`], write with
/// [`ExportBundle::to_json`], read with [`ExportBundle::from_json`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ExportBundle {
    /// Always [`EXPORT_FORMAT`].
    pub format: String,
    pub format_version: u32,
    /// [`PROTOCOL_VERSION`] of the exporting app (the shape of [`Visit`]).
    pub protocol_version: u32,
    pub exported_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub device_id: Option<String>,
    /// The officer who exported (as logged in on the device).
    pub officer: String,
    pub visits: Vec<Visit>,
    /// The photos the visits name, as this device holds them (absent in
    /// files from before photos, and when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<ExportedPhoto>,
    /// Lowercase hex SHA-256 of the canonical JSON of everything else.
    pub sha256: String,
}

/// SHA-256 of the canonical JSON of `v` without its top-level `sha256` key.
fn checksum_of(v: &Value) -> String {
    let mut v = v.clone();
    if let Value::Object(map) = &mut v {
        map.remove("sha256");
    }
    ContentHash::of_bytes(canonical_json(&v).as_bytes()).0
}

impl ExportBundle {
    pub fn new(
        officer: impl Into<String>,
        device_id: Option<String>,
        exported_at: DateTime<FixedOffset>,
        visits: Vec<Visit>,
    ) -> ExportBundle {
        let mut b = ExportBundle {
            format: EXPORT_FORMAT.to_string(),
            format_version: EXPORT_FORMAT_VERSION,
            protocol_version: PROTOCOL_VERSION,
            exported_at,
            device_id,
            officer: officer.into(),
            visits,
            photos: Vec::new(),
            sha256: String::new(),
        };
        b.sha256 = b.compute_sha256();
        b
    }

    /// The same bundle carrying `photos` (checksum recomputed).
    pub fn with_photos(mut self, photos: Vec<ExportedPhoto>) -> ExportBundle {
        self.photos = photos;
        self.sha256 = self.compute_sha256();
        self
    }

    /// The names of the photos the visits refer to, each once, in order.
    pub fn photo_names(visits: &[Visit]) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for p in visits.iter().flat_map(|v| &v.photos) {
            if !names.contains(&p.sha256) {
                names.push(p.sha256.clone());
            }
        }
        names
    }

    /// The checksum the content should carry.
    pub fn compute_sha256(&self) -> String {
        // Serialising cannot fail: string keys only, finite numbers only.
        checksum_of(&to_tree(self).unwrap_or(Value::Null))
    }

    /// The stored checksum matches the content.
    pub fn verify(&self) -> bool {
        self.sha256 == self.compute_sha256()
    }

    /// The file's content: compact JSON (a pretty-printed file would make
    /// the field app carry serde_json's pretty printer for every type).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an ExportBundle always serialises")
    }

    /// A file name such as `htx-survey-export-20250801-0930-le-van-c.json`.
    pub fn suggested_file_name(&self) -> String {
        let t = crate::time::to_vn(&self.exported_at);
        let mut who = String::new();
        for c in fold(&self.officer).chars() {
            if c.is_ascii_alphanumeric() {
                who.push(c);
            } else if !who.is_empty() && !who.ends_with('-') {
                who.push('-');
            }
        }
        let who = who.trim_end_matches('-');
        // Written out, not strftime: the field app need not carry chrono's formatter.
        let stamp = format!(
            "{:04}{:02}{:02}-{:02}{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute()
        );
        if who.is_empty() {
            format!("{EXPORT_FORMAT}-{stamp}.json")
        } else {
            format!("{EXPORT_FORMAT}-{stamp}-{who}.json")
        }
    }

    /// Read and check a file: format name, format version (newer refused),
    /// protocol version (newer refused), checksum, then the content.
    pub fn from_json(s: &str) -> Result<ExportBundle, ImportError> {
        let raw: Value = serde_json::from_str(s).map_err(|e| ImportError::NotJson {
            detail: e.to_string(),
        })?;
        let obj = raw.as_object().ok_or(ImportError::NotAnExport)?;
        if obj.get("format").and_then(Value::as_str) != Some(EXPORT_FORMAT) {
            return Err(ImportError::NotAnExport);
        }
        let version = obj
            .get("format_version")
            .and_then(Value::as_u64)
            .filter(|&v| v >= 1)
            .ok_or(ImportError::BadFormatVersion)?;
        if version > u64::from(EXPORT_FORMAT_VERSION) {
            return Err(ImportError::NewerFormat {
                found: version,
                supported: EXPORT_FORMAT_VERSION,
            });
        }
        if let Some(p) = obj.get("protocol_version").and_then(Value::as_u64) {
            if p > u64::from(PROTOCOL_VERSION) {
                return Err(ImportError::NewerProtocol {
                    found: p,
                    supported: PROTOCOL_VERSION,
                });
            }
        }
        let stored = obj
            .get("sha256")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let actual = checksum_of(&raw);
        if stored != actual {
            return Err(ImportError::ChecksumMismatch {
                stored,
                computed: actual,
            });
        }
        // From the text, not the tree: the app reads these types from text anyway.
        let bundle: ExportBundle = serde_json::from_str(s).map_err(|e| ImportError::Malformed {
            detail: e.to_string(),
        })?;
        // The checksum covers the file as written; a field this app does not
        // know would pass it and then be dropped silently on import (found by
        // htx-fuzz). A file an app exported has none: refuse it.
        let typed = to_tree(&bundle).map_err(|e| ImportError::Malformed {
            detail: e.to_string(),
        })?;
        if let Some(path) = unknown_field(&raw, &typed, String::new()) {
            return Err(ImportError::Malformed {
                detail: format!("unknown field {path}"),
            });
        }
        Ok(bundle)
    }
}

/// The first key of `raw` that `typed` (what the app read of it, written
/// back) lacks: a field the app does not know. Keys `typed` has beyond
/// `raw` are fields an older file leaves to their defaults.
fn unknown_field(raw: &Value, typed: &Value, path: String) -> Option<String> {
    match (raw, typed) {
        (Value::Object(r), Value::Object(t)) => r.iter().find_map(|(k, v)| match t.get(k) {
            None if k == "sha256" && path.is_empty() => None,
            None => Some(format!("{path}.{k}")),
            Some(tv) => unknown_field(v, tv, format!("{path}.{k}")),
        }),
        (Value::Array(r), Value::Array(t)) => r
            .iter()
            .zip(t)
            .enumerate()
            .find_map(|(i, (rv, tv))| unknown_field(rv, tv, format!("{path}[{i}]"))),
        _ => None,
    }
}

/// A photo inside an export file: its bytes in base64 under its name.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ExportedPhoto {
    pub sha256: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub mime: String,
    pub base64: String,
}

impl ExportedPhoto {
    /// `None` for bytes that are not an accepted image.
    pub fn new(bytes: &[u8]) -> Option<ExportedPhoto> {
        use base64::Engine as _;
        let kind = crate::photo::ImageType::sniff(bytes)?;
        Some(ExportedPhoto {
            sha256: crate::photo::sha256_hex(bytes),
            mime: kind.mime().to_string(),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }

    /// The image bytes, checked against the name and the accepted formats
    /// (`None`: not to be stored).
    pub fn bytes(&self) -> Option<Vec<u8>> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.base64)
            .ok()?;
        (crate::photo::sha256_hex(&bytes) == self.sha256
            && crate::photo::ImageType::sniff(&bytes).is_some())
        .then_some(bytes)
    }
}

/// Why an export file was refused. Nothing is imported from a refused file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// Not JSON at all (wrong file, truncated).
    NotJson { detail: String },
    /// JSON, but not an htx-survey export.
    NotAnExport,
    /// `format_version` missing or invalid.
    BadFormatVersion,
    /// Written by a newer app with a layout this build does not know.
    NewerFormat { found: u64, supported: u32 },
    /// Visits in a newer shape than this build knows.
    NewerProtocol { found: u64, supported: u32 },
    /// The checksum does not match: edited by hand or damaged.
    ChecksumMismatch { stored: String, computed: String },
    /// Checksum fine but the content does not fit (should not happen).
    Malformed { detail: String },
}

impl ImportError {
    pub fn message_vi(&self) -> String {
        match self {
            Self::NotJson { detail } => {
                format!("Tệp không đọc được (không phải tệp JSON hoặc bị cắt cụt): {detail}")
            }
            Self::NotAnExport => "Tệp này không phải là tệp xuất dữ liệu khảo sát HTX".to_string(),
            Self::BadFormatVersion => {
                "Tệp xuất thiếu hoặc sai phiên bản định dạng; không nhập tệp này".to_string()
            }
            Self::NewerFormat { found, supported } => format!(
                "Tệp được xuất bởi phiên bản ứng dụng mới hơn (định dạng {found}, \
                 ứng dụng này đọc được đến {supported}); hãy cập nhật ứng dụng rồi nhập lại"
            ),
            Self::NewerProtocol { found, supported } => format!(
                "Dữ liệu trong tệp thuộc phiên bản mới hơn (giao thức {found}, \
                 ứng dụng này hỗ trợ đến {supported}); hãy cập nhật ứng dụng rồi nhập lại"
            ),
            Self::ChecksumMismatch { .. } => "Tệp đã bị chỉnh sửa hoặc bị hỏng sau khi xuất \
                 (mã kiểm tra SHA-256 không khớp). Không nhập tệp này; hãy xin lại tệp gốc \
                 từ cán bộ đã xuất"
                .to_string(),
            Self::Malformed { detail } => {
                format!("Nội dung tệp xuất không hợp lệ: {detail}")
            }
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            Self::NotJson { detail } => {
                format!("The file cannot be read (not JSON, or truncated): {detail}")
            }
            Self::NotAnExport => "This file is not an htx-survey export".to_string(),
            Self::BadFormatVersion => {
                "The export's format version is missing or invalid; not imported".to_string()
            }
            Self::NewerFormat { found, supported } => format!(
                "The file was exported by a newer app (format {found}, this app reads up \
                 to {supported}); update the app and import again"
            ),
            Self::NewerProtocol { found, supported } => format!(
                "The file holds data from a newer app (protocol {found}, this app supports \
                 up to {supported}); update the app and import again"
            ),
            Self::ChecksumMismatch { .. } => "The file was edited or damaged after export \
                 (SHA-256 checksum mismatch). It was not imported; ask the officer who \
                 exported it for the original file"
                .to_string(),
            Self::Malformed { detail } => format!("The export's content is invalid: {detail}"),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for ImportError {}

/// Same id and revision as a visit already held (or earlier in the same
/// file), but other content. Never overwritten: someone must decide.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportConflict {
    pub incoming: Visit,
    pub incoming_hash: ContentHash,
    pub existing_hash: ContentHash,
}

/// What importing a set of visits would do, per visit, in file order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ImportPlan {
    /// No revision of this visit id is held: add.
    pub new: Vec<Visit>,
    /// Exactly this revision is already held (same content hash): skip.
    pub identical: Vec<RecordKey>,
    /// Higher revision than any held for this id: store as the latest.
    pub newer_revision: Vec<Visit>,
    /// Same id and revision, other content: never applied automatically.
    pub conflicting: Vec<ImportConflict>,
    /// A revision lower than the latest held, not itself held. Not a conflict
    /// (history can be kept), but applying it must not replace the latest;
    /// listed separately so the caller decides (usually: skip or archive).
    pub older_revision: Vec<Visit>,
}

impl ImportPlan {
    /// Visits safe to store (new and newer revisions).
    pub fn to_apply(&self) -> impl Iterator<Item = &Visit> {
        self.new.iter().chain(&self.newer_revision)
    }
    pub fn has_conflicts(&self) -> bool {
        !self.conflicting.is_empty()
    }
    pub fn summary_vi(&self) -> String {
        format!(
            "{} mới, {} đã có (bỏ qua), {} bản sửa mới hơn, {} xung đột, {} bản cũ hơn",
            self.new.len(),
            self.identical.len(),
            self.newer_revision.len(),
            self.conflicting.len(),
            self.older_revision.len()
        )
    }
    pub fn summary_en(&self) -> String {
        format!(
            "{} new, {} already held (skipped), {} newer revisions, {} conflicts, {} older revisions",
            self.new.len(),
            self.identical.len(),
            self.newer_revision.len(),
            self.conflicting.len(),
            self.older_revision.len()
        )
    }
}

/// Decide, per incoming visit, what importing it would do, comparing with
/// the visits already held (`existing` may hold several revisions of an id).
/// A visit repeated inside `incoming` is compared with its first occurrence.
pub fn merge_plan(existing: &[Visit], incoming: &[Visit]) -> ImportPlan {
    let mut held: BTreeMap<RecordKey, ContentHash> = BTreeMap::new();
    let mut latest: BTreeMap<Uuid, u32> = BTreeMap::new();
    for v in existing {
        held.entry(key(v)).or_insert_with(|| content_hash(v));
        let l = latest.entry(v.id).or_insert(v.revision);
        *l = (*l).max(v.revision);
    }
    let mut plan = ImportPlan::default();
    for v in incoming {
        let k = key(v);
        let h = content_hash(v);
        if let Some(existing_hash) = held.get(&k) {
            if *existing_hash == h {
                plan.identical.push(k);
            } else {
                plan.conflicting.push(ImportConflict {
                    incoming: v.clone(),
                    incoming_hash: h,
                    existing_hash: existing_hash.clone(),
                });
            }
            continue;
        }
        match latest.get(&v.id) {
            None => plan.new.push(v.clone()),
            Some(&l) if v.revision > l => plan.newer_revision.push(v.clone()),
            Some(_) => plan.older_revision.push(v.clone()),
        }
        held.insert(k, h);
    }
    plan
}

fn key(v: &Visit) -> RecordKey {
    RecordKey {
        id: v.id,
        revision: v.revision,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::VN_OFFSET;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t() -> DateTime<FixedOffset> {
        VN_OFFSET.with_ymd_and_hms(2025, 8, 1, 9, 30, 0).unwrap()
    }

    fn visit(n: u128, rev: u32, notes: &str) -> Visit {
        let mut v = Visit::new_draft(Uuid::from_u128(n), Uuid::from_u128(100), "Lê Văn C", t());
        v.revision = rev;
        v.notes = notes.into();
        v
    }

    fn bundle() -> ExportBundle {
        let mut v = visit(1, 0, "Ghi chú: đường ngập");
        v.facts.members.official = Some(42);
        ExportBundle::new(
            "Lê Văn C",
            Some("device-7".into()),
            t(),
            vec![v, visit(2, 3, "")],
        )
    }

    #[test]
    fn round_trip() {
        let b = bundle();
        assert_eq!(b.format, EXPORT_FORMAT);
        assert_eq!(b.format_version, EXPORT_FORMAT_VERSION);
        assert_eq!(b.protocol_version, PROTOCOL_VERSION);
        assert_eq!(b.sha256.len(), 64);
        assert!(b.verify());
        let json = b.to_json();
        assert!(json.contains("\"format\":\"htx-survey-export\""));
        assert_eq!(ExportBundle::from_json(&json).unwrap(), b);
        // Re-indented JSON with reordered keys still verifies.
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(ExportBundle::from_json(&canonical_json(&v)).unwrap(), b);
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        assert_eq!(ExportBundle::from_json(&pretty).unwrap(), b);
        assert_eq!(
            b.suggested_file_name(),
            "htx-survey-export-20250801-0930-le-van-c.json"
        );
        let empty = ExportBundle::new("", None, t(), vec![]);
        assert_eq!(ExportBundle::from_json(&empty.to_json()).unwrap(), empty);
        assert_eq!(
            empty.suggested_file_name(),
            "htx-survey-export-20250801-0930.json"
        );
    }

    #[test]
    fn photos_travel_in_the_file_and_are_checked_on_the_way_out() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 9, 8, 7, 6];
        let photo = ExportedPhoto::new(&jpeg).expect("a JPEG");
        assert_eq!(photo.mime, "image/jpeg");
        assert!(ExportedPhoto::new(b"%PDF-1.7").is_none(), "not an image");
        let mut v = visit(1, 0, "");
        v.photos.push(crate::visit::PhotoRef {
            id: Uuid::from_u128(9),
            sha256: photo.sha256.clone(),
            caption: "Kho lúa".into(),
        });
        let visits = vec![v.clone(), v];
        assert_eq!(
            ExportBundle::photo_names(&visits),
            vec![photo.sha256.clone()]
        );
        let b = ExportBundle::new("Lê Văn C", None, t(), visits).with_photos(vec![photo.clone()]);
        assert!(b.verify());
        let back = ExportBundle::from_json(&b.to_json()).unwrap();
        assert_eq!(back.photos[0].bytes(), Some(jpeg.to_vec()));
        // Bytes that do not match their name are not handed back.
        let other = ExportedPhoto {
            base64: ExportedPhoto::new(&[0xFF, 0xD8, 0xFF, 0xE1])
                .unwrap()
                .base64,
            ..photo
        };
        assert_eq!(other.bytes(), None);
        // A file without photos is written exactly as before photos existed.
        let plain: Value = serde_json::from_str(&bundle().to_json()).unwrap();
        assert!(plain.get("photos").is_none());
    }

    #[test]
    fn tampered_file_is_refused() {
        let json = bundle().to_json();
        let edited = json.replace("\"official\":42", "\"official\":43");
        assert_ne!(edited, json);
        let e = ExportBundle::from_json(&edited).unwrap_err();
        assert!(matches!(e, ImportError::ChecksumMismatch { .. }), "{e:?}");
        assert!(e.message_vi().contains("bị chỉnh sửa"));
        assert!(e.message_en().contains("edited"));
        assert_eq!(e.to_string(), e.message_en());

        // Removing the checksum, or editing only the checksum, is refused too.
        let mut v: Value = serde_json::from_str(&json).unwrap();
        v.as_object_mut().unwrap().remove("sha256");
        assert!(matches!(
            ExportBundle::from_json(&v.to_string()),
            Err(ImportError::ChecksumMismatch { .. })
        ));
        v["sha256"] = Value::String("0".repeat(64));
        assert!(matches!(
            ExportBundle::from_json(&v.to_string()),
            Err(ImportError::ChecksumMismatch { .. })
        ));
        // Recomputing after an edit is the only way to pass (by design: this is
        // a check against accidents and casual edits, not a signature).
        let mut b = bundle();
        b.officer = "Người khác".into();
        assert!(!b.verify());
    }

    #[test]
    fn wrong_or_newer_files_are_refused() {
        assert!(matches!(
            ExportBundle::from_json("{ \"format\": "),
            Err(ImportError::NotJson { .. })
        ));
        assert_eq!(
            ExportBundle::from_json("[1,2]"),
            Err(ImportError::NotAnExport)
        );
        assert_eq!(
            ExportBundle::from_json(r#"{"format":"other"}"#),
            Err(ImportError::NotAnExport)
        );
        let mut v: Value = serde_json::from_str(&bundle().to_json()).unwrap();
        v["format_version"] = Value::from(EXPORT_FORMAT_VERSION + 1);
        // A newer format is reported as such even though its checksum is stale.
        let e = ExportBundle::from_json(&v.to_string()).unwrap_err();
        assert_eq!(
            e,
            ImportError::NewerFormat {
                found: u64::from(EXPORT_FORMAT_VERSION) + 1,
                supported: EXPORT_FORMAT_VERSION
            }
        );
        assert!(e.message_vi().contains("cập nhật ứng dụng"));
        v["format_version"] = Value::from(0);
        assert_eq!(
            ExportBundle::from_json(&v.to_string()),
            Err(ImportError::BadFormatVersion)
        );
        v["format_version"] = Value::from("1");
        assert_eq!(
            ExportBundle::from_json(&v.to_string()),
            Err(ImportError::BadFormatVersion)
        );
        v["format_version"] = Value::from(1);
        v["protocol_version"] = Value::from(PROTOCOL_VERSION + 1);
        assert!(matches!(
            ExportBundle::from_json(&v.to_string()),
            Err(ImportError::NewerProtocol { .. })
        ));
        // Well-formed, correctly summed, but not the right shape.
        let mut w = serde_json::json!({"format": EXPORT_FORMAT, "format_version": 1, "visits": 5});
        w["sha256"] = Value::String(checksum_of(&w));
        assert!(matches!(
            ExportBundle::from_json(&w.to_string()),
            Err(ImportError::Malformed { .. })
        ));
        for e in [
            ImportError::NotJson { detail: "x".into() },
            ImportError::NotAnExport,
            ImportError::BadFormatVersion,
            ImportError::NewerProtocol {
                found: 2,
                supported: 1,
            },
            ImportError::Malformed { detail: "x".into() },
        ] {
            assert!(!e.message_vi().is_empty() && e.message_vi() != e.message_en());
        }
    }

    #[test]
    fn file_from_an_older_app_with_fewer_fields_verifies() {
        // Visits as the first app build stored them (no facts/plan/... keys).
        let visit = serde_json::json!({"id":"01936b6e-0000-7000-8000-000000000001",
            "organisation_id":"01936b6e-0000-7000-8000-000000000002","officer":"A",
            "started_at":"2025-03-01T08:30:00+07:00","notes":"","state":"draft","revision":0});
        let mut f = serde_json::json!({"format": EXPORT_FORMAT, "format_version": 1,
            "protocol_version": 1, "exported_at": "2025-03-02T10:00:00+07:00",
            "officer": "A", "visits": [visit]});
        f["sha256"] = Value::String(checksum_of(&f));
        let b = ExportBundle::from_json(&f.to_string()).unwrap();
        assert_eq!(b.visits.len(), 1);
        assert_eq!(b.device_id, None);
    }

    #[test]
    fn merge_cases() {
        let existing = vec![
            visit(1, 0, "a"),
            visit(2, 0, "b"),
            visit(2, 1, "b1"),
            visit(3, 2, "c"),
            visit(4, 0, "d"),
        ];
        let incoming = vec![
            visit(1, 0, "a"),      // identical
            visit(2, 1, "b1 sửa"), // conflict: same revision, other content
            visit(3, 3, "c3"),     // newer revision
            visit(4, 1, "d1"),     // newer revision
            visit(5, 0, "e"),      // new
            visit(3, 1, "c1"),     // older revision, not held
            visit(5, 0, "e"),      // repeated in the file: identical
            visit(5, 0, "e khác"), // repeated with other content: conflict
            visit(2, 0, "b"),      // identical (older but held)
        ];
        let plan = merge_plan(&existing, &incoming);
        let ids = |vs: &[Visit]| -> Vec<(u128, u32)> {
            vs.iter().map(|v| (v.id.as_u128(), v.revision)).collect()
        };
        assert_eq!(ids(&plan.new), vec![(5, 0)]);
        assert_eq!(ids(&plan.newer_revision), vec![(3, 3), (4, 1)]);
        assert_eq!(ids(&plan.older_revision), vec![(3, 1)]);
        let ident: Vec<(u128, u32)> = plan
            .identical
            .iter()
            .map(|k| (k.id.as_u128(), k.revision))
            .collect();
        assert_eq!(ident, vec![(1, 0), (5, 0), (2, 0)]);
        let conf: Vec<(u128, u32)> = plan
            .conflicting
            .iter()
            .map(|c| (c.incoming.id.as_u128(), c.incoming.revision))
            .collect();
        assert_eq!(conf, vec![(2, 1), (5, 0)]);
        assert_eq!(
            plan.conflicting[0].existing_hash,
            content_hash(&existing[2])
        );
        assert_eq!(
            plan.conflicting[0].incoming_hash,
            content_hash(&incoming[1])
        );
        assert!(plan.has_conflicts());
        assert_eq!(plan.to_apply().count(), 3);
        assert_eq!(
            plan.summary_vi(),
            "1 mới, 3 đã có (bỏ qua), 2 bản sửa mới hơn, 2 xung đột, 1 bản cũ hơn"
        );
        assert!(plan.summary_en().starts_with("1 new, 3 already held"));

        // Importing the same file twice: the second time everything is identical.
        let b = bundle();
        let first = merge_plan(&[], &b.visits);
        assert_eq!(first.new.len(), 2);
        let held: Vec<Visit> = first.to_apply().cloned().collect();
        let second = merge_plan(&held, &b.visits);
        assert_eq!(second.identical.len(), 2);
        assert_eq!(second.to_apply().count(), 0);
        assert!(!second.has_conflicts());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn round_trip_any_simple_bundle(
            officer in "\\PC{0,20}",
            device in proptest::option::of("[a-z0-9-]{0,12}"),
            secs in 0i64..4_000_000_000,
            visits in prop::collection::vec((any::<u128>(), any::<u32>(), "\\PC{0,30}", any::<Option<u32>>()), 0..5),
        ) {
            let at = chrono::DateTime::from_timestamp(secs, 0).unwrap().with_timezone(&VN_OFFSET);
            let vs: Vec<Visit> = visits.into_iter().map(|(id, rev, notes, members)| {
                let mut v = visit(id, rev, &notes);
                v.facts.members.official = members;
                v
            }).collect();
            let b = ExportBundle::new(officer, device, at, vs.clone());
            prop_assert_eq!(ExportBundle::from_json(&b.to_json()), Ok(b));
            let plan = merge_plan(&vs, &vs);
            prop_assert!(plan.new.is_empty() && plan.newer_revision.is_empty());
        }
    }

    #[test]
    fn a_field_this_app_does_not_know_is_refused_even_with_a_true_checksum() {
        let b = ExportBundle::new(
            "canbo1",
            None,
            crate::time::to_vn(&chrono::Utc::now()),
            vec![],
        );
        let mut raw: Value = serde_json::from_str(&b.to_json()).unwrap();
        raw["officer_note"] = Value::String("thêm vào".into());
        raw.as_object_mut().unwrap().remove("sha256");
        let sum = ContentHash::of_bytes(canonical_json(&raw).as_bytes()).0;
        raw["sha256"] = Value::String(sum);
        match ExportBundle::from_json(&raw.to_string()) {
            Err(ImportError::Malformed { detail }) => {
                assert!(detail.contains("officer_note"), "{detail}")
            }
            other => panic!("{other:?}"),
        }
        // A file without a field added later (left to its default) still imports.
        let mut older: Value = serde_json::from_str(&b.to_json()).unwrap();
        older.as_object_mut().unwrap().remove("photos");
        older.as_object_mut().unwrap().remove("sha256");
        let sum = ContentHash::of_bytes(canonical_json(&older).as_bytes()).0;
        older["sha256"] = Value::String(sum);
        assert!(ExportBundle::from_json(&older.to_string()).is_ok());
    }
}
