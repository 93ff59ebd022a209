//! Plan indicators on a hand-computed fixture of 22 organisations covering
//! every indicator. Expected values are worked out in the comments.

use chrono::{Duration, TimeZone};
use htx_core::indicators::{
    compute_indicators, IndicatorId as I, IndicatorInput, IndicatorOptions, IndicatorReport,
    IndicatorValue, TargetStatus as S,
};
use htx_core::organisation::{LegalStatus, Organisation, OrganisationKind as K, Sector};
use htx_core::place::{Hierarchy, PlaceLevel, PlaceRegistry};
use htx_core::review::{ReviewDecision, ReviewOutcome};
use htx_core::rubric::{Rubric, RubricRegistry};
use htx_core::score::ScoreSheet;
use htx_core::time::VN_OFFSET;
use htx_core::visit::{Gender, Visit, VisitState};
use htx_core::Points;
use uuid::Uuid;

fn org(n: u128, kind: K, sector: Sector, old: Option<&str>, new: Option<&str>) -> Organisation {
    let mut o = Organisation::new(Uuid::from_u128(n), kind, format!("Tổ chức {n}"), sector);
    o.registration_code = Some(format!("17000{n:05}"));
    o.place_old = old.map(String::from);
    o.place_new = new.map(String::from);
    o
}

/// A full sheet totalling `centi` hundredths.
fn sheet(centi: u32) -> ScoreSheet {
    let r = Rubric::tt_01_2020();
    let mut s = ScoreSheet::new(&r, 2025);
    let mut left = centi;
    for (code, max) in r.scored_items() {
        let p = left.min(max.centi());
        left -= p;
        s.set(code, Points::from_centi(p));
    }
    s
}

/// A final visit to `org` in 2025 on (month, day).
fn visit(org: u128, visit_no: u128, month: u32, day: u32, f: impl FnOnce(&mut Visit)) -> Visit {
    let t = VN_OFFSET
        .with_ymd_and_hms(2025, month, day, 9, 0, 0)
        .unwrap();
    let mut v = Visit::new_draft(
        Uuid::from_u128(1000 + visit_no),
        Uuid::from_u128(org),
        "Cán bộ",
        t,
    );
    v.state = VisitState::Final;
    v.revision = 1;
    v.finished_at = Some(t + Duration::hours(1));
    f(&mut v);
    v
}

#[allow(clippy::too_many_arguments)]
fn set(
    v: &mut Visit,
    members: u32,
    mgr: (u32, u32),
    female: bool,
    trained: bool,
    vc: Option<bool>,
    ht: bool,
    link: bool,
) {
    v.facts.members.total = Some(members);
    v.facts.managers.total = Some(mgr.0);
    v.facts.managers.with_degree = Some(mgr.1);
    v.facts.director.gender = Some(if female { Gender::Female } else { Gender::Male });
    v.facts.director.trained = Some(trained);
    v.plan.value_chain = vc;
    v.plan.high_tech = Some(ht);
    v.plan.enterprise_link = Some(link);
}

struct Fixture {
    orgs: Vec<Organisation>,
    visits: Vec<Visit>,
    reviews: Vec<ReviewOutcome>,
}

fn fixture() -> Fixture {
    use Sector::*;
    let mut orgs = vec![
        org(1, K::Cooperative, Crops, Some("30733"), None), // H1, TP Rạch Giá
        org(2, K::Cooperative, Livestock, Some("30736"), None), // H2, TP Rạch Giá
        org(3, K::Cooperative, Aquaculture, Some("30817"), None), // H3, Hòn Đất
        org(4, K::Cooperative, Transport, Some("30823"), None), // H4, Hòn Đất (not agri)
        org(5, K::Cooperative, Crops, None, Some("30742")), // H5, new Phường Rạch Giá only
        org(6, K::Cooperative, Crops, Some("30733"), None), // H6
        org(7, K::Cooperative, Crops, None, None),          // H7
        org(8, K::Cooperative, Crops, None, None),          // H8: visit only in 2024
        org(9, K::Cooperative, IndustryHandicraft, None, None), // H9: halted in registry, no visit
        org(10, K::Cooperative, Crops, None, None),         // H10: dissolved, excluded
        org(11, K::Cooperative, Salt, None, None),          // H11: revisions
        org(12, K::Cooperative, Forestry, None, None),      // H12: two visits, reviews
        org(21, K::CooperativeGroup, Crops, None, None),    // T1
        org(22, K::CooperativeGroup, Crops, None, None),    // T2
        org(23, K::CooperativeGroup, Crops, None, None),    // T3: no visit
        org(24, K::CooperativeGroup, Crops, None, None),    // T4: dissolved per visit
        org(25, K::CooperativeGroup, Crops, None, None),    // T5: visit without members
        org(31, K::CooperativeUnion, TradeServices, None, None), // L1
        org(32, K::CooperativeUnion, TradeServices, None, None), // L2
        org(33, K::CooperativeUnion, TradeServices, None, None), // L3: no visit
        org(41, K::PeoplesCreditFund, Credit, None, None),  // Q1
        org(42, K::PeoplesCreditFund, Credit, None, None),  // Q2: no visit
    ];
    orgs[8].legal_status = LegalStatus::Halted;
    orgs[9].legal_status = LegalStatus::Dissolved;

    let visits = vec![
        visit(1, 1, 3, 1, |v| {
            set(v, 100, (5, 3), true, true, Some(true), true, true);
            v.score_sheet = Some(sheet(8500)); // Good
        }),
        visit(2, 2, 3, 2, |v| {
            set(v, 50, (4, 1), false, true, Some(false), false, false);
            v.score_sheet = Some(sheet(7000)); // Fair
        }),
        visit(3, 3, 4, 1, |v| {
            set(v, 200, (6, 2), false, false, Some(true), true, true);
            v.score_sheet = Some(sheet(5500)); // Average
        }),
        visit(4, 4, 4, 2, |v| {
            set(v, 30, (3, 0), true, true, Some(false), false, true);
            v.score_sheet = Some(sheet(4000)); // Weak
        }),
        visit(5, 5, 5, 1, |v| {
            set(v, 80, (5, 5), true, false, Some(true), false, false);
            let mut s = sheet(9000);
            s.facts.administrative_penalty_in_year = true;
            s.facts.agricultural = true;
            v.score_sheet = Some(s); // forced Weak
        }),
        visit(6, 6, 5, 2, |v| {
            set(v, 20, (2, 1), false, true, Some(true), false, true);
            let mut s = sheet(9000);
            s.facts.founded_on = chrono::NaiveDate::from_ymd_opt(2025, 3, 1);
            v.score_sheet = Some(s); // not rated
        }),
        visit(7, 7, 6, 1, |v| {
            set(v, 40, (3, 0), false, false, Some(false), false, false);
            v.facts.members.total = None; // members by type only: 35 + 5
            v.facts.members.official = Some(35);
            v.facts.members.associate_non_contributing = Some(5);
            v.facts.status = Some(LegalStatus::Halted);
        }),
        {
            // H8: 2024 only — no visit in 2025.
            let mut v = visit(8, 8, 6, 1, |v| {
                set(v, 999, (9, 9), true, true, Some(true), true, true)
            });
            v.started_at = VN_OFFSET.with_ymd_and_hms(2024, 12, 31, 23, 59, 0).unwrap();
            v
        },
        // H11: rev 1 approved (Good 80, in chain), rev 2 unreviewed (Fair 79.99, not in chain), rev 3 draft.
        visit(11, 11, 7, 1, |v| {
            set(v, 60, (4, 2), true, true, Some(true), true, true);
            v.score_sheet = Some(sheet(8000));
        }),
        visit(11, 11, 7, 1, |v| {
            set(v, 60, (4, 2), true, true, Some(false), true, true);
            v.score_sheet = Some(sheet(7999));
            v.revision = 2;
            v.replaces_revision = Some(1);
        }),
        visit(11, 11, 7, 1, |v| {
            set(v, 9999, (4, 4), true, true, Some(true), true, true);
            v.revision = 3;
            v.state = VisitState::Draft;
        }),
        // H12: March (approved, Fair 65) and November (returned, Good 100).
        visit(12, 12, 3, 15, |v| {
            set(v, 140, (10, 3), false, true, Some(false), false, true);
            v.score_sheet = Some(sheet(6500));
        }),
        visit(12, 13, 11, 15, |v| {
            set(v, 150, (10, 4), false, true, Some(true), true, true);
            v.score_sheet = Some(sheet(10000));
        }),
        visit(21, 21, 2, 1, |v| {
            v.facts.members.group_members = Some(15);
            v.plan.value_chain = Some(true);
        }),
        visit(22, 22, 2, 2, |v| {
            v.facts.members.group_members = Some(10);
            v.facts.members.total = Some(10);
            v.plan.value_chain = Some(false);
        }),
        visit(24, 24, 2, 3, |v| {
            v.facts.status = Some(LegalStatus::Dissolved);
            v.facts.members.group_members = Some(500);
            v.plan.value_chain = Some(true);
        }),
        visit(25, 25, 2, 4, |_| {}),
        visit(31, 31, 8, 1, |v| {
            v.facts.members.member_cooperatives = Some(8);
            v.facts.managers.total = Some(4);
            v.facts.managers.with_degree = Some(4);
            v.facts.director.gender = Some(Gender::Female);
            v.facts.director.trained = Some(true);
            v.plan.value_chain = Some(true);
            v.score_sheet = Some(sheet(8500));
        }),
        visit(32, 32, 8, 2, |v| {
            v.facts.members.member_cooperatives = Some(5);
            v.facts.managers.total = Some(2);
            v.facts.managers.with_degree = Some(0);
            v.facts.director.gender = Some(Gender::Male);
        }),
        visit(41, 41, 9, 1, |v| {
            v.facts.members.official = Some(500);
            v.plan.value_chain = Some(false);
            v.score_sheet = Some(sheet(6600));
        }),
    ];

    let at = VN_OFFSET.with_ymd_and_hms(2025, 12, 1, 8, 0, 0).unwrap();
    let review = |visit_no: u128, revision: u32, decision, minutes: i64| ReviewOutcome {
        visit_id: Uuid::from_u128(1000 + visit_no),
        revision,
        decision,
        comment: String::new(),
        reviewer: "Liên minh HTX".into(),
        reviewed_at: at + Duration::minutes(minutes),
    };
    let reviews = vec![
        review(11, 1, ReviewDecision::Approved, 0),
        review(12, 1, ReviewDecision::Approved, 0),
        // November visit: first approved, then sent back; the later decision wins.
        review(13, 1, ReviewDecision::Approved, 1),
        review(13, 1, ReviewDecision::Returned, 2),
    ];
    Fixture {
        orgs,
        visits,
        reviews,
    }
}

fn run(
    f: &Fixture,
    only_reviewed: bool,
    group_by: Option<(Hierarchy, PlaceLevel)>,
) -> IndicatorReport {
    let rubrics = RubricRegistry::builtin();
    let places = PlaceRegistry::seed();
    let input = IndicatorInput {
        organisations: &f.orgs,
        visits: &f.visits,
        reviews: &f.reviews,
        rubrics: &rubrics,
        places: Some(&places),
    };
    compute_indicators(
        &input,
        &IndicatorOptions {
            year: 2025,
            only_reviewed,
            group_by,
        },
    )
}

fn get(vals: &[IndicatorValue], id: I) -> &IndicatorValue {
    vals.iter().find(|v| v.id == id).unwrap()
}

/// (numerator, denominator, share bp, 2030, 2045, in scope, with data, without visit)
type Row = (u64, Option<u64>, Option<u32>, S, S, u32, u32, u32);

fn check(vals: &[IndicatorValue], id: I, e: Row) {
    let v = get(vals, id);
    let got = (
        v.numerator,
        v.denominator,
        v.share_basis_points,
        v.status_2030,
        v.status_2045,
        v.organisations_in_scope,
        v.organisations_with_data,
        v.organisations_without_visit,
    );
    assert_eq!(got, e, "{id:?}");
}

#[test]
fn all_indicators_ungrouped() {
    let f = fixture();
    assert!(f.orgs.len() >= 20);
    let r = run(&f, false, None);
    assert_eq!(r.groups.len(), 1);
    let g = &r.groups[0];
    assert_eq!(g.organisations, 22);
    // No 2025 visit: H8, H9, H10, T3, L3, Q2.
    assert_eq!(g.organisations_without_visit, 6);
    let v = &g.indicators;
    assert_eq!(v.len(), I::ALL.len());

    // Existing THT: T1, T2, T3, T5 (T4 dissolved per its visit).
    check(
        v,
        I::CooperativeGroups,
        (4, None, None, S::NotMet, S::NotMet, 4, 4, 1),
    );
    // 15 (T1, by type) + 10 (T2); T5 recorded no members.
    check(
        v,
        I::CooperativeGroupMembers,
        (25, None, None, S::NotMet, S::NotMet, 4, 2, 1),
    );
    // HTX not dissolved: H1–H9, H11, H12 = 11; no visit: H8, H9.
    check(
        v,
        I::Cooperatives,
        (11, None, None, S::NotMet, S::NotMet, 11, 11, 2),
    );
    // 100+50+200+30+80+20+(35+5)+60 (H11 rev 2)+150 (H12 Nov) = 730.
    check(
        v,
        I::CooperativeMembers,
        (730, None, None, S::NotMet, S::NotMet, 11, 9, 2),
    );
    check(v, I::Unions, (3, None, None, S::Met, S::NotMet, 3, 3, 1));
    check(
        v,
        I::UnionMemberCooperatives,
        (13, None, None, S::NotMet, S::NotMet, 3, 2, 1),
    );
    // Graded HTX: H1 G, H2 F, H3 A, H4 W, H5 W (penalty), H11 F (79.99), H12 G; H6 not rated.
    // 4/7 = 57.14 %.
    check(
        v,
        I::CooperativesGoodOrFair,
        (4, Some(7), Some(5714), S::NotMet, S::NotMet, 11, 7, 2),
    );
    // Good/fair: H1 yes, H2 no, H11 no, H12 yes: 2/4 = 50 %.
    check(
        v,
        I::GoodOrFairInValueChain,
        (2, Some(4), Some(5000), S::Met, S::NoTarget, 11, 4, 2),
    );
    // Known value chain among the 20 existing: 13; yes: H1 H3 H5 H6 H12 T1 L1 = 7 → 53.84 %.
    check(
        v,
        I::OrganisationsInValueChain,
        (7, Some(13), Some(5384), S::NoTarget, S::NotMet, 20, 13, 5),
    );
    // Managers (HTX + LHHTX): degree 22 of 48 = 45.83 %.
    check(
        v,
        I::ManagersWithDegree,
        (22, Some(48), Some(4583), S::Met, S::NotMet, 14, 11, 3),
    );
    // HTX directors trained: H1 H2 H4 H6 H11 H12 = 6 of 9.
    check(
        v,
        I::DirectorsTrained,
        (6, Some(9), Some(6666), S::NotMet, S::NotMet, 11, 9, 2),
    );
    // High tech: H1 H3 H11 H12.
    check(
        v,
        I::HighTechCooperatives,
        (4, None, None, S::NotMet, S::NotMet, 11, 9, 2),
    );
    // Agricultural HTX (not H4 transport, H9 industry): 9 in scope, H8 no visit;
    // linked: H1 H3 H6 H11 H12 = 5 of 8 = 62.5 %.
    check(
        v,
        I::AgriCooperativesLinkedWithEnterprise,
        (5, Some(8), Some(6250), S::Met, S::NotMet, 9, 8, 1),
    );
    // Halted: H7 (per visit) and H9 (per registry).
    check(
        v,
        I::HaltedCooperatives,
        (2, None, None, S::NotMet, S::NotMet, 11, 11, 2),
    );
    // Female directors (HTX + LHHTX): H1 H4 H5 H11 L1 = 5 of 11 = 45.45 %.
    check(
        v,
        I::FemaleDirectors,
        (5, Some(11), Some(4545), S::NoTarget, S::Met, 14, 11, 3),
    );
    // Graded, any kind: 7 HTX + L1 (G) + Q1 (F) = 9; good/fair 6 → 66.66 %.
    check(
        v,
        I::EffectiveOrganisations,
        (6, Some(9), Some(6666), S::NoTarget, S::NotMet, 20, 9, 5),
    );

    // Targets are carried on every value.
    let gf = get(v, I::CooperativesGoodOrFair);
    assert!(gf.target_2030.is_some() && gf.target_2045.is_some());
    assert!(!gf.label_vi.is_empty() && !gf.label_en.is_empty() && !gf.responsible.is_empty());
}

#[test]
fn only_reviewed_uses_latest_approved_revisions() {
    let f = fixture();
    let r = run(&f, true, None);
    let v = &r.groups[0].indicators;
    // Only H11 rev 1 (Good 80) and H12 March (Fair 65) are approved.
    check(
        v,
        I::CooperativesGoodOrFair,
        (2, Some(2), Some(10000), S::Met, S::Met, 11, 2, 9),
    );
    check(
        v,
        I::CooperativeMembers,
        (200, None, None, S::NotMet, S::NotMet, 11, 2, 9),
    );
    check(
        v,
        I::GoodOrFairInValueChain,
        (1, Some(2), Some(5000), S::Met, S::NoTarget, 11, 2, 9),
    );
    // Halted count falls back to the registry when there is no visit: only H9.
    check(
        v,
        I::HaltedCooperatives,
        (1, None, None, S::NotMet, S::NotMet, 11, 11, 9),
    );
    // No reviewed visit for any THT: member sum has no data.
    check(
        v,
        I::CooperativeGroupMembers,
        (0, None, None, S::NoData, S::NoData, 5, 0, 5),
    );
}

#[test]
fn grouped_by_old_district_and_new_commune() {
    let f = fixture();
    let r = run(&f, false, Some((Hierarchy::Old, PlaceLevel::District)));
    let names: Vec<_> = r
        .groups
        .iter()
        .map(|g| (g.place_name.clone(), g.organisations))
        .collect();
    assert_eq!(
        names,
        vec![
            (Some("Thành phố Rạch Giá".to_string()), 4), // H1 H2 H6 + H5 via merger links
            (Some("Huyện Hòn Đất".to_string()), 2),      // H3 H4
            (None, 16),
        ]
    );
    let rg = &r.groups[0].indicators;
    // H1 G, H2 F, H5 W (penalty); H6 not rated → 2/3.
    check(
        rg,
        I::CooperativesGoodOrFair,
        (2, Some(3), Some(6666), S::NotMet, S::NotMet, 4, 3, 0),
    );
    let hd = &r.groups[1].indicators;
    check(
        hd,
        I::CooperativesGoodOrFair,
        (0, Some(2), Some(0), S::NotMet, S::NotMet, 2, 2, 0),
    );

    let r = run(&f, false, Some((Hierarchy::New, PlaceLevel::Commune)));
    let names: Vec<_> = r
        .groups
        .iter()
        .map(|g| (g.place.as_ref().map(|p| p.code.clone()), g.organisations))
        .collect();
    assert_eq!(
        names,
        vec![
            (Some("30742".to_string()), 4),
            (Some("30817".to_string()), 1),
            (Some("30823".to_string()), 1),
            (None, 16)
        ]
    );
    // Group counts add up to the whole.
    let total: u32 = r.groups.iter().map(|g| g.organisations).sum();
    assert_eq!(total, 22);
}
