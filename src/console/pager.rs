//! "‹ Trang trước · 3 / 12 · Trang sau ›" under a server-paged list: links
//! keep the page's other query parameters, so filters survive paging.
use crate::i18n::{t, use_i18n};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Pager(
    /// The list's route, e.g. `/review`.
    path: &'static str,
    total: usize,
    per_page: usize,
    page: usize,
    /// The current query string (with or without `?`).
    #[prop(into)]
    query_string: Signal<String>,
    /// `data-testid` of the "n / m" label.
    testid: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let pages = total.div_ceil(per_page.max(1)).max(1);
    let link = move |n: usize| {
        let qs = query_string.get();
        let kept: Vec<&str> = qs
            .trim_start_matches('?')
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("page="))
            .collect();
        format!("{path}?{}&page={n}", kept.join("&"))
    };
    view! {
        <nav class="pager" aria-label="pages">
            {(page > 1).then(|| view! { <A href=move || link(page - 1)>{t!(i18n, page_prev)}</A> })}
            <span data-testid=testid>{format!("{page} / {pages}")}</span>
            {(page < pages).then(|| view! { <A href=move || link(page + 1)>{t!(i18n, page_next)}</A> })}
        </nav>
    }
}
