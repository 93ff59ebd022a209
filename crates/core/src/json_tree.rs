//! A value as a `serde_json::Value` tree and back, for the code that works on
//! a visit's fields by path (the form, its parts, diffs, content hashes).
//!
//! In the browser the tree goes through JSON text: every type then has a
//! single serde instance in the wasm, serde_json's text one, which storage
//! and the network need anyway, instead of a second one per type for
//! `serde_json::Value` (the field app's download over a mobile link). The
//! server keeps the direct conversion, which is quicker per pushed visit.
//! Both give the same tree (tested below).
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// `value` as a JSON tree.
pub fn to_tree<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Value> {
    #[cfg(target_arch = "wasm32")]
    return to_tree_via_text(value);
    #[cfg(not(target_arch = "wasm32"))]
    return serde_json::to_value(value);
}

/// A JSON tree read back as `T`.
pub fn from_tree<T: DeserializeOwned>(tree: Value) -> serde_json::Result<T> {
    #[cfg(target_arch = "wasm32")]
    return from_tree_via_text(tree);
    #[cfg(not(target_arch = "wasm32"))]
    return serde_json::from_value(tree);
}

#[cfg_attr(not(any(test, target_arch = "wasm32")), allow(dead_code))]
fn to_tree_via_text<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Value> {
    serde_json::from_str(&serde_json::to_string(value)?)
}

#[cfg_attr(not(any(test, target_arch = "wasm32")), allow(dead_code))]
fn from_tree_via_text<T: DeserializeOwned>(tree: Value) -> serde_json::Result<T> {
    serde_json::from_str(&tree.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::points::Points;
    use crate::rubric::Rubric;
    use crate::score::ScoreSheet;
    use crate::time::VN_OFFSET;
    use crate::{fixtures, Visit};
    use chrono::TimeZone;
    use uuid::Uuid;

    #[test]
    fn the_browsers_text_route_gives_the_same_tree_and_visit() {
        let t = VN_OFFSET.with_ymd_and_hms(2025, 9, 3, 8, 0, 0).unwrap();
        let draft = Visit::new_draft(Uuid::now_v7(), Uuid::now_v7(), "canbo1", t);
        let mut scored = fixtures::complete_final(draft.clone());
        let mut sheet = ScoreSheet::new(&Rubric::tt_01_2020(), 2025);
        sheet.set("1.1", Points::from_centi(250));
        scored.score_sheet = Some(sheet);
        scored.notes = "Giám đốc: \"tốt\"\n".into();
        for visit in [draft, scored] {
            let direct = serde_json::to_value(&visit).unwrap();
            let text = to_tree_via_text(&visit).unwrap();
            assert_eq!(direct, text);
            let back: Visit = from_tree_via_text(text).unwrap();
            assert_eq!(back, visit);
            assert_eq!(serde_json::from_value::<Visit>(direct).unwrap(), visit);
        }
    }
}
