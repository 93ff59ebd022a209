//! Visits on the device by state (?status=draft|waiting|…), newest first.
use crate::components::visit_list::VisitList;
use crate::data::pick;
use crate::i18n::{t, use_i18n};
use crate::storage::DeviceStore;
use htx_core::device::LocalStatus;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

const PAGE: u32 = 200;

#[component]
pub fn VisitsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let status =
        Memo::new(move |_| query.with(|q| q.get("status").and_then(|s| LocalStatus::parse(&s))));
    let list = LocalResource::new(move || {
        let s = status.get();
        async move {
            DeviceStore::shared()
                .await?
                .recent_summaries(&crate::session::current_account(), s, PAGE)
                .await
        }
    });
    let visits = Signal::derive(move || list.get().and_then(|r| r.ok()).unwrap_or_default());
    view! {
        <main class="page" data-testid="visits-page">
            <h1>{t!(i18n, visits_heading)}</h1>
            <nav class="chips" aria-label="status">
                <A href="/visits" attr:aria-pressed=move || status.get().is_none().to_string()>{t!(i18n, all)}</A>
                {LocalStatus::ALL.into_iter().map(|s| view! {
                    <A href=format!("/visits?status={}", s.as_str()) attr:aria-pressed=move || (status.get() == Some(s)).to_string()>
                        {move || pick(s.label_vi(), s.label_en()).to_string()}
                    </A>
                }).collect_view()}
            </nav>
            {move || list.get().and_then(|r| r.err()).map(|e| { let error = e.to_string(); view! { <p class="error">{t!(i18n, storage_error, error)}</p> } })}
            <VisitList visits />
        </main>
    }
}
