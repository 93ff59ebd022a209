//! htx-core: the domain core of htx-survey (organisations, visits, rubrics,
//! validation, plan indicators, sync protocol). Plain Rust, no I/O, no clock:
//! "now", ids and timestamps are always passed in so the same code behaves
//! identically in the wasm32 app and the native server.
//!
//! Module map: [`organisation`], [`visit`], [`place`], [`money`], [`points`],
//! [`rubric`] (versioned data), [`score`](mod@score), [`validation`], [`size_class`],
//! [`indicators`] (Phụ lục 1), [`review`], [`diff`] (what a revision
//! changed), [`photo`], [`registry`] (the registry's CSV import), [`time`].
//!
//! The edge between app and server: [`api`] (sign-in, roles, the error
//! envelope, review and merge bodies), [`sync`] (the sync protocol),
//! [`codes`] (one code and label per value of each code list), [`console`]
//! (the review console's list, history and which bundle owns a path).
//!
//! Field-app helpers (the UI is thin glue over these): [`device`] (a visit's
//! state on the device), [`outbox`] (the sync queue's rules), [`form`] (the
//! visit form's fields and sections), [`progress`] (the form's parts and how far each is filled), [`search`] (diacritics-insensitive
//! organisation search), [`format`](mod@format) (Vietnamese number/date display and
//! input), [`prefill`] (new visit from the previous one), [`export`]
//! (self-checking hand-over file for unsynced visits); `fixtures` (tests).

pub mod api;
pub mod codes;
pub mod console;
pub mod device;
pub mod diff;
pub mod export;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod form;
pub mod format;
pub mod hash;
pub mod indicators;
pub mod json_tree;
pub mod money;
pub mod organisation;
pub mod outbox;
pub mod photo;
pub mod place;
pub mod points;
pub mod prefill;
pub mod problem;
pub mod progress;
pub mod registry;
pub mod review;
pub mod rubric;
pub mod score;
pub mod search;
pub mod size_class;
pub mod sync;
pub mod time;
pub mod validation;
pub mod visit;

pub use codes::Coded;
pub use money::Vnd;
pub use organisation::{LegalStatus, Organisation, OrganisationKind, Sector};
pub use place::{Hierarchy, Place, PlaceLevel, PlaceRef, PlaceRegistry};
pub use points::Points;
pub use problem::{ErrorCode, ValidationError};
pub use rubric::{Grade, Rubric, RubricRegistry};
pub use score::{score, score_visit, ScoreResult, ScoreSheet};
pub use validation::{
    check_revision_numbering, validate_organisation, validate_visit, ValidationContext,
    MAX_REVISIONS,
};
pub use visit::{Visit, VisitState};

/// Version of the app <-> server sync protocol. Bump on any breaking change
/// to the types in [`sync`] or to the stored shape of [`Visit`].
pub const PROTOCOL_VERSION: u32 = 1;
