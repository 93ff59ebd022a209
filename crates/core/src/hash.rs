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
    #[cfg(not(target_arch = "wasm32"))]
    return sorted::to_canonical(visit);
    #[cfg(target_arch = "wasm32")]
    return canonical_via_tree(visit);
}

/// [`canonical_visit`] through a JSON tree: the browser's way, which needs no
/// serde instance beyond the JSON text one it carries anyway (see
/// `json_tree`); the server's way must give the same bytes (tested).
#[cfg_attr(not(any(test, target_arch = "wasm32")), allow(dead_code))]
fn canonical_via_tree(visit: &Visit) -> Vec<u8> {
    // Serialising a Visit cannot fail: no non-string map keys, no floats.
    let v = crate::json_tree::to_tree(visit).unwrap_or(Value::Null);
    let mut out = Vec::with_capacity(4096);
    write_canonical(&v, &mut out);
    out
}

/// Canonical JSON written straight from a value's `Serialize`, with no tree:
/// serde_json writes it, every scalar and escape as in the tree's text, and
/// each object's entries are put in key order as the object closes. The
/// server hashes every pushed visit on the push's path, and the tree cost
/// twice the writing and the hash together.
#[cfg(not(target_arch = "wasm32"))]
mod sorted {
    use serde::Serialize;
    use serde_json::ser::{CharEscape, CompactFormatter, Formatter};
    use std::io;

    /// `value` as canonical JSON (keys sorted by their UTF-8 bytes at every
    /// level, no whitespace).
    pub fn to_canonical<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
        let mut sorter = Sorter::default();
        let mut ser = serde_json::Serializer::with_formatter(io::sink(), &mut sorter);
        // Serialising a Visit cannot fail: no non-string map keys.
        if value.serialize(&mut ser).is_err() {
            return b"null".to_vec();
        }
        sorter.out
    }

    /// Writes into `out` whatever writer serde_json hands it, keeping where
    /// each open object's entries lie.
    #[derive(Default)]
    struct Sorter {
        out: Vec<u8>,
        /// Open objects: where their entries start in `out`, and their first
        /// entry in `entries`.
        open: Vec<(usize, usize)>,
        /// Entries of the open objects: key start, key end, value end.
        entries: Vec<(usize, usize, usize)>,
        scratch: Vec<u8>,
    }

    /// A key's text for ordering: its bytes between the quotes, unescaped
    /// when it holds an escape (the tree orders keys as strings).
    fn key_text(quoted: &[u8]) -> std::borrow::Cow<'_, [u8]> {
        let inner = &quoted[1..quoted.len() - 1];
        if inner.contains(&b'\\') {
            let s: String = serde_json::from_slice(quoted).unwrap_or_default();
            std::borrow::Cow::Owned(s.into_bytes())
        } else {
            std::borrow::Cow::Borrowed(inner)
        }
    }

    impl Sorter {
        /// Puts the entries of the object that closes in key order.
        fn sort_closing(&mut self) {
            let Some((start, first)) = self.open.pop() else {
                return;
            };
            let out = &self.out;
            let entries = &mut self.entries[first..];
            let quoted = |e: &(usize, usize, usize)| &out[e.0..e.1];
            // Between the quotes: `"a"` sorts before `"a b"`, not after.
            let text = |e: &(usize, usize, usize)| &out[e.0 + 1..e.1 - 1];
            if entries.iter().all(|e| !text(e).contains(&b'\\')) {
                // No escapes (a struct's field names): the text is the key.
                if entries.is_sorted_by(|a, b| text(a) <= text(b)) {
                    self.entries.truncate(first);
                    return;
                }
                entries.sort_unstable_by(|a, b| text(a).cmp(text(b)));
            } else {
                entries.sort_by_cached_key(|e| key_text(quoted(e)).into_owned());
            }
            self.scratch.clear();
            for (i, &(k, _, end)) in entries.iter().enumerate() {
                if i > 0 {
                    self.scratch.push(b',');
                }
                self.scratch.extend_from_slice(&out[k..end]);
            }
            self.entries.truncate(first);
            self.out.truncate(start);
            self.out.extend_from_slice(&self.scratch);
        }
    }

    /// Formatter methods that only write: serde_json's compact text, into `out`.
    macro_rules! compact {
        ($($name:ident($($arg:ident: $ty:ty),*);)*) => {$(
            fn $name<W: ?Sized + io::Write>(&mut self, _: &mut W $(, $arg: $ty)*) -> io::Result<()> {
                CompactFormatter.$name(&mut self.out $(, $arg)*)
            }
        )*};
    }

    impl Formatter for &mut Sorter {
        compact! {
            write_null(); write_bool(v: bool);
            write_i8(v: i8); write_i16(v: i16); write_i32(v: i32); write_i64(v: i64); write_i128(v: i128);
            write_u8(v: u8); write_u16(v: u16); write_u32(v: u32); write_u64(v: u64); write_u128(v: u128);
            write_f32(v: f32); write_f64(v: f64); write_number_str(v: &str);
            begin_string(); end_string(); write_string_fragment(v: &str); write_char_escape(v: CharEscape);
            write_byte_array(v: &[u8]); write_raw_fragment(v: &str);
            begin_array(); end_array(); begin_array_value(first: bool); end_array_value();
            end_object_key();
        }

        fn begin_object<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
            self.out.push(b'{');
            self.open.push((self.out.len(), self.entries.len()));
            Ok(())
        }

        fn begin_object_key<W: ?Sized + io::Write>(
            &mut self,
            _: &mut W,
            first: bool,
        ) -> io::Result<()> {
            if !first {
                self.out.push(b',');
            }
            // The key ends where its value begins, the entry where the value ends.
            self.entries.push((self.out.len(), 0, 0));
            Ok(())
        }

        fn begin_object_value<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
            let end = self.out.len();
            if let Some(entry) = self.entries.last_mut() {
                entry.1 = end;
            }
            self.out.push(b':');
            Ok(())
        }

        fn end_object_value<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
            let end = self.out.len();
            if let Some(entry) = self.entries.last_mut() {
                entry.2 = end;
            }
            Ok(())
        }

        fn end_object<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
            self.sort_closing();
            self.out.push(b'}');
            Ok(())
        }
    }
}

/// The content hash of a visit revision.
pub fn content_hash(visit: &Visit) -> ContentHash {
    ContentHash::of_bytes(&canonical_visit(visit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Fields out of key order, keys a byte-wise sort must place by their
    /// text (quotes, escapes, a space, non-ASCII), objects in arrays and in
    /// maps.
    #[derive(Serialize)]
    struct Tricky {
        zeta: Vec<Inner>,
        #[serde(rename = "a\"quote")]
        quote: u8,
        #[serde(rename = "a b")]
        space: Option<f64>,
        #[serde(rename = "a\u{1}control")]
        control: bool,
        #[serde(rename = "é")]
        accented: &'static str,
        a: HashMap<String, Inner>,
        #[serde(rename = "ab")]
        longer: (),
    }

    /// Keys with no escapes, where the quotes would misorder them.
    #[derive(Serialize)]
    struct Plain {
        #[serde(rename = "a b")]
        space: u8,
        #[serde(rename = "a!")]
        bang: u8,
        a: u8,
        #[serde(rename = "a#")]
        hash: u8,
    }

    #[derive(Serialize)]
    struct Inner {
        y: i64,
        x: Option<Box<Inner>>,
        w: Vec<u32>,
    }

    fn inner(depth: i64) -> Inner {
        Inner {
            y: -depth,
            x: (depth > 0).then(|| Box::new(inner(depth - 1))),
            w: vec![3, 1, 2],
        }
    }

    fn tree_text<T: Serialize>(value: &T) -> Vec<u8> {
        canonical_json(&serde_json::to_value(value).unwrap()).into_bytes()
    }

    #[test]
    fn the_direct_writer_gives_the_trees_text() {
        let t = Tricky {
            zeta: vec![inner(2), inner(0)],
            quote: 7,
            space: Some(1.5),
            control: true,
            accented: "Hợp tác xã \"Tân Hiệp\"\n",
            a: (0..20).map(|i| (format!("k{i}"), inner(i % 3))).collect(),
            longer: (),
        };
        let direct = sorted::to_canonical(&t);
        assert_eq!(
            String::from_utf8(direct).unwrap(),
            String::from_utf8(tree_text(&t)).unwrap()
        );
        let plain = Plain {
            space: 1,
            bang: 2,
            a: 3,
            hash: 4,
        };
        assert_eq!(sorted::to_canonical(&plain), tree_text(&plain));
        // Already in order, nested: left as written.
        assert_eq!(sorted::to_canonical(&inner(3)), tree_text(&inner(3)));
    }

    #[test]
    fn a_visit_hashes_the_same_either_way() {
        let started = chrono::DateTime::parse_from_rfc3339("2026-12-07T08:00:00+07:00").unwrap();
        let v = crate::fixtures::complete_final(Visit::new_draft(
            uuid::Uuid::nil(),
            uuid::Uuid::max(),
            "canbo1",
            started,
        ));
        assert_eq!(canonical_visit(&v), canonical_via_tree(&v));
    }
}
