//! The server side of the sync protocol (`htx_core::sync`): push, receipts
//! and pull. Handlers in `routes::sync` stay thin and call these.
//!
//! Push, per record: hash check; only final visits; a visit already stored belongs to
//! its owner (the account that pushed its first stored revision, or the
//! officer an admin handed it to): anyone else's revision is `not_owner`, a
//! revision naming another organisation `organisation_changed`, and neither
//! changes anything. A new visit's organisation must exist (or come with
//! it, as provisional) and lie in a place the pusher may push to, else
//! `forbidden_place`; revisions of one's own visit are taken even after the
//! officer was moved off its place (it is their work). A stored
//! `(id, revision)` makes it a duplicate (same hash) or a conflict (same
//! owner, other content); validation by `htx_core` (revision numbering
//! included: `htx_core::check_revision_numbering`); then an atomic
//! `INSERT ... SELECT ... WHERE <base not older than the latest>
//! ON CONFLICT DO NOTHING`, one statement for all the records of distinct
//! visits (record by record for a visit sent twice).
//! When a record is not inserted, the stored row (a concurrent push won) or
//! the newer latest revision (stale base) decides. Conflicting content is
//! kept in `visit_conflicts`. Pushes that arrive together are written in one
//! transaction by the push writer ([`crate::push_queue`]), each record
//! decided with its own push's officer and places.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, FixedOffset};
use htx_core::hash::ContentHash;
use htx_core::place::Hierarchy;
use htx_core::review::ReviewOutcome;
use htx_core::sync::{
    check_protocol, decide_verified, hash_mismatch, Cursor, PullResponse, PushBatch, PushResponse,
    Receipt, ReceiptQuery, ReceiptResponse, ReceiptStatus, RecordKey, RecordOutcome, RecordResult,
    VisitRevision,
};
use htx_core::{validate_visit, ErrorCode, Place, ValidationContext, ValidationError};

use crate::auth::{AuthUser, Role};
use crate::db::query_builder::Placeholders;
use crate::db::{self, changes, organisations, reviews, rubrics, users, visit_index, visits};
use crate::error::{ApiResult, AppError};
use crate::scope::Scope;
use crate::state::{AppState, WriteHandle};

/// Most records in one push (shared with the device, which plans its batches by it).
pub const MAX_PUSH_RECORDS: usize = htx_core::outbox::MAX_BATCH_RECORDS;
/// Largest push body (after decompression), bytes.
pub const MAX_PUSH_BYTES: usize = htx_core::outbox::MAX_BATCH_BYTES;
/// Most keys in one receipt query.
pub const MAX_RECEIPT_KEYS: usize = 1000;
/// Default and largest number of changed items in one pull.
pub const DEFAULT_PULL_LIMIT: u32 = 500;
pub const MAX_PULL_LIMIT: u32 = 2000;

fn check_version(version: u32) -> ApiResult<()> {
    check_protocol(version).map_err(|e| AppError::UnsupportedProtocol(e.to_string()))
}

fn parse_time(s: &str) -> ApiResult<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored timestamp {s:?}: {e}")))
}

fn receipt(key: RecordKey, stored: &visits::StoredKey) -> ApiResult<Receipt> {
    Ok(Receipt {
        key,
        hash: ContentHash(stored.content_hash.clone()),
        received_at: parse_time(&stored.received_at)?,
    })
}

fn rejected(path: &str, code: ErrorCode, vi: &str, en: &str) -> RecordOutcome {
    RecordOutcome::Rejected {
        errors: vec![ValidationError::new(path, code, vi, en)],
    }
}

/// The communes a user may push to and read receipts of, read once per
/// request: an officer's places, a staff member's scope; `None` for an admin
/// of the whole province.
async fn visible_places(state: &AppState, user: &AuthUser) -> ApiResult<Option<BTreeSet<String>>> {
    Ok(match Scope::of(state, user).await? {
        Scope::All => None,
        Scope::Communes(set) => Some(set),
    })
}

/// Whether the user may push visits (and upload their photos): officers;
/// admins only when the server allows it (`--allow-staff-push`). Staff
/// review what officers send.
pub fn may_push(state: &AppState, user: &AuthUser) -> ApiResult<()> {
    match user.role {
        Role::Officer => Ok(()),
        Role::Admin if state.config.allow_staff_push => Ok(()),
        _ => Err(AppError::forbidden(
            "only officers push visits and photos (an admin may when the server runs with --allow-staff-push)",
        )),
    }
}

pub async fn push(state: &AppState, user: &AuthUser, batch: PushBatch) -> ApiResult<PushResponse> {
    check_version(batch.protocol_version)?;
    if batch.records.len() > MAX_PUSH_RECORDS {
        return Err(AppError::PayloadTooLarge(format!(
            "a push holds at most {MAX_PUSH_RECORDS} records, this one {}",
            batch.records.len()
        )));
    }
    may_push(state, user)?;
    let now_str = db::now_timestamp();
    let now = parse_time(&now_str)?;
    let lookups = async {
        // Rubrics published through another server process count here too:
        // the writer scores and checks this batch with them.
        let rubrics = async { state.fresh_rubrics().await.map_err(AppError::from) };
        let (_, places) = tokio::try_join!(rubrics, visible_places(state, user))?;
        ApiResult::Ok(places)
    };
    // Each record's hash checked once, giving the body to store (the bytes
    // hashed), before the push queues for the writer: hashing is the
    // costliest step of a push, and concurrent pushes do it side by side.
    // Done while the lookups above wait for the database (polled first, so
    // their queries are on their way). `None`: the hash does not match.
    let hashing = async { hash_records(&batch.records) };
    let (places, bodies) = tokio::join!(lookups, hashing);
    let places = places?;
    let keys: Vec<RecordKey> = batch.records.iter().map(VisitRevision::key).collect();
    let batch_id = batch.batch_id;
    let outcomes = state
        .push_queue()
        .write(PushJob {
            writer: state.write_handle(),
            user: user.clone(),
            places,
            batch,
            bodies,
            now_str,
            now,
        })
        .await?;
    let results = keys
        .into_iter()
        .zip(outcomes)
        .map(|(key, outcome)| RecordResult { key, outcome })
        .collect();
    Ok(PushResponse {
        protocol_version: htx_core::PROTOCOL_VERSION,
        batch_id,
        server_time: now,
        results,
    })
}

/// Pushes of at least this many records are hashed on two threads.
const HASH_SPLIT_FROM: usize = 64;

/// Each record's body to store, `None` where its hash does not match
/// ([`VisitRevision::canonical_if_matches`]). A large push is hashed in two
/// halves side by side: a device sends its backlog one push at a time,
/// waiting for each answer, so one push's hashing is on its critical path
/// and would otherwise use one core while the other idles.
fn hash_records(records: &[VisitRevision]) -> Vec<Option<String>> {
    let hash = |part: &[VisitRevision]| -> Vec<Option<String>> {
        part.iter()
            .map(VisitRevision::canonical_if_matches)
            .collect()
    };
    if records.len() < HASH_SPLIT_FROM || !two_cores() {
        return hash(records);
    }
    let (first, second) = records.split_at(records.len() / 2);
    std::thread::scope(|s| {
        let other = s.spawn(|| hash(second));
        let mut bodies = hash(first);
        bodies.extend(
            other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        );
        bodies
    })
}

/// Whether the server has a second core to hash on. Asked once: the answer
/// reads the cgroup's files.
fn two_cores() -> bool {
    static TWO: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TWO.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from) >= 2)
}

/// A push checked and hashed, waiting for the writer ([`crate::push_queue`]).
pub struct PushJob {
    writer: WriteHandle,
    user: AuthUser,
    places: Option<BTreeSet<String>>,
    batch: PushBatch,
    bodies: Vec<Option<String>>,
    now_str: String,
    now: DateTime<FixedOffset>,
}

impl PushJob {
    pub fn records(&self) -> usize {
        self.batch.records.len()
    }
}

/// Writes pushes in one transaction and returns each one's outcomes, record
/// by record. What the records look up (stored keys, organisations) is read
/// once for all of them, and every new revision of a visit sent once is
/// written in one statement: the writer runs the group's statements one
/// after another, so their number, not the records, set how many pushes a
/// second the server takes. A server killed mid-group leaves none of it (the
/// devices send it again).
pub async fn write_pushes(jobs: &[PushJob]) -> ApiResult<Vec<Vec<RecordOutcome>>> {
    let Some(state) = jobs.first().map(|j| &j.writer) else {
        return Ok(Vec::new());
    };
    let records = || jobs.iter().flat_map(|j| j.batch.records.iter());
    let mut tx = state.begin_write().await?;
    let stored = visits::find_keys(&mut *tx, &ids_json(records().map(|r| r.visit.id))?).await?;
    let mut known = Known {
        visits: visits::ownerships(&stored),
        keys: keyed(stored),
        organisations: organisations_now(
            &mut tx,
            records()
                .map(|r| r.visit.organisation_id.to_string())
                .collect(),
        )
        .await?,
        listed: Vec::new(),
    };
    // A visit sent more than once in the group (revisions 0 and 1, or the
    // same batch from two requests) is stored record by record, in order;
    // every other record is checked here and written with the rest in one
    // statement.
    let mut sent: HashMap<uuid::Uuid, usize> = HashMap::new();
    for r in records() {
        *sent.entry(r.visit.id).or_default() += 1;
    }
    let mut outcomes: Vec<Vec<Option<RecordOutcome>>> = Vec::with_capacity(jobs.len());
    // Records to write together: their rows, and where each came from with
    // its list row.
    let mut rows: Vec<visits::RevisionRow> = Vec::new();
    let mut ready: Vec<((usize, usize), visit_index::IndexRow)> = Vec::new();
    for (j, job) in jobs.iter().enumerate() {
        let ctx = Ctx {
            state,
            user: &job.user,
            places: job.places.as_ref(),
            batch: &job.batch,
            now_str: &job.now_str,
            now: job.now,
        };
        let mut mine = Vec::with_capacity(job.batch.records.len());
        for (i, (record, body)) in job.batch.records.iter().zip(&job.bodies).enumerate() {
            let outcome = match prepare(&mut tx, &known, &ctx, record, body.as_deref()).await? {
                Prepared::Done(outcome) => Some(outcome),
                Prepared::Store(r)
                    if sent[&record.visit.id] > 1 || r.new_organisation.is_some() =>
                {
                    Some(store_one(&mut tx, &mut known, &ctx, record, *r).await?)
                }
                Prepared::Store(r) => {
                    let Ready { row, index, .. } = *r;
                    rows.push(row);
                    ready.push(((j, i), index));
                    None
                }
            };
            mine.push(outcome);
        }
        outcomes.push(mine);
    }
    let inserted: std::collections::HashSet<(String, i64)> = if rows.is_empty() {
        Default::default()
    } else {
        let placeholders = Placeholders::for_backend(tx.kind());
        visits::insert_many(&mut *tx, placeholders, &rows)
            .await?
            .into_iter()
            .collect()
    };
    let mut photos = Vec::new();
    for (row, ((j, i), index)) in rows.iter().zip(ready) {
        let (record, now) = (&jobs[j].batch.records[i], jobs[j].now);
        outcomes[j][i] = Some(
            if inserted.contains(&(row.visit_id.clone(), row.revision)) {
                known.listed.push(index);
                photos.extend(photo_links(record));
                decide_verified(record, None, vec![], now)
            } else {
                not_inserted(&mut tx, &jobs[j].user, record, row, now).await?
            },
        );
    }
    let placeholders = Placeholders::for_backend(tx.kind());
    visits::link_photos(&mut *tx, placeholders, &photos).await?;
    // Their list rows are written after the answer (see index_follower),
    // from what was computed here: handed over before the commit, so the
    // follower never finds them committed without.
    let listed = crate::index_follower::computed(state, known.listed);
    if let Err(e) = tx.commit().await {
        listed.forget();
        return Err(e.into());
    }
    listed.wake();
    Ok(outcomes
        .into_iter()
        .map(|mine| {
            mine.into_iter()
                .map(|o| o.expect("every record has an outcome"))
                .collect()
        })
        .collect())
}

/// The organisations of `ids` as they are now, by the id a visit uses: a
/// merged provisional organisation maps to the registry organisation it was
/// merged into. Two statements for all of them (the push's read-ahead, the
/// console's list rows).
pub(crate) async fn organisations_now(
    tx: &mut db::WriteTx,
    ids: BTreeSet<String>,
) -> ApiResult<HashMap<String, Option<organisations::OrganisationRow>>> {
    let json = |ids: &BTreeSet<String>| serde_json::to_string(ids).map_err(anyhow::Error::from);
    let merged: HashMap<String, String> = organisations::merges_of(&mut **tx, &json(&ids)?)
        .await?
        .into_iter()
        .collect();
    let wanted: BTreeSet<String> = ids.iter().chain(merged.values()).cloned().collect();
    let rows: HashMap<String, organisations::OrganisationRow> =
        organisations::find_many(&mut **tx, &json(&wanted)?)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
    Ok(ids
        .into_iter()
        .map(|id| {
            // Merged by staff into a registry organisation: the visit counts for it.
            let row = rows.get(merged.get(&id).unwrap_or(&id)).cloned();
            (id, row)
        })
        .collect())
}

/// What a group's records look up, read ahead, and kept up to date with
/// what the group stores record by record (a visit sent more than once, an
/// organisation found in the field). A record written in the group's
/// one-statement insert is the only one of its visit in the group.
struct Known {
    /// Stored `(visit id, revision)` keys of the group's visits.
    keys: HashMap<(String, i64), visits::StoredKey>,
    /// Owner and organisation of each of the group's visits already stored.
    visits: HashMap<String, visits::Ownership>,
    organisations: HashMap<String, Option<organisations::OrganisationRow>>,
    /// The console's list rows of the revisions the group stored, for the
    /// index follower once the group is committed.
    listed: Vec<visit_index::IndexRow>,
}

impl Known {
    /// Notes a revision stored by the group.
    fn stored(&mut self, row: &visits::RevisionRow) {
        self.keys.insert(
            (row.visit_id.clone(), row.revision),
            visits::StoredKey {
                revision: row.revision,
                content_hash: row.content_hash.clone(),
                place_code: row.place_code.clone(),
                received_at: row.received_at.clone(),
                pushed_by: row.pushed_by.clone(),
            },
        );
        self.visits
            .entry(row.visit_id.clone())
            .or_insert_with(|| visits::Ownership {
                owner: row.pushed_by.clone(),
                organisation_id: row.organisation_id.clone(),
            });
    }
}

/// `(sha256, visit id)` of each photo a stored revision names.
fn photo_links(record: &VisitRevision) -> impl Iterator<Item = (String, String)> + '_ {
    let id = record.visit.id.to_string();
    record
        .visit
        .photos
        .iter()
        .map(move |p| (p.sha256.clone(), id.clone()))
}

/// Visit ids as the JSON array the batched queries take.
fn ids_json(ids: impl Iterator<Item = uuid::Uuid>) -> ApiResult<String> {
    let ids: Vec<String> = ids.map(|id| id.to_string()).collect();
    Ok(serde_json::to_string(&ids).map_err(anyhow::Error::from)?)
}

/// Stored keys by `(visit id, revision)`.
fn keyed(stored: Vec<visits::StoredKeyOf>) -> HashMap<(String, i64), visits::StoredKey> {
    stored
        .into_iter()
        .map(|k| ((k.visit_id, k.key.revision), k.key))
        .collect()
}

/// Why another account's revision of a stored visit is refused.
fn not_owner() -> RecordOutcome {
    rejected(
        "id",
        ErrorCode::NotOwner,
        "Chuyến khảo sát này do cán bộ khác ghi: chỉ người ghi (hoặc người được quản trị giao lại) mới gửi được phiên bản mới",
        "This visit belongs to another officer: only the officer who recorded it (or one an admin hands it to) may send its revisions",
    )
}

/// Whether `user` may send a revision of a visit stored with `ownership`
/// naming `organisation_id`: the refusal if not.
fn check_ownership(
    ownership: &visits::Ownership,
    user: &AuthUser,
    organisation_id: &str,
) -> Option<RecordOutcome> {
    if ownership.owner != user.id {
        return Some(not_owner());
    }
    if ownership.organisation_id != organisation_id {
        return Some(rejected(
            "organisation_id",
            ErrorCode::OrganisationChanged,
            "Không thể đổi tổ chức của một chuyến khảo sát đã gửi: hãy tạo chuyến khảo sát mới cho tổ chức kia",
            "The organisation of a visit cannot change: record a new visit for the other organisation",
        ));
    }
    None
}

/// What every record of a push shares.
struct Ctx<'a> {
    state: &'a WriteHandle,
    user: &'a AuthUser,
    /// The communes the user may push to (`None`: all).
    places: Option<&'a BTreeSet<String>>,
    batch: &'a PushBatch,
    now_str: &'a str,
    now: DateTime<FixedOffset>,
}

/// A record checked and ready to be stored.
struct Ready {
    row: visits::RevisionRow,
    /// Its list row in the console, if it is stored.
    index: visit_index::IndexRow,
    /// The organisation found in the field that the visit brings, to be
    /// created with it (and only if the visit is stored).
    new_organisation: Option<organisations::OrganisationRow>,
}

enum Prepared {
    /// Decided without writing a revision (rejected, duplicate, conflict).
    Done(RecordOutcome),
    Store(Box<Ready>),
}

/// The pushed revision kept for a reviewer as a conflict.
fn conflict_row(row: &visits::RevisionRow, reason: &str, server_hash: &str) -> visits::ConflictRow {
    visits::ConflictRow {
        visit_id: row.visit_id.clone(),
        revision: row.revision,
        content_hash: row.content_hash.clone(),
        reason: reason.to_owned(),
        server_hash: server_hash.to_owned(),
        body: row.body.clone(),
        pushed_by: row.pushed_by.clone(),
        device_id: row.device_id.clone(),
        received_at: row.received_at.clone(),
    }
}

/// Checks one record: hash, state, revision numbering, the visit's owner
/// and organisation (when stored) or the place (when new), an already
/// stored key, validation. Writes nothing: a visit of a new organisation
/// carries it in [`Ready`], created only with the visit.
async fn prepare(
    tx: &mut db::WriteTx,
    known: &Known,
    ctx: &Ctx<'_>,
    record: &VisitRevision,
    body: Option<&str>,
) -> ApiResult<Prepared> {
    let Ctx {
        state,
        user,
        places,
        batch,
        now_str,
        now,
    } = *ctx;
    let visit = &record.visit;
    // The server recomputed the hash (`body` is `None` on a mismatch).
    let Some(body) = body else {
        return Ok(Prepared::Done(hash_mismatch()));
    };
    if !visit.is_final() {
        return Ok(Prepared::Done(rejected(
            "state",
            ErrorCode::Required,
            "Chỉ đồng bộ chuyến khảo sát đã hoàn thành",
            "Only final visits are synced",
        )));
    }
    let visit_id = visit.id.to_string();
    let ownership = known.visits.get(&visit_id);
    // Another account's visit: refused before anything about it is looked
    // up or answered (not even whether this content is what is stored).
    if ownership.is_some_and(|o| o.owner != user.id) {
        return Ok(Prepared::Done(not_owner()));
    }
    let org_id = visit.organisation_id.to_string();
    let (org_row, new_organisation) = match known.organisations.get(&org_id).cloned().flatten() {
        Some(row) => (row, None),
        None => match new_organisation(state, user.is_demo, places, visit, now_str, now)? {
            Ok(row) => (row.clone(), Some(row)),
            Err(refusal) => return Ok(Prepared::Done(refusal)),
        },
    };
    match ownership {
        // The officer's own visit: its organisation cannot change, and it
        // may be sent even after the officer was moved off the place.
        Some(o) => {
            if let Some(refusal) = check_ownership(o, user, &org_row.id) {
                return Ok(Prepared::Done(refusal));
            }
        }
        None if places.is_some_and(|p| !p.contains(&org_row.place_code)) => {
            return Ok(Prepared::Done(rejected(
                "organisation_id",
                ErrorCode::ForbiddenPlace,
                "Tổ chức không thuộc địa bàn được giao cho cán bộ",
                "The organisation is not in a place assigned to this officer",
            )));
        }
        None => {}
    }
    let row = visits::RevisionRow {
        visit_id,
        revision: i64::from(visit.revision),
        replaces_revision: visit.replaces_revision.map(i64::from),
        organisation_id: org_row.id.clone(),
        place_code: org_row.place_code.clone(),
        content_hash: record.hash.0.clone(),
        body: body.to_owned(),
        pushed_by: user.id.clone(),
        device_id: batch.device_id.to_string(),
        batch_id: batch.batch_id.to_string(),
        received_at: now_str.to_owned(),
    };

    // Same (id, revision) already stored: duplicate or conflict.
    if let Some(stored) = known.keys.get(&(row.visit_id.clone(), row.revision)) {
        return Ok(Prepared::Done(
            same_key(tx, record, &row, stored, now).await?,
        ));
    }

    let mut organisation = organisations::to_core(&org_row);
    if let Some(o) = organisation.as_mut() {
        // The visit names an organisation merged into this one: check it
        // against the registry record, under the name the visit uses.
        o.id = visit.organisation_id;
    }
    let rubrics = state.rubrics();
    let mut vctx = ValidationContext::new(now).with_rubrics(&rubrics);
    if let Some(o) = &organisation {
        vctx = vctx.with_organisation(o);
    }
    let errors = validate_visit(visit, &vctx);
    if !errors.is_empty() {
        return Ok(Prepared::Done(RecordOutcome::Rejected { errors }));
    }
    let index = crate::console::index_row(&rubrics, visit, &row, &org_row);
    Ok(Prepared::Store(Box::new(Ready {
        row,
        index,
        new_organisation,
    })))
}

/// Stores one checked record with the atomic insert, with the organisation
/// it brings, in a savepoint of its own: a record that is not stored (its
/// base is not the latest, its organisation's code is taken) leaves nothing
/// behind.
async fn store_one(
    tx: &mut db::WriteTx,
    known: &mut Known,
    ctx: &Ctx<'_>,
    record: &VisitRevision,
    ready: Ready,
) -> ApiResult<RecordOutcome> {
    let Ready {
        row,
        index,
        new_organisation,
    } = ready;
    db::savepoint(tx).await?;
    if let Some(o) = &new_organisation {
        if !organisations::insert_if_absent(tx, o).await? {
            db::rollback_to_savepoint(tx).await?;
            // Not inserted: its registration code belongs to another organisation.
            return Ok(rejected(
                "new_organisation.registration_code",
                ErrorCode::DuplicateCode,
                "Mã số này đã có trên máy chủ: hãy chọn tổ chức có sẵn thay vì tạo mới",
                "This registration code is already registered: pick the existing organisation",
            ));
        }
    }
    if visits::insert_if_base(&mut **tx, &row).await? {
        let links: Vec<_> = photo_links(record).collect();
        visits::link_photos(&mut **tx, Placeholders::Numbered, &links).await?;
        db::release_savepoint(tx).await?;
        known.stored(&row);
        known.listed.push(index);
        if let Some(o) = new_organisation {
            known.organisations.insert(o.id.clone(), Some(o));
        }
        return Ok(decide_verified(record, None, vec![], ctx.now));
    }
    db::rollback_to_savepoint(tx).await?;
    not_inserted(tx, ctx.user, record, &row, ctx.now).await
}

/// The insert wrote nothing: this key is stored (earlier in this group, or
/// by another server process), or the base is older than the latest
/// revision (a conflict kept for review). Who the visit belongs to is read
/// again: the group's read-ahead may predate the row that won.
async fn not_inserted(
    tx: &mut db::WriteTx,
    user: &AuthUser,
    record: &VisitRevision,
    row: &visits::RevisionRow,
    now: DateTime<FixedOffset>,
) -> ApiResult<RecordOutcome> {
    if let Some(o) = visits::ownership_of(&mut **tx, &row.visit_id).await? {
        if let Some(refusal) = check_ownership(&o, user, &row.organisation_id) {
            return Ok(refusal);
        }
    }
    if let Some(stored) = visits::find_key(&mut **tx, &row.visit_id, row.revision).await? {
        return same_key(tx, record, row, &stored, now).await;
    }
    let latest = visits::latest_key(&mut **tx, &row.visit_id)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!("visit {}: insert refused but nothing stored", row.visit_id)
        })?;
    if visits::insert_conflict(
        &mut **tx,
        &conflict_row(row, visits::STALE_BASE, &latest.content_hash),
    )
    .await?
    {
        visit_index::add_conflict(&mut **tx, &row.visit_id).await?;
    }
    Ok(RecordOutcome::Conflict {
        server_hash: ContentHash(latest.content_hash),
    })
}

/// The organisation a visit recorded in the field brings with it
/// (`Visit::new_organisation`), to be created as provisional with its first
/// stored visit. `Err` holds the refusal when there is none, or it is not
/// acceptable. Writes nothing.
fn new_organisation(
    state: &WriteHandle,
    user_is_demo: bool,
    places: Option<&BTreeSet<String>>,
    visit: &htx_core::Visit,
    now_str: &str,
    now: DateTime<FixedOffset>,
) -> ApiResult<Result<organisations::OrganisationRow, RecordOutcome>> {
    let unknown = || {
        rejected(
            "organisation_id",
            ErrorCode::UnknownReference,
            "Không có tổ chức này trên máy chủ",
            "The server does not know this organisation",
        )
    };
    let Some(o) = visit
        .new_organisation
        .as_ref()
        .filter(|o| o.id == visit.organisation_id && o.provisional)
    else {
        return Ok(Err(unknown()));
    };
    let errors: Vec<ValidationError> =
        htx_core::validate_organisation(o, now.date_naive(), Some(&state.reference.places))
            .into_iter()
            .map(|mut e| {
                e.path = format!("new_organisation.{}", e.path);
                e
            })
            .collect();
    if !errors.is_empty() {
        return Ok(Err(RecordOutcome::Rejected { errors }));
    }
    let place = o
        .place_new
        .as_deref()
        .and_then(|c| state.reference.places.get(Hierarchy::New, c));
    let Some(place) = place else {
        return Ok(Err(rejected(
            "new_organisation.place_new",
            ErrorCode::UnknownReference,
            "Tổ chức mới phải thuộc một xã/phường đã biết",
            "A new organisation must be in a known commune",
        )));
    };
    if places.is_some_and(|p| !p.contains(&place.code)) {
        return Ok(Err(rejected(
            "new_organisation.place_new",
            ErrorCode::ForbiddenPlace,
            "Tổ chức mới không thuộc địa bàn được giao cho cán bộ",
            "The new organisation is not in a place assigned to this officer",
        )));
    }
    let row = organisations::provisional_row(o, &place.name, now_str)
        .ok_or_else(|| anyhow::anyhow!("organisation {}: codes not representable", o.id))?;
    // Found by a demo account: demo data like everything it records.
    Ok(Ok(organisations::OrganisationRow {
        is_demo: user_is_demo,
        ..row
    }))
}

async fn same_key(
    tx: &mut db::WriteTx,
    record: &VisitRevision,
    row: &visits::RevisionRow,
    stored: &visits::StoredKey,
    now: DateTime<FixedOffset>,
) -> ApiResult<RecordOutcome> {
    let outcome = decide_verified(record, Some(&receipt(record.key(), stored)?), vec![], now);
    if let RecordOutcome::Conflict { server_hash } = &outcome {
        let conflict = conflict_row(row, visits::SAME_REVISION_OTHER_CONTENT, &server_hash.0);
        if visits::insert_conflict(&mut **tx, &conflict).await? {
            visit_index::add_conflict(&mut **tx, &conflict.visit_id).await?;
        }
    }
    Ok(outcome)
}

fn review_outcome(row: reviews::ReviewRow) -> ApiResult<ReviewOutcome> {
    Ok(ReviewOutcome {
        visit_id: row
            .visit_id
            .parse()
            .map_err(|e| anyhow::anyhow!("stored visit id {}: {e}", row.visit_id))?,
        revision: u32::try_from(row.revision).map_err(anyhow::Error::from)?,
        decision: htx_core::Coded::from_code(&row.decision)
            .ok_or_else(|| anyhow::anyhow!("stored decision {}", row.decision))?,
        comment: row.comment,
        reviewer: row.reviewer,
        reviewed_at: parse_time(&row.reviewed_at)?,
    })
}

/// Which of the asked revisions the server holds. An officer is answered
/// only for visits they own and revisions they pushed (even after being
/// moved off the place); staff also for their scope. Anything else is
/// answered as not held.
pub async fn receipts(
    state: &AppState,
    user: &AuthUser,
    query: ReceiptQuery,
) -> ApiResult<ReceiptResponse> {
    check_version(query.protocol_version)?;
    if query.keys.len() > MAX_RECEIPT_KEYS {
        return Err(AppError::PayloadTooLarge(format!(
            "a receipt query holds at most {MAX_RECEIPT_KEYS} keys"
        )));
    }
    let places = match user.role {
        Role::Officer => Some(BTreeSet::new()),
        _ => visible_places(state, user).await?,
    };
    // One connection and one consistent snapshot for every key.
    let mut tx = crate::db::begin_read(&state.db).await?;
    let ids = ids_json(query.keys.iter().map(|k| k.id))?;
    let stored = visits::find_keys(&mut *tx, &ids).await?;
    let owners = visits::ownerships(&stored);
    let held = keyed(stored);
    let visible = |visit_id: &str, key: &visits::StoredKey| {
        key.pushed_by == user.id
            || owners.get(visit_id).is_some_and(|o| o.owner == user.id)
            || places.as_ref().is_none_or(|p| p.contains(&key.place_code))
    };
    // The latest review of each revision: later rows (by seq) replace earlier.
    let mut latest_review: HashMap<(String, i64), reviews::ReviewRow> = HashMap::new();
    for row in reviews::for_visits(&mut *tx, &ids).await? {
        latest_review.insert((row.visit_id.clone(), row.revision), row);
    }
    let mut statuses = Vec::with_capacity(query.keys.len());
    for key in query.keys {
        let visit_id = key.id.to_string();
        let stored = held
            .get(&(visit_id.clone(), i64::from(key.revision)))
            .cloned()
            .filter(|s| visible(&visit_id, s));
        let (receipt, review) = match stored {
            Some(s) => {
                let review = latest_review.remove(&(visit_id, s.revision));
                (
                    Some(receipt(key, &s)?),
                    review.map(review_outcome).transpose()?,
                )
            }
            None => (None, None),
        };
        statuses.push(ReceiptStatus {
            key,
            receipt,
            review,
        });
    }
    tx.commit().await?;
    Ok(ReceiptResponse {
        protocol_version: htx_core::PROTOCOL_VERSION,
        statuses,
    })
}

/// Places to hand an officer: the assigned communes, their ancestors, and
/// the old (pre-2025) units merged into them with their ancestors.
fn places_for(state: &AppState, assigned: Option<&[String]>) -> Vec<Place> {
    let registry = &state.reference.places;
    let Some(assigned) = assigned else {
        return registry.iter().cloned().collect();
    };
    let mut out: Vec<Place> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut add_with_ancestors = |start: Option<&Place>, out: &mut Vec<Place>| {
        let mut next = start;
        while let Some(p) = next {
            if !seen.insert(p.place_ref()) {
                break;
            }
            out.push(p.clone());
            next = registry.parent(p);
        }
    };
    for code in assigned {
        let place = registry.get(Hierarchy::New, code);
        add_with_ancestors(place, &mut out);
        for link in place.map(|p| p.merged_from.as_slice()).unwrap_or_default() {
            add_with_ancestors(registry.get(Hierarchy::Old, &link.old_code), &mut out);
        }
    }
    out.sort_by_key(Place::place_ref);
    out
}

/// Reference data and reviews changed after `since` (0: everything), for
/// the user's area. Places, rubrics and size rules are built into the
/// server and sent with a full pull (`since` = 0) only. A `since` beyond the
/// latest change is answered as a full pull.
pub async fn pull(
    state: &AppState,
    user: &AuthUser,
    since: u64,
    limit: Option<u32>,
) -> ApiResult<PullResponse> {
    let limit = limit.unwrap_or(DEFAULT_PULL_LIMIT).clamp(1, MAX_PULL_LIMIT) as usize;
    let scope = user.place_scope();
    let fetch = limit as i64 + 1;
    // One read transaction: a consistent snapshot of both lists and the latest seq.
    let mut tx = crate::db::begin_read(&state.db).await?;
    let latest = changes::latest(&mut *tx).await?;
    // A cursor this server never handed out (e.g. a restored database): start over.
    let since = if i64::try_from(since).is_ok_and(|s| s <= latest) {
        since
    } else {
        0
    };
    let since_seq = i64::try_from(since).unwrap_or(0);
    let orgs = organisations::changed_since(&mut *tx, since_seq, scope, fetch).await?;
    let revs = reviews::changed_since(&mut *tx, since_seq, scope, fetch).await?;
    let assigned = match scope {
        Some(id) => Some(users::places(&mut *tx, id).await?),
        None => None,
    };
    let new_rubrics = rubrics::changed_since(&mut *tx, since_seq).await?;
    tx.commit().await?;

    let mut items: Vec<(i64, Item)> = orgs
        .into_iter()
        .map(|o| (o.seq, Item::Organisation(o.row)))
        .chain(revs.into_iter().map(|r| (r.seq, Item::Review(r))))
        .collect();
    items.sort_by_key(|(seq, _)| *seq);
    let has_more = items.len() > limit;
    items.truncate(limit);
    let cursor = match items.last() {
        Some((seq, _)) if has_more => *seq,
        _ => latest.max(since_seq),
    };
    let mut response = PullResponse {
        protocol_version: htx_core::PROTOCOL_VERSION,
        cursor: Cursor(u64::try_from(cursor).unwrap_or(0)),
        has_more,
        places: Vec::new(),
        organisations: Vec::new(),
        rubrics: Vec::new(),
        reviews: Vec::new(),
        returned_visits: Vec::new(),
    };
    // Staff are limited by their scope (officers already are, in SQL): a
    // reviewer's device holds only the organisations of the province. Review
    // outcomes go to officers' devices; staff read them in the console.
    let staff_scope = match user.role {
        Role::Officer => None,
        _ => Some(Scope::of(state, user).await?),
    };
    for (_, item) in items {
        let outside = |place: &str| staff_scope.as_ref().is_some_and(|s| !s.allows(place));
        match item {
            Item::Organisation(row) if outside(&row.place_code) => {}
            Item::Review(_) if staff_scope.is_some() => {}
            Item::Organisation(row) => match organisations::to_core(&row) {
                Some(o) => response.organisations.push(o),
                None => {
                    tracing::warn!(id = %row.id, kind = %row.kind, "organisation not sent: unknown kind")
                }
            },
            Item::Review(r) => {
                let returned = r.decision == "returned";
                let key = (r.visit_id.clone(), r.revision);
                response.reviews.push(review_outcome(r)?);
                if returned {
                    response
                        .returned_visits
                        .extend(still_returned(state, &key).await?);
                }
            }
        }
    }
    if since == 0 {
        response.places = places_for(state, assigned.as_deref());
    }
    // The device replaces its rubric list with what it receives: send all of
    // them, on a full pull and whenever a version was published since.
    if since == 0 || new_rubrics {
        response.rubrics = state.fresh_rubrics().await?.iter().cloned().collect();
    }
    Ok(response)
}

/// The returned revision `(visit id, revision)`, if it is still the visit's
/// latest (once the officer's fix is stored, a phone has nothing to fix).
async fn still_returned(
    state: &AppState,
    (visit_id, revision): &(String, i64),
) -> ApiResult<Option<htx_core::Visit>> {
    let Some(latest) = visits::latest(&state.db, visit_id).await? else {
        return Ok(None);
    };
    if latest.revision != *revision {
        return Ok(None);
    }
    Ok(Some(serde_json::from_str(&latest.body).map_err(|e| {
        anyhow::anyhow!("stored visit {visit_id} r{revision}: {e}")
    })?))
}

enum Item {
    Organisation(organisations::OrganisationRow),
    Review(reviews::ReviewRow),
}
