//! The officer's sign-in, kept in localStorage (gloo-storage): a bearer
//! token with its expiry. An expired token does not stop recording; it only
//! means "sign in again before the next exchange with the server".
use gloo_storage::{LocalStorage, Storage};
use htx_core::api::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const SESSION_KEY: &str = "htx.session";
const DEVICE_KEY: &str = "htx.device_id";

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Session {
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[serde(default)]
    pub places: Vec<String>,
}

impl Session {
    pub fn load() -> Option<Session> {
        LocalStorage::get(SESSION_KEY).ok()
    }

    pub fn save(&self) {
        let _ = LocalStorage::set(SESSION_KEY, self);
    }

    pub fn clear() {
        LocalStorage::delete(SESSION_KEY);
    }

    /// Alliance staff (reviewer, admin): the review console is theirs.
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }

    pub fn is_expired(&self) -> bool {
        chrono::DateTime::parse_from_rfc3339(&self.expires_at)
            .map(|t| t.timestamp_millis() <= js_sys::Date::now() as i64)
            .unwrap_or(true)
    }
}

/// Bumped when the user signs in, so views that depend on who is signed in
/// (the staff tabs) read the session again. Provided by the app shell.
#[derive(Clone, Copy)]
pub struct SessionChanged(pub leptos::prelude::RwSignal<u32>);

impl SessionChanged {
    pub fn notify(self) {
        use leptos::prelude::Update;
        self.0.update(|n| *n += 1);
    }
}

/// This device's id (sent with pushes and pulls), created once.
pub fn device_id() -> Uuid {
    if let Ok(id) = LocalStorage::get::<Uuid>(DEVICE_KEY) {
        return id;
    }
    let id = Uuid::now_v7();
    let _ = LocalStorage::set(DEVICE_KEY, id);
    id
}

/// The account whose visits this device shows and sends now: the signed-in
/// officer, even with an expired token (recording goes on), or "" when
/// nobody is signed in.
pub fn current_account() -> String {
    Session::load().map(|s| s.username).unwrap_or_default()
}

// Run in the browser with the storage tests (scripts/test.sh).
#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    /// A phone updated from a version that kept the role as free text keeps
    /// its sign-in: the stored session reads back, staff stay staff.
    #[test]
    fn a_session_stored_by_an_earlier_version_still_reads() {
        let stored = r#"{"token":"t","expires_at":"2026-12-31T00:00:00Z","username":"kiemduyet",
            "display_name":"Kiểm duyệt","role":"reviewer"}"#;
        let s: Session = serde_json::from_str(stored).unwrap();
        assert_eq!(s.role, Role::Reviewer);
        assert!(s.is_staff());
        assert!(s.places.is_empty());
        let officer = stored.replace("reviewer", "officer");
        assert!(!serde_json::from_str::<Session>(&officer)
            .unwrap()
            .is_staff());
        assert!(serde_json::from_str::<Session>(&stored.replace("reviewer", "boss")).is_err());
    }
}
