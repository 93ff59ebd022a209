//! What the field app keeps beside each visit on the device: its local
//! state (nháp, chờ đồng bộ, đã xác nhận, bị trả lại, …) and a small summary
//! for the lists, so a list of 10,000 visits never reads 10,000 full records.

use crate::organisation::Organisation;
use crate::points::Points;
use crate::problem::ValidationError;
use crate::rubric::{Grade, Rubric};
use crate::score::{score, Rating};
use crate::visit::{Visit, VisitState};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a visit stands, seen from the device.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum LocalStatus {
    /// Nháp: being filled in, never leaves the device.
    Draft,
    /// Chờ đồng bộ: final, in the outbox.
    Waiting,
    /// Đã xác nhận: the server holds this revision (from a receipt).
    Confirmed,
    /// Bị từ chối: the server refused it (reasons kept in the summary).
    Rejected,
    /// Xung đột: the server holds other content for this revision.
    Conflict,
    /// Bị trả lại: a reviewer sent it back with a comment.
    Returned,
}

impl LocalStatus {
    pub const ALL: [LocalStatus; 6] = [
        LocalStatus::Draft,
        LocalStatus::Waiting,
        LocalStatus::Confirmed,
        LocalStatus::Rejected,
        LocalStatus::Conflict,
        LocalStatus::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LocalStatus::Draft => "draft",
            LocalStatus::Waiting => "waiting",
            LocalStatus::Confirmed => "confirmed",
            LocalStatus::Rejected => "rejected",
            LocalStatus::Conflict => "conflict",
            LocalStatus::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<LocalStatus> {
        LocalStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            LocalStatus::Draft => "Nháp",
            LocalStatus::Waiting => "Chờ đồng bộ",
            LocalStatus::Confirmed => "Máy chủ đã nhận",
            LocalStatus::Rejected => "Bị từ chối",
            LocalStatus::Conflict => "Xung đột",
            LocalStatus::Returned => "Bị trả lại",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            LocalStatus::Draft => "Draft",
            LocalStatus::Waiting => "Waiting to sync",
            LocalStatus::Confirmed => "Confirmed by the server",
            LocalStatus::Rejected => "Rejected",
            LocalStatus::Conflict => "Conflict",
            LocalStatus::Returned => "Returned by a reviewer",
        }
    }

    /// Not yet held by the server: what an export must carry.
    pub fn is_unsynced(self) -> bool {
        !matches!(self, LocalStatus::Confirmed)
    }
}

/// The running score of a visit's sheet, as the form shows it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RunningScore {
    pub total: Points,
    pub max_points: Points,
    pub grade: Option<Grade>,
    /// Items not scored yet (counted as zero above).
    pub missing: usize,
    /// Why there is no grade (not rated, or the sheet is incomplete), in Vietnamese.
    pub note_vi: Option<String>,
    pub note_en: Option<String>,
}

/// Scores what has been entered so far. Items not yet scored count as zero,
/// so the grade shown while typing is the grade the officer would get now.
pub fn running_score(visit: &Visit, rubric: &Rubric) -> Option<RunningScore> {
    let entered = visit.score_sheet.as_ref()?;
    let mut sheet = entered.clone();
    let mut missing = 0;
    for (code, _) in rubric
        .groups
        .iter()
        .flat_map(|g| &g.criteria)
        .flat_map(|c| c.scored_items())
    {
        if !sheet.points.contains_key(code) {
            sheet.set(code, Points::ZERO);
            missing += 1;
        }
    }
    let sheet = &sheet;
    match score(sheet, rubric) {
        Ok(r) => {
            let (grade, note_vi, note_en) = match &r.rating {
                Rating::Graded { grade, .. } => (Some(*grade), None, None),
                Rating::NotRated(reason) => {
                    (None, Some(reason.message_vi()), Some(reason.message_en()))
                }
            };
            Some(RunningScore {
                total: r.total,
                max_points: r.max_points,
                grade,
                missing,
                note_vi,
                note_en,
            })
        }
        Err(e) => Some(RunningScore {
            total: sheet.points.values().copied().sum(),
            max_points: rubric.max_points,
            grade: None,
            missing,
            note_vi: Some(format!("Phiếu chấm chưa hợp lệ: {e}")),
            note_en: Some(format!("Score sheet is not valid: {e}")),
        }),
    }
}

/// How much of the notes a list line shows.
pub const NOTES_EXCERPT_CHARS: usize = 80;

/// One line of a visit list (tóm tắt chuyến khảo sát), stored beside the visit.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct VisitSummary {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub started_at: DateTime<FixedOffset>,
    /// Last local change, milliseconds since the epoch.
    pub updated_ms: i64,
    /// `-updated_ms`: an ascending index on it lists the newest first.
    pub recent: i64,
    pub status: LocalStatus,
    pub revision: u32,
    /// The start of the notes, so the officer recognises the visit in a list.
    #[serde(default)]
    pub notes_excerpt: String,
    #[serde(default)]
    pub grade: Option<Grade>,
    #[serde(default)]
    pub total: Option<Points>,
    /// Why the server refused it (for a rejected visit).
    #[serde(default)]
    pub problems: Vec<ValidationError>,
    /// The reviewer's comment (for a returned visit).
    #[serde(default)]
    pub review_comment: Option<String>,
    /// The account (username) this visit belongs to on this device: lists,
    /// counts and the outbox show and send only the signed-in account's
    /// visits, so the next user of a shared phone never takes them as theirs.
    /// Empty: recorded while nobody was signed in; the next sign-in claims it.
    #[serde(default)]
    pub account: String,
}

impl VisitSummary {
    /// The summary of `visit` as saved now. Drafts are `Draft`, final
    /// revisions start `Waiting`; later states come from sync and review.
    pub fn of(
        visit: &Visit,
        organisation: Option<&Organisation>,
        rubric: Option<&Rubric>,
        updated_ms: i64,
    ) -> VisitSummary {
        let running = rubric.and_then(|r| running_score(visit, r));
        VisitSummary {
            id: visit.id,
            organisation_id: visit.organisation_id,
            organisation_name: organisation.map(|o| o.name.clone()).unwrap_or_default(),
            started_at: visit.started_at,
            updated_ms,
            recent: -updated_ms,
            status: match visit.state {
                VisitState::Draft => LocalStatus::Draft,
                VisitState::Final => LocalStatus::Waiting,
            },
            revision: visit.revision,
            notes_excerpt: visit.notes.chars().take(NOTES_EXCERPT_CHARS).collect(),
            grade: running.as_ref().and_then(|r| r.grade),
            total: running.map(|r| r.total),
            problems: Vec::new(),
            review_comment: None,
            account: visit.officer.clone(),
        }
    }
}

impl VisitSummary {
    /// The summary of a visit the server sent back to this device (a
    /// returned revision the device did not hold): the server holds it, so
    /// it starts `Confirmed`; the review that came with it then marks it
    /// returned, and editing it makes the next revision.
    /// It belongs to `account`, the officer whose pull brought it (the
    /// visit's own officer text may name whoever had it before a reassignment).
    pub fn received(
        visit: &Visit,
        organisation: Option<&Organisation>,
        account: &str,
        updated_ms: i64,
    ) -> VisitSummary {
        VisitSummary {
            status: LocalStatus::Confirmed,
            account: account.to_string(),
            ..VisitSummary::of(visit, organisation, None, updated_ms)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::VN_OFFSET;
    use chrono::TimeZone;

    fn visit_with(points: &[(&str, Points)]) -> (Visit, Rubric) {
        let rubric = Rubric::tt_01_2020();
        let t = VN_OFFSET.with_ymd_and_hms(2025, 9, 3, 8, 0, 0).unwrap();
        let mut v = Visit::new_draft(Uuid::nil(), Uuid::nil(), "canbo1", t);
        let mut sheet = crate::score::ScoreSheet::new(&rubric, 2025);
        for (c, p) in points {
            sheet.set(*c, *p);
        }
        v.score_sheet = Some(sheet);
        (v, rubric)
    }

    fn all_items(r: &Rubric) -> Vec<(String, Points)> {
        r.groups
            .iter()
            .flat_map(|g| g.criteria.iter())
            .flat_map(|c| c.scored_items())
            .map(|(c, p)| (c.to_string(), p))
            .collect()
    }

    #[test]
    fn full_marks_are_good_and_nothing_is_weak() {
        let r = Rubric::tt_01_2020();
        let items = all_items(&r);
        let refs: Vec<(&str, Points)> = items.iter().map(|(c, p)| (c.as_str(), *p)).collect();
        let (v, rubric) = visit_with(&refs);
        let s = running_score(&v, &rubric).unwrap();
        assert_eq!(s.total, rubric.max_points);
        assert_eq!(s.grade, Some(Grade::Good));
        let (v, rubric) = visit_with(&[]);
        assert_eq!(running_score(&v, &rubric).unwrap().grade, Some(Grade::Weak));
    }

    #[test]
    fn summary_of_a_final_visit_waits_and_lists_newest_first() {
        let (mut v, rubric) = visit_with(&[]);
        let a = VisitSummary::of(&v, None, Some(&rubric), 1_000);
        assert_eq!(a.status, LocalStatus::Draft);
        v.state = VisitState::Final;
        let b = VisitSummary::of(&v, None, Some(&rubric), 2_000);
        assert_eq!(b.status, LocalStatus::Waiting);
        assert!(b.recent < a.recent, "newer sorts first");
        assert_eq!(
            a.account, "canbo1",
            "a new visit belongs to the officer who recorded it"
        );
        assert_eq!(b.grade, Some(Grade::Weak));
        assert!(LocalStatus::ALL
            .iter()
            .all(|s| LocalStatus::parse(s.as_str()) == Some(*s)));
    }

    #[test]
    fn a_visit_sent_back_by_the_server_is_held_there_and_edited_as_the_next_revision() {
        let (mut v, _) = visit_with(&[]);
        v.state = VisitState::Final;
        let s = VisitSummary::received(&v, None, "canbo2", 3_000);
        assert_eq!(s.status, LocalStatus::Confirmed);
        assert_eq!(s.account, "canbo2", "the puller's, not the officer text's");
        assert_eq!(s.revision, v.revision);
        assert_eq!(
            crate::outbox::edit_mode(LocalStatus::Returned, false),
            crate::outbox::EditMode::NextRevision
        );
    }
}
