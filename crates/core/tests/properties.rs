//! Property tests: score bounds, grade monotonicity, serde round-trips of
//! every public data type, validation totality.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use htx_core::hash::ContentHash;
use htx_core::indicators::{compute_indicators, IndicatorInput, IndicatorOptions};
use htx_core::organisation::{LegalStatus, Organisation, OrganisationKind, Sector};
use htx_core::place::{Hierarchy, MergeLink, Place, PlaceLevel, PlaceRegistry};
use htx_core::review::{ReviewDecision, ReviewOutcome};
use htx_core::rubric::{Rubric, RubricRegistry};
use htx_core::score::{score, RatingFacts, ScoreError, ScoreSheet};
use htx_core::size_class::SizeClassRules;
use htx_core::sync::{
    decide, Cursor, PullRequest, PullResponse, PushBatch, PushResponse, ReceiptQuery,
    ReceiptResponse, ReceiptStatus, RecordKey, RecordResult, VisitRevision,
};
use htx_core::validation::{validate_organisation, validate_visit, ValidationContext};
use htx_core::visit::*;
use htx_core::{Points, Vnd};
use proptest::prelude::*;
use serde::{de::DeserializeOwned, Serialize};
use std::fmt::Debug;
use uuid::Uuid;

fn roundtrip<T: Serialize + DeserializeOwned + PartialEq + Debug>(x: &T) {
    let s = serde_json::to_string(x).expect("serialize");
    let back: T = serde_json::from_str(&s).expect("deserialize");
    assert_eq!(&back, x, "{s}");
}

// ---------- strategies ----------

fn arb_uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn arb_time() -> impl Strategy<Value = DateTime<FixedOffset>> {
    // Years ~1000..5000 with any whole-minute offset in ±14 h.
    (-30_000_000_000i64..95_000_000_000i64, -840i32..=840).prop_map(|(secs, off_min)| {
        let off = FixedOffset::east_opt(off_min * 60).unwrap();
        Utc.timestamp_opt(secs, 0).unwrap().with_timezone(&off)
    })
}

fn arb_date() -> impl Strategy<Value = NaiveDate> {
    (-300_000i32..1_200_000).prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap())
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,12}",
        "\\PC{0,40}",
        Just(String::new()),
        Just("x".repeat(25_000))
    ]
}

fn arb_vnd() -> impl Strategy<Value = Vnd> {
    prop_oneof![
        any::<i64>().prop_map(Vnd),
        (-1_000_000_000_000i64..1_000_000_000_000).prop_map(Vnd)
    ]
}

fn arb_count() -> impl Strategy<Value = Option<u32>> {
    prop::option::of(prop_oneof![0u32..500, any::<u32>()])
}

fn arb_points() -> impl Strategy<Value = Points> {
    prop_oneof![0u32..1200, any::<u32>()].prop_map(Points::from_centi)
}

fn arb_kind() -> impl Strategy<Value = OrganisationKind> {
    prop::sample::select(OrganisationKind::ALL.to_vec())
}
fn arb_sector() -> impl Strategy<Value = Sector> {
    prop::sample::select(Sector::ALL.to_vec())
}
fn arb_status() -> impl Strategy<Value = LegalStatus> {
    prop::sample::select(vec![
        LegalStatus::Active,
        LegalStatus::Halted,
        LegalStatus::PendingDissolution,
        LegalStatus::Dissolved,
        LegalStatus::NonCompliant,
    ])
}

fn arb_sheet() -> impl Strategy<Value = ScoreSheet> {
    let item_codes: Vec<String> = Rubric::tt_01_2020()
        .scored_items()
        .into_iter()
        .map(|(c, _)| c.to_string())
        .chain(["TC1", "X", ""].map(String::from))
        .collect();
    (
        prop_oneof![Just("tt-01-2020-tt-bkhdt".to_string()), arb_text()],
        prop_oneof![Just(1u32), any::<u32>()],
        any::<i32>(),
        (
            prop::option::of(arb_date()),
            prop::option::of(arb_date()),
            any::<u16>(),
            any::<bool>(),
            any::<bool>(),
        ),
        prop::collection::btree_map(prop::sample::select(item_codes), arb_points(), 0..30),
    )
        .prop_map(
            |(rubric_id, rubric_version, year, (a, f, h, p, ag), points)| ScoreSheet {
                rubric_id,
                rubric_version,
                year,
                facts: RatingFacts {
                    assessed_on: a,
                    founded_on: f,
                    halted_days_in_year: h,
                    administrative_penalty_in_year: p,
                    agricultural: ag,
                },
                points,
            },
        )
}

fn arb_facts() -> impl Strategy<Value = OrganisationFacts> {
    (
        prop::option::of(arb_status()),
        (
            arb_count(),
            arb_count(),
            arb_count(),
            arb_count(),
            arb_count(),
            arb_count(),
        ),
        arb_count(),
        prop::collection::vec(prop::option::of(arb_vnd()), 6),
        (arb_count(), arb_count(), arb_count(), arb_count()),
        (
            prop::option::of(prop_oneof![Just(Gender::Female), Just(Gender::Male)]),
            prop::option::of(any::<bool>()),
        ),
    )
        .prop_map(|(status, m, workers, money, mg, d)| OrganisationFacts {
            status,
            members: MemberCounts {
                official: m.0,
                associate_contributing: m.1,
                associate_non_contributing: m.2,
                group_members: m.3,
                member_cooperatives: m.4,
                total: m.5,
            },
            workers,
            charter_capital: money[0],
            total_capital: money[1],
            indivisible_assets: money[2],
            revenue: money[3],
            pre_tax_profit: money[4],
            avg_member_income: money[5],
            managers: ManagerCounts {
                total: mg.0,
                with_degree: mg.1,
                vocational_trained: mg.2,
                under_35: mg.3,
            },
            director: DirectorInfo {
                gender: d.0,
                trained: d.1,
            },
        })
}

fn arb_plan() -> impl Strategy<Value = PlanIndicators> {
    let ob = || prop::option::of(any::<bool>());
    (
        (ob(), ob(), prop::option::of(arb_text()), ob(), ob()),
        (ob(), ob(), ob(), ob()),
        ob(),
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    GapScheme::VietGap,
                    GapScheme::GlobalGap,
                    GapScheme::Other,
                ]),
                arb_text(),
                prop::option::of(arb_date()),
            )
                .prop_map(|(scheme, product, valid_until)| GapCertificate {
                    scheme,
                    product,
                    valid_until,
                }),
            0..3,
        ),
        prop::collection::vec(
            (arb_text(), any::<u8>()).prop_map(|(name, stars)| OcopProduct { name, stars }),
            0..3,
        ),
        (
            ob(),
            ob(),
            prop::option::of(arb_vnd()),
            prop::option::of(any::<u64>()),
        ),
    )
        .prop_map(|(a, dg, export, gap, ocop, z)| PlanIndicators {
            value_chain: a.0,
            enterprise_link: a.1,
            enterprise_partner: a.2,
            high_tech: a.3,
            traceability: a.4,
            digital: DigitalAdoption {
                e_invoice: dg.0,
                accounting_software: dg.1,
                e_commerce: dg.2,
                qr_payments: dg.3,
            },
            direct_export: export,
            gap_certificates: gap,
            ocop_products: ocop,
            trademark: z.0,
            geographical_indication: z.1,
            outstanding_debts: z.2,
            land_area_m2: z.3,
        })
}

fn arb_visit() -> impl Strategy<Value = Visit> {
    (
        (
            arb_uuid(),
            prop_oneof![Just(Uuid::from_u128(7)), arb_uuid()],
            arb_text(),
            arb_time(),
            arb_text(),
        ),
        (
            any::<bool>(),
            any::<u32>(),
            prop::option::of(any::<u32>()),
            prop::option::of(arb_time()),
        ),
        prop::option::of(
            (any::<i32>(), any::<i32>(), any::<u32>()).prop_map(|(a, b, c)| GeoFix {
                latitude_micro: a,
                longitude_micro: b,
                accuracy_m: c,
            }),
        ),
        arb_facts(),
        arb_plan(),
        prop::option::of(arb_sheet()),
        prop::collection::vec(
            (arb_uuid(), "[0-9a-f]{64}", arb_text()).prop_map(|(id, sha256, caption)| PhotoRef {
                id,
                sha256,
                caption,
            }),
            0..2,
        ),
    )
        .prop_map(
            |(
                (id, org, officer, started_at, notes),
                (fin, rev, rep, finished_at),
                location,
                facts,
                plan,
                sheet,
                photos,
            )| {
                Visit {
                    id,
                    organisation_id: org,
                    officer,
                    started_at,
                    notes,
                    state: if fin {
                        VisitState::Final
                    } else {
                        VisitState::Draft
                    },
                    revision: rev,
                    replaces_revision: rep,
                    finished_at,
                    location,
                    facts,
                    plan,
                    score_sheet: sheet,
                    photos,
                    new_organisation: None,
                }
            },
        )
}

fn arb_org() -> impl Strategy<Value = Organisation> {
    (
        arb_uuid(),
        arb_kind(),
        prop::option::of(arb_text()),
        arb_text(),
        arb_sector(),
        arb_text(),
        (
            prop::option::of(prop_oneof![Just("30733".to_string()), arb_text()]),
            prop::option::of(arb_text()),
        ),
        prop::option::of(arb_date()),
        arb_status(),
    )
        .prop_map(
            |(
                id,
                kind,
                registration_code,
                name,
                sector,
                address,
                (place_old, place_new),
                founded_on,
                legal_status,
            )| {
                Organisation {
                    id,
                    kind,
                    registration_code,
                    name,
                    sector,
                    address,
                    place_old,
                    place_new,
                    founded_on,
                    legal_status,
                    provisional: false,
                }
            },
        )
}

fn arb_review() -> impl Strategy<Value = ReviewOutcome> {
    (
        arb_uuid(),
        any::<u32>(),
        any::<bool>(),
        arb_text(),
        arb_text(),
        arb_time(),
    )
        .prop_map(|(v, r, ok, c, who, at)| ReviewOutcome {
            visit_id: v,
            revision: r,
            decision: if ok {
                ReviewDecision::Approved
            } else {
                ReviewDecision::Returned
            },
            comment: c,
            reviewer: who,
            reviewed_at: at,
        })
}

fn arb_place() -> impl Strategy<Value = Place> {
    (
        any::<bool>(),
        arb_text(),
        arb_text(),
        arb_text(),
        prop::sample::select(vec![
            PlaceLevel::Province,
            PlaceLevel::District,
            PlaceLevel::Commune,
        ]),
        prop::option::of(arb_date()),
        prop::option::of(arb_date()),
        prop::option::of(arb_text()),
        prop::collection::vec(
            (arb_text(), arb_text(), any::<bool>()).prop_map(|(old_code, old_name, partial)| {
                MergeLink {
                    old_code,
                    old_name,
                    partial,
                }
            }),
            0..3,
        ),
    )
        .prop_map(
            |(old, code, name, kind, level, valid_from, valid_until, parent, merged_from)| Place {
                hierarchy: if old { Hierarchy::Old } else { Hierarchy::New },
                code,
                name,
                kind,
                level,
                valid_from,
                valid_until,
                parent,
                merged_from,
            },
        )
}

fn full_sheet(total_centi: u32) -> ScoreSheet {
    let r = Rubric::tt_01_2020();
    let mut s = ScoreSheet::new(&r, 2024);
    let mut left = total_centi;
    for (code, max) in r.scored_items() {
        let p = left.min(max.centi());
        left -= p;
        s.set(code, Points::from_centi(p));
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn total_never_exceeds_rubric_maximum(sheet in arb_sheet()) {
        let r = Rubric::tt_01_2020();
        let mut sheet = sheet;
        sheet.rubric_id = r.id.clone();
        sheet.rubric_version = r.version;
        match score(&sheet, &r) {
            Ok(res) => {
                prop_assert!(res.total <= r.max_points);
                for g in &res.groups {
                    prop_assert!(g.points <= g.max_points);
                    for c in &g.criteria { prop_assert!(c.points <= c.max_points); }
                }
            }
            Err(ScoreError::Items(issues)) => prop_assert!(!issues.is_empty()),
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
    }

    #[test]
    fn valid_points_always_score(fracs in prop::collection::vec(0u32..=100, 26)) {
        let r = Rubric::tt_01_2020();
        let mut s = ScoreSheet::new(&r, 2024);
        for ((code, max), f) in r.scored_items().into_iter().zip(fracs) {
            s.set(code, Points::from_centi(max.centi() * f / 100));
        }
        let res = score(&s, &r).unwrap();
        prop_assert!(res.total <= r.max_points);
        prop_assert!(res.rating.grade().is_some());
    }

    #[test]
    fn grade_is_monotone_in_total(a in 0u32..=10_000, b in 0u32..=10_000) {
        let r = Rubric::tt_01_2020();
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert!(r.grade_for(Points::from_centi(lo)) <= r.grade_for(Points::from_centi(hi)));
        let g = |t| score(&full_sheet(t), &r).unwrap().rating.grade().unwrap();
        prop_assert!(g(lo) <= g(hi));
    }

    #[test]
    fn validation_never_panics(v in arb_visit(), now in arb_time(), o in arb_org(), skew in -100_000i64..100_000) {
        let rubrics = RubricRegistry::builtin();
        let mut ctx = ValidationContext::new(now).with_rubrics(&rubrics).with_organisation(&o);
        ctx.clock_skew = Duration::seconds(skew);
        let errs = validate_visit(&v, &ctx);
        for e in &errs {
            prop_assert!(!e.path.is_empty() && !e.message_vi.is_empty() && !e.message_en.is_empty());
        }
        let _ = validate_visit(&v, &ValidationContext::new(now));
        let _ = validate_organisation(&o, now.date_naive(), Some(&PlaceRegistry::default()));
    }

    #[test]
    fn indicators_never_panic(
        orgs in prop::collection::vec(arb_org(), 0..6),
        visits in prop::collection::vec(arb_visit(), 0..6),
        reviews in prop::collection::vec(arb_review(), 0..4),
        year in 1990i32..2100,
        only in any::<bool>(),
    ) {
        let rubrics = RubricRegistry::builtin();
        let places = PlaceRegistry::seed();
        let input = IndicatorInput { organisations: &orgs, visits: &visits, reviews: &reviews, rubrics: &rubrics, places: Some(&places) };
        let r = compute_indicators(&input, &IndicatorOptions { year, only_reviewed: only, group_by: Some((Hierarchy::New, PlaceLevel::Province)) });
        let n: u32 = r.groups.iter().map(|g| g.organisations).sum();
        prop_assert_eq!(n as usize, orgs.len());
        roundtrip(&r);
    }

    #[test]
    fn serde_roundtrip_visit_and_hash_stable(v in arb_visit()) {
        roundtrip(&v);
        let rev = VisitRevision::new(v.clone());
        prop_assert!(rev.hash_matches());
        let back: Visit = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        prop_assert_eq!(htx_core::hash::content_hash(&back), rev.hash.clone());
        // The server's direct writer hashes the bytes the browser's tree gives.
        let tree = htx_core::hash::canonical_json(&serde_json::to_value(&v).unwrap());
        prop_assert_eq!(ContentHash::of_bytes(tree.as_bytes()), rev.hash.clone());
        roundtrip(&rev);
    }

    #[test]
    fn serde_roundtrip_reference_types(o in arb_org(), p in arb_place(), r in arb_review(), s in arb_sheet(), pts in arb_points(), m in arb_vnd()) {
        roundtrip(&o);
        roundtrip(&p);
        roundtrip(&r);
        roundtrip(&s);
        roundtrip(&pts);
        roundtrip(&m);
    }

    #[test]
    fn serde_roundtrip_score_results(t in 0u32..=10_000, founded in prop::option::of(arb_date()), halted in 0u16..200, pen in any::<bool>(), ag in any::<bool>()) {
        let r = Rubric::tt_01_2020();
        let mut s = full_sheet(t);
        s.facts = RatingFacts { assessed_on: None, founded_on: founded, halted_days_in_year: halted, administrative_penalty_in_year: pen, agricultural: ag };
        let res = score(&s, &r).unwrap();
        roundtrip(&res);
    }

    #[test]
    fn serde_roundtrip_sync_messages(visits in prop::collection::vec(arb_visit(), 0..3), now in arb_time(), ids in prop::collection::vec((arb_uuid(), any::<u32>()), 0..3), reviews in prop::collection::vec(arb_review(), 0..2), cur in any::<u64>()) {
        let batch = PushBatch::new(Uuid::from_u128(1), Uuid::from_u128(2), now, visits);
        roundtrip(&batch);
        let rubrics = RubricRegistry::builtin();
        let results: Vec<RecordResult> = batch.records.iter().enumerate().map(|(i, rec)| {
            let ctx = ValidationContext::new(now).with_rubrics(&rubrics);
            let errs = validate_visit(&rec.visit, &ctx);
            let stored = (i % 2 == 1).then(|| htx_core::sync::Receipt { key: rec.key(), hash: ContentHash("0".repeat(64)), received_at: now });
            RecordResult { key: rec.key(), outcome: decide(rec, stored.as_ref(), errs, now) }
        }).collect();
        roundtrip(&PushResponse { protocol_version: 1, batch_id: batch.batch_id, server_time: now, results });
        let keys: Vec<RecordKey> = ids.iter().map(|&(id, revision)| RecordKey { id, revision }).collect();
        roundtrip(&ReceiptQuery { protocol_version: 1, keys: keys.clone() });
        roundtrip(&ReceiptResponse { protocol_version: 1, statuses: keys.iter().map(|&key| ReceiptStatus {
            key,
            receipt: Some(htx_core::sync::Receipt { key, hash: ContentHash("ab".into()), received_at: now }),
            review: reviews.first().cloned(),
        }).collect() });
        roundtrip(&PullRequest { protocol_version: 1, device_id: Uuid::from_u128(3), since: Some(Cursor(cur)), limit: Some(500) });
    }
}

#[test]
fn serde_roundtrip_shipped_data_and_pull() {
    let rubric = Rubric::tt_01_2020();
    roundtrip(&rubric);
    roundtrip(&SizeClassRules::nd_113_2024());
    let places: Vec<Place> = PlaceRegistry::seed().iter().cloned().collect();
    let resp = PullResponse {
        protocol_version: 1,
        cursor: Cursor(42),
        has_more: false,
        places,
        organisations: vec![],
        rubrics: vec![rubric],
        reviews: vec![],
        returned_visits: vec![],
    };
    roundtrip(&resp);
    // Places received over sync rebuild an identical registry.
    assert_eq!(
        PlaceRegistry::from_places(resp.places.clone()).unwrap(),
        PlaceRegistry::seed()
    );
}

// ---------- field-app helpers: export, search, prefill ----------

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn export_bundle_round_trips_and_merges_as_identical(
        visits in prop::collection::vec(arb_visit(), 0..4),
        officer in arb_text(),
        device in prop::option::of(arb_text()),
        at in arb_time(),
    ) {
        use htx_core::export::{merge_plan, ExportBundle};
        let b = ExportBundle::new(officer, device, at, visits.clone());
        let back = ExportBundle::from_json(&b.to_json());
        prop_assert_eq!(back, Ok(b.clone()));
        let plan = merge_plan(&visits, &b.visits);
        prop_assert!(plan.new.is_empty() && plan.newer_revision.is_empty() && plan.older_revision.is_empty());
        prop_assert_eq!(plan.identical.len() + plan.conflicting.len(), visits.len());
    }

    #[test]
    fn search_is_total_and_finds_every_named_org(
        orgs in prop::collection::vec(arb_org(), 0..12),
        q in arb_text(),
    ) {
        use htx_core::search::{OrgFilter, SearchIndex};
        let idx = SearchIndex::new(&orgs);
        let _ = idx.query(&q, &OrgFilter::default(), 10);
        for o in &orgs {
            let hits = idx.query(&o.name, &OrgFilter::default(), usize::MAX);
            prop_assert!(hits.contains(&o.id), "{:?} not found by its name", o.name);
            let kind_only = OrgFilter { kind: Some(o.kind), ..Default::default() };
            prop_assert!(idx.query("", &kind_only, usize::MAX).contains(&o.id));
        }
    }

    #[test]
    fn prefill_keeps_facts_and_plan_only(prev in arb_visit(), id in arb_uuid(), at in arb_time()) {
        let v = Visit::prefill_from(&prev, id, "B", at);
        prop_assert_eq!(&v.facts, &prev.facts);
        prop_assert_eq!(&v.plan, &prev.plan);
        prop_assert_eq!(v.state, VisitState::Draft);
        prop_assert_eq!((v.revision, v.replaces_revision), (0, None));
        prop_assert!(v.score_sheet.is_none() && v.photos.is_empty() && v.location.is_none());
    }
}
