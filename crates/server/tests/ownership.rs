//! A visit belongs to the officer and place that recorded it (issue 24):
//! each attack seen against the push path, as a test over real HTTP and a
//! real SQLite file, and a property test of random pushes from two officers
//! in two places.

mod common;

use common::*;

use htx_core::sync::{RecordKey, RecordOutcome};
use htx_core::visit::PhotoRef;
use htx_core::{Hierarchy, PlaceRef, Visit};
use htx_server::demo;
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// canbo2's own visit of its own organisation, reusing `victim`'s id and
/// revision numbering (what an attacker who learnt the id would send).
fn hijack(victim: &Visit, revision: u32, replaces: Option<u32>, notes: &str) -> Visit {
    let mut v = final_visit(CANBO2_HTX, notes);
    v.id = victim.id;
    v.revision = revision;
    v.replaces_revision = replaces;
    v
}

async fn review_state(api: &Api, id: Uuid) -> (String, String, String) {
    api.listed().await;
    sqlx::query_as(
        "SELECT review_state, place_code, officer_id FROM visit_index WHERE visit_id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&api.db)
    .await
    .unwrap()
}

async fn count(api: &Api, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&api.db).await.unwrap()
}

async fn post_review(api: &Api, token: &str, v: &Visit, decision: &str) -> reqwest::Response {
    api.client
        .post(api.url("/reviews"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .json(&json!({ "visit_id": v.id, "revision": v.revision, "decision": decision, "comment": "xem lại" }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn another_officer_cannot_move_rewrite_or_hide_a_visit() {
    let api = Api::start().await;
    let canbo1 = api.login("canbo1").await;
    let canbo2 = api.login("canbo2").await;
    let reviewer = api.login("kiemduyet").await;
    let v = final_visit(CANBO1_HTX[0], "bản của cán bộ 1");
    assert_eq!(
        statuses(&api.push(&canbo1, &batch(vec![v.clone()])).await),
        ["accepted"]
    );
    assert_eq!(
        post_review(&api, &reviewer, &v, "approved").await.status(),
        StatusCode::CREATED
    );
    let before = review_state(&api, v.id).await;

    // Revision 1 of canbo1's visit, naming canbo2's own organisation.
    let moved = hijack(&v, 1, Some(0), "chuyển sang xã khác");
    // Revision 1 naming the visit's own organisation (outside canbo2's places).
    let mut rewritten = v.next_revision();
    rewritten.notes = "viết đè".into();
    let r = api.push(&canbo2, &batch(vec![moved, rewritten])).await;
    for result in &r.results {
        assert_eq!(
            rejected_codes(&result.outcome),
            [("id".to_string(), "not_owner")]
        );
        let RecordOutcome::Rejected { errors } = &result.outcome else {
            unreachable!()
        };
        assert!(
            errors[0].message_vi.contains("cán bộ khác"),
            "{}",
            errors[0].message_vi
        );
        assert!(errors[0].message_en.contains("belongs to another officer"));
    }
    // Nothing changed: one revision, still approved, still canbo1's place,
    // and canbo1 still reads it while canbo2 does not.
    assert_eq!(count(&api, "SELECT COUNT(*) FROM visit_revisions").await, 1);
    assert_eq!(review_state(&api, v.id).await, before);
    assert_eq!(before.0, "approved");
    assert_eq!(api.visit(&canbo1, v.id).await.status(), StatusCode::OK);
    assert_eq!(
        api.visit(&canbo2, v.id).await.status(),
        StatusCode::NOT_FOUND
    );
    // canbo2's receipts and pulls say nothing of it.
    let receipt = api
        .receipt(
            &canbo2,
            vec![RecordKey {
                id: v.id,
                revision: 0,
            }],
        )
        .await;
    assert!(receipt.statuses[0].receipt.is_none());
    assert!(api.pull(&canbo2, "?since=0").await.reviews.is_empty());
    // canbo1's own next revision is still accepted.
    let mut fix = v.next_revision();
    fix.notes = "bản sửa của cán bộ 1".into();
    assert_eq!(
        statuses(&api.push(&canbo1, &batch(vec![fix])).await),
        ["accepted"]
    );
    api.stop().await;
}

#[tokio::test]
async fn same_id_and_revision_from_another_account_is_refused_not_kept_as_a_conflict() {
    let api = Api::start().await;
    let canbo1 = api.login("canbo1").await;
    let canbo2 = api.login("canbo2").await;
    let v = final_visit(CANBO1_HTX[1], "bản thật");
    assert_eq!(
        statuses(&api.push(&canbo1, &batch(vec![v.clone()])).await),
        ["accepted"]
    );
    let hash = htx_core::hash::content_hash(&v).0;
    // Other content, and the very same content: neither is answered with
    // what is stored (a conflict or duplicate would hand back its hash).
    let injected = hijack(&v, 0, None, "nội dung chèn vào");
    let res = api
        .push_raw(&canbo2, &batch(vec![injected, v.clone()]))
        .await;
    let text = res.text().await.unwrap();
    assert!(
        !text.contains(&hash),
        "the stored content's hash leaked: {text}"
    );
    let r: htx_core::sync::PushResponse = serde_json::from_str(&text).unwrap();
    assert_eq!(statuses(&r), ["rejected", "rejected"]);
    assert_eq!(count(&api, "SELECT COUNT(*) FROM visit_conflicts").await, 0);
    let h: Value = api
        .visit(&api.login("kiemduyet").await, v.id)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(h["conflicts"], json!([]));
    assert_eq!(h["latest"]["visit"]["notes"], "bản thật");
    api.stop().await;
}

#[tokio::test]
async fn revisions_follow_each_other_and_stop_at_the_bound() {
    let api = Api::start().await;
    let canbo1 = api.login("canbo1").await;
    let v = final_visit(CANBO1_HTX[2], "bản đầu");
    assert_eq!(
        statuses(&api.push(&canbo1, &batch(vec![v.clone()])).await),
        ["accepted"]
    );
    // The highest revision there is: accepted, it would freeze the visit.
    let mut frozen = v.clone();
    frozen.revision = u32::MAX;
    frozen.replaces_revision = Some(u32::MAX - 1);
    let mut skip = v.next_revision().next_revision();
    skip.replaces_revision = Some(0);
    let r = api.push(&canbo1, &batch(vec![frozen, skip])).await;
    assert_eq!(
        rejected_codes(&r.results[0].outcome),
        [("revision".to_string(), "too_many_revisions")]
    );
    assert_eq!(
        rejected_codes(&r.results[1].outcome),
        [("replaces_revision".to_string(), "invalid_revision")]
    );
    // Revisions 1 .. MAX_REVISIONS - 1 go in; the one after is refused.
    let mut latest = v;
    for n in 1..htx_core::MAX_REVISIONS {
        latest = latest.next_revision();
        latest.notes = format!("sửa lần {n}");
        assert_eq!(
            statuses(&api.push(&canbo1, &batch(vec![latest.clone()])).await),
            ["accepted"],
            "{n}"
        );
    }
    let mut over = latest.next_revision();
    over.notes = "quá giới hạn".into();
    let r = api.push(&canbo1, &batch(vec![over])).await;
    assert_eq!(
        rejected_codes(&r.results[0].outcome),
        [("revision".to_string(), "too_many_revisions")]
    );
    assert_eq!(
        count(&api, "SELECT COUNT(*) FROM visit_revisions").await,
        i64::from(htx_core::MAX_REVISIONS)
    );
    api.stop().await;
}

#[tokio::test]
async fn the_visit_page_names_the_pushing_account_not_the_devices_text() {
    let api = Api::start().await;
    let canbo1 = api.login("canbo1").await;
    let mut v = final_visit(CANBO1_HTX[0], "mạo danh");
    v.officer = "[DEMO] Cán bộ 2".into();
    assert_eq!(
        statuses(&api.push(&canbo1, &batch(vec![v.clone()])).await),
        ["accepted"]
    );
    let (status, h) = api
        .get_json(&api.login("kiemduyet").await, &format!("/visits/{}", v.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["owner"], "[DEMO] Cán bộ 1");
    assert_eq!(h["owner_username"], "canbo1");
    assert_eq!(h["latest"]["pushed_by"], "[DEMO] Cán bộ 1");
    // The device's own text is kept, as what the device said.
    assert_eq!(h["latest"]["visit"]["officer"], "[DEMO] Cán bộ 2");
    api.stop().await;
}

#[tokio::test]
async fn a_rejected_visit_creates_no_organisation() {
    let api = Api::start().await;
    let canbo1 = api.login("canbo1").await;
    let place = demo::DEMO_ORGANISATIONS[0].place_code;
    // Invalid (a start in the future) and bringing a new organisation.
    let mut invalid = visit_of_new_organisation(place, Some("1701999301"));
    invalid.started_at = now() + chrono::Duration::days(30);
    let org = invalid.organisation_id;
    // Another officer's visit id with a new organisation of one's own.
    let canbo2 = api.login("canbo2").await;
    let theirs = final_visit(CANBO2_HTX, "của cán bộ 2");
    assert_eq!(
        statuses(&api.push(&canbo2, &batch(vec![theirs.clone()])).await),
        ["accepted"]
    );
    let mut foreign = visit_of_new_organisation(place, Some("1701999302"));
    foreign.id = theirs.id;
    let foreign_org = foreign.organisation_id;
    let before = count(&api, "SELECT COUNT(*) FROM organisations").await;
    let r = api.push(&canbo1, &batch(vec![invalid, foreign])).await;
    assert_eq!(statuses(&r), ["rejected", "rejected"]);
    assert_eq!(
        count(&api, "SELECT COUNT(*) FROM organisations").await,
        before
    );
    let pulled = api.pull(&canbo1, "?since=0").await;
    assert!(!pulled
        .organisations
        .iter()
        .any(|o| o.id == org || o.id == foreign_org));
    // Fixed, the same visit brings its organisation with it.
    let mut fixed = visit_of_new_organisation(place, Some("1701999301"));
    fixed.organisation_id = org;
    fixed.new_organisation.as_mut().unwrap().id = org;
    assert_eq!(
        statuses(&api.push(&canbo1, &batch(vec![fixed])).await),
        ["accepted"]
    );
    assert_eq!(
        count(&api, "SELECT COUNT(*) FROM organisations").await,
        before + 1
    );
    api.stop().await;
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn jpeg(n: u8) -> Vec<u8> {
    let mut b = b"\xff\xd8\xff\xe0 fake jpeg ".to_vec();
    b.extend(std::iter::repeat_n(n, 1000));
    b
}

async fn put_blob(api: &Api, token: &str, bytes: &[u8]) -> reqwest::Response {
    api.client
        .put(api.url(&format!("/blobs/{}", sha(bytes))))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

async fn get_blob(api: &Api, token: &str, bytes: &[u8]) -> StatusCode {
    api.client
        .get(api.url(&format!("/blobs/{}", sha(bytes))))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn photos_follow_their_visits_and_uploads_have_a_quota() {
    let api = Api::start_with(|c| {
        c.photo_quota_count = 2;
        c.unreferenced_photo_days = 30;
    })
    .await;
    let canbo1 = api.login("canbo1").await;
    let (a, b, c) = (jpeg(1), jpeg(2), jpeg(3));
    assert_eq!(
        put_blob(&api, &canbo1, &a).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        put_blob(&api, &canbo1, &b).await.status(),
        StatusCode::CREATED
    );
    // A third photo no visit names: over the quota.
    let res = put_blob(&api, &canbo1, &c).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(RETRY_AFTER));
    assert_eq!(error_code(res).await, "quota_exceeded");
    // Reviewers and (by default) admins upload nothing.
    let reviewer = api.login("kiemduyet").await;
    assert_eq!(
        put_blob(&api, &reviewer, &c).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        put_blob(&api, &api.login("quantri").await, &c)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // Once a visit names them, they no longer count, and staff of the place see them.
    let mut v = final_visit(CANBO1_HTX[0], "có ảnh");
    for bytes in [&a, &b] {
        v.photos.push(PhotoRef {
            id: Uuid::now_v7(),
            sha256: sha(bytes),
            caption: String::new(),
        });
    }
    assert_eq!(
        statuses(&api.push(&canbo1, &batch(vec![v])).await),
        ["accepted"]
    );
    assert_eq!(
        put_blob(&api, &canbo1, &c).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(get_blob(&api, &reviewer, &a).await, StatusCode::OK);
    // A reviewer of another province sees neither the named photo nor the unnamed one.
    let elsewhere = api
        .reviewer_of("kd_tinh_khac", PlaceRef::new(Hierarchy::Old, "89"))
        .await;
    assert_eq!(get_blob(&api, &elsewhere, &a).await, StatusCode::NOT_FOUND);
    assert_eq!(get_blob(&api, &reviewer, &c).await, StatusCode::NOT_FOUND);
    assert_eq!(get_blob(&api, &canbo1, &c).await, StatusCode::OK);

    // Unnamed photos older than the set age go; named ones stay, whatever their age.
    sqlx::query("UPDATE blobs SET created_at = '2020-01-01T00:00:00Z'")
        .execute(&api.db)
        .await
        .unwrap();
    let state = htx_server::AppState::new(
        api.db.clone(),
        htx_server::Config {
            unreferenced_photo_days: 30,
            ..test_config()
        },
    );
    assert_eq!(htx_server::gc_photos(&state).await.unwrap(), 1);
    assert_eq!(get_blob(&api, &canbo1, &c).await, StatusCode::NOT_FOUND);
    assert_eq!(get_blob(&api, &canbo1, &a).await, StatusCode::OK);
    api.stop().await;
}

#[tokio::test]
async fn staff_push_only_when_allowed_and_never_review_their_own_visits() {
    let api = Api::start().await;
    let res = api
        .push_raw(
            &api.login("quantri").await,
            &batch(vec![final_visit(0, "quản trị gửi")]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(res).await, "forbidden");
    api.stop().await;

    let api = Api::start_with(|c| c.allow_staff_push = true).await;
    let admin = api.login("quantri").await;
    let v = final_visit(CANBO1_HTX[0], "quản trị gửi");
    assert_eq!(
        statuses(&api.push(&admin, &batch(vec![v.clone()])).await),
        ["accepted"]
    );
    let res = post_review(&api, &admin, &v, "approved").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(res).await, "forbidden");
    assert_eq!(
        post_review(&api, &api.login("kiemduyet").await, &v, "approved")
            .await
            .status(),
        StatusCode::CREATED
    );
    // An admin of another province is still held to its scope.
    let elsewhere = api
        .staff_of("qt_khac", "admin", PlaceRef::new(Hierarchy::Old, "89"))
        .await;
    let r = api
        .push(&elsewhere, &batch(vec![final_visit(0, "ngoài phạm vi")]))
        .await;
    assert_eq!(
        rejected_codes(&r.results[0].outcome),
        [("organisation_id".to_string(), "forbidden_place")]
    );
    api.stop().await;
}

#[tokio::test]
async fn an_officer_moved_off_a_place_still_sends_their_own_work() {
    let api = Api::start().await;
    let canbo1 = api.login("canbo1").await;
    let v = final_visit(CANBO1_HTX[0], "trước khi chuyển");
    assert_eq!(
        statuses(&api.push(&canbo1, &batch(vec![v.clone()])).await),
        ["accepted"]
    );
    let reviewer = api.login("kiemduyet").await;
    assert_eq!(
        post_review(&api, &reviewer, &v, "returned").await.status(),
        StatusCode::CREATED
    );
    // The admin moves canbo1 to canbo2's communes only.
    let admin = api.login("quantri").await;
    let places: Vec<&str> = demo::DEMO_ORGANISATIONS[20..]
        .iter()
        .map(|o| o.place_code)
        .collect();
    let res = api
        .client
        .put(api.url("/users/canbo1/assignments"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .json(&json!({ "places": places, "scopes": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    // The returned comment still reaches them, and their fix is taken.
    let pulled = api.pull(&canbo1, "?since=0").await;
    assert!(
        pulled.reviews.iter().any(|r| r.visit_id == v.id),
        "{:?}",
        pulled.reviews
    );
    let mut fix = v.next_revision();
    fix.notes = "sửa sau khi chuyển".into();
    assert_eq!(
        statuses(&api.push(&canbo1, &batch(vec![fix])).await),
        ["accepted"]
    );
    let receipt = api
        .receipt(
            &canbo1,
            vec![RecordKey {
                id: v.id,
                revision: 1,
            }],
        )
        .await;
    assert!(receipt.statuses[0].receipt.is_some());
    assert_eq!(api.visit(&canbo1, v.id).await.status(), StatusCode::OK);
    // A new visit of the old place is no longer theirs to record.
    let r = api
        .push(&canbo1, &batch(vec![final_visit(CANBO1_HTX[1], "mới")]))
        .await;
    assert_eq!(
        rejected_codes(&r.results[0].outcome),
        [("organisation_id".to_string(), "forbidden_place")]
    );
    api.stop().await;
}

#[tokio::test]
async fn an_admin_hands_a_visit_to_another_officer_of_its_commune() {
    let api = Api::start().await;
    let canbo1 = api.login("canbo1").await;
    let v = final_visit(CANBO1_HTX[0], "của cán bộ 1");
    assert_eq!(
        statuses(&api.push(&canbo1, &batch(vec![v.clone()])).await),
        ["accepted"]
    );
    let admin = api.login("quantri").await;
    let set_owner = |token: String, username: &'static str| {
        api.client
            .put(api.url(&format!("/visits/{}/owner", v.id)))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(&json!({ "username": username }))
            .send()
    };
    // canbo2 has no place in the visit's commune: refused.
    let res = set_owner(admin.clone(), "canbo2").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Only admins hand visits over.
    let res = set_owner(api.login("kiemduyet").await, "canbo2")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A new officer of that commune takes it over.
    let place = demo::DEMO_ORGANISATIONS[CANBO1_HTX[0]].place_code;
    let res = api
        .client
        .post(api.url("/users"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .json(&json!({ "username": "canbo_moi", "display_name": "Cán bộ mới", "password": "mat-khau-moi-123",
                        "role": "officer", "places": [place], "scopes": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(
        set_owner(admin.clone(), "canbo_moi")
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let res = api.login_raw("canbo_moi", "mat-khau-moi-123").await;
    let newcomer = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut fix = v.next_revision();
    fix.notes = "cán bộ mới sửa".into();
    assert_eq!(
        statuses(&api.push(&newcomer, &batch(vec![fix.clone()])).await),
        ["accepted"]
    );
    let mut late = fix.next_revision();
    late.notes = "cán bộ cũ".into();
    let r = api.push(&canbo1, &batch(vec![late])).await;
    assert_eq!(
        rejected_codes(&r.results[0].outcome),
        [("id".to_string(), "not_owner")]
    );
    let (_, h) = api.get_json(&admin, &format!("/visits/{}", v.id)).await;
    assert_eq!(h["owner_username"], "canbo_moi");
    assert!(
        h["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "visit.reassign"),
        "{}",
        h["audit"]
    );
    api.stop().await;
}

/// Random sequences of pushes from two officers in two places: each records
/// and revises their own visits, and tries every way seen to push into the
/// other's (a revision naming their own organisation, or the visit's; the
/// same revision with other content; the same content; a revision that would
/// freeze it; a stale base), alone, beside a visit of their own, or at the
/// same moment as the owner's own revision. Whatever the sequence, one
/// officer's push never changes, hides or reveals the other's visit.
mod two_officers {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config as RunnerConfig, TestRunner};

    const OFFICERS: [&str; 2] = ["canbo1", "canbo2"];
    const NAMES: [&str; 2] = ["[DEMO] Cán bộ 1", "[DEMO] Cán bộ 2"];

    #[derive(Debug, Clone, Copy)]
    enum Attack {
        MoveToOwnOrganisation,
        RewriteInPlace,
        SameRevisionOtherContent,
        SameContent,
        Freeze,
        StaleBase,
    }

    #[derive(Debug, Clone)]
    enum Op {
        New {
            by: usize,
            org: usize,
        },
        Revise {
            by: usize,
            pick: usize,
        },
        Attack {
            by: usize,
            pick: usize,
            how: Attack,
            with_own: bool,
        },
        /// The owner's revision and the other's attack on it, at once.
        Race {
            owner: usize,
            pick: usize,
            how: Attack,
        },
    }

    fn attack() -> impl Strategy<Value = Attack> {
        prop_oneof![
            Just(Attack::MoveToOwnOrganisation),
            Just(Attack::RewriteInPlace),
            Just(Attack::SameRevisionOtherContent),
            Just(Attack::SameContent),
            Just(Attack::Freeze),
            Just(Attack::StaleBase),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..2usize, 0..4usize).prop_map(|(by, org)| Op::New { by, org }),
            (0..2usize, 0..8usize).prop_map(|(by, pick)| Op::Revise { by, pick }),
            (0..2usize, 0..8usize, attack(), any::<bool>()).prop_map(
                |(by, pick, how, with_own)| Op::Attack {
                    by,
                    pick,
                    how,
                    with_own
                }
            ),
            (0..2usize, 0..8usize, attack()).prop_map(|(owner, pick, how)| Op::Race {
                owner,
                pick,
                how
            }),
        ]
    }

    /// A new final visit of one of `officer`'s organisations.
    fn own_visit(officer: usize, org: usize, notes: &str) -> Visit {
        match officer {
            0 => final_visit(CANBO1_HTX[org % CANBO1_HTX.len()], notes),
            _ => final_visit(CANBO2_HTX, notes),
        }
    }

    /// What `attacker` sends against `victim` (the victim's latest revision).
    fn forge(attacker: usize, victim: &Visit, how: Attack, n: usize) -> Visit {
        let notes = format!("tấn công {n}");
        let mut v = match how {
            Attack::MoveToOwnOrganisation => {
                let mut v = own_visit(attacker, n, &notes).next_revision();
                v.id = victim.id;
                v.revision = victim.revision + 1;
                v.replaces_revision = Some(victim.revision);
                return v;
            }
            Attack::RewriteInPlace => victim.next_revision(),
            Attack::SameRevisionOtherContent => victim.clone(),
            Attack::SameContent => return victim.clone(),
            Attack::Freeze => {
                let mut v = victim.clone();
                v.revision = u32::MAX;
                v.replaces_revision = Some(u32::MAX - 1);
                v
            }
            Attack::StaleBase => {
                let mut v = victim.clone();
                v.revision = 0;
                v.replaces_revision = None;
                v
            }
        };
        v.notes = notes;
        v
    }

    struct World<'a> {
        api: &'a Api,
        tokens: [String; 2],
        /// Each officer's visits, as last accepted.
        visits: [Vec<Visit>; 2],
        n: usize,
    }

    impl World<'_> {
        fn hashes_of(&self, officer: usize) -> Vec<String> {
            self.visits[officer]
                .iter()
                .map(|v| htx_core::hash::content_hash(v).0)
                .collect()
        }

        async fn push_expect(&self, by: usize, visits: Vec<Visit>, expected: &[&str]) -> String {
            let res = self.api.push_raw(&self.tokens[by], &batch(visits)).await;
            assert_eq!(res.status(), StatusCode::OK);
            let text = res.text().await.unwrap();
            let r: htx_core::sync::PushResponse = serde_json::from_str(&text).unwrap();
            assert_eq!(statuses(&r), expected, "{text}");
            text
        }

        /// The attacker's answer names none of the victim's stored contents.
        fn reveals_nothing(&self, victim: usize, answer: &str) {
            for h in self.hashes_of(victim) {
                assert!(
                    !answer.contains(&h),
                    "the victim's content hash leaked: {answer}"
                );
            }
        }

        async fn run(&mut self, op: Op) {
            self.n += 1;
            let n = self.n;
            match op {
                Op::New { by, org } => {
                    let v = own_visit(by, org, &format!("mới {n}"));
                    self.push_expect(by, vec![v.clone()], &["accepted"]).await;
                    self.visits[by].push(v);
                }
                Op::Revise { by, pick } => {
                    let Some(i) = index(&self.visits[by], pick) else {
                        return;
                    };
                    let mut v = self.visits[by][i].next_revision();
                    v.notes = format!("sửa {n}");
                    self.push_expect(by, vec![v.clone()], &["accepted"]).await;
                    self.visits[by][i] = v;
                }
                Op::Attack {
                    by,
                    pick,
                    how,
                    with_own,
                } => {
                    let victim = 1 - by;
                    let Some(i) = index(&self.visits[victim], pick) else {
                        return;
                    };
                    let forged = forge(by, &self.visits[victim][i], how, n);
                    if with_own {
                        let own = own_visit(by, n, &format!("của mình {n}"));
                        let answer = self
                            .push_expect(by, vec![forged, own.clone()], &["rejected", "accepted"])
                            .await;
                        self.reveals_nothing(victim, &answer);
                        self.visits[by].push(own);
                    } else {
                        let answer = self.push_expect(by, vec![forged], &["rejected"]).await;
                        self.reveals_nothing(victim, &answer);
                    }
                }
                Op::Race { owner, pick, how } => {
                    let attacker = 1 - owner;
                    let Some(i) = index(&self.visits[owner], pick) else {
                        return;
                    };
                    let mut fix = self.visits[owner][i].next_revision();
                    fix.notes = format!("sửa cùng lúc {n}");
                    let forged = forge(attacker, &self.visits[owner][i], how, n);
                    let (theirs, _) = tokio::join!(
                        self.push_expect(attacker, vec![forged], &["rejected"]),
                        self.push_expect(owner, vec![fix.clone()], &["accepted"]),
                    );
                    self.visits[owner][i] = fix;
                    self.reveals_nothing(owner, &theirs);
                }
            }
        }

        /// Every visit is its owner's, as the owner last sent it, seen by the
        /// owner and nobody else among officers.
        async fn check(&self) {
            for owner in 0..2 {
                let other = 1 - owner;
                let keys: Vec<RecordKey> = self.visits[owner]
                    .iter()
                    .map(|v| RecordKey {
                        id: v.id,
                        revision: v.revision,
                    })
                    .collect();
                let mine = self.api.receipt(&self.tokens[owner], keys.clone()).await;
                let theirs = self.api.receipt(&self.tokens[other], keys).await;
                for ((v, m), t) in self.visits[owner]
                    .iter()
                    .zip(&mine.statuses)
                    .zip(&theirs.statuses)
                {
                    assert_eq!(
                        m.receipt.as_ref().map(|r| r.hash.clone()),
                        Some(htx_core::hash::content_hash(v))
                    );
                    assert!(
                        t.receipt.is_none(),
                        "{} got a receipt of {}'s visit",
                        OFFICERS[other],
                        OFFICERS[owner]
                    );
                    let (status, h) = self
                        .api
                        .get_json(&self.tokens[owner], &format!("/visits/{}", v.id))
                        .await;
                    assert_eq!(status, StatusCode::OK);
                    assert_eq!(h["owner_username"], OFFICERS[owner]);
                    assert_eq!(h["latest"]["hash"], htx_core::hash::content_hash(v).0);
                    let revisions = h["revisions"].as_array().unwrap();
                    assert_eq!(revisions.len(), v.revision as usize + 1);
                    assert!(revisions.iter().all(|r| r["pushed_by"] == NAMES[owner]));
                    assert_eq!(h["conflicts"], json!([]));
                    assert_eq!(
                        self.api.visit(&self.tokens[other], v.id).await.status(),
                        StatusCode::NOT_FOUND
                    );
                }
            }
        }
    }

    fn index(visits: &[Visit], pick: usize) -> Option<usize> {
        (!visits.is_empty()).then(|| pick % visits.len())
    }

    #[test]
    fn one_officers_pushes_never_change_hide_or_reveal_the_others_visits() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let api = rt.block_on(Api::start());
        let tokens = rt.block_on(async { [api.login("canbo1").await, api.login("canbo2").await] });
        let mut runner = TestRunner::new(RunnerConfig {
            cases: 24,
            ..RunnerConfig::default()
        });
        // Each case starts with a visit of each officer, so attacks have targets.
        let ops = (0..4usize, proptest::collection::vec(op(), 1..12));
        runner
            .run(&ops, |(org, ops)| {
                rt.block_on(async {
                    let mut world = World {
                        api: &api,
                        tokens: tokens.clone(),
                        visits: [Vec::new(), Vec::new()],
                        n: 0,
                    };
                    world.run(Op::New { by: 0, org }).await;
                    world.run(Op::New { by: 1, org }).await;
                    for op in ops {
                        world.run(op).await;
                    }
                    world.check().await;
                });
                Ok(())
            })
            .unwrap();
        let conflicts: i64 = rt.block_on(count(&api, "SELECT COUNT(*) FROM visit_conflicts"));
        assert_eq!(conflicts, 0);
        rt.block_on(api.stop());
    }
}
