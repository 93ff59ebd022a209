//! The review console (bảng điều khiển) for alliance staff: review of synced
//! visits, the registry of organisations, the plan dashboard and report,
//! accounts. Its own bundle (bin `htx-console`), see [`crate::app`].
use crate::app::{Part, Shell};
use crate::pages::not_found::NotFound;
use leptos::prelude::*;
use leptos_router::components::{Route, Routes};
use leptos_router::path;

pub mod admin;
pub mod dashboard;
pub mod filters;
pub mod pager;
pub mod registry;
pub mod report;
pub mod review_list;
pub mod review_visit;
pub mod visit_photos;

#[component]
pub fn ConsoleApp() -> impl IntoView {
    view! {
        <Shell part=Part::Console>
            <Routes fallback=NotFound>
                <Route path=path!("/review") view=review_list::ReviewListPage />
                <Route path=path!("/review/:id") view=review_visit::ReviewVisitPage />
                <Route path=path!("/registry") view=registry::RegistryPage />
                <Route path=path!("/admin") view=admin::AdminPage />
                <Route path=path!("/dashboard") view=dashboard::DashboardPage />
                <Route path=path!("/report") view=report::ReportPage />
            </Routes>
        </Shell>
    }
}
