//! Shared by the API test binaries: a real server on 127.0.0.1 with a real
//! SQLite file in a temp dir, the demo dataset (40 organisations, demo
//! accounts) and cheap argon2; typed helpers for the sync endpoints.
#![allow(dead_code, unused_imports)]
use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use htx_core::sync::{
    PullResponse, PushBatch, PushResponse, ReceiptQuery, ReceiptResponse, RecordKey, RecordOutcome,
    VisitRevision,
};

use htx_core::PlaceRef;
use htx_core::{ErrorCode, Visit};
use htx_server::db::users;
use htx_server::{demo, Config, Server};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub db: htx_server::db::Db,
    /// The running server's state (its counters and settings).
    pub state: htx_server::AppState,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
    _tmp: TempDir,
}

impl Api {
    pub async fn start() -> Api {
        Api::start_with_ttl(3600).await
    }

    pub async fn start_with_ttl(token_ttl_secs: u64) -> Api {
        Api::start_with(|c| c.token_ttl_secs = token_ttl_secs).await
    }

    /// A server with the test configuration as `adjust` changes it.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Api {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("htx_server=info")
            .try_init();
        let tmp = tempfile::tempdir().unwrap();
        let mut config = Config {
            database: test_database(tmp.path()),
            static_dir: tmp.path().join("dist"),
            ..test_config()
        };
        adjust(&mut config);
        let server = Server::bind(config).await.unwrap();
        let base = format!("http://{}/api/v1", server.local_addr());
        let db = server.state().db.clone();
        let state = server.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(server.run_until(async {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        Api {
            base,
            client,
            db,
            state,
            shutdown: Some(tx),
            handle: Some(handle),
            _tmp: tmp,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn login_raw(&self, username: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/auth/login"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// Signs in a demo account (password `<username>-demo`).
    pub async fn login(&self, username: &str) -> String {
        let res = self.login_raw(username, &format!("{username}-demo")).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn push_raw(&self, token: &str, batch: &PushBatch) -> reqwest::Response {
        self.client
            .post(self.url("/sync/push"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(batch)
            .send()
            .await
            .unwrap()
    }

    pub async fn push(&self, token: &str, batch: &PushBatch) -> PushResponse {
        push_ok(&self.client, &self.url("/sync/push"), token, batch).await
    }

    pub async fn pull(&self, token: &str, query: &str) -> PullResponse {
        let res = self
            .client
            .get(self.url(&format!("/sync/pull{query}")))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    pub async fn receipt(&self, token: &str, keys: Vec<RecordKey>) -> ReceiptResponse {
        let res = self
            .client
            .post(self.url("/sync/receipt"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(&ReceiptQuery {
                protocol_version: htx_core::PROTOCOL_VERSION,
                keys,
            })
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    pub async fn visit(&self, token: &str, id: Uuid) -> reqwest::Response {
        self.client
            .get(self.url(&format!("/visits/{id}")))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await
            .unwrap()
    }

    /// Waits, as the console's list does, until the list rows of every
    /// revision stored so far are written (they follow the push).
    pub async fn listed(&self) {
        assert!(
            htx_server::index_follower::wait_for_list(&self.state.write_handle())
                .await
                .unwrap(),
            "the console's list rows did not catch up within a second"
        );
    }

    pub async fn stop(mut self) {
        self.shutdown.take().unwrap().send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.handle.take().unwrap())
            .await
            .expect("server did not stop")
            .unwrap()
            .unwrap();
    }
}

/// Where a test server keeps its data: a new PostgreSQL database when
/// `HTX_TEST_POSTGRES` names a PostgreSQL server (the URL of a database on
/// it whose role may create databases; scripts/test.sh starts one and runs
/// every server test both ways), else a SQLite file in `dir`. The same `dir`
/// gives the same database, as it would the same file.
pub fn test_database(dir: &std::path::Path) -> htx_server::db::Location {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static DATABASES: OnceLock<Mutex<HashMap<std::path::PathBuf, String>>> = OnceLock::new();
    match postgres_admin() {
        Some(admin) => {
            let mut known = DATABASES.get_or_init(Default::default).lock().unwrap();
            let url = known
                .entry(dir.to_owned())
                .or_insert_with(|| new_postgres_database(&admin));
            htx_server::db::Location::Postgres(url.clone())
        }
        None => dir.join("htx.sqlite3").into(),
    }
}

/// `HTX_TEST_POSTGRES`, if set (see [`test_database`]).
fn postgres_admin() -> Option<String> {
    std::env::var("HTX_TEST_POSTGRES")
        .ok()
        .filter(|v| !v.is_empty())
}

/// Whether the tests run on PostgreSQL (see [`test_database`]).
pub fn on_postgres() -> bool {
    postgres_admin().is_some()
}

/// Creates an empty database on the PostgreSQL server of `admin_url` and
/// returns its URL. On a thread of its own, so sync code may call it too.
pub fn new_postgres_database(admin_url: &str) -> String {
    let name = format!("htx_test_{}", Uuid::now_v7().simple());
    let (admin, create) = (admin_url.to_owned(), format!("CREATE DATABASE {name}"));
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                use sqlx::{Connection, Executor};
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("HTX_TEST_POSTGRES: cannot connect");
                conn.execute(create.as_str()).await.unwrap();
                conn.close().await.unwrap();
            })
    })
    .join()
    .unwrap();
    let mut url = url::Url::parse(admin_url).expect("HTX_TEST_POSTGRES is not a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// The test servers' configuration: any free port, demo data, cheap argon2.
pub fn test_config() -> Config {
    Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        database: std::path::PathBuf::from("unused.sqlite3").into(),
        static_dir: "dist".into(),
        demo: true,
        token_ttl_secs: 3600,
        argon2_memory_kib: 64,
        // The organisations and accounts only: tests count what they push.
        demo_history: false,
        ..Config::with_defaults()
    }
}

pub async fn error_code(res: reqwest::Response) -> String {
    assert!(res.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().len() > 3);
    body["error"]["code"].as_str().unwrap().to_owned()
}

pub fn now() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&htx_core::time::VN_OFFSET)
}

/// A complete final visit of the `org`-th demo organisation (a cooperative
/// for the indices used here).
pub fn final_visit(org: usize, notes: &str) -> Visit {
    let started = now() - chrono::Duration::hours(3);
    let mut v = Visit::new_draft(
        Uuid::now_v7(),
        demo::organisation_id(org),
        "Nguyễn Văn A",
        started,
    );
    v.notes = notes.to_owned();
    let mut v = htx_core::fixtures::complete_final(v);
    // Not linked with an enterprise: the partner name is then not required.
    v.plan.enterprise_link = Some(false);
    v.plan.enterprise_partner = None;
    v
}

pub fn batch(visits: Vec<Visit>) -> PushBatch {
    PushBatch::new(Uuid::now_v7(), Uuid::now_v7(), now(), visits)
}

pub fn status(o: &RecordOutcome) -> &'static str {
    match o {
        RecordOutcome::Accepted { .. } => "accepted",
        RecordOutcome::Duplicate { .. } => "duplicate",
        RecordOutcome::Conflict { .. } => "conflict",
        RecordOutcome::Rejected { .. } => "rejected",
    }
}

/// `(path, code)` of each error of a rejected record (empty otherwise).
pub fn rejected_codes(o: &RecordOutcome) -> Vec<(String, &'static str)> {
    match o {
        RecordOutcome::Rejected { errors } => errors
            .iter()
            .map(|e| (e.path.clone(), e.code.as_str()))
            .collect(),
        _ => Vec::new(),
    }
}

pub fn statuses(r: &PushResponse) -> Vec<&'static str> {
    r.results.iter().map(|r| status(&r.outcome)).collect()
}

/// Demo organisations 0..20 are canbo1's, 20..40 canbo2's. Cooperatives
/// (HTX) among them, used for complete visits:
pub const CANBO1_HTX: [usize; 4] = [0, 2, 4, 5];
pub const CANBO2_HTX: usize = 23;

/// A final visit of an organisation found in the field (provisional), in `place`.
pub fn visit_of_new_organisation(place: &str, registration_code: Option<&str>) -> Visit {
    let mut v = final_visit(0, "tổ chức mới phát hiện");
    let mut o = htx_core::Organisation::new(
        Uuid::now_v7(),
        htx_core::OrganisationKind::Cooperative,
        "HTX Dịch vụ Nông nghiệp Mới Phát Hiện",
        htx_core::Sector::Crops,
    );
    o.place_new = Some(place.to_owned());
    o.registration_code = registration_code.map(str::to_owned);
    o.provisional = true;
    v.organisation_id = o.id;
    v.new_organisation = Some(o);
    v
}

impl Api {
    /// GET `path` as `token`: the status and the JSON body.
    pub async fn get_json(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let res = self
            .client
            .get(self.url(path))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        (res.status(), res.json().await.unwrap())
    }

    /// A reviewer account scoped to `unit`, signed in.
    pub async fn reviewer_of(&self, username: &str, unit: PlaceRef) -> String {
        self.staff_of(username, "reviewer", unit).await
    }

    /// A staff account (`reviewer` or `admin`) scoped to `unit`, signed in.
    pub async fn staff_of(&self, username: &str, role: &str, unit: PlaceRef) -> String {
        let hash = htx_server::auth::hash_password_blocking("pw-123456".into(), 64)
            .await
            .unwrap();
        let row = users::UserRow {
            id: Uuid::now_v7().to_string(),
            username: username.into(),
            display_name: format!("Cán bộ Liên minh {username}"),
            role: role.into(),
            password_hash: hash,
        };
        assert!(
            users::insert_if_absent(&self.db, &row, false, "2025-07-01T00:00:00Z")
                .await
                .unwrap()
        );
        users::assign_scope(&self.db, &row.id, &unit).await.unwrap();
        let res = self.login_raw(username, "pw-123456").await;
        let body: Value = res.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }
}

/// POSTs `batch` to the push endpoint `url` and expects 200; for tasks that
/// push at once (they hold a client, not the [`Api`]).
pub async fn push_ok(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    batch: &PushBatch,
) -> PushResponse {
    let res = client
        .post(url)
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .json(batch)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}
