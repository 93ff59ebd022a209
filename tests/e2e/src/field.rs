//! Steps an officer takes in the field app, for the end-to-end tests.
//! DOM contract: `data-testid`s and `[data-field=<path>]` / `[data-score=<code>]`
//! inputs of the visit form (paths as in `htx_core::form`).

use std::time::Duration;

use anyhow::{anyhow, Context, Result};

use crate::TestApp;

pub const UI_TIMEOUT: Duration = Duration::from_secs(15);

/// The demo officer of the first 20 demo organisations.
pub const OFFICER: (&str, &str) = ("canbo1", "canbo1-demo");

/// Signs in while online; the app downloads the officer's area and goes home.
pub async fn sign_in(app: &TestApp, user: &str, password: &str) -> Result<()> {
    let b = &app.browser;
    app.goto("/signin").await?;
    b.wait_for("[data-testid=signin-username]", crate::app::APP_TIMEOUT).await?;
    b.fill("[data-testid=signin-username]", user).await?;
    b.fill("[data-testid=signin-password]", password).await?;
    b.click("[data-testid=signin-submit]").await?;
    app.wait_home().await.context("home after sign-in")?;
    let orgs = crate::poll_until("organisations downloaded", UI_TIMEOUT, || async {
        let n: u64 = b.text("[data-testid=stored-orgs-count]").await?.trim().parse().unwrap_or(0);
        Ok((n > 0).then_some(n))
    })
    .await?;
    eprintln!("[{}] signed in as {user}: {orgs} organisations on the device", app.name);
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
            b.wait_for_text("[data-testid=org-name]", name, UI_TIMEOUT).await?;
            return Ok(());
        }
    }
    Err(anyhow!("no result link for {name:?}"))
}

/// On an organisation page: starts a visit and returns its id (from the URL).
pub async fn start_visit(app: &TestApp) -> Result<String> {
    let b = &app.browser;
    b.click("[data-testid=start-visit-here]").await?;
    b.wait_for("[data-testid=visit-page] [data-testid=finalize]", UI_TIMEOUT).await?;
    let url = b.current_url().await?;
    url.rsplit('/').next().map(str::to_string).ok_or_else(|| anyhow!("no visit id in {url}"))
}

/// Types `value` into the form field `path` (a text input) or picks the
/// option `value` (a select), as a finger would.
pub async fn set_field(app: &TestApp, path: &str, value: &str) -> Result<()> {
    let b = &app.browser;
    let css = format!("[data-field='{path}']");
    let el = b.find(&css).await?;
    if el.prop("tagName").await?.as_deref() == Some("SELECT") {
        el.select_by_value(value).await.with_context(|| format!("select {value:?} in {path}"))?;
    } else {
        b.fill(&css, value).await?;
    }
    Ok(())
}

/// Types points for score-sheet item `code`.
pub async fn set_points(app: &TestApp, code: &str, value: &str) -> Result<()> {
    app.browser.fill(&format!("[data-score='{code}']"), value).await
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
    crate::poll_until(&format!("visit {visit_id} saved with {field_probe}"), UI_TIMEOUT, || async {
        let v = app.browser.exec_promise(&expr).await?;
        Ok(v.as_str().is_some_and(|s| s.contains(field_probe)).then_some(()))
    })
    .await
}

/// Waits until the service worker controls the page and has cached the
/// app's wasm, so the app can start with the server gone.
pub async fn wait_offline_ready(app: &TestApp) -> Result<()> {
    let b = &app.browser;
    let controlled = "navigator.serviceWorker.controller !== null";
    if b.wait_for_js(controlled, Duration::from_secs(15)).await.is_err() {
        b.reload().await?;
        app.wait_home().await?;
        b.wait_for_js(controlled, Duration::from_secs(20)).await.context("no service worker controls the page")?;
    }
    let js = "(async () => { for (const k of await caches.keys()) { const c = await caches.open(k); \
              for (const r of await c.keys()) if (r.url.endsWith('.wasm')) return true; } return false; })()";
    crate::poll_until("the app's wasm in Cache Storage", Duration::from_secs(30), || async {
        Ok(crate::browser::truthy(&b.exec_promise(js).await?).then_some(()))
    })
    .await
}
