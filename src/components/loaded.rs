//! The one way a page shows data it is fetching: "Đang tải…" while it loads,
//! the reason in the user's language when it failed, the view when it came.
use crate::api::ApiError;
use crate::i18n::{t, use_i18n};
use leptos::prelude::*;

/// `res` (a resource's `get()`) as a view: `ok` renders the data.
pub fn loaded<T, V: IntoView + 'static>(
    res: Option<Result<T, ApiError>>,
    ok: impl FnOnce(T) -> V,
) -> AnyView {
    let i18n = use_i18n();
    match res {
        None => view! { <p class="muted">{t!(i18n, loading)}</p> }.into_any(),
        Some(Err(e)) => {
            let message = crate::console::review_list::describe(i18n, &e);
            view! { <p class="error" role="alert">{message}</p> }.into_any()
        }
        Some(Ok(data)) => ok(data).into_any(),
    }
}
