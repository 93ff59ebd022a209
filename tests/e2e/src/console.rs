//! Steps alliance staff take in the review console, for the end-to-end tests.

use anyhow::{Context, Result};

use crate::field::UI_TIMEOUT;
use crate::{Browser, TestApp};

/// The demo reviewer, scoped to the demo province.
pub const REVIEWER: (&str, &str) = ("kiemduyet", "kiemduyet-demo");
/// The demo admin.
pub const ADMIN: (&str, &str) = ("quantri", "quantri-demo");

/// Signs a staff member in through the sign-in page of `b` (any browser of
/// `app`'s server); staff land on the review console with the staff tabs.
pub async fn staff_sign_in(app: &TestApp, b: &Browser, user: &str, password: &str) -> Result<()> {
    b.goto(&app.url("/signin")).await?;
    b.wait_for("[data-testid=signin-username]", crate::app::APP_TIMEOUT)
        .await?;
    b.fill("[data-testid=signin-username]", user).await?;
    b.fill("[data-testid=signin-password]", password).await?;
    b.click("[data-testid=signin-submit]").await?;
    b.wait_for(
        "[data-testid=review-list] [data-testid=review-total]",
        UI_TIMEOUT,
    )
    .await
    .context("the console after sign-in")?;
    b.wait_for("nav.tabs a[href='/review']", UI_TIMEOUT)
        .await
        .context("the staff tabs after sign-in")?;
    Ok(())
}
