//! HTTPS (issue 19): the server speaks TLS itself with a PEM certificate and
//! key (rustls, no OpenSSL), sends HSTS, and an optional plain-HTTP port only
//! redirects. The certificate is made here (rcgen) for a test host name that
//! the client maps to 127.0.0.1.

mod common;

use common::*;

use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn the_server_speaks_https_with_hsts_and_redirects_plain_http() {
    let tmp = tempfile::tempdir().unwrap();
    let cert =
        rcgen::generate_simple_self_signed(vec!["htx.test".to_owned(), "localhost".to_owned()])
            .unwrap();
    let (cert_path, key_path) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let config = htx_server::Config {
        database: common::test_database(tmp.path()),
        static_dir: tmp.path().join("dist"),
        tls_cert: Some(cert_path),
        tls_key: Some(key_path),
        http_redirect_addr: Some("127.0.0.1:0".parse().unwrap()),
        ..test_config()
    };
    let server = htx_server::Server::bind(config).await.unwrap();
    let (addr, redirect) = (server.local_addr(), server.redirect_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(server.run_until(async {
        let _ = rx.await;
    }));

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve("htx.test", addr)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("https://htx.test:{}", addr.port());
    let res = client
        .get(format!("{base}/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    assert!(res.headers().contains_key("content-security-policy"));
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": "canbo1", "password": "canbo1-demo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["user"]["role"],
        "officer"
    );

    // Plain HTTP on the HTTPS port gets no answer; the redirect port points to HTTPS.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    assert!(
        plain
            .get(format!("http://127.0.0.1:{}/api/health", addr.port()))
            .send()
            .await
            .is_err()
            || plain
                .get(format!("http://127.0.0.1:{}/api/health", addr.port()))
                .send()
                .await
                .unwrap()
                .status()
                != StatusCode::OK
    );
    let res = plain
        .get(format!(
            "http://127.0.0.1:{}/visits/abc?x=1",
            redirect.port()
        ))
        .header("host", format!("htx.test:{}", redirect.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        res.headers()["location"],
        format!("https://htx.test:{}/visits/abc?x=1", addr.port())
    );

    tx.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(15), handle)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_missing_certificate_stops_the_server_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let config = htx_server::Config {
        database: common::test_database(tmp.path()),
        tls_cert: Some(tmp.path().join("nope.pem")),
        tls_key: Some(tmp.path().join("nope-key.pem")),
        ..test_config()
    };
    let err = match htx_server::Server::bind(config).await {
        Ok(_) => panic!("served without its certificate"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("loading the TLS certificate"), "{err}");
}
