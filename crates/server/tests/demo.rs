//! The demo (`--demo`, issue 22): three years of synthetic work that every
//! screen of the console can show, the Phụ lục 1 indicators of it computed a
//! second way and compared with the dashboard, and the guards that keep the
//! demo's published passwords away from real data and from the network.

mod common;

use common::*;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Datelike;
use htx_core::organisation::{LegalStatus, OrganisationKind};
use htx_core::visit::Gender;
use htx_core::{Hierarchy, PlaceLevel, PlaceRef, PlaceRegistry, RubricRegistry, Visit};
use htx_server::{demo, Config, Server};
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

async fn full_demo() -> Api {
    Api::start_with(|c| c.demo_history = true).await
}

async fn count(api: &Api, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&api.db).await.unwrap()
}

#[tokio::test]
async fn the_demo_holds_three_years_of_every_kind_of_work() {
    let api = full_demo().await;
    let reviewer = api.login("kiemduyet").await;
    for year in demo::history::YEARS {
        let (status, page) = api
            .get_json(&reviewer, &format!("/visits?year={year}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page["total"].as_i64().unwrap() > 150,
            "{year}: {}",
            page["total"]
        );
    }
    for state in ["pending", "approved", "returned", "conflict"] {
        let (_, page) = api
            .get_json(&reviewer, &format!("/visits?year=2026&state={state}"))
            .await;
        assert!(
            page["total"].as_i64().unwrap() > 0,
            "no {state} visit in 2026"
        );
    }
    // A fix waiting for review again, and conflicting copies from a second phone.
    assert!(
        count(
            &api,
            "SELECT COUNT(*) FROM visit_index WHERE revision = 1 AND review_state = 'pending'"
        )
        .await
            > 0
    );
    assert_eq!(
        count(
            &api,
            "SELECT COUNT(*) FROM visit_conflicts WHERE reason = 'same_revision_other_content'"
        )
        .await,
        3
    );
    // Grades of every band, and sheets that are not rated.
    for grade in ["good", "fair", "average", "weak"] {
        let (_, page) = api
            .get_json(&reviewer, &format!("/visits?grade={grade}"))
            .await;
        assert!(page["total"].as_i64().unwrap() > 0, "no {grade} visit");
    }
    // Organisations found in the field, waiting to be matched.
    let (_, provisional) = api
        .get_json(&reviewer, "/organisations?provisional=true")
        .await;
    assert_eq!(
        provisional["total"],
        demo::history::PROVISIONAL_ORGANISATIONS
    );
    // Photos, drawn by the seeder, that staff see on their visits; GPS points.
    let (sha, visit): (String, String) =
        sqlx::query_as("SELECT sha256, visit_id FROM visit_photos LIMIT 1")
            .fetch_one(&api.db)
            .await
            .unwrap();
    let res = api
        .client
        .get(api.url(&format!("/blobs/{sha}")))
        .header(AUTHORIZATION, format!("Bearer {reviewer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    let (_, h) = api.get_json(&reviewer, &format!("/visits/{visit}")).await;
    assert!(!h["latest"]["visit"]["photos"]
        .as_array()
        .unwrap()
        .is_empty());
    // The stored body is compact JSON: a located visit has a location object
    // (instr, not json_extract: one query text for both backends).
    assert!(
        count(
            &api,
            "SELECT COUNT(*) FROM visit_revisions WHERE instr(body, '\"location\":{') > 0"
        )
        .await
            > 100
    );

    // canbo1's phone, signing in, receives the visits returned to canbo1 to fix.
    let canbo1 = api.login("canbo1").await;
    let pulled = api.pull(&canbo1, "?since=0").await;
    let returned: BTreeSet<Uuid> = pulled
        .reviews
        .iter()
        .filter(|r| r.decision == htx_core::review::ReviewDecision::Returned)
        .map(|r| r.visit_id)
        .collect();
    assert!(
        pulled.returned_visits.len() >= 2,
        "{} returned visits",
        pulled.returned_visits.len()
    );
    for v in &pulled.returned_visits {
        assert!(returned.contains(&v.id));
        let (status, _) = api.get_json(&canbo1, &format!("/visits/{}", v.id)).await;
        assert_eq!(status, StatusCode::OK, "a returned visit is canbo1's own");
    }
    // The officer fixes one: it is taken as the next revision and waits again.
    let mut fix = pulled.returned_visits[0].next_revision();
    fix.notes = "Đã sửa trên máy mới".into();
    assert_eq!(
        statuses(&api.push(&canbo1, &batch(vec![fix.clone()])).await),
        ["accepted"]
    );
    let again = api.pull(&canbo1, "?since=0").await;
    assert!(
        !again.returned_visits.iter().any(|v| v.id == fix.id),
        "a fixed visit is not sent back again"
    );

    // Seeding again adds nothing.
    let state = htx_server::AppState::new(api.db.clone(), test_config());
    assert!(demo::seed_history(&state).await.unwrap().already_seeded);
    api.stop().await;
}

// ---- The Phụ lục 1 indicators, a second time, from the stored rows ----

/// One organisation's row in the second computation.
struct OrgRow {
    kind: OrganisationKind,
    agricultural: bool,
    registry_status: LegalStatus,
    visit: Option<Visit>,
}

fn kind_of(code: &str) -> OrganisationKind {
    serde_json::from_value(Value::String(code.to_owned())).unwrap_or_else(|e| panic!("{code}: {e}"))
}

/// Stored legal statuses, the first demo rows' `suspended` included.
fn status_of(code: &str) -> LegalStatus {
    match code {
        "halted" | "suspended" => LegalStatus::Halted,
        "pending_dissolution" => LegalStatus::PendingDissolution,
        "dissolved" => LegalStatus::Dissolved,
        "non_compliant" => LegalStatus::NonCompliant,
        "active" => LegalStatus::Active,
        other => panic!("unknown legal status {other}"),
    }
}

/// The indicators as `(numerator, denominator, in scope, with data, without a
/// visit)`, computed from the rows, by the plan's definitions.
fn second_computation(
    orgs: &[OrgRow],
    rubrics: &RubricRegistry,
) -> BTreeMap<&'static str, (u64, Option<u64>, u32, u32, u32)> {
    use OrganisationKind as K;
    let status = |o: &OrgRow| {
        o.visit
            .as_ref()
            .and_then(|v| v.facts.status)
            .unwrap_or(o.registry_status)
    };
    let grade = |o: &OrgRow| {
        o.visit
            .as_ref()
            .and_then(|v| htx_core::score_visit(v, rubrics))
            .and_then(|s| s.rating.grade())
    };
    let existing: Vec<&OrgRow> = orgs
        .iter()
        .filter(|o| status(o) != LegalStatus::Dissolved)
        .collect();
    let of = |kinds: &[K]| -> Vec<&OrgRow> {
        existing
            .iter()
            .copied()
            .filter(|o| kinds.contains(&o.kind))
            .collect()
    };
    let unvisited = |set: &[&OrgRow]| set.iter().filter(|o| o.visit.is_none()).count() as u32;
    let mut out = BTreeMap::new();

    // Registry counts: every existing organisation of the kind has the datum.
    for (id, kind) in [
        ("cooperative_groups", K::CooperativeGroup),
        ("cooperatives", K::Cooperative),
        ("unions", K::CooperativeUnion),
    ] {
        let set = of(&[kind]);
        let n = set.len() as u32;
        out.insert(id, (u64::from(n), None, n, n, unvisited(&set)));
    }
    let coops = of(&[K::Cooperative]);
    let halted = coops
        .iter()
        .filter(|o| status(o) == LegalStatus::Halted)
        .count() as u64;
    out.insert(
        "halted_cooperatives",
        (
            halted,
            None,
            coops.len() as u32,
            coops.len() as u32,
            unvisited(&coops),
        ),
    );

    // Sums of members over the organisations whose visit gave them.
    for (id, kind) in [
        ("cooperative_group_members", K::CooperativeGroup),
        ("cooperative_members", K::Cooperative),
        ("union_member_cooperatives", K::CooperativeUnion),
    ] {
        let set = of(&[kind]);
        let values: Vec<u64> = set
            .iter()
            .filter_map(|o| {
                let m = &o.visit.as_ref()?.facts.members;
                if kind == K::CooperativeUnion {
                    return m.member_cooperatives.map(u64::from);
                }
                let people = [
                    m.official,
                    m.associate_contributing,
                    m.associate_non_contributing,
                    m.group_members,
                ];
                m.total.map(u64::from).or_else(|| {
                    people
                        .iter()
                        .any(Option::is_some)
                        .then(|| people.iter().flatten().map(|&x| u64::from(x)).sum())
                })
            })
            .collect();
        out.insert(
            id,
            (
                values.iter().sum(),
                None,
                set.len() as u32,
                values.len() as u32,
                unvisited(&set),
            ),
        );
    }

    // Shares over the organisations that answered: (yes, answered).
    let share = |set: &[&OrgRow], answer: &dyn Fn(&OrgRow) -> Option<bool>| {
        let answers: Vec<bool> = set.iter().filter_map(|o| answer(o)).collect();
        let yes = answers.iter().filter(|&&a| a).count() as u64;
        (
            yes,
            Some(answers.len() as u64),
            set.len() as u32,
            answers.len() as u32,
            unvisited(set),
        )
    };
    let good_or_fair = |o: &OrgRow| grade(o).map(|g| g.is_good_or_fair());
    out.insert("cooperatives_good_or_fair", share(&coops, &good_or_fair));
    let all: Vec<&OrgRow> = existing.clone();
    out.insert("effective_organisations", share(&all, &good_or_fair));
    out.insert(
        "good_or_fair_in_value_chain",
        share(&coops, &|o| {
            if good_or_fair(o) == Some(true) {
                o.visit.as_ref()?.plan.value_chain
            } else {
                None
            }
        }),
    );
    out.insert(
        "organisations_in_value_chain",
        share(&all, &|o| o.visit.as_ref()?.plan.value_chain),
    );
    out.insert(
        "directors_trained",
        share(&coops, &|o| o.visit.as_ref()?.facts.director.trained),
    );
    let coops_and_unions = of(&[K::Cooperative, K::CooperativeUnion]);
    out.insert(
        "female_directors",
        share(&coops_and_unions, &|o| {
            Some(o.visit.as_ref()?.facts.director.gender? == Gender::Female)
        }),
    );
    let agri: Vec<&OrgRow> = coops.iter().copied().filter(|o| o.agricultural).collect();
    out.insert(
        "agri_cooperatives_linked_with_enterprise",
        share(&agri, &|o| o.visit.as_ref()?.plan.enterprise_link),
    );
    // Managers: a share of people, not of organisations.
    let managers: Vec<(u64, u64)> = coops_and_unions
        .iter()
        .filter_map(|o| {
            let m = &o.visit.as_ref()?.facts.managers;
            Some((u64::from(m.with_degree?.min(m.total?)), u64::from(m.total?)))
        })
        .collect();
    out.insert(
        "managers_with_degree",
        (
            managers.iter().map(|m| m.0).sum(),
            Some(managers.iter().map(|m| m.1).sum()),
            coops_and_unions.len() as u32,
            managers.len() as u32,
            unvisited(&coops_and_unions),
        ),
    );
    // High tech: a count of the cooperatives that answered yes.
    let (yes, _, scope, with, without) = share(&coops, &|o| o.visit.as_ref()?.plan.high_tech);
    out.insert("high_tech_cooperatives", (yes, None, scope, with, without));
    out
}

/// The organisations of `communes` with the visit that counts for each in
/// `year`: its highest approved final revision dated in the year, the
/// organisation's latest such visit; read from the tables with SQL.
async fn rows_of(api: &Api, communes: &BTreeSet<String>, year: i32) -> Vec<OrgRow> {
    let orgs: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT id, kind, sector, legal_status, place_code FROM organisations WHERE merged_into IS NULL",
    )
    .fetch_all(&api.db)
    .await
    .unwrap();
    // Revisions whose latest review is an approval, with the organisation they count for.
    let approved: Vec<(String, String)> = sqlx::query_as(
        "SELECT COALESCE(o.merged_into, o.id), v.body FROM visit_revisions v \
         JOIN organisations o ON o.id = v.organisation_id \
         WHERE (SELECT r.decision FROM reviews r WHERE r.visit_id = v.visit_id AND r.revision = v.revision \
                ORDER BY r.seq DESC LIMIT 1) = 'approved'",
    )
    .fetch_all(&api.db)
    .await
    .unwrap();
    let mut by_visit: HashMap<Uuid, (String, Visit)> = HashMap::new();
    for (org, body) in approved {
        let v: Visit = serde_json::from_str(&body).unwrap();
        if !v.is_final() || v.local_date().year() != year {
            continue;
        }
        match by_visit.get(&v.id) {
            Some((_, kept)) if kept.revision >= v.revision => {}
            _ => {
                by_visit.insert(v.id, (org, v));
            }
        }
    }
    let mut by_org: HashMap<String, Visit> = HashMap::new();
    for (org, v) in by_visit.into_values() {
        let newer = by_org
            .get(&org)
            .is_none_or(|kept| (v.started_at, v.id) > (kept.started_at, kept.id));
        if newer {
            by_org.insert(org, v);
        }
    }
    orgs.into_iter()
        .filter(|o| communes.contains(&o.4))
        .map(|(id, kind, sector, status, _)| OrgRow {
            kind: kind_of(&kind),
            agricultural: htx_core::Sector::from_code(&sector).is_agricultural(),
            registry_status: status_of(&status),
            visit: by_org.remove(&id),
        })
        .collect()
}

#[tokio::test]
async fn the_dashboard_agrees_with_a_second_computation_of_the_indicators() {
    let api = full_demo().await;
    let reviewer = api.login("kiemduyet").await;
    let places = PlaceRegistry::seed();
    let rubrics = RubricRegistry::builtin();
    let all_communes: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT place_code FROM organisations")
            .fetch_all(&api.db)
            .await
            .unwrap();
    let all_communes: BTreeSet<String> = all_communes.into_iter().collect();
    // The new commune and the old district with the most organisations.
    let per_commune: Vec<(String, i64)> = sqlx::query_as(
        "SELECT place_code, COUNT(*) FROM organisations GROUP BY place_code ORDER BY COUNT(*) DESC, place_code LIMIT 1",
    )
    .fetch_all(&api.db)
    .await
    .unwrap();
    let commune = per_commune[0].0.clone();
    let district = places
        .iter()
        .filter(|p| {
            p.hierarchy == Hierarchy::Old
                && p.level == PlaceLevel::District
                && p.parent.as_deref() == Some("91")
        })
        .max_by_key(|d| {
            let within = places.new_communes_within(&PlaceRef::new(Hierarchy::Old, d.code.clone()));
            (
                within.intersection(&all_communes).count(),
                std::cmp::Reverse(d.code.clone()),
            )
        })
        .unwrap()
        .code
        .clone();
    let scopes: Vec<(String, BTreeSet<String>)> = vec![
        (String::new(), all_communes.clone()),
        (
            format!("&hierarchy=old&place={district}"),
            places.new_communes_within(&PlaceRef::new(Hierarchy::Old, district.clone())),
        ),
        (
            format!("&hierarchy=new&place={commune}"),
            BTreeSet::from([commune.clone()]),
        ),
    ];
    let mut compared = 0;
    for year in demo::history::YEARS {
        for (query, communes) in &scopes {
            let rows = rows_of(&api, communes, year).await;
            let expected = second_computation(&rows, &rubrics);
            let (status, d) = api
                .get_json(&reviewer, &format!("/dashboard?year={year}{query}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{d}");
            let group = &d["report"]["groups"][0];
            assert_eq!(
                group["organisations"].as_u64().unwrap() as usize,
                rows.len(),
                "{year}{query}"
            );
            let indicators = group["indicators"].as_array().unwrap();
            assert_eq!(
                indicators.len(),
                expected.len(),
                "{year}{query}: every indicator"
            );
            for i in indicators {
                let id = i["id"].as_str().unwrap();
                let got = (
                    i["numerator"].as_u64().unwrap(),
                    i["denominator"].as_u64(),
                    i["organisations_in_scope"].as_u64().unwrap() as u32,
                    i["organisations_with_data"].as_u64().unwrap() as u32,
                    i["organisations_without_visit"].as_u64().unwrap() as u32,
                );
                assert_eq!(got, expected[id], "{year}{query} {id}");
                compared += 1;
            }
            // Real figures, not zeros, for the whole demo every year.
            if query.is_empty() {
                assert!(
                    expected["cooperatives_good_or_fair"].1.unwrap() > 20,
                    "{year}: {expected:?}"
                );
                assert!(expected["cooperative_members"].0 > 1000);
            }
        }
    }
    println!(
        "compared {compared} indicator values (old district {district}, new commune {commune})"
    );
    assert_eq!(compared, 3 * 3 * 16);
    api.stop().await;
}

// ---- Guards ----

fn config_in(dir: &std::path::Path) -> Config {
    Config {
        database: common::test_database(dir),
        static_dir: dir.join("dist"),
        ..test_config()
    }
}

async fn table_count(database: &htx_server::db::Location, sql: &str) -> i64 {
    let db = htx_server::db::connect(database, 1).await.unwrap();
    let n = sqlx::query_scalar(sql).fetch_one(&db).await.unwrap();
    db.close().await;
    n
}

#[tokio::test]
async fn the_demo_refuses_a_database_with_real_data_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let real = Config {
        demo: false,
        ..config_in(tmp.path())
    };
    htx_server::create_admin(
        real.clone(),
        "admin.tinh",
        "Quản trị tỉnh",
        "mat-khau-that-dai".into(),
    )
    .await
    .unwrap();
    let err = match Server::bind(config_in(tmp.path())).await {
        Ok(_) => panic!("--demo seeded a real database"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("--demo refused") && err.contains("1 accounts"),
        "{err}"
    );
    let db = common::test_database(tmp.path());
    assert_eq!(table_count(&db, "SELECT COUNT(*) FROM users").await, 1);
    assert_eq!(
        table_count(&db, "SELECT COUNT(*) FROM organisations").await,
        0
    );
    // Without --demo the real database serves, and its admin signs in.
    let server = Server::bind(real).await.unwrap();
    drop(server);
}

#[tokio::test]
async fn a_demo_database_used_by_demo_accounts_is_still_a_demo() {
    let api = Api::start().await;
    let canbo1 = api.login("canbo1").await;
    let found =
        visit_of_new_organisation(demo::DEMO_ORGANISATIONS[0].place_code, Some("1701999401"));
    assert_eq!(
        statuses(&api.push(&canbo1, &batch(vec![found])).await),
        ["accepted"]
    );
    let admin = api.login("quantri").await;
    let res = api
        .client
        .post(api.url("/users"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .json(&serde_json::json!({ "username": "canbo_thu", "display_name": "Cán bộ thử", "password": "mat-khau-thu-123",
                                    "role": "officer", "places": [demo::DEMO_ORGANISATIONS[0].place_code] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(demo::foreign_data(&api.db).await.unwrap(), None);
    api.stop().await;
}

#[tokio::test]
async fn demo_accounts_are_not_served_on_the_network_unless_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let open = |allow: bool, demo: bool| Config {
        addr: "0.0.0.0:0".parse().unwrap(),
        allow_demo_on_network: allow,
        demo,
        ..config_in(tmp.path())
    };
    // A fresh database without the demo serves anywhere.
    drop(Server::bind(open(false, false)).await.unwrap());
    let err = match Server::bind(open(false, true)).await {
        Ok(_) => panic!("demo accounts served on 0.0.0.0"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("refusing to serve demo accounts"), "{err}");
    // Once seeded, even without --demo: the accounts are in the database.
    let err = Server::bind(open(false, false))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("--allow-demo-on-network"), "{err}");
    drop(Server::bind(open(true, false)).await.unwrap());
    drop(
        Server::bind(Config {
            demo: false,
            ..config_in(tmp.path())
        })
        .await
        .unwrap(),
    );
}

#[tokio::test]
async fn create_admin_makes_the_first_real_account() {
    let tmp = tempfile::tempdir().unwrap();
    let config = Config {
        demo: false,
        ..config_in(tmp.path())
    };
    let short =
        htx_server::create_admin(config.clone(), "admin.tinh", "Quản trị", "ngan".into()).await;
    assert!(short.unwrap_err().to_string().contains("at least 10"));
    htx_server::create_admin(
        config.clone(),
        "admin.tinh",
        "Quản trị tỉnh",
        "mat-khau-that-dai".into(),
    )
    .await
    .unwrap();
    let again = htx_server::create_admin(
        config.clone(),
        "admin.tinh",
        "Quản trị",
        "mat-khau-khac-dai".into(),
    )
    .await;
    assert!(again.unwrap_err().to_string().contains("taken"));
    let server = Server::bind(config).await.unwrap();
    let base = format!("http://{}/api/v1", server.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(server.run_until(async {
        let _ = rx.await;
    }));
    let res = reqwest::Client::new()
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({ "username": "admin.tinh", "password": "mat-khau-that-dai" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["role"], "admin");
    tx.send(()).unwrap();
    handle.await.unwrap().unwrap();
}
