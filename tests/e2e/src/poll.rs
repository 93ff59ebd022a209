//! Polling with a deadline.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

/// How often the helpers poll.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Calls `probe` every [`POLL_INTERVAL`] until it returns `Ok(Some(v))`, and
/// returns `v`. `Ok(None)` and `Err(_)` both mean "not yet" (a page being
/// reloaded makes WebDriver calls fail for a moment); after `timeout` the
/// error names `what` and the last error or "still not ready".
pub async fn poll_until<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let last_err = match probe().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => None,
            Err(e) => Some(e),
        };
        if Instant::now() >= deadline {
            return Err(match last_err {
                Some(e) => {
                    anyhow!("timed out after {timeout:?} waiting for {what}; last error: {e:#}")
                }
                None => anyhow!("timed out after {timeout:?} waiting for {what}"),
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}
