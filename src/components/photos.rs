//! "Ảnh": photos of the visit. The camera or the gallery (the phone offers
//! both for an image input); each photo is shrunk, stored on the device under
//! its SHA-256 and named in the visit, with an optional caption.
use crate::i18n::{t, use_i18n};
use crate::photo::{prepare, PhotoError};
use crate::storage::DeviceStore;
use htx_core::photo::MAX_PHOTOS_PER_VISIT;
use htx_core::visit::PhotoRef;
use htx_core::Visit;
use leptos::prelude::*;
use uuid::Uuid;

#[component]
pub fn PhotoSection(
    visit: RwSignal<Visit>,
    readonly: Signal<bool>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let (busy, set_busy) = signal(false);
    let problems = RwSignal::new(Vec::<(String, PhotoError)>::new());
    let full = move || visit.with(|v| v.photos.len() >= MAX_PHOTOS_PER_VISIT);

    let add = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let files: Vec<web_sys::File> = input
            .files()
            .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
            .unwrap_or_default();
        // Picking the same file again must fire `change` again.
        input.set_value("");
        if files.is_empty() {
            return;
        }
        set_busy.set(true);
        problems.set(Vec::new());
        leptos::task::spawn_local(async move {
            for file in files {
                if visit.with_untracked(|v| v.photos.len() >= MAX_PHOTOS_PER_VISIT) {
                    break;
                }
                let stored = async {
                    let photo = prepare(&file).await?;
                    let store = DeviceStore::shared()
                        .await
                        .map_err(|e| PhotoError::Browser(e.to_string()))?;
                    store
                        .put_photo(&photo.sha256, photo.mime, &photo.blob)
                        .await
                        .map_err(|e| PhotoError::Browser(e.to_string()))?;
                    Ok::<_, PhotoError>(photo.sha256)
                }
                .await;
                match stored {
                    Ok(sha256) => {
                        // The same picture twice is one photo.
                        if visit.with_untracked(|v| v.photos.iter().all(|p| p.sha256 != sha256)) {
                            visit.update(|v| {
                                v.photos.push(PhotoRef {
                                    id: Uuid::now_v7(),
                                    sha256,
                                    caption: String::new(),
                                })
                            });
                            on_change.run(());
                        }
                    }
                    Err(e) => problems.update(|p| p.push((file.name(), e))),
                }
            }
            set_busy.set(false);
        });
    };

    view! {
        <div class="photos" data-testid="photos">
            <ul class="photo-list">
                <For each=move || visit.with(|v| v.photos.clone()) key=|p| p.id let:photo>
                    <PhotoItem photo visit readonly on_change />
                </For>
            </ul>
            {move || busy.get().then(|| view! { <p class="muted" role="status" data-testid="photo-busy">{t!(i18n, photo_processing)}</p> })}
            {move || problems.get().into_iter().map(|(name, e)| {
                let why = match e {
                    PhotoError::NotAnImage => t!(i18n, photo_not_image).into_any(),
                    PhotoError::TooLarge => t!(i18n, photo_too_large).into_any(),
                    PhotoError::Browser(m) => view! { {t!(i18n, photo_failed)} " " {m} }.into_any(),
                };
                view! { <p class="error" role="alert" data-testid="photo-error">{name} ": " {why}</p> }
            }).collect_view()}
            {move || full().then(|| view! { <p class="muted" data-testid="photo-limit">{t!(i18n, photo_limit, n = MAX_PHOTOS_PER_VISIT)}</p> })}
            <label class="button photo-add" class:disabled=move || readonly.get() || full()>
                {t!(i18n, add_photo)}
                <input type="file" accept="image/*" multiple data-testid="photo-input" class="visually-hidden"
                    disabled=move || readonly.get() || full() on:change=add />
            </label>
        </div>
    }
}

/// One photo: its thumbnail (from the device), caption and removal.
#[component]
fn PhotoItem(
    photo: PhotoRef,
    visit: RwSignal<Visit>,
    readonly: Signal<bool>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = photo.id;
    let sha = photo.sha256.clone();
    let url = LocalResource::new(move || {
        let sha = sha.clone();
        async move {
            let stored = DeviceStore::shared().await.ok()?.photo(&sha).await.ok()??;
            let url = web_sys::Url::create_object_url_with_blob(&stored.blob).ok()?;
            Some((url, stored.uploaded))
        }
    });
    on_cleanup(move || {
        if let Some(Some((u, _))) = url.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&u);
        }
    });
    let set_caption = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        visit.update(|v| {
            if let Some(p) = v.photos.iter_mut().find(|p| p.id == id) {
                p.caption = text;
            }
        });
        on_change.run(());
    };
    let remove = move |_| {
        visit.update(|v| v.photos.retain(|p| p.id != id));
        on_change.run(());
    };
    let caption_id = format!("photo-caption-{id}");
    view! {
        <li class="photo-item" data-testid="photo-item" data-sha256=photo.sha256.clone()>
            {move || match url.get() {
                None => view! { <div class="photo-thumb muted">{t!(i18n, loading)}</div> }.into_any(),
                Some(Some((u, uploaded))) => view! {
                    <img class="photo-thumb" data-testid="photo-thumb" src=u alt="" data-uploaded=uploaded.to_string() />
                }.into_any(),
                Some(None) => view! { <div class="photo-thumb muted" data-testid="photo-missing">{t!(i18n, photo_missing)}</div> }.into_any(),
            }}
            <div class="photo-meta">
                <label for=caption_id.clone()>{t!(i18n, photo_caption)}</label>
                <input id=caption_id type="text" maxlength="500" data-testid="photo-caption" disabled=readonly
                    prop:value=photo.caption.clone() on:change=set_caption />
                <button type="button" data-testid="photo-remove" disabled=readonly on:click=remove>
                    {t!(i18n, remove_photo)}
                </button>
            </div>
        </li>
    }
}
