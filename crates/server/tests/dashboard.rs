//! The dashboard and the exports for alliance staff over real HTTP and
//! SQLite: the Phụ lục 1 table of a seeded dataset against figures worked
//! out by hand, the CSV and XLSX files read back with the `csv` and
//! `calamine` crates, and who may see what (role and province boundaries).

mod common;

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use chrono::{Datelike, NaiveDate};
use common::*;
use htx_core::visit::Gender;
use htx_core::{Hierarchy, PlaceRef, Points, Rubric, ScoreSheet, Visit};
use htx_server::demo::{organisation_id, registration_code};
use reqwest::header::{AUTHORIZATION, CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

impl Api {
    async fn get(&self, token: Option<&str>, path: &str) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        req.send().await.unwrap()
    }

    async fn dashboard(&self, token: &str, query: &str) -> Value {
        let res = self.get(Some(token), &format!("/dashboard{query}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// A file download: its bytes, after checking status and content type.
    async fn file(&self, token: &str, path: &str, content_type: &str) -> (Vec<u8>, String) {
        let res = self.get(Some(token), path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()[CONTENT_TYPE], content_type, "{path}");
        let disposition = res.headers()[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_owned();
        (res.bytes().await.unwrap().to_vec(), disposition)
    }

    async fn review(&self, token: &str, v: &Visit, decision: &str) {
        let res = self
            .client
            .post(self.url("/reviews"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(&json!({
                "visit_id": v.id,
                "revision": v.revision,
                "decision": decision,
                "comment": if decision == "returned" { "Bổ sung số liệu" } else { "" },
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
}

const CSV: &str = "text/csv; charset=utf-8";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A score sheet of the default rubric with every item at its maximum
/// (100 points: tốt) or at zero (yếu).
fn sheet(year: i32, full_marks: bool) -> ScoreSheet {
    let rubric = Rubric::tt_01_2020();
    let mut s = ScoreSheet::new(&rubric, year);
    for (code, max) in rubric.scored_items() {
        s.set(code, if full_marks { max } else { Points::ZERO });
    }
    s
}

/// The demo organisations in the old district Hòn Đất (old code 903, old
/// province Kiên Giang): their communes are (partly) made of it.
/// - 7  HTX Vận tải thủy Vĩnh Thông (transport: not agricultural), canbo1
/// - 13 HTX Nông nghiệp Mỹ Thuận (crops), canbo1
/// - 14 HTX Sản xuất lúa giống Hòn Đất (crops), canbo1
/// - 21 HTX Nông nghiệp Bình Sơn (crops, "suspended" in the registry), canbo2
/// - 22 THT nuôi tôm càng xanh Sơn Kiên (fisheries), canbo2
const HON_DAT: &str = "?hierarchy=old&place=903";

struct Seeded {
    year: i32,
    /// Org 7: tốt, in a value chain, high tech, female trained director,
    /// 130 members, managers 5 (2 with a degree). Approved.
    a: Visit,
    /// Org 13 revision 0: yếu, not in a chain, linked with an enterprise,
    /// male untrained director, 50 members, managers 4 (3 with a degree).
    /// Approved.
    b0: Visit,
    /// Its revision 1: 60 members. Not reviewed.
    b1: Visit,
    /// Org 14: no score sheet, 130 members. Not reviewed (and an approved
    /// visit of the year before).
    c: Visit,
    /// Org 21: active again, 130 members. Returned.
    d: Visit,
    /// Org 22 (THT): 12 members, not in a chain. Approved.
    e: Visit,
}

async fn seed(api: &Api) -> Seeded {
    let canbo1 = api.login("canbo1").await;
    let canbo2 = api.login("canbo2").await;
    let reviewer = api.login("kiemduyet").await;

    let mut a = final_visit(7, "A");
    let year = a.local_date().year();
    a.plan.high_tech = Some(true);
    a.score_sheet = Some(sheet(year, true));

    let mut b0 = final_visit(13, "B");
    b0.score_sheet = Some(sheet(year, false));
    b0.plan.value_chain = Some(false);
    b0.plan.enterprise_link = Some(true);
    b0.plan.enterprise_partner = Some("Công ty TNHH Gạo Hòn Đất".into());
    b0.facts.managers.total = Some(4);
    b0.facts.managers.with_degree = Some(3);
    b0.facts.director.gender = Some(Gender::Male);
    b0.facts.director.trained = Some(false);
    b0.facts.members.official = Some(50);
    b0.facts.members.associate_contributing = None;
    b0.facts.members.total = Some(50);
    let mut b1 = b0.next_revision();
    b1.facts.members.official = Some(60);
    b1.facts.members.total = Some(60);

    let c = final_visit(14, "C");
    let mut c_last_year = final_visit(14, "C năm trước");
    c_last_year.started_at -= chrono::Duration::days(366);
    c_last_year.finished_at = Some(c_last_year.started_at + chrono::Duration::hours(1));
    assert_eq!(c_last_year.local_date().year(), year - 1);

    let d = final_visit(21, "D");

    let mut e = final_visit(22, "E");
    let m = &mut e.facts.members;
    m.official = None;
    m.associate_contributing = None;
    m.group_members = Some(12);
    m.total = Some(12);
    e.plan.value_chain = Some(false);

    // Outside Hòn Đất (Tân Hiệp): counts only for the whole province.
    let outside = final_visit(0, "ngoài huyện");

    let first = vec![
        a.clone(),
        b0.clone(),
        c.clone(),
        c_last_year.clone(),
        outside.clone(),
    ];
    let res = api.push(&canbo1, &batch(first)).await;
    assert_eq!(statuses(&res), ["accepted"; 5], "{res:?}");
    let res = api.push(&canbo2, &batch(vec![d.clone(), e.clone()])).await;
    assert_eq!(statuses(&res), ["accepted"; 2], "{res:?}");

    for v in [&a, &b0, &e, &c_last_year, &outside] {
        api.review(&reviewer, v, "approved").await;
    }
    api.review(&reviewer, &d, "returned").await;
    // B's approved revision 0 is then replaced by revision 1 (waiting for review).
    let res = api.push(&canbo1, &batch(vec![b1.clone()])).await;
    assert_eq!(statuses(&res), ["accepted"], "{res:?}");
    Seeded {
        year,
        a,
        b0,
        b1,
        c,
        d,
        e,
    }
}

/// The only group of a dashboard.
fn group(d: &Value) -> &Value {
    let groups = d["report"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    &groups[0]
}

fn indicator<'a>(d: &'a Value, id: &str) -> &'a Value {
    group(d)["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no indicator {id}"))
}

/// A row of the hand-computed table: id, numerator, denominator, share in
/// basis points, status 2030, status 2045, organisations in scope, with
/// data, without a visit.
type Expected = (
    &'static str,
    u64,
    Option<u64>,
    Option<u32>,
    &'static str,
    &'static str,
    u32,
    u32,
    u32,
);

fn codes_without_visit(d: &Value) -> Vec<String> {
    d["organisations_without_visit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["registration_code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_indicator_table_of_a_seeded_place_equals_the_hand_computed_one() {
    let api = Api::start().await;
    let s = seed(&api).await;
    let reviewer = api.login("kiemduyet").await;
    let y = s.year;

    // Reviewed visits only (the default). Orgs with an approved visit of the
    // year: 7 (A), 13 (B r0), 22 (E); without: 14 (pending; last year's
    // does not count), 21 (returned; registry status "suspended" stands).
    let d = api
        .dashboard(&reviewer, &format!("{HON_DAT}&year={y}"))
        .await;
    assert_eq!(d["year"], y);
    assert_eq!(d["only_reviewed"], true);
    assert_eq!(d["place"]["hierarchy"], "old");
    assert_eq!(d["place"]["code"], "903");
    assert_eq!(d["place"]["name"], "Huyện Hòn Đất");
    assert_eq!(d["place"]["level"], "district");
    assert_eq!(d["report"]["only_reviewed"], true);
    let g = group(&d);
    assert_eq!(g["place"], json!({ "hierarchy": "old", "code": "903" }));
    assert_eq!(g["place_name"], "Huyện Hòn Đất");
    assert_eq!(g["organisations"], 5);
    assert_eq!(g["organisations_without_visit"], 2);

    #[rustfmt::skip]
    let expected: [Expected; 16] = [
        // THT not dissolved: 22.
        ("cooperative_groups", 1, None, None, "not_met", "not_met", 1, 1, 0),
        // E: 12.
        ("cooperative_group_members", 12, None, None, "not_met", "not_met", 1, 1, 0),
        // HTX not dissolved: 7, 13, 14, 21.
        ("cooperatives", 4, None, None, "not_met", "not_met", 4, 4, 2),
        // A 130 + B r0 50.
        ("cooperative_members", 180, None, None, "not_met", "not_met", 4, 2, 2),
        ("unions", 0, None, None, "not_met", "not_met", 0, 0, 0),
        ("union_member_cooperatives", 0, None, None, "no_data", "no_data", 0, 0, 0),
        // Graded HTX: A tốt, B yếu.
        ("cooperatives_good_or_fair", 1, Some(2), Some(5000), "not_met", "not_met", 4, 2, 2),
        // Of the tốt/khá (A), in a chain: A.
        ("good_or_fair_in_value_chain", 1, Some(1), Some(10000), "met", "no_target", 4, 1, 2),
        // A yes, B no, E no.
        ("organisations_in_value_chain", 1, Some(3), Some(3333), "no_target", "not_met", 5, 3, 2),
        // Managers: A 2 of 5, B 3 of 4.
        ("managers_with_degree", 5, Some(9), Some(5555), "met", "not_met", 4, 2, 2),
        // A trained, B not.
        ("directors_trained", 1, Some(2), Some(5000), "not_met", "not_met", 4, 2, 2),
        // A yes, B no.
        ("high_tech_cooperatives", 1, None, None, "not_met", "not_met", 4, 2, 2),
        // Agricultural HTX: 13, 14, 21 (7 is transport); B linked.
        ("agri_cooperatives_linked_with_enterprise", 1, Some(1), Some(10000), "met", "met", 3, 1, 2),
        // 21, "suspended" in the registry, no visit that counts.
        ("halted_cooperatives", 1, None, None, "not_met", "not_met", 4, 4, 2),
        // A female, B male.
        ("female_directors", 1, Some(2), Some(5000), "no_target", "met", 4, 2, 2),
        // Graded organisations of any kind: A tốt, B yếu.
        ("effective_organisations", 1, Some(2), Some(5000), "no_target", "not_met", 5, 2, 2),
    ];
    let ids: Vec<&str> = group(&d)["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected.map(|e| e.0));
    for (id, num, den, bp, s30, s45, in_scope, with_data, without) in expected {
        let i = indicator(&d, id);
        assert_eq!(i["numerator"], num, "{id}");
        assert_eq!(i["denominator"], json!(den), "{id}");
        assert_eq!(i["share_basis_points"], json!(bp), "{id}");
        assert_eq!(i["status_2030"], s30, "{id}");
        assert_eq!(i["status_2045"], s45, "{id}");
        assert_eq!(i["organisations_in_scope"], in_scope, "{id}");
        assert_eq!(i["organisations_with_data"], with_data, "{id}");
        assert_eq!(i["organisations_without_visit"], without, "{id}");
    }
    // Targets and labels come with each row.
    let m = indicator(&d, "managers_with_degree");
    assert_eq!(
        m["target_2030"],
        json!({ "kind": "share_at_least", "basis_points": 2900 })
    );
    assert_eq!(
        m["label_vi"],
        "Tỷ lệ cán bộ quản lý có trình độ cao đẳng, đại học"
    );
    assert_eq!(
        d["not_measured"],
        json!([{
            "id": "population_share_in_kttt",
            "label_vi": "Tỷ lệ dân số tham gia tổ chức KTTT",
            "reason_vi": "cần số liệu dân số, không đo được từ khảo sát",
        }])
    );

    // Without a visit: 21 (Xã Bình Sơn) and 14 (Xã Hòn Đất), by commune.
    assert_eq!(
        codes_without_visit(&d),
        [registration_code(21), registration_code(14)]
    );
    let o = &d["organisations_without_visit"][0];
    assert_eq!(o["id"], organisation_id(21).to_string());
    assert_eq!(o["name"], "[DEMO] Hợp tác xã Nông nghiệp Bình Sơn");
    assert_eq!(o["kind"], "cooperative");
    assert_eq!(o["kind_label"], "Hợp tác xã");
    assert_eq!(o["legal_status"], "halted");
    assert_eq!(o["place_code"], "30823");
    assert_eq!(o["place_name"], "Xã Bình Sơn");

    // Every synced visit (reviewed=false): A, B r1, C, D, E count.
    let d = api
        .dashboard(&reviewer, &format!("{HON_DAT}&year={y}&reviewed=false"))
        .await;
    assert_eq!(d["only_reviewed"], false);
    assert_eq!(group(&d)["organisations_without_visit"], 0);
    assert!(codes_without_visit(&d).is_empty());
    // A 130 + B r1 60 + C 130 + D 130.
    assert_eq!(indicator(&d, "cooperative_members")["numerator"], 450);
    // D says 21 is active again.
    let h = indicator(&d, "halted_cooperatives");
    assert_eq!(
        (&h["numerator"], &h["status_2030"]),
        (&json!(0), &json!("met"))
    );
    // A, C, D in a chain; B, E not.
    let v = indicator(&d, "organisations_in_value_chain");
    assert_eq!((&v["numerator"], &v["denominator"]), (&json!(3), &json!(5)));
    assert_eq!(v["share_basis_points"], 6000);
    // Managers: A 2/5, B 3/4, C 2/5, D 2/5.
    let m = indicator(&d, "managers_with_degree");
    assert_eq!(
        (&m["numerator"], &m["denominator"]),
        (&json!(9), &json!(19))
    );
    assert_eq!(m["share_basis_points"], 4736);

    // Another year: nothing counts but the registry; last year's visit of 14 does.
    let d = api
        .dashboard(&reviewer, &format!("{HON_DAT}&year={}", y - 1))
        .await;
    assert_eq!(group(&d)["organisations_without_visit"], 4);
    assert_eq!(indicator(&d, "cooperative_members")["numerator"], 130);
    assert_eq!(indicator(&d, "cooperatives")["numerator"], 4);

    // The whole province (no place): the 40 demo organisations. HTX: 24
    // listed, one dissolved; THT 10; unions 2. With an approved visit: 0, 7, 13, 22.
    let d = api.dashboard(&reviewer, &format!("?year={y}")).await;
    assert!(d["place"].is_null());
    assert!(group(&d)["place"].is_null());
    assert_eq!(group(&d)["organisations"], 40);
    assert_eq!(group(&d)["organisations_without_visit"], 36);
    assert_eq!(
        d["organisations_without_visit"].as_array().unwrap().len(),
        36
    );
    assert_eq!(indicator(&d, "cooperatives")["numerator"], 23);
    assert_eq!(indicator(&d, "cooperative_groups")["numerator"], 10);
    assert_eq!(indicator(&d, "unions")["numerator"], 2);
    // Suspended in the registry: 17 and 21.
    assert_eq!(indicator(&d, "halted_cooperatives")["numerator"], 2);
    // A 130 + B r0 50 + the Tân Hiệp visit 130.
    assert_eq!(indicator(&d, "cooperative_members")["numerator"], 310);

    // Defaults: this year (Vietnam time), reviewed only, whole scope.
    let d = api.dashboard(&reviewer, "").await;
    assert_eq!(d["year"], htx_server::report::current_year());
    assert_eq!(d["only_reviewed"], true);
    assert!(d["place"].is_null());

    api.stop().await;
}

/// A CSV file's rows (header first), after checking and removing its BOM.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM first");
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// A worksheet's rows as text: numbers with two decimals, dates dd/mm/yyyy.
fn xlsx_rows(bytes: Vec<u8>, sheet: &str) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) => format!("{f:.2}"),
                    Data::Int(i) => format!("{i}.00"),
                    Data::DateTime(t) => {
                        let d = epoch + chrono::Duration::days(t.as_f64() as i64);
                        d.format("%d/%m/%Y").to_string()
                    }
                    other => panic!("unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect()
}

/// Cells with numbers as [`xlsx_rows`] writes them, so a CSV and a
/// worksheet compare (codes such as `30760` are text in the worksheet).
fn numbers_as_xlsx(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|c| match c.parse::<f64>() {
                    Ok(f) => format!("{f:.2}"),
                    Err(_) => c.clone(),
                })
                .collect()
        })
        .collect()
}

const VISIT_HEADERS: [&str; 24] = [
    "Mã lượt khảo sát",
    "Phiên bản",
    "Ngày khảo sát",
    "Tên tổ chức",
    "Mã số đăng ký",
    "Loại hình",
    "Lĩnh vực",
    "Xã/phường/đặc khu",
    "Mã xã",
    "Cán bộ khảo sát",
    "Tình trạng hoạt động",
    "Tổng số thành viên",
    "Thành viên chính thức",
    "Số lao động",
    "Vốn điều lệ (đồng)",
    "Doanh thu (đồng)",
    "Lợi nhuận trước thuế (đồng)",
    "Cán bộ quản lý",
    "Tham gia chuỗi giá trị",
    "Liên kết với doanh nghiệp",
    "Ứng dụng công nghệ cao",
    "Điểm đánh giá",
    "Xếp loại",
    "Trạng thái duyệt",
];

#[tokio::test]
async fn visit_exports_hold_one_row_per_counted_visit() {
    let api = Api::start().await;
    let s = seed(&api).await;
    let reviewer = api.login("kiemduyet").await;
    let y = s.year;
    let date = s.a.local_date().format("%d/%m/%Y").to_string();

    // Approved revisions only: B r0, A, E (by date, then organisation name).
    let (bytes, disposition) = api
        .file(
            &reviewer,
            &format!("/exports/visits.csv{HON_DAT}&year={y}"),
            CSV,
        )
        .await;
    assert_eq!(
        disposition,
        format!("attachment; filename=\"luot-khao-sat-{y}-cu-903.csv\"")
    );
    let rows = csv_rows(&bytes);
    assert_eq!(rows[0], VISIT_HEADERS);
    #[rustfmt::skip]
    let expected: Vec<Vec<String>> = [
        [s.b0.id.to_string(), "0".into(), date.clone(), "[DEMO] Hợp tác xã Nông nghiệp Mỹ Thuận".into(),
         registration_code(13), "Hợp tác xã".into(), "Nông nghiệp – trồng trọt".into(), "Xã Mỹ Thuận".into(),
         "30838".into(), "[DEMO] Cán bộ 1".into(), "Đang hoạt động".into(), "50".into(), "50".into(),
         "15".into(), "2000000000".into(), "8000000000".into(), "-300000000".into(), "4".into(),
         "Không".into(), "Có".into(), "Không".into(), "0.00".into(), "Yếu".into(), "Đã duyệt".into()],
        [s.a.id.to_string(), "0".into(), date.clone(), "[DEMO] Hợp tác xã Vận tải thủy Vĩnh Thông".into(),
         registration_code(7), "Hợp tác xã".into(), "Vận tải".into(), "Phường Vĩnh Thông".into(),
         "30760".into(), "[DEMO] Cán bộ 1".into(), "Đang hoạt động".into(), "130".into(), "120".into(),
         "15".into(), "2000000000".into(), "8000000000".into(), "-300000000".into(), "5".into(),
         "Có".into(), "Không".into(), "Có".into(), "100.00".into(), "Tốt".into(), "Đã duyệt".into()],
        [s.e.id.to_string(), "0".into(), date.clone(), "[DEMO] Tổ hợp tác nuôi tôm càng xanh Sơn Kiên".into(),
         registration_code(22), "Tổ hợp tác".into(), "Nông nghiệp – thủy sản".into(), "Xã Sơn Kiên".into(),
         "30835".into(), "[DEMO] Cán bộ 2".into(), "Đang hoạt động".into(), "12".into(), "".into(),
         "15".into(), "2000000000".into(), "8000000000".into(), "-300000000".into(), "5".into(),
         "Không".into(), "Không".into(), "Không".into(), "".into(), "".into(), "Đã duyệt".into()],
    ]
    .into_iter()
    .map(|r| r.to_vec())
    .collect();
    assert_eq!(rows[1..], expected[..]);

    // The workbook holds the same rows, the date as a real date.
    let (bytes, disposition) = api
        .file(
            &reviewer,
            &format!("/exports/visits.xlsx{HON_DAT}&year={y}"),
            XLSX,
        )
        .await;
    assert_eq!(
        disposition,
        format!("attachment; filename=\"luot-khao-sat-{y}-cu-903.xlsx\"")
    );
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    let range = wb.worksheet_range("Lượt khảo sát").unwrap();
    assert!(
        matches!(range.get((1, 2)), Some(Data::DateTime(_))),
        "a date cell"
    );
    assert!(
        matches!(range.get((1, 15)), Some(Data::Float(_))),
        "a number cell"
    );
    let sheet = xlsx_rows(bytes, "Lượt khảo sát");
    assert_eq!(numbers_as_xlsx(&sheet), numbers_as_xlsx(&rows));

    // Every synced visit: the latest final revision of each (B r1, pending),
    // with its review state.
    let (bytes, disposition) = api
        .file(
            &reviewer,
            &format!("/exports/visits.csv{HON_DAT}&year={y}&reviewed=false"),
            CSV,
        )
        .await;
    assert!(disposition.ends_with(&format!("luot-khao-sat-{y}-cu-903-tat-ca.csv\"")));
    let rows = csv_rows(&bytes);
    let summary: Vec<(String, String, String, String)> = rows[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[11].clone(), r[23].clone()))
        .collect();
    let row = |v: &Visit, members: &str, state: &str| {
        (
            v.id.to_string(),
            v.revision.to_string(),
            members.to_owned(),
            state.to_owned(),
        )
    };
    assert_eq!(
        summary,
        [
            row(&s.d, "130", "Trả lại"),   // Bình Sơn
            row(&s.b1, "60", "Chờ duyệt"), // Mỹ Thuận
            row(&s.c, "130", "Chờ duyệt"), // Sản xuất lúa giống Hòn Đất
            row(&s.a, "130", "Đã duyệt"),  // Vận tải thủy Vĩnh Thông
            row(&s.e, "12", "Đã duyệt"),   // Tổ hợp tác
        ]
    );
    let (bytes, _) = api
        .file(
            &reviewer,
            &format!("/exports/visits.xlsx{HON_DAT}&year={y}&reviewed=false"),
            XLSX,
        )
        .await;
    let sheet = xlsx_rows(bytes, "Lượt khảo sát");
    assert_eq!(numbers_as_xlsx(&sheet), numbers_as_xlsx(&rows));
    api.stop().await;
}

#[tokio::test]
async fn indicator_exports_hold_one_row_per_indicator() {
    let api = Api::start().await;
    let s = seed(&api).await;
    let reviewer = api.login("kiemduyet").await;
    let y = s.year;

    let (bytes, disposition) = api
        .file(
            &reviewer,
            &format!("/exports/indicators.csv{HON_DAT}&year={y}"),
            CSV,
        )
        .await;
    assert_eq!(
        disposition,
        format!("attachment; filename=\"chi-tieu-{y}-cu-903.csv\"")
    );
    let rows = csv_rows(&bytes);
    assert_eq!(
        rows[0],
        [
            "STT",
            "Mã chỉ tiêu",
            "Chỉ tiêu",
            "Đơn vị chủ trì",
            "Tử số",
            "Mẫu số",
            "Tỷ lệ (%)",
            "Mục tiêu 2030",
            "Mục tiêu 2045",
            "Đánh giá 2030",
            "Đánh giá 2045",
            "Số tổ chức thuộc phạm vi",
            "Số tổ chức có số liệu",
            "Số tổ chức chưa khảo sát trong năm",
            "Ghi chú",
        ]
    );
    // 16 measured rows and the one visits cannot measure.
    assert_eq!(rows.len(), 1 + 17);
    let by_id = |id: &str| rows.iter().find(|r| r[1] == id).unwrap().clone();
    assert_eq!(
        by_id("cooperatives"),
        [
            "3",
            "cooperatives",
            "Số hợp tác xã",
            "Sở Kế hoạch và Đầu tư",
            "4",
            "",
            "",
            "≥ 700",
            "≥ 1.000",
            "Chưa đạt",
            "Chưa đạt",
            "4",
            "4",
            "2",
            ""
        ]
    );
    assert_eq!(
        by_id("managers_with_degree"),
        [
            "10",
            "managers_with_degree",
            "Tỷ lệ cán bộ quản lý có trình độ cao đẳng, đại học",
            "Liên minh HTX tỉnh",
            "5",
            "9",
            "55.55",
            "≥ 29%",
            "≥ 65%",
            "Đạt",
            "Chưa đạt",
            "4",
            "2",
            "2",
            ""
        ]
    );
    let r = by_id("cooperatives_good_or_fair");
    assert_eq!(
        r[4..11],
        [
            "1",
            "2",
            "50.00",
            "70–85%",
            "75–90%",
            "Chưa đạt",
            "Chưa đạt"
        ]
    );
    let r = by_id("female_directors");
    assert_eq!(r[7..11], ["", "≥ 30%", "Không đặt mục tiêu", "Đạt"]);
    let r = by_id("union_member_cooperatives");
    assert_eq!(r[9..11], ["Chưa có số liệu", "Chưa có số liệu"]);
    assert_eq!(
        rows[17],
        [
            "17",
            "population_share_in_kttt",
            "Tỷ lệ dân số tham gia tổ chức KTTT",
            "",
            "",
            "",
            "",
            "",
            "",
            "Không đo được",
            "Không đo được",
            "",
            "",
            "",
            "cần số liệu dân số, không đo được từ khảo sát"
        ]
    );

    // The workbook: the same table, and the organisations without a visit.
    let (bytes, disposition) = api
        .file(
            &reviewer,
            &format!("/exports/indicators.xlsx{HON_DAT}&year={y}"),
            XLSX,
        )
        .await;
    assert_eq!(
        disposition,
        format!("attachment; filename=\"chi-tieu-{y}-cu-903.xlsx\"")
    );
    let sheet = xlsx_rows(bytes.clone(), "Chỉ tiêu");
    assert_eq!(numbers_as_xlsx(&sheet), numbers_as_xlsx(&rows));
    let missing = xlsx_rows(bytes, "Chưa khảo sát");
    assert_eq!(missing.len(), 1 + 2);
    assert_eq!(
        missing[1],
        [
            "1.00",
            "[DEMO] Hợp tác xã Nông nghiệp Bình Sơn",
            &registration_code(21),
            "Hợp tác xã",
            "Tạm ngừng / ngừng hoạt động",
            "Xã Bình Sơn",
            "30823"
        ]
    );
    assert_eq!(missing[2][2], registration_code(14));
    api.stop().await;
}

#[tokio::test]
async fn only_staff_of_the_province_get_the_dashboard_and_exports() {
    let api = Api::start().await;
    let s = seed(&api).await;
    let y = s.year;
    let paths = [
        "/dashboard",
        "/exports/visits.csv",
        "/exports/visits.xlsx",
        "/exports/indicators.csv",
        "/exports/indicators.xlsx",
    ];

    // Nobody unauthenticated; officers are refused, in JSON.
    let officer = api.login("canbo1").await;
    for path in paths {
        let res = api.get(None, path).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(error_code(res).await, "unauthorized");
        let res = api.get(Some(&officer), path).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(error_code(res).await, "forbidden");
    }

    // Bad filters are refused, in JSON.
    let reviewer = api.login("kiemduyet").await;
    for query in [
        "?year=abc",
        "?year=1999",
        "?reviewed=yes",
        "?hierarchy=middle",
        "?place=99999",
        "?hierarchy=old&place=30850x",
    ] {
        for path in paths {
            let res = api.get(Some(&reviewer), &format!("{path}{query}")).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}{query}");
            assert_eq!(error_code(res).await, "bad_request");
        }
    }

    // A reviewer of another province (old An Giang) sees none of the demo
    // organisations and none of the visits, even when asking for them.
    let other = api
        .reviewer_of("kd_angiang_cu", PlaceRef::new(Hierarchy::Old, "89"))
        .await;
    for query in [
        format!("?year={y}&reviewed=false"),
        format!("?year={y}&hierarchy=new&place=91&reviewed=false"),
        format!("?year={y}{}", HON_DAT.replace('?', "&")),
    ] {
        let d = api.dashboard(&other, &query).await;
        // No organisation in scope: one empty group, every figure zero.
        let groups = d["report"]["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 1, "{query}");
        for g in groups {
            assert_eq!(g["organisations"], 0, "{query}");
            for i in g["indicators"].as_array().unwrap() {
                assert_eq!(i["numerator"], 0, "{query} {}", i["id"]);
                assert_eq!(i["organisations_in_scope"], 0);
            }
        }
        assert!(codes_without_visit(&d).is_empty());
        let (bytes, _) = api
            .file(&other, &format!("/exports/visits.csv{query}"), CSV)
            .await;
        assert_eq!(csv_rows(&bytes), [VISIT_HEADERS], "{query}");
        let (bytes, _) = api
            .file(&other, &format!("/exports/visits.xlsx{query}"), XLSX)
            .await;
        assert_eq!(xlsx_rows(bytes, "Lượt khảo sát"), [VISIT_HEADERS]);
        let (bytes, _) = api
            .file(&other, &format!("/exports/indicators.xlsx{query}"), XLSX)
            .await;
        assert_eq!(xlsx_rows(bytes, "Chưa khảo sát").len(), 1, "header only");
    }

    // The admin (no scope: everything) sees what the province's reviewer sees.
    let admin = api.login("quantri").await;
    let d = api.dashboard(&admin, &format!("?year={y}")).await;
    assert_eq!(group(&d)["organisations"], 40);
    let (bytes, _) = api
        .file(
            &admin,
            &format!("/exports/visits.csv?year={y}&reviewed=false"),
            CSV,
        )
        .await;
    // A, B, C, D, E and the Tân Hiệp visit (last year's is another year).
    assert_eq!(csv_rows(&bytes).len(), 1 + 6);
    api.stop().await;
}

#[tokio::test]
async fn a_merged_provisional_organisation_counts_once_for_its_target() {
    let api = Api::start().await;
    let canbo1 = api.login("canbo1").await;
    let reviewer = api.login("kiemduyet").await;
    // Found in the field in Xã Hòn Đất (30817), where org 14 is.
    let found = visit_of_new_organisation("30817", Some("MOI-0903"));
    let y = found.local_date().year();
    let res = api.push(&canbo1, &batch(vec![found.clone()])).await;
    assert_eq!(statuses(&res), ["accepted"], "{res:?}");
    api.review(&reviewer, &found, "approved").await;

    let query = format!("{HON_DAT}&year={y}");
    let d = api.dashboard(&reviewer, &query).await;
    assert_eq!(group(&d)["organisations"], 6);
    assert_eq!(indicator(&d, "cooperatives")["numerator"], 5);
    assert!(codes_without_visit(&d).contains(&registration_code(14)));

    // Staff match it to org 14: one organisation, and the visit is 14's.
    let res = api
        .client
        .post(api.url(&format!("/organisations/{}/merge", found.organisation_id)))
        .header(AUTHORIZATION, format!("Bearer {reviewer}"))
        .json(&json!({ "into": organisation_id(14) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let d = api.dashboard(&reviewer, &query).await;
    assert_eq!(group(&d)["organisations"], 5);
    assert_eq!(indicator(&d, "cooperatives")["numerator"], 4);
    assert_eq!(indicator(&d, "cooperative_members")["numerator"], 130);
    assert!(!codes_without_visit(&d).contains(&registration_code(14)));
    let (bytes, _) = api
        .file(&reviewer, &format!("/exports/visits.csv{query}"), CSV)
        .await;
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], found.id.to_string());
    assert_eq!(rows[1][4], registration_code(14));
    api.stop().await;
}
