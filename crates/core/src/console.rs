//! What the review console exchanges with the server (`/api/v1/visits`),
//! shared by the server (which writes it) and the browser app (which reads
//! it), so the two cannot drift apart.

use serde::{Deserialize, Serialize};

use crate::diff::FieldChange;
use crate::indicators::IndicatorReport;
use crate::organisation::{LegalStatus, OrganisationKind, Sector};
use crate::place::{Hierarchy, PlaceLevel};
use crate::visit::Visit;

/// First path segments of the console's pages (`/review/...`). The console is
/// a bundle of its own: the server answers these paths with its page, the
/// field app links to them as other pages, and `public/sw.js` leaves them to
/// the network (scripts/gen-sw.py writes its pattern from this line).
pub const CONSOLE_ROUTES: [&str; 5] = ["review", "registry", "dashboard", "report", "admin"];

/// Which of the app's two bundles owns a page: the field app (officers,
/// phones, offline) or the staff console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Field,
    Console,
}

impl Part {
    /// The part whose router owns `path` (`/review/…` → console).
    pub fn of_path(path: &str) -> Part {
        let first = path
            .trim_start_matches('/')
            .split(['/', '?', '#'])
            .next()
            .unwrap_or("");
        if CONSOLE_ROUTES.contains(&first) {
            Part::Console
        } else {
            Part::Field
        }
    }

    /// `rel` for a link from this part to `href`: "external" when the other
    /// part owns it, so the router lets the browser load that page.
    pub fn link_rel(self, href: &str) -> Option<&'static str> {
        (Part::of_path(href) != self).then_some("external")
    }
}

/// Sort orders of the visit list.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ListOrder {
    #[default]
    NewestFirst,
    OldestFirst,
    ScoreHighFirst,
    ScoreLowFirst,
    Organisation,
}

/// A row of the visit list: a visit's latest stored revision.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct VisitListItem {
    pub visit_id: String,
    pub revision: i64,
    /// Local date, `YYYY-MM-DD`.
    pub visited_on: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub registration_code: Option<String>,
    pub kind: String,
    pub sector: String,
    pub place_code: String,
    pub place_name: String,
    pub provisional: bool,
    /// Username of the officer who pushed it.
    pub officer: String,
    pub officer_name: String,
    /// Hundredths of a point, when the score sheet scores.
    pub score_centi: Option<i64>,
    /// good | fair | average | weak
    pub grade: Option<String>,
    /// pending | approved | returned
    pub review_state: String,
    /// Unresolved conflicting pushes.
    pub conflicts: i64,
    pub received_at: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct VisitPage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<VisitListItem>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StoredRevision {
    pub revision: i64,
    pub replaces_revision: Option<i64>,
    pub hash: String,
    pub received_at: String,
    pub visit: Visit,
    /// What this revision changed from the one before it (empty for the first).
    pub changes: Vec<FieldChange>,
    /// Total of the score sheet in hundredths of a point, when it scores
    /// under the rubric version it names.
    pub score_centi: Option<i64>,
    /// good | fair | average | weak
    pub grade: Option<String>,
    /// Display name of the account that pushed this revision (the device's
    /// own `visit.officer` text is only what the phone said).
    #[serde(default)]
    pub pushed_by: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ConflictInfo {
    pub revision: i64,
    pub hash: String,
    /// same_revision_other_content | stale_base
    pub reason: String,
    pub server_hash: String,
    pub received_at: String,
    /// The conflicting content as pushed.
    pub visit: Visit,
    /// Where it differs from the stored latest revision
    /// (`before` = stored, `after` = conflicting).
    pub differences: Vec<FieldChange>,
    /// Display name of the account that pushed this copy.
    #[serde(default)]
    pub pushed_by: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReviewInfo {
    pub revision: i64,
    /// approved | returned
    pub decision: String,
    pub comment: String,
    /// The reviewer's display name.
    pub reviewer: String,
    pub reviewed_at: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OrganisationInfo {
    pub id: String,
    pub name: String,
    pub registration_code: Option<String>,
    pub kind: String,
    pub sector: String,
    pub place_code: String,
    pub place_name: String,
    pub provisional: bool,
}

/// An entry of the audit log (nhật ký thao tác).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: String,
    pub username: String,
    pub display_name: String,
    /// e.g. visit.approve, visit.return
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// JSON text of the action's details.
    pub detail: String,
}

/// Everything the console shows of one visit.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct VisitHistory {
    pub latest: StoredRevision,
    /// The officer the visit belongs to (display name of the account that
    /// pushed it first, or of the officer an admin handed it to).
    #[serde(default)]
    pub owner: String,
    /// That officer's username.
    #[serde(default)]
    pub owner_username: String,
    pub organisation: Option<OrganisationInfo>,
    /// Oldest first.
    pub revisions: Vec<StoredRevision>,
    pub conflicts: Vec<ConflictInfo>,
    /// Oldest first.
    pub reviews: Vec<ReviewInfo>,
    /// Oldest first.
    pub audit: Vec<AuditEntry>,
}

impl VisitHistory {
    /// The review in force for the latest revision, if any.
    pub fn latest_review(&self) -> Option<&ReviewInfo> {
        self.reviews
            .iter()
            .rev()
            .find(|r| r.revision == self.latest.revision)
    }
}

/// A row of the registry (`GET /api/v1/organisations`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RegistryItem {
    pub organisation: crate::organisation::Organisation,
    pub place_name: String,
    /// The registry organisation this provisional one was merged into.
    pub merged_into: Option<String>,
    /// Visits of it in the console (after merges: of the target).
    pub visits: i64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RegistryPage {
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub items: Vec<RegistryItem>,
}

// ---- plan dashboard (`GET /api/v1/dashboard`) ----

/// A place as the dashboard names it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PlaceInfo {
    pub hierarchy: Hierarchy,
    pub code: String,
    pub name: String,
    pub level: PlaceLevel,
}

/// An organisation of the scope without a qualifying visit in the year.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OrganisationSummary {
    pub id: String,
    pub name: String,
    pub registration_code: Option<String>,
    /// cooperative_group | cooperative | cooperative_union | peoples_credit_fund
    pub kind: OrganisationKind,
    /// "Hợp tác xã", ...
    pub kind_label: String,
    pub sector: Sector,
    /// As recorded in the registry (a visit may have seen it otherwise).
    pub legal_status: LegalStatus,
    /// Commune (new hierarchy).
    pub place_code: String,
    pub place_name: String,
}

/// A Phụ lục 1 row that visits cannot measure.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct NotMeasured {
    pub id: String,
    pub label_vi: String,
    pub reason_vi: String,
}

/// `GET /api/v1/dashboard`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Dashboard {
    pub year: i32,
    pub only_reviewed: bool,
    /// The place filter; `None`: the user's whole scope.
    pub place: Option<PlaceInfo>,
    /// One group: the chosen place (`place`, `place_name` set), or the
    /// whole scope (both null); also when no organisation is in scope.
    pub report: IndicatorReport,
    pub not_measured: Vec<NotMeasured>,
    /// Every organisation counted in the group without a qualifying visit
    /// (as many as `report.groups[0].organisations_without_visit`), by
    /// commune then name.
    pub organisations_without_visit: Vec<OrganisationSummary>,
    /// RFC 3339, UTC.
    pub generated_at: String,
}

/// (Vietnamese, English) labels of the codes the console lists.
pub mod labels {
    use crate::organisation::{OrganisationKind, Sector};
    use crate::rubric::Grade;
    use crate::Coded;

    pub fn kind(code: &str) -> Option<(&'static str, &'static str)> {
        OrganisationKind::from_code(code).map(|k| (k.label_vi(), k.label_en()))
    }

    /// Any stored sector code (older spellings included).
    pub fn sector(code: &str) -> (&'static str, &'static str) {
        let s = Sector::from_code(code);
        (s.label_vi(), s.label_en())
    }

    pub fn grade(code: &str) -> Option<(&'static str, &'static str)> {
        Grade::from_code(code).map(|g| (g.label_vi(), g.label_en()))
    }

    /// Review states, with "conflict" (a filter of the list).
    pub const REVIEW_STATES: [(&str, &str, &str); 4] = [
        ("pending", "Chờ duyệt", "Awaiting review"),
        ("approved", "Đã duyệt", "Approved"),
        ("returned", "Đã trả lại", "Returned"),
        ("conflict", "Có xung đột", "Has conflicts"),
    ];

    pub fn review_state(code: &str) -> Option<(&'static str, &'static str)> {
        REVIEW_STATES
            .iter()
            .find(|(c, _, _)| *c == code)
            .map(|(_, vi, en)| (*vi, *en))
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn codes_the_server_writes_have_labels() {
            assert_eq!(
                super::kind("cooperative"),
                Some(("Hợp tác xã", "Cooperative"))
            );
            assert_eq!(super::grade("fair").map(|l| l.0), Some("Khá"));
            assert_eq!(super::sector("agriculture_crops"), super::sector("crops"));
            assert_ne!(super::sector("crops"), super::sector("other"));
            assert_eq!(
                super::review_state("returned").map(|l| l.0),
                Some("Đã trả lại")
            );
            assert_eq!(super::kind("nonsense"), None);
        }
    }
}

#[cfg(test)]
mod part_tests {
    use super::*;

    #[test]
    fn console_paths_belong_to_the_console() {
        for p in [
            "/review",
            "/review/abc",
            "/registry?provisional=true",
            "/dashboard",
            "/report",
            "/admin",
        ] {
            assert_eq!(Part::of_path(p), Part::Console, "{p}");
        }
        for p in [
            "/",
            "/orgs",
            "/visits/1",
            "/signin",
            "/storage",
            "/reviewer",
        ] {
            assert_eq!(Part::of_path(p), Part::Field, "{p}");
        }
        assert_eq!(Part::Field.link_rel("/review"), Some("external"));
        assert_eq!(Part::Console.link_rel("/review/1"), None);
        assert_eq!(Part::Console.link_rel("/signin"), Some("external"));
    }

    /// The service worker's pattern is written from `CONSOLE_ROUTES` at
    /// build time; the source keeps the placeholder, not a copy of the list.
    #[test]
    fn the_service_worker_takes_the_console_routes_from_here() {
        let sw = include_str!("../../../public/sw.js");
        assert!(
            sw.contains("__CONSOLE_ROUTES__"),
            "public/sw.js lists the console's routes itself"
        );
        let gen = include_str!("../../../scripts/gen-sw.py");
        assert!(gen.contains("crates/core/src/console.rs") && gen.contains("CONSOLE_ROUTES"));
    }
}
