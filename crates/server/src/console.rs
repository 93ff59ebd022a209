//! The review console's view of stored visits: the list row of a revision
//! (`visit_index`, written by [`crate::index_follower`]), and the start-up
//! backfill of rows that predate the index.

use htx_core::search::organisation_key;
use htx_core::{Grade, RubricRegistry, Visit};

use crate::db::organisations::OrganisationRow;
use crate::db::visit_index::{self, IndexRow};
use crate::db::{organisations, visits};
use crate::state::AppState;

/// What the console's search matches: the organisation's name and code, folded.
pub fn search_key(org: &OrganisationRow) -> String {
    organisation_key(&org.name, org.registration_code.as_deref())
}

/// The list row of a stored revision of `visit`, of the organisation `org`,
/// scored by the rubrics in force.
pub fn index_row(
    rubrics: &RubricRegistry,
    visit: &Visit,
    stored: &visits::RevisionRow,
    org: &OrganisationRow,
) -> IndexRow {
    use chrono::Datelike;
    let date = visit.local_date();
    let result = htx_core::score_visit(visit, rubrics);
    IndexRow {
        visit_id: stored.visit_id.clone(),
        revision: stored.revision,
        organisation_id: stored.organisation_id.clone(),
        place_code: stored.place_code.clone(),
        visited_on: date.format("%Y-%m-%d").to_string(),
        year: i64::from(date.year()),
        officer_id: stored.pushed_by.clone(),
        score_centi: result.as_ref().map(|r| i64::from(r.total.centi())),
        grade: result.and_then(|r| r.rating.grade()).map(Grade::as_str),
        received_at: stored.received_at.clone(),
        search_key: search_key(org),
    }
}

/// Indexes the latest revisions stored before the index existed (or by a
/// server that did not write it). Returns how many were indexed.
pub async fn backfill(state: &AppState) -> anyhow::Result<usize> {
    let missing = visit_index::unindexed(&state.db).await?;
    let rubrics = state.fresh_rubrics().await?;
    let mut tx = state.begin_write().await?;
    let mut ids = Vec::with_capacity(missing.len());
    for (visit_id, _) in &missing {
        let Some(stored) = visits::latest(&mut *tx, visit_id).await? else {
            continue;
        };
        let Some(org) = organisations::find(&mut *tx, &stored.organisation_id).await? else {
            continue;
        };
        let visit: Visit = serde_json::from_str(&stored.body)?;
        visit_index::upsert(&mut *tx, &index_row(&rubrics, &visit, &stored, &org)).await?;
        ids.push(visit_id);
    }
    visit_index::refresh_many(&mut *tx, &serde_json::to_string(&ids)?).await?;
    tx.commit().await?;
    Ok(missing.len())
}
