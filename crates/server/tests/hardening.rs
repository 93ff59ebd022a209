//! A server on the internet (issue 19): throttled sign-in, sign-out and
//! revocation, security headers; over real HTTP on 127.0.0.1.

mod common;

use common::*;

use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn login_from(
    api: &Api,
    user: &str,
    password: &str,
    from: Option<&str>,
) -> reqwest::Response {
    let mut req = api
        .client
        .post(api.url("/auth/login"))
        .json(&json!({ "username": user, "password": password }));
    if let Some(addr) = from {
        req = req.header("x-forwarded-for", addr);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn the_sixth_wrong_password_is_refused_even_when_right_until_the_window_ends() {
    let api = Api::start_with(|c| c.sign_in_window_secs = 2).await;
    for _ in 0..5 {
        let res = api.login_raw("canbo1", "sai-mat-khau").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = api.login_raw("canbo1", "canbo1-demo").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_attempts");
    assert!(
        body["error"]["message_vi"]
            .as_str()
            .unwrap()
            .contains("phút"),
        "{body}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let res = api.login_raw("canbo1", "canbo1-demo").await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "after the window the right password works"
    );
    // ... and resets the account's count: five more wrong ones are answered 401.
    for _ in 0..5 {
        assert_eq!(
            api.login_raw("canbo1", "sai").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    api.stop().await;
}

#[tokio::test]
async fn accounts_and_addresses_are_counted_apart() {
    let api = Api::start_with(|c| {
        c.trusted_proxy = vec!["127.0.0.1".parse().unwrap()];
        c.sign_in_max_failures_per_address = 8;
    })
    .await;
    for _ in 0..5 {
        let res = login_from(&api, "canbo1", "sai", Some("203.0.113.1")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Another account from another address signs in; canbo1 from there does not.
    let res = login_from(&api, "canbo2", "canbo2-demo", Some("203.0.113.2")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = login_from(&api, "canbo1", "canbo1-demo", Some("203.0.113.2")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // One address guessing at many accounts is held up too (8 failures here).
    for user in ["kiemduyet", "quantri", "khong-co"] {
        let res = login_from(&api, user, "sai", Some("203.0.113.1")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{user}");
    }
    let res = login_from(&api, "canbo2", "canbo2-demo", Some("203.0.113.1")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // A client that is not the proxy cannot pick its address: it is its peer.
    // (Here every client is 127.0.0.1, the proxy; the unit tests cover it.)
    api.stop().await;
}

#[tokio::test]
async fn an_unknown_user_costs_one_password_hash_as_a_known_one_does() {
    let api = Api::start().await;
    api.login_raw("nobody-warmup", "x").await;
    let hashes = || api.state.passwords.limiter().hashes_done();
    let before = hashes();
    assert_eq!(
        api.login_raw("canbo1", "sai").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let known = hashes() - before;
    let before = hashes();
    assert_eq!(
        api.login_raw("khong-ai-ca", "sai").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let unknown = hashes() - before;
    assert_eq!((known, unknown), (1, 1));
    api.stop().await;
}

/// Every route a signed-in device or console uses answers 401 to `token`.
async fn refused_everywhere(api: &Api, token: &str) {
    let bearer = format!("Bearer {token}");
    let requests = [
        api.client.get(api.url("/sync/pull")),
        api.client.post(api.url("/sync/push")).json(&batch(vec![])),
        api.client
            .post(api.url("/sync/receipt"))
            .json(&json!({"protocol_version": 1, "keys": []})),
        api.client.get(api.url("/visits")),
        api.client.get(api.url("/users")),
        api.client.post(api.url("/auth/logout")),
    ];
    for req in requests {
        let res = req.header(AUTHORIZATION, &bearer).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(res).await, "unauthorized");
    }
}

#[tokio::test]
async fn sign_out_and_revocation_end_tokens() {
    let api = Api::start().await;
    // Sign-out revokes the token it is sent with, not the account's others.
    let (phone, tablet) = (api.login("canbo1").await, api.login("canbo1").await);
    let res = api
        .client
        .post(api.url("/auth/logout"))
        .header(AUTHORIZATION, format!("Bearer {phone}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    refused_everywhere(&api, &phone).await;
    api.pull(&tablet, "").await;

    // An admin revokes every token of canbo1 (a lost phone).
    let admin = api.login("quantri").await;
    let admin_call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut req = api
            .client
            .request(method, api.url(&path))
            .header(AUTHORIZATION, format!("Bearer {admin}"));
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };
    let res = admin_call(
        reqwest::Method::DELETE,
        "/users/canbo1/sessions".into(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["revoked_sessions"], 1);
    refused_everywhere(&api, &tablet).await;
    // Officers and reviewers cannot revoke anyone.
    let res = api
        .client
        .delete(api.url("/users/canbo2/sessions"))
        .header(
            AUTHORIZATION,
            format!("Bearer {}", api.login("kiemduyet").await),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Disabled: no sign-in (the right password says so), tokens gone; enabled again: signs in.
    let token = api.login("canbo2").await;
    let res = admin_call(
        reqwest::Method::PUT,
        "/users/canbo2/disabled".into(),
        Some(json!({"disabled": true})),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    refused_everywhere(&api, &token).await;
    let res = api.login_raw("canbo2", "canbo2-demo").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "account_disabled");
    assert!(body["error"]["message_vi"]
        .as_str()
        .unwrap()
        .contains("khóa"));
    admin_call(
        reqwest::Method::PUT,
        "/users/canbo2/disabled".into(),
        Some(json!({"disabled": false})),
    )
    .await
    .unwrap();
    assert_eq!(
        api.login_raw("canbo2", "canbo2-demo").await.status(),
        StatusCode::OK
    );
    let res = admin_call(
        reqwest::Method::PUT,
        "/users/quantri/disabled".into(),
        Some(json!({"disabled": true})),
    )
    .await
    .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "an admin does not lock themselves out"
    );

    // A password change keeps the token that made it and revokes the others.
    let (here, there) = (api.login("canbo1").await, api.login("canbo1").await);
    let change = |token: &str, current: &str, new: &str| {
        api.client
            .put(api.url("/auth/password"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(&json!({ "current": current, "new": new }))
            .send()
    };
    let res = change(&here, "sai-mat-khau", "mat-khau-moi-dai")
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "the current password is checked"
    );
    let res = change(&here, "canbo1-demo", "ngan").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = change(&here, "canbo1-demo", "mat-khau-moi-dai")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    refused_everywhere(&api, &there).await;
    api.pull(&here, "").await;
    assert_eq!(
        api.login_raw("canbo1", "canbo1-demo").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.login_raw("canbo1", "mat-khau-moi-dai").await.status(),
        StatusCode::OK
    );

    // An admin's reset revokes every token of the account.
    let res = admin_call(
        reqwest::Method::PUT,
        "/users/canbo1/password".into(),
        Some(json!({"password": "dat-lai-boi-quan-tri"})),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    refused_everywhere(&api, &here).await;
    assert_eq!(
        api.login_raw("canbo1", "dat-lai-boi-quan-tri")
            .await
            .status(),
        StatusCode::OK
    );
    let audit: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('user.revoke_sessions', 'user.disable', 'user.enable', 'user.password', 'user.password_reset')",
    )
    .fetch_one(&api.db)
    .await
    .unwrap();
    assert_eq!(audit, 5);
    api.stop().await;
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let api = Api::start().await;
    let token = api.login("kiemduyet").await;
    let root = api.base.trim_end_matches("/api/v1").to_owned();
    let answers = [
        api.client.get(format!("{root}/")).send().await.unwrap(),
        api.client
            .get(format!("{root}/review"))
            .send()
            .await
            .unwrap(),
        api.client
            .get(api.url("/visits"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await
            .unwrap(),
        api.client.get(api.url("/nope")).send().await.unwrap(),
        api.client
            .get(format!("{root}/api/health"))
            .send()
            .await
            .unwrap(),
    ];
    for res in answers {
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{csp}"
        );
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("'unsafe-eval'") || csp.contains("'wasm-unsafe-eval'"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(
            h.get("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
    }
    // Answers with personal data are never stored by a browser or a proxy.
    let res = api
        .client
        .get(api.url("/visits"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_a_device_pushes_holds_every_visit_confirmed_before_it() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Instant;

    // A SQLite file's backup (PostgreSQL's is pg_dump), on either test run.
    let sqlite = tempfile::tempdir().unwrap();
    let api = Api::start_with(|c| c.database = sqlite.path().join("htx.sqlite3").into()).await;
    let token = api.login("canbo1").await;
    let stop = Arc::new(AtomicBool::new(false));
    // A device pushing batch after batch; when each answer came, and what it accepted.
    let pusher = {
        let (client, url, token, stop) = (
            api.client.clone(),
            api.url("/sync/push"),
            token.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut answered: Vec<(Instant, Vec<uuid::Uuid>)> = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let visits: Vec<_> = (0..5)
                    .map(|i| final_visit(CANBO1_HTX[i % 4], "sao lưu"))
                    .collect();
                let res = client
                    .post(&url)
                    .header(AUTHORIZATION, format!("Bearer {token}"))
                    .json(&batch(visits))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                let r: htx_core::sync::PushResponse = res.json().await.unwrap();
                let accepted = r
                    .results
                    .iter()
                    .filter(|x| status(&x.outcome) == "accepted")
                    .map(|x| x.key.id)
                    .collect();
                answered.push((Instant::now(), accepted));
            }
            answered
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let began = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let database = api.state.config.database.sqlite_path().unwrap().to_owned();
    let (file, manifest) = htx_server::backup::backup(&database, dir.path())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    let answered = pusher.await.unwrap();
    let before: Vec<uuid::Uuid> = answered
        .iter()
        .filter(|(t, _)| *t < began)
        .flat_map(|(_, ids)| ids.clone())
        .collect();
    let after = answered.iter().filter(|(t, _)| *t > began).count();
    assert!(
        before.len() >= 20 && after > 0,
        "{} confirmed before, {after} pushes after",
        before.len()
    );
    assert!(manifest.visit_revisions >= before.len() as i64);
    assert!(dir
        .path()
        .join(format!(
            "{}.json",
            file.file_name().unwrap().to_string_lossy()
        ))
        .is_file());
    api.stop().await;

    // Restored as a new database and served: every visit confirmed before the backup is there.
    let target = dir.path().join("restored/htx.sqlite3");
    htx_server::backup::restore(&file, &target).await.unwrap();
    assert!(
        htx_server::backup::restore(&file, &target).await.is_err(),
        "a restore never overwrites"
    );
    let config = htx_server::Config {
        database: target.into(),
        demo: false,
        ..test_config()
    };
    let server = htx_server::Server::bind(config).await.unwrap();
    let base = format!("http://{}/api/v1", server.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(server.run_until(async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/auth/login"))
        .json(&json!({ "username": "canbo1", "password": "canbo1-demo" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let restored_token = login["token"].as_str().unwrap().to_owned();
    let receipts: htx_core::sync::ReceiptResponse = client
        .post(format!("{base}/sync/receipt"))
        .bearer_auth(&restored_token)
        .json(&htx_core::sync::ReceiptQuery {
            protocol_version: htx_core::PROTOCOL_VERSION,
            keys: before
                .iter()
                .take(1000)
                .map(|&id| htx_core::sync::RecordKey { id, revision: 0 })
                .collect(),
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let missing: Vec<_> = receipts
        .statuses
        .iter()
        .filter(|s| s.receipt.is_none())
        .map(|s| s.key.id)
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} confirmed visits missing from the backup",
        missing.len(),
        before.len()
    );
    tx.send(()).unwrap();
    handle.await.unwrap().unwrap();
}
