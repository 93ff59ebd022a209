//! The app shell: i18n context, header, routes.
use crate::components::header::Header;
use crate::i18n::I18nContextProvider;
use crate::pages::{
    admin::AdminPage,
    dashboard::DashboardPage,
    report::ReportPage,
    home::HomePage, not_found::NotFound, org_new::NewOrganisationPage, org_page::OrganisationPage,
    orgs::OrganisationsPage, registry::RegistryPage, review_list::ReviewListPage, review_visit::ReviewVisitPage, signin::SignInPage, storage_panel::StoragePage, visit_form::VisitPage,
    visits::VisitsPage,
};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

#[component]
pub fn App() -> impl IntoView {
    provide_context(crate::session::SessionChanged(RwSignal::new(0)));
    view! {
        <I18nContextProvider>
            <crate::locale::RestoreLocale />
            <Router>
                <Header />
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/signin") view=SignInPage />
                    <Route path=path!("/orgs") view=OrganisationsPage />
                    <Route path=path!("/orgs/new") view=NewOrganisationPage />
                    <Route path=path!("/orgs/:id") view=OrganisationPage />
                    <Route path=path!("/visits") view=VisitsPage />
                    <Route path=path!("/visits/:id") view=VisitPage />
                    <Route path=path!("/storage") view=StoragePage />
                    <Route path=path!("/review") view=ReviewListPage />
                    <Route path=path!("/review/:id") view=ReviewVisitPage />
                    <Route path=path!("/registry") view=RegistryPage />
                    <Route path=path!("/admin") view=AdminPage />
                    <Route path=path!("/dashboard") view=DashboardPage />
                    <Route path=path!("/report") view=ReportPage />
                </Routes>
            </Router>
        </I18nContextProvider>
    }
}
