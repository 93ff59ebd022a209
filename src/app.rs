//! The app shell: i18n context, header, routes.
use crate::components::header::Header;
use crate::i18n::I18nContextProvider;
use crate::pages::{home::HomePage, not_found::NotFound, visits::VisitsPage};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

#[component]
pub fn App() -> impl IntoView {
    view! {
        <I18nContextProvider>
            <crate::locale::RestoreLocale />
            <Router>
                <Header />
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/visits") view=VisitsPage />
                </Routes>
            </Router>
        </I18nContextProvider>
    }
}
