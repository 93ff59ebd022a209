//! Integration tests: the real server on 127.0.0.1:0 with a real SQLite file
//! and a fake static dir in a temp dir, over real HTTP (reqwest), plus a few
//! `oneshot` checks against the router.

mod common;

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use htx_server::{demo, Config, Server};
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const INDEX_HTML: &str = "<!doctype html><html><body>htx-survey test index</body></html>";
const CONSOLE_HTML: &str = "<!doctype html><html><body>htx-survey test console</body></html>";
const WASM: &str = "htx-survey-5a1d018b42b7199b_bg.wasm";
const JS: &str = "htx-survey-5a1d018b42b7199b.js";
const CSS: &str = "style-3821fbac1bdd2b2f.css";

/// A fake Trunk dist/: index, service worker, manifest, hashed assets (big
/// enough to be compressed) and a non-hashed file.
fn write_static_dir(dir: &Path) {
    std::fs::create_dir_all(dir.join("icons")).unwrap();
    std::fs::write(dir.join("index.html"), INDEX_HTML).unwrap();
    std::fs::create_dir_all(dir.join("console")).unwrap();
    std::fs::write(dir.join("console/index.html"), CONSOLE_HTML).unwrap();
    std::fs::write(
        dir.join("sw.js"),
        "self.addEventListener('fetch', () => {});\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("manifest.webmanifest"),
        r#"{"name":"htx-survey","start_url":"/"}"#,
    )
    .unwrap();
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend(std::iter::repeat_n(b"htx-survey wasm section ".as_slice(), 4000).flatten());
    std::fs::write(dir.join(WASM), wasm).unwrap();
    std::fs::write(
        dir.join(JS),
        "export function hello() { return 'xin chào'; }\n".repeat(2000),
    )
    .unwrap();
    std::fs::write(dir.join(CSS), "body { margin: 0; }\n".repeat(100)).unwrap();
    std::fs::write(dir.join("icons/icon-192.png"), b"\x89PNG fake").unwrap();
    std::fs::write(dir.join("robots.txt"), "User-agent: *\n").unwrap();
}

fn test_config(tmp: &Path, demo: bool) -> Config {
    Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        database: common::test_database(&tmp.join("data/nested")),
        static_dir: tmp.join("dist"),
        demo,
        token_ttl_secs: 3600,
        argon2_memory_kib: 64,
        // The organisations and accounts only: tests count what they push.
        demo_history: false,
        ..Config::with_defaults()
    }
}

struct TestServer {
    base: String,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
    client: reqwest::Client,
    _tmp: TempDir,
}

impl TestServer {
    async fn start(demo: bool) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        write_static_dir(&tmp.path().join("dist"));
        Self::start_with(tmp, demo).await
    }

    async fn start_with(tmp: TempDir, demo: bool) -> Self {
        // Logs go through the test harness (shown for failing tests only).
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("htx_server=info")
            .try_init();
        let server = Server::bind(test_config(tmp.path(), demo)).await.unwrap();
        let base = format!("http://{}", server.local_addr());
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(server.run_until(async {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        Self {
            base,
            shutdown: Some(tx),
            handle: Some(handle),
            client,
            _tmp: tmp,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.take().unwrap().send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.handle.take().unwrap())
            .await
            .expect("server did not stop within 10 s")
            .unwrap()
    }
}

fn header(res: &reqwest::Response, name: reqwest::header::HeaderName) -> &str {
    res.headers()
        .get(&name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

/// The backend `/api/health` names on this test run.
fn backend_name() -> &'static str {
    if common::on_postgres() {
        "postgresql"
    } else {
        "sqlite"
    }
}

#[tokio::test]
async fn health_reports_ok_over_tcp() {
    let server = TestServer::start(false).await;
    let res = server.get("/api/health").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, CACHE_CONTROL), "no-store");
    assert!(header(&res, CONTENT_TYPE).starts_with("application/json"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["protocol_version"], htx_core::PROTOCOL_VERSION);
    assert_eq!(body["database"]["status"], "ok");
    assert_eq!(body["database"]["backend"], backend_name());
    let latest = htx_server::db::SQLITE_MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap();
    assert_eq!(body["database"]["schema_version"], latest);
    assert_eq!(body["database"]["console_list_behind"], 0);
    assert_eq!(body["demo_data"], false);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn health_is_degraded_when_the_database_is_gone() {
    use tower::ServiceExt;
    let tmp = tempfile::tempdir().unwrap();
    let config = test_config(tmp.path(), false);
    let db = htx_server::db::connect(&config.database, 2).await.unwrap();
    htx_server::db::migrate(&db).await.unwrap();
    db.close().await;
    let app = htx_server::router(htx_server::AppState::new(db, config));
    let req = axum::http::Request::get("/api/health")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["database"]["status"], "error");
    assert_eq!(body["database"]["backend"], backend_name());
}

#[tokio::test]
async fn unknown_api_paths_are_json_404s() {
    let server = TestServer::start(false).await;
    for path in ["/api/nope", "/api/visits/123", "/api"] {
        let res = server.get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(header(&res, CACHE_CONTROL), "no-store", "{path}");
        assert!(
            header(&res, CONTENT_TYPE).starts_with("application/json"),
            "{path}"
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 3);
    }
    let res = server
        .client
        .post(server.url("/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn static_files_have_the_right_cache_headers_and_types() {
    let server = TestServer::start(false).await;
    let cases = [
        ("/", "no-cache", "text/html"),
        ("/index.html", "no-cache", "text/html"),
        ("/sw.js", "no-cache", "text/javascript"),
        (
            "/manifest.webmanifest",
            "no-cache",
            "application/manifest+json",
        ),
        (
            &format!("/{WASM}") as &str,
            "public, max-age=31536000, immutable",
            "application/wasm",
        ),
        (
            &format!("/{JS}"),
            "public, max-age=31536000, immutable",
            "text/javascript",
        ),
        (
            &format!("/{CSS}"),
            "public, max-age=31536000, immutable",
            "text/css",
        ),
        ("/icons/icon-192.png", "no-cache", "image/png"),
        ("/robots.txt", "no-cache", "text/plain"),
    ];
    for (path, cache, content_type) in cases {
        let res = server.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&res, CACHE_CONTROL), cache, "{path}");
        assert!(
            header(&res, CONTENT_TYPE).starts_with(content_type),
            "{path}: {}",
            header(&res, CONTENT_TYPE)
        );
    }
    assert_eq!(server.get("/").await.text().await.unwrap(), INDEX_HTML);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn spa_fallback_and_missing_files() {
    let server = TestServer::start(false).await;
    for path in ["/some/deep/link", "/visits/123", "/visits/123/"] {
        let res = server.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&res, CACHE_CONTROL), "no-cache", "{path}");
        assert!(
            header(&res, CONTENT_TYPE).starts_with("text/html"),
            "{path}"
        );
        assert_eq!(res.text().await.unwrap(), INDEX_HTML, "{path}");
    }
    // The staff console is its own bundle: its routes get its page.
    for path in [
        "/review",
        "/review/0190aa00-0000-7000-8000-000000000000",
        "/registry",
        "/dashboard",
        "/report",
        "/admin",
    ] {
        let res = server.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&res, CACHE_CONTROL), "no-cache", "{path}");
        assert_eq!(res.text().await.unwrap(), CONSOLE_HTML, "{path}");
    }
    for path in ["/missing.js", "/deep/missing-5a1d018b42b7199b.wasm"] {
        let res = server.get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert_ne!(res.text().await.unwrap(), INDEX_HTML, "{path}");
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn missing_app_build_serves_a_not_built_page() {
    let tmp = tempfile::tempdir().unwrap(); // no dist/ at all
    let server = TestServer::start_with(tmp, false).await;
    for path in ["/", "/visits/1"] {
        let res = server.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(header(&res, CONTENT_TYPE).starts_with("text/html"));
        assert!(res.text().await.unwrap().contains("not built"));
    }
    assert_eq!(server.get("/app.js").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(server.get("/api/health").await.status(), StatusCode::OK);
    server.stop().await.unwrap();
}

async fn get_compressed(server: &TestServer, path: &str, encoding: &str) -> reqwest::Response {
    server
        .client
        .get(server.url(path))
        .header(ACCEPT_ENCODING, encoding)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wasm_and_js_are_compressed() {
    let server = TestServer::start(false).await;
    let dist = server._tmp.path().join("dist");
    for file in [WASM, JS] {
        let original = std::fs::read(dist.join(file)).unwrap();
        let path = format!("/{file}");

        let res = get_compressed(&server, &path, "gzip").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(&res, CONTENT_ENCODING), "gzip", "{file}");
        assert_eq!(
            header(&res, CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        let compressed = res.bytes().await.unwrap();
        assert!(
            compressed.len() < original.len() / 4,
            "{file}: {} bytes",
            compressed.len()
        );
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, original, "{file}");

        let res = get_compressed(&server, &path, "br").await;
        assert_eq!(header(&res, CONTENT_ENCODING), "br", "{file}");

        let res = get_compressed(&server, &path, "identity").await;
        assert_eq!(header(&res, CONTENT_ENCODING), "", "{file}");
        assert_eq!(res.bytes().await.unwrap().len(), original.len());
    }
    let res = get_compressed(&server, "/api/health", "gzip").await;
    assert_eq!(res.status(), StatusCode::OK);
    server.stop().await.unwrap();
}

/// A build's precompressed file (`scripts/lib.sh` precompress) is sent as it
/// is, with the asset's type and caching; without one the server compresses.
#[tokio::test]
async fn precompressed_assets_are_sent_as_built() {
    let server = TestServer::start(false).await;
    let dist = server._tmp.path().join("dist");
    let best = b"brotli quality 11 of the wasm, as the build wrote it".to_vec();
    std::fs::write(dist.join(format!("{WASM}.br")), &best).unwrap();
    let path = format!("/{WASM}");
    let res = get_compressed(&server, &path, "gzip, deflate, br").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, CONTENT_ENCODING), "br");
    assert_eq!(header(&res, CONTENT_TYPE), "application/wasm");
    assert_eq!(
        header(&res, CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        res.bytes().await.unwrap().to_vec(),
        best,
        "sent as built, not compressed again"
    );
    // No .gz beside it: gzip on the fly, as before.
    let res = get_compressed(&server, &path, "gzip").await;
    assert_eq!(header(&res, CONTENT_ENCODING), "gzip");
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&res.bytes().await.unwrap()[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, std::fs::read(dist.join(WASM)).unwrap());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn demo_seeding_is_idempotent_and_marked() {
    let tmp = tempfile::tempdir().unwrap();
    let config = test_config(tmp.path(), true);
    let db = htx_server::db::connect(&config.database, 2).await.unwrap();
    htx_server::db::migrate(&db).await.unwrap();
    assert!(!demo::is_seeded(&db).await.unwrap());

    let first = demo::seed(&db).await.unwrap();
    assert_eq!(
        first,
        demo::SeedOutcome {
            inserted: 40,
            already_seeded: false
        }
    );
    let rows = htx_server::db::organisations::list(&db).await.unwrap();
    assert_eq!(rows.len(), 40);
    assert!(rows
        .iter()
        .all(|r| r.is_demo && r.name.starts_with("[DEMO] ")));
    assert!(rows
        .iter()
        .all(|r| r.registration_code.as_deref().unwrap().starts_with("DEMO-")));
    assert!(rows.iter().all(|r| uuid::Uuid::parse_str(&r.id).is_ok()));

    let second = demo::seed(&db).await.unwrap();
    assert_eq!(
        second,
        demo::SeedOutcome {
            inserted: 0,
            already_seeded: true
        }
    );
    // Even with the meta marker gone, re-seeding adds nothing.
    sqlx::query("DELETE FROM meta").execute(&db).await.unwrap();
    assert_eq!(demo::seed(&db).await.unwrap().inserted, 0);
    assert_eq!(htx_server::db::organisations::count(&db).await.unwrap(), 40);
    // Same ids as before: deterministic.
    assert_eq!(
        htx_server::db::organisations::list(&db).await.unwrap(),
        rows
    );
    db.close().await;

    // Through the server (twice, on the same file): health reports it, count unchanged.
    for _ in 0..2 {
        let tmp_path = tmp.path().to_owned();
        let server = Server::bind(test_config(&tmp_path, true)).await.unwrap();
        let base = format!("http://{}", server.local_addr());
        let pool = server.state().db.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(server.run_until(async {
            let _ = rx.await;
        }));
        let body: Value = reqwest::get(format!("{base}/api/health"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["demo_data"], true);
        assert_eq!(
            htx_server::db::organisations::count(&pool).await.unwrap(),
            40
        );
        tx.send(()).unwrap();
        handle.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn database_file_has_wal_and_foreign_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("a/b/c/db.sqlite3");
    let db = htx_server::db::connect(&path.clone().into(), 8)
        .await
        .unwrap();
    assert!(path.is_file());
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(timeout >= 1000);
    db.close().await;
}

/// The server copies SQLite's WAL into the database file itself, in the
/// background, not in the commit that crosses SQLite's threshold (a push
/// waited for that): soon after the demo dataset is written, a copy of the
/// database file alone, without its WAL, holds all of it.
#[tokio::test]
async fn the_database_file_catches_up_with_its_wal_while_serving() {
    let tmp = tempfile::tempdir().unwrap();
    write_static_dir(&tmp.path().join("dist"));
    let Some(file) = test_config(tmp.path(), true)
        .database
        .sqlite_path()
        .map(Path::to_owned)
    else {
        return; // PostgreSQL: no WAL of the server's own
    };
    let copies = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(tmp, true).await;
    let count = "SELECT (SELECT COUNT(*) FROM organisations) * 1000 + (SELECT COUNT(*) FROM users)";
    let live = htx_server::db::connect_existing(&file).await.unwrap();
    let written: i64 = sqlx::query_scalar(count).fetch_one(&live).await.unwrap();
    live.close().await;
    assert!(written > 1000, "the demo wrote organisations and accounts");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut attempt = 0;
    let in_file = loop {
        attempt += 1;
        let copy = copies.path().join(format!("copy{attempt}.sqlite3"));
        std::fs::copy(&file, &copy).unwrap();
        // A copy taken while a checkpoint writes may be torn: taken again.
        let counted = match htx_server::db::connect_existing(&copy).await {
            Ok(db) => {
                let n = sqlx::query_scalar::<_, i64>(count)
                    .fetch_one(&db)
                    .await
                    .ok();
                db.close().await;
                n
            }
            Err(_) => None,
        };
        if counted == Some(written) || std::time::Instant::now() > deadline {
            break counted;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        in_file,
        Some(written),
        "the database file alone lags its WAL"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn graceful_shutdown_completes_the_run_future() {
    // Through Server: serve a request, then stop.
    let server = TestServer::start(false).await;
    assert_eq!(server.get("/api/health").await.status(), StatusCode::OK);
    let client = server.client.clone();
    let url = server.url("/api/health");
    server.stop().await.unwrap();
    assert!(
        client.get(url).send().await.is_err(),
        "still serving after shutdown"
    );

    // Through run_with_shutdown: the future returns Ok once the signal fires.
    let tmp = tempfile::tempdir().unwrap();
    let config = test_config(tmp.path(), false);
    let database = config.database.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let run = tokio::spawn(htx_server::run_with_shutdown(config, async {
        let _ = rx.await;
    }));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!run.is_finished());
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("run did not stop")
        .unwrap()
        .unwrap();
    if let Some(file) = database.sqlite_path() {
        assert!(file.is_file());
    }
}

#[test]
fn cli_flags_and_defaults() {
    use clap::Parser;
    let config = Config::try_parse_from(["htx-server"]).unwrap();
    assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
    assert_eq!(
        config.database.sqlite_path(),
        Some(Path::new("data/htx-survey.sqlite3"))
    );
    assert_eq!(config.static_dir, Path::new("dist"));
    assert!(!config.demo);
    assert_eq!(config.token_ttl_secs, 14 * 24 * 3600);
    assert_eq!(config.argon2_memory_kib, 19456);
    let config = Config::try_parse_from([
        "htx-server",
        "--addr",
        "0.0.0.0:9000",
        "--database",
        "/tmp/x.db",
        "--static-dir",
        "/srv/dist",
        "--demo",
        "--token-ttl-secs",
        "60",
    ])
    .unwrap();
    assert_eq!(config.token_ttl_secs, 60);
    assert_eq!(config.addr.to_string(), "0.0.0.0:9000");
    assert_eq!(config.database.sqlite_path(), Some(Path::new("/tmp/x.db")));
    assert_eq!(config.static_dir, Path::new("/srv/dist"));
    assert!(config.demo);
    let config =
        Config::try_parse_from(["htx-server", "--database", "sqlite://data/y.db"]).unwrap();
    assert_eq!(config.database.sqlite_path(), Some(Path::new("data/y.db")));
    let url = "postgres://htx:secret@db.tinh.vn:5432/htx";
    let config = Config::try_parse_from(["htx-server", "--database", url]).unwrap();
    assert_eq!(
        config.database,
        htx_server::db::Location::Postgres(url.into())
    );
    // Logged without its password.
    assert_eq!(
        config.database.to_string(),
        "postgres://htx:***@db.tinh.vn:5432/htx"
    );
    assert!(!format!("{config:?}").contains("secret"));
}

#[tokio::test]
async fn migration_0002_backfills_the_change_sequence() {
    let tmp = tempfile::tempdir().unwrap();
    let db = htx_server::db::connect(&tmp.path().join("old.sqlite3").into(), 1)
        .await
        .unwrap();
    let m1 = include_str!("../migrations/sqlite/0001_meta_and_organisations.sql");
    let m2 = include_str!("../migrations/sqlite/0002_auth_and_sync.sql");
    sqlx::raw_sql(m1).execute(&db).await.unwrap();
    for (id, at) in [("b", "2025-01-02T00:00:00Z"), ("a", "2025-01-01T00:00:00Z")] {
        sqlx::query(
            "INSERT INTO organisations (id, name, kind, sector, legal_status, place_code, \
             place_name, created_at, updated_at) VALUES ($1, $1, 'cooperative', 'credit', \
             'active', '30850', 'Xã Tân Hiệp', $2, $2)",
        )
        .bind(id)
        .bind(at)
        .execute(&db)
        .await
        .unwrap();
    }
    sqlx::raw_sql(m2).execute(&db).await.unwrap();
    let seqs: Vec<(String, i64)> = sqlx::query_as("SELECT id, seq FROM organisations ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(seqs, [("a".to_owned(), 1), ("b".to_owned(), 2)]);
    db.close().await;
}
