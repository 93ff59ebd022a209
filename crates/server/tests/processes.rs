//! Several server processes on one database (issue 18): the real binary,
//! started twice on the test run's database (PostgreSQL under
//! scripts/test.sh's second run, a SQLite file in the first). Each process
//! has its own pool, write gate and push writer; only the database can keep
//! them from storing a record twice or handing a device a cursor that skips
//! a change another process commits a moment later.
mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use htx_core::Visit;
use htx_server::db::Location;
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

/// A server process, killed when dropped.
struct Process {
    child: Child,
    base: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `htx-server` on `database` (demo accounts, cheap argon2, any
/// port) and waits until it listens.
fn start(database: &Location, dir: &std::path::Path) -> Process {
    let database = match database {
        Location::Sqlite(path) => path.display().to_string(),
        Location::Postgres(url) => url.clone(),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_htx-server"))
        .args(["--addr", "127.0.0.1:0", "--database", &database])
        .args([
            "--demo",
            "--demo-history=false",
            "--argon2-memory-kib",
            "64",
        ])
        .arg("--static-dir")
        .arg(dir.join("dist"))
        .env("RUST_LOG", "htx_server=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("the server exited before listening")
            .unwrap();
        if let Some(at) = line.find("listening on http://") {
            let addr = line[at + "listening on http://".len()..].trim();
            break format!("http://{addr}/api/v1");
        }
    };
    // Keep draining its log so the process never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Process { child, base }
}

/// Two processes on one new database; the second starts once the first has
/// migrated and seeded it.
fn two_processes(dir: &std::path::Path) -> (Process, Process) {
    let database = test_database(dir);
    let first = start(&database, dir);
    let second = start(&database, dir);
    (first, second)
}

async fn login(client: &reqwest::Client, base: &str, username: &str) -> String {
    let res = client
        .post(format!("{base}/auth/login"))
        .json(&json!({ "username": username, "password": format!("{username}-demo") }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// GET `url` as `token`, expecting 200: its body.
async fn get_text(client: &reqwest::Client, url: &str, token: &str) -> String {
    let res = client
        .get(url)
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{url}");
    res.text().await.unwrap()
}

/// GET `url` as `token`, expecting 200: its JSON body.
async fn get_ok(client: &reqwest::Client, url: &str, token: &str) -> Value {
    serde_json::from_str(&get_text(client, url, token).await).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_batch_pushed_20_times_through_two_processes_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_processes(dir.path());
    let client = reqwest::Client::new();
    // A token of one process is good in the other: sessions are rows.
    let token = login(&client, &a.base, "canbo1").await;
    let visits: Vec<Visit> = (0..10)
        .map(|i| final_visit(CANBO1_HTX[i % 4], &format!("hai tiến trình {i}")))
        .collect();
    let batch = Arc::new(batch(visits));
    let mut tasks = Vec::new();
    for n in 0..20 {
        let url = format!("{}/sync/push", if n % 2 == 0 { &a.base } else { &b.base });
        let (client, token, batch) = (client.clone(), token.clone(), batch.clone());
        tasks.push(tokio::spawn(async move {
            push_ok(&client, &url, &token, &batch).await
        }));
    }
    let mut accepted = [0; 10];
    for t in tasks {
        let response = t.await.unwrap();
        assert_eq!(response.results.len(), 10);
        for (i, s) in statuses(&response).into_iter().enumerate() {
            assert!(matches!(s, "accepted" | "duplicate"), "{s}");
            if s == "accepted" {
                accepted[i] += 1;
            }
        }
    }
    assert_eq!(accepted, [1; 10], "each record accepted exactly once");
    // Both processes list the ten, each once.
    let reviewer = login(&client, &b.base, "kiemduyet").await;
    for base in [&a.base, &b.base] {
        let list = get_ok(&client, &format!("{base}/visits?per_page=100"), &reviewer).await;
        assert_eq!(list["total"], 10, "{list}");
    }
}

/// Devices push through both processes, each visit of an organisation found
/// in the field (a new organisation: a change devices pull), while another
/// device of the place pulls in a loop, from either process in turn, with
/// the cursor each answer gives. It must see every new organisation exactly
/// once: a cursor handed out past a change that commits later would skip it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_pulling_while_two_processes_take_pushes_sees_each_change_once() {
    const PUSHES: usize = 25;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_processes(dir.path());
    let client = reqwest::Client::new();
    let pusher = login(&client, &a.base, "canbo1").await;
    let puller = login(&client, &b.base, "canbo1").await;
    let place = htx_server::demo::DEMO_ORGANISATIONS[0].place_code;
    let start_cursor = {
        let body = get_ok(&client, &format!("{}/sync/pull?since=0", a.base), &puller).await;
        assert_eq!(body["has_more"], false);
        body["cursor"].as_i64().unwrap()
    };

    let done = Arc::new(AtomicBool::new(false));
    let mut pushers = Vec::new();
    for (p, base) in [a.base.clone(), b.base.clone()].into_iter().enumerate() {
        let (client, token) = (client.clone(), pusher.clone());
        pushers.push(tokio::spawn(async move {
            let mut created = Vec::new();
            for i in 0..PUSHES {
                // Registration codes (mã số) distinct across both pushers.
                let visits = vec![
                    visit_of_new_organisation(place, Some(&format!("17{p}{:07}", 2 * i))),
                    visit_of_new_organisation(place, Some(&format!("17{p}{:07}", 2 * i + 1))),
                ];
                created.extend(visits.iter().map(|v| v.organisation_id));
                let r = push_ok(
                    &client,
                    &format!("{base}/sync/push"),
                    &token,
                    &batch(visits),
                )
                .await;
                assert_eq!(
                    statuses(&r),
                    ["accepted", "accepted"],
                    "{:?}",
                    r.results
                        .iter()
                        .map(|o| rejected_codes(&o.outcome))
                        .collect::<Vec<_>>()
                );
            }
            created
        }));
    }
    let pulling = {
        let (client, done, bases) = (
            client.clone(),
            done.clone(),
            [a.base.clone(), b.base.clone()],
        );
        tokio::spawn(async move {
            let mut seen: HashMap<Uuid, u32> = HashMap::new();
            let mut cursor = start_cursor;
            let mut n = 0;
            loop {
                // Read before pulling: the pull after the pushers finished
                // sees everything they stored.
                let finished = done.load(Ordering::SeqCst);
                loop {
                    let base = &bases[n % 2];
                    n += 1;
                    let url = format!("{base}/sync/pull?since={cursor}&limit=7");
                    let page = get_ok(&client, &url, &puller).await;
                    for o in page["organisations"].as_array().unwrap() {
                        let id: Uuid = o["id"].as_str().unwrap().parse().unwrap();
                        *seen.entry(id).or_default() += 1;
                    }
                    let next = page["cursor"].as_i64().unwrap();
                    assert!(next >= cursor, "the cursor went back: {cursor} -> {next}");
                    cursor = next;
                    if page["has_more"] == false {
                        break;
                    }
                }
                if finished {
                    return (seen, n);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let mut created = Vec::new();
    for p in pushers {
        created.extend(p.await.unwrap());
    }
    done.store(true, Ordering::SeqCst);
    let (seen, pulls) = pulling.await.unwrap();
    println!(
        "{pulls} pulls while {} organisations were created",
        created.len()
    );
    assert!(pulls > 10, "the device pulled only {pulls} times");
    for id in &created {
        assert_eq!(
            seen.get(id),
            Some(&1),
            "organisation {id} seen {:?} times",
            seen.get(id)
        );
    }
    assert_eq!(
        seen.len(),
        created.len(),
        "only the new organisations changed"
    );
}

/// Publishes, as the admin through `base`, the next version of the
/// built-in rubric (the same items, retitled): the version published.
async fn publish_next_rubric(client: &reqwest::Client, base: &str) -> htx_core::Rubric {
    let builtin = htx_core::Rubric::tt_01_2020();
    let mut next = builtin.clone();
    next.version = builtin.version + 1;
    next.title_vi = format!("{} (sửa đổi)", builtin.title_vi);
    let admin = login(client, base, "quantri").await;
    let res = client
        .post(format!("{base}/rubrics"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .json(&next)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    next
}

/// A rubric version published through one process is in force in the
/// other at once: its devices get it at their next pull, and its staff see
/// it, though that process loaded its rubrics before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rubric_published_through_one_process_is_in_force_in_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_processes(dir.path());
    let client = reqwest::Client::new();
    let officer = login(&client, &b.base, "canbo1").await;
    let before = get_ok(&client, &format!("{}/sync/pull?since=0", b.base), &officer).await;
    let next = publish_next_rubric(&client, &a.base).await;

    let versions = |rubrics: &Value| -> Vec<(String, u64)> {
        rubrics
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_owned(),
                    r["version"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let wanted = (next.id.clone(), u64::from(next.version));
    let url = format!("{}/sync/pull?since={}", b.base, before["cursor"]);
    let pulled = get_ok(&client, &url, &officer).await;
    assert!(
        versions(&pulled["rubrics"]).contains(&wanted),
        "{}",
        pulled["rubrics"]
    );
    let reviewer = login(&client, &b.base, "kiemduyet").await;
    let listed = get_ok(&client, &format!("{}/rubrics", b.base), &reviewer).await;
    assert!(versions(&listed).contains(&wanted), "{listed}");
}

/// A visit scored under a rubric version published through one process is
/// graded by the other too, in its exports and dashboard, though that
/// process loaded its rubrics before the version existed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_scored_under_a_rubric_published_elsewhere_is_graded_in_reports() {
    use chrono::Datelike;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_processes(dir.path());
    let client = reqwest::Client::new();
    let next = publish_next_rubric(&client, &a.base).await;
    let mut visit = final_visit(CANBO1_HTX[0], "chấm theo bộ tiêu chí mới");
    let year = visit.local_date().year();
    // Every item at its maximum under the new version: tốt.
    let mut sheet = htx_core::ScoreSheet::new(&next, year);
    for (code, max) in next.scored_items() {
        sheet.set(code, max);
    }
    visit.score_sheet = Some(sheet);
    let officer = login(&client, &a.base, "canbo1").await;
    let pushed = push_ok(
        &client,
        &format!("{}/sync/push", a.base),
        &officer,
        &batch(vec![visit.clone()]),
    )
    .await;
    assert_eq!(statuses(&pushed), ["accepted"]);

    let reviewer = login(&client, &a.base, "kiemduyet").await;
    let id = visit.id.to_string();
    // The visit's line in an exported visits CSV.
    let line_in = |text: String| {
        text.lines()
            .find(|l| l.contains(&id))
            .unwrap_or_else(|| panic!("visit {id} not exported: {text}"))
            .to_owned()
    };
    let csv = |base: &str| format!("{base}/exports/visits.csv?year={year}&reviewed=false");
    let graded = line_in(get_text(&client, &csv(&a.base), &reviewer).await);
    assert!(graded.split(',').any(|f| f == "Tốt"), "not tốt: {graded}");
    assert_eq!(
        line_in(get_text(&client, &csv(&b.base), &reviewer).await),
        graded
    );
    let dashboard = |base: &str| format!("{base}/dashboard?year={year}&reviewed=false");
    let on_a = get_ok(&client, &dashboard(&a.base), &reviewer).await;
    let on_b = get_ok(&client, &dashboard(&b.base), &reviewer).await;
    assert_eq!(on_b["report"], on_a["report"]);
}
