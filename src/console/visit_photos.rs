//! A visit's photos in the review console, fetched from the server with the
//! reviewer's token (an `<img src>` cannot send one) and shown from memory.
use crate::api::{self, ApiError};
use crate::i18n::{t, use_i18n};
use htx_core::visit::PhotoRef;
use leptos::prelude::*;

#[component]
pub fn VisitPhotos(photos: Vec<PhotoRef>) -> impl IntoView {
    let i18n = use_i18n();
    if photos.is_empty() {
        return view! { <p class="muted" data-testid="review-no-photos">{t!(i18n, no_photos)}</p> }
            .into_any();
    }
    view! {
        <ul class="photo-strip" data-testid="review-photos">
            {photos.into_iter().map(|p| view! { <li><Photo photo=p /></li> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn Photo(photo: PhotoRef) -> impl IntoView {
    let i18n = use_i18n();
    let path = format!("/api/v1/blobs/{}", photo.sha256);
    let url = LocalResource::new(move || {
        let path = path.clone();
        async move {
            let blob = api::get_blob_signed_in(&path).await?;
            web_sys::Url::create_object_url_with_blob(&blob)
                .map_err(|_| ApiError::Decode("object URL".into()))
        }
    });
    on_cleanup(move || {
        if let Some(Ok(u)) = url.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&u);
        }
    });
    let caption = photo.caption.clone();
    view! {
        <figure data-testid="review-photo" data-sha256=photo.sha256.clone()>
            {move || match url.get() {
                None => view! { <p class="muted">{t!(i18n, loading)}</p> }.into_any(),
                Some(Ok(u)) => {
                    let href = u.clone();
                    view! { <a href=href target="_blank"><img src=u alt=caption.clone() /></a> }.into_any()
                }
                Some(Err(ApiError::Server { status: 404, .. })) => {
                    view! { <p class="muted" data-testid="review-photo-missing">{t!(i18n, photo_not_on_server)}</p> }.into_any()
                }
                Some(Err(e)) => view! { <p class="error">{crate::console::review_list::describe(i18n, &e)}</p> }.into_any(),
            }}
            <figcaption>{photo.caption}</figcaption>
        </figure>
    }
}
