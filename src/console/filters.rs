//! The console's filter forms: choice lists over htx-core's codes, the place
//! list of both hierarchies, and the API query built from the address (the
//! filters live in the address, so a filtered page can be bookmarked).
use crate::data::pick;
use crate::i18n::{t, t_string, use_i18n};
use leptos::prelude::*;
use leptos_router::params::ParamsMap;

/// (code, Vietnamese, English) of every value of a code list.
pub fn choices<T: htx_core::Coded>() -> Vec<(String, &'static str, &'static str)> {
    T::all()
        .iter()
        .map(|&v| (v.code().to_owned(), v.label_vi(), v.label_en()))
        .collect()
}

/// A `<select name=…>` of a filter form: "Tất cả" first, then the choices
/// in the UI language, with the address's value selected.
#[component]
pub fn ChoiceFilter(
    name: &'static str,
    choices: Vec<(String, &'static str, &'static str)>,
    #[prop(into)] selected: Signal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <select name=name data-testid=format!("filter-{name}")>
            <option value="">{t!(i18n, any)}</option>
            {choices.into_iter().map(|(code, vi, en)| {
                let is = code.clone();
                view! { <option value=code selected=move || selected.get() == is>{move || pick(vi, en).to_string()}</option> }
            }).collect_view()}
        </select>
    }
}

/// `place` carries "hierarchy:code" in the form; the API takes two parameters.
pub fn place_param(k: &'static str, v: &str) -> Vec<(&'static str, String)> {
    match (k, v.split_once(':')) {
        ("place", Some((h, code))) => vec![("hierarchy", h.to_owned()), ("place", code.to_owned())],
        _ => vec![(k, v.to_owned())],
    }
}

/// The API query for the address's `keys` (empty values left out).
pub fn api_query(q: &ParamsMap, keys: &[&'static str]) -> String {
    keys.iter()
        .filter_map(|&k| q.get(k).filter(|v| !v.is_empty()).map(|v| (k, v)))
        .flat_map(|(k, v)| place_param(k, &v))
        .map(|(k, v)| format!("{k}={}", js_sys::encode_uri_component(&v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Provinces of both hierarchies, then communes of the new one.
pub fn place_options(places: &[htx_core::Place], selected: &str) -> impl IntoView {
    use htx_core::{Hierarchy, PlaceLevel};
    let mut units: Vec<&htx_core::Place> = places
        .iter()
        .filter(|p| {
            p.level == PlaceLevel::Province
                || (p.level == PlaceLevel::Commune && p.hierarchy == Hierarchy::New)
        })
        .collect();
    units.sort_by_key(|p| {
        (
            p.level != PlaceLevel::Province,
            p.hierarchy == Hierarchy::Old,
            p.name.clone(),
        )
    });
    units
        .into_iter()
        .map(|p| {
            let h = if p.hierarchy == Hierarchy::Old {
                "old"
            } else {
                "new"
            };
            let value = format!("{h}:{}", p.code);
            let label = if p.hierarchy == Hierarchy::Old {
                format!(
                    "{} ({})",
                    p.name,
                    pick("trước 01/7/2025", "before 1 Jul 2025")
                )
            } else {
                p.name.clone()
            };
            let is_selected = value == selected;
            view! { <option value=value selected=is_selected>{label}</option> }
        })
        .collect_view()
}

/// The year and place fields every console filter form starts with. The
/// empty place means "any" in a list, "the whole scope" on the dashboard.
#[component]
pub fn YearAndPlace(
    #[prop(into)] year: Signal<String>,
    #[prop(into)] place: Signal<String>,
    #[prop(optional)] whole_scope: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let places = LocalResource::new(|| async { crate::data::ref_data().await.ok() });
    let this_year = chrono::Utc::now().format("%Y").to_string();
    view! {
        <label>{t!(i18n, filter_year)}
            <input name="year" inputmode="numeric" placeholder=this_year prop:value=year size="6" />
        </label>
        <label>{t!(i18n, filter_place)}
            <select name="place" data-testid="filter-place">
                <option value="">{move || if whole_scope { t_string!(i18n, whole_scope) } else { t_string!(i18n, any) }}</option>
                {move || places.get().flatten().map(|d| place_options(&d.places, &place.get()))}
            </select>
        </label>
    }
}
