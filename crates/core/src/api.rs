//! The HTTP API's edge, shared by the server that answers and the app that
//! asks (as [`crate::sync`] is for the sync protocol): sign-in, roles, the
//! error envelope every refusal uses, and the review and merge bodies.
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::review::ReviewDecision;

/// What an account may do.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Cán bộ: records visits of the assigned places.
    Officer,
    /// Kiểm duyệt: reviews visits everywhere in scope.
    Reviewer,
    /// Quản trị: also manages accounts and rubrics.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Officer, Role::Reviewer, Role::Admin];

    /// The stable code (API, database).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Officer => "officer",
            Self::Reviewer => "reviewer",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Officer => "Cán bộ khảo sát",
            Self::Reviewer => "Kiểm duyệt",
            Self::Admin => "Quản trị",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Officer => "Field officer",
            Self::Reviewer => "Reviewer",
            Self::Admin => "Admin",
        }
    }

    /// Alliance staff: the review console is theirs.
    pub fn is_staff(self) -> bool {
        matches!(self, Self::Reviewer | Self::Admin)
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The answer to a sign-in.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LoginResponse {
    pub token: String,
    pub token_type: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    pub expires_in_secs: u64,
    pub user: UserInfo,
}

/// Who signed in.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Assigned commune codes (officers).
    #[serde(default)]
    pub places: Vec<String>,
}

/// Every refusal of the API: `{"error":{"code","message",…}}`, the code
/// stable (never renamed), the rest for people.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ErrorEnvelope {
    pub error: ErrorDetail,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    /// The Vietnamese message, where the server has one for the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_vi: Option<String>,
    /// The refused field's path (code `invalid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// When to try again (429, 503).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// Every refused row of a registry file (code `invalid_rows`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<crate::registry::RowError>,
}

impl ErrorEnvelope {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> ErrorEnvelope {
        ErrorEnvelope {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
                message_vi: None,
                field: None,
                retry_after_secs: None,
                rows: Vec::new(),
            },
        }
    }
}

/// `POST /api/v1/reviews`: a reviewer's decision on one revision.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct NewReview {
    pub visit_id: Uuid,
    pub revision: u32,
    pub decision: ReviewDecision,
    #[serde(default)]
    pub comment: String,
}

/// `POST /api/v1/organisations/{id}/merge`: the registry organisation the
/// one found in the field is.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MergeRequest {
    pub into: Uuid,
}

/// An account as admins see it (`GET /api/v1/users`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct UserSummary {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Assigned communes (officers).
    pub places: Vec<String>,
    /// Places a reviewer or admin works in (empty: everywhere).
    pub scopes: Vec<crate::PlaceRef>,
}

/// A published rubric version (`GET /api/v1/rubrics`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RubricSummary {
    pub id: String,
    pub version: u32,
    pub title_vi: String,
    pub legal_basis: String,
    pub valid_from: chrono::NaiveDate,
    #[serde(default)]
    pub valid_until: Option<chrono::NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_from_their_codes_and_serde_agrees() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(Role::parse("Admin"), None);
        assert!(Role::Admin.is_staff() && Role::Reviewer.is_staff() && !Role::Officer.is_staff());
    }

    #[test]
    fn the_envelope_carries_only_what_is_set() {
        let e = ErrorEnvelope::new("invalid_query", "page: invalid digit");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({ "error": { "code": "invalid_query", "message": "page: invalid digit" } })
        );
        let back: ErrorEnvelope = serde_json::from_str(
            r#"{"error":{"code":"forbidden","message":"x","message_vi":"y"}}"#,
        )
        .unwrap();
        assert_eq!(back.error.message_vi.as_deref(), Some("y"));
    }
}
