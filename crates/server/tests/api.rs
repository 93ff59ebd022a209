//! API v1 over real HTTP on 127.0.0.1 against a real SQLite file in a temp
//! dir: sign-in, push / receipt / pull, blobs, history. The server runs with
//! the demo dataset (40 organisations, demo accounts) and cheap argon2.

mod common;

use common::*;

use std::io::Write;
use std::time::Duration;

use htx_core::sync::{PullResponse, PushResponse, RecordKey, RecordOutcome, VisitRevision};
use htx_core::{ErrorCode, Visit};
use htx_server::demo;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

#[tokio::test]
async fn login_ok_and_failures_do_not_enumerate_users() {
    let api = Api::start().await;
    let res = api.login_raw("canbo1", "canbo1-demo").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token"].as_str().unwrap().len(), 64);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in_secs"], 3600);
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["user"]["role"], "officer");
    assert_eq!(body["user"]["places"].as_array().unwrap().len(), 20);
    for (user, role) in [
        ("canbo2", "officer"),
        ("kiemduyet", "reviewer"),
        ("quantri", "admin"),
    ] {
        let res = api.login_raw(user, &format!("{user}-demo")).await;
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["user"]["role"], role);
    }

    let bad_password = api.login_raw("canbo1", "wrong").await;
    let unknown_user = api.login_raw("nobody", "wrong").await;
    assert_eq!(bad_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_user.status(), StatusCode::UNAUTHORIZED);
    let a: Value = bad_password.json().await.unwrap();
    let b: Value = unknown_user.json().await.unwrap();
    assert_eq!(a, b, "same answer for a wrong password and an unknown user");
    assert_eq!(a["error"]["code"], "invalid_credentials");

    // Every v1 route but login needs a valid token.
    let token_hash_is_stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE length(token_hash) = 64")
            .fetch_one(&api.db)
            .await
            .unwrap();
    assert_eq!(token_hash_is_stored, 4);
    for auth in [None, Some("Bearer nonsense"), Some("Basic abc")] {
        let mut requests = vec![
            api.client.get(api.url("/sync/pull")),
            api.client.post(api.url("/sync/push")).json(&batch(vec![])),
            api.client.post(api.url("/sync/receipt")).json(&json!({})),
            api.client
                .put(api.url(&format!("/blobs/{}", "0".repeat(64)))),
            api.client
                .get(api.url(&format!("/blobs/{}", "0".repeat(64)))),
            api.client.post(api.url("/reviews")).json(&json!({})),
            api.client.get(api.url(&format!("/visits/{}", Uuid::nil()))),
        ];
        for req in requests.drain(..) {
            let req = match auth {
                Some(a) => req.header(AUTHORIZATION, a),
                None => req,
            };
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
            assert_eq!(res.headers()["www-authenticate"], "Bearer");
            assert_eq!(error_code(res).await, "unauthorized");
        }
    }
    // Unknown v1 paths and wrong methods answer in JSON too.
    let res = api.client.get(api.url("/nope")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(res).await, "not_found");
    let res = api.client.get(api.url("/sync/push")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(res).await, "method_not_allowed");
    api.stop().await;
}

#[tokio::test]
async fn expired_token_is_401_and_signing_in_again_works() {
    let api = Api::start_with_ttl(2).await;
    let token = api.login("canbo1").await;
    api.pull(&token, "").await;
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let res = api
        .client
        .get(api.url("/sync/pull"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(res).await, "token_expired");
    let token = api.login("canbo1").await;
    api.pull(&token, "").await;
    api.stop().await;
}

#[tokio::test]
async fn push_accepts_then_duplicates_and_receipts_answer_exactly() {
    let api = Api::start().await;
    let token = api.login("canbo1").await;
    let visits: Vec<Visit> = CANBO1_HTX
        .iter()
        .map(|&i| final_visit(i, "lần đầu"))
        .collect();
    let b = batch(visits.clone());
    let first = api.push(&token, &b).await;
    assert_eq!(first.batch_id, b.batch_id);
    assert_eq!(statuses(&first), vec!["accepted"; 4]);
    let again = api.push(&token, &b).await;
    assert_eq!(statuses(&again), vec!["duplicate"; 4]);
    for (a, d) in first.results.iter().zip(&again.results) {
        let (RecordOutcome::Accepted { receipt: ra }, RecordOutcome::Duplicate { receipt: rd }) =
            (&a.outcome, &d.outcome)
        else {
            panic!()
        };
        assert_eq!(ra, rd, "a retry gets the original receipt");
    }
    assert_eq!(
        htx_server::db::visits::count_revisions(&api.db)
            .await
            .unwrap(),
        4
    );

    let held: Vec<RecordKey> = b.records.iter().map(VisitRevision::key).collect();
    let mut asked = held.clone();
    asked.push(RecordKey {
        id: visits[0].id,
        revision: 1,
    });
    asked.push(RecordKey {
        id: Uuid::now_v7(),
        revision: 0,
    });
    let answer = api.receipt(&token, asked.clone()).await;
    assert_eq!(answer.statuses.len(), asked.len());
    let got: Vec<RecordKey> = answer
        .statuses
        .iter()
        .filter(|s| s.receipt.is_some())
        .map(|s| s.key)
        .collect();
    assert_eq!(got, held);
    for s in answer.statuses.iter().filter_map(|s| s.receipt.as_ref()) {
        let rec = b.records.iter().find(|r| r.key() == s.key).unwrap();
        assert_eq!(s.hash, rec.hash);
    }
    // Another officer is not told about canbo1's visits.
    let other = api.login("canbo2").await;
    let answer = api.receipt(&other, held.clone()).await;
    assert!(answer.statuses.iter().all(|s| s.receipt.is_none()));
    assert_eq!(
        api.visit(&other, visits[0].id).await.status(),
        StatusCode::NOT_FOUND
    );
    api.stop().await;
}

#[tokio::test]
async fn conflicts_are_kept_and_flagged_and_history_is_kept() {
    let api = Api::start().await;
    let token = api.login("canbo1").await;
    let v0 = final_visit(0, "bản gốc");
    let r = api.push(&token, &batch(vec![v0.clone()])).await;
    assert_eq!(statuses(&r), ["accepted"]);
    let hash0 = htx_core::hash::content_hash(&v0);

    // Same id and revision, other content: conflict, kept for review.
    let mut other = v0.clone();
    other.notes = "sửa trên máy khác".into();
    let r = api.push(&token, &batch(vec![other.clone()])).await;
    assert_eq!(
        r.results[0].outcome,
        RecordOutcome::Conflict {
            server_hash: hash0.clone()
        }
    );

    // A proper next revision is accepted; both revisions are kept.
    let mut v1 = v0.next_revision();
    v1.notes = "phiên bản 1".into();
    let r = api.push(&token, &batch(vec![v1.clone()])).await;
    assert_eq!(statuses(&r), ["accepted"]);
    let hash1 = htx_core::hash::content_hash(&v1);

    // A revision that skips one (2 replacing 0) is refused: revisions follow
    // the one they replace.
    let mut skipping = v0.next_revision().next_revision();
    skipping.replaces_revision = Some(0);
    skipping.notes = "dựa trên bản cũ".into();
    let r = api.push(&token, &batch(vec![skipping])).await;
    assert_eq!(
        rejected_codes(&r.results[0].outcome),
        [("replaces_revision".to_string(), "invalid_revision")]
    );
    // A revision 1 that arrived before its revision 0 (the first push was
    // lost): the late revision 0's base is no longer the latest: conflict.
    let late = final_visit(0, "bản đến muộn");
    let mut early = late.next_revision();
    early.notes = "bản sửa đến trước".into();
    assert_eq!(
        statuses(&api.push(&token, &batch(vec![early.clone()])).await),
        ["accepted"]
    );
    let r = api.push(&token, &batch(vec![late.clone()])).await;
    assert_eq!(
        r.results[0].outcome,
        RecordOutcome::Conflict {
            server_hash: htx_core::hash::content_hash(&early)
        }
    );
    let h: Value = api.visit(&token, late.id).await.json().await.unwrap();
    assert_eq!(h["conflicts"][0]["reason"], "stale_base");
    assert_eq!(h["conflicts"][0]["pushed_by"], "[DEMO] Cán bộ 1");
    // Retrying the old revision 0 is still just a duplicate.
    let r = api.push(&token, &batch(vec![v0.clone()])).await;
    assert_eq!(statuses(&r), ["duplicate"]);

    let res = api.visit(&token, v0.id).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h: Value = res.json().await.unwrap();
    assert_eq!(h["latest"]["revision"], 1);
    assert_eq!(h["latest"]["hash"], hash1.0);
    assert_eq!(h["latest"]["visit"]["notes"], "phiên bản 1");
    let revs: Vec<i64> = h["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_i64().unwrap())
        .collect();
    assert_eq!(revs, [0, 1]);
    assert_eq!(h["revisions"][0]["visit"]["notes"], "bản gốc");
    let reasons: Vec<&str> = h["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["same_revision_other_content"]);
    // Who pushed each copy: the account's name, not the device's text.
    assert_eq!(h["conflicts"][0]["pushed_by"], "[DEMO] Cán bộ 1");
    assert_eq!(h["revisions"][0]["pushed_by"], "[DEMO] Cán bộ 1");
    assert_eq!(h["owner"], "[DEMO] Cán bộ 1");
    assert_eq!(h["owner_username"], "canbo1");
    // Pushing the same conflicting content again flags it once.
    api.push(&token, &batch(vec![other])).await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM visit_conflicts")
        .fetch_one(&api.db)
        .await
        .unwrap();
    assert_eq!(n, 2);
    api.stop().await;
}

/// A large push is hashed in two halves side by side: each outcome still
/// lands on its own record, a forged one in either half included.
#[tokio::test]
async fn a_large_push_rejects_exactly_its_forged_records() {
    let api = Api::start().await;
    let token = api.login("canbo1").await;
    let visits: Vec<Visit> = (0..120)
        .map(|i| final_visit(CANBO1_HTX[i % CANBO1_HTX.len()], &format!("lần {i}")))
        .collect();
    let mut b = batch(visits);
    for i in [3, 59, 60, 117] {
        b.records[i].visit.notes = "giả".into();
    }
    let r = api.push(&token, &b).await;
    let expected: Vec<&str> = (0..120)
        .map(|i| match i {
            3 | 59 | 60 | 117 => "rejected",
            _ => "accepted",
        })
        .collect();
    assert_eq!(statuses(&r), expected);
    for (record, result) in b.records.iter().zip(&r.results) {
        assert_eq!(result.key, record.key());
    }
}

#[tokio::test]
async fn invalid_records_are_rejected_with_field_paths() {
    let api = Api::start().await;
    let token = api.login("canbo1").await;
    let mut incomplete = final_visit(0, "");
    incomplete.facts.workers = None;
    incomplete.facts.managers.with_degree = Some(9); // > managers.total (5)
    let draft = Visit::new_draft(
        Uuid::now_v7(),
        demo::organisation_id(0),
        "A",
        now() - chrono::Duration::hours(1),
    );
    let unknown_org = {
        let mut v = final_visit(0, "");
        v.organisation_id = Uuid::now_v7();
        v
    };
    let mut b = batch(vec![incomplete, draft, unknown_org, final_visit(2, "tốt")]);
    let mut forged = VisitRevision::new(final_visit(4, "thật"));
    forged.visit.notes = "giả".into();
    b.records.push(forged);
    let r = api.push(&token, &b).await;
    assert_eq!(
        statuses(&r),
        ["rejected", "rejected", "rejected", "accepted", "rejected"]
    );
    let paths = |i: usize| -> Vec<(String, ErrorCode)> {
        let RecordOutcome::Rejected { errors } = &r.results[i].outcome else {
            panic!()
        };
        errors.iter().map(|e| (e.path.clone(), e.code)).collect()
    };
    let p0 = paths(0);
    assert!(
        p0.contains(&("facts.workers".into(), ErrorCode::Required)),
        "{p0:?}"
    );
    assert!(p0.contains(&("facts.managers.with_degree".into(), ErrorCode::ExceedsTotal)));
    assert_eq!(paths(1), [("state".into(), ErrorCode::Required)]);
    assert_eq!(
        paths(2),
        [("organisation_id".into(), ErrorCode::UnknownReference)]
    );
    assert_eq!(paths(4), [("hash".into(), ErrorCode::HashMismatch)]);
    // Rejected records are not stored.
    assert_eq!(
        htx_server::db::visits::count_revisions(&api.db)
            .await
            .unwrap(),
        1
    );

    // Wire format of a rejection.
    let res = api
        .push_raw(&token, &batch(vec![draft_final_missing()]))
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["results"][0]["outcome"]["status"], "rejected");
    assert!(body["results"][0]["outcome"]["errors"][0]["path"].is_string());
    assert!(body["results"][0]["outcome"]["errors"][0]["message_vi"].is_string());

    // Wrong protocol version: the whole batch is refused.
    let mut b = batch(vec![]);
    b.protocol_version = 999;
    let res = api.push_raw(&token, &b).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(res).await, "unsupported_protocol");
    // Malformed JSON.
    let res = api
        .client
        .post(api.url("/sync/push"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header(CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(res).await, "invalid_json");
    // A value of the wrong type: the error says where it is.
    let mut wrong = serde_json::to_value(batch(vec![final_visit(0, "sai kiểu")])).unwrap();
    wrong["records"][0]["visit"]["revision"] = serde_json::json!("một");
    let send = |content_type: &'static str| {
        api.client
            .post(api.url("/sync/push"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(CONTENT_TYPE, content_type)
            .body(wrong.to_string())
            .send()
    };
    let res = send("application/json; charset=utf-8").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_json");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("records[0].visit.revision"), "{message}");
    // Not declared as JSON.
    let res = send("text/plain").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(res).await, "invalid_json");
    api.stop().await;
}

fn draft_final_missing() -> Visit {
    let mut v = final_visit(0, "");
    v.finished_at = None;
    v
}

#[tokio::test]
async fn too_many_records_or_bytes_is_413_json() {
    let api = Api::start().await;
    let token = api.login("canbo1").await;
    let most = htx_server::sync::MAX_PUSH_RECORDS;
    let b = batch((0..=most).map(|_| final_visit(0, "")).collect());
    let res = api.push_raw(&token, &b).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(res).await, "payload_too_large");

    let b = batch(vec![final_visit(0, &"x".repeat(1_100_000))]);
    let res = api.push_raw(&token, &b).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(res).await, "payload_too_large");

    // The most records a push may hold is fine.
    let b = batch((0..most).map(|_| final_visit(0, "")).collect());
    let r = api.push(&token, &b).await;
    assert_eq!(statuses(&r), vec!["accepted"; most]);
    api.stop().await;
}

#[tokio::test]
async fn officers_only_push_and_pull_their_places() {
    let api = Api::start().await;
    let canbo1 = api.login("canbo1").await;
    let canbo2 = api.login("canbo2").await;
    let r = api
        .push(
            &canbo2,
            &batch(vec![final_visit(0, ""), final_visit(CANBO2_HTX, "")]),
        )
        .await;
    assert_eq!(statuses(&r), ["rejected", "accepted"]);
    let RecordOutcome::Rejected { errors } = &r.results[0].outcome else {
        panic!()
    };
    assert_eq!(errors[0].code, ErrorCode::ForbiddenPlace);
    assert_eq!(errors[0].code.as_str(), "forbidden_place");
    let r = api
        .push(&canbo1, &batch(vec![final_visit(CANBO2_HTX, "")]))
        .await;
    assert_eq!(statuses(&r), ["rejected"]);

    let ids = |p: &PullResponse| -> Vec<Uuid> { p.organisations.iter().map(|o| o.id).collect() };
    let p1 = api.pull(&canbo1, "?since=0").await;
    let p2 = api.pull(&canbo2, "").await;
    assert_eq!(p1.organisations.len(), 20);
    assert_eq!(p2.organisations.len(), 20);
    assert!(ids(&p1).contains(&demo::organisation_id(0)));
    assert!(!ids(&p2).contains(&demo::organisation_id(0)));
    assert!(ids(&p2).contains(&demo::organisation_id(CANBO2_HTX)));
    assert!(!ids(&p1).contains(&demo::organisation_id(CANBO2_HTX)));
    // Places: the officer's communes (plus ancestors and merged old units).
    let codes: Vec<&str> = p1.places.iter().map(|p| p.code.as_str()).collect();
    assert!(codes.contains(&"30850"));
    assert!(!codes.contains(&demo::DEMO_ORGANISATIONS[CANBO2_HTX].place_code));
    assert!(!p1.rubrics.is_empty());
    // Reviewers and admins see everything.
    let reviewer = api.login("kiemduyet").await;
    assert_eq!(api.pull(&reviewer, "").await.organisations.len(), 40);
    // Reviewers do not push.
    let res = api.push_raw(&reviewer, &batch(vec![])).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(res).await, "forbidden");
    api.stop().await;
}

#[tokio::test]
async fn the_same_batch_posted_20_times_concurrently_is_stored_once() {
    let api = Api::start().await;
    let token = api.login("canbo1").await;
    let visits: Vec<Visit> = (0..10)
        .map(|i| final_visit(CANBO1_HTX[i % 4], &format!("đồng thời {i}")))
        .collect();
    let b = std::sync::Arc::new(batch(visits));
    let url = api.url("/sync/push");
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (client, url, token, b) = (api.client.clone(), url.clone(), token.clone(), b.clone());
        tasks.push(tokio::spawn(async move {
            push_ok(&client, &url, &token, &b).await
        }));
    }
    let mut accepted = vec![0; 10];
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.results.len(), 10);
        for (i, s) in statuses(&r).into_iter().enumerate() {
            assert!(matches!(s, "accepted" | "duplicate"), "{s}");
            if s == "accepted" {
                accepted[i] += 1;
            }
        }
    }
    assert_eq!(accepted, vec![1; 10], "each record accepted exactly once");
    assert_eq!(
        htx_server::db::visits::count_revisions(&api.db)
            .await
            .unwrap(),
        10
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM visit_conflicts")
        .fetch_one(&api.db)
        .await
        .unwrap();
    assert_eq!(n, 0);
    api.stop().await;
}

/// More devices push at once than the server reads at once: the rest wait
/// for a place, unread, and are neither refused nor lost.
#[tokio::test]
async fn more_pushes_at_once_than_the_server_takes_are_all_stored() {
    let api = Api::start().await;
    let token = api.login("canbo1").await;
    let pushes = 3 * htx_server::push_queue::MAX_PUSHES_IN_PROGRESS;
    let url = api.url("/sync/push");
    let mut tasks = Vec::new();
    for n in 0..pushes {
        let b = batch(vec![
            final_visit(CANBO1_HTX[n % 4], &format!("dồn dập {n}")),
            final_visit(CANBO1_HTX[(n + 1) % 4], &format!("dồn dập {n}b")),
        ]);
        let (client, url, token) = (api.client.clone(), url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            push_ok(&client, &url, &token, &b).await
        }));
    }
    for t in tasks {
        assert_eq!(statuses(&t.await.unwrap()), ["accepted", "accepted"]);
    }
    assert_eq!(
        htx_server::db::visits::count_revisions(&api.db)
            .await
            .unwrap(),
        2 * pushes as i64
    );
    api.stop().await;
}

/// Pushes that arrive together are written together (one transaction for
/// all that wait for the writer): each still gets its own records' outcomes,
/// in its order, decided with its own officer's places, and its revisions
/// are stored as pushed by its officer. A visit in several of them is stored
/// once.
#[tokio::test]
async fn pushes_arriving_together_each_get_their_own_outcomes() {
    let api = Api::start().await;
    let canbo1 = api.login("canbo1").await;
    let canbo2 = api.login("canbo2").await;
    let shared = final_visit(CANBO1_HTX[0], "gửi trong mọi lô của canbo1");
    let url = api.url("/sync/push");
    let mut tasks = Vec::new();
    for n in 0..16 {
        let (token, own, other) = if n % 2 == 0 {
            (canbo1.clone(), CANBO1_HTX[n / 2 % 4], CANBO2_HTX)
        } else {
            (canbo2.clone(), CANBO2_HTX, CANBO1_HTX[1])
        };
        let mut visits = vec![
            final_visit(own, &format!("cùng lúc {n}")),
            final_visit(other, "địa bàn khác"),
            final_visit(own, &format!("thứ hai {n}")),
        ];
        if n % 2 == 0 {
            visits.push(shared.clone());
        }
        let b = batch(visits);
        let (client, url) = (api.client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let r = push_ok(&client, &url, &token, &b).await;
            (b, r)
        }));
    }
    let mut shared_accepted = 0;
    for t in tasks {
        let (b, r) = t.await.unwrap();
        assert_eq!(r.batch_id, b.batch_id);
        let keys: Vec<RecordKey> = r.results.iter().map(|x| x.key).collect();
        let sent: Vec<RecordKey> = b.records.iter().map(VisitRevision::key).collect();
        assert_eq!(
            keys, sent,
            "each push answers for its own records, in order"
        );
        let s = statuses(&r);
        assert_eq!(s[..3], ["accepted", "rejected", "accepted"]);
        let RecordOutcome::Rejected { errors } = &r.results[1].outcome else {
            panic!()
        };
        assert_eq!(errors[0].code, ErrorCode::ForbiddenPlace);
        if let Some(&last) = s.get(3) {
            assert!(matches!(last, "accepted" | "duplicate"), "{last}");
            shared_accepted += usize::from(last == "accepted");
        }
    }
    assert_eq!(shared_accepted, 1, "the shared visit is accepted once");
    let pushed_by = |username: &str| {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM visit_revisions WHERE pushed_by = $1")
            .bind(demo::demo_user_id(username))
            .fetch_one(&api.db)
    };
    assert_eq!(pushed_by("canbo1").await.unwrap(), 8 * 2 + 1);
    assert_eq!(pushed_by("canbo2").await.unwrap(), 8 * 2);
    api.stop().await;
}

#[tokio::test]
async fn pull_with_a_cursor_returns_only_later_changes() {
    let api = Api::start().await;
    let canbo1 = api.login("canbo1").await;
    let canbo2 = api.login("canbo2").await;
    let reviewer = api.login("kiemduyet").await;

    let full = api.pull(&canbo1, "?since=0").await;
    assert!(!full.has_more);
    assert_eq!(full.organisations.len(), 20);
    assert!(!full.places.is_empty());
    let cursor = full.cursor.0;
    assert!(cursor >= 40);

    let nothing = api.pull(&canbo1, &format!("?since={cursor}")).await;
    assert!(nothing.organisations.is_empty() && nothing.reviews.is_empty());
    assert!(nothing.places.is_empty() && nothing.rubrics.is_empty());
    assert_eq!(nothing.cursor.0, cursor);

    // A cursor from the future (restored server database): a full pull.
    let reset = api.pull(&canbo1, "?since=999999").await;
    assert_eq!(reset.organisations.len(), 20);
    assert!(!reset.places.is_empty());
    assert_eq!(reset.cursor.0, cursor);

    // Paging: 5 at a time gives the same 20 organisations, in order.
    let mut since = 0;
    let mut paged = Vec::new();
    loop {
        let p = api.pull(&canbo1, &format!("?since={since}&limit=5")).await;
        assert!(p.organisations.len() <= 5);
        paged.extend(p.organisations.iter().map(|o| o.id));
        assert!(p.cursor.0 > since || !p.has_more);
        since = p.cursor.0;
        if !p.has_more {
            break;
        }
    }
    assert_eq!(since, cursor);
    let all: Vec<Uuid> = full.organisations.iter().map(|o| o.id).collect();
    assert_eq!(paged, all);

    // A review of canbo1's visit reaches canbo1's next pull, not canbo2's.
    let v = final_visit(0, "");
    api.push(&canbo1, &batch(vec![v.clone()])).await;
    let res = api
        .client
        .post(api.url("/reviews"))
        .header(AUTHORIZATION, format!("Bearer {reviewer}"))
        .json(
            &json!({ "visit_id": v.id, "revision": 0, "decision": "returned",
                       "comment": "Thiếu số liệu doanh thu" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = api
        .client
        .post(api.url("/reviews"))
        .header(AUTHORIZATION, format!("Bearer {canbo1}"))
        .json(&json!({ "visit_id": v.id, "revision": 0, "decision": "approved" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let p = api.pull(&canbo1, &format!("?since={cursor}")).await;
    assert!(p.organisations.is_empty());
    assert_eq!(p.reviews.len(), 1);
    assert_eq!(p.reviews[0].visit_id, v.id);
    assert_eq!(p.reviews[0].comment, "Thiếu số liệu doanh thu");
    assert_eq!(
        p.reviews[0].decision,
        htx_core::review::ReviewDecision::Returned
    );
    assert!(p.cursor.0 > cursor);
    assert!(api
        .pull(&canbo1, &format!("?since={}", p.cursor.0))
        .await
        .reviews
        .is_empty());
    assert!(api
        .pull(&canbo2, &format!("?since={cursor}"))
        .await
        .reviews
        .is_empty());
    // The receipt carries the review too.
    let r = api
        .receipt(
            &canbo1,
            vec![RecordKey {
                id: v.id,
                revision: 0,
            }],
        )
        .await;
    assert_eq!(
        r.statuses[0].review.as_ref().unwrap().comment,
        "Thiếu số liệu doanh thu"
    );

    let res = api
        .client
        .get(api.url("/sync/pull?since=abc"))
        .header(AUTHORIZATION, format!("Bearer {canbo1}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(res).await, "invalid_query");
    api.stop().await;
}

#[tokio::test]
async fn gzip_request_bodies_are_accepted() {
    let api = Api::start().await;
    let token = api.login("canbo1").await;
    let b = batch(vec![final_visit(0, &"ghi chú dài ".repeat(200))]);
    let json = serde_json::to_vec(&b).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&json).unwrap();
    let gz = enc.finish().unwrap();
    assert!(gz.len() < json.len() / 2);
    let res = api
        .client
        .post(api.url("/sync/push"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header(CONTENT_TYPE, "application/json")
        .header(CONTENT_ENCODING, "gzip")
        .body(gz)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let r: PushResponse = res.json().await.unwrap();
    assert_eq!(statuses(&r), ["accepted"]);
    api.stop().await;
}

#[tokio::test]
async fn blobs_are_content_addressed() {
    let api = Api::start().await;
    let token = api.login("canbo1").await;
    let photo = b"\xff\xd8\xff\xe0 fake jpeg bytes".repeat(100);
    let sha = hex_sha256(&photo);
    let put = |name: String, body: Vec<u8>| {
        api.client
            .put(api.url(&format!("/blobs/{name}")))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .body(body)
            .send()
    };
    let res = put(sha.clone(), photo.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["created"], true);
    let res = put(sha.clone(), photo.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["created"], false);

    let res = put(hex_sha256(b"other"), photo.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(res).await, "bad_request");
    let res = put(sha.to_uppercase(), photo.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let big = vec![7u8; 5 * 1024 * 1024 + 1];
    let res = put(hex_sha256(&big), big).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(res).await, "payload_too_large");
    // Not an image (a PDF): refused, whatever name it is sent under.
    let pdf = b"%PDF-1.7 not a photo".to_vec();
    let res = put(hex_sha256(&pdf), pdf).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(res).await, "unsupported_media_type");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blobs")
        .fetch_one(&api.db)
        .await
        .unwrap();
    assert_eq!(n, 1);

    // Read back: while no visit names it, by its uploader only; then by
    // whoever may see the visit (its officer, staff of its place), as an
    // image that never changes; never by another officer.
    let get = |token: String, name: String| {
        api.client
            .get(api.url(&format!("/blobs/{name}")))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
    };
    for reader in ["kiemduyet", "quantri", "canbo2"] {
        let res = get(api.login(reader).await, sha.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{reader}");
    }
    let mut v = final_visit(CANBO1_HTX[0], "có ảnh");
    v.photos.push(htx_core::visit::PhotoRef {
        id: Uuid::now_v7(),
        sha256: sha.clone(),
        caption: "Kho lúa".into(),
    });
    assert_eq!(
        statuses(&api.push(&token, &batch(vec![v])).await),
        ["accepted"]
    );
    for reader in ["canbo1", "kiemduyet", "quantri"] {
        let res = get(api.login(reader).await, sha.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{reader}");
        assert_eq!(res.headers()[CONTENT_TYPE], "image/jpeg");
        assert!(res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable"));
        assert_eq!(res.bytes().await.unwrap().as_ref(), &photo[..], "{reader}");
    }
    let res = get(api.login("canbo2").await, sha.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(res).await, "not_found");
    let res = get(token.clone(), hex_sha256(b"never uploaded"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(res).await, "not_found");
    let res = get(token.clone(), "photo.jpg".into()).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    api.stop().await;
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A final visit of an organisation found in the field, in `place`.
/// A revision the server refused is never stored. The officer's edit of
/// it, made on the phone before the refusal arrived (it was sent, so the
/// edit is the next revision), follows the latest stored revision: as a
/// conflict it would stay one through every later edit.
#[tokio::test]
async fn the_edit_of_a_refused_revision_follows_the_stored_one() {
    let api = Api::start().await;
    let token = api.login("canbo1").await;
    for together in [false, true] {
        let v0 = final_visit(CANBO1_HTX[1], "bản gốc");
        let r = api.push(&token, &batch(vec![v0.clone()])).await;
        assert_eq!(statuses(&r), ["accepted"]);
        // Linked with an enterprise it does not name: refused.
        let mut refused = v0.next_revision();
        refused.plan.enterprise_link = Some(true);
        let mut edited = refused.next_revision();
        edited.plan.enterprise_link = Some(false);
        edited.notes = "đã sửa".into();
        // Answered apart, or resent in one batch by the next sync.
        let answered = if together {
            statuses(
                &api.push(&token, &batch(vec![refused.clone(), edited.clone()]))
                    .await,
            )
        } else {
            let mut s = statuses(&api.push(&token, &batch(vec![refused.clone()])).await);
            s.extend(statuses(
                &api.push(&token, &batch(vec![edited.clone()])).await,
            ));
            s
        };
        assert_eq!(answered, ["rejected", "accepted"], "together: {together}");
        let h: Value = api.visit(&token, v0.id).await.json().await.unwrap();
        assert_eq!(h["latest"]["revision"], 2);
        assert_eq!(h["latest"]["visit"]["notes"], "đã sửa");
        // A base older than the latest is still stale: a conflict.
        let mut stale = v0.next_revision();
        stale.notes = "sửa từ bản gốc".into();
        let r = api.push(&token, &batch(vec![stale])).await;
        assert_eq!(statuses(&r), ["conflict"]);
    }
    api.stop().await;
}

/// One batch as an officer's device may send it after days offline: a
/// visit and its fix, a repeat, two visits of one organisation found in the
/// field, a revision whose base is not the latest, and ordinary visits.
#[tokio::test]
async fn a_mixed_batch_is_decided_as_if_record_by_record() {
    let api = Api::start().await;
    let token = api.login("canbo1").await;
    let stored = final_visit(CANBO1_HTX[1], "đã có trên máy chủ");
    let r = api.push(&token, &batch(vec![stored.clone()])).await;
    assert_eq!(statuses(&r), ["accepted"]);
    let mut stored_fix = stored.next_revision();
    stored_fix.notes = "bản sửa 1".into();
    assert_eq!(
        statuses(&api.push(&token, &batch(vec![stored_fix])).await),
        ["accepted"]
    );

    let v0 = final_visit(CANBO1_HTX[2], "bản đầu");
    let mut v1 = v0.next_revision();
    v1.notes = "bản sửa trong cùng lô".into();
    let found =
        visit_of_new_organisation(demo::DEMO_ORGANISATIONS[0].place_code, Some("1701999077"));
    let mut found_again = final_visit(0, "lần hai, cùng lô");
    found_again.organisation_id = found.organisation_id;
    // Revision 1 again, with other content: it conflicts with the stored fix.
    let mut stale = stored.next_revision();
    stale.notes = "sửa khác trên máy khác".into();
    let plain: Vec<_> = (0..5)
        .map(|i| final_visit(CANBO1_HTX[3], &format!("thường {i}")))
        .collect();
    let mut records = vec![
        v0.clone(),
        plain[0].clone(),
        v1.clone(),
        found.clone(),
        v0.clone(),
        found_again,
        stale,
        stored.clone(),
    ];
    records.extend(plain[1..].iter().cloned());
    let r = api.push(&token, &batch(records)).await;
    assert_eq!(
        statuses(&r),
        [
            "accepted",
            "accepted",
            "accepted",
            "accepted",
            "duplicate",
            "accepted",
            "conflict",
            "duplicate",
            "accepted",
            "accepted",
            "accepted",
            "accepted"
        ],
        "{:?}",
        r.results
    );
    // Stored once each; the console lists each visit's latest revision.
    let revisions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM visit_revisions")
        .fetch_one(&api.db)
        .await
        .unwrap();
    assert_eq!(revisions, 2 + 2 + 1 + 1 + 5);
    api.listed().await;
    let listed: Vec<(String, i64)> =
        sqlx::query_as("SELECT visit_id, revision FROM visit_index WHERE visit_id IN ($1, $2)")
            .bind(v0.id.to_string())
            .bind(stored.id.to_string())
            .fetch_all(&api.db)
            .await
            .unwrap();
    let mut listed = listed;
    listed.sort();
    let mut expected = vec![(v0.id.to_string(), 1), (stored.id.to_string(), 1)];
    expected.sort();
    assert_eq!(listed, expected);
    let indexed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM visit_index")
        .fetch_one(&api.db)
        .await
        .unwrap();
    assert_eq!(indexed, 1 + 1 + 1 + 1 + 5);
    api.stop().await;
}

#[tokio::test]
async fn a_visit_of_an_organisation_found_in_the_field_creates_it_provisionally() {
    let api = Api::start().await;
    let canbo1 = api.login("canbo1").await;
    let canbo2 = api.login("canbo2").await;
    let own_place = demo::DEMO_ORGANISATIONS[0].place_code;
    let other_place = demo::DEMO_ORGANISATIONS[CANBO2_HTX].place_code;

    let first = visit_of_new_organisation(own_place, Some("1701999001"));
    let org_id = first.organisation_id;
    let r = api.push(&canbo1, &batch(vec![first.clone()])).await;
    assert_eq!(statuses(&r), ["accepted"], "{:?}", r.results);
    // The officer's devices receive it, marked provisional; the other officer's do not.
    let p1 = api.pull(&canbo1, "?since=0").await;
    let created = p1
        .organisations
        .iter()
        .find(|o| o.id == org_id)
        .expect("pulled");
    assert!(created.provisional);
    assert_eq!(created.place_new.as_deref(), Some(own_place));
    assert!(!api
        .pull(&canbo2, "?since=0")
        .await
        .organisations
        .iter()
        .any(|o| o.id == org_id));
    // A second visit of it (carrying it again, or not) is an ordinary visit now.
    let mut second = final_visit(0, "lần hai");
    second.organisation_id = org_id;
    let r = api.push(&canbo1, &batch(vec![second])).await;
    assert_eq!(statuses(&r), ["accepted"]);

    // Not in the officer's places; a registration code of another organisation.
    let outside = visit_of_new_organisation(other_place, Some("1701999002"));
    let taken = demo::registration_code(1);
    let duplicate = visit_of_new_organisation(own_place, Some(&taken));
    let r = api.push(&canbo1, &batch(vec![outside, duplicate])).await;
    assert_eq!(statuses(&r), ["rejected", "rejected"]);
    let codes: Vec<(String, &str)> = r
        .results
        .iter()
        .map(|x| match &x.outcome {
            RecordOutcome::Rejected { errors } => (errors[0].path.clone(), errors[0].code.as_str()),
            o => panic!("{o:?}"),
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("new_organisation.place_new".to_string(), "forbidden_place"),
            (
                "new_organisation.registration_code".to_string(),
                "duplicate_code"
            ),
        ]
    );
    // A visit naming an unknown organisation without bringing it stays rejected.
    let mut orphan = final_visit(0, "");
    orphan.organisation_id = Uuid::now_v7();
    let r = api.push(&canbo1, &batch(vec![orphan])).await;
    assert_eq!(statuses(&r), ["rejected"]);
    api.stop().await;
}
