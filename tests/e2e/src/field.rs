//! Steps an officer takes in the field app, for the end-to-end tests.
//! DOM contract: `data-testid`s and `[data-field=<path>]` / `[data-score=<code>]`
//! inputs of the visit form (paths as in `htx_core::form`).

use std::time::Duration;

use anyhow::{anyhow, Context, Result};

use crate::{Browser, TestApp};

pub const UI_TIMEOUT: Duration = Duration::from_secs(15);

/// The demo officer of the first 20 demo organisations.
pub const OFFICER: (&str, &str) = ("canbo1", "canbo1-demo");

/// Signs in while online; the app downloads the officer's area and goes home.
pub async fn sign_in(app: &TestApp, user: &str, password: &str) -> Result<()> {
    sign_in_on(app, &app.browser, user, password).await
}

/// [`sign_in`] in browser `b` (a second device).
pub async fn sign_in_on(app: &TestApp, b: &Browser, user: &str, password: &str) -> Result<()> {
    b.goto(&app.url("/signin")).await?;
    b.wait_for("[data-testid=signin-username]", crate::app::APP_TIMEOUT)
        .await?;
    b.fill("[data-testid=signin-username]", user).await?;
    b.fill("[data-testid=signin-password]", password).await?;
    b.click("[data-testid=signin-submit]").await?;
    b.wait_for("main[data-testid=home]", crate::app::APP_TIMEOUT)
        .await
        .context("home after sign-in")?;
    let orgs = crate::poll_until("organisations downloaded", UI_TIMEOUT, || async {
        let n: u64 = b
            .text("[data-testid=stored-orgs-count]")
            .await?
            .trim()
            .parse()
            .unwrap_or(0);
        Ok((n > 0).then_some(n))
    })
    .await?;
    eprintln!(
        "[{}] signed in as {user}: {orgs} organisations on the device",
        app.name
    );
    Ok(())
}

/// Opens the search page (by the bottom tab, no reload), types `query` and
/// opens the result whose name contains `name`.
pub async fn find_and_open(app: &TestApp, query: &str, name: &str) -> Result<()> {
    let b = &app.browser;
    b.click("nav.tabs a[href='/orgs']").await?;
    b.wait_for("[data-testid=org-search]", UI_TIMEOUT).await?;
    b.fill("[data-testid=org-search]", query).await?;
    b.wait_for_text("[data-testid=org-results]", name, UI_TIMEOUT)
        .await
        .with_context(|| format!("searching {query:?} does not list {name:?}"))?;
    let items = b.find_all("[data-testid=org-result] a").await?;
    for item in items {
        if item.text().await?.contains(name) {
            item.click().await?;
            b.wait_for_text("[data-testid=org-name]", name, UI_TIMEOUT)
                .await?;
            return Ok(());
        }
    }
    Err(anyhow!("no result link for {name:?}"))
}

/// On an organisation page: starts a visit and returns its id (from the URL).
pub async fn start_visit(app: &TestApp) -> Result<String> {
    let b = &app.browser;
    b.click("[data-testid=start-visit-here]").await?;
    b.wait_for(
        "[data-testid=visit-page] [data-testid=finalize]",
        UI_TIMEOUT,
    )
    .await?;
    let url = b.current_url().await?;
    url.rsplit('/')
        .next()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no visit id in {url}"))
}

/// Types `value` into the form field `path` (a text input) or picks the
/// option `value` (a select), as a finger would.
pub async fn set_field(app: &TestApp, path: &str, value: &str) -> Result<()> {
    let b = &app.browser;
    let css = format!("[data-field='{path}']");
    let el = b.find(&css).await?;
    b.reveal(&el).await?;
    if el.prop("tagName").await?.as_deref() == Some("SELECT") {
        // Clear of the sticky bars, as a finger would pick it.
        b.exec_with(
            "arguments[0].scrollIntoView({block: 'center'}); return true;",
            vec![serde_json::to_value(&el)?],
        )
        .await?;
        el.select_by_value(value)
            .await
            .with_context(|| format!("select {value:?} in {path}"))?;
    } else {
        b.fill(&css, value).await?;
    }
    Ok(())
}

/// Types points for score-sheet item `code`.
pub async fn set_points(app: &TestApp, code: &str, value: &str) -> Result<()> {
    app.browser
        .fill(&format!("[data-score='{code}']"), value)
        .await
}

/// The value shown in the form field `path`.
pub async fn field_value(app: &TestApp, path: &str) -> Result<String> {
    let el = app.browser.find(&format!("[data-field='{path}']")).await?;
    Ok(el.prop("value").await?.unwrap_or_default())
}

/// Waits until the autosave has written the visit (the summary store says
/// so): reads IndexedDB directly, as a second observer.
pub async fn wait_saved(app: &TestApp, visit_id: &str, field_probe: &str) -> Result<()> {
    let expr = format!(
        "new Promise((ok, ko) => {{ const r = indexedDB.open('htx-survey'); r.onerror = () => ko(r.error); \
         r.onsuccess = () => {{ const db = r.result; const g = db.transaction('visits').objectStore('visits').get('{visit_id}'); \
         g.onsuccess = () => {{ db.close(); ok(JSON.stringify(g.result || null)); }}; g.onerror = () => ko(g.error); }}; }})"
    );
    crate::poll_until(
        &format!("visit {visit_id} saved with {field_probe}"),
        UI_TIMEOUT,
        || async {
            let v = app.browser.exec_promise(&expr).await?;
            Ok(v.as_str()
                .is_some_and(|s| s.contains(field_probe))
                .then_some(()))
        },
    )
    .await
}

/// Waits until the service worker controls the page and has cached the
/// app's wasm, so the app can start with the server gone.
pub async fn wait_offline_ready(app: &TestApp) -> Result<()> {
    let b = &app.browser;
    let controlled = "navigator.serviceWorker.controller !== null";
    if b.wait_for_js(controlled, Duration::from_secs(15))
        .await
        .is_err()
    {
        b.reload().await?;
        app.wait_home().await?;
        b.wait_for_js(controlled, Duration::from_secs(20))
            .await
            .context("no service worker controls the page")?;
    }
    let js = "(async () => { for (const k of await caches.keys()) { const c = await caches.open(k); \
              for (const r of await c.keys()) if (r.url.endsWith('.wasm')) return true; } return false; })()";
    crate::poll_until(
        "the app's wasm in Cache Storage",
        Duration::from_secs(30),
        || async { Ok(crate::browser::truthy(&b.exec_promise(js).await?).then_some(())) },
    )
    .await
}

/// Picks the image file at `path` in the visit's photo input, as the
/// phone's file chooser would hand it over.
pub async fn pick_photo_file(b: &Browser, path: &std::path::Path) -> Result<()> {
    let input = b.find("[data-testid=photo-input]").await?;
    input
        .send_keys(&path.display().to_string())
        .await
        .with_context(|| format!("picking {}", path.display()))
}

/// Hands the visit's photo input a `width`×`height` JPEG drawn in the page
/// (a camera-sized photo; no such file is kept in the repository).
pub async fn pick_drawn_photo(b: &Browser, width: u32, height: u32) -> Result<()> {
    let js = format!(
        "(async () => {{ const c = document.createElement('canvas'); c.width = {width}; c.height = {height}; \
         const g = c.getContext('2d'); const grad = g.createLinearGradient(0, 0, c.width, c.height); \
         grad.addColorStop(0, '#1b6e3a'); grad.addColorStop(1, '#f5be28'); g.fillStyle = grad; g.fillRect(0, 0, c.width, c.height); \
         g.fillStyle = '#fff'; g.font = '200px sans-serif'; g.fillText('HTX Tân Hiệp', 100, c.height / 2); \
         const blob = await new Promise(ok => c.toBlob(ok, 'image/jpeg', 0.95)); \
         const dt = new DataTransfer(); dt.items.add(new File([blob], 'IMG_20260301_0930.jpg', {{ type: 'image/jpeg' }})); \
         const input = document.querySelector('[data-testid=photo-input]'); input.files = dt.files; \
         input.dispatchEvent(new Event('change', {{ bubbles: true }})); return blob.size; }})()"
    );
    b.exec_promise(&js).await.map(|_| ())
}

/// Waits until `n` photos are listed with their pictures drawn; returns each
/// one's `[sha256, naturalWidth, naturalHeight]` in order.
pub async fn wait_photos(b: &Browser, n: usize) -> Result<Vec<(String, u64, u64)>> {
    let js = "return Array.from(document.querySelectorAll('[data-testid=photo-item]')).map(li => { \
              const img = li.querySelector('img[data-testid=photo-thumb]'); \
              return [li.dataset.sha256, img && img.complete ? img.naturalWidth : 0, img && img.complete ? img.naturalHeight : 0]; });";
    crate::poll_until(&format!("{n} photos shown"), UI_TIMEOUT, || async {
        let v = b.exec(js).await?;
        let rows: Vec<(String, u64, u64)> = v
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|r| {
                        (
                            r[0].as_str().unwrap_or_default().to_string(),
                            r[1].as_u64().unwrap_or(0),
                            r[2].as_u64().unwrap_or(0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok((rows.len() == n && rows.iter().all(|r| r.1 > 0)).then_some(rows))
    })
    .await
}
