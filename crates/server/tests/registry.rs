//! The registry of organisations over real HTTP and SQLite: who may see and
//! change it, a status change reaching devices, merging an organisation
//! found in the field, and CSV import (every row or none).

mod common;

use common::*;

use htx_core::registry::RowError;
use htx_core::{Hierarchy, LegalStatus, Organisation, PlaceRef};
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn call(
    api: &Api,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = api
        .client
        .request(method, api.url(path))
        .header(AUTHORIZATION, format!("Bearer {token}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn import(api: &Api, token: &str, csv: &str) -> (StatusCode, Value) {
    let res = api
        .client
        .post(api.url("/organisations/import"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header("content-type", "text/csv; charset=utf-8")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["organisation"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn staff_keep_the_registry_and_devices_get_the_changes() {
    use reqwest::Method;
    let api = Api::start().await;
    let officer = api.login("canbo1").await;
    let reviewer = api.login("kiemduyet").await;

    // Officers do not keep the registry; nobody without a token sees it.
    let (status, _) = call(&api, Method::GET, &officer, "/organisations", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = api
        .client
        .get(api.url("/organisations"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let (status, page) = call(
        &api,
        Method::GET,
        &reviewer,
        "/organisations?q=tan%20hiep",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&page), ["[DEMO] Hợp tác xã Nông nghiệp Tân Hiệp"]);
    let mut org: Organisation =
        serde_json::from_value(page["items"][0]["organisation"].clone()).unwrap();

    // A reviewer of another province sees none of it and cannot change it.
    let other_token = api
        .reviewer_of("kd_khac", PlaceRef::new(Hierarchy::Old, "89"))
        .await;
    let (_, page) = call(&api, Method::GET, &other_token, "/organisations", None).await;
    assert_eq!(page["total"], 0);
    org.legal_status = LegalStatus::Halted;
    let body = serde_json::to_value(&org).unwrap();
    let (status, _) = call(
        &api,
        Method::PUT,
        &other_token,
        &format!("/organisations/{}", org.id),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The province's reviewer marks it halted (ngừng hoạt động); the officer's
    // next pull brings the change.
    let cursor = api.pull(&officer, "").await.cursor;
    let (status, _) = call(
        &api,
        Method::PUT,
        &reviewer,
        &format!("/organisations/{}", org.id),
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let pulled = api.pull(&officer, &format!("?since={}", cursor.0)).await;
    assert_eq!(pulled.organisations.len(), 1);
    assert_eq!(pulled.organisations[0].legal_status, LegalStatus::Halted);
    let (_, halted) = call(
        &api,
        Method::GET,
        &reviewer,
        "/organisations?status=halted",
        None,
    )
    .await;
    assert_eq!(names(&halted), ["[DEMO] Hợp tác xã Nông nghiệp Tân Hiệp"]);

    // A code that belongs to another organisation is refused; so is a bad record.
    let (_, all) = call(
        &api,
        Method::GET,
        &reviewer,
        "/organisations?kind=cooperative&per_page=2",
        None,
    )
    .await;
    let taken = all["items"][1]["organisation"]["registration_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut clash = org.clone();
    clash.registration_code = Some(taken);
    let (status, body) = call(
        &api,
        Method::PUT,
        &reviewer,
        &format!("/organisations/{}", org.id),
        Some(serde_json::to_value(&clash).unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let mut nameless = org.clone();
    nameless.name = String::new();
    let (status, body) = call(
        &api,
        Method::PUT,
        &reviewer,
        &format!("/organisations/{}", org.id),
        Some(serde_json::to_value(&nameless).unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "invalid");
    assert_eq!(body["error"]["field"], "name", "{body}");
    assert!(
        body["error"]["message_vi"]
            .as_str()
            .unwrap()
            .starts_with("Tên"),
        "the console shows it in Vietnamese: {body}"
    );

    let audit: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id")
        .fetch_all(&api.db)
        .await
        .unwrap();
    assert_eq!(audit, ["organisation.update"]);
    api.stop().await;
}

#[tokio::test]
async fn a_provisional_organisation_is_merged_into_the_registry_one() {
    use reqwest::Method;
    let api = Api::start().await;
    let officer = api.login("canbo1").await;
    let reviewer = api.login("kiemduyet").await;
    let found = visit_of_new_organisation("30850", Some("MOI-0001"));
    let provisional_id = found.organisation_id;
    let res = api.push(&officer, &batch(vec![found])).await;
    assert_eq!(statuses(&res), ["accepted"]);

    let (_, page) = call(
        &api,
        Method::GET,
        &reviewer,
        "/organisations?provisional=true",
        None,
    )
    .await;
    assert_eq!(names(&page), ["HTX Dịch vụ Nông nghiệp Mới Phát Hiện"]);
    assert_eq!(page["items"][0]["visits"], 1);
    let target = htx_server::demo::organisation_id(0);

    // Only provisional ones are merged, never into themselves, never into
    // another provisional one (no chains), only within one commune.
    let other_found = visit_of_new_organisation("30850", Some("MOI-0002"));
    let other_provisional = other_found.organisation_id;
    let res = api.push(&officer, &batch(vec![other_found])).await;
    assert_eq!(statuses(&res), ["accepted"]);
    let (_, elsewhere) = call(
        &api,
        Method::GET,
        &reviewer,
        "/organisations?per_page=500",
        None,
    )
    .await;
    let other_commune = elsewhere["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["organisation"]["place_new"] != "30850")
        .expect("a registry organisation of another commune")["organisation"]["id"]
        .clone();
    for (from, into, why) in [
        (
            json!(target),
            json!(provisional_id),
            "target is not provisional",
        ),
        (json!(provisional_id), json!(provisional_id), "into itself"),
        (
            json!(provisional_id),
            json!(other_provisional),
            "into a provisional one",
        ),
        (json!(provisional_id), other_commune, "another commune"),
    ] {
        let (status, body) = call(
            &api,
            Method::POST,
            &reviewer,
            &format!("/organisations/{}/merge", from.as_str().unwrap()),
            Some(json!({ "into": into })),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {body}");
        assert!(body["error"]["message_vi"].is_string(), "{why}: {body}");
    }
    let (status, _) = call(
        &api,
        Method::POST,
        &officer,
        &format!("/organisations/{provisional_id}/merge"),
        Some(json!({ "into": target })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _) = call(
        &api,
        Method::POST,
        &reviewer,
        &format!("/organisations/{provisional_id}/merge"),
        Some(json!({ "into": target })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, page) = call(
        &api,
        Method::GET,
        &reviewer,
        "/organisations?provisional=true",
        None,
    )
    .await;
    assert_eq!(page["total"], 1, "only the other one is left to match");
    assert_eq!(
        page["items"][0]["organisation"]["id"],
        other_provisional.to_string()
    );
    // The visit now counts for the registry organisation, and so does the
    // next one the officer records against the provisional id.
    let (_, visits) = call(&api, Method::GET, &reviewer, "/visits?q=tan%20hiep", None).await;
    assert_eq!(visits["total"], 1);
    assert_eq!(visits["items"][0]["organisation_id"], target.to_string());
    let mut later = final_visit(0, "lần sau");
    later.organisation_id = provisional_id;
    let res = api.push(&officer, &batch(vec![later])).await;
    assert_eq!(statuses(&res), ["accepted"], "{res:?}");
    let (_, visits) = call(&api, Method::GET, &reviewer, "/visits?q=tan%20hiep", None).await;
    assert_eq!(visits["total"], 2);
    let (status, _) = call(
        &api,
        Method::POST,
        &reviewer,
        &format!("/organisations/{provisional_id}/merge"),
        Some(json!({ "into": target })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "merged once");
    api.stop().await;
}

#[tokio::test]
async fn csv_import_writes_every_row_or_none() {
    let api = Api::start().await;
    let reviewer = api.login("kiemduyet").await;
    let header = "ma_so,ten,loai_hinh,linh_vuc,tinh_trang,ma_xa,ngay_thanh_lap\n";
    // One bad row (unknown commune) and one clash with the registry: nothing is written.
    let (_, page) = call(
        &api,
        reqwest::Method::GET,
        &reviewer,
        "/organisations?per_page=1&kind=cooperative",
        None,
    )
    .await;
    let existing = page["items"][0]["organisation"]["registration_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let bad = format!(
        "{header}IMP-001,HTX Nhập Một,Hợp tác xã,crops,,30850,01/02/2020\n\
         IMP-002,HTX Nhập Hai,Hợp tác xã,crops,,99999,\n"
    );
    let (status, body) = import(&api, &reviewer, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "invalid_rows");
    let rows: Vec<RowError> = serde_json::from_value(body["error"]["rows"].clone()).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].line, rows[0].column.as_str()), (3, "ma_xa"));
    let clash = format!("{header}IMP-001,HTX Nhập Một,Hợp tác xã,crops,,30850,\n{existing},HTX Trùng,Hợp tác xã,crops,,30850,\n");
    let (status, body) = import(&api, &reviewer, &clash).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["rows"][0]["line"], 3);
    let count = || async {
        let (_, p) = call(
            &api,
            reqwest::Method::GET,
            &reviewer,
            "/organisations?q=nhap",
            None,
        )
        .await;
        p["total"].as_u64().unwrap()
    };
    assert_eq!(count().await, 0, "a rejected file writes nothing");

    let good = format!(
        "\u{feff}{header}IMP-001,HTX Nhập Một,Hợp tác xã,crops,,30850,01/02/2020\n\
         ,Tổ hợp tác Nhập Hai,Tổ hợp tác,aquaculture,Tạm ngừng / ngừng hoạt động,30850,\n"
    );
    let (status, body) = import(&api, &reviewer, &good).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["imported"], 2);
    assert_eq!(count().await, 2);
    // Importing the same file again clashes on the code instead of doubling.
    let (status, _) = import(&api, &reviewer, &good).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count().await, 2);
    api.stop().await;
}

#[tokio::test]
async fn a_whole_registry_file_imports_and_rows_outside_the_scope_are_named() {
    let api = Api::start().await;
    let reviewer = api.login("kiemduyet").await;
    let header = "ma_so,ten,loai_hinh,linh_vuc,tinh_trang,ma_xa,ngay_thanh_lap\n";
    // A province's registry is larger than the API's usual 256 KiB body.
    let rows: String = (0..3000)
        .map(|i| {
            format!("LON-{i:05},Hợp tác xã Dịch vụ Nông nghiệp Tổng hợp Số {i},Hợp tác xã,crops,Đang hoạt động,30850,01/02/2020\n")
        })
        .collect();
    let big = format!("{header}{rows}");
    assert!(big.len() > 256 * 1024);
    let (status, body) = import(&api, &reviewer, &big).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["imported"], 3000);

    // Beyond the import's limit: a JSON error, nothing written.
    let huge = format!("{header}{}", rows.repeat(30));
    assert!(huge.len() > htx_server::routes::registry::MAX_IMPORT_BYTES);
    let (status, body) = import(&api, &reviewer, &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "payload_too_large");

    // A reviewer of the old An Giang imports a row of a Kiên Giang commune:
    // refused on its line, in Vietnamese.
    let other = api
        .reviewer_of("kd_khac", PlaceRef::new(Hierarchy::Old, "89"))
        .await;
    let outside = format!("{header}NGOAI-1,HTX Ngoài Địa Bàn,Hợp tác xã,crops,,30850,\n");
    let (status, body) = import(&api, &other, &outside).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let rows: Vec<RowError> = serde_json::from_value(body["error"]["rows"].clone()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 2);
    assert!(
        rows[0].message_vi.contains("ngoài địa bàn"),
        "{:?}",
        rows[0]
    );
    api.stop().await;
}
