//! `visit_index`: one list row per visit (its latest stored revision), so
//! the review console filters and pages without parsing visit JSON. A
//! stored revision's row is written by `crate::index_follower` after the
//! push committed; conflicts, reviews and handovers update the rows in
//! their own transactions.

use sqlx::{Executor, FromRow};

use super::query_builder::{Placeholders, QueryBuilder};

use htx_core::console::{ListOrder, VisitListItem};

use super::Backend;

/// What the index holds of a revision (review state and conflicts are
/// maintained separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRow {
    pub visit_id: String,
    pub revision: i64,
    pub organisation_id: String,
    pub place_code: String,
    pub visited_on: String,
    pub year: i64,
    pub officer_id: String,
    pub score_centi: Option<i64>,
    pub grade: Option<&'static str>,
    pub received_at: String,
    pub search_key: String,
}

/// The upsert of [`upsert`] and [`upsert_many`]: a row replaces the visit's
/// only if it is a later revision, and a new revision starts unreviewed.
const UPSERT_TAIL: &str = "ON CONFLICT (visit_id) DO UPDATE SET revision = excluded.revision, \
     organisation_id = excluded.organisation_id, place_code = excluded.place_code, \
     visited_on = excluded.visited_on, year = excluded.year, officer_id = excluded.officer_id, \
     score_centi = excluded.score_centi, grade = excluded.grade, \
     received_at = excluded.received_at, search_key = excluded.search_key, \
     review_state = 'pending' \
     WHERE excluded.revision > visit_index.revision";

const INDEX_COLUMNS: &str = "visit_id, revision, organisation_id, place_code, visited_on, year, \
     officer_id, score_centi, grade, received_at, search_key";

/// Records `row` as the visit's latest revision unless a later one is
/// indexed; a new revision starts unreviewed.
pub async fn upsert<'e, E>(db: E, row: &IndexRow) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    upsert_many(db, Placeholders::Numbered, std::slice::from_ref(row)).await
}

/// [`upsert`] for many rows (of distinct visits) in one statement.
pub async fn upsert_many<'e, E>(
    db: E,
    placeholders: Placeholders,
    rows: &[IndexRow],
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let mut q = QueryBuilder::with_placeholders(
        placeholders,
        format!("INSERT INTO visit_index ({INDEX_COLUMNS}) SELECT * FROM ("),
    );
    q.push_values(rows, |mut b, r| {
        b.push_bind(&r.visit_id)
            .push_bind(r.revision)
            .push_bind(&r.organisation_id)
            .push_bind(&r.place_code)
            .push_bind(&r.visited_on)
            .push_bind(r.year)
            .push_bind(&r.officer_id)
            .push_bind(r.score_centi)
            .push_bind(r.grade)
            .push_bind(&r.received_at)
            .push_bind(&r.search_key);
    });
    // `WHERE true`: SQLite's grammar needs a WHERE between INSERT ... SELECT
    // and ON CONFLICT; PostgreSQL's, a name for the VALUES list.
    q.push(") AS v WHERE true ");
    q.push(UPSERT_TAIL);
    // Not kept in the connection's statement cache: its text differs with
    // the number of rows, and compiled it is as large as they are.
    q.build().persistent(false).execute(db).await.map(|_| ())
}

/// The review outcome of `revision`, if it is still the visit's latest.
pub async fn set_review_state<'e, E>(
    db: E,
    visit_id: &str,
    revision: i64,
    state: &str,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query("UPDATE visit_index SET review_state = $3 WHERE visit_id = $1 AND revision = $2")
        .bind(visit_id)
        .bind(revision)
        .bind(state)
        .execute(db)
        .await
        .map(|_| ())
}

/// The search text of every visit of an organisation (after it was renamed).
pub async fn set_search_key<'e, E>(
    db: E,
    organisation_id: &str,
    key: &str,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query("UPDATE visit_index SET search_key = $2 WHERE organisation_id = $1")
        .bind(organisation_id)
        .bind(key)
        .execute(db)
        .await
        .map(|_| ())
}

/// The visit's officer (an admin handed it to another one).
pub async fn set_officer<'e, E>(db: E, visit_id: &str, officer_id: &str) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query("UPDATE visit_index SET officer_id = $2 WHERE visit_id = $1")
        .bind(visit_id)
        .bind(officer_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// One more unresolved conflicting push of the visit.
pub async fn add_conflict<'e, E>(db: E, visit_id: &str) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query("UPDATE visit_index SET conflicts = conflicts + 1 WHERE visit_id = $1")
        .bind(visit_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// What the list shows of the visits of `visit_ids_json` (a JSON array)
/// besides their revision, read again from where it is kept: unresolved
/// conflicts, the review of the listed revision, the officer the visit
/// belongs to. Their rows are written after the push committed
/// (`crate::index_follower`), so a conflict, review or handover recorded in
/// between found no row to update. Rows of visits with none of these keep
/// what the upsert wrote (pending, no conflicts, the pushing officer) and
/// are not rewritten: an update rewrites the entries of every index on a
/// column it sets.
pub async fn refresh_many<'e, E>(db: E, visit_ids_json: &str) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query(
        "UPDATE visit_index SET \
         conflicts = (SELECT COUNT(*) FROM visit_conflicts c \
             WHERE c.visit_id = visit_index.visit_id AND c.resolved = 0), \
         review_state = COALESCE((SELECT r.decision FROM reviews r \
             WHERE r.visit_id = visit_index.visit_id AND r.revision = visit_index.revision \
             ORDER BY r.seq DESC LIMIT 1), 'pending'), \
         officer_id = COALESCE((SELECT o.owner_id FROM visit_owners o \
             WHERE o.visit_id = visit_index.visit_id), officer_id) \
         WHERE visit_id IN (SELECT value FROM json_each($1)) \
         AND (EXISTS (SELECT 1 FROM visit_conflicts c WHERE c.visit_id = visit_index.visit_id) \
           OR EXISTS (SELECT 1 FROM reviews r WHERE r.visit_id = visit_index.visit_id) \
           OR EXISTS (SELECT 1 FROM visit_owners o WHERE o.visit_id = visit_index.visit_id))",
    )
    .bind(visit_ids_json)
    .execute(db)
    .await
    .map(|_| ())
}

/// Visits whose latest stored revision is not indexed (stored before the
/// index existed): `(visit_id, revision)`.
pub async fn unindexed<'e, E>(db: E) -> Result<Vec<(String, i64)>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(
        "SELECT l.visit_id, l.revision FROM visits_latest l \
         LEFT JOIN visit_index i ON i.visit_id = l.visit_id AND i.revision = l.revision \
         WHERE i.visit_id IS NULL",
    )
    .fetch_all(db)
    .await
}

/// The console's filters; `None` means any. Text values are compared as
/// given (the route validates them).
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// JSON array of commune codes (`None`: every place), see `crate::scope`.
    pub communes: Option<String>,
    pub year: Option<i64>,
    pub kind: Option<String>,
    /// JSON array of the stored codes of one sector.
    pub sector: Option<String>,
    /// A grade code, or "none" for visits without a grade.
    pub grade: Option<String>,
    /// pending | approved | returned, or "conflict" for visits with conflicts.
    pub review_state: Option<String>,
    /// Officer's username.
    pub officer: Option<String>,
    /// Folded search text (substring of name or registration code).
    pub search: Option<String>,
}

fn order_sql(order: ListOrder) -> &'static str {
    match order {
        ListOrder::NewestFirst => "i.visited_on DESC, i.received_at DESC, i.visit_id",
        ListOrder::OldestFirst => "i.visited_on, i.received_at, i.visit_id",
        ListOrder::ScoreHighFirst => "i.score_centi IS NULL, i.score_centi DESC, i.visit_id",
        ListOrder::ScoreLowFirst => "i.score_centi IS NULL, i.score_centi, i.visit_id",
        ListOrder::Organisation => "i.search_key, i.visited_on DESC, i.visit_id",
    }
}

/// A row of the console's visit list.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ListRow {
    pub visit_id: String,
    pub revision: i64,
    pub visited_on: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub registration_code: Option<String>,
    pub kind: String,
    pub sector: String,
    pub place_code: String,
    pub place_name: String,
    #[sqlx(try_from = "super::Flag")]
    pub provisional: bool,
    pub officer: String,
    pub officer_name: String,
    pub score_centi: Option<i64>,
    pub grade: Option<String>,
    pub review_state: String,
    pub conflicts: i64,
    pub received_at: String,
}

/// `FROM … WHERE …` of the list for `filter`: only the filters given, and
/// the joins only when a filter needs them, so the common cases (no filter,
/// a year, a state) read `visit_index` alone, in the order of its indexes.
fn push_from_where<'a>(qb: &mut QueryBuilder<'a>, f: &'a ListFilter) {
    qb.push(" FROM visit_index i");
    if f.kind.is_some() || f.sector.is_some() {
        qb.push(" JOIN organisations o ON o.id = i.organisation_id");
    }
    if f.officer.is_some() {
        qb.push(" JOIN users u ON u.id = i.officer_id");
    }
    qb.push(" WHERE 1 = 1");
    if let Some(communes) = &f.communes {
        qb.push(" AND i.place_code IN (SELECT value FROM json_each(")
            .push_bind(communes)
            .push("))");
    }
    if let Some(year) = f.year {
        qb.push(" AND i.year = ").push_bind(year);
    }
    if let Some(kind) = &f.kind {
        qb.push(" AND o.kind = ").push_bind(kind);
    }
    if let Some(sector) = &f.sector {
        qb.push(" AND o.sector IN (SELECT value FROM json_each(")
            .push_bind(sector)
            .push("))");
    }
    match f.grade.as_deref() {
        None => {}
        Some("none") => {
            qb.push(" AND i.grade IS NULL");
        }
        Some(g) => {
            qb.push(" AND i.grade = ").push_bind(g);
        }
    }
    match f.review_state.as_deref() {
        None => {}
        Some("conflict") => {
            qb.push(" AND i.conflicts > 0");
        }
        Some(state) => {
            qb.push(" AND i.review_state = ").push_bind(state);
        }
    }
    if let Some(officer) = &f.officer {
        qb.push(" AND u.username = ").push_bind(officer);
    }
    if let Some(text) = &f.search {
        qb.push(" AND instr(i.search_key, ")
            .push_bind(text)
            .push(") > 0");
    }
}

/// How many visits match `filter`.
pub async fn count<'e, E>(db: E, filter: &ListFilter) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let mut qb = QueryBuilder::new("SELECT COUNT(*)");
    push_from_where(&mut qb, filter);
    qb.build_query_scalar().fetch_one(db).await
}

/// One page of the visits matching `filter`. The page is chosen on
/// `visit_index` alone (a deep page skips index entries, not joined rows);
/// only its rows are joined with their organisation and officer.
pub async fn page<'e, E>(
    db: E,
    filter: &ListFilter,
    order: ListOrder,
    limit: i64,
    offset: i64,
) -> Result<Vec<ListRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let order_sql = order_sql(order);
    let mut qb = QueryBuilder::new(
        "SELECT i.visit_id, i.revision, i.visited_on, i.organisation_id, \
         o.name AS organisation_name, o.registration_code, o.kind, o.sector, i.place_code, \
         o.place_name, o.provisional, u.username AS officer, u.display_name AS officer_name, \
         i.score_centi, i.grade, i.review_state, i.conflicts, i.received_at \
         FROM (SELECT i.visit_id",
    );
    push_from_where(&mut qb, filter);
    qb.push(format!(" ORDER BY {order_sql} LIMIT "))
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset)
        .push(
            // CROSS JOIN keeps the page (50 rows) as the outer loop: with
            // a bound LIMIT SQLite otherwise scanned all of visit_index and
            // probed the page for each row (57 ms instead of 3 at 100,000).
            // Its condition is in WHERE: PostgreSQL allows no ON there.
            ") p CROSS JOIN visit_index i \
             JOIN organisations o ON o.id = i.organisation_id \
             JOIN users u ON u.id = i.officer_id \
             WHERE i.visit_id = p.visit_id",
        )
        .push(format!(" ORDER BY {order_sql}"));
    qb.build_query_as().fetch_all(db).await
}

impl From<ListRow> for VisitListItem {
    fn from(r: ListRow) -> Self {
        VisitListItem {
            visit_id: r.visit_id,
            revision: r.revision,
            visited_on: r.visited_on,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            registration_code: r.registration_code,
            kind: r.kind,
            sector: r.sector,
            place_code: r.place_code,
            place_name: r.place_name,
            provisional: r.provisional,
            officer: r.officer,
            officer_name: r.officer_name,
            score_centi: r.score_centi,
            grade: r.grade,
            review_state: r.review_state,
            conflicts: r.conflicts,
            received_at: r.received_at,
        }
    }
}
