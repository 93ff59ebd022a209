//! `htx-server copy` (issue 18): a province's SQLite file, with three years
//! of visits, reviews, audit log and photos, copied to the test run's other
//! database (PostgreSQL under scripts/test.sh's second run, a new SQLite
//! file in the first) and served from there the same.
mod common;

use common::*;
use htx_server::db::copy::{copy, TABLES};
use htx_server::db::Location;
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde_json::Value;

/// What staff and devices are served, as JSON and bytes.
#[derive(Debug, PartialEq)]
struct Served {
    list: Value,
    visits: Vec<Value>,
    dashboards: Vec<Value>,
    pull: Value,
    photo: Vec<u8>,
}

async fn served(api: &Api) -> Served {
    let reviewer = api.login("kiemduyet").await;
    let (status, list) = api.get_json(&reviewer, "/visits?per_page=100").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list["total"].as_i64().unwrap() > 500, "{}", list["total"]);
    // Each visit's page: its revisions, reviews and audit log.
    let mut visits = Vec::new();
    for item in list["items"].as_array().unwrap().iter().take(25) {
        let id = item["visit_id"].as_str().unwrap();
        let (status, visit) = api.get_json(&reviewer, &format!("/visits/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        visits.push(visit);
    }
    let mut dashboards = Vec::new();
    for year in [2024, 2025, 2026] {
        let (status, mut d) = api
            .get_json(&reviewer, &format!("/dashboard?year={year}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        // When it was computed: the only figure that differs.
        assert!(d["generated_at"].take().is_string());
        dashboards.push(d);
    }
    let officer = api.login("canbo1").await;
    let (status, mut pull) = api
        .get_json(&officer, "/sync/pull?since=0&limit=1000")
        .await;
    assert_eq!(status, StatusCode::OK);
    // The device's places come with each full pull, in no fixed order.
    pull["places"].take();
    let sha: String = sqlx::query_scalar("SELECT MIN(sha256) FROM blobs")
        .fetch_one(&api.db)
        .await
        .unwrap();
    let admin = api.login("quantri").await;
    let res = api
        .client
        .get(api.url(&format!("/blobs/{sha}")))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    Served {
        list,
        visits,
        dashboards,
        pull,
        photo: res.bytes().await.unwrap().to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seeded_sqlite_database_copied_is_served_the_same() {
    let from_dir = tempfile::tempdir().unwrap();
    let source: Location = from_dir.path().join("tinh.sqlite3").into();
    let api = Api::start_with(|c| {
        c.database = source.clone();
        c.demo_history = true;
    })
    .await;
    api.listed().await;
    let before = served(&api).await;
    api.stop().await;

    let to_dir = tempfile::tempdir().unwrap();
    let target = test_database(to_dir.path());
    let report = copy(&source, &target).await.unwrap();
    let names: Vec<&str> = report.tables.iter().map(|t| t.table).collect();
    assert_eq!(names, TABLES);
    let rows = |table: &str| {
        report
            .tables
            .iter()
            .find(|t| t.table == table)
            .unwrap()
            .rows
    };
    assert!(rows("visit_revisions") > 500 && rows("reviews") > 100);
    assert!(rows("audit_log") > 100 && rows("blobs") > 5);
    // The target holds data now: a second copy is refused.
    let again = copy(&source, &target).await.unwrap_err().to_string();
    assert!(again.contains("already holds data"), "{again}");
    // Every table and the schema of every backend, not a list kept by hand:
    let db = htx_server::db::connect(&target, 1).await.unwrap();
    let mut tables = htx_server::db::meta::tables(&db).await.unwrap();
    db.close().await;
    tables.retain(|t| !t.starts_with("_sqlx") && !t.starts_with("sqlite_"));
    let mut copied: Vec<&str> = TABLES.to_vec();
    copied.sort_unstable();
    assert_eq!(
        tables.iter().map(String::as_str).collect::<Vec<_>>(),
        copied
    );

    let api = Api::start_with(|c| c.database = target.clone()).await;
    let after = served(&api).await;
    assert_eq!(before.list, after.list);
    assert_eq!(before.visits, after.visits);
    assert_eq!(before.dashboards, after.dashboards);
    assert_eq!(before.pull, after.pull);
    assert_eq!(before.photo, after.photo);
    // It goes on from there: a new visit is stored, listed, and its
    // organisation's change is pulled after the copied ones.
    let officer = api.login("canbo1").await;
    let cursor = before.pull["cursor"].as_i64().unwrap();
    let found = visit_of_new_organisation(
        htx_server::demo::DEMO_ORGANISATIONS[0].place_code,
        Some("1701888801"),
    );
    let organisation = found.organisation_id;
    assert_eq!(
        statuses(&api.push(&officer, &batch(vec![found])).await),
        ["accepted"]
    );
    let next = api.pull(&officer, &format!("?since={cursor}")).await;
    assert_eq!(
        next.organisations.iter().map(|o| o.id).collect::<Vec<_>>(),
        [organisation]
    );
    api.listed().await;
    let reviewer = api.login("kiemduyet").await;
    let (_, list) = api.get_json(&reviewer, "/visits?per_page=1").await;
    assert_eq!(list["total"], before.list["total"].as_i64().unwrap() + 1);
    api.stop().await;
}
