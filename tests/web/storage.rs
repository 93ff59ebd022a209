//! The device storage layer in a real headless Chromium (wasm-bindgen-test).
//! Run: scripts/test.sh (or, after `. scripts/web-env.sh`:
//! `cargo test -p htx-survey --target wasm32-unknown-unknown --test storage_web`).
#![cfg(target_arch = "wasm32")]

use chrono::{TimeZone, Utc};
use htx_core::{time::to_vn, Visit, VisitState};
use htx_survey::storage::{stores, DeviceStore, SCHEMA_VERSION};
use uuid::Uuid;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const OFFICER: &str = "officer.test";

fn visit(n: u32, notes: &str) -> Visit {
    let started = to_vn(&Utc.with_ymd_and_hms(2026, 3, 1, 2, 0, n).unwrap());
    // v7 ids built from the timestamp so their order is the recording order.
    let id = Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        1_770_000_000 + u64::from(n),
        0,
    ));
    let mut v = Visit::new_draft(id, Uuid::now_v7(), OFFICER, started);
    v.notes = notes.to_string();
    v
}

async fn fresh(name: &str, version: u32) -> DeviceStore {
    DeviceStore::delete(name)
        .await
        .expect("delete old test database");
    DeviceStore::open_at(name, version).await.expect("open")
}

#[wasm_bindgen_test]
async fn new_database_has_current_schema() {
    let store = fresh("t-schema", SCHEMA_VERSION).await;
    assert_eq!(store.version(), SCHEMA_VERSION);
    assert_eq!(
        store.store_names(),
        vec![
            stores::META,
            stores::ORGANISATIONS,
            stores::OUTBOX,
            stores::PHOTOS,
            stores::VISIT_SUMMARIES,
            stores::VISITS
        ]
    );
    assert_eq!(store.count_visits().await.unwrap(), 0);
    store.close();
}

#[wasm_bindgen_test]
async fn upgrade_from_version_1_keeps_visits() {
    let name = "t-upgrade";
    let v1 = fresh(name, 1).await;
    assert_eq!(v1.store_names(), vec![stores::VISITS]);
    let kept = visit(1, "recorded before the upgrade");
    v1.put_visit(&kept).await.unwrap();
    v1.close();

    let current = DeviceStore::open_at(name, SCHEMA_VERSION)
        .await
        .expect("upgrade");
    assert_eq!(current.version(), SCHEMA_VERSION);
    assert_eq!(
        current.store_names(),
        vec![
            stores::META,
            stores::ORGANISATIONS,
            stores::OUTBOX,
            stores::PHOTOS,
            stores::VISIT_SUMMARIES,
            stores::VISITS
        ]
    );
    assert_eq!(
        current.get_visit(kept.id).await.unwrap(),
        Some(kept.clone())
    );
    assert_eq!(current.list_visits().await.unwrap(), vec![kept.clone()]);
    // The visit stored before summaries existed gets one, and so shows in the lists.
    current.repair_summaries().await.unwrap();
    let listed = current.recent_summaries(OFFICER, None, 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![kept.id]
    );
    assert_eq!(current.status_counts(OFFICER).await.unwrap()["draft"], 1);
    current.close();
    DeviceStore::delete(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn put_get_list_count() {
    let store = fresh("t-crud", SCHEMA_VERSION).await;
    let a = visit(1, "first");
    let b = visit(2, "second, with diacritics: Hợp tác xã Tân Hiệp");
    let c = visit(3, "third");
    for v in [&a, &b, &c] {
        store.put_visit(v).await.unwrap();
    }
    assert_eq!(store.get_visit(b.id).await.unwrap(), Some(b.clone()));
    assert_eq!(store.get_visit(Uuid::now_v7()).await.unwrap(), None);
    // Newest first.
    assert_eq!(
        store.list_visits().await.unwrap(),
        vec![c.clone(), b.clone(), a.clone()]
    );
    assert_eq!(store.count_visits().await.unwrap(), 3);

    // Saving the same visit again replaces it (autosave), never duplicates it.
    let mut b2 = b.clone();
    b2.notes.push_str(" – edited");
    b2.state = VisitState::Final;
    store.put_visit(&b2).await.unwrap();
    assert_eq!(store.count_visits().await.unwrap(), 3);
    assert_eq!(store.get_visit(b.id).await.unwrap(), Some(b2));
    store.close();
    DeviceStore::delete("t-crud").await.unwrap();
}

#[wasm_bindgen_test]
async fn summaries_list_newest_first_and_count_by_state() {
    use htx_core::device::{LocalStatus, VisitSummary};
    let store = fresh("t-summaries", SCHEMA_VERSION).await;
    let mut saved = Vec::new();
    for n in 0..5u32 {
        let mut v = visit(n, "x");
        if n % 2 == 1 {
            v.state = VisitState::Final;
        }
        let s = VisitSummary::of(&v, None, None, 1_000 + i64::from(n));
        store.save_visit(&v, &s).await.unwrap();
        saved.push(v.id);
    }
    let recent = store.recent_summaries(OFFICER, None, 3).await.unwrap();
    let newest: Vec<_> = saved.iter().rev().take(3).copied().collect();
    assert_eq!(recent.iter().map(|s| s.id).collect::<Vec<_>>(), newest);
    let waiting = store
        .recent_summaries(OFFICER, Some(LocalStatus::Waiting), 10)
        .await
        .unwrap();
    assert_eq!(
        waiting.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![saved[3], saved[1]]
    );
    let counts = store.status_counts(OFFICER).await.unwrap();
    assert_eq!(
        (counts["draft"], counts["waiting"], counts["confirmed"]),
        (3, 2, 0)
    );
    store.close();
    DeviceStore::delete("t-summaries").await.unwrap();
}

fn final_visit(n: u32) -> (Visit, htx_core::device::VisitSummary) {
    let mut v = visit(n, "final");
    v.state = VisitState::Final;
    let s = htx_core::device::VisitSummary::of(&v, None, None, 1_000 + i64::from(n));
    (v, s)
}

#[wasm_bindgen_test]
async fn upgrade_from_version_3_queues_visits_already_waiting() {
    let name = "t-upgrade-3";
    let v3 = fresh(name, 3).await;
    // A device at schema 3: visits with their summaries, one waiting.
    let (waiting, ws) = final_visit(1);
    let draft = visit(2, "draft");
    for v in [&waiting, &draft] {
        v3.put_visit(v).await.unwrap();
    }
    v3.put_summary(&ws).await.unwrap();
    v3.put_summary(&htx_core::device::VisitSummary::of(&draft, None, None, 7))
        .await
        .unwrap();
    v3.close();
    // What DeviceStore::shared does after opening.
    let current = DeviceStore::open_at(name, SCHEMA_VERSION)
        .await
        .expect("upgrade");
    current.repair_summaries().await.unwrap();
    assert_eq!(current.outbox_len().await.unwrap(), 0);
    current.backfill_outbox().await.unwrap();
    assert_eq!(
        current.outbox_len().await.unwrap(),
        1,
        "the waiting visit is queued, the draft is not"
    );
    let batch = current.take_batch(OFFICER).await.unwrap();
    assert_eq!(
        batch.heads.iter().map(|e| e.visit_id).collect::<Vec<_>>(),
        vec![waiting.id]
    );
    // The record goes out as the browser's JSON of what was stored: the
    // same visit, the same content hash.
    let records: Vec<htx_core::sync::VisitRevision> =
        serde_json::from_str(&batch.records_json).unwrap();
    assert_eq!(records[0].visit, waiting);
    assert_eq!(records[0].hash, batch.heads[0].hash);
    assert_eq!(
        htx_core::hash::content_hash(&records[0].visit),
        records[0].hash
    );
    // Runs once only.
    current.backfill_outbox().await.unwrap();
    assert_eq!(current.outbox_len().await.unwrap(), 1);
    current.close();
    DeviceStore::delete(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn outbox_queues_finalized_visits_and_sync_never_deletes_a_visit() {
    use htx_core::device::LocalStatus;
    use htx_core::outbox::Settlement;
    let name = "t-outbox";
    let store = fresh(name, SCHEMA_VERSION).await;
    let (a, sa) = final_visit(1);
    let (b, sb) = final_visit(2);
    let (c, sc) = final_visit(3);
    for (v, s) in [(&a, &sa), (&b, &sb), (&c, &sc)] {
        store.save_visit(v, s).await.unwrap();
    }
    // A draft is not queued.
    let d = visit(4, "draft");
    store
        .save_visit(&d, &htx_core::device::VisitSummary::of(&d, None, None, 5))
        .await
        .unwrap();
    assert_eq!(store.outbox_len().await.unwrap(), 3);

    // Taking a batch counts the attempt: from then on an edit is a new revision.
    let taken = store.take_batch(OFFICER).await.unwrap();
    let batch = taken.heads;
    assert_eq!(
        batch.iter().map(|e| e.visit_id).collect::<Vec<_>>(),
        vec![a.id, b.id, c.id],
        "queue order"
    );
    let records: Vec<htx_core::sync::VisitRevision> =
        serde_json::from_str(&taken.records_json).unwrap();
    assert_eq!(
        records.into_iter().map(|r| r.visit).collect::<Vec<_>>(),
        vec![a.clone(), b.clone(), c.clone()]
    );
    assert!(
        store.take_back(a.id, 0).await.unwrap(),
        "a sent revision is not taken back"
    );
    assert_eq!(store.outbox_len().await.unwrap(), 3);

    // Confirmed, rejected and pending entries.
    let errors = vec![htx_core::ValidationError::new(
        "organisation_id",
        htx_core::problem::ErrorCode::UnknownReference,
        "Không có tổ chức này trên máy chủ",
        "Unknown organisation",
    )];
    let results = vec![
        (batch[0].clone(), Settlement::Confirmed),
        (
            batch[1].clone(),
            Settlement::Rejected {
                errors: errors.clone(),
            },
        ),
        (batch[2].clone(), Settlement::Pending),
    ];
    store.settle(&results).await.unwrap();
    assert_eq!(
        store.outbox_len().await.unwrap(),
        1,
        "only the pending entry stays queued"
    );
    assert_eq!(
        store.get_summary(a.id).await.unwrap().unwrap().status,
        LocalStatus::Confirmed
    );
    let rejected = store.get_summary(b.id).await.unwrap().unwrap();
    assert_eq!(
        (rejected.status, rejected.problems.clone()),
        (LocalStatus::Rejected, errors)
    );
    assert_eq!(
        store.get_summary(c.id).await.unwrap().unwrap().status,
        LocalStatus::Waiting
    );
    assert!(
        store.take_back(c.id, 0).await.unwrap(),
        "a pending entry stays sent: the server may hold it"
    );
    assert_eq!(
        store.count_visits().await.unwrap(),
        4,
        "sync deletes no visit"
    );
    // The receipt's whole record is the entry leaving the outbox: every
    // reader sees the confirmed visit as confirmed, before and after its
    // summary is written as such.
    let ids =
        |v: Vec<htx_core::device::VisitSummary>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
    for written in [1, 0] {
        let counts = store.status_counts(OFFICER).await.unwrap();
        assert_eq!(
            (
                counts["draft"],
                counts["waiting"],
                counts["confirmed"],
                counts["rejected"]
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(
            ids(store
                .recent_summaries(OFFICER, Some(LocalStatus::Confirmed), 10)
                .await
                .unwrap()),
            vec![a.id]
        );
        assert_eq!(
            ids(store
                .recent_summaries(OFFICER, Some(LocalStatus::Waiting), 10)
                .await
                .unwrap()),
            vec![c.id]
        );
        let all = store.summaries_of(OFFICER).await.unwrap();
        assert_eq!(
            all.iter().find(|s| s.id == a.id).map(|s| s.status),
            Some(LocalStatus::Confirmed)
        );
        assert_eq!(
            store.record_confirmations(OFFICER).await.unwrap(),
            written,
            "the confirmed summary is written once, later"
        );
    }

    // A finalized visit never sent is taken back whole when edited, and its
    // summary turns draft in the same step: out of the outbox, a waiting
    // summary would read as confirmed.
    let (e, se) = final_visit(5);
    store.save_visit(&e, &se).await.unwrap();
    assert!(!store.take_back(e.id, 0).await.unwrap());
    assert_eq!(store.outbox_len().await.unwrap(), 1);
    assert_eq!(
        store.get_summary(e.id).await.unwrap().unwrap().status,
        LocalStatus::Draft
    );
    assert_eq!(store.record_confirmations(OFFICER).await.unwrap(), 0);
    store.close();
    DeviceStore::delete(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn settling_entries_around_a_pending_one_leaves_it_queued() {
    use htx_core::device::LocalStatus;
    use htx_core::outbox::Settlement;
    let name = "t-settle-around";
    let store = fresh(name, SCHEMA_VERSION).await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(save_as(&store, OFFICER, n, VisitState::Final).await.id);
    }
    let heads = store.take_batch(OFFICER).await.unwrap().heads;
    assert_eq!(heads.iter().map(|h| h.visit_id).collect::<Vec<_>>(), ids);
    // The first and last settle; the one between them has no receipt yet.
    store
        .settle(&[
            (heads[0].clone(), Settlement::Confirmed),
            (heads[1].clone(), Settlement::Pending),
            (heads[2].clone(), Settlement::Confirmed),
        ])
        .await
        .unwrap();
    assert_eq!(store.outbox_len().await.unwrap(), 1);
    let status = |s: Option<htx_core::device::VisitSummary>| s.unwrap().status;
    assert_eq!(
        [
            status(store.get_summary(ids[0]).await.unwrap()),
            status(store.get_summary(ids[1]).await.unwrap()),
            status(store.get_summary(ids[2]).await.unwrap()),
        ],
        [
            LocalStatus::Confirmed,
            LocalStatus::Waiting,
            LocalStatus::Confirmed
        ]
    );
    // The next batch is the pending one alone, still counted as sent.
    let next = store.take_batch(OFFICER).await.unwrap().heads;
    assert_eq!(
        next.iter().map(|h| h.visit_id).collect::<Vec<_>>(),
        vec![ids[1]]
    );
    assert!(store.take_back(ids[1], 0).await.unwrap());
    store.close();
    DeviceStore::delete(name).await.unwrap();
}

/// A sent revision still queued and its next revision settle in one go,
/// both refused: the visit shows the refusal of the revision it holds, not
/// "confirmed" (a waiting summary out of the outbox reads as confirmed).
#[wasm_bindgen_test]
async fn two_revisions_of_a_visit_refused_together_show_the_refusal() {
    use htx_core::device::LocalStatus;
    use htx_core::outbox::Settlement;
    let name = "t-settle-revisions";
    let store = fresh(name, SCHEMA_VERSION).await;
    let mut v = save_as(&store, OFFICER, 1, VisitState::Final).await;
    // Revision 0 goes out and no answer comes back: it stays queued, sent.
    let first = store.take_batch(OFFICER).await.unwrap().heads;
    assert_eq!(first.len(), 1);
    assert!(store.take_back(v.id, 0).await.unwrap(), "sent, so kept");
    v.revision = 1;
    v.replaces_revision = Some(0);
    v.notes = "sửa lại".into();
    let s = htx_core::device::VisitSummary::of(&v, None, None, 2_000);
    store.save_visit(&v, &s).await.unwrap();
    let heads = store.take_batch(OFFICER).await.unwrap().heads;
    assert_eq!(
        heads
            .iter()
            .map(|h| (h.visit_id, h.revision))
            .collect::<Vec<_>>(),
        vec![(v.id, 0), (v.id, 1)]
    );
    let refused = || Settlement::Rejected {
        errors: vec![htx_core::ValidationError::new(
            "notes",
            htx_core::ErrorCode::TooLong,
            "Ghi chú quá dài",
            "Notes too long",
        )],
    };
    store
        .settle(&[(heads[0].clone(), refused()), (heads[1].clone(), refused())])
        .await
        .unwrap();
    assert_eq!(store.outbox_len().await.unwrap(), 0);
    let summary = store.get_summary(v.id).await.unwrap().unwrap();
    assert_eq!(
        (summary.revision, summary.status),
        (1, LocalStatus::Rejected)
    );
    assert_eq!(summary.problems.len(), 1);
    store.close();
    DeviceStore::delete(name).await.unwrap();
}

/// Two sent visits with 40 drafts recorded between them (the range between
/// is too wide to read whole): both are confirmed, the drafts untouched.
#[wasm_bindgen_test]
async fn settling_visits_far_apart_confirms_them_and_nothing_between() {
    use htx_core::outbox::Settlement;
    let name = "t-settle-apart";
    let store = fresh(name, SCHEMA_VERSION).await;
    let first = save_as(&store, OFFICER, 1, VisitState::Final).await;
    for n in 2..=41 {
        save_as(&store, OFFICER, n, VisitState::Draft).await;
    }
    let last = save_as(&store, OFFICER, 42, VisitState::Final).await;
    let heads = store.take_batch(OFFICER).await.unwrap().heads;
    assert_eq!(
        heads.iter().map(|h| h.visit_id).collect::<Vec<_>>(),
        vec![first.id, last.id]
    );
    store
        .settle(&[
            (heads[0].clone(), Settlement::Confirmed),
            (heads[1].clone(), Settlement::Confirmed),
        ])
        .await
        .unwrap();
    assert_eq!(store.outbox_len().await.unwrap(), 0);
    let counts = store.status_counts(OFFICER).await.unwrap();
    assert_eq!((counts["confirmed"], counts["draft"]), (2, 40));
    store.close();
    DeviceStore::delete(name).await.unwrap();
}

/// A visit of `officer` saved through the app's path (summary, outbox).
async fn save_as(store: &DeviceStore, officer: &str, n: u32, state: VisitState) -> Visit {
    let mut v = visit(n, "shared phone");
    v.officer = officer.to_string();
    v.state = state;
    let s = htx_core::device::VisitSummary::of(&v, None, None, 1_000 + i64::from(n));
    store.save_visit(&v, &s).await.unwrap();
    v
}

#[wasm_bindgen_test]
async fn a_shared_phone_lists_counts_and_sends_only_the_signed_in_officers_visits() {
    use htx_core::device::LocalStatus;
    let name = "t-accounts";
    let store = fresh(name, SCHEMA_VERSION).await;
    let a_final = save_as(&store, "canbo1", 1, VisitState::Final).await;
    let a_draft = save_as(&store, "canbo1", 2, VisitState::Draft).await;
    let b_final = save_as(&store, "canbo2", 3, VisitState::Final).await;
    let nobody = save_as(&store, "", 4, VisitState::Final).await;

    let ids =
        |v: Vec<htx_core::device::VisitSummary>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.recent_summaries("canbo1", None, 10).await.unwrap()),
        vec![a_draft.id, a_final.id]
    );
    assert_eq!(
        ids(store.recent_summaries("canbo2", None, 10).await.unwrap()),
        vec![b_final.id]
    );
    assert!(ids(store
        .recent_summaries("canbo2", Some(LocalStatus::Draft), 10)
        .await
        .unwrap())
    .is_empty());
    let counts = store.status_counts("canbo1").await.unwrap();
    assert_eq!((counts["draft"], counts["waiting"]), (1, 1));
    assert_eq!(store.status_counts("canbo2").await.unwrap()["waiting"], 1);
    assert_eq!(store.outbox_len().await.unwrap(), 3);
    assert_eq!(store.outbox_len_of("canbo2").await.unwrap(), 1);
    assert_eq!(store.outbox_len_of("canbo1").await.unwrap(), 1);
    assert_eq!(store.outbox_len_of("").await.unwrap(), 1);
    assert_eq!(store.outbox_len_of("canbo3").await.unwrap(), 0);
    let others = store.other_accounts("canbo2").await.unwrap();
    assert_eq!((others.visits, others.waiting), (3, 2));

    // canbo2's sync takes canbo2's revision only; canbo1's wait for canbo1.
    let batch = store.take_batch("canbo2").await.unwrap();
    assert_eq!(
        batch.heads.iter().map(|h| h.visit_id).collect::<Vec<_>>(),
        vec![b_final.id]
    );
    assert!(store
        .take_batch("nobody.else")
        .await
        .unwrap()
        .heads
        .is_empty());

    // A visit recorded while nobody was signed in goes to the next sign-in.
    assert_eq!(store.claim_unowned("canbo2").await.unwrap(), 1);
    assert_eq!(
        store.get_summary(nobody.id).await.unwrap().unwrap().account,
        "canbo2"
    );
    assert_eq!(store.outbox_len_of("canbo2").await.unwrap(), 2);
    assert_eq!(
        store.claim_unowned("canbo1").await.unwrap(),
        0,
        "claimed once"
    );
    assert_eq!(store.count_visits().await.unwrap(), 4, "nothing is deleted");
    store.close();
    DeviceStore::delete(name).await.unwrap();
}

/// Rewrites every record of `names` in database `name` at `version` with
/// `change`, as an older app would have stored them; returns how many.
async fn rewrite_records(
    name: &str,
    version: u32,
    names: &[&str],
    change: impl Fn(&wasm_bindgen::JsValue),
) -> usize {
    use indexed_db_futures::prelude::*;
    let db = indexed_db_futures::database::Database::open(name)
        .with_version(version)
        .await
        .unwrap();
    let mut rewritten = 0;
    for store_name in names {
        let tx = db
            .transaction(*store_name)
            .with_mode(indexed_db_futures::transaction::TransactionMode::Readwrite)
            .build()
            .unwrap();
        let store = tx.object_store(store_name).unwrap();
        let all: Vec<wasm_bindgen::JsValue> = store
            .get_all()
            .primitive()
            .unwrap()
            .await
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        for r in all {
            change(&r);
            store.put(r).primitive().unwrap();
            rewritten += 1;
        }
        tx.commit().await.unwrap();
    }
    db.close();
    rewritten
}

#[wasm_bindgen_test]
async fn upgrade_from_version_5_gives_each_visit_and_queued_revision_its_officer() {
    let name = "t-upgrade-5";
    let v5 = fresh(name, 5).await;
    let a = save_as(&v5, "canbo1", 1, VisitState::Final).await;
    let b = save_as(&v5, "canbo2", 2, VisitState::Draft).await;
    v5.close();
    // Schema 5 stored no account: strip it, as an older app wrote them.
    let stripped = rewrite_records(name, 5, &[stores::VISIT_SUMMARIES, stores::OUTBOX], |r| {
        js_sys::Reflect::delete_property(
            wasm_bindgen::JsCast::unchecked_ref::<js_sys::Object>(r),
            &wasm_bindgen::JsValue::from_str("account"),
        )
        .unwrap();
    })
    .await;
    assert_eq!(stripped, 3, "2 summaries, 1 outbox entry");

    let current = DeviceStore::open_at(name, SCHEMA_VERSION)
        .await
        .expect("upgrade");
    assert_eq!(
        current.count_visits_of("canbo1").await.unwrap(),
        0,
        "unlabelled records are in no account's index"
    );
    current.label_accounts().await.unwrap();
    assert_eq!(
        current.get_summary(a.id).await.unwrap().unwrap().account,
        "canbo1"
    );
    assert_eq!(
        current.get_summary(b.id).await.unwrap().unwrap().account,
        "canbo2"
    );
    assert_eq!(current.outbox_len_of("canbo1").await.unwrap(), 1);
    assert_eq!(current.status_counts("canbo2").await.unwrap()["draft"], 1);
    let batch = current.take_batch("canbo1").await.unwrap();
    assert_eq!(
        batch.heads.iter().map(|h| h.visit_id).collect::<Vec<_>>(),
        vec![a.id]
    );
    assert_eq!(current.count_visits().await.unwrap(), 2);
    current.close();
    DeviceStore::delete(name).await.unwrap();
}

/// A phone with schema 5 and visits in every state, one of them sent by a
/// sync the tab never finished, and a photo: after the upgrade every state,
/// reason, comment and photo is as it was, and the next sync sends exactly
/// the visits still waiting (the one sent included: no receipt named it).
#[wasm_bindgen_test]
async fn upgrade_from_version_5_keeps_every_state_and_photo_and_sends_only_the_waiting() {
    use htx_core::device::{LocalStatus, VisitSummary};
    let name = "t-upgrade-5-states";
    let v5 = fresh(name, 5).await;
    let draft = save_as(&v5, "canbo1", 1, VisitState::Draft).await;
    let waiting = save_as(&v5, "canbo1", 2, VisitState::Final).await;
    let sending = save_as(&v5, "canbo1", 3, VisitState::Final).await;
    let problems = vec![htx_core::ValidationError::new(
        "organisation_id",
        htx_core::problem::ErrorCode::UnknownReference,
        "Không có tổ chức này trên máy chủ",
        "Unknown organisation",
    )];
    let mut settled = Vec::new();
    for (n, status) in [
        (4, LocalStatus::Confirmed),
        (5, LocalStatus::Rejected),
        (6, LocalStatus::Conflict),
        (7, LocalStatus::Returned),
    ] {
        let mut v = visit(n, "đã có kết quả");
        v.officer = "canbo1".into();
        v.state = VisitState::Final;
        let mut s = VisitSummary::of(&v, None, None, 1_000 + i64::from(n));
        s.status = status;
        if status == LocalStatus::Rejected {
            s.problems = problems.clone();
        }
        if status == LocalStatus::Returned {
            s.review_comment = Some("Bổ sung số thành viên".into());
        }
        v5.save_visit(&v, &s).await.unwrap();
        settled.push(s);
    }
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 5, 5, 5];
    let sha = htx_core::photo::sha256_hex(&jpeg);
    v5.put_photo(&sha, "image/jpeg", &blob(&jpeg, "image/jpeg"))
        .await
        .unwrap();
    v5.close();
    // As schema 5 stored them: no account, the record as an object, and a
    // push attempt counted on the outbox entry itself.
    rewrite_records(name, 5, &[stores::VISIT_SUMMARIES, stores::OUTBOX], |r| {
        js_sys::Reflect::delete_property(
            wasm_bindgen::JsCast::unchecked_ref::<js_sys::Object>(r),
            &wasm_bindgen::JsValue::from_str("account"),
        )
        .unwrap();
    })
    .await;
    rewrite_records(name, 5, &[stores::OUTBOX], record_as_object).await;
    let sent_key = htx_core::outbox::OutboxEntry::key_of(sending.id, 0);
    rewrite_records(name, 5, &[stores::OUTBOX], |e| {
        if js_sys::Reflect::get(e, &"key".into()).unwrap().as_string() == Some(sent_key.clone()) {
            js_sys::Reflect::set(e, &"attempts".into(), &1.into()).unwrap();
        }
    })
    .await;

    let current = DeviceStore::open_at(name, SCHEMA_VERSION)
        .await
        .expect("upgrade");
    current.label_accounts().await.unwrap();
    let counts = current.status_counts("canbo1").await.unwrap();
    let count = |s: LocalStatus| counts.get(s.as_str()).copied().unwrap_or(0);
    assert_eq!(
        LocalStatus::ALL.map(count),
        [1, 2, 1, 1, 1, 1],
        "draft, waiting, confirmed, rejected, conflict, returned: {counts:?}"
    );
    for before in &settled {
        let after = current.get_summary(before.id).await.unwrap().unwrap();
        assert_eq!(
            (after.status, &after.problems, &after.review_comment),
            (before.status, &before.problems, &before.review_comment)
        );
    }
    assert_eq!(
        current.get_summary(draft.id).await.unwrap().unwrap().status,
        LocalStatus::Draft
    );
    assert_eq!(current.count_visits().await.unwrap(), 7);
    assert_eq!(current.count_photos().await.unwrap(), 1);
    let photo = current.photo(&sha).await.unwrap().expect("the photo");
    assert_eq!(blob_bytes(&photo.blob).await, jpeg);

    assert_eq!(current.outbox_len_of("canbo1").await.unwrap(), 2);
    let batch = current.take_batch("canbo1").await.unwrap();
    assert_eq!(
        batch.heads.iter().map(|h| h.visit_id).collect::<Vec<_>>(),
        vec![waiting.id, sending.id],
        "the waiting visits, nothing else"
    );
    assert!(
        current.take_back(sending.id, 0).await.unwrap(),
        "what the older app had sent is edited as a new revision"
    );
    current.close();
    DeviceStore::delete(name).await.unwrap();
}

/// An outbox entry as the app queued it before records were kept as text:
/// the record an object (`record`), no `hash`, `photos` or `record_json`.
fn record_as_object(e: &wasm_bindgen::JsValue) {
    use wasm_bindgen::JsValue;
    let o: &js_sys::Object = wasm_bindgen::JsCast::unchecked_ref(e);
    let text = js_sys::Reflect::get(e, &"record_json".into()).unwrap();
    let record = js_sys::JSON::parse(&text.as_string().expect("record_json")).unwrap();
    js_sys::Reflect::set(e, &"record".into(), &record).unwrap();
    for gone in ["record_json", "hash", "photos"] {
        js_sys::Reflect::delete_property(o, &JsValue::from_str(gone)).unwrap();
    }
}

/// What the app stored before records went through JSON (serde-wasm-bindgen):
/// an absent value was a property holding `undefined`, not `null`.
fn absent_as_undefined(v: &wasm_bindgen::JsValue) {
    use wasm_bindgen::JsCast;
    let Some(o) = v.dyn_ref::<js_sys::Object>() else {
        return;
    };
    for key in js_sys::Object::keys(o).iter() {
        let value = js_sys::Reflect::get(o, &key).unwrap();
        if value.is_null() {
            js_sys::Reflect::set(o, &key, &wasm_bindgen::JsValue::UNDEFINED).unwrap();
        } else {
            absent_as_undefined(&value);
        }
    }
}

#[wasm_bindgen_test]
async fn records_an_earlier_app_stored_read_the_same() {
    let name = "t-earlier-records";
    let store = fresh(name, SCHEMA_VERSION).await;
    let draft = save_as(&store, OFFICER, 1, VisitState::Draft).await;
    let waiting = save_as(&store, OFFICER, 2, VisitState::Final).await;
    let summary = store.get_summary(draft.id).await.unwrap().unwrap();
    store.close();
    rewrite_records(name, SCHEMA_VERSION, &[stores::OUTBOX], record_as_object).await;
    let all = [stores::VISITS, stores::VISIT_SUMMARIES, stores::OUTBOX];
    let rewritten = rewrite_records(name, SCHEMA_VERSION, &all, absent_as_undefined).await;
    // An earlier app counted a push attempt on the entry itself.
    rewrite_records(name, SCHEMA_VERSION, &[stores::OUTBOX], |e| {
        js_sys::Reflect::set(e, &"attempts".into(), &1.into()).unwrap();
    })
    .await;
    assert_eq!(rewritten, 5, "2 visits, 2 summaries, 1 outbox entry");
    let store = DeviceStore::open_at(name, SCHEMA_VERSION).await.unwrap();
    assert_eq!(
        store.get_visit(draft.id).await.unwrap(),
        Some(draft.clone())
    );
    assert_eq!(store.get_summary(draft.id).await.unwrap(), Some(summary));
    assert_eq!(
        store
            .recent_summaries(OFFICER, None, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        store.take_back(waiting.id, 0).await.unwrap(),
        "a revision an earlier app tried to push is not taken back"
    );
    let batch = store.take_batch(OFFICER).await.unwrap();
    assert_eq!(
        batch.heads.iter().map(|h| h.visit_id).collect::<Vec<_>>(),
        vec![waiting.id]
    );
    let sent: Vec<htx_core::sync::VisitRevision> =
        serde_json::from_str(&batch.records_json).unwrap();
    assert_eq!(sent, vec![htx_core::sync::VisitRevision::new(waiting)]);
    store.close();
    DeviceStore::delete(name).await.unwrap();
}

/// A blob of `bytes` typed `mime`.
fn blob(bytes: &[u8], mime: &str) -> web_sys::Blob {
    htx_survey::photo::blob_of(bytes, mime).unwrap()
}

async fn blob_bytes(b: &web_sys::Blob) -> Vec<u8> {
    htx_survey::photo::bytes_of(b).await.unwrap()
}

#[wasm_bindgen_test]
async fn photos_are_kept_by_content_and_their_upload_remembered() {
    let name = "t-photos";
    let store = fresh(name, SCHEMA_VERSION).await;
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
    let png = *b"\x89PNG\r\n\x1a\n-png-";
    let (a, b) = (
        htx_core::photo::sha256_hex(&jpeg),
        htx_core::photo::sha256_hex(&png),
    );
    store
        .put_photo(&a, "image/jpeg", &blob(&jpeg, "image/jpeg"))
        .await
        .unwrap();
    store
        .put_photo(&b, "image/png", &blob(&png, "image/png"))
        .await
        .unwrap();
    let got = store.photo(&a).await.unwrap().expect("stored");
    assert_eq!((got.mime.as_str(), got.uploaded), ("image/jpeg", false));
    assert_eq!(
        blob_bytes(&got.blob).await,
        jpeg.to_vec(),
        "the bytes come back as stored"
    );
    assert!(store.photo(&"0".repeat(64)).await.unwrap().is_none());

    // Named by a batch (twice, and one this device does not have): each
    // stored one once, in order; once uploaded, never again.
    let names = vec![b.clone(), "f".repeat(64), a.clone(), b.clone()];
    let pending: Vec<String> = store
        .photos_to_upload(&names)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.sha256)
        .collect();
    assert_eq!(pending, vec![b.clone(), a.clone()]);
    store.mark_photo_uploaded(&b).await.unwrap();
    let pending: Vec<String> = store
        .photos_to_upload(&names)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.sha256)
        .collect();
    assert_eq!(pending, vec![a.clone()]);
    // Storing the same picture again keeps what is known about it.
    store
        .put_photo(&b, "image/png", &blob(&png, "image/png"))
        .await
        .unwrap();
    assert!(store.photo(&b).await.unwrap().unwrap().uploaded);
    assert_eq!(store.count_photos().await.unwrap(), 2);
    store.close();
    DeviceStore::delete(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_camera_sized_photo_is_shrunk_and_a_non_image_refused() {
    use htx_survey::photo::{prepare, PhotoError};
    // 4000x3000, drawn and encoded by the browser itself.
    let document = web_sys::window().unwrap().document().unwrap();
    let canvas: web_sys::HtmlCanvasElement =
        wasm_bindgen::JsCast::unchecked_into(document.create_element("canvas").unwrap());
    canvas.set_width(4000);
    canvas.set_height(3000);
    let url = canvas.to_data_url_with_type("image/png").unwrap();
    let resp: web_sys::Response = wasm_bindgen::JsCast::unchecked_into(
        wasm_bindgen_futures::JsFuture::from(web_sys::window().unwrap().fetch_with_str(&url))
            .await
            .unwrap(),
    );
    let big: web_sys::Blob = wasm_bindgen::JsCast::unchecked_into(
        wasm_bindgen_futures::JsFuture::from(resp.blob().unwrap())
            .await
            .unwrap(),
    );
    let p = prepare(&big).await.expect("a PNG photo");
    assert_eq!((p.width, p.height, p.mime), (1600, 1200, "image/jpeg"));
    let bytes = blob_bytes(&p.blob).await;
    assert_eq!(
        p.sha256,
        htx_core::photo::sha256_hex(&bytes),
        "named by the stored bytes"
    );

    let text = blob(b"not a photo at all", "image/jpeg");
    assert_eq!(
        prepare(&text).await.err(),
        Some(PhotoError::NotAnImage),
        "the claimed type is not trusted"
    );
}

#[wasm_bindgen_test]
async fn the_batch_after_one_in_flight_takes_the_rest_of_the_queue_once() {
    let name = "t-take-after";
    let store = fresh(name, SCHEMA_VERSION).await;
    let n = htx_core::outbox::MAX_BATCH_RECORDS as u32 + 7;
    // Saved in a loop: many share a millisecond, so the queue has ties at
    // the end of the first batch.
    for _ in 0..n {
        save_final(&store, "hàng đợi").await;
    }
    let first = store.take_batch(OFFICER).await.unwrap();
    assert_eq!(first.heads.len(), htx_core::outbox::MAX_BATCH_RECORDS);
    let second = store.take_batch_after(OFFICER, Some(&first)).await.unwrap();
    let mut ids: Vec<Uuid> = first.heads.iter().map(|h| h.visit_id).collect();
    ids.extend(second.heads.iter().map(|h| h.visit_id));
    assert_eq!(ids.len(), n as usize, "each waiting revision taken once");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n as usize, "no revision in both batches");
    let nothing = store
        .take_batch_after(OFFICER, Some(&second))
        .await
        .unwrap();
    assert!(nothing.heads.is_empty());
    store.close();
    DeviceStore::delete(name).await.unwrap();
}

/// Waits `ms` milliseconds: revisions saved apart get distinct places in
/// the queue (`queued_ms`).
async fn pause(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

/// Saves a final visit with a fresh id, queued now.
async fn save_final(store: &DeviceStore, notes: &str) -> Visit {
    let mut v = visit(1, notes);
    v.id = Uuid::now_v7();
    v.state = VisitState::Final;
    let s = htx_core::device::VisitSummary::of(&v, None, None, 1_000);
    store.save_visit(&v, &s).await.unwrap();
    v
}

#[wasm_bindgen_test]
async fn a_revision_left_behind_a_settled_batch_is_still_sent() {
    use htx_core::outbox::Settlement;
    let name = "t-queue-head";
    let store = fresh(name, SCHEMA_VERSION).await;
    let early = save_final(&store, "đợi").await;
    let first = store.take_batch(OFFICER).await.unwrap();
    pause(5).await;
    let later = [
        save_final(&store, "sau 1").await,
        save_final(&store, "sau 2").await,
    ];
    let second = store.take_batch_after(OFFICER, Some(&first)).await.unwrap();
    let ids = |b: &htx_survey::storage::TakenBatch| -> Vec<Uuid> {
        b.heads.iter().map(|h| h.visit_id).collect()
    };
    assert_eq!(ids(&second), vec![later[0].id, later[1].id]);
    // The first batch's receipt left it pending; the second was confirmed
    // whole, so the queue's head moved past the early revision.
    store
        .settle_batch(
            OFFICER,
            &first,
            &[(first.heads[0].clone(), Settlement::Pending)],
        )
        .await
        .unwrap();
    confirm(&store, &second).await;
    assert_eq!(store.outbox_len_of(OFFICER).await.unwrap(), 1);
    let next = store.take_batch(OFFICER).await.unwrap();
    assert_eq!(ids(&next), vec![early.id], "the next sync sends it");
    confirm(&store, &next).await;
    // From the new head on: what is queued after it, and only that.
    let after = save_final(&store, "sau cùng").await;
    assert_eq!(
        ids(&store.take_batch(OFFICER).await.unwrap()),
        vec![after.id]
    );
    store.close();
    DeviceStore::delete(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_batch_taken_but_never_sent_can_be_taken_back_for_editing() {
    let name = "t-unmark";
    let store = fresh(name, SCHEMA_VERSION).await;
    let sent = save_final(&store, "gửi rồi").await;
    store.take_batch(OFFICER).await.unwrap();
    let unsent = save_final(&store, "chưa gửi").await;
    // Taken again from the start (a new run): the sent one marked twice.
    let again = store.take_batch(OFFICER).await.unwrap();
    assert_eq!(again.heads.len(), 2);
    store.unmark_unsent(&again).await.unwrap();
    assert!(
        !store.take_back(unsent.id, 0).await.unwrap(),
        "never sent: taken back, edited in place"
    );
    assert!(
        store.take_back(sent.id, 0).await.unwrap(),
        "sent by the first take: still a new revision"
    );
    store.close();
    DeviceStore::delete(name).await.unwrap();
}

/// The keys of `name`'s `meta` records that mark revisions as sent.
async fn sent_marks(name: &str) -> Vec<String> {
    use indexed_db_futures::prelude::*;
    let db = indexed_db_futures::database::Database::open(name)
        .await
        .unwrap();
    let tx = db.transaction(stores::META).build().unwrap();
    let keys: Vec<String> = tx
        .object_store(stores::META)
        .unwrap()
        .get_all_keys::<String>()
        .primitive()
        .unwrap()
        .await
        .unwrap()
        .map(|k| k.unwrap())
        .filter(|k| k.starts_with("outbox_sent"))
        .collect();
    drop(tx);
    db.close();
    keys
}

/// Settles every entry of `batch` as confirmed by a receipt.
async fn confirm(store: &DeviceStore, batch: &htx_survey::storage::TakenBatch) {
    let all: Vec<_> = batch
        .heads
        .iter()
        .map(|h| (h.clone(), htx_core::outbox::Settlement::Confirmed))
        .collect();
    store.settle_batch(OFFICER, batch, &all).await.unwrap();
}

/// Closes and deletes database `name`, after checking no mark was left.
async fn close_without_marks(store: DeviceStore, name: &str, why: &str) {
    store.close();
    assert_eq!(sent_marks(name).await, Vec::<String>::new(), "{why}");
    DeviceStore::delete(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_revision_pushed_twice_stays_sent_until_settled_and_leaves_no_mark() {
    use htx_core::outbox::Settlement;
    let name = "t-marks";
    let store = fresh(name, SCHEMA_VERSION).await;
    let v = save_final(&store, "hai lần").await;
    let first = store.take_batch(OFFICER).await.unwrap();
    store
        .settle_batch(
            OFFICER,
            &first,
            &[(first.heads[0].clone(), Settlement::Pending)],
        )
        .await
        .unwrap();
    // The next run pushes it again; that batch never goes out.
    let again = store.take_batch(OFFICER).await.unwrap();
    store.unmark_unsent(&again).await.unwrap();
    assert!(
        store.take_back(v.id, 0).await.unwrap(),
        "the first push may have reached the server: a new revision"
    );
    let last = store.take_batch(OFFICER).await.unwrap();
    assert_eq!(last.heads.len(), 1);
    confirm(&store, &last).await;
    assert_eq!(store.outbox_len_of(OFFICER).await.unwrap(), 0);
    close_without_marks(store, name, "settled: every mark gone").await;
}

#[wasm_bindgen_test]
async fn marks_of_an_app_before_schema_9_still_hold_after_the_upgrade() {
    use htx_core::outbox::OutboxEntry;
    use indexed_db_futures::prelude::*;
    let name = "t-marks-8";
    let v8 = fresh(name, 8).await;
    let sent = save_final(&v8, "gửi trước").await;
    let unsent = save_final(&v8, "chưa gửi").await;
    v8.close();
    // Schema 8 kept every mark in one map: outbox key → pushes.
    {
        let db = indexed_db_futures::database::Database::open(name)
            .with_version(8u32)
            .await
            .unwrap();
        let tx = db
            .transaction(stores::META)
            .with_mode(indexed_db_futures::transaction::TransactionMode::Readwrite)
            .build()
            .unwrap();
        let map = js_sys::Object::new();
        js_sys::Reflect::set(&map, &OutboxEntry::key_of(sent.id, 0).into(), &1.into()).unwrap();
        tx.object_store(stores::META)
            .unwrap()
            .put(wasm_bindgen::JsValue::from(map))
            .with_key("outbox_sent")
            .without_key_type()
            .primitive()
            .unwrap();
        tx.commit().await.unwrap();
        db.close();
    }
    let store = DeviceStore::open_at(name, SCHEMA_VERSION).await.unwrap();
    let batch = store.take_batch(OFFICER).await.unwrap();
    assert_eq!(batch.heads.len(), 2, "both still queued");
    store.unmark_unsent(&batch).await.unwrap();
    assert!(
        store.take_back(sent.id, 0).await.unwrap(),
        "marked by the earlier app: a new revision"
    );
    assert!(
        !store.take_back(unsent.id, 0).await.unwrap(),
        "never sent: edited in place"
    );
    let batch = store.take_batch(OFFICER).await.unwrap();
    assert_eq!(batch.heads.len(), 1);
    confirm(&store, &batch).await;
    close_without_marks(store, name, "the old map settled too").await;
}

#[wasm_bindgen_test]
async fn a_batch_names_the_photos_of_its_records_as_queued_now_and_before() {
    let name = "t-take-photos";
    let store = fresh(name, SCHEMA_VERSION).await;
    let mut v = visit(1, "có ảnh");
    v.officer = OFFICER.into();
    v.state = VisitState::Final;
    let sha = "cd".repeat(32);
    v.photos.push(htx_core::visit::PhotoRef {
        id: Uuid::now_v7(),
        sha256: sha.clone(),
        caption: String::new(),
    });
    let s = htx_core::device::VisitSummary::of(&v, None, None, 1_000);
    store.save_visit(&v, &s).await.unwrap();
    let batch = store.take_batch(OFFICER).await.unwrap();
    assert_eq!(batch.photos, vec![sha.clone()]);
    let sent: Vec<htx_core::sync::VisitRevision> =
        serde_json::from_str(&batch.records_json).unwrap();
    assert_eq!(sent, vec![htx_core::sync::VisitRevision::new(v.clone())]);
    store.close();
    // The same entry as an earlier app queued it (the record an object).
    rewrite_records(name, SCHEMA_VERSION, &[stores::OUTBOX], record_as_object).await;
    let store = DeviceStore::open_at(name, SCHEMA_VERSION).await.unwrap();
    let batch = store.take_batch(OFFICER).await.unwrap();
    assert_eq!(batch.photos, vec![sha]);
    assert_eq!(
        batch.heads[0].hash,
        htx_core::sync::VisitRevision::new(v).hash
    );
    store.close();
    DeviceStore::delete(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn first_start_of_derived_confirmations_queues_what_an_older_app_left_out() {
    use htx_core::device::LocalStatus;
    use htx_core::outbox::Settlement;
    let name = "t-backfill-2";
    let store = fresh(name, SCHEMA_VERSION).await;
    // An older app's leftover: a final visit whose summary says waiting but
    // whose entry left the outbox without a receipt (an edit taken back, the
    // app closed before the draft was saved). Made here the only way this
    // app can: a confirmation, then the step runs as it would on upgrade.
    let (left, sl) = final_visit(1);
    let (queued, sq) = final_visit(2);
    store.save_visit(&left, &sl).await.unwrap();
    let head = store.take_batch(OFFICER).await.unwrap().heads.remove(0);
    store
        .settle(&[(head, Settlement::Confirmed)])
        .await
        .unwrap();
    store.save_visit(&queued, &sq).await.unwrap();
    assert_eq!(store.outbox_len().await.unwrap(), 1);

    store.backfill_outbox().await.unwrap();
    // Sent again rather than shown as received; the queued one not twice.
    assert_eq!(store.outbox_len().await.unwrap(), 2);
    assert_eq!(
        store.get_summary(left.id).await.unwrap().unwrap().status,
        LocalStatus::Waiting
    );
    let batch = store.take_batch(OFFICER).await.unwrap();
    assert_eq!(
        batch.heads.iter().map(|h| h.visit_id).collect::<Vec<_>>(),
        vec![queued.id, left.id],
        "the one already queued keeps its place"
    );
    // Once only: a confirmation after it stays a confirmation.
    let results: Vec<_> = batch
        .heads
        .into_iter()
        .map(|h| (h, Settlement::Confirmed))
        .collect();
    store.settle(&results).await.unwrap();
    store.backfill_outbox().await.unwrap();
    assert_eq!(store.outbox_len().await.unwrap(), 0);
    assert_eq!(store.status_counts(OFFICER).await.unwrap()["confirmed"], 2);
    store.close();
    DeviceStore::delete(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_review_reaches_a_visit_confirmed_by_the_outbox_alone() {
    use htx_core::device::LocalStatus;
    use htx_core::outbox::Settlement;
    use htx_core::review::{ReviewDecision, ReviewOutcome};
    use htx_core::sync::{Cursor, PullResponse};
    let name = "t-review-derived";
    let store = fresh(name, SCHEMA_VERSION).await;
    let (confirmed, sc) = final_visit(1);
    let (waiting, sw) = final_visit(2);
    store.save_visit(&confirmed, &sc).await.unwrap();
    let head = store.take_batch(OFFICER).await.unwrap().heads.remove(0);
    // Confirmed: its summary is still stored as waiting.
    store
        .settle(&[(head, Settlement::Confirmed)])
        .await
        .unwrap();
    store.save_visit(&waiting, &sw).await.unwrap();
    let returned = |v: &Visit| ReviewOutcome {
        visit_id: v.id,
        revision: v.revision,
        decision: ReviewDecision::Returned,
        comment: "Bổ sung số thành viên".into(),
        reviewer: "kiemduyet".into(),
        reviewed_at: to_vn(&Utc::now()),
    };
    let pull = PullResponse {
        protocol_version: htx_core::PROTOCOL_VERSION,
        cursor: Cursor(7),
        has_more: false,
        places: vec![],
        organisations: vec![],
        rubrics: vec![],
        reviews: vec![returned(&confirmed), returned(&waiting)],
        returned_visits: vec![],
    };
    store
        .apply_pull(&pull, OFFICER, "2026-03-02T09:00:00+07:00")
        .await
        .unwrap();
    let got = store.get_summary(confirmed.id).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.review_comment.as_deref()),
        (LocalStatus::Returned, Some("Bổ sung số thành viên"))
    );
    // Still waiting in the outbox: the officer's own state stays.
    assert_eq!(
        store.get_summary(waiting.id).await.unwrap().unwrap().status,
        LocalStatus::Waiting
    );
    store.close();
    DeviceStore::delete(name).await.unwrap();
}
