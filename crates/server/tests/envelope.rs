//! Every refusal of the API is the documented JSON envelope
//! (`{"error":{"code","message"}}`), whatever is malformed: the query string,
//! a path parameter or the body. Walks every route of `routes::v1_router`.
mod common;

use common::Api;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Every route under /api/v1, as routes/mod.rs declares them (checked below).
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/auth/login"),
    ("POST", "/auth/logout"),
    ("PUT", "/auth/password"),
    ("POST", "/sync/push"),
    ("POST", "/sync/receipt"),
    ("GET", "/sync/pull"),
    ("PUT", "/blobs/{sha256}"),
    ("GET", "/blobs/{sha256}"),
    ("GET", "/organisations"),
    ("POST", "/organisations"),
    ("POST", "/organisations/import"),
    ("PUT", "/organisations/{id}"),
    ("POST", "/organisations/{id}/merge"),
    ("POST", "/reviews"),
    ("GET", "/rubrics"),
    ("POST", "/rubrics"),
    ("GET", "/users"),
    ("POST", "/users"),
    ("PUT", "/users/{username}/assignments"),
    ("DELETE", "/users/{username}/sessions"),
    ("PUT", "/users/{username}/disabled"),
    ("PUT", "/users/{username}/password"),
    ("GET", "/visits"),
    ("GET", "/visits/{id}"),
    ("PUT", "/visits/{id}/owner"),
    ("GET", "/dashboard"),
    ("GET", "/exports/visits.csv"),
    ("GET", "/exports/visits.xlsx"),
    ("GET", "/exports/indicators.csv"),
    ("GET", "/exports/indicators.xlsx"),
];

/// The route list above is the router's: a route added to routes/mod.rs
/// without being walked here fails this test.
#[test]
fn the_walk_covers_every_route() {
    let source = include_str!("../src/routes/mod.rs");
    let declared: Vec<&str> = source
        .split(".route(")
        .skip(1)
        .filter_map(|s| s.trim_start().strip_prefix('"')?.split('"').next())
        .filter(|p| *p != "/health")
        .collect();
    let walked: std::collections::BTreeSet<&str> = ROUTES.iter().map(|(_, p)| *p).collect();
    for p in &declared {
        assert!(walked.contains(p), "route {p} is not walked");
    }
    assert_eq!(
        walked.len(),
        declared.len(),
        "a walked route no longer exists: {walked:?} vs {declared:?}"
    );
}

/// The path with its parameters malformed (an id that is no UUID, a name
/// that is no SHA-256), or as is when every value is acceptable text.
fn malformed_path(p: &str) -> String {
    p.replace("{id}", "not-a-uuid")
        .replace("{sha256}", "not-a-hash")
        .replace("{username}", "nobody-such")
}

/// Sends `method path` with `body` and checks the answer is a refusal in the
/// envelope; returns its status and code.
async fn refusal(
    api: &Api,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (StatusCode, String) {
    let mut req = api
        .client
        .request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            api.url(path),
        )
        .header(AUTHORIZATION, format!("Bearer {token}"));
    if let Some(b) = body {
        req = req
            .header(CONTENT_TYPE, "application/json")
            .body(b.to_owned());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let what = format!("{method} {path} -> {status}");
    assert!(!status.is_server_error(), "{what}: a server error");
    let ctype = res
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if status.is_success() {
        // Nothing malformed reached this route (its query is ignored).
        return (status, String::new());
    }
    assert!(
        ctype.starts_with("application/json"),
        "{what}: answered {ctype:?}"
    );
    let body: Value = res
        .json()
        .await
        .unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no code in {body}"));
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no message in {body}"));
    assert!(!message.is_empty(), "{what}: empty message");
    (status, code.to_owned())
}

#[tokio::test]
async fn every_route_refuses_a_malformed_query_path_and_body_in_json() {
    let api = Api::start().await;
    let admin = api.login("quantri").await;
    let officer = api.login("canbo1").await;
    let bad_query = "?page=abc&since=-1&limit=x&year=abc&sort=%ZZ&hierarchy=42";
    let bad_body = "{\"not json";
    // Sign-out last: it revokes the token the walk uses.
    for (method, path) in ROUTES.iter().filter(|(_, p)| *p != "/auth/logout") {
        let malformed = malformed_path(path);
        let with_body = *method != "GET" && *method != "DELETE";
        // A malformed path parameter.
        if malformed != *path {
            let (status, code) = refusal(&api, &admin, method, &malformed, Some("{}")).await;
            assert!(status.is_client_error(), "{method} {malformed}: {status}");
            if path.contains("{id}") {
                assert_eq!(code, "invalid_path", "{method} {malformed}");
            }
        }
        // A malformed query string.
        let (status, code) =
            refusal(&api, &admin, method, &format!("{path}{bad_query}"), None).await;
        if matches!(
            *path,
            "/sync/pull" | "/visits" | "/dashboard" | "/organisations"
        ) && *method == "GET"
        {
            // Unreadable (`page=abc`: invalid_query) or read and refused (bad_request).
            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}");
            assert!(
                ["invalid_query", "bad_request"].contains(&code.as_str()),
                "{method} {path}: {code}"
            );
        }
        // A malformed body.
        if with_body && !path.starts_with("/blobs") && *path != "/organisations/import" {
            let (status, code) = refusal(&api, &admin, method, path, Some(bad_body)).await;
            if !path.contains('{') {
                assert_eq!(
                    (status, code.as_str()),
                    (StatusCode::BAD_REQUEST, "invalid_json"),
                    "{method} {path}"
                );
            }
        }
    }
    // The case the review found: a page number that is no number.
    let (status, code) = refusal(&api, &admin, "GET", "/visits?page=abc", None).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    // A role check comes before the body is read: an officer sending garbage
    // to a staff or admin route is refused for the role, not the body.
    for (method, path) in [
        ("POST", "/organisations"),
        ("POST", "/reviews"),
        ("POST", "/rubrics"),
        ("POST", "/users"),
        ("PUT", "/users/canbo2/disabled"),
    ] {
        let (status, code) = refusal(&api, &officer, method, path, Some(bad_body)).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{method} {path}"
        );
    }
    let (status, code) = refusal(&api, &officer, "GET", &format!("/visits{bad_query}"), None).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "forbidden"),
        "an officer's malformed list query"
    );
    let (status, _) = refusal(
        &api,
        &admin,
        "POST",
        &format!("/auth/logout{bad_query}"),
        Some(bad_body),
    )
    .await;
    assert!(
        status.is_success(),
        "sign-out reads neither query nor body: {status}"
    );
    let (status, code) = refusal(&api, &admin, "GET", "/users", None).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    api.stop().await;
}
