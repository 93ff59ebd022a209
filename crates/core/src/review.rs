//! Review outcomes (kết quả duyệt): alliance staff approve a synced visit
//! revision or send it back with a comment. Decided on the server, pulled by devices.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Đã duyệt.
    Approved,
    /// Trả lại để chỉnh sửa.
    Returned,
}

impl ReviewDecision {
    pub const ALL: [ReviewDecision; 2] = [ReviewDecision::Approved, ReviewDecision::Returned];

    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Approved => "Đã duyệt",
            Self::Returned => "Trả lại để chỉnh sửa",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Approved => "Approved",
            Self::Returned => "Returned for changes",
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReviewOutcome {
    pub visit_id: Uuid,
    pub revision: u32,
    pub decision: ReviewDecision,
    #[serde(default)]
    pub comment: String,
    pub reviewer: String,
    pub reviewed_at: DateTime<FixedOffset>,
}

/// The decision in force for a visit revision: the latest review of it.
pub fn decision_for(
    reviews: &[ReviewOutcome],
    visit_id: uuid::Uuid,
    revision: u32,
) -> Option<ReviewDecision> {
    reviews
        .iter()
        .filter(|r| r.visit_id == visit_id && r.revision == revision)
        .max_by_key(|r| r.reviewed_at)
        .map(|r| r.decision)
}

/// The decision in force for every reviewed revision, in one pass (for many
/// lookups; [`decision_for`] scans the list each time).
pub fn decisions(
    reviews: &[ReviewOutcome],
) -> std::collections::HashMap<(uuid::Uuid, u32), ReviewDecision> {
    let mut latest: std::collections::HashMap<(uuid::Uuid, u32), &ReviewOutcome> =
        std::collections::HashMap::new();
    for r in reviews {
        let e = latest.entry((r.visit_id, r.revision)).or_insert(r);
        // Same rule as `decision_for` (max_by_key keeps the last of equals).
        if r.reviewed_at >= e.reviewed_at {
            *e = r;
        }
    }
    latest.into_iter().map(|(k, r)| (k, r.decision)).collect()
}
