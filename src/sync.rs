//! Sync (đồng bộ): sends the outbox to the server in batches, in queue order,
//! and marks a visit confirmed only from the server's receipt.
//!
//! When: at app start, when the server becomes reachable (the `online`
//! event and the periodic health check, see [`crate::net`]), every few
//! minutes while online, after a visit is finalized, after signing in, and
//! from the "Đồng bộ ngay" button. One run at a time; a request during a run
//! makes one more run after it. After a failure, retries back off
//! exponentially with jitter ([`htx_core::outbox::backoff_ms`]).
//!
//! Nothing here deletes a visit: a settled revision leaves the outbox, its
//! visit stays on the device with its new state.
use crate::api::{self, ApiError};
use crate::net::NetState;
use crate::session::{device_id, Session};
use crate::storage::{DeviceStore, StorageError, TakenBatch};
use crate::timing::{timing_end, timing_start};
use htx_core::outbox::{settle, OutboxHead, Settlement};
use htx_core::sync::{PushResponse, ReceiptQuery, ReceiptStatus, RecordKey, RecordOutcome};
use htx_core::PROTOCOL_VERSION;
use leptos::prelude::*;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;
use wasm_bindgen::{closure::Closure, JsCast};

/// How often a sync runs on its own while the app is open and online.
const PERIODIC_MS: i32 = 3 * 60 * 1000;

/// Where sync stands, for the panel on the home page.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Not run yet in this session.
    Idle,
    Running,
    /// Last run sent everything it could.
    Done {
        at_ms: f64,
    },
    /// No usable sign-in: recording goes on, sending waits for a new sign-in.
    NeedsSignIn,
    /// The device is offline; sync starts when it is back.
    Offline,
    /// The last run failed; the next try is at `retry_at_ms`.
    Failed {
        reason: FailReason,
        retry_at_ms: f64,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum FailReason {
    /// No answer (no signal, server down).
    Network,
    /// The server answered with an error.
    Server {
        status: u16,
        message: String,
    },
    /// The server took records but its receipts do not show them yet.
    NotConfirmed,
    Storage(String),
}

/// Sync state shared by the UI (signals, so it is `Copy` and `Send`).
#[derive(Clone, Copy)]
pub struct SyncState {
    pub phase: RwSignal<Phase>,
    /// (sent and settled in this run, queued when the run started).
    pub progress: RwSignal<(u32, u32)>,
    /// Visits of the batch on the wire now ("đang gửi").
    pub in_flight: RwSignal<Vec<Uuid>>,
    /// Bumped whenever visit states change, so lists and counts re-read.
    pub changes: RwSignal<u64>,
    /// Revisions still waiting, as last counted.
    pub waiting: RwSignal<u32>,
    /// Push bodies sent since the app opened (bytes, records): officers pay
    /// for mobile data.
    pub sent: RwSignal<(u64, u64)>,
}

#[derive(Default)]
struct Runner {
    running: bool,
    again: bool,
    failures: u32,
    retry_timer: Option<i32>,
    record_timer: Option<i32>,
}

thread_local! {
    static RUNNER: RefCell<Runner> = RefCell::new(Runner::default());
}

enum RunError {
    NeedsSignIn,
    Offline,
    Failed(FailReason),
}

impl From<StorageError> for RunError {
    fn from(e: StorageError) -> Self {
        RunError::Failed(FailReason::Storage(e.to_string()))
    }
}

impl From<ApiError> for RunError {
    fn from(e: ApiError) -> Self {
        match e {
            e if e.is_unauthorized() => RunError::NeedsSignIn,
            ApiError::Network => RunError::Failed(FailReason::Network),
            ApiError::Server {
                status, message, ..
            } => RunError::Failed(FailReason::Server { status, message }),
            ApiError::Decode(m) => RunError::Failed(FailReason::Server {
                status: 200,
                message: m,
            }),
        }
    }
}

/// The sync state of the app (provided by [`start`]).
pub fn use_sync() -> SyncState {
    expect_context::<SyncState>()
}

/// Creates the sync state, provides it, and sets up every trigger. Call
/// once, under the router (it reads the connection state from context).
pub fn start(net: ReadSignal<NetState>) -> SyncState {
    let state = SyncState {
        phase: RwSignal::new(Phase::Idle),
        progress: RwSignal::new((0, 0)),
        in_flight: RwSignal::new(Vec::new()),
        changes: RwSignal::new(0),
        waiting: RwSignal::new(0),
        sent: RwSignal::new((0, 0)),
    };
    provide_context(state);
    // Whenever the server becomes reachable again (the first check at
    // start included).
    Effect::new(move |prev: Option<NetState>| {
        let now = net.get();
        if now == NetState::Online && prev != Some(NetState::Online) {
            request(state);
        }
        now
    });
    if let Some(window) = web_sys::window() {
        let tick = Closure::<dyn Fn()>::new(move || request(state));
        let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
            tick.as_ref().unchecked_ref(),
            PERIODIC_MS,
        );
        tick.forget();
    }
    // At start, whatever the connection check says: a run with the server
    // away fails quickly and schedules its retry.
    request(state);
    state
}

/// Asks for a sync now ("Đồng bộ ngay", a finalized visit, a sign-in): the
/// retry wait is skipped.
pub fn sync_now(state: SyncState) {
    RUNNER.with(|r| r.borrow_mut().failures = 0);
    request(state);
}

/// Counts again what waits (after the officer takes a visit back to edit
/// it), without a run.
pub fn recount(state: SyncState) {
    leptos::task::spawn_local(count_waiting(state));
}

/// The signed-in officer's revisions still waiting, into `state.waiting`.
async fn count_waiting(state: SyncState) {
    if let Ok(store) = DeviceStore::shared().await {
        if let Ok(n) = store
            .outbox_len_of(&crate::session::current_account())
            .await
        {
            state.waiting.set(n);
        }
    }
}

/// Starts a run, or queues one more if a run is going.
pub fn request(state: SyncState) {
    let start = RUNNER.with(|r| {
        let mut r = r.borrow_mut();
        if let Some(t) = r.retry_timer.take() {
            if let Some(w) = web_sys::window() {
                w.clear_timeout_with_handle(t);
            }
        }
        if r.running {
            r.again = true;
            false
        } else {
            r.running = true;
            true
        }
    });
    if start {
        leptos::task::spawn_local(run_loop(state));
    }
}

async fn run_loop(state: SyncState) {
    loop {
        state.phase.set(Phase::Running);
        timing_start("htx-sync");
        let result = run_once(state).await;
        timing_end("htx-sync");
        state.in_flight.set(Vec::new());
        // Lists and counts re-read once, unless the run changed nothing (the
        // periodic sync with nothing new must not re-read every visit).
        if !matches!(result, Ok(false)) {
            state.changes.update(|n| *n += 1);
        }
        if matches!(result, Ok(true)) {
            record_confirmations_later();
        }
        count_waiting(state).await;
        let phase = match result {
            Ok(_) => {
                RUNNER.with(|r| r.borrow_mut().failures = 0);
                Phase::Done {
                    at_ms: js_sys::Date::now(),
                }
            }
            Err(RunError::NeedsSignIn) => Phase::NeedsSignIn,
            Err(RunError::Offline) => Phase::Offline,
            Err(RunError::Failed(reason)) => {
                let wait = RUNNER.with(|r| {
                    let mut r = r.borrow_mut();
                    r.failures += 1;
                    htx_core::outbox::backoff_ms(r.failures, js_sys::Math::random())
                });
                schedule_retry(state, wait);
                Phase::Failed {
                    reason,
                    retry_at_ms: js_sys::Date::now() + wait as f64,
                }
            }
        };
        state.phase.set(phase);
        let again = RUNNER.with(|r| {
            let mut r = r.borrow_mut();
            if r.again {
                r.again = false;
                true
            } else {
                r.running = false;
                false
            }
        });
        if !again {
            return;
        }
    }
}

/// How long after a run that confirmed visits their summaries are written
/// as confirmed: off the run's path, and once for several runs close
/// together.
const RECORD_AFTER_MS: i32 = 2_000;

/// Writes the run's confirmations into the stored summaries a little later
/// ([`DeviceStore::record_confirmations`]; until then they read as
/// confirmed all the same).
fn record_confirmations_later() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let record = Closure::once_into_js(move || {
        RUNNER.with(|r| r.borrow_mut().record_timer = None);
        leptos::task::spawn_local(async move {
            let account = crate::session::current_account();
            let recorded = async {
                DeviceStore::shared()
                    .await?
                    .record_confirmations(&account)
                    .await
            };
            if let Err(e) = recorded.await {
                leptos::logging::warn!("recording confirmations: {e}");
            }
        });
    });
    let handle = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            record.unchecked_ref(),
            RECORD_AFTER_MS,
        )
        .ok();
    if let Some(old) = RUNNER.with(|r| std::mem::replace(&mut r.borrow_mut().record_timer, handle))
    {
        window.clear_timeout_with_handle(old);
    }
}

fn schedule_retry(state: SyncState, wait_ms: u64) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let retry = Closure::once_into_js(move || {
        RUNNER.with(|r| r.borrow_mut().retry_timer = None);
        request(state);
    });
    let handle = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            retry.unchecked_ref(),
            wait_ms.min(i32::MAX as u64) as i32,
        )
        .ok();
    RUNNER.with(|r| r.borrow_mut().retry_timer = handle);
}

/// One run: a pull of review outcomes and reference data, beside it every
/// batch of the outbox.
/// `Ok(false)`: nothing was sent and nothing came back.
async fn run_once(state: SyncState) -> Result<bool, RunError> {
    let store = DeviceStore::shared().await?;
    // The signed-in officer's revisions only: another account's wait for it.
    let account = crate::session::current_account();
    let online = web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(false);
    let session = Session::load().filter(|s| !s.is_expired());
    // The pull goes out first, beside the count: its review outcomes and
    // reference data do not depend on what this run sends (reviews concern
    // revisions the server already holds; a receipt brings those of the
    // revisions it confirms), and a pull answered shows the server is there.
    let early = session.as_ref().filter(|_| online);
    let count = async {
        timing_start("htx-sync-count");
        let n = store.outbox_len_of(&account).await;
        timing_end("htx-sync-count");
        n
    };
    let early_pull = async {
        match early {
            Some(s) => Some(pull(&store, s).await),
            None => None,
        }
    };
    let (queued, pulled) = futures::join!(count, early_pull);
    let queued = queued?;
    state.waiting.set(queued);
    state.progress.set((0, queued));
    if !online {
        return Err(RunError::Offline);
    }
    let Some(session) = session else {
        return Err(RunError::NeedsSignIn);
    };
    let pulled = match (queued, pulled) {
        (0, Some(pulled)) => return pulled_outcome(pulled, false),
        (_, pulled) => pulled,
    };
    // Only send when the server answers: a revision whose push was tried
    // counts as possibly received (an edit then makes a new revision), so a
    // push into a dead link would cost the officer a revision for nothing.
    let answered = matches!(pulled, Some(Ok(_)));
    if !answered && !crate::net::server_reachable().await {
        return Err(RunError::Failed(FailReason::Network));
    }
    let mut done = 0;
    let mut sent_any = false;
    // Pipelined in three: while one batch is on the wire, the batch before
    // it has its receipt read and settled, and the batch after it is taken
    // (with its push body and receipt query built). A batch is sent only
    // after the push before it was answered (stored and committed), so
    // revisions of one visit still reach the server in order; nothing is
    // settled without its receipt.
    let mut pushed: Option<(Ready, Pushed)> = None;
    // Nothing waiting (the usual case between visits): straight to the
    // pull, without opening the outbox.
    let mut next = if queued == 0 {
        None
    } else {
        take(&store, &session, None).await?
    };
    while next.is_some() || pushed.is_some() {
        if let Some(ready) = &next {
            state.in_flight.update(|ids| {
                ids.extend(ready.batch.heads.iter().map(|e| e.visit_id));
            });
            sent_any = true;
        }
        let confirm = async {
            match &pushed {
                Some((ready, answer)) => confirm_batch(&store, &session, ready, answer)
                    .await
                    .map(Some),
                None => Ok(None),
            }
        };
        let push = async {
            match &next {
                Some(ready) => push_batch(&store, &session, ready).await.map(Some),
                None => Ok(None),
            }
        };
        let after = async {
            match &next {
                Some(ready) => take(&store, &session, Some(&ready.batch)).await,
                None => Ok(None),
            }
        };
        let (confirmed, answered, taken) = futures::join!(confirm, push, after);
        let taken = taken?;
        let outcome =
            settle_round(state, pushed.take(), confirmed, &mut done, queued).and(answered);
        let answer = match outcome {
            Ok(answer) => answer,
            // The batch just taken will not go out in this run: its mark
            // is removed, so an edit of one of its visits changes the
            // revision in place rather than making a new one.
            Err(e) => {
                if let Some(unsent) = &taken {
                    if let Err(u) = store.unmark_unsent(&unsent.batch).await {
                        leptos::logging::warn!("unmarking an unsent batch: {u}");
                    }
                }
                return Err(e);
            }
        };
        if let (Some(ready), Some(answer)) = (next.take(), answer) {
            state.sent.update(|(b, r)| {
                *b += answer.bytes as u64;
                *r += ready.batch.heads.len() as u64;
            });
            pushed = Some((ready, answer));
        }
        next = taken;
    }
    // A pull that failed before the pushes is tried once more; its failure
    // does not undo what was sent.
    let pulled = match pulled {
        Some(Ok(p)) => Ok(p),
        _ => pull(&store, &session).await,
    };
    pulled_outcome(pulled, done > 0 || sent_any)
}

/// A batch taken from the outbox, with its push body and receipt query
/// built: building them while the batch before is on the wire keeps them
/// off the chain of pushes.
struct Ready {
    batch: TakenBatch,
    /// An error here is the push's own (it fails when its turn comes).
    push: Result<api::SyncBody, ApiError>,
    receipt: Result<api::SyncBody, ApiError>,
}

/// Takes the next batch (after `after`, a batch not yet settled) and
/// builds its push body and receipt query; `None` when nothing more waits.
async fn take(
    store: &DeviceStore,
    session: &Session,
    after: Option<&TakenBatch>,
) -> Result<Option<Ready>, RunError> {
    timing_start("htx-sync-take");
    let batch = store.take_batch_after(&session.username, after).await?;
    if batch.heads.is_empty() {
        timing_end("htx-sync-take");
        return Ok(None);
    }
    let query = ReceiptQuery {
        protocol_version: PROTOCOL_VERSION,
        keys: batch.heads.iter().map(OutboxHead::record_key).collect(),
    };
    let (push, receipt) = futures::join!(
        api::push_body(device_id(), Uuid::now_v7(), &batch.records_json),
        api::receipt_body(&query)
    );
    timing_end("htx-sync-take");
    Ok(Some(Ready {
        batch,
        push,
        receipt,
    }))
}

/// Records a confirmed batch in the run's progress. A batch the server
/// stored but whose receipts do not show it yet ends the run, to be tried
/// again later rather than looped on.
fn settle_round(
    state: SyncState,
    pushed: Option<(Ready, Pushed)>,
    confirmed: Result<Option<u32>, RunError>,
    done: &mut u32,
    queued: u32,
) -> Result<(), RunError> {
    let Some((Ready { batch, .. }, _)) = pushed else {
        return confirmed.map(|_| ());
    };
    let settled = confirmed?.unwrap_or_default();
    let keys: HashSet<Uuid> = batch.heads.iter().map(|h| h.visit_id).collect();
    state
        .in_flight
        .update(|ids| ids.retain(|id| !keys.contains(id)));
    // Lists and counts are re-read once, when the run ends, not per batch
    // (the panel shows the progress): each re-read counts every visit of the
    // account, and its read transactions hold up the next batch's settle.
    if settled == 0 {
        return Err(RunError::Failed(FailReason::NotConfirmed));
    }
    *done += settled;
    state.progress.set((*done, queued.max(*done)));
    Ok(())
}

/// Pulls review outcomes and reference data changed since the last pull.
async fn pull(store: &DeviceStore, session: &Session) -> Result<Option<usize>, api::PullError> {
    timing_start("htx-sync-pull");
    let pulled = api::pull_reference(store, session, false).await;
    timing_end("htx-sync-pull");
    pulled
}

/// A run's outcome from its pull: whether anything changed (`sent`: the
/// run sent something).
fn pulled_outcome(
    pulled: Result<Option<usize>, api::PullError>,
    sent: bool,
) -> Result<bool, RunError> {
    match pulled {
        Ok(Some(n)) => {
            if n > 0 {
                crate::data::invalidate();
            }
            Ok(true)
        }
        Ok(None) => Ok(sent),
        Err(api::PullError::Api(e)) => Err(e.into()),
        Err(api::PullError::Storage(e)) => Err(e.into()),
    }
}

/// Uploads the photos of a batch the server does not hold yet, before the
/// visits that name them. One the server refuses (it should not: the device
/// checked it) does not hold its visit back; no answer ends the run, to be
/// retried like a push.
async fn upload_photos(
    store: &DeviceStore,
    session: &Session,
    names: &[String],
) -> Result<(), RunError> {
    if names.is_empty() {
        return Ok(());
    }
    timing_start("htx-sync-photos");
    for photo in store.photos_to_upload(names).await? {
        match api::put_photo(&photo, &session.token).await {
            Ok(()) => store.mark_photo_uploaded(&photo.sha256).await?,
            Err(ApiError::Server {
                status,
                code,
                message,
                ..
            }) if (400..500).contains(&status) && status != 401 => {
                leptos::logging::warn!(
                    "photo {} refused by the server: {status} {code} {message}",
                    photo.sha256
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    timing_end("htx-sync-photos");
    Ok(())
}

/// What the server answered a push, and the bytes sent.
struct Pushed {
    /// None: refused whole as too large (already settled as rejected).
    answer: Option<PushResponse>,
    bytes: usize,
}

/// Pushes one batch (after the photos it names).
async fn push_batch(
    store: &DeviceStore,
    session: &Session,
    ready: &Ready,
) -> Result<Pushed, RunError> {
    let heads = &ready.batch.heads;
    upload_photos(store, session, &ready.batch.photos).await?;
    let body = ready.push.as_ref().map_err(Clone::clone)?;
    timing_start("htx-sync-push");
    let answer = match api::push(body, &session.token).await {
        // One record alone over the server's limit: it can never go as it
        // is; reject it visibly rather than block the queue behind it.
        Err(ApiError::Server { status: 413, .. }) if heads.len() == 1 => {
            store
                .settle(&[(heads[0].clone(), htx_core::outbox::too_large())])
                .await?;
            return Ok(Pushed {
                answer: None,
                bytes: 0,
            });
        }
        other => other?,
    };
    timing_end("htx-sync-push");
    Ok(Pushed {
        answer: Some(answer),
        bytes: body.bytes(),
    })
}

/// Reads a pushed batch's receipts and records the outcome of each entry.
/// Returns how many left the outbox.
async fn confirm_batch(
    store: &DeviceStore,
    session: &Session,
    ready: &Ready,
    pushed: &Pushed,
) -> Result<u32, RunError> {
    let Ready { batch, receipt, .. } = ready;
    let heads = &batch.heads;
    let Some(answer) = &pushed.answer else {
        return Ok(heads.len() as u32);
    };
    let query = receipt.as_ref().map_err(Clone::clone)?;
    timing_start("htx-sync-receipt");
    let receipts = api::receipts(query, &session.token).await?;
    timing_end("htx-sync-receipt");
    timing_start("htx-sync-settle");
    let outcomes: HashMap<RecordKey, &RecordOutcome> =
        answer.results.iter().map(|r| (r.key, &r.outcome)).collect();
    let held: HashMap<RecordKey, &ReceiptStatus> =
        receipts.statuses.iter().map(|s| (s.key, s)).collect();
    let results: Vec<(OutboxHead, Settlement)> = heads
        .iter()
        .map(|e| {
            let key = e.record_key();
            (
                e.clone(),
                settle(e, outcomes.get(&key).copied(), held.get(&key).copied()),
            )
        })
        .collect();
    store
        .settle_batch(&session.username, batch, &results)
        .await?;
    timing_end("htx-sync-settle");
    Ok(results.iter().filter(|(_, s)| s.is_final()).count() as u32)
}
