//! The registry and the accounts, kept by alliance staff in the browser
//! against the real server: an organisation found in the field merged into
//! the registry one, a CSV import refused with its errors then accepted, a
//! legal status changed, an officer's account created.

use anyhow::{bail, ensure, Context, Result};
use htx_core::sync::PushBatch;
use htx_e2e::console::{staff_sign_in, ADMIN, REVIEWER};
use htx_e2e::field::{OFFICER, UI_TIMEOUT};
use htx_e2e::sync::{api_token, final_visits, officer_organisations, push_visits};
use htx_e2e::TestApp;
use serde_json::Value;
use uuid::Uuid;

const FOUND: &str = "HTX Dịch vụ Mới Phát Hiện Ngoài Đồng";

#[tokio::test(flavor = "multi_thread")]
async fn staff_keep_the_registry_and_the_accounts_in_the_browser() {
    let mut app = TestApp::start_desktop("console_registry").await;
    let r = registry_and_accounts(&mut app).await;
    app.finish(r).await;
}

/// canbo1 pushes a visit of an organisation found in the field; returns the
/// commune it is in.
async fn provisional_from_the_field(app: &TestApp) -> Result<String> {
    let orgs = officer_organisations(app, OFFICER.0, OFFICER.1).await?;
    let mut visit = final_visits(&orgs, 1)?.remove(0);
    let place = orgs
        .iter()
        .find(|o| o.id == visit.organisation_id)
        .and_then(|o| o.place_new.clone())
        .context("no place")?;
    let mut o = htx_core::Organisation::new(
        Uuid::now_v7(),
        htx_core::OrganisationKind::Cooperative,
        FOUND,
        htx_core::Sector::Crops,
    );
    o.place_new = Some(place.clone());
    o.registration_code = Some("MOI-E2E-0001".into());
    o.provisional = true;
    visit.organisation_id = o.id;
    visit.new_organisation = Some(o);
    let token = api_token(app, OFFICER.0, OFFICER.1).await?;
    push_visits(app, &token, vec![visit]).await?;
    Ok(place)
}

async fn registry_and_accounts(app: &mut TestApp) -> Result<()> {
    let b = &app.browser;
    provisional_from_the_field(app).await?;
    staff_sign_in(app, b, REVIEWER.0, REVIEWER.1).await?;

    // The organisation found in the field waits to be matched; merge it.
    app.goto("/registry?provisional=true").await?;
    b.wait_for_text("[data-testid=registry-table]", FOUND, UI_TIMEOUT)
        .await?;
    let target = htx_e2e::poll_until("merge candidates", UI_TIMEOUT, || async {
        for option in b
            .find_all("[data-testid=registry-merge-target] option")
            .await?
        {
            if let Some(v) = option.attr("value").await?.filter(|v| !v.is_empty()) {
                return Ok(Some(v));
            }
        }
        Ok(None)
    })
    .await?;
    b.screenshot("console-registry-provisional").await?;
    b.find("[data-testid=registry-merge-target]")
        .await?
        .select_by_value(&target)
        .await?;
    b.click("[data-testid=registry-merge]").await?;
    b.wait_for_text("[data-testid=registry-total]", "0", UI_TIMEOUT)
        .await
        .context("nothing left to match")?;

    // A CSV file with an error imports nothing and says where; fixed, it imports.
    let header = "ma_so,ten,loai_hinh,linh_vuc,tinh_trang,ma_xa,ngay_thanh_lap\n";
    let bad = format!("{header}E2E-001,HTX Nhập Thử Một,Hợp tác xã,crops,,30850,01/02/2020\nE2E-002,HTX Nhập Thử Hai,Hợp tác xã,trồng lúa nước,,30850,\n");
    let good = format!("{header}E2E-001,HTX Nhập Thử Một,Hợp tác xã,crops,,30850,01/02/2020\nE2E-002,HTX Nhập Thử Hai,Hợp tác xã,livestock,,30850,\n");
    app.goto("/registry").await?;
    b.wait_for("[data-testid=registry-table]", UI_TIMEOUT)
        .await?;
    b.click("[data-testid=registry-import-box] summary").await?;
    for (text, testid, expected) in [
        (&bad, "registry-import-errors", "Dòng 3"),
        (&good, "registry-import-result", "Đã nhập 2"),
    ] {
        let file = tempfile::Builder::new().suffix(".csv").tempfile()?;
        std::fs::write(file.path(), text)?;
        b.find("[data-testid=registry-import]")
            .await?
            .send_keys(&file.path().display().to_string())
            .await?;
        b.wait_for_text(&format!("[data-testid={testid}]"), expected, UI_TIMEOUT)
            .await?;
        if testid == "registry-import-errors" {
            b.screenshot("console-registry-import-errors").await?;
        }
    }

    // An organisation added by hand; a founding date in the future is refused.
    b.click("[data-testid=registry-new] summary").await?;
    b.fill("[data-testid=new-org-name]", "HTX Thêm Bằng Tay")
        .await?;
    b.fill("[data-testid=new-org-code]", "E2E-TAY-01").await?;
    b.find("[data-testid=new-org-commune]")
        .await?
        .select_by_value("30850")
        .await?;
    b.fill("[data-testid=new-org-founded]", "01/01/2999")
        .await?;
    b.click("[data-testid=new-org-submit]").await?;
    b.wait_for_text(
        "[data-testid=registry-new] [role=alert]",
        "Ngày thành lập: không được ở tương lai",
        UI_TIMEOUT,
    )
    .await?;
    b.fill("[data-testid=new-org-founded]", "15/03/2016")
        .await?;
    b.click("[data-testid=new-org-submit]").await?;
    b.wait_for_text(
        "[data-testid=registry-new] [role=status]",
        "Đã lưu",
        UI_TIMEOUT,
    )
    .await?;
    b.wait_for_text(
        "[data-testid=registry-table]",
        "HTX Thêm Bằng Tay",
        UI_TIMEOUT,
    )
    .await?;
    // ... and renamed through its "Sửa" form.
    app.goto("/registry?q=them%20bang%20tay").await?;
    b.wait_for_text("[data-testid=registry-total]", "1", UI_TIMEOUT)
        .await?;
    b.click("[data-testid=registry-edit-open]").await?;
    b.fill(
        "[data-testid=registry-edit] [data-testid=new-org-name]",
        "HTX Thêm Bằng Tay (đã sửa)",
    )
    .await?;
    b.click("[data-testid=registry-edit] [data-testid=new-org-submit]")
        .await?;
    b.wait_for_text(
        "[data-testid=registry-table] strong",
        "(đã sửa)",
        UI_TIMEOUT,
    )
    .await?;

    // A legal status change is kept.
    app.goto("/registry?q=nhap%20thu%20mot").await?;
    b.wait_for_text("[data-testid=registry-total]", "1", UI_TIMEOUT)
        .await?;
    b.find("[data-testid=registry-status]")
        .await?
        .select_by_value("pending_dissolution")
        .await?;
    htx_e2e::poll_until("status saved", UI_TIMEOUT, || async {
        let token = api_token(app, REVIEWER.0, REVIEWER.1).await?;
        let page: Value = app
            .http
            .get(app.url("/api/v1/organisations?q=nhap%20thu%20mot"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        Ok(
            (page["items"][0]["organisation"]["legal_status"] == "pending_dissolution")
                .then_some(()),
        )
    })
    .await?;
    b.reload().await?;
    let el = b
        .wait_for("[data-testid=registry-status]", UI_TIMEOUT)
        .await?;
    ensure!(
        el.prop("value").await?.as_deref() == Some("pending_dissolution"),
        "the status shown after a reload"
    );

    // The admin creates an officer for a commune; the officer can sign in.
    staff_sign_in(app, b, ADMIN.0, ADMIN.1).await?;
    b.click("nav.tabs a[href='/admin']").await?;
    b.wait_for("[data-testid=users-table]", UI_TIMEOUT).await?;
    let form = "[data-testid=new-user]";
    let inputs = b.find_all(&format!("{form} input")).await?;
    if inputs.len() < 4 {
        bail!("the account form has {} inputs", inputs.len());
    }
    for (input, text) in inputs
        .iter()
        .zip(["canbo9", "Cán bộ Chín", "mat-khau-canbo9", "30850"])
    {
        input.send_keys(text).await?;
    }
    b.click(&format!("{form} button[type=submit]")).await?;
    b.wait_for_text("[data-testid=users-table]", "canbo9", UI_TIMEOUT)
        .await?;
    b.screenshot("console-admin").await?;
    api_token(app, "canbo9", "mat-khau-canbo9")
        .await
        .context("the new officer signs in")?;

    // The admin signs out of the console: the token is revoked, the sign-in page opens.
    let token = b
        .exec("return JSON.parse(localStorage.getItem('htx.session')).token;")
        .await?
        .as_str()
        .map(str::to_owned)
        .context("the admin's token")?;
    b.click("[data-testid=staff-sign-out]").await?;
    b.wait_for("[data-testid=signin-page]", UI_TIMEOUT)
        .await
        .context("the sign-in page after the console's sign-out")?;
    let res = app
        .http
        .get(app.url("/api/v1/visits"))
        .bearer_auth(&token)
        .send()
        .await?;
    ensure!(
        res.status() == 401,
        "the signed-out admin token still works: {}",
        res.status()
    );
    ensure!(
        b.exec("return localStorage.getItem('htx.session');")
            .await?
            == Value::Null,
        "the browser still holds the session"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_shows_the_plan_indicators_exports_and_the_printable_report() {
    let mut app = TestApp::start_desktop("console_dashboard").await;
    let r = dashboard(&mut app).await;
    app.finish(r).await;
}

async fn dashboard(app: &mut TestApp) -> Result<()> {
    let b = &app.browser;
    // Three visits from the field, two of them approved.
    let orgs = officer_organisations(app, OFFICER.0, OFFICER.1).await?;
    let visits = final_visits(&orgs, 3)?;
    let now = chrono::Utc::now().with_timezone(&htx_core::time::VN_OFFSET);
    let token = api_token(app, OFFICER.0, OFFICER.1).await?;
    app.http
        .post(app.url("/api/v1/sync/push"))
        .bearer_auth(&token)
        .json(&PushBatch::new(
            Uuid::now_v7(),
            Uuid::now_v7(),
            now,
            visits.clone(),
        ))
        .send()
        .await?
        .error_for_status()?;
    let reviewer = api_token(app, REVIEWER.0, REVIEWER.1).await?;
    for v in &visits[..2] {
        app.http
            .post(app.url("/api/v1/reviews"))
            .bearer_auth(&reviewer)
            .json(&serde_json::json!({ "visit_id": v.id, "revision": 0, "decision": "approved" }))
            .send()
            .await?
            .error_for_status()?;
    }
    let api: Value = app
        .http
        .get(app.url("/api/v1/dashboard"))
        .bearer_auth(&reviewer)
        .send()
        .await?
        .json()
        .await?;
    let indicators = api["report"]["groups"][0]["indicators"]
        .as_array()
        .context("no indicators")?
        .clone();
    ensure!(indicators.len() == 16, "{api}");

    staff_sign_in(app, b, REVIEWER.0, REVIEWER.1).await?;
    b.click("nav.tabs a[href='/dashboard']").await?;
    b.wait_for("[data-testid=indicator-table]", UI_TIMEOUT)
        .await?;
    let rows = b.find_all("[data-testid=indicator-row]").await?;
    ensure!(rows.len() == 16, "{} indicator rows", rows.len());
    // The page shows what the server computed: the number of cooperatives,
    // and the share rated good or fair with the numbers behind it.
    for id in ["cooperatives", "cooperative_members"] {
        let want = indicators.iter().find(|i| i["id"] == id).context(id)?["numerator"]
            .as_u64()
            .context("numerator")?;
        let shown = b
            .text(&format!(
                "[data-indicator={id}] [data-testid=indicator-value]"
            ))
            .await?;
        ensure!(
            shown.replace('.', "") == want.to_string(),
            "{id}: page shows {shown}, the API {want}"
        );
    }
    let summary = b.text("[data-testid=dashboard-summary]").await?;
    let without = api["organisations_without_visit"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    ensure!(
        summary.contains(&format!("{without} chưa khảo sát")),
        "{summary}"
    );
    b.wait_for("[data-testid=share-chart] svg", UI_TIMEOUT)
        .await?;
    b.screenshot("console-dashboard").await?;

    // An export downloads a real XLSX file (captured as the Blob offered to save).
    b.exec(
        "window.__blobs = []; const o = URL.createObjectURL; \
         URL.createObjectURL = (blob) => { window.__blobs.push([blob.size, blob.type]); return o(blob); }; return 1;",
    )
    .await?;
    b.click("[data-testid=export-indicators-xlsx]").await?;
    let blob = b
        .wait_for_js(
            "window.__blobs.length ? window.__blobs[0] : null",
            UI_TIMEOUT,
        )
        .await?;
    ensure!(blob[0].as_u64().unwrap_or(0) > 2_000, "the XLSX is {blob}");
    ensure!(
        blob[1].as_str().unwrap_or("").contains("spreadsheetml"),
        "{blob}"
    );

    // The printable annual report, with the Phụ lục 1 table.
    b.click("[data-testid=open-report]").await?;
    let year = now.format("%Y").to_string();
    b.wait_for_text(
        "[data-testid=report-title]",
        &format!("NĂM {year}"),
        UI_TIMEOUT,
    )
    .await?;
    let rows = b
        .find_all("[data-testid=report-page] [data-testid=indicator-row]")
        .await?;
    ensure!(rows.len() == 16, "{} rows in the report", rows.len());
    b.screenshot("console-report").await?;
    Ok(())
}
