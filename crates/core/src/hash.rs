//! Content hashes: what identifies a visit revision's content on the device
//! and the server, a photo by its bytes, and an export file's checksum.
//!
//! Visit content hash: SHA-256 over canonical JSON of the visit (object keys sorted
//! at every level, no whitespace). A [`Visit`] holds only device-authored
//! fields (server-side data lives in [`crate::sync::Receipt`] and [`crate::review::ReviewOutcome`]), so the
//! whole record is hashed. Sorting keys ourselves keeps the hash independent
//! of serde_json's `preserve_order` feature, which another crate in the
//! build could switch on.

use crate::visit::Visit;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// Lowercase hex SHA-256 (64 characters).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(transparent)]
pub struct ContentHash(pub String);

impl ContentHash {
    pub fn of_bytes(bytes: &[u8]) -> ContentHash {
        let digest = Sha256::digest(bytes);
        let mut s = String::with_capacity(64);
        for b in digest {
            let _ = write!(s, "{b:02x}");
        }
        ContentHash(s)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Canonical JSON text: keys sorted (by UTF-8 bytes) at every level.
pub fn canonical_json(v: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(v, &mut out);
    // Only serde_json's own output and ASCII punctuation were written.
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Writes `v` as canonical JSON. Keys and scalars are written by serde_json
/// straight into `out` (no string per item): hashing is most of the server's
/// work on a push, and the device hashes every revision it finalizes.
fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    // Writing JSON into a Vec<u8> cannot fail.
    fn scalar<T: Serialize + ?Sized>(x: &T, out: &mut Vec<u8>) {
        serde_json::to_writer(out, x).expect("JSON into memory");
    }
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // serde_json's map is already sorted, unless `preserve_order` is on.
            if !entries.is_sorted_by(|a, b| a.0 <= b.0) {
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            }
            out.push(b'{');
            for (i, (k, x)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                scalar(k.as_str(), out);
                out.push(b':');
                write_canonical(x, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(x, out);
            }
            out.push(b']');
        }
        other => scalar(other, out),
    }
}

/// The canonical JSON of a visit, the bytes its content hash is taken of.
pub(crate) fn canonical_visit(visit: &Visit) -> Vec<u8> {
    // Serialising a Visit cannot fail: no non-string map keys, no floats.
    let v = crate::json_tree::to_tree(visit).unwrap_or(Value::Null);
    let mut out = Vec::with_capacity(4096);
    write_canonical(&v, &mut out);
    out
}

/// The content hash of a visit revision.
pub fn content_hash(visit: &Visit) -> ContentHash {
    ContentHash::of_bytes(&canonical_visit(visit))
}
