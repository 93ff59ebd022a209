//! One organisation: its facts, its visits on this device, and "start a
//! visit" (prefilled from the latest visit recorded here).
use crate::data::{pick, ref_data};
use crate::i18n::{t, use_i18n};
use crate::session::Session;
use crate::storage::{DeviceStore, StorageError};
use htx_core::device::VisitSummary;
use htx_core::{time::to_vn, Organisation, Visit};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use uuid::Uuid;

#[component]
pub fn OrganisationPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok()));
    let data = LocalResource::new(ref_data);
    let (error, set_error) = signal(None::<String>);
    let navigate = use_navigate();
    view! {
        <main class="page" data-testid="org-page">
            {move || {
                let d = data.get()?.ok()?;
                let Some(o) = id().and_then(|id| d.organisation(id).cloned()) else {
                    return Some(view! { <p class="error">{t!(i18n, org_not_found)}</p> }.into_any());
                };
                let place = o.place_new.as_deref().and_then(|c| d.place_name(c)).unwrap_or_default().to_string();
                let start = {
                    let o = o.clone();
                    let navigate = navigate.clone();
                    move |_| {
                        let o = o.clone();
                        let navigate = navigate.clone();
                        leptos::task::spawn_local(async move {
                            match start_visit(&o).await {
                                Ok(id) => navigate(&format!("/visits/{id}"), Default::default()),
                                Err(e) => set_error.set(Some(e.to_string())),
                            }
                        });
                    }
                };
                let kind = o.kind;
                let sector = o.sector;
                Some(view! {
                    <h1 data-testid="org-name">{o.name.clone()}</h1>
                    {o.provisional.then(|| view! { <p class="tag">{t!(i18n, provisional)}</p> })}
                    <dl class="org-facts">
                        <dt>{t!(i18n, filter_kind)}</dt><dd>{move || pick(kind.label_vi(), kind.label_en()).to_string()}</dd>
                        <dt>{t!(i18n, filter_sector)}</dt><dd>{move || pick(sector.label_vi(), sector.label_en()).to_string()}</dd>
                        <dt>{t!(i18n, registration_code)}</dt><dd>{o.registration_code.clone().unwrap_or_else(|| "—".into())}</dd>
                        <dt>{t!(i18n, filter_place)}</dt><dd>{place}</dd>
                        <dt>{t!(i18n, address)}</dt><dd>{o.address.clone()}</dd>
                    </dl>
                    <button class="primary" data-testid="start-visit-here" on:click=start>{t!(i18n, start_visit)}</button>
                }.into_any())
            }}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{t!(i18n, storage_error, error = e)}</p> })}
            <A href="/orgs" attr:class="button">{t!(i18n, back_to_orgs)}</A>
        </main>
    }
}

/// Creates and stores the new draft; returns its id.
async fn start_visit(o: &Organisation) -> Result<Uuid, StorageError> {
    let store = DeviceStore::shared().await?;
    let officer = Session::load().map(|s| s.username).unwrap_or_default();
    let now = to_vn(&chrono::Utc::now());
    let id = Uuid::now_v7();
    let previous = latest_visit_of(&store, o.id).await?;
    let mut visit = match &previous {
        Some(p) => Visit::prefill_from(p, id, officer, now),
        None => Visit::new_draft(id, o.id, officer, now),
    };
    if o.provisional {
        visit.new_organisation = Some(o.clone());
    }
    let d = ref_data().await?;
    let rubric = d.rubric_for(o, visit.local_date());
    let summary = VisitSummary::of(&visit, Some(o), rubric, js_sys::Date::now() as i64);
    store.save_visit(&visit, &summary).await?;
    Ok(id)
}

async fn latest_visit_of(store: &DeviceStore, org: Uuid) -> Result<Option<Visit>, StorageError> {
    // The officer's own last visit: another account's stays unseen.
    let latest = store
        .summaries_of(&crate::session::current_account())
        .await?
        .into_iter()
        .filter(|s| s.organisation_id == org)
        .max_by_key(|s| s.started_at);
    match latest {
        Some(s) => store.get_visit(s.id).await,
        None => Ok(None),
    }
}
