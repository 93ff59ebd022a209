//! Accounts, for admins (quản trị) only.
//!
//! - `GET  /api/v1/users` → every account with its places (officers) or scope (staff)
//! - `POST /api/v1/users` `{username, display_name, role, password, places, scopes}` → 201
//! - `PUT  /api/v1/users/{username}/assignments` `{places, scopes}`: replaces them
//! - `DELETE /api/v1/users/{username}/sessions`: revokes every token of the
//!   account (a lost phone); `PUT /api/v1/users/{username}/disabled`
//!   `{disabled}`: disables (and revokes) or re-enables it;
//!   `PUT /api/v1/users/{username}/password` `{password}`: sets a new one and
//!   revokes every token
//!
//! Places are new-hierarchy commune codes; scopes are units of either
//! hierarchy (usually a province). Both are checked against the place
//! registry. Every change is in the audit log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use htx_core::{Hierarchy, PlaceLevel, PlaceRef};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::{AuthUser, Role};
use crate::db::{self, audit, users};
use crate::error::{ApiResult, AppError};
use crate::extract::{Admin, AppJson, AppPath};
use crate::scope::Scope;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
    #[serde(default)]
    pub places: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<PlaceRef>,
}

#[derive(Debug, Deserialize)]
pub struct Assignments {
    #[serde(default)]
    pub places: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<PlaceRef>,
}

pub use htx_core::api::UserSummary;

pub const MIN_PASSWORD: usize = 10;

fn require_admin(user: &AuthUser) -> ApiResult<()> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::forbidden("only admins manage accounts"))
    }
}

pub fn valid_username(u: &str) -> bool {
    (3..=40).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

/// Checks `places` (officers' communes) and `scopes` (staff units) against the
/// registry and the role.
fn check_assignments(state: &AppState, role: Role, a: &Assignments) -> ApiResult<()> {
    let places = &state.reference.places;
    for code in &a.places {
        match places.get(Hierarchy::New, code) {
            Some(p) if p.level == PlaceLevel::Commune => {}
            _ => {
                return Err(AppError::BadRequest(format!(
                    "place {code}: not a commune of the current hierarchy"
                )))
            }
        }
    }
    for unit in &a.scopes {
        if places.get(unit.hierarchy, &unit.code).is_none() {
            return Err(AppError::BadRequest(format!(
                "scope {}: no such unit",
                unit.code
            )));
        }
    }
    match role {
        Role::Officer if !a.scopes.is_empty() => Err(AppError::BadRequest(
            "officers are assigned communes (places), not scopes".into(),
        )),
        Role::Reviewer | Role::Admin if !a.places.is_empty() => Err(AppError::BadRequest(
            "reviewers and admins are given scopes, not places".into(),
        )),
        _ => Ok(()),
    }
}

/// An admin limited to a province manages only accounts within it: the
/// account as it is (`current`) and as it will be must both lie inside the
/// admin's own scope, so nobody can widen their own reach or create an
/// unlimited admin.
async fn check_within_caller(
    state: &AppState,
    caller: &AuthUser,
    current: Option<&Scope>,
    role: Role,
    a: &Assignments,
) -> ApiResult<()> {
    let mine = Scope::of(state, caller).await?;
    let wanted = Scope::of_assignment(&state.reference.places, role, &a.places, &a.scopes);
    if !mine.covers(&wanted) {
        return Err(AppError::forbidden(
            "the account would see places outside your own scope",
        ));
    }
    if current.is_some_and(|c| !mine.covers(c)) {
        return Err(AppError::forbidden(
            "this account sees places outside your own scope",
        ));
    }
    Ok(())
}

async fn summary(state: &AppState, row: users::UserRow) -> ApiResult<UserSummary> {
    Ok(UserSummary {
        places: users::places(&state.db, &row.id).await?,
        scopes: users::scopes(&state.db, &row.id).await?,
        username: row.username,
        display_name: row.display_name,
        role: Role::parse(&row.role).ok_or_else(|| anyhow::anyhow!("stored role {}", row.role))?,
    })
}

pub async fn list(
    State(state): State<AppState>,
    Admin(user): Admin,
) -> ApiResult<Json<Vec<UserSummary>>> {
    // A scoped admin sees the accounts it may manage: those within its scope.
    let mine = Scope::of(&state, &user).await?;
    let mut out = Vec::new();
    for row in users::all(&state.db).await? {
        if mine != Scope::All {
            let Some(role) = Role::parse(&row.role) else {
                continue;
            };
            if !mine.covers(&Scope::of_account(&state, &row.id, role).await?) {
                continue;
            }
        }
        out.push(summary(&state, row).await?);
    }
    Ok(Json(out))
}

pub async fn create(
    State(state): State<AppState>,
    Admin(user): Admin,
    AppJson(req): AppJson<NewUser>,
) -> ApiResult<(StatusCode, Json<UserSummary>)> {
    let username = req.username.trim().to_owned();
    if !valid_username(&username) {
        return Err(AppError::BadRequest(
            "username: 3 to 40 of a-z, 0-9, '.', '_', '-'".into(),
        ));
    }
    if req.display_name.trim().is_empty() {
        return Err(AppError::BadRequest("display_name is required".into()));
    }
    if req.password.chars().count() < MIN_PASSWORD {
        return Err(AppError::BadRequest(format!(
            "password: at least {MIN_PASSWORD} characters"
        )));
    }
    let assignments = Assignments {
        places: req.places,
        scopes: req.scopes,
    };
    check_assignments(&state, req.role, &assignments)?;
    check_within_caller(&state, &user, None, req.role, &assignments).await?;
    let password_hash = state.passwords.hash(req.password).await?;
    let row = users::UserRow {
        id: Uuid::now_v7().to_string(),
        username: username.clone(),
        display_name: req.display_name.trim().to_owned(),
        role: req.role.as_str().to_owned(),
        password_hash,
    };
    let now = db::now_timestamp();
    let mut tx = state.begin_write().await?;
    // An account a demo admin creates is demo data too.
    if !users::insert_if_absent(&mut *tx, &row, user.is_demo, &now).await? {
        return Err(AppError::Conflict(format!("username {username} is taken")));
    }
    users::replace_assignments(&mut tx, &row.id, &assignments.places, &assignments.scopes).await?;
    let detail = serde_json::json!({
        "username": username, "role": row.role,
        "places": assignments.places, "scopes": assignments.scopes,
    });
    audit::record(
        &mut *tx,
        &now,
        &user.id,
        "user.create",
        audit::ENTITY_USER,
        &row.id,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(summary(&state, row).await?)))
}

pub async fn assign(
    State(state): State<AppState>,
    Admin(user): Admin,
    AppPath(username): AppPath<String>,
    AppJson(req): AppJson<Assignments>,
) -> ApiResult<Json<UserSummary>> {
    // Exists, and what it sees now lies within the caller's scope.
    let row = managed_account(&state, &user, &username).await?;
    let role = Role::parse(&row.role).ok_or_else(|| anyhow::anyhow!("stored role {}", row.role))?;
    check_assignments(&state, role, &req)?;
    check_within_caller(&state, &user, None, role, &req).await?;
    let now = db::now_timestamp();
    let mut tx = state.begin_write().await?;
    users::replace_assignments(&mut tx, &row.id, &req.places, &req.scopes).await?;
    let detail = serde_json::json!({ "places": req.places, "scopes": req.scopes });
    audit::record(
        &mut *tx,
        &now,
        &user.id,
        "user.assign",
        audit::ENTITY_USER,
        &row.id,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(summary(&state, row).await?))
}

/// The account an admin acts on: it exists and lies within the admin's scope.
async fn managed_account(
    state: &AppState,
    admin: &AuthUser,
    username: &str,
) -> ApiResult<users::UserRow> {
    require_admin(admin)?;
    let row = users::find_by_username(&state.db, username)
        .await?
        .ok_or_else(|| AppError::not_found("no such user"))?;
    let role = Role::parse(&row.role).ok_or_else(|| anyhow::anyhow!("stored role {}", row.role))?;
    let current = Scope::of_account(state, &row.id, role).await?;
    if !Scope::of(state, admin).await?.covers(&current) {
        return Err(AppError::forbidden(
            "this account sees places outside your own scope",
        ));
    }
    Ok(row)
}

/// What an admin changes on an account, besides revoking its tokens.
enum AccountChange {
    Nothing,
    Disabled(bool),
    Password(String),
}

/// Applies `change` to `row`, revokes every token of the account and records
/// `action`, in one transaction. Returns how many tokens were revoked.
async fn revoke_with(
    state: &AppState,
    admin: &AuthUser,
    row: &users::UserRow,
    action: &str,
    change: AccountChange,
) -> ApiResult<u64> {
    let now = db::now_timestamp();
    let mut tx = state.begin_write().await?;
    match &change {
        AccountChange::Nothing => {}
        AccountChange::Disabled(d) => users::set_disabled(&mut *tx, &row.id, *d).await?,
        AccountChange::Password(hash) => users::set_password(&mut *tx, &row.id, hash).await?,
    }
    let revoked = crate::db::sessions::delete_all_of(&mut *tx, &row.id, None).await?;
    let detail = serde_json::json!({ "username": row.username, "revoked_sessions": revoked });
    audit::record(
        &mut *tx,
        &now,
        &admin.id,
        action,
        audit::ENTITY_USER,
        &row.id,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(revoked)
}

/// `DELETE /api/v1/users/{username}/sessions`: every phone and browser of
/// the account must sign in again (a lost phone).
pub async fn revoke_sessions(
    State(state): State<AppState>,
    Admin(user): Admin,
    AppPath(username): AppPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let row = managed_account(&state, &user, &username).await?;
    let revoked = revoke_with(
        &state,
        &user,
        &row,
        "user.revoke_sessions",
        AccountChange::Nothing,
    )
    .await?;
    Ok(Json(serde_json::json!({ "revoked_sessions": revoked })))
}

#[derive(Debug, Deserialize)]
pub struct Disabled {
    pub disabled: bool,
}

/// `PUT /api/v1/users/{username}/disabled`: a disabled account cannot sign
/// in and its tokens are revoked; its work stays.
pub async fn set_disabled(
    State(state): State<AppState>,
    Admin(user): Admin,
    AppPath(username): AppPath<String>,
    AppJson(req): AppJson<Disabled>,
) -> ApiResult<Json<serde_json::Value>> {
    let row = managed_account(&state, &user, &username).await?;
    if row.id == user.id {
        return Err(AppError::BadRequest(
            "an admin cannot disable their own account".into(),
        ));
    }
    let disabled = req.disabled;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    let revoked = revoke_with(
        &state,
        &user,
        &row,
        action,
        AccountChange::Disabled(disabled),
    )
    .await?;
    Ok(Json(
        serde_json::json!({ "disabled": disabled, "revoked_sessions": revoked }),
    ))
}

#[derive(Debug, Deserialize)]
pub struct NewPassword {
    pub password: String,
}

/// `PUT /api/v1/users/{username}/password`: an admin sets a new password
/// (the officer forgot theirs); every token of the account is revoked.
pub async fn reset_password(
    State(state): State<AppState>,
    Admin(user): Admin,
    AppPath(username): AppPath<String>,
    AppJson(req): AppJson<NewPassword>,
) -> ApiResult<Json<serde_json::Value>> {
    let row = managed_account(&state, &user, &username).await?;
    if req.password.chars().count() < MIN_PASSWORD || req.password.len() > 1024 {
        return Err(AppError::BadRequest(format!(
            "password: at least {MIN_PASSWORD} characters"
        )));
    }
    let hash = state.passwords.hash(req.password).await?;
    let revoked = revoke_with(
        &state,
        &user,
        &row,
        "user.password_reset",
        AccountChange::Password(hash),
    )
    .await?;
    Ok(Json(serde_json::json!({ "revoked_sessions": revoked })))
}
