//! Start a new visit from the organisation's previous one (điền sẵn từ lần
//! khảo sát trước).
//!
//! What is copied: the organisation's facts ([`OrganisationFacts`]: status,
//! members, workers, capital, revenue/profit of the last full year, managers,
//! director) and the plan indicators ([`PlanIndicators`]: value chain,
//! enterprise link, certificates, OCOP, digital adoption, …). These change
//! slowly, so the officer confirms or corrects them instead of re-typing.
//! Certificates and OCOP products are copied as they were, expiry dates
//! included, so the officer sees and updates them.
//!
//! What is not copied, because it belongs to that day or that assessment:
//! the score sheet (a classification is made afresh for its year), the GPS
//! fix, notes, photos, `finished_at`, and everything about state and review:
//! the new visit is a [`VisitState::Draft`] at revision 0 with its own id, so
//! no review outcome of the previous visit (keyed by id and revision) applies.

use crate::visit::{OrganisationFacts, PlanIndicators, Visit, VisitState};
use chrono::{DateTime, FixedOffset};
use uuid::Uuid;

/// A new draft for `previous.organisation_id`, prefilled with the previous
/// visit's facts and plan indicators (see the module docs for what is left out).
pub fn prefill_visit(
    previous: &Visit,
    id: Uuid,
    officer: impl Into<String>,
    started_at: DateTime<FixedOffset>,
) -> Visit {
    let mut v = Visit::new_draft(id, previous.organisation_id, officer, started_at);
    v.facts = previous.facts.clone();
    v.plan = previous.plan.clone();
    debug_assert!(v.state == VisitState::Draft && v.revision == 0);
    v
}

impl Visit {
    /// Same as [`prefill_visit`].
    pub fn prefill_from(
        previous: &Visit,
        id: Uuid,
        officer: impl Into<String>,
        started_at: DateTime<FixedOffset>,
    ) -> Visit {
        prefill_visit(previous, id, officer, started_at)
    }

    /// Whether `self` carries the same facts and plan indicators as `other`
    /// (e.g. to tell "confirmed unchanged" from "edited" after a prefill).
    pub fn same_facts_and_plan(&self, other: &Visit) -> bool {
        self.facts == other.facts && self.plan == other.plan
    }
}

/// Facts and plan indicators that a prefill would copy (for a preview).
pub fn carried_over(previous: &Visit) -> (&OrganisationFacts, &PlanIndicators) {
    (&previous.facts, &previous.plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Vnd;
    use crate::organisation::LegalStatus;
    use crate::points::Points;
    use crate::rubric::Rubric;
    use crate::score::ScoreSheet;
    use crate::time::VN_OFFSET;
    use crate::visit::{GapCertificate, GapScheme, GeoFix, OcopProduct, PhotoRef};
    use chrono::TimeZone;

    fn previous() -> Visit {
        let t = VN_OFFSET.with_ymd_and_hms(2024, 11, 3, 9, 0, 0).unwrap();
        let mut v = Visit::new_draft(Uuid::from_u128(10), Uuid::from_u128(20), "Lê Văn C", t);
        v.state = VisitState::Final;
        v.revision = 3;
        v.replaces_revision = Some(2);
        v.notes = "Đường vào bị ngập".into();
        v.finished_at = Some(t + chrono::Duration::hours(1));
        v.location = GeoFix::from_degrees(10.01, 105.08, 8.0);
        v.facts.status = Some(LegalStatus::Active);
        v.facts.members.official = Some(120);
        v.facts.members.total = Some(120);
        v.facts.revenue = Some(Vnd::billion(3));
        v.facts.pre_tax_profit = Some(Vnd::million(-150));
        v.plan.value_chain = Some(true);
        v.plan.enterprise_partner = Some("Công ty Lúa Vàng".into());
        v.plan.gap_certificates = vec![GapCertificate {
            scheme: GapScheme::VietGap,
            product: "Lúa".into(),
            valid_until: chrono::NaiveDate::from_ymd_opt(2025, 6, 30),
        }];
        v.plan.ocop_products = vec![OcopProduct {
            name: "Gạo thơm".into(),
            stars: 4,
        }];
        let mut sheet = ScoreSheet::new(&Rubric::tt_01_2020(), 2024);
        sheet.set("TC1", Points::whole(5));
        v.score_sheet = Some(sheet);
        v.photos = vec![PhotoRef {
            id: Uuid::from_u128(99),
            sha256: "ab".repeat(32),
            caption: "Kho".into(),
        }];
        v
    }

    #[test]
    fn copies_facts_and_plan_only() {
        let prev = previous();
        let t = VN_OFFSET.with_ymd_and_hms(2025, 10, 1, 8, 0, 0).unwrap();
        let v = prefill_visit(&prev, Uuid::from_u128(11), "Trần Thị D", t);
        assert_eq!(v.id, Uuid::from_u128(11));
        assert_eq!(v.organisation_id, prev.organisation_id);
        assert_eq!(v.officer, "Trần Thị D");
        assert_eq!(v.started_at, t);
        assert_eq!(v.facts, prev.facts);
        assert_eq!(v.plan, prev.plan);
        assert!(v.same_facts_and_plan(&prev));
        assert_eq!(v.state, VisitState::Draft);
        assert_eq!((v.revision, v.replaces_revision), (0, None));
        assert!(v.score_sheet.is_none());
        assert!(v.location.is_none());
        assert!(v.notes.is_empty());
        assert!(v.photos.is_empty());
        assert!(v.finished_at.is_none());
        // Everything else equals a fresh draft.
        let mut fresh = Visit::new_draft(v.id, v.organisation_id, "Trần Thị D", t);
        fresh.facts = prev.facts.clone();
        fresh.plan = prev.plan.clone();
        assert_eq!(v, fresh);
        assert_eq!(Visit::prefill_from(&prev, v.id, "Trần Thị D", t), v);
        let (f, p) = carried_over(&prev);
        assert_eq!((f, p), (&v.facts, &v.plan));
    }

    #[test]
    fn the_previous_visit_is_untouched_and_edits_do_not_leak() {
        let prev = previous();
        let snapshot = prev.clone();
        let t = VN_OFFSET.with_ymd_and_hms(2025, 10, 1, 8, 0, 0).unwrap();
        let mut v = Visit::prefill_from(&prev, Uuid::from_u128(12), "A", t);
        v.facts.members.official = Some(130);
        v.plan.ocop_products.clear();
        assert_eq!(prev, snapshot);
        assert!(!v.same_facts_and_plan(&prev));
    }
}
