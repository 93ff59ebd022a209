//! The dashboard and the exports of alliance staff (issue 6): the plan's
//! indicators (Kế hoạch 251/KH-UBND, Phụ lục 1) for a year and a place, and
//! the visits they rest on. All the maths is `htx_core::indicators`; this
//! module reads the filter, loads the user's scope from the database and
//! hands the figures to the routes (JSON) and to [`crate::export`] (files).
//!
//! Which visit counts: per visit, its highest *final* revision dated (Vietnam
//! local date) in the year — with `reviewed=true` only revisions whose review
//! in force is "approved"; per organisation, its latest such visit (the
//! core's [`latest_visits`]).

use std::collections::{BTreeMap, HashMap};

use chrono::Datelike;
use htx_core::indicators::{
    compute_indicators, latest_visits, IndicatorInput, IndicatorOptions, IndicatorReport,
    NOT_MEASURED,
};
use htx_core::review::ReviewDecision;
use htx_core::search::fold;
use htx_core::{Hierarchy, Organisation, PlaceRef, RubricRegistry, ScoreResult, Visit};
use serde::Deserialize;
use uuid::Uuid;

pub use htx_core::console::{Dashboard, NotMeasured, OrganisationSummary, PlaceInfo};

use crate::auth::AuthUser;
use crate::db::organisations::{self, OrganisationRow};
use crate::db::report::{self, RevisionOf};
use crate::error::{ApiResult, AppError};
use crate::scope::Scope;
use crate::state::AppState;

/// Query of `/dashboard` and `/exports/*`; empty values count as absent.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ReportQuery {
    /// Calendar year of the visits (Vietnam local date); default: this year.
    pub year: Option<String>,
    /// `new` (default) or `old`: the hierarchy of `place`.
    pub hierarchy: Option<String>,
    /// A unit of that hierarchy at any level; default: the user's whole scope.
    pub place: Option<String>,
    /// `true` (default) or `false`: count only visit revisions approved in review.
    pub reviewed: Option<String>,
}

/// Years a report may be asked for (the server refuses visits before 2000).
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A parsed, checked [`ReportQuery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    pub year: i32,
    pub place: Option<PlaceInfo>,
    /// Only revisions approved in review. The default is `true`: the plan's
    /// figures are reported from reviewed data (domain brief: "the measured
    /// value from the latest reviewed visit"; `IndicatorOptions::only_reviewed`
    /// is documented as the dashboard default). `false` gives the provisional
    /// picture with every synced visit, reviewed or not.
    pub only_reviewed: bool,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The current year in Vietnam.
pub fn current_year() -> i32 {
    htx_core::time::vn_date(&chrono::Utc::now()).year()
}

impl ReportQuery {
    pub fn parse(&self, state: &AppState) -> ApiResult<ReportFilter> {
        let bad = |m: &str| AppError::BadRequest(m.to_owned());
        let year = match given(&self.year) {
            None => current_year(),
            Some(y) => y
                .parse::<i32>()
                .ok()
                .filter(|y| YEARS.contains(y))
                .ok_or_else(|| bad("year must be a year between 2000 and 2100"))?,
        };
        let hierarchy = match given(&self.hierarchy) {
            None | Some("new") => Hierarchy::New,
            Some("old") => Hierarchy::Old,
            Some(_) => return Err(bad("hierarchy must be one of new, old")),
        };
        let place = match given(&self.place) {
            None => None,
            Some(code) => {
                let p = state
                    .reference
                    .places
                    .get(hierarchy, code)
                    .ok_or_else(|| bad("no such place in that hierarchy"))?;
                Some(PlaceInfo {
                    hierarchy,
                    code: p.code.clone(),
                    name: p.name.clone(),
                    level: p.level,
                })
            }
        };
        let only_reviewed = match given(&self.reviewed) {
            None | Some("true") => true,
            Some("false") => false,
            Some(_) => return Err(bad("reviewed must be true or false")),
        };
        Ok(ReportFilter {
            year,
            place,
            only_reviewed,
        })
    }
}

/// Everything a report of one filter and one user's scope rests on.
#[derive(Debug, Clone)]
pub struct ReportData {
    pub filter: ReportFilter,
    /// Organisations in scope, by name: the stored rows and, at the same
    /// index, their core records.
    pub organisation_rows: Vec<OrganisationRow>,
    pub organisations: Vec<Organisation>,
    /// The stored revisions in scope that count: final, dated (Vietnam local
    /// date) in the year and, if only reviewed ones count, approved; at the
    /// same index their visits (the rows' `body` is emptied once parsed).
    pub revision_rows: Vec<RevisionOf>,
    pub visits: Vec<Visit>,
    /// The review decision in force (the latest review) of each reviewed
    /// revision in scope.
    pub decisions: HashMap<(Uuid, u32), ReviewDecision>,
}

/// Loads the organisations, revisions and reviews of `user`'s scope narrowed
/// to the filter's place. Officers are refused before this is called.
pub async fn load(
    state: &AppState,
    user: &AuthUser,
    filter: ReportFilter,
) -> ApiResult<ReportData> {
    let mut scope = Scope::of(state, user).await?;
    if let Some(p) = &filter.place {
        scope = scope.within(
            &state.reference.places,
            &[PlaceRef::new(p.hierarchy, p.code.clone())],
        );
    }
    let communes = scope.as_json(&state.reference.places);
    // A visit of the year started on or after 1 January 00:00 +07:00
    // (31 December 17:00 UTC) and was received after it started (minus the
    // clock skew the server allows): two days' margin bound what is read.
    let received_from = format!("{:04}-12-30", filter.year - 1);
    // One read transaction: one consistent snapshot of the three lists.
    let mut tx = crate::db::begin_read(&state.db).await?;
    let org_rows = report::organisations_in(&mut *tx, communes.as_deref()).await?;
    let stored = report::revisions_in(&mut *tx, communes.as_deref(), &received_from).await?;
    let review_rows =
        report::latest_reviews_in(&mut *tx, communes.as_deref(), &received_from).await?;
    tx.commit().await?;

    let mut organisation_rows = Vec::with_capacity(org_rows.len());
    let mut organisations = Vec::with_capacity(org_rows.len());
    for row in org_rows {
        match organisations::to_core(&row) {
            Some(o) => {
                organisation_rows.push(row);
                organisations.push(o);
            }
            None => {
                tracing::warn!(id = %row.id, kind = %row.kind, "organisation left out of the report: unknown kind")
            }
        }
    }
    let mut decisions = HashMap::with_capacity(review_rows.len());
    for r in review_rows {
        let key = (
            r.visit_id
                .parse::<Uuid>()
                .map_err(|e| anyhow::anyhow!("stored review {}: visit id: {e}", r.review_id))?,
            u32::try_from(r.revision)
                .map_err(|e| anyhow::anyhow!("stored review {}: revision: {e}", r.review_id))?,
        );
        let decision: ReviewDecision =
            htx_core::Coded::from_code(&r.decision).ok_or_else(|| {
                anyhow::anyhow!("stored review {}: decision {}", r.review_id, r.decision)
            })?;
        decisions.insert(key, decision);
    }
    // The revisions that count, selected here by the rule of
    // `htx_core::indicators::latest_visits` (which then sees only these and
    // is called with `only_reviewed: false`): the core looks each revision's
    // review up in a list, which is quadratic for a province's year of
    // visits, a map lookup is not.
    let mut revision_rows = Vec::new();
    let mut visits = Vec::new();
    for mut row in stored {
        let mut visit: Visit = serde_json::from_str(&std::mem::take(&mut row.body))
            .map_err(|e| anyhow::anyhow!("stored visit {} r{}: {e}", row.visit_id, row.revision))?;
        // A visit of an organisation merged into another counts for the other.
        visit.organisation_id = row
            .organisation_id
            .parse()
            .map_err(|e| anyhow::anyhow!("stored organisation id {}: {e}", row.organisation_id))?;
        let approved =
            || decisions.get(&(visit.id, visit.revision)) == Some(&ReviewDecision::Approved);
        if visit.is_final()
            && visit.local_date().year() == filter.year
            && (!filter.only_reviewed || approved())
        {
            revision_rows.push(row);
            visits.push(visit);
        }
    }
    Ok(ReportData {
        filter,
        organisation_rows,
        organisations,
        revision_rows,
        visits,
        decisions,
    })
}

/// The rows of [`NOT_MEASURED`], label and reason apart.
pub fn not_measured() -> Vec<NotMeasured> {
    NOT_MEASURED
        .iter()
        .map(|(id, text)| {
            let (label, reason) = text.split_once(": ").unwrap_or((text, ""));
            NotMeasured {
                id: (*id).to_owned(),
                label_vi: label.to_owned(),
                reason_vi: reason.to_owned(),
            }
        })
        .collect()
}

/// One line of the visits export: a visit's revision that counts.
#[derive(Debug, Clone)]
pub struct VisitLine<'a> {
    pub visit: &'a Visit,
    pub stored: &'a RevisionOf,
    pub organisation: &'a Organisation,
    pub organisation_row: &'a OrganisationRow,
    pub score: Option<ScoreResult>,
    pub review: Option<ReviewDecision>,
}

impl ReportData {
    /// The indicator report: one group, named after the filter's place.
    pub fn indicators(&self, rubrics: &RubricRegistry) -> IndicatorReport {
        let input = IndicatorInput {
            organisations: &self.organisations,
            visits: &self.visits,
            // Already applied in `load`.
            reviews: &[],
            rubrics,
            // Not grouped: one group.
            places: None,
        };
        let opts = IndicatorOptions {
            year: self.filter.year,
            // `visits` holds only approved revisions when it is asked for.
            only_reviewed: false,
            group_by: None,
        };
        let mut report = compute_indicators(&input, &opts);
        report.only_reviewed = self.filter.only_reviewed;
        if let (Some(p), Some(group)) = (&self.filter.place, report.groups.first_mut()) {
            group.place = Some(PlaceRef::new(p.hierarchy, p.code.clone()));
            group.place_name = Some(p.name.clone());
        }
        report
    }

    /// Organisations in scope with no qualifying visit in the year, by
    /// commune then name.
    pub fn organisations_without_visit(&self) -> Vec<OrganisationSummary> {
        let latest = latest_visits(&self.visits, &[], self.filter.year, false);
        let mut out: Vec<OrganisationSummary> = self
            .organisation_rows
            .iter()
            .zip(&self.organisations)
            .filter(|(_, o)| !latest.contains_key(&o.id))
            .map(|(row, o)| OrganisationSummary {
                id: row.id.clone(),
                name: row.name.clone(),
                registration_code: row.registration_code.clone(),
                kind: o.kind,
                kind_label: o.kind.label_vi().to_owned(),
                sector: o.sector,
                legal_status: o.legal_status,
                place_code: row.place_code.clone(),
                place_name: row.place_name.clone(),
            })
            .collect();
        out.sort_by_cached_key(|s| (fold(&s.place_name), fold(&s.name), s.id.clone()));
        out
    }

    pub fn dashboard(&self, rubrics: &RubricRegistry) -> Dashboard {
        Dashboard {
            year: self.filter.year,
            only_reviewed: self.filter.only_reviewed,
            place: self.filter.place.clone(),
            report: self.indicators(rubrics),
            not_measured: not_measured(),
            organisations_without_visit: self.organisations_without_visit(),
            generated_at: crate::db::now_timestamp(),
        }
    }

    /// Per visit of an organisation in scope, its highest revision that
    /// counts (final, dated in the year, approved if only reviewed ones
    /// count); by date, then organisation name.
    pub fn visit_lines(&self, rubrics: &RubricRegistry) -> Vec<VisitLine<'_>> {
        // Index into `visits` of the highest revision, per visit.
        let mut best: BTreeMap<Uuid, usize> = BTreeMap::new();
        for (i, v) in self.visits.iter().enumerate() {
            let e = best.entry(v.id).or_insert(i);
            if v.revision > self.visits[*e].revision {
                *e = i;
            }
        }
        let organisations: HashMap<Uuid, usize> = self
            .organisations
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id, i))
            .collect();
        let mut lines: Vec<VisitLine> = best
            .into_values()
            .filter_map(|i| {
                let visit = &self.visits[i];
                let o = *organisations.get(&visit.organisation_id)?;
                Some(VisitLine {
                    visit,
                    stored: &self.revision_rows[i],
                    organisation: &self.organisations[o],
                    organisation_row: &self.organisation_rows[o],
                    score: htx_core::score_visit(visit, rubrics),
                    review: self.decisions.get(&(visit.id, visit.revision)).copied(),
                })
            })
            .collect();
        lines
            .sort_by_cached_key(|l| (l.visit.local_date(), fold(&l.organisation.name), l.visit.id));
        lines
    }

    /// `-<code>` (`-cu-<code>` for an old unit) and `-tat-ca` when visits
    /// not yet reviewed count: the distinguishing part of a file name.
    pub fn file_suffix(&self) -> String {
        let mut s = format!("-{}", self.filter.year);
        if let Some(p) = &self.filter.place {
            if p.hierarchy == Hierarchy::Old {
                s.push_str("-cu");
            }
            s.push('-');
            s.extend(p.code.chars().filter(char::is_ascii_alphanumeric));
        }
        if !self.filter.only_reviewed {
            s.push_str("-tat-ca");
        }
        s
    }
}
