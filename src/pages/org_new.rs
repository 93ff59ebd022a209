//! An organisation found in the field (tổ chức mới phát hiện): recorded as
//! provisional on the device, sent with its visits, matched by staff later.
use crate::data::{invalidate, pick, ref_data};
use crate::i18n::{t, t_string, use_i18n};
use crate::storage::DeviceStore;
use htx_core::time::to_vn;
use htx_core::validation::validate_organisation;
use htx_core::{Organisation, OrganisationKind, Sector};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use uuid::Uuid;

#[component]
pub fn NewOrganisationPage() -> impl IntoView {
    let i18n = use_i18n();
    let data = LocalResource::new(ref_data);
    let name = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let kind = RwSignal::new("cooperative".to_string());
    let sector = RwSignal::new("crops".to_string());
    let place = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let (errors, set_errors) = signal(Vec::<(String, String)>::new());
    let navigate = use_navigate();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let k = OrganisationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind.get_untracked())
            .unwrap_or(OrganisationKind::Cooperative);
        let s = Sector::ALL
            .into_iter()
            .find(|s| s.as_str() == sector.get_untracked())
            .unwrap_or(Sector::Other);
        let mut o = Organisation::new(Uuid::now_v7(), k, name.get_untracked().trim(), s);
        o.registration_code =
            Some(code.get_untracked().trim().to_string()).filter(|c| !c.is_empty());
        o.address = address.get_untracked().trim().to_string();
        o.place_new = Some(place.get_untracked()).filter(|p| !p.is_empty());
        o.provisional = true;
        let mut errs: Vec<(String, String)> =
            validate_organisation(&o, to_vn(&chrono::Utc::now()).date_naive(), None)
                .into_iter()
                .filter(|e| e.path != "registration_code") // not known yet in the field
                .map(|e| (e.message_vi, e.message_en))
                .collect();
        if o.place_new.is_none() {
            errs.push((
                "Chọn địa bàn (xã/phường)".into(),
                "Choose the commune".into(),
            ));
        }
        if !errs.is_empty() {
            set_errors.set(errs);
            return;
        }
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let r = async { DeviceStore::shared().await?.put_organisation(&o).await }.await;
            match r {
                Ok(()) => {
                    invalidate();
                    navigate(&format!("/orgs/{}", o.id), Default::default());
                }
                Err(e) => set_errors.set(vec![(e.to_string(), e.to_string())]),
            }
        });
    };
    view! {
        <main class="page" data-testid="org-new-page">
            <h1>{t!(i18n, new_org)}</h1>
            <p class="muted">{t!(i18n, new_org_intro)}</p>
            <form class="card" on:submit=save>
                <label for="org-name">{t!(i18n, org_name)}</label>
                <input id="org-name" data-testid="org-new-name" bind:value=name autocomplete="off" />
                <label for="org-code">{t!(i18n, registration_code)}</label>
                <input id="org-code" bind:value=code autocomplete="off" placeholder=move || t_string!(i18n, optional) />
                <label for="org-kind">{t!(i18n, filter_kind)}</label>
                <select id="org-kind" bind:value=kind>
                    {OrganisationKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{move || pick(k.label_vi(), k.label_en()).to_string()}</option> }).collect_view()}
                </select>
                <label for="org-sector">{t!(i18n, filter_sector)}</label>
                <select id="org-sector" bind:value=sector>
                    {Sector::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{move || pick(s.label_vi(), s.label_en()).to_string()}</option> }).collect_view()}
                </select>
                <label for="org-place">{t!(i18n, filter_place)}</label>
                <select id="org-place" data-testid="org-new-place" bind:value=place>
                    <option value="">"—"</option>
                    {move || data.get().and_then(|r| r.ok()).map(|d| {
                        let mut communes: Vec<(String, String)> = d.places.iter()
                            .filter(|p| p.hierarchy == htx_core::Hierarchy::New && p.level != htx_core::PlaceLevel::Province)
                            .map(|p| (p.name.clone(), p.code.clone())).collect();
                        communes.sort();
                        communes.into_iter().map(|(n, c)| view! { <option value=c>{n}</option> }).collect_view()
                    })}
                </select>
                <label for="org-address">{t!(i18n, address)}</label>
                <input id="org-address" bind:value=address autocomplete="off" />
                {move || (!errors.with(Vec::is_empty)).then(|| view! {
                    <ul class="error" role="alert" data-testid="org-new-errors">
                        {errors.get().into_iter().map(|(vi, en)| view! { <li>{move || pick(&vi, &en).to_string()}</li> }).collect_view()}
                    </ul>
                })}
                <button type="submit" class="primary" data-testid="org-new-save">{t!(i18n, save)}</button>
            </form>
        </main>
    }
}
