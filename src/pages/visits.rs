//! All visits stored on the device.
use crate::components::visit_list::VisitList;
use crate::i18n::{t, use_i18n};
use crate::storage::load_summary;
use leptos::prelude::*;

#[component]
pub fn VisitsPage() -> impl IntoView {
    let i18n = use_i18n();
    let summary = LocalResource::new(load_summary);
    let visits = Signal::derive(move || {
        summary.get().and_then(|r| r.ok()).map(|s| s.visits).unwrap_or_default()
    });
    view! {
        <main class="page" data-testid="visits-page">
            <h1>{t!(i18n, visits_heading)}</h1>
            <VisitList visits />
        </main>
    }
}
