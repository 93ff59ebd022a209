//! Why a record is refused: a stable [`ErrorCode`] and a [`ValidationError`]
//! naming the field, with messages in Vietnamese and English. Shared by
//! validation, the sync protocol's answers and the app's lists.
use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable error codes (serialised snake_case; never renamed).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Missing where required (final visit, mandatory field).
    Required,
    /// Outside the field's sane range.
    OutOfRange,
    /// Text too long.
    TooLong,
    /// Dated in the future.
    InFuture,
    /// Ends before it starts / dated implausibly early.
    BeforeStart,
    /// A part exceeds its whole (e.g. degree-holding managers > managers).
    ExceedsTotal,
    /// Member counts by type do not add up to the total.
    CountsMismatch,
    /// Score above the item's maximum.
    AboveMaximum,
    /// Score for an item the rubric does not have.
    UnknownItem,
    /// Score item missing on a final visit.
    MissingItem,
    /// Rubric unknown or the sheet does not match it.
    UnknownRubric,
    /// Record refers to another organisation / unknown place.
    UnknownReference,
    /// Revision numbering is inconsistent.
    InvalidRevision,
    /// Sync: the content hash sent does not match the content.
    HashMismatch,
    /// Sync: protocol version not supported.
    UnsupportedProtocol,
    /// Sync: the pushing officer is not assigned the organisation's place.
    ForbiddenPlace,
    /// Sync: a new organisation's registration code belongs to another one.
    DuplicateCode,
    /// A reference that is not well formed (a photo name that is not a SHA-256).
    Malformed,
    /// The same thing listed twice (a photo attached twice).
    Duplicate,
    /// Sync: the visit was recorded by another officer; only they (or an
    /// officer an admin hands it to) may send its revisions.
    NotOwner,
    /// Sync: a revision names another organisation than the visit's.
    OrganisationChanged,
    /// A visit has reached [`MAX_REVISIONS`]: no further revision is taken.
    TooManyRevisions,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::OutOfRange => "out_of_range",
            Self::TooLong => "too_long",
            Self::InFuture => "in_future",
            Self::BeforeStart => "before_start",
            Self::ExceedsTotal => "exceeds_total",
            Self::CountsMismatch => "counts_mismatch",
            Self::AboveMaximum => "above_maximum",
            Self::UnknownItem => "unknown_item",
            Self::MissingItem => "missing_item",
            Self::UnknownRubric => "unknown_rubric",
            Self::UnknownReference => "unknown_reference",
            Self::InvalidRevision => "invalid_revision",
            Self::HashMismatch => "hash_mismatch",
            Self::UnsupportedProtocol => "unsupported_protocol",
            Self::ForbiddenPlace => "forbidden_place",
            Self::DuplicateCode => "duplicate_code",
            Self::Malformed => "malformed",
            Self::Duplicate => "duplicate",
            Self::NotOwner => "not_owner",
            Self::OrganisationChanged => "organisation_changed",
            Self::TooManyRevisions => "too_many_revisions",
        }
    }
}

/// One validation problem.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// Dotted field path, e.g. `facts.members.total`, `score_sheet.points.TC1.1`.
    pub path: String,
    pub code: ErrorCode,
    pub message_vi: String,
    pub message_en: String,
}

impl ValidationError {
    pub fn new(
        path: impl Into<String>,
        code: ErrorCode,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        ValidationError {
            path: path.into(),
            code,
            message_vi: vi.into(),
            message_en: en.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}]: {}",
            self.path,
            self.code.as_str(),
            self.message_en
        )
    }
}
