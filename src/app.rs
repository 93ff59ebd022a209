//! The two apps' shells: i18n context, header, routes.
//!
//! The field app (officers, phones, offline, service worker) and the staff
//! console (alliance staff, desktop, online) are two wasm bundles over this
//! one library: the bins `htx-survey` ([`FieldApp`], `index.html`) and
//! `htx-console` ([`crate::console::ConsoleApp`], `console.html`, served
//! under `/console/`). The linker keeps in each only what its routes use, so
//! a phone on a weak link never downloads the console's screens. A link to
//! the other part is a full page load ([`Part::link_rel`]).
use crate::components::header::Header;
use crate::i18n::I18nContextProvider;
use crate::pages::{
    home::HomePage, not_found::NotFound, org_new::NewOrganisationPage, org_page::OrganisationPage,
    orgs::OrganisationsPage, signin::SignInPage, storage_panel::StoragePage, visit_form::VisitPage,
    visits::VisitsPage,
};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

pub use htx_core::console::{Part, CONSOLE_ROUTES};

/// Loads `href` as a new page: how one part hands over to the other.
pub fn load_page(href: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(href);
    }
}

/// The connection watch and, in the field app, the sync: started once per
/// page, under the router and above every view that reads them.
#[component]
fn Services(part: Part, children: Children) -> impl IntoView {
    let net = crate::net::provide_net_state();
    if part == Part::Field {
        crate::sync::start(net);
    }
    children()
}

/// What both parts share around their routes.
#[component]
pub fn Shell(part: Part, children: Children) -> impl IntoView {
    provide_context(crate::session::SessionChanged(RwSignal::new(0)));
    provide_context(part);
    view! {
        <I18nContextProvider>
            <crate::locale::RestoreLocale />
            <Router>
                <Services part>
                    <Header part />
                    {children()}
                </Services>
            </Router>
        </I18nContextProvider>
    }
}

/// The field app: what an officer's phone loads and keeps offline.
#[component]
pub fn FieldApp() -> impl IntoView {
    view! {
        <Shell part=Part::Field>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=HomePage />
                <Route path=path!("/signin") view=SignInPage />
                <Route path=path!("/orgs") view=OrganisationsPage />
                <Route path=path!("/orgs/new") view=NewOrganisationPage />
                <Route path=path!("/orgs/:id") view=OrganisationPage />
                <Route path=path!("/visits") view=VisitsPage />
                <Route path=path!("/visits/:id") view=VisitPage />
                <Route path=path!("/storage") view=StoragePage />
            </Routes>
        </Shell>
    }
}

// Run in the browser with the storage tests (scripts/test.sh), so the app's
// unit tests share their wasm build; natively with `cargo test --lib`.
