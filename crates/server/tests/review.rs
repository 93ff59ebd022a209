//! The review console's API over real HTTP and SQLite: who may list and
//! review visits (role and province boundaries), the list's filters and
//! paging, and the return → fix → approve loop with its audit log.

mod common;

use common::*;

use htx_core::sync::RecordOutcome;
use htx_core::{Hierarchy, PlaceRef};
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde_json::{json, Value};

impl Api {
    async fn review(&self, token: &str, body: Value) -> (StatusCode, Value) {
        let res = self
            .client
            .post(self.url("/reviews"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        (res.status(), res.json().await.unwrap())
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["visit_id"].as_str().unwrap().to_owned())
        .collect()
}

/// canbo1 pushes one visit to each of its four cooperatives; returns them.
async fn four_visits(api: &Api) -> Vec<htx_core::Visit> {
    let token = api.login("canbo1").await;
    let visits: Vec<_> = CANBO1_HTX
        .iter()
        .map(|&i| final_visit(i, "lần đầu"))
        .collect();
    let res = api.push(&token, &batch(visits.clone())).await;
    assert_eq!(statuses(&res), vec!["accepted"; 4]);
    visits
}

#[tokio::test]
async fn only_staff_of_the_province_see_and_review_visits() {
    let api = Api::start().await;
    let visits = four_visits(&api).await;
    let v = &visits[0];
    let review = json!({ "visit_id": v.id, "revision": 0, "decision": "approved" });

    // Nobody unauthenticated.
    let res = api.client.get(api.url("/visits")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(res).await, "unauthorized");

    // An officer cannot use the console nor review, even its own visits.
    let officer = api.login("canbo1").await;
    let (status, body) = api.get_json(&officer, "/visits").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "forbidden");
    let (status, body) = api.review(&officer, review.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "forbidden");

    // The demo reviewer (new An Giang, which took in Kiên Giang) sees all four.
    let reviewer = api.login("kiemduyet").await;
    let (status, page) = api.get_json(&reviewer, "/visits").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 4);
    // So does a reviewer of the old Kiên Giang province.
    let kien_giang = api
        .reviewer_of("kd_kiengiang", PlaceRef::new(Hierarchy::Old, "91"))
        .await;
    assert_eq!(api.get_json(&kien_giang, "/visits").await.1["total"], 4);

    // A reviewer of another province (old An Giang) sees nothing of them:
    // not in the list, not by id, and cannot review them.
    let other = api
        .reviewer_of("kd_angiang_cu", PlaceRef::new(Hierarchy::Old, "89"))
        .await;
    let (status, page) = api.get_json(&other, "/visits").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 0);
    assert!(page["items"].as_array().unwrap().is_empty());
    let (status, body) = api.get_json(&other, &format!("/visits/{}", v.id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = api.review(&other, review.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nor does the sync pull hand that reviewer's device the province's organisations.
    let pulled = api.pull(&other, "").await;
    assert!(
        pulled.organisations.is_empty(),
        "{} organisations",
        pulled.organisations.len()
    );
    assert_eq!(api.pull(&reviewer, "").await.organisations.len(), 40);
    // Filtering by a place outside one's scope does not widen it.
    let (_, page) = api.get_json(&other, "/visits?hierarchy=new&place=91").await;
    assert_eq!(page["total"], 0);

    // A reviewer with no province assigned sees nothing; the admin, everything.
    let unscoped = api
        .reviewer_of("kd_none", PlaceRef::new(Hierarchy::New, "no-such-place"))
        .await;
    assert_eq!(api.get_json(&unscoped, "/visits").await.1["total"], 0);
    let admin = api.login("quantri").await;
    assert_eq!(api.get_json(&admin, "/visits").await.1["total"], 4);

    // The reviewer of the province can review.
    let (status, _) = api.review(&reviewer, review).await;
    assert_eq!(status, StatusCode::CREATED);
    api.stop().await;
}

#[tokio::test]
async fn the_list_filters_searches_sorts_and_pages_on_the_server() {
    let api = Api::start().await;
    let visits = four_visits(&api).await;
    let other = api.login("canbo2").await;
    let res = api
        .push(&other, &batch(vec![final_visit(CANBO2_HTX, "canbo2")]))
        .await;
    assert_eq!(statuses(&res), vec!["accepted"]);
    let reviewer = api.login("kiemduyet").await;

    let (_, all) = api.get_json(&reviewer, "/visits?per_page=2").await;
    assert_eq!(all["total"], 5);
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let (_, p3) = api.get_json(&reviewer, "/visits?per_page=2&page=3").await;
    assert_eq!(p3["items"].as_array().unwrap().len(), 1);
    let (_, p1) = api.get_json(&reviewer, "/visits?per_page=2&page=1").await;
    let (_, p2) = api.get_json(&reviewer, "/visits?per_page=2&page=2").await;
    let mut seen: Vec<String> = [ids(&p1), ids(&p2), ids(&p3)].concat();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "pages do not overlap");

    // By officer, by review state, by year, by text without diacritics.
    let (_, by_officer) = api.get_json(&reviewer, "/visits?officer=canbo2").await;
    assert_eq!(by_officer["total"], 1);
    assert_eq!(by_officer["items"][0]["officer"], "canbo2");
    let this_year = visits[0].local_date().format("%Y").to_string();
    let (_, by_year) = api
        .get_json(&reviewer, &format!("/visits?year={this_year}"))
        .await;
    assert_eq!(by_year["total"], 5);
    let (_, last_year) = api.get_json(&reviewer, "/visits?year=2001").await;
    assert_eq!(last_year["total"], 0);
    let (_, found) = api
        .get_json(
            &reviewer,
            "/visits?q=hop%20tac%20xa%20nong%20nghiep%20tan%20hiep",
        )
        .await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(
        found["items"][0]["organisation_name"],
        "[DEMO] Hợp tác xã Nông nghiệp Tân Hiệp"
    );
    let (_, kind) = api.get_json(&reviewer, "/visits?kind=cooperative").await;
    assert_eq!(kind["total"], 5);
    let (_, groups) = api
        .get_json(&reviewer, "/visits?kind=cooperative_group")
        .await;
    assert_eq!(groups["total"], 0);
    api.review(
        &reviewer,
        json!({ "visit_id": visits[1].id, "revision": 0, "decision": "approved" }),
    )
    .await;
    let (_, pending) = api.get_json(&reviewer, "/visits?state=pending").await;
    assert_eq!(pending["total"], 4);
    let (_, approved) = api.get_json(&reviewer, "/visits?state=approved").await;
    assert_eq!(ids(&approved), vec![visits[1].id.to_string()]);
    let (_, ungraded) = api.get_json(&reviewer, "/visits?grade=none").await;
    assert_eq!(ungraded["total"], 5, "no score sheets in these visits");

    // Sorted by organisation name: the names come out in order.
    let (_, by_name) = api.get_json(&reviewer, "/visits?sort=organisation").await;
    let names: Vec<String> = by_name["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| htx_core::search::fold(i["organisation_name"].as_str().unwrap()))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);

    // A bad filter is a clear 400, not an empty list.
    let (status, body) = api.get_json(&reviewer, "/visits?state=maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_request");
    api.stop().await;
}

#[tokio::test]
async fn a_returned_visit_reaches_the_officer_and_its_fix_is_a_linked_revision() {
    let api = Api::start().await;
    let visits = four_visits(&api).await;
    let v = visits[0].clone();
    let reviewer = api.login("kiemduyet").await;
    let officer = api.login("canbo1").await;

    // A return needs a comment.
    let (status, _) = api
        .review(
            &reviewer,
            json!({ "visit_id": v.id, "revision": 0, "decision": "returned" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let comment = "Số thành viên chưa khớp với sổ đăng ký, đề nghị kiểm tra lại";
    let (status, _) = api
        .review(
            &reviewer,
            json!({ "visit_id": v.id, "revision": 0, "decision": "returned", "comment": comment }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, returned) = api.get_json(&reviewer, "/visits?state=returned").await;
    assert_eq!(ids(&returned), vec![v.id.to_string()]);

    // The officer's next pull carries the comment.
    let pulled = api.pull(&officer, "").await;
    let outcome = pulled.reviews.iter().find(|r| r.visit_id == v.id).unwrap();
    assert_eq!(outcome.comment, comment);

    // The fix: the next revision, linked to the returned one.
    let mut fix = v.next_revision();
    fix.facts.members.official = Some(118);
    fix.facts.members.total = Some(128);
    fix.notes = "Đã đối chiếu sổ đăng ký".into();
    let res = api.push(&officer, &batch(vec![fix.clone()])).await;
    let outcome = &res.results[0].outcome;
    assert!(
        matches!(outcome, RecordOutcome::Accepted { .. }),
        "{outcome:?}"
    );

    let (_, pending) = api.get_json(&reviewer, "/visits?state=pending").await;
    let row = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["visit_id"] == v.id.to_string())
        .expect("the fix waits for review");
    assert_eq!(row["revision"], 1);

    let (status, detail) = api.get_json(&reviewer, &format!("/visits/{}", v.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["latest"]["revision"], 1);
    assert_eq!(detail["latest"]["replaces_revision"], 0);
    let changed: Vec<&str> = detail["latest"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        changed,
        ["facts.members.official", "facts.members.total", "notes"]
    );
    assert_eq!(detail["reviews"][0]["decision"], "returned");
    assert_eq!(detail["reviews"][0]["comment"], comment);
    assert_eq!(
        detail["organisation"]["name"],
        "[DEMO] Hợp tác xã Nông nghiệp Tân Hiệp"
    );

    // A decision on the old revision (a page opened before the fix came) is
    // refused: approving it would approve what the officer since changed.
    let (status, body) = api
        .review(
            &reviewer,
            json!({ "visit_id": v.id, "revision": 0, "decision": "approved" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "stale");

    let (status, _) = api
        .review(
            &reviewer,
            json!({ "visit_id": v.id, "revision": 1, "decision": "approved" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, detail) = api.get_json(&reviewer, &format!("/visits/{}", v.id)).await;
    let audit: Vec<(&str, &str, i64)> = detail["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let d: Value = serde_json::from_str(a["detail"].as_str().unwrap()).unwrap();
            (
                a["action"].as_str().unwrap(),
                a["username"].as_str().unwrap(),
                d["revision"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        audit,
        [
            ("visit.return", "kiemduyet", 0),
            ("visit.approve", "kiemduyet", 1)
        ]
    );
    let (_, approved) = api.get_json(&reviewer, "/visits?state=approved").await;
    assert_eq!(ids(&approved), vec![v.id.to_string()]);

    // A database from before the index: rebuilt at start-up with the same answers.
    sqlx::query("DELETE FROM visit_index")
        .execute(&api.db)
        .await
        .unwrap();
    assert_eq!(api.get_json(&reviewer, "/visits").await.1["total"], 0);
    let state = htx_server::AppState::new(api.db.clone(), test_config());
    assert_eq!(htx_server::console::backfill(&state).await.unwrap(), 4);
    let (_, approved) = api.get_json(&reviewer, "/visits?state=approved").await;
    assert_eq!(ids(&approved), vec![v.id.to_string()]);
    assert_eq!(approved["items"][0]["revision"], 1);
    assert_eq!(api.get_json(&reviewer, "/visits").await.1["total"], 4);
    api.stop().await;
}

/// `/api/health`'s count of stored revisions not yet in the console's list.
async fn list_behind(api: &Api) -> i64 {
    let base = api.base.trim_end_matches("/v1");
    let health: Value = api
        .client
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    health["database"]["console_list_behind"].as_i64().unwrap()
}

/// A server on `database` that never writes list rows (as one killed
/// after its pushes committed); the next server on it writes them.
async fn held_at(database: &htx_server::db::Location) -> Api {
    Api::start_with(|c| {
        c.database = database.clone();
        c.hold_console_index = true;
    })
    .await
}

/// The list row of a pushed revision is written after the push answers
/// (issue 17). What happened to the visit in between (a review of that
/// revision, a conflicting push) is in the row when it is written, here by
/// a server started after one that never wrote it (as if killed).
#[tokio::test]
async fn a_review_and_a_conflict_before_the_list_row_are_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let database = common::test_database(dir.path());
    let held = held_at(&database).await;
    let (officer, reviewer) = (held.login("canbo1").await, held.login("kiemduyet").await);
    let v = final_visit(0, "trước khi vào danh sách");
    let other = final_visit(0, "một chuyến khác");
    assert_eq!(
        statuses(
            &held
                .push(&officer, &batch(vec![v.clone(), other.clone()]))
                .await
        ),
        ["accepted", "accepted"]
    );
    let (status, body) = held
        .review(
            &reviewer,
            json!({ "visit_id": v.id, "revision": 0, "decision": "approved" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut second_phone = v.clone();
    second_phone.notes = "cùng lần sửa, từ máy thứ hai".into();
    assert_eq!(
        statuses(&held.push(&officer, &batch(vec![second_phone])).await),
        ["conflict"]
    );
    assert_eq!(held.get_json(&reviewer, "/visits").await.1["total"], 0);
    // Monitoring sees the list fall behind.
    assert_eq!(list_behind(&held).await, 2);
    held.stop().await;

    let api = Api::start_with(|c| c.database = database.clone()).await;
    let (_, page) = api.get_json(&reviewer, "/visits").await;
    assert_eq!(page["total"], 2, "{page}");
    assert_eq!(list_behind(&api).await, 0);
    let row = |id: uuid::Uuid| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["visit_id"] == id.to_string())
            .cloned()
            .unwrap()
    };
    let (mine, theirs) = (row(v.id), row(other.id));
    assert_eq!(
        (&mine["review_state"], &mine["conflicts"], &mine["officer"]),
        (&json!("approved"), &json!(1), &json!("canbo1"))
    );
    assert_eq!(
        (&theirs["review_state"], &theirs["conflicts"]),
        (&json!("pending"), &json!(0))
    );
    api.stop().await;
}

/// An organisation found in the field, merged into the registry one before
/// its visit's list row was written: the row lists the visit under the
/// registry organisation (as the merge does to the rows it finds).
#[tokio::test]
async fn a_merge_before_the_list_row_is_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let database = common::test_database(dir.path());
    let held = held_at(&database).await;
    let (officer, reviewer) = (held.login("canbo1").await, held.login("kiemduyet").await);
    let found = visit_of_new_organisation("30850", Some("MOI-0009"));
    let provisional = found.organisation_id;
    assert_eq!(
        statuses(&held.push(&officer, &batch(vec![found.clone()])).await),
        ["accepted"]
    );
    let target = htx_server::demo::organisation_id(0);
    let res = held
        .client
        .post(held.url(&format!("/organisations/{provisional}/merge")))
        .header(AUTHORIZATION, format!("Bearer {reviewer}"))
        .json(&json!({ "into": target }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    held.stop().await;

    let api = Api::start_with(|c| c.database = database.clone()).await;
    let (_, page) = api.get_json(&reviewer, "/visits?q=tan%20hiep").await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["items"][0]["visit_id"], found.id.to_string());
    assert_eq!(page["items"][0]["organisation_id"], target.to_string());
    api.stop().await;
}

#[tokio::test]
async fn only_admins_create_accounts_and_assign_places() {
    let api = Api::start().await;
    let officer = json!({
        "username": "canbo_moi", "display_name": "Cán bộ mới", "role": "officer",
        "password": "mat-khau-dai-du", "places": ["30850"],
    });
    let post = |token: Option<String>, body: Value| {
        let mut req = api.client.post(api.url("/users")).json(&body);
        if let Some(t) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        req.send()
    };
    // Nobody else: not unauthenticated, not an officer, not a reviewer.
    let res = post(None, officer.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    for who in ["canbo1", "kiemduyet"] {
        let token = api.login(who).await;
        let res = post(Some(token.clone()), officer.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
        assert_eq!(error_code(res).await, "forbidden");
        let (status, _) = api.get_json(&token, "/users").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} lists users");
    }

    let admin = api.login("quantri").await;
    // Bad requests say what is wrong and create nothing.
    for (bad, why) in [
        (json!({ "password": "ngan" }), "password"),
        (json!({ "places": ["99999"] }), "place"),
        (json!({ "username": "Có Dấu" }), "username"),
        (
            json!({ "scopes": [{ "hierarchy": "new", "code": "91" }] }),
            "scopes",
        ),
    ] {
        let mut body = officer.clone();
        body.as_object_mut()
            .unwrap()
            .extend(bad.as_object().unwrap().clone());
        let res = post(Some(admin.clone()), body).await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{why}");
        let b: Value = res.json().await.unwrap();
        assert!(b["error"]["message"].as_str().unwrap().contains(why), "{b}");
    }
    let res = post(Some(admin.clone()), officer.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = post(Some(admin.clone()), officer.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // The new officer signs in and may push only in the assigned commune.
    let res = api.login_raw("canbo_moi", "mat-khau-dai-du").await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["places"], json!(["30850"]));
    let token = body["token"].as_str().unwrap().to_owned();
    let res = api
        .push(
            &token,
            &batch(vec![
                final_visit(0, "canbo_moi"),
                final_visit(CANBO2_HTX, "không phải địa bàn"),
            ]),
        )
        .await;
    assert_eq!(statuses(&res), ["accepted", "rejected"]);

    // Reassigning takes effect at once; the list shows it; all of it is audited.
    let res = api
        .client
        .put(api.url("/users/canbo_moi/assignments"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .json(&json!({ "places": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = api
        .push(&token, &batch(vec![final_visit(0, "sau khi thu hồi")]))
        .await;
    assert_eq!(statuses(&res), ["rejected"]);
    let (_, list) = api.get_json(&admin, "/users").await;
    let canbo_moi = list
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "canbo_moi")
        .unwrap();
    assert_eq!(canbo_moi["places"], json!([]));
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE entity = 'user' ORDER BY id")
            .fetch_all(&api.db)
            .await
            .unwrap();
    assert_eq!(actions, ["user.create", "user.assign"]);
    api.stop().await;
}

#[tokio::test]
async fn an_admin_of_one_province_manages_only_accounts_within_it() {
    let api = Api::start().await;
    // Kiên Giang as it was before the 2025 merger: a part of today's An Giang
    // (the reference data holds only An Giang, old and new).
    let province = PlaceRef::new(Hierarchy::Old, "91");
    let admin = api.staff_of("qt_tinh", "admin", province.clone()).await;
    let send = |method: reqwest::Method, path: &str, body: Value| {
        api.client
            .request(method, api.url(path))
            .header(AUTHORIZATION, format!("Bearer {admin}"))
            .json(&body)
            .send()
    };
    let account = |username: &str, role: &str, extra: Value| {
        let mut body = json!({
            "username": username, "display_name": username, "role": role,
            "password": "mat-khau-dai-du",
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let post = reqwest::Method::POST;
    let put = reqwest::Method::PUT;
    // Within the province: an officer of one of its communes, a reviewer of it.
    for body in [
        account("canbo_moi", "officer", json!({ "places": ["30850"] })),
        account("kd_moi", "reviewer", json!({ "scopes": [province] })),
    ] {
        let res = send(post.clone(), "/users", body).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    // Nothing wider than its own scope: no admin of everything (no scope), no
    // reviewer of the old An Giang; it cannot widen itself to today's An
    // Giang nor change the unlimited admin.
    let other = json!([{ "hierarchy": "old", "code": "89" }]);
    let wider = json!([{ "hierarchy": "new", "code": htx_server::demo::DEMO_PROVINCE }]);
    for (method, path, body) in [
        (
            post.clone(),
            "/users",
            account("qt_moi", "admin", json!({})),
        ),
        (
            post.clone(),
            "/users",
            account("kd_khac", "reviewer", json!({ "scopes": other })),
        ),
        (
            put.clone(),
            "/users/qt_tinh/assignments",
            json!({ "scopes": [] }),
        ),
        (
            put.clone(),
            "/users/qt_tinh/assignments",
            json!({ "scopes": wider }),
        ),
        (
            put.clone(),
            "/users/quantri/assignments",
            json!({ "scopes": [province] }),
        ),
    ] {
        let res = send(method, path, body.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} {body}");
    }
    let (_, list) = api.get_json(&api.login("quantri").await, "/users").await;
    let quantri = list
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "quantri")
        .unwrap();
    assert_eq!(
        quantri["scopes"],
        json!([]),
        "the unlimited admin is untouched"
    );
    // Its own list holds only the accounts it may manage.
    let (status, mine) = api.get_json(&admin, "/users").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    for managed in ["canbo_moi", "kd_moi", "qt_tinh"] {
        assert!(names.contains(&managed), "{managed}: {names:?}");
    }
    for wider in ["quantri", "kiemduyet"] {
        assert!(!names.contains(&wider), "{wider}: {names:?}");
    }

    // Admins do not push visits unless the server allows it (tests/ownership.rs
    // checks that an allowed admin is still held to its scope).
    let elsewhere = api
        .staff_of("qt_khac", "admin", PlaceRef::new(Hierarchy::Old, "89"))
        .await;
    let res = api
        .push_raw(&elsewhere, &batch(vec![final_visit(0, "ngoài phạm vi")]))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(res).await, "forbidden");
    api.stop().await;
}

#[tokio::test]
async fn an_admin_publishes_a_rubric_version_and_devices_get_it_at_their_next_pull() {
    let api = Api::start().await;
    let officer = api.login("canbo1").await;
    let before = api.pull(&officer, "").await;
    let builtin = htx_core::Rubric::tt_01_2020();
    let mut next = builtin.clone();
    next.version = builtin.version + 1;
    next.title_vi = format!("{} (sửa đổi)", builtin.title_vi);
    next.valid_from = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();

    let send = |token: String, body: Value| {
        api.client
            .post(api.url("/rubrics"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(&body)
            .send()
    };
    let body = serde_json::to_value(&next).unwrap();
    for who in ["canbo1", "kiemduyet"] {
        let res = send(api.login(who).await, body.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
    }
    let admin = api.login("quantri").await;
    // A rubric whose points do not add up is refused by htx-core's checks.
    let mut broken = next.clone();
    broken.max_points = htx_core::Points::whole(99);
    let res = send(admin.clone(), serde_json::to_value(&broken).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(error_code(res).await == "bad_request");

    let res = send(admin.clone(), body.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = send(admin.clone(), body.clone()).await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "a version is published once"
    );

    // The officer's next pull (from its stored cursor) carries every rubric,
    // the new version included; a pull after that carries none.
    let after = api
        .pull(&officer, &format!("?since={}", before.cursor.0))
        .await;
    let versions: Vec<(String, u32)> = after
        .rubrics
        .iter()
        .map(|r| (r.id.clone(), r.version))
        .collect();
    assert!(
        versions.contains(&(builtin.id.clone(), builtin.version)),
        "{versions:?}"
    );
    assert!(
        versions.contains(&(next.id.clone(), next.version)),
        "{versions:?}"
    );
    let again = api
        .pull(&officer, &format!("?since={}", after.cursor.0))
        .await;
    assert!(again.rubrics.is_empty());
    let (_, listed) = api.get_json(&admin, "/rubrics").await;
    assert_eq!(listed.as_array().unwrap().len(), before.rubrics.len() + 1);

    // Kept across restarts.
    let state = htx_server::AppState::new(api.db.clone(), test_config());
    assert_eq!(state.load_rubrics().await.unwrap(), 1);
    assert!(state.rubrics().get(&next.id, next.version).is_some());
    api.stop().await;
}
