//! htx-fuzz: feeds generated and mutated inputs to the real router, in this
//! process, over a real SQLite database with the demo dataset (issue 19):
//! the push, receipt, pull, sign-in and registry CSV import routes, and the
//! device's export-file import (`htx_core::export::ExportBundle::from_json`).
//!
//! Inputs start from valid ones (the demo history's visits, a receipt query,
//! a pull, a sign-in, registry rows, an export file) and are mutated: bytes
//! flipped, inserted, deleted, repeated, truncated, spliced with another
//! input, or, on the JSON, a value replaced by one of another type or an
//! edge value, a key removed; half of the JSON mutants get their checksums
//! recomputed (a push record's content hash, an export file's SHA-256) so
//! they reach the checks behind them.
//!
//! Every answer is checked: no panic, no 5xx, a JSON error envelope for
//! every refusal, and nothing written (row counts and the change sequence
//! unchanged) when the input was refused. Findings are written to
//! `target/fuzz-findings/` and the exit status is non-zero.
//!
//! `htx-fuzz --inputs 1000000 --seed 1` (scripts/fuzz.sh); CI runs a short one.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use axum::body::Body;
use axum::http::{header, Request};
use clap::Parser;
use htx_core::hash::content_hash;
use htx_core::sync::{PushBatch, ReceiptQuery, RecordKey};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use tower::ServiceExt;

#[derive(Parser)]
#[command(name = "htx-fuzz", about = "Fuzz the server's inputs in process")]
struct Args {
    /// Inputs in all, spread over the targets.
    #[arg(long, default_value_t = 20_000)]
    inputs: u64,
    /// Seed of the generator (the same seed, the same inputs).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Push,
    Receipt,
    Pull,
    Login,
    RegistryCsv,
    ExportFile,
}

const TARGETS: [Target; 6] = [
    Target::Push,
    Target::Receipt,
    Target::Pull,
    Target::Login,
    Target::RegistryCsv,
    Target::ExportFile,
];

/// Values a JSON mutation puts in place of another.
fn edge_value(rng: &mut ChaCha8Rng) -> Value {
    match rng.gen_range(0..16) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(u64::MAX),
        4 => json!(i64::MIN),
        5 => json!(1e300),
        6 => json!(""),
        7 => json!("x".repeat(rng.gen_range(1..5000))),
        8 => json!("🌾\u{0}\u{202e}ạ"),
        9 => json!([]),
        10 => json!({}),
        11 => json!(4_294_967_295u64),
        12 => json!("2026-13-45T25:61:00+07:00"),
        13 => json!("00000000-0000-0000-0000-000000000000"),
        14 => json!([null, null, null]),
        _ => json!(rng.gen_range(-100_000i64..100_000)),
    }
}

/// A random place in a JSON value: replaced, removed, or given a new key.
fn mutate_json(rng: &mut ChaCha8Rng, v: &mut Value) {
    match v {
        Value::Object(map) if !map.is_empty() && rng.gen_bool(0.8) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[rng.gen_range(0..keys.len())];
            match rng.gen_range(0..6) {
                0 => {
                    map.remove(key);
                }
                1 => {
                    map.insert(format!("{key}_extra"), edge_value(rng));
                }
                2 | 3 => mutate_json(rng, map.get_mut(key).expect("a key of the map")),
                _ => {
                    map.insert(key.clone(), edge_value(rng));
                }
            }
        }
        Value::Array(items) if !items.is_empty() && rng.gen_bool(0.8) => {
            let i = rng.gen_range(0..items.len());
            match rng.gen_range(0..5) {
                0 => {
                    items.remove(i);
                }
                1 => {
                    let copy = items[i].clone();
                    items.insert(i, copy);
                }
                2 | 3 => mutate_json(rng, &mut items[i]),
                _ => items[i] = edge_value(rng),
            }
        }
        other => *other = edge_value(rng),
    }
}

const INTERESTING: &[&[u8]] = &[
    b"\"", b"{", b"}", b"[", b"]", b",", b":", b"\0", b"\xff", b"-1", b"1e999", b"null",
    b"\\u0000", b"\n", b";", b"=",
];

/// Byte-level mutations, one to four of them.
fn mutate_bytes(rng: &mut ChaCha8Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..rng.gen_range(1..=4) {
        let len = b.len();
        let at = if len == 0 { 0 } else { rng.gen_range(0..len) };
        match rng.gen_range(0..7) {
            0 if len > 0 => b[at] ^= 1 << rng.gen_range(0..8),
            1 if len > 0 => b[at] = rng.gen(),
            2 => {
                let ins = INTERESTING[rng.gen_range(0..INTERESTING.len())];
                b.splice(at..at, ins.iter().copied());
            }
            3 if len > 0 => {
                let end = (at + rng.gen_range(1..64)).min(len);
                b.drain(at..end);
            }
            4 if len > 0 => {
                let end = (at + rng.gen_range(1..64)).min(len);
                let piece = b[at..end].to_vec();
                b.splice(at..at, piece);
            }
            5 => b.truncate(at),
            _ if !other.is_empty() => {
                let from = rng.gen_range(0..other.len());
                let piece = &other[from..(from + rng.gen_range(1..256)).min(other.len())];
                b.splice(at..at, piece.iter().copied());
            }
            _ => {}
        }
    }
    b
}

/// A push whose mutated visits carry their true content hashes, so they get
/// past the hash check to the rules behind it.
fn rehash_push(v: &mut Value) {
    let Some(records) = v.get_mut("records").and_then(Value::as_array_mut) else {
        return;
    };
    for r in records {
        let visit = r.get("visit").cloned();
        if let Some(visit) = visit.and_then(|v| serde_json::from_value::<htx_core::Visit>(v).ok()) {
            r["hash"] = json!(content_hash(&visit).0);
        }
    }
}

/// An export file whose mutated content carries its true checksum.
fn reseal_export(v: &mut Value) {
    if let Value::Object(map) = v {
        map.remove("sha256");
        let sum = htx_core::hash::ContentHash::of_bytes(
            htx_core::hash::canonical_json(&Value::Object(map.clone())).as_bytes(),
        )
        .0;
        map.insert("sha256".into(), json!(sum));
    }
}

/// Row counts and the change sequence: what a refused input must not move.
/// Taken once the console's list rows of every stored revision are written
/// (they follow the push that stored them).
async fn fingerprint(state: &htx_server::AppState) -> Vec<i64> {
    htx_server::index_follower::wait_for_list(&state.write_handle())
        .await
        .expect("waiting for the console's list rows");
    let db = &state.db;
    let sql = "SELECT (SELECT COUNT(*) FROM visit_revisions), (SELECT COUNT(*) FROM visit_conflicts), \
               (SELECT COUNT(*) FROM organisations), (SELECT COUNT(*) FROM reviews), (SELECT COUNT(*) FROM blobs), \
               (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM audit_log), (SELECT COALESCE(MAX(seq), 0) FROM changes), \
               (SELECT COUNT(*) FROM visit_index), (SELECT COUNT(*) FROM visit_photos)";
    let row: (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(sql)
        .fetch_one(db)
        .await
        .expect("fingerprint query");
    vec![
        row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9,
    ]
}

struct Finding {
    target: Target,
    why: String,
    input: Vec<u8>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let tmp = tempfile::tempdir()?;
    let config = htx_server::Config {
        addr: "127.0.0.1:0".parse()?,
        database: tmp.path().join("fuzz.sqlite3").into(),
        static_dir: tmp.path().join("dist"),
        demo: true,
        demo_history: false,
        argon2_memory_kib: 64,
        // Sign-in attempts are many and wrong: the throttle answers most
        // with 429, which is a refusal like any other (checked the same).
        ..htx_server::Config::with_defaults()
    };
    let server = htx_server::Server::bind(config).await?;
    let state = server.state().clone();
    let app = htx_server::router(state.clone());
    let call = |method: &'static str,
                uri: String,
                content_type: &'static str,
                token: Option<String>,
                body: Vec<u8>| {
        let app = app.clone();
        async move {
            let mut req = Request::builder()
                .method(method)
                .uri(uri)
                .header(header::CONTENT_TYPE, content_type);
            if let Some(t) = token {
                req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
            let req = req.body(Body::from(body)).expect("a request");
            // In a task of its own: a panic is a finding, not the end of the run.
            tokio::spawn(async move {
                let res = app.oneshot(req).await.expect("the router is infallible");
                let status = res.status();
                let bytes = axum::body::to_bytes(res.into_body(), 64 << 20)
                    .await
                    .unwrap_or_default();
                (status, bytes.to_vec())
            })
            .await
        }
    };
    let login = |user: &'static str| async move {
        let body = json!({ "username": user, "password": format!("{user}-demo") })
            .to_string()
            .into_bytes();
        let (_, bytes) = call(
            "POST",
            "/api/v1/auth/login".into(),
            "application/json",
            None,
            body,
        )
        .await
        .expect("sign-in");
        serde_json::from_slice::<Value>(&bytes).expect("a sign-in answer")["token"]
            .as_str()
            .expect("a token")
            .to_owned()
    };
    let officer = login("canbo1").await;
    let admin = login("quantri").await;

    // Valid inputs to start from.
    let history = htx_server::demo::history::generate(&state.reference.places, &state.rubrics());
    let mine: Vec<htx_core::Visit> = history
        .revisions
        .iter()
        .filter(|r| r.officer == 0)
        .map(|r| r.visit.clone())
        .take(40)
        .collect();
    let now = htx_core::time::to_vn(&chrono::Utc::now());
    let push_corpus: Vec<Vec<u8>> = mine
        .chunks(3)
        .map(|c| {
            serde_json::to_vec(&PushBatch::new(
                uuid::Uuid::now_v7(),
                uuid::Uuid::now_v7(),
                now,
                c.to_vec(),
            ))
            .expect("json")
        })
        .collect();
    let receipt_corpus = vec![serde_json::to_vec(&ReceiptQuery {
        protocol_version: htx_core::PROTOCOL_VERSION,
        keys: mine
            .iter()
            .map(|v| RecordKey {
                id: v.id,
                revision: v.revision,
            })
            .collect(),
    })?];
    let pull_corpus: Vec<Vec<u8>> = [
        "since=0",
        "since=3&limit=5",
        "since=18446744073709551615",
        "limit=2000",
    ]
    .iter()
    .map(|q| q.as_bytes().to_vec())
    .collect();
    let login_corpus = vec![json!({"username": "canbo1", "password": "canbo1-demo"})
        .to_string()
        .into_bytes()];
    let csv_corpus = vec![
        "ma_so,ten,loai_hinh,linh_vuc,tinh_trang,ma_xa,ngay_thanh_lap,dia_chi\n\
         1701888001,HTX Nông nghiệp Thử,htx,trong_trot,dang_hoat_dong,30850,2019-04-01,Ấp 1\n\
         ,Tổ hợp tác Thử,tht,thuy_san,dang_hoat_dong,30856,,\n"
            .as_bytes()
            .to_vec(),
    ];
    let export_corpus = vec![htx_core::export::ExportBundle::new(
        "canbo1",
        Some("device".into()),
        now,
        mine.iter().take(3).cloned().collect(),
    )
    .to_json()
    .into_bytes()];

    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let mut findings: Vec<Finding> = Vec::new();
    let mut counts: BTreeMap<Target, (u64, u64)> = BTreeMap::new();
    let started = Instant::now();
    for n in 0..args.inputs {
        let target = TARGETS[(n % TARGETS.len() as u64) as usize];
        let corpus = match target {
            Target::Push => &push_corpus,
            Target::Receipt => &receipt_corpus,
            Target::Pull => &pull_corpus,
            Target::Login => &login_corpus,
            Target::RegistryCsv => &csv_corpus,
            Target::ExportFile => &export_corpus,
        };
        let seed_input = &corpus[rng.gen_range(0..corpus.len())];
        let other = &push_corpus[rng.gen_range(0..push_corpus.len())];
        // Half JSON-aware (for JSON targets), half bytes.
        let json_target = matches!(
            target,
            Target::Push | Target::Receipt | Target::Login | Target::ExportFile
        );
        let input = match serde_json::from_slice::<Value>(seed_input) {
            Ok(mut v) if json_target && rng.gen_bool(0.5) => {
                for _ in 0..rng.gen_range(1..=3) {
                    mutate_json(&mut rng, &mut v);
                }
                if rng.gen_bool(0.5) {
                    match target {
                        Target::Push => rehash_push(&mut v),
                        Target::ExportFile => reseal_export(&mut v),
                        _ => {}
                    }
                }
                serde_json::to_vec(&v)?
            }
            _ => mutate_bytes(&mut rng, seed_input, other),
        };
        let entry = counts.entry(target).or_default();
        entry.0 += 1;
        if target == Target::ExportFile {
            let text = String::from_utf8_lossy(&input).into_owned();
            // An accepted file must hand over again: exported anew, it reads
            // back as the same visits and photos.
            let outcome = std::panic::catch_unwind(|| {
                htx_core::export::ExportBundle::from_json(&text).map(|b| {
                    let again = htx_core::export::ExportBundle::new(
                        b.officer.clone(),
                        b.device_id.clone(),
                        b.exported_at,
                        b.visits.clone(),
                    )
                    .with_photos(b.photos.clone());
                    htx_core::export::ExportBundle::from_json(&again.to_json())
                        .is_ok_and(|c| c.visits == b.visits && c.photos == b.photos)
                })
            });
            match outcome {
                Err(_) => findings.push(Finding {
                    target,
                    why: "panic".into(),
                    input,
                }),
                Ok(Ok(false)) => findings.push(Finding {
                    target,
                    why: "an accepted file does not hand over again unchanged".into(),
                    input,
                }),
                Ok(Ok(true)) => entry.1 += 1,
                Ok(Err(_)) => {}
            }
            continue;
        }
        let before = fingerprint(&state).await;
        let answer = match target {
            Target::Push => {
                call(
                    "POST",
                    "/api/v1/sync/push".into(),
                    "application/json",
                    Some(officer.clone()),
                    input.clone(),
                )
                .await
            }
            Target::Receipt => {
                call(
                    "POST",
                    "/api/v1/sync/receipt".into(),
                    "application/json",
                    Some(officer.clone()),
                    input.clone(),
                )
                .await
            }
            Target::Pull => {
                // What an HTTP client could send: other bytes percent-encoded.
                let q: String = input
                    .iter()
                    .map(|&b| match b {
                        b'a'..=b'z'
                        | b'A'..=b'Z'
                        | b'0'..=b'9'
                        | b'='
                        | b'&'
                        | b'-'
                        | b'_'
                        | b'.'
                        | b'~'
                        | b'%'
                        | b'+' => (b as char).to_string(),
                        _ => format!("%{b:02X}"),
                    })
                    .collect();
                call(
                    "GET",
                    format!("/api/v1/sync/pull?{q}"),
                    "application/json",
                    Some(officer.clone()),
                    Vec::new(),
                )
                .await
            }
            Target::Login => {
                call(
                    "POST",
                    "/api/v1/auth/login".into(),
                    "application/json",
                    None,
                    input.clone(),
                )
                .await
            }
            Target::RegistryCsv => {
                call(
                    "POST",
                    "/api/v1/organisations/import".into(),
                    "text/csv",
                    Some(admin.clone()),
                    input.clone(),
                )
                .await
            }
            Target::ExportFile => unreachable!(),
        };
        let (status, body) = match answer {
            Ok(a) => a,
            Err(e) => {
                findings.push(Finding {
                    target,
                    why: format!("panic: {e}"),
                    input,
                });
                continue;
            }
        };
        let after = fingerprint(&state).await;
        let envelope = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_owned));
        let mut why = None;
        if status.is_server_error() {
            why = Some(format!("{status}: {}", String::from_utf8_lossy(&body)));
        } else if !status.is_success() {
            if envelope.is_none() {
                why = Some(format!(
                    "{status} without the JSON error envelope: {}",
                    String::from_utf8_lossy(&body)
                ));
            } else if before != after {
                why = Some(format!(
                    "{status} ({envelope:?}) but written: {before:?} -> {after:?}"
                ));
            }
        } else {
            entry.1 += 1;
            // A push whose every record was refused writes nothing either.
            if target == Target::Push {
                let stored = serde_json::from_slice::<htx_core::sync::PushResponse>(&body)
                    .map(|r| {
                        r.results.iter().any(|x| {
                            !matches!(
                                x.outcome,
                                htx_core::sync::RecordOutcome::Rejected { .. }
                                    | htx_core::sync::RecordOutcome::Duplicate { .. }
                            )
                        })
                    })
                    .unwrap_or(true);
                if !stored && before != after {
                    why = Some(format!(
                        "every record refused but written: {before:?} -> {after:?}"
                    ));
                }
            }
        }
        if let Some(why) = why {
            findings.push(Finding { target, why, input });
        }
        if (n + 1) % 100_000 == 0 {
            eprintln!(
                "{} inputs, {} findings, {:.0} s",
                n + 1,
                findings.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "htx-fuzz: {} inputs in {secs:.1} s ({:.0}/s), seed {}",
        args.inputs,
        args.inputs as f64 / secs,
        args.seed
    );
    for (t, (all, ok)) in &counts {
        println!("  {t:?}: {all} inputs, {ok} accepted, {} refused", all - ok);
    }
    if findings.is_empty() {
        println!("  no findings: no panic, no 5xx, every refusal a JSON error, nothing written for a refused input");
        return Ok(());
    }
    let dir = PathBuf::from("target/fuzz-findings");
    std::fs::create_dir_all(&dir)?;
    for (i, f) in findings.iter().enumerate() {
        let path = dir.join(format!("{:?}-{i}.bin", f.target));
        std::fs::write(&path, &f.input)?;
        println!(
            "  FINDING {:?}: {} ({})",
            f.target,
            f.why.chars().take(300).collect::<String>(),
            path.display()
        );
    }
    anyhow::bail!("{} findings", findings.len())
}
