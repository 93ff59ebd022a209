//! The field app end to end: the real server (demo data), the built app in
//! headless Chromium at 360×740, the server stopped where it matters.
//! Screenshots of the main screens go to target/screenshots/ for review.

use anyhow::{ensure, Context, Result};
use htx_core::{Points, Rubric};
use htx_e2e::field::{
    field_value, find_and_open, pick_drawn_photo, pick_photo_file, set_field, set_points, sign_in,
    sign_in_on, start_visit, wait_offline_ready, wait_photos, wait_saved, OFFICER, UI_TIMEOUT,
};
use htx_e2e::{Browser, TestApp};

const ORG: &str = "Hợp tác xã Nông nghiệp Tân Hiệp";
/// Typed without diacritics, as on a phone keyboard without Telex.
const ORG_QUERY: &str = "hop tac xa nong nghiep tan hiep";

/// Every scored item of the rubric the demo cooperative is scored with.
fn items() -> Vec<(String, Points)> {
    let r = Rubric::tt_01_2020();
    r.groups
        .iter()
        .flat_map(|g| &g.criteria)
        .flat_map(|c| c.scored_items())
        .map(|(c, m)| (c.to_string(), m))
        .collect()
}

/// Points per item adding up to `total` (greedy, in rubric order).
fn split(total: Points) -> Vec<(String, Points)> {
    let mut left = total.centi();
    items()
        .into_iter()
        .map(|(c, m)| {
            let p = left.min(m.centi());
            left -= p;
            (c, Points::from_centi(p))
        })
        .collect()
}

/// What "Hoàn tất" asks of a cooperative's facts (besides official
/// members and charter capital, typed first), as typed on the phone.
const COOPERATIVE_FACTS: &[(&str, &str)] = &[
    ("facts.status", "active"),
    ("facts.members.associate_contributing", "10"),
    ("facts.members.total", "130"),
    ("facts.workers", "15"),
    ("facts.total_capital", "5.000.000.000"),
    ("facts.revenue", "8.000.000.000"),
    ("facts.pre_tax_profit", "-300.000.000"),
    ("facts.managers.total", "5"),
    ("facts.managers.with_degree", "2"),
    ("facts.managers.vocational_trained", "3"),
    ("facts.managers.under_35", "1"),
    ("facts.director.gender", "female"),
    ("facts.director.trained", "yes"),
];

/// The plan indicators "Hoàn tất" asks for.
const PLAN_ANSWERS: &[(&str, &str)] = &[
    ("plan.value_chain", "yes"),
    ("plan.enterprise_link", "yes"),
    ("plan.enterprise_partner", "Công ty Lúa gạo Kiên Giang"),
    ("plan.high_tech", "no"),
    ("plan.traceability", "yes"),
    ("plan.direct_export", "no"),
];

// ---------------------------------------------------------------- (1)

#[tokio::test(flavor = "multi_thread")]
async fn visit_recorded_offline() {
    let mut app = TestApp::start("visit_recorded_offline").await;
    let r = visit_recorded_offline_body(&mut app).await;
    app.finish(r).await;
}

async fn visit_recorded_offline_body(app: &mut TestApp) -> Result<()> {
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    wait_offline_ready(app).await?;
    app.server.stop().await?;
    let b = &app.browser;
    b.reload().await?;
    app.wait_home()
        .await
        .context("the app does not start offline")?;
    b.wait_for_attr(
        "[data-testid=net-status]",
        "data-state",
        "offline",
        UI_TIMEOUT,
    )
    .await?;
    b.screenshot("field-home-offline").await?;

    // Search without diacritics.
    find_and_open(app, ORG_QUERY, ORG).await?;
    b.screenshot("field-organisation").await?;
    let id = start_visit(app).await?;

    // A fact typed, then the page reloaded mid-form: the draft is still there.
    set_field(app, "facts.members.official", "120").await?;
    set_field(app, "facts.charter_capital", "2.000.000.000").await?;
    wait_saved(app, &id, "\"charter_capital\":2000000000").await?;
    b.reload().await?;
    b.wait_for(
        "[data-field='facts.members.official']",
        htx_e2e::app::APP_TIMEOUT,
    )
    .await?;
    ensure!(
        field_value(app, "facts.members.official").await? == "120",
        "members lost on reload"
    );
    ensure!(
        field_value(app, "facts.charter_capital").await? == "2.000.000.000",
        "capital lost on reload or not shown with thousands separators"
    );

    // A typing mistake is explained in Vietnamese next to the field.
    set_field(app, "facts.workers", "mười lăm").await?;
    b.wait_for_text(
        "[data-error-for='facts.workers']",
        "không phải là số nguyên",
        UI_TIMEOUT,
    )
    .await?;

    // Finalizing an incomplete visit: errors in Vietnamese, next to their fields.
    b.click("[data-testid=finalize]").await?;
    let summary = b
        .wait_for_text(
            "[data-testid=finalize-errors]",
            "Chưa thể hoàn tất",
            UI_TIMEOUT,
        )
        .await?;
    ensure!(
        summary.contains("bắt buộc nhập"),
        "error summary is not in Vietnamese: {summary}"
    );
    b.wait_for_text(
        "[data-error-for='facts.director.gender']",
        "Giới tính giám đốc: bắt buộc nhập",
        UI_TIMEOUT,
    )
    .await?;
    b.screenshot("field-visit-errors").await?;
    ensure!(
        b.attr("[data-testid=visit-status]", "data-status")
            .await?
            .as_deref()
            == Some("draft"),
        "a visit with errors must stay a draft"
    );

    // Complete it.
    for (path, value) in COOPERATIVE_FACTS.iter().chain(PLAN_ANSWERS) {
        set_field(app, path, value)
            .await
            .with_context(|| format!("setting {path}"))?;
    }
    for (code, p) in split(Points::whole(86)) {
        set_points(app, &code, &p.to_string()).await?;
    }
    b.wait_for_attr(
        "[data-testid=running-grade]",
        "data-grade",
        "good",
        UI_TIMEOUT,
    )
    .await?;
    b.screenshot("field-visit-form").await?;
    b.click("[data-testid=finalize]").await?;
    b.wait_for("[data-testid=finalized]", UI_TIMEOUT)
        .await
        .context("the complete visit did not finalize")?;
    b.wait_for_attr(
        "[data-testid=visit-status]",
        "data-status",
        "waiting",
        UI_TIMEOUT,
    )
    .await?;
    // The header says so on every page.
    b.wait_for_text("[data-testid=pending-badge]", "1 chờ đồng bộ", UI_TIMEOUT)
        .await?;

    // Home shows it waiting to sync, after another reload, still offline.
    app.goto("/").await?;
    app.wait_home().await?;
    b.wait_for_text("[data-testid=pending-badge]", "1 chờ đồng bộ", UI_TIMEOUT)
        .await?;
    b.wait_for_text("[data-testid=count-waiting]", "1", UI_TIMEOUT)
        .await?;
    ensure!(
        b.text("[data-testid=count-draft]").await?.trim() == "0",
        "the finalized visit is still counted as a draft"
    );
    b.wait_for_text(
        "ul[data-testid=visit-list] li[data-status=waiting]",
        ORG,
        UI_TIMEOUT,
    )
    .await?;
    b.screenshot("field-home-waiting").await?;
    // With the badge and "Ngoại tuyến" both shown, the app's name is still
    // there, whole (it was squeezed out of a 360 px top bar).
    let title = b
        .exec(
            "const t = document.querySelector('.brand-title'); \
             const r = t.getBoundingClientRect(); \
             return [r.width, t.scrollWidth - t.clientWidth, r.right <= innerWidth];",
        )
        .await?;
    ensure!(
        title[0].as_f64().unwrap_or(0.0) > 40.0
            && title[1].as_f64() == Some(0.0)
            && title[2] == true,
        "the app's name is cut or hidden beside the pending badge: {title}"
    );

    // A final visit is read-only until edited; editing makes it a draft again
    // (same revision: the server has not received it).
    b.click("ul[data-testid=visit-list] li[data-status=waiting] a")
        .await?;
    b.wait_for("[data-testid=edit-visit]", UI_TIMEOUT).await?;
    let disabled = b
        .find("[data-field='facts.workers']")
        .await?
        .prop("disabled")
        .await?;
    ensure!(
        disabled.as_deref() == Some("true"),
        "a final visit's fields are editable without 'Sửa'"
    );
    b.click("[data-testid=edit-visit]").await?;
    b.wait_for_attr(
        "[data-testid=visit-status]",
        "data-status",
        "draft",
        UI_TIMEOUT,
    )
    .await?;
    ensure!(
        b.text("[data-testid=visit-revision]").await?.trim() == "0",
        "an unsent visit got a new revision"
    );
    // Taken back to edit: nothing waits any more.
    b.wait_for_absent("[data-testid=pending-badge]", UI_TIMEOUT)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- (2)

#[tokio::test(flavor = "multi_thread")]
async fn score_sheet_grade_edges() {
    let app = TestApp::start("score_sheet_grade_edges").await;
    let r = grade_edges_body(&app).await;
    app.finish(r).await;
}

async fn grade_edges_body(app: &TestApp) -> Result<()> {
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    find_and_open(app, "tan hiep", ORG).await?;
    start_visit(app).await?;
    let b = &app.browser;
    // TT 01/2020 bands: tốt ≥ 80, khá ≥ 65, trung bình ≥ 50, yếu below.
    let mut shown: Vec<(String, Points)> = items()
        .into_iter()
        .map(|(c, _)| (c, Points::ZERO))
        .collect();
    for (centi, grade, label) in [
        (8000, "good", "Tốt"),
        (7999, "fair", "Khá"),
        (6500, "fair", "Khá"),
        (6499, "average", "Trung bình"),
        (5000, "average", "Trung bình"),
        (4999, "weak", "Yếu"),
        (10000, "good", "Tốt"),
    ] {
        let want = split(Points::from_centi(centi));
        for ((code, p), (_, old)) in want.iter().zip(shown.iter()) {
            if p != old {
                // Vietnamese decimal comma, as typed on the phone.
                set_points(app, code, &p.to_string().replace('.', ",")).await?;
            }
        }
        shown = want;
        let total = Points::from_centi(centi).to_string();
        b.wait_for_text("[data-testid=running-total]", &total, UI_TIMEOUT)
            .await
            .with_context(|| format!("total {total}"))?;
        b.wait_for_attr(
            "[data-testid=running-grade]",
            "data-grade",
            grade,
            UI_TIMEOUT,
        )
        .await
        .with_context(|| format!("grade at {total}"))?;
        let text = b.text("[data-testid=running-grade]").await?;
        ensure!(
            text.trim() == label,
            "at {total} the grade reads {text:?}, expected {label:?}"
        );
    }
    // The rating facts: halted more than three months of the year, the
    // organisation is not rated whatever its points; back to 0 days, the grade
    // returns. Days beyond a year are refused next to the field.
    let halted = "[data-field='score_sheet.facts.halted_days_in_year']";
    b.fill(halted, "400").await?;
    b.wait_for_text(
        "[data-error-for='score_sheet.facts.halted_days_in_year']",
        "366",
        UI_TIMEOUT,
    )
    .await?;
    b.fill(halted, "120").await?;
    b.wait_for_attr("[data-testid=running-grade]", "data-grade", "", UI_TIMEOUT)
        .await?;
    b.wait_for_text(
        "[data-testid=running-score]",
        "Không xếp loại: ngừng hoạt động 120 ngày",
        UI_TIMEOUT,
    )
    .await?;
    b.exec(
        "document.querySelector('.rating-facts').scrollIntoView({block: 'start'}); return true;",
    )
    .await?;
    b.screenshot("field-rating-facts").await?;
    b.fill(halted, "0").await?;
    b.wait_for_attr(
        "[data-testid=running-grade]",
        "data-grade",
        "good",
        UI_TIMEOUT,
    )
    .await?;
    let registry = b.text("[data-testid=registry-facts]").await?;
    ensure!(
        registry.contains("Ngày thành lập"),
        "the registry's facts are shown: {registry:?}"
    );

    // More than an item's maximum is refused next to the item.
    let (code, max) = items().into_iter().next().unwrap();
    set_points(app, &code, &(max.centi() / 100 + 1).to_string()).await?;
    b.wait_for_text(
        &format!("[data-error-for='score_sheet.points.{code}']"),
        "Tối đa",
        UI_TIMEOUT,
    )
    .await?;

    // Search filters: the kind filter keeps only tổ hợp tác.
    b.click("nav.tabs a[href='/orgs']").await?;
    b.wait_for("[data-testid=filter-kind]", UI_TIMEOUT).await?;
    b.click("details.filters > summary").await?;
    b.screenshot("field-search").await?;
    b.find("[data-testid=filter-kind]")
        .await?
        .select_by_value("cooperative_group")
        .await?;
    b.wait_for_text(
        "[data-testid=org-results]",
        "Tổ hợp tác nuôi tôm An Minh",
        UI_TIMEOUT,
    )
    .await?;
    let listed = b.text("[data-testid=org-results]").await?;
    ensure!(
        !listed.contains(ORG),
        "the kind filter still lists a hợp tác xã: {listed}"
    );
    Ok(())
}

// ---------------------------------------------------------------- (2b)

#[tokio::test(flavor = "multi_thread")]
async fn the_form_in_parts_shows_each_parts_state_and_a_reload_keeps_the_part() {
    let app = TestApp::start("form_in_parts").await;
    let r = form_in_parts_body(&app).await;
    app.finish(r).await;
}

fn part_link(part: &str) -> String {
    format!("[data-testid=part-nav] [data-part-link='{part}']")
}

async fn wait_part_state(app: &TestApp, part: &str, state: &str) -> Result<()> {
    app.browser
        .wait_for_attr(&part_link(part), "data-state", state, UI_TIMEOUT)
        .await
        .with_context(|| format!("part {part} {state}"))
}

async fn wait_part_shown(app: &TestApp, part: &str) -> Result<()> {
    let b = &app.browser;
    b.wait_for_attr(&part_link(part), "aria-current", "step", UI_TIMEOUT)
        .await?;
    b.wait_for(
        &format!("section[data-part='{part}']:not([hidden])"),
        UI_TIMEOUT,
    )
    .await?;
    let shown = b
        .exec("return [...document.querySelectorAll('section[data-part]')].filter(s => !s.hidden).map(s => s.dataset.part);")
        .await?;
    ensure!(
        shown == serde_json::json!([part]),
        "parts on screen: {shown}"
    );
    Ok(())
}

async fn form_in_parts_body(app: &TestApp) -> Result<()> {
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    find_and_open(app, "tan hiep", ORG).await?;
    let id = start_visit(app).await?;
    let b = &app.browser;
    // A new visit opens on its first part, with nothing started.
    for part in ["facts", "plan", "score", "photos", "notes"] {
        wait_part_state(app, part, "not_started").await?;
    }
    wait_part_shown(app, "facts").await?;

    // One fact: in progress; every fact a cooperative needs: complete.
    set_field(app, "facts.members.official", "120").await?;
    wait_part_state(app, "facts", "in_progress").await?;
    set_field(app, "facts.charter_capital", "2.000.000.000").await?;
    for (path, value) in COOPERATIVE_FACTS {
        set_field(app, path, value).await?;
    }
    wait_part_state(app, "facts", "complete").await?;

    // "Next part" opens the plan indicators; a refused value marks the part
    // until it is fixed.
    b.click("section[data-part='facts'] [data-testid=next-part]")
        .await?;
    wait_part_shown(app, "plan").await?;
    ensure!(
        b.current_url().await?.ends_with("?part=plan"),
        "the part is not in the URL"
    );
    set_field(app, "plan.land_area_m2", "hai mẫu").await?;
    wait_part_state(app, "plan", "errors").await?;
    set_field(app, "plan.land_area_m2", "20000").await?;
    wait_part_state(app, "plan", "in_progress").await?;

    // The score sheet from the navigator; the running total stays in view
    // on the other parts.
    b.click(&part_link("score")).await?;
    wait_part_shown(app, "score").await?;
    let scored: Vec<(String, Points)> = split(Points::whole(10))
        .into_iter()
        .filter(|(_, p)| *p > Points::ZERO)
        .collect();
    for (code, p) in &scored {
        set_points(app, code, &p.to_string()).await?;
    }
    b.wait_for_text("[data-testid=running-total]", "10", UI_TIMEOUT)
        .await?;
    wait_part_state(app, "score", "in_progress").await?;
    b.click(&part_link("photos")).await?;
    wait_part_shown(app, "photos").await?;
    ensure!(
        b.find("[data-testid=running-total]")
            .await?
            .is_displayed()
            .await?,
        "the running total is not in view on the photos part"
    );
    b.screenshot("field-form-parts").await?;

    // A reload returns to the same part and draft.
    b.click(&part_link("score")).await?;
    wait_part_shown(app, "score").await?;
    wait_saved(app, &id, "\"points\"").await?;
    b.reload().await?;
    wait_part_shown(app, "score").await?;
    let (code, p) = &scored[0];
    let typed = b
        .find(&format!("[data-score='{code}']"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    ensure!(
        typed == p.to_string(),
        "points of {code} after reload: {typed:?}"
    );
    wait_part_state(app, "facts", "complete").await?;
    wait_part_state(app, "plan", "in_progress").await?;

    // "Hoàn tất" with the plan and the sheet unfinished: the first error's
    // part opens; each listed error leads to its field.
    b.click("[data-testid=finalize]").await?;
    b.wait_for("[data-testid=finalize-errors]", UI_TIMEOUT)
        .await?;
    wait_part_shown(app, "plan").await?;
    wait_part_state(app, "plan", "errors").await?;
    wait_part_state(app, "score", "errors").await?;
    wait_part_state(app, "facts", "complete").await?;
    let link = "[data-testid=finalize-errors] a[data-error-link^='score_sheet.points.']";
    let path = b.attr(link, "data-error-link").await?.unwrap_or_default();
    b.click(link).await?;
    wait_part_shown(app, "score").await?;
    let want = format!("s-{}", path.trim_start_matches("score_sheet.points."));
    b.wait_for_js(
        &format!("document.activeElement && document.activeElement.id === '{want}'"),
        UI_TIMEOUT,
    )
    .await
    .context("the error's link does not put the cursor in its field")?;

    // Fixing the plan clears its mark.
    b.click(&part_link("plan")).await?;
    for (path, value) in PLAN_ANSWERS {
        set_field(app, path, value).await?;
    }
    wait_part_state(app, "plan", "complete").await?;
    Ok(())
}

// ---------------------------------------------------------------- (3)

const CAPTURE_DOWNLOAD_JS: &str = "window.__exported = null; const orig = URL.createObjectURL; \
    URL.createObjectURL = function (blob) { blob.text().then(t => { window.__exported = t; }); return orig.call(URL, blob); }; \
    return true;";

#[tokio::test(flavor = "multi_thread")]
async fn export_and_import_round_trip() {
    let app = TestApp::start("export_and_import_round_trip").await;
    let r = round_trip_body(&app).await;
    app.finish(r).await;
}

async fn round_trip_body(app: &TestApp) -> Result<()> {
    let b = &app.browser;
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    let mut ids = Vec::new();
    for (query, name, notes) in [
        (ORG_QUERY, ORG, "Gặp giám đốc, sổ sách đầy đủ"),
        ("thanh dong", "Thạnh Đông", "Hẹn quay lại tháng sau"),
    ] {
        find_and_open(app, query, name).await?;
        let id = start_visit(app).await?;
        b.fill("[data-testid=visit-notes]", notes).await?;
        wait_saved(app, &id, notes).await?;
        ids.push((id, notes));
    }
    // The second visit has a photo: it must travel in the file too.
    let icon = htx_e2e::paths::workspace_root().join("public/icons/icon-192.png");
    pick_photo_file(b, &icon).await?;
    let photo = wait_photos(b, 1).await?.remove(0).0;
    wait_saved(app, &ids[1].0, &photo).await?;

    // Export on this device (the file's bytes are taken from the download).
    b.click("nav.tabs a[href='/storage']").await?;
    b.wait_for("[data-testid=export-button]", UI_TIMEOUT)
        .await?;
    b.screenshot("field-storage").await?;
    b.exec(CAPTURE_DOWNLOAD_JS).await?;
    b.click("[data-testid=export-button]").await?;
    b.wait_for_text("[data-testid=handover-result]", "2", UI_TIMEOUT)
        .await?;
    let exported = b.wait_for_js("window.__exported", UI_TIMEOUT).await?;
    let text = exported.as_str().context("export is not text")?.to_string();
    let bundle =
        htx_core::export::ExportBundle::from_json(&text).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    ensure!(
        bundle.visits.len() == 2,
        "export holds {} visits",
        bundle.visits.len()
    );
    ensure!(
        bundle.photos.len() == 1 && bundle.photos[0].bytes() == Some(std::fs::read(&icon)?),
        "the export does not carry the photo as taken"
    );
    let file = tempfile::Builder::new().suffix(".json").tempfile()?;
    std::fs::write(file.path(), &text)?;

    // Import on another device (a fresh browser profile), twice: no duplicates.
    let other = Browser::start().await?;
    let r = async {
        other.goto(&app.url("/storage")).await?;
        other
            .wait_for("[data-testid=import-file]", htx_e2e::app::APP_TIMEOUT)
            .await?;
        for expected in ["2 mới", "0 mới, 2 đã có"] {
            other
                .find("[data-testid=import-file]")
                .await?
                .send_keys(&file.path().display().to_string())
                .await?;
            let said = other
                .wait_for_text("[data-testid=handover-result]", expected, UI_TIMEOUT)
                .await?;
            ensure!(
                said.ends_with("· 1 ảnh"),
                "the import does not count the photo: {said}"
            );
        }
        // They are canbo1's: nobody else sees them on this device...
        other.goto(&app.url("/")).await?;
        other.wait_for("main[data-testid=home]", UI_TIMEOUT).await?;
        other
            .wait_for_text("[data-testid=other-accounts]", "2", UI_TIMEOUT)
            .await?;
        ensure!(
            other.text("[data-testid=count-draft]").await?.trim() == "0",
            "another account's drafts are listed"
        );
        // ...until canbo1 signs in there.
        sign_in_on(app, &other, OFFICER.0, OFFICER.1).await?;
        other
            .wait_for_text("[data-testid=count-draft]", "2", UI_TIMEOUT)
            .await?;
        for (id, notes) in &ids {
            other.goto(&app.url(&format!("/visits/{id}"))).await?;
            let el = other
                .wait_for("[data-testid=visit-notes]", UI_TIMEOUT)
                .await?;
            let got = el.prop("value").await?.unwrap_or_default();
            ensure!(got == *notes, "imported visit {id} has notes {got:?}");
        }
        // The photo came with its visit (the last one opened).
        let shown = wait_photos(&other, 1)
            .await
            .context("the imported visit's photo")?;
        ensure!(shown[0].0 == photo, "the imported photo is {shown:?}");
        Ok(())
    }
    .await;
    let _ = other.close().await;
    r
}

// ---------------------------------------------------------------- (4)

/// Photos taken with no connection: a camera-sized photo is shrunk before it
/// is stored, a file that is no image is refused with the reason, the same
/// picture twice is one photo, and a reload keeps photos and captions.
#[tokio::test(flavor = "multi_thread")]
async fn photos_on_a_visit_offline() {
    let mut app = TestApp::start("photos_on_a_visit_offline").await;
    let r = photos_body(&mut app).await;
    app.finish(r).await;
}

async fn photos_body(app: &mut TestApp) -> Result<()> {
    let b = &app.browser;
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    wait_offline_ready(app).await?;
    app.server.stop().await?;
    b.reload().await?;
    app.wait_home().await?;
    find_and_open(app, ORG_QUERY, ORG).await?;
    let id = start_visit(app).await?;
    let root = htx_e2e::paths::workspace_root();
    b.click(&part_link("photos")).await?;
    wait_part_shown(app, "photos").await?;

    // Not an image: refused, named, nothing attached.
    pick_photo_file(b, &root.join("Cargo.toml")).await?;
    let error = b
        .wait_for_text("[data-testid=photo-error]", "Cargo.toml", UI_TIMEOUT)
        .await?;
    ensure!(
        error.contains("không phải ảnh"),
        "the refusal does not say why, in Vietnamese: {error}"
    );
    ensure!(
        b.find_all("[data-testid=photo-item]").await?.is_empty(),
        "a non-image was attached"
    );

    // A small PNG is kept as it is; a 4000×3000 photo is shrunk to 1600×1200.
    let icon = root.join("public/icons/icon-192.png");
    pick_photo_file(b, &icon).await?;
    let shown = wait_photos(b, 1).await?;
    ensure!(shown[0].1 == 192, "the small photo was redrawn: {shown:?}");
    ensure!(
        shown[0].0 == htx_core::photo::sha256_hex(&std::fs::read(&icon)?),
        "a photo kept as taken is named by the SHA-256 of the file's bytes"
    );
    pick_drawn_photo(b, 4000, 3000).await?;
    let shown = wait_photos(b, 2).await?;
    ensure!(
        (shown[1].1, shown[1].2) == (1600, 1200),
        "the camera-sized photo is stored at {shown:?}"
    );
    // The same picture again is still one photo.
    pick_photo_file(b, &icon).await?;
    b.wait_for_absent("[data-testid=photo-busy]", UI_TIMEOUT)
        .await?;
    ensure!(
        wait_photos(b, 2).await?.len() == 2,
        "the same picture was attached twice"
    );

    let caption = "Bảng hiệu trước trụ sở HTX";
    b.fill(
        "[data-testid=photo-item]:first-child [data-testid=photo-caption]",
        caption,
    )
    .await?;
    // `change` fires when the field loses focus.
    b.click("[data-testid=visit-notes]").await?;
    wait_saved(app, &id, caption).await?;
    wait_saved(app, &id, &shown[1].0).await?;
    b.click(&part_link("photos")).await?;
    wait_part_shown(app, "photos").await?;
    b.screenshot("field-photos").await?;

    // Reloaded with no connection: the photos come back from the device.
    b.reload().await?;
    let again = wait_photos(b, 2).await.context("photos lost on reload")?;
    ensure!(
        again == shown,
        "photos changed on reload: {again:?} vs {shown:?}"
    );
    let kept = b
        .find("[data-testid=photo-item]:first-child [data-testid=photo-caption]")
        .await?
        .prop("value")
        .await?;
    ensure!(
        kept.as_deref() == Some(caption),
        "caption lost on reload: {kept:?}"
    );
    ensure!(
        b.attr("[data-testid=photo-item] img", "data-uploaded")
            .await?
            .as_deref()
            == Some("false"),
        "a photo taken offline cannot be on the server yet"
    );

    // Removing one leaves the other.
    b.click("[data-testid=photo-item]:nth-child(2) [data-testid=photo-remove]")
        .await?;
    let left = wait_photos(b, 1).await?;
    ensure!(left[0].0 == shown[0].0, "the wrong photo was removed");
    htx_e2e::poll_until("the removal saved", UI_TIMEOUT, || async {
        let v = b
            .exec_promise(&format!(
                "new Promise(ok => {{ const r = indexedDB.open('htx-survey'); r.onsuccess = () => {{ \
                 const g = r.result.transaction('visits').objectStore('visits').get('{id}'); \
                 g.onsuccess = () => {{ r.result.close(); ok(g.result.photos.length); }}; }}; }})"
            ))
            .await?;
        Ok((v.as_u64() == Some(1)).then_some(()))
    })
    .await?;

    // The removed photo still takes space until the officer clears unused
    // photos on the storage page; the one in use stays.
    b.click("nav.tabs a[href='/storage']").await?;
    b.wait_for_attr("[data-testid=photo-usage]", "data-count", "2", UI_TIMEOUT)
        .await?;
    b.click("[data-testid=prune-photos]").await?;
    let said = b
        .wait_for_text("[data-testid=pruned]", "Đã xóa 1 ảnh", UI_TIMEOUT)
        .await?;
    ensure!(said.contains(" KB"), "the space freed is not shown: {said}");
    b.wait_for_attr("[data-testid=photo-usage]", "data-count", "1", UI_TIMEOUT)
        .await?;
    b.screenshot("field-storage-photos").await?;
    app.goto(&format!("/visits/{id}")).await?;
    ensure!(
        wait_photos(b, 1).await?[0].0 == shown[0].0,
        "the photo in use was deleted"
    );
    Ok(())
}

// ---------------------------------------------------------------- (6)

/// "Hoàn tất" refused for a reason no part holds (the visit starts in the
/// future: the phone's clock was wrong when it began): the list of reasons,
/// at the top of the form, is scrolled into view and focused, since the
/// officer tapped at the bottom of a long part.
#[tokio::test(flavor = "multi_thread")]
async fn a_finalize_refused_for_the_clock_shows_why_in_view() {
    let app = TestApp::start("finalize_clock").await;
    let r = finalize_clock_body(&app).await;
    app.finish(r).await;
}

async fn finalize_clock_body(app: &TestApp) -> Result<()> {
    use htx_e2e::sync::{final_visits, officer_organisations, store_on_device};
    sign_in(app, OFFICER.0, OFFICER.1).await?;
    let orgs = officer_organisations(app, OFFICER.0, OFFICER.1).await?;
    let mut visit = final_visits(&orgs, 1)?.remove(0);
    visit.state = htx_core::VisitState::Draft;
    visit.finished_at = None;
    visit.started_at += chrono::Duration::days(2);
    store_on_device(app, &orgs, std::slice::from_ref(&visit)).await?;

    let b = &app.browser;
    app.goto(&format!("/visits/{}", visit.id)).await?;
    b.wait_for("[data-testid=finalize]", UI_TIMEOUT).await?;
    b.click("[data-testid=finalize]").await?;
    b.wait_for_text(
        "[data-testid=finalize-errors]",
        "Thời gian bắt đầu",
        UI_TIMEOUT,
    )
    .await?;
    // Each reason names its field once.
    let said = b
        .text("[data-testid=finalize-errors] li[data-error-path=started_at]")
        .await?;
    ensure!(
        said.trim() == "Thời gian bắt đầu: không được ở tương lai",
        "the reason reads {said:?}"
    );
    // Below the sticky top bar, inside the window, and focused.
    htx_e2e::poll_until("the refusal in view and focused", UI_TIMEOUT, || async {
        let v = b
            .exec(
                "const e = document.querySelector('[data-testid=finalize-errors]'); \
                 const r = e.getBoundingClientRect(); \
                 const bar = document.querySelector('.topbar').getBoundingClientRect().bottom; \
                 return r.top >= bar && r.top < innerHeight && document.activeElement === e;",
            )
            .await?;
        Ok((v == serde_json::json!(true)).then_some(()))
    })
    .await?;
    b.screenshot("field-finalize-clock").await?;
    ensure!(
        b.attr("[data-testid=visit-status]", "data-status")
            .await?
            .as_deref()
            == Some("draft"),
        "a refused visit must stay a draft"
    );
    Ok(())
}
