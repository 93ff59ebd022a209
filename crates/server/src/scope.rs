//! What part of the province a signed-in user may see. Officers: the
//! communes assigned to them (`user_places`). Reviewers and admins: the units
//! in `user_scopes` (usually a province, in either hierarchy), expanded to
//! new-hierarchy communes; a reviewer without any sees nothing, an admin
//! without any sees everything.
//!
//! Queries take the scope as a JSON array of commune codes (`None` = no
//! limit) and test `place_code IN (SELECT value FROM json_each($n))`, so one
//! statement serves every role.

use std::collections::BTreeSet;

use htx_core::PlaceRef;

use crate::auth::{AuthUser, Role};
use crate::db::users;
use crate::error::ApiResult;
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every place.
    All,
    /// Only these new-hierarchy commune codes (possibly none).
    Communes(BTreeSet<String>),
}

impl Scope {
    pub async fn of(state: &AppState, user: &AuthUser) -> ApiResult<Scope> {
        if user.role == Role::Officer {
            let places = users::places(&state.db, &user.id).await?;
            return Ok(Scope::Communes(places.into_iter().collect()));
        }
        let units = users::scopes(&state.db, &user.id).await?;
        if units.is_empty() && user.role == Role::Admin {
            return Ok(Scope::All);
        }
        Ok(Scope::Communes(communes_within(state, &units)))
    }

    pub fn allows(&self, commune: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Communes(set) => set.contains(commune),
        }
    }

    /// This scope narrowed to the communes of `units` (a place filter).
    pub fn within(self, state: &AppState, units: &[PlaceRef]) -> Scope {
        let wanted = communes_within(state, units);
        match self {
            Scope::All => Scope::Communes(wanted),
            Scope::Communes(set) => Scope::Communes(set.intersection(&wanted).cloned().collect()),
        }
    }

    /// The bind value for `json_each`: `None` when everything is visible.
    pub fn as_json(&self) -> Option<String> {
        match self {
            Scope::All => None,
            Scope::Communes(set) => {
                Some(serde_json::to_string(set).expect("a set of strings serializes"))
            }
        }
    }
}

fn communes_within(state: &AppState, units: &[PlaceRef]) -> BTreeSet<String> {
    units
        .iter()
        .flat_map(|u| state.reference.places.new_communes_within(u))
        .collect()
}
