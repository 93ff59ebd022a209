//! What changed between two revisions of a visit (or between a stored
//! revision and a conflicting push): the review console shows it as a table
//! of field paths with the value before and after.

use crate::json_tree::to_tree;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use crate::visit::Visit;

/// Fields that differ between any two revisions by construction.
const BOOKKEEPING: &[&str] = &["revision", "replaces_revision"];

/// One changed field. Values are JSON text (`None`: absent or null).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// Dotted path, e.g. `facts.members.official`, `score_sheet.points.1.1`.
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The fields of `after` that differ from `before`, in path order. Arrays
/// are compared whole (a photo or certificate list shows as one change).
pub fn visit_changes(before: &Visit, after: &Visit) -> Vec<FieldChange> {
    let (Ok(a), Ok(b)) = (to_tree(before), to_tree(after)) else {
        return vec![];
    };
    let mut left = BTreeMap::new();
    let mut right = BTreeMap::new();
    flatten("", &a, &mut left);
    flatten("", &b, &mut right);
    let mut paths: Vec<&String> = left.keys().chain(right.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|p| !BOOKKEEPING.contains(&p.as_str()))
        .filter_map(|p| {
            let (x, y) = (left.get(p).cloned(), right.get(p).cloned());
            (x != y).then(|| FieldChange {
                path: p.clone(),
                before: x,
                after: y,
            })
        })
        .collect()
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, child, out);
            }
        }
        Value::Null => {}
        Value::Array(items) if items.is_empty() => {}
        // Photos as a reviewer tells them apart: caption and the start of
        // the name, not the whole JSON of each reference.
        Value::Array(items) if prefix == "photos" => {
            let shown: Vec<String> = items
                .iter()
                .map(|p| {
                    let caption = p["caption"]
                        .as_str()
                        .filter(|c| !c.is_empty())
                        .unwrap_or("—");
                    let sha = p["sha256"].as_str().unwrap_or_default();
                    format!("{caption} [{}]", sha.get(..8).unwrap_or(sha))
                })
                .collect();
            out.insert(prefix.to_owned(), shown.join("; "));
        }
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn lists_exactly_the_changed_fields() {
        let started = chrono::DateTime::parse_from_rfc3339("2025-09-10T08:00:00+07:00").unwrap();
        let draft = Visit::new_draft(uuid::Uuid::nil(), uuid::Uuid::nil(), "canbo1", started);
        let before = fixtures::complete_final(draft);
        let mut after = before.next_revision();
        after.notes = "Đã bổ sung số liệu".into();
        after.facts.members.official = Some(125);
        after.facts.workers = None;
        let changes = visit_changes(&before, &after);
        let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            ["facts.members.official", "facts.workers", "notes"],
            "{changes:#?}"
        );
        let members = &changes[0];
        assert_eq!(members.before.as_deref(), Some("120"));
        assert_eq!(members.after.as_deref(), Some("125"));
        assert_eq!(changes[1].after, None, "a cleared field shows as absent");
        let notes = changes.iter().find(|c| c.path == "notes").unwrap();
        assert_eq!(notes.after.as_deref(), Some("Đã bổ sung số liệu"));
        // A photo added: one change, told by caption and name.
        let mut with_photo = after.clone();
        with_photo.photos.push(crate::visit::PhotoRef {
            id: uuid::Uuid::nil(),
            sha256: "3fa2c1d0".repeat(8),
            caption: "Bảng hiệu".into(),
        });
        let photos = visit_changes(&after, &with_photo);
        assert_eq!(photos.len(), 1);
        assert_eq!(
            (photos[0].path.as_str(), photos[0].before.as_deref()),
            ("photos", None)
        );
        assert_eq!(photos[0].after.as_deref(), Some("Bảng hiệu [3fa2c1d0]"));
        // Same content, other revision: nothing to show.
        assert!(visit_changes(&before, &before.next_revision()).is_empty());
    }
}
