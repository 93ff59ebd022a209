use crate::i18n::{t, use_i18n};
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    // The console shows this page too, and its home is the field app's.
    let rel = use_context::<crate::app::Part>().and_then(|p| p.link_rel("/"));
    view! {
        <main class="page" data-testid="not-found">
            <p>{t!(i18n, not_found)}</p>
            <a href="/" rel=rel>{t!(i18n, back_home)}</a>
        </main>
    }
}
