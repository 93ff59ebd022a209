//! `visit_revisions` (every accepted revision, never changed), the
//! `visits_latest` view, and `visit_conflicts` (pushed revisions kept for a
//! reviewer because they conflict with what is stored).

use sqlx::{Executor, FromRow};

use super::query_builder::{Placeholders, QueryBuilder};

use super::Backend;

/// A stored revision.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RevisionRow {
    pub visit_id: String,
    pub revision: i64,
    pub replaces_revision: Option<i64>,
    pub organisation_id: String,
    pub place_code: String,
    pub content_hash: String,
    pub body: String,
    pub pushed_by: String,
    pub device_id: String,
    pub batch_id: String,
    pub received_at: String,
}

const COLUMNS: &str = "visit_id, revision, replaces_revision, organisation_id, place_code, \
     content_hash, body, pushed_by, device_id, batch_id, received_at";

/// What a receipt needs of a stored revision.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StoredKey {
    pub revision: i64,
    pub content_hash: String,
    pub place_code: String,
    pub received_at: String,
    /// The account that pushed this revision.
    pub pushed_by: String,
}

const KEY_COLUMNS: &str = "revision, content_hash, place_code, received_at, pushed_by";

/// Inserts `row` if `(visit_id, revision)` is not stored yet and the visit's
/// latest stored revision is the row's base (`replaces_revision`), or older
/// than it, or the visit has none. A base newer than the latest was never
/// stored: the server refused it, and its owner's phone made the next
/// revision before the refusal reached it. The row then follows what is
/// stored instead of conflicting with it for good (every later edit would
/// too). A base older than the latest is stale: a conflict. One statement,
/// so concurrent pushes cannot both pass the check; the UNIQUE constraint
/// makes the same record land once. Returns whether a row was inserted.
pub async fn insert_if_base<'e, E>(db: E, row: &RevisionRow) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let one = std::slice::from_ref(row);
    Ok(insert_many(db, Placeholders::Numbered, one).await?.len() == 1)
}

/// [`insert_if_base`] for many rows of distinct visits in one statement (a
/// pushed batch): each row is inserted if its key is new and its base is not
/// older than the visit's latest stored revision. Returns the keys
/// inserted. One statement instead of one per record: with SQLite each
/// statement is a round trip to the connection's thread, which dominated
/// the ingest time.
pub async fn insert_many<'e, E>(
    db: E,
    placeholders: Placeholders,
    rows: &[RevisionRow],
) -> Result<Vec<(String, i64)>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    // Bound values, not a JSON array: visit bodies would be escaped into the
    // array and parsed back by SQLite. A VALUES list names its columns
    // column1, column2, ... in COLUMNS order.
    let mut q = QueryBuilder::with_placeholders(
        placeholders,
        format!("INSERT INTO visit_revisions ({COLUMNS}) SELECT * FROM ("),
    );
    q.push_values(rows, |mut b, r| {
        b.push_bind(&r.visit_id)
            .push_bind(r.revision)
            .push_bind(r.replaces_revision)
            .push_bind(&r.organisation_id)
            .push_bind(&r.place_code)
            .push_bind(&r.content_hash)
            .push_bind(&r.body)
            .push_bind(&r.pushed_by)
            .push_bind(&r.device_id)
            .push_bind(&r.batch_id)
            .push_bind(&r.received_at);
    });
    q.push(
        ") AS v \
         WHERE COALESCE((SELECT MAX(r.revision) FROM visit_revisions r WHERE r.visit_id = v.column1), -1) \
               <= COALESCE(v.column3, -1) \
         ON CONFLICT (visit_id, revision) DO NOTHING \
         RETURNING visit_id, revision",
    );
    // Not kept in the connection's statement cache: its text differs with
    // the number of rows, and compiled it is as large as they are.
    q.build_query_as().persistent(false).fetch_all(db).await
}

/// The stored `(visit_id, revision)`, if any.
pub async fn find_key<'e, E>(
    db: E,
    visit_id: &str,
    revision: i64,
) -> Result<Option<StoredKey>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM visit_revisions WHERE visit_id = $1 AND revision = $2"
    ))
    .bind(visit_id)
    .bind(revision)
    .fetch_optional(db)
    .await
}

/// A stored key with its visit id and what decides who the visit belongs
/// to (see [`find_keys`]).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StoredKeyOf {
    pub visit_id: String,
    #[sqlx(flatten)]
    pub key: StoredKey,
    /// The revision's organisation, or the registry organisation it was
    /// merged into since.
    pub organisation_id: String,
    /// The officer an admin handed the visit to, if any (`visit_owners`).
    pub assigned_owner: Option<String>,
}

/// Every stored revision of the given visits, in one statement (a pushed
/// batch or a receipt query asks about up to 1,000 at once). `visit_ids_json`
/// is a JSON array of ids.
pub async fn find_keys<'e, E>(db: E, visit_ids_json: &str) -> Result<Vec<StoredKeyOf>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(
        "SELECT r.visit_id, r.revision, r.content_hash, r.place_code, r.received_at, r.pushed_by, \
                COALESCE(o.merged_into, r.organisation_id) AS organisation_id, \
                w.owner_id AS assigned_owner \
         FROM visit_revisions r \
         LEFT JOIN organisations o ON o.id = r.organisation_id \
         LEFT JOIN visit_owners w ON w.visit_id = r.visit_id \
         WHERE r.visit_id IN (SELECT value FROM json_each($1))",
    )
    .bind(visit_ids_json)
    .fetch_all(db)
    .await
}

/// Who a stored visit belongs to and which organisation it is of, from its
/// stored keys (all rows of one visit, as [`find_keys`] reads them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    /// The officer who may send its revisions: the one an admin assigned,
    /// else the pusher of its first stored revision.
    pub owner: String,
    /// Its organisation (after merges), as its first stored revision named it.
    pub organisation_id: String,
}

/// The [`Ownership`] of each visit among `keys`.
pub fn ownerships<'a>(
    keys: impl IntoIterator<Item = &'a StoredKeyOf>,
) -> std::collections::HashMap<String, Ownership> {
    let mut first: std::collections::HashMap<String, &StoredKeyOf> = Default::default();
    for k in keys {
        let slot = first.entry(k.visit_id.clone()).or_insert(k);
        if k.key.revision < slot.key.revision {
            *slot = k;
        }
    }
    first
        .into_iter()
        .map(|(id, k)| {
            let owner = k
                .assigned_owner
                .clone()
                .unwrap_or_else(|| k.key.pushed_by.clone());
            let organisation_id = k.organisation_id.clone();
            (
                id,
                Ownership {
                    owner,
                    organisation_id,
                },
            )
        })
        .collect()
}

/// Who one stored visit belongs to (`None`: no such visit).
pub async fn ownership_of<'e, E>(db: E, visit_id: &str) -> Result<Option<Ownership>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let ids = serde_json::json!([visit_id]).to_string();
    let keys = find_keys(db, &ids).await?;
    Ok(ownerships(&keys).remove(visit_id))
}

/// Hands a visit to another officer (an admin's decision; audited by the caller).
pub async fn assign_owner<'e, E>(
    db: E,
    visit_id: &str,
    owner_id: &str,
    assigned_by: &str,
    now: &str,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query(
        "INSERT INTO visit_owners (visit_id, owner_id, assigned_by, assigned_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (visit_id) DO UPDATE SET owner_id = excluded.owner_id, \
         assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at",
    )
    .bind(visit_id)
    .bind(owner_id)
    .bind(assigned_by)
    .bind(now)
    .execute(db)
    .await
    .map(|_| ())
}

/// Whether `user_id` pushed any revision of the visit (four eyes: they may
/// not review it).
pub async fn pushed_any<'e, E>(db: E, visit_id: &str, user_id: &str) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar::<_, super::Flag>(
        "SELECT EXISTS (SELECT 1 FROM visit_revisions WHERE visit_id = $1 AND pushed_by = $2) \
             OR EXISTS (SELECT 1 FROM visit_owners WHERE visit_id = $1 AND owner_id = $2)",
    )
    .bind(visit_id)
    .bind(user_id)
    .fetch_one(db)
    .await
    .map(bool::from)
}

/// Records the photos the given revisions name: `(sha256, visit_id)` pairs,
/// once each. One statement for a whole group.
pub async fn link_photos<'e, E>(
    db: E,
    placeholders: Placeholders,
    pairs: &[(String, String)],
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    if pairs.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::with_placeholders(
        placeholders,
        "INSERT INTO visit_photos (sha256, visit_id) ",
    );
    q.push_values(pairs, |mut b, (sha, visit)| {
        b.push_bind(sha).push_bind(visit);
    });
    q.push(" ON CONFLICT (sha256, visit_id) DO NOTHING");
    q.build().persistent(false).execute(db).await.map(|_| ())
}

/// The latest stored revision's key, if any.
pub async fn latest_key<'e, E>(db: E, visit_id: &str) -> Result<Option<StoredKey>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM visits_latest WHERE visit_id = $1"
    ))
    .bind(visit_id)
    .fetch_optional(db)
    .await
}

/// The latest revision of a visit.
pub async fn latest<'e, E>(db: E, visit_id: &str) -> Result<Option<RevisionRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM visits_latest WHERE visit_id = $1"
    ))
    .bind(visit_id)
    .fetch_optional(db)
    .await
}

/// A stored revision with its place in the order revisions were stored.
#[derive(Debug, Clone, FromRow)]
pub struct Sequenced {
    /// `visit_revisions.id`: larger for every later commit (one writer).
    pub id: i64,
    #[sqlx(flatten)]
    pub row: RevisionRow,
}

/// The revisions stored after `after` (a `visit_revisions.id`), in the
/// order they were stored, at most `limit`.
pub async fn stored_after<'e, E>(
    db: E,
    after: i64,
    limit: i64,
) -> Result<Vec<Sequenced>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!(
        "SELECT id, {COLUMNS} FROM visit_revisions WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// `(id, visit id, revision)` of the revisions stored after `after`, in the
/// order they were stored, at most `limit`.
pub async fn keys_after<'e, E>(
    db: E,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, i64)>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(
        "SELECT id, visit_id, revision FROM visit_revisions WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The id of the latest revision stored (0 before any).
pub async fn last_id<'e, E>(db: E) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM visit_revisions")
        .fetch_one(db)
        .await
}

/// How many revisions were stored after revision id `after`.
pub async fn count_after<'e, E>(db: E, after: i64) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM visit_revisions WHERE id > $1")
        .bind(after)
        .fetch_one(db)
        .await
}

/// Every stored revision of a visit, oldest first.
pub async fn history<'e, E>(db: E, visit_id: &str) -> Result<Vec<RevisionRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM visit_revisions WHERE visit_id = $1 ORDER BY revision"
    ))
    .bind(visit_id)
    .fetch_all(db)
    .await
}

pub async fn count_revisions<'e, E>(db: E) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM visit_revisions")
        .fetch_one(db)
        .await
}

/// Why a pushed revision conflicts.
pub const SAME_REVISION_OTHER_CONTENT: &str = "same_revision_other_content";
pub const STALE_BASE: &str = "stale_base";

/// A conflicting revision, kept for review.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ConflictRow {
    pub visit_id: String,
    pub revision: i64,
    pub content_hash: String,
    pub reason: String,
    pub server_hash: String,
    pub body: String,
    pub pushed_by: String,
    pub device_id: String,
    pub received_at: String,
}

/// Keeps a conflicting revision (once per distinct content).
pub async fn insert_conflict<'e, E>(db: E, row: &ConflictRow) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    let done = sqlx::query(
        "INSERT INTO visit_conflicts (visit_id, revision, content_hash, reason, server_hash, body, \
         pushed_by, device_id, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (visit_id, revision, content_hash) DO NOTHING",
    )
    .bind(&row.visit_id)
    .bind(row.revision)
    .bind(&row.content_hash)
    .bind(&row.reason)
    .bind(&row.server_hash)
    .bind(&row.body)
    .bind(&row.pushed_by)
    .bind(&row.device_id)
    .bind(&row.received_at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Unresolved conflicts of a visit, oldest first.
pub async fn conflicts<'e, E>(db: E, visit_id: &str) -> Result<Vec<ConflictRow>, sqlx::Error>
where
    E: Executor<'e, Database = Backend>,
{
    sqlx::query_as(
        "SELECT visit_id, revision, content_hash, reason, server_hash, body, pushed_by, device_id, \
         received_at FROM visit_conflicts WHERE visit_id = $1 AND resolved = 0 ORDER BY id",
    )
    .bind(visit_id)
    .fetch_all(db)
    .await
}
