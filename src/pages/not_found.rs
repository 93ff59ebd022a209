use crate::i18n::{t, use_i18n};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <main class="page" data-testid="not-found">
            <p>{t!(i18n, not_found)}</p>
            <A href="/">{t!(i18n, back_home)}</A>
        </main>
    }
}
