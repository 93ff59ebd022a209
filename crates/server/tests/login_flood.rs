//! A flood of sign-ins cannot take the server's memory (issue 24): password
//! hashing (argon2id at its real cost, 19 MiB each) runs at most one job a
//! core, a short queue waits, the rest are told to come back (503 busy,
//! Retry-After). Its own test binary: it reads this process's peak memory,
//! which no other test may move.

mod common;

/// The server's allocator (src/main.rs), so the memory measured is the
/// server's as deployed.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use common::*;

use reqwest::header::RETRY_AFTER;
use reqwest::StatusCode;

/// The process's peak resident memory so far, in KiB (Linux `VmHWM`).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_hundred_concurrent_sign_ins_keep_memory_flat_and_the_right_one_gets_in() {
    let api = Api::start_with(|c| {
        c.argon2_memory_kib = 19456;
        c.password_hash_jobs = 2;
        c.password_hash_queue = 16;
        // The flood measures the hashing bound alone: the per-account and
        // per-address throttle (tests/hardening.rs) would refuse most of it
        // before any hashing, and the right password after it.
        c.sign_in_max_failures = 10_000;
        c.sign_in_max_failures_per_address = 10_000;
    })
    .await;
    // Warm up: the dummy hash for unknown users, one real sign-in.
    assert_eq!(
        api.login_raw("nobody", "x").await.status(),
        StatusCode::UNAUTHORIZED
    );
    api.login("canbo1").await;
    let before = peak_rss_kib();

    let attempts: Vec<_> = (0..300)
        .map(|i| {
            let (client, url) = (api.client.clone(), api.url("/auth/login"));
            tokio::spawn(async move {
                let user = if i % 2 == 0 { "canbo1" } else { "khong-co" };
                let res = client
                    .post(url)
                    .json(&serde_json::json!({ "username": user, "password": format!("sai-{i}") }))
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let retry_after = res.headers().get(RETRY_AFTER).cloned();
                let body: serde_json::Value = res.json().await.unwrap();
                (
                    status,
                    retry_after,
                    body["error"]["code"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
        })
        .collect();
    let (mut refused, mut busy) = (0, 0);
    for a in attempts {
        let (status, retry_after, code) = a.await.unwrap();
        match status {
            StatusCode::UNAUTHORIZED => {
                assert_eq!(code, "invalid_credentials");
                refused += 1;
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(code, "busy");
                assert!(retry_after.is_some(), "503 without Retry-After");
                busy += 1;
            }
            other => panic!("unexpected answer {other} ({code})"),
        }
    }
    let grown_mib = peak_rss_kib().saturating_sub(before) / 1024;
    println!(
        "300 sign-ins: {refused} refused (hashed), {busy} busy; peak memory grew {grown_mib} MiB"
    );
    assert_eq!(refused + busy, 300);
    assert!(
        busy > 0,
        "the queue never filled: the flood was not concurrent"
    );
    assert!(
        refused >= 18,
        "at least the jobs and the queue were served: {refused}"
    );
    // Unbounded, 300 hashes of 19 MiB at once would take several GB; two
    // at a time take about 40 MB.
    assert!(grown_mib < 150, "peak memory grew {grown_mib} MiB");

    // The right password still signs in at once afterwards.
    let res = api.login_raw("canbo1", "canbo1-demo").await;
    assert_eq!(res.status(), StatusCode::OK);
    api.stop().await;
}
