//! Storage panel: persistent storage, space used and left, photos (and the
//! removal of those no visit uses any more), and the hand-over
//! file (export of every unsynced visit, and its import on another device).
use crate::data::pick;
use crate::i18n::{t, use_i18n};
use crate::session::{device_id, Session};
use crate::storage::{DeviceStore, PhotoUsage, StorageError, StoredVisit};
use htx_core::device::{LocalStatus, VisitSummary};
use htx_core::export::{merge_plan, ExportBundle, ExportedPhoto};
use htx_core::time::to_vn;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Warn when less than this is left (a visit with photos is a few MB).
const LOW_SPACE_BYTES: f64 = 50.0 * 1024.0 * 1024.0;

#[derive(Clone, Debug, PartialEq)]
struct Space {
    usage: f64,
    quota: f64,
    persisted: bool,
}

async fn read_space() -> Option<Space> {
    let storage = web_sys::window()?.navigator().storage();
    let est: web_sys::StorageEstimate = JsFuture::from(storage.estimate().ok()?)
        .await
        .ok()?
        .unchecked_into();
    let persisted = JsFuture::from(storage.persisted().ok()?)
        .await
        .ok()?
        .as_bool()
        .unwrap_or(false);
    Some(Space {
        usage: est.get_usage().unwrap_or(0.0),
        quota: est.get_quota().unwrap_or(0.0),
        persisted,
    })
}

/// Bytes as a person reads them: KB below a megabyte, MB with one decimal
/// (Vietnamese decimal comma).
fn mb(bytes: f64) -> String {
    let bytes = bytes.max(0.0) as u64;
    if bytes < 1024 * 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!(
            "{} MB",
            htx_core::format::one_decimal(bytes, 1024 * 1024, ',')
        )
    }
}

#[component]
pub fn StoragePage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0u32);
    let space = LocalResource::new(move || {
        refresh.track();
        read_space()
    });
    let (persist_answer, set_persist_answer) = signal(None::<bool>);
    let ask_persist = move |_| {
        leptos::task::spawn_local(async move {
            let Some(storage) = web_sys::window().map(|w| w.navigator().storage()) else {
                return;
            };
            let granted = match storage.persist() {
                Ok(p) => JsFuture::from(p)
                    .await
                    .ok()
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
                Err(_) => false,
            };
            set_persist_answer.set(Some(granted));
            refresh.update(|n| *n += 1);
        });
    };
    let photos = LocalResource::new(move || {
        refresh.track();
        async { DeviceStore::shared().await.ok()?.photo_usage().await.ok() }
    });
    let (pruned, set_pruned) = signal(None::<Result<PhotoUsage, String>>);
    let prune = move |_| {
        leptos::task::spawn_local(async move {
            let r = async { DeviceStore::shared().await?.remove_unused_photos().await }.await;
            set_pruned.set(Some(r.map_err(|e| e.to_string())));
            refresh.update(|n| *n += 1);
        });
    };
    let (message, set_message) = signal(None::<Result<String, String>>);
    let export = move |_| {
        leptos::task::spawn_local(async move {
            set_message.set(Some(export_unsynced().await.map_err(|e| e.to_string())));
        });
    };
    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let text = JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            set_message.set(Some(import_bundle(&text).await));
            input.set_value("");
        });
    };
    view! {
        <main class="page" data-testid="storage-page">
            <h1>{t!(i18n, storage_heading)}</h1>
            <section class="card">
                <h2>{t!(i18n, space)}</h2>
                {move || space.get().flatten().map(|s| {
                    let free = (s.quota - s.usage).max(0.0);
                    view! {
                        <dl class="org-facts">
                            <dt>{t!(i18n, space_used)}</dt><dd data-testid="space-used">{mb(s.usage)}</dd>
                            <dt>{t!(i18n, space_free)}</dt><dd data-testid="space-free">{mb(free)}</dd>
                            <dt>{t!(i18n, persistent)}</dt>
                            <dd data-testid="persisted" data-persisted=s.persisted.to_string()>
                                {if s.persisted { t!(i18n, yes).into_any() } else { t!(i18n, no).into_any() }}
                            </dd>
                        </dl>
                        {(free < LOW_SPACE_BYTES).then(|| view! { <p class="warn" role="alert" data-testid="low-space">{t!(i18n, low_space)}</p> })}
                    }
                })}
                <button data-testid="persist-button" on:click=ask_persist>{t!(i18n, ask_persist)}</button>
                {move || persist_answer.get().map(|g| view! {
                    <p data-testid="persist-answer" data-granted=g.to_string()>
                        {if g { t!(i18n, persist_granted).into_any() } else { t!(i18n, persist_denied).into_any() }}
                    </p>
                })}
            </section>
            <section class="card">
                <h2>{t!(i18n, photos)}</h2>
                {move || photos.get().flatten().map(|u| view! {
                    <p data-testid="photo-usage" data-count=u.count>{t!(i18n, photos_on_device, n = u.count, size = mb(u.bytes))}</p>
                })}
                <button data-testid="prune-photos" on:click=prune>{t!(i18n, prune_photos)}</button>
                {move || pruned.get().map(|r| match r {
                    Ok(u) => view! { <p class="ok" role="status" data-testid="pruned">{t!(i18n, photos_pruned, n = u.count, size = mb(u.bytes))}</p> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{t!(i18n, storage_error, error = e)}</p> }.into_any(),
                })}
            </section>
            <section class="card">
                <h2>{t!(i18n, handover)}</h2>
                <p class="muted">{t!(i18n, handover_intro)}</p>
                <button class="primary" data-testid="export-button" on:click=export>{t!(i18n, export_unsynced)}</button>
                <label class="button file-button" for="import-file">{t!(i18n, import_file)}</label>
                <input id="import-file" class="visually-hidden" data-testid="import-file" type="file" accept=".json,application/json" on:change=import />
                {move || message.get().map(|m| match m {
                    Ok(text) => view! { <p class="ok" role="status" data-testid="handover-result">{text}</p> }.into_any(),
                    Err(text) => view! { <p class="error" role="alert" data-testid="handover-result">{text}</p> }.into_any(),
                })}
            </section>
        </main>
    }
}

/// Writes every visit the server has not confirmed to a downloaded file.
async fn export_unsynced() -> Result<String, StorageError> {
    let store = DeviceStore::shared().await?;
    let mut visits = Vec::new();
    // The signed-in officer's own: another account's visits are theirs to hand over.
    for s in store
        .summaries_of(&crate::session::current_account())
        .await?
    {
        if s.status.is_unsynced() {
            if let Some(v) = store.get_visit(s.id).await? {
                visits.push(v);
            }
        }
    }
    let n = visits.len();
    // The photos go in the file too: whoever receives it may have no other way to get them.
    let mut photos = Vec::new();
    for p in store.photos(&ExportBundle::photo_names(&visits)).await? {
        let bytes = crate::photo::bytes_of(&p.blob)
            .await
            .map_err(|e| StorageError::Idb(format!("{e:?}")))?;
        photos.extend(ExportedPhoto::new(&bytes));
    }
    let officer = Session::load().map(|s| s.username).unwrap_or_default();
    let n_photos = photos.len();
    let bundle = ExportBundle::new(
        officer,
        Some(device_id().to_string()),
        to_vn(&chrono::Utc::now()),
        visits,
    )
    .with_photos(photos);
    crate::download::save_text(
        &bundle.suggested_file_name(),
        &bundle.to_json(),
        "application/json",
    )
    .map_err(StorageError::Idb)?;
    Ok(format!(
        "{} {n} ({n_photos} {})",
        pick(
            "Đã xuất số chuyến khảo sát chưa đồng bộ:",
            "Unsynced visits exported:"
        ),
        pick("ảnh", "photos")
    ))
}

/// Reads a hand-over file: new visits and newer revisions are stored;
/// identical ones skipped; conflicting ones reported and left untouched.
async fn import_bundle(text: &str) -> Result<String, String> {
    let bundle = ExportBundle::from_json(text)
        .map_err(|e| pick(&e.message_vi(), &e.message_en()).to_string())?;
    let store = DeviceStore::shared().await.map_err(|e| e.to_string())?;
    // Photos first, each checked against its name, so the visits find them.
    let mut n_photos = 0;
    for p in &bundle.photos {
        let Some(bytes) = p.bytes() else { continue };
        let blob = crate::photo::blob_of(&bytes, &p.mime).map_err(|e| format!("{e:?}"))?;
        store
            .put_photo(&p.sha256, &p.mime, &blob)
            .await
            .map_err(|e| e.to_string())?;
        n_photos += 1;
    }
    let existing = store.list_visits().await.map_err(|e| e.to_string())?;
    let plan = merge_plan(&existing, &bundle.visits);
    let d = crate::data::ref_data().await.map_err(|e| e.to_string())?;
    let now = js_sys::Date::now() as i64;
    let items: Vec<StoredVisit> = plan
        .to_apply()
        .map(|v| {
            let org = d
                .organisation(v.organisation_id)
                .or(v.new_organisation.as_ref());
            let rubric = org.and_then(|o| d.rubric_for(o, v.local_date()));
            // A visit belongs to the officer who recorded it, wherever it
            // is imported; one recorded by nobody, to whoever imports it.
            let mut summary = VisitSummary::of(v, org, rubric, now);
            if summary.account.is_empty() {
                summary.account = crate::session::current_account();
            }
            StoredVisit {
                visit: v.clone(),
                summary,
            }
        })
        .collect();
    store.save_visits(&items).await.map_err(|e| e.to_string())?;
    debug_assert!(items
        .iter()
        .all(|i| i.summary.status != LocalStatus::Confirmed));
    Ok(format!(
        "{} · {n_photos} {}",
        pick(&plan.summary_vi(), &plan.summary_en()),
        pick("ảnh", "photos")
    ))
}
