//! Sign-in throttling (issue 19): after a few wrong passwords for one
//! account, or from one client address, further attempts are refused for
//! the rest of the window, whatever the password, so a password cannot be
//! guessed without limit. A right password resets the account's count.
//!
//! Kept in memory: a restart forgets the counts (an attacker gains one more
//! window), and with several server processes each keeps its own, so the
//! bound is per process. The address limit is higher than the account's:
//! the officers of one office share one address behind its router.
//!
//! [`ClientAddr`] is the address the throttle counts: the connection's peer,
//! or, when the peer is a trusted reverse proxy (`--trusted-proxy`), the
//! address that proxy put last in `X-Forwarded-For`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::error::AppError;
use crate::state::AppState;

/// What is counted: one account, or one client address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Subject {
    Account(String),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    failures: u32,
    started: Instant,
}

/// Most subjects remembered at once; beyond it, expired windows are dropped
/// first (memory stays bounded under a flood of made-up usernames).
const MAX_SUBJECTS: usize = 100_000;

pub struct SignInThrottle {
    windows: Mutex<HashMap<Subject, Window>>,
    per_account: u32,
    per_address: u32,
    window: Duration,
}

impl SignInThrottle {
    pub fn new(per_account: u32, per_address: u32, window: Duration) -> Self {
        Self {
            windows: Mutex::default(),
            per_account: per_account.max(1),
            per_address: per_address.max(1),
            window,
        }
    }

    fn subjects(username: &str, addr: Option<IpAddr>) -> Vec<Subject> {
        let mut s = vec![Subject::Account(username.trim().to_lowercase())];
        s.extend(addr.map(Subject::Address));
        s
    }

    fn limit(&self, s: &Subject) -> u32 {
        match s {
            Subject::Account(_) => self.per_account,
            Subject::Address(_) => self.per_address,
        }
    }

    /// `Err(wait)` while the account or the address has used up its
    /// failures in the current window.
    pub fn check(&self, username: &str, addr: Option<IpAddr>) -> Result<(), Duration> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let mut wait = Duration::ZERO;
        for s in Self::subjects(username, addr) {
            if let Some(w) = windows.get(&s) {
                let ends = w.started + self.window;
                if w.failures >= self.limit(&s) && ends > now {
                    wait = wait.max(ends - now);
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait)
        }
    }

    /// Counts a wrong password against the account and the address.
    pub fn failed(&self, username: &str, addr: Option<IpAddr>) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if windows.len() >= MAX_SUBJECTS {
            windows.retain(|_, w| w.started + self.window > now);
        }
        for s in Self::subjects(username, addr) {
            let w = windows.entry(s).or_insert(Window {
                failures: 0,
                started: now,
            });
            if w.started + self.window <= now {
                *w = Window {
                    failures: 0,
                    started: now,
                };
            }
            w.failures += 1;
        }
    }

    /// A right password: the account starts afresh (the address does not:
    /// one right password must not unlock guessing at other accounts).
    pub fn succeeded(&self, username: &str) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.remove(&Subject::Account(username.trim().to_lowercase()));
    }
}

/// The client's address, as the throttle counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddr(client_address(
            peer,
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok()),
            &state.config.trusted_proxy,
        )))
    }
}

/// The peer, unless it is a trusted proxy that says whom it forwards for:
/// then the last address of `X-Forwarded-For` (the one that proxy added;
/// those before it are whatever the client claimed).
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    forwarded_for
        .and_then(|h| h.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok())
        .or(Some(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_attempt_waits_whatever_the_password() {
        let t = SignInThrottle::new(5, 20, Duration::from_secs(900));
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        for _ in 0..5 {
            assert!(t.check("canbo1", Some(ip)).is_ok());
            t.failed("canbo1", Some(ip));
        }
        let wait = t.check("CanBo1 ", Some(ip)).unwrap_err();
        assert!(wait > Duration::from_secs(890), "{wait:?}");
        // Another account from another address is not held up.
        assert!(t
            .check("canbo2", Some("198.51.100.1".parse().unwrap()))
            .is_ok());
        // A right password (checked before the limit was reached) resets the account.
        t.succeeded("canbo1");
        assert!(t
            .check("canbo1", Some("198.51.100.1".parse().unwrap()))
            .is_ok());
    }

    #[test]
    fn one_address_guessing_many_accounts_is_held_up_too() {
        let t = SignInThrottle::new(5, 3, Duration::from_secs(60));
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        for user in ["a1", "a2", "a3"] {
            t.failed(user, Some(ip));
        }
        assert!(t.check("a4", Some(ip)).is_err());
        assert!(t.check("a4", None).is_ok());
    }

    #[test]
    fn the_window_ends() {
        let t = SignInThrottle::new(1, 10, Duration::from_millis(30));
        t.failed("x", None);
        assert!(t.check("x", None).is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(t.check("x", None).is_ok());
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let client: IpAddr = "203.0.113.5".parse().unwrap();
        let header = Some("1.2.3.4, 203.0.113.5");
        assert_eq!(client_address(Some(proxy), header, &[proxy]), Some(client));
        assert_eq!(
            client_address(Some(client), header, &[proxy]),
            Some(client),
            "not a proxy"
        );
        assert_eq!(client_address(Some(proxy), None, &[proxy]), Some(proxy));
        assert_eq!(
            client_address(Some(proxy), Some("nonsense"), &[proxy]),
            Some(proxy)
        );
    }
}
