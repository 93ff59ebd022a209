//! The registry of organisations for alliance staff (online): search and
//! filter, change a legal status, merge an organisation found in the field
//! into the registry one, import a CSV file (every row or none).
use crate::api::{self, ApiError};
use crate::components::loaded::loaded;
use crate::console::filters::{choices, ChoiceFilter};
use crate::console::pager::Pager;
use crate::console::review_list::describe;
use crate::data::pick;
use crate::i18n::{t, t_string, use_i18n};
use htx_core::console::{labels, RegistryItem, RegistryPage};
use htx_core::registry::RowError;
use htx_core::Coded;
use htx_core::{LegalStatus, Organisation, OrganisationKind};
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use wasm_bindgen_futures::JsFuture;

#[component]
pub fn RegistryPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let param = move |name: &'static str| {
        Signal::derive(move || query.with(|q| q.get(name).unwrap_or_default()))
    };
    let list = LocalResource::new(move || {
        let qs = query.with(|q| q.to_query_string());
        let qs = qs.trim_start_matches('?').to_owned();
        async move {
            api::get_signed_in::<RegistryPage>(&format!("/api/v1/organisations?per_page=100&{qs}"))
                .await
        }
    });
    // After a change: the page is fetched again.
    let reload = move || list.refetch();
    view! {
        <main class="page wide" data-testid="registry-page">
            <h1>{t!(i18n, registry_heading)}</h1>
            <Form method="GET" action="">
                <div class="filters">
                    <label class="grow">{t!(i18n, search)}
                        <input name="q" type="search" data-testid="registry-q" prop:value=param("q") />
                    </label>
                    <label>{t!(i18n, filter_kind)}
                        <ChoiceFilter name="kind" choices={choices::<OrganisationKind>()} selected=param("kind") />
                    </label>
                    <label>{t!(i18n, filter_status)}
                        <ChoiceFilter name="status" choices={choices::<LegalStatus>()} selected=param("status") />
                    </label>
                    <label class="check">
                        <input type="checkbox" name="provisional" value="true" data-testid="registry-provisional"
                            prop:checked=move || param("provisional").get() == "true" />
                        {t!(i18n, only_provisional)}
                    </label>
                    <button type="submit" class="primary">{t!(i18n, apply_filters)}</button>
                </div>
            </Form>
            <OrganisationForm on_done=reload />
            <CsvImport on_done=reload />
            {move || loaded(list.get(), |page| {
                    let (total, per_page, current) = (page.total, page.per_page, page.page);
                    view! {
                        <p class="muted" data-testid="registry-total">{t!(i18n, registry_found, total)}</p>
                        <div class="table-scroll">
                            <table class="list" data-testid="registry-table">
                                <thead><tr><th>{t!(i18n, organisation)}</th><th>{t!(i18n, filter_place)}</th><th>{t!(i18n, filter_kind)}</th>
                                    <th>{t!(i18n, filter_status)}</th><th class="num">{t!(i18n, visits_count)}</th></tr></thead>
                                <tbody>{page.items.into_iter().map(|item| view! { <RegistryRow item on_change=reload /> }).collect_view()}</tbody>
                            </table>
                        </div>
                        <Pager path="/registry" total per_page page=current
                            query_string=Signal::derive(move || query.with(|q| q.to_query_string())) testid="registry-page-number" />
                    }.into_any()
                })}
        </main>
    }
}

#[component]
fn RegistryRow(
    item: RegistryItem,
    on_change: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let (error, set_error) = signal(None::<String>);
    let o = item.organisation.clone();
    let kind = labels::kind(o.kind.as_str()).unwrap_or(("", ""));
    let provisional = o.provisional && item.merged_into.is_none();
    let id = o.id.to_string();
    let set_status = {
        let (o, on_change) = (o.clone(), on_change.clone());
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            let Some(status) = <LegalStatus as Coded>::from_code(&value) else {
                return;
            };
            let mut changed: Organisation = o.clone();
            changed.legal_status = status;
            let on_change = on_change.clone();
            leptos::task::spawn_local(async move {
                let path = format!("/api/v1/organisations/{}", changed.id);
                match api::send_json::<serde_json::Value, _>("PUT", &path, &changed).await {
                    Ok(_) => on_change(),
                    Err(e) => set_error.set(Some(describe(i18n, &e))),
                }
            });
        }
    };
    let merge_into = RwSignal::new(String::new());
    let merge = {
        let (id, on_change) = (id.clone(), on_change.clone());
        move |_| {
            let Ok(into) = uuid::Uuid::parse_str(merge_into.get_untracked().trim()) else {
                set_error.set(Some(t_string!(i18n, merge_pick_target).to_string()));
                return;
            };
            let (id, on_change) = (id.clone(), on_change.clone());
            leptos::task::spawn_local(async move {
                let path = format!("/api/v1/organisations/{id}/merge");
                match api::send_json::<serde_json::Value, _>(
                    "POST",
                    &path,
                    &htx_core::api::MergeRequest { into },
                )
                .await
                {
                    Ok(_) => on_change(),
                    Err(e) => set_error.set(Some(describe(i18n, &e))),
                }
            });
        }
    };
    let current = o.legal_status.as_str().to_string();
    let editing = RwSignal::new(false);
    let (o_edit, on_change_edit) = (o.clone(), on_change.clone());
    view! {
        <tr data-testid="registry-row" data-id=id.clone() data-provisional=provisional.to_string()>
            <td><strong>{o.name.clone()}</strong>
                <div class="muted small">{o.registration_code.clone().unwrap_or_default()}
                    {item.merged_into.is_some().then(|| view! { " · " {t!(i18n, merged)} })}</div>
                {provisional.then(|| view! {
                    <div class="merge">
                        <span class="warn small">{t!(i18n, provisional_note)}</span>
                        <MergeTarget place=o.place_new.clone().unwrap_or_default() exclude=id.clone() value=merge_into />
                        <button data-testid="registry-merge" on:click=merge>{t!(i18n, merge_into)}</button>
                    </div>
                })}
                {move || error.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                <button data-testid="registry-edit-open" on:click=move |_| editing.update(|e| *e = !*e)>{t!(i18n, edit)}</button>
                {move || editing.get().then(|| {
                    let on_change = on_change_edit.clone();
                    view! { <OrganisationForm existing=o_edit.clone() on_done=move || on_change() /> }
                })}
            </td>
            <td>{item.place_name.clone()}</td>
            <td>{move || pick(kind.0, kind.1).to_string()}</td>
            <td>
                <select data-testid="registry-status" aria-label=move || t_string!(i18n, filter_status).to_string() on:change=set_status>
                    {LegalStatus::ALL.into_iter().map(|s| {
                        let code = s.as_str().to_string();
                        let selected = code == current;
                        view! { <option value=code selected=selected>{move || pick(s.label_vi(), s.label_en()).to_string()}</option> }
                    }).collect_view()}
                </select>
            </td>
            <td class="num">{item.visits}</td>
        </tr>
    }
}

/// Registry organisations of the same commune, to merge a provisional one into.
#[component]
fn MergeTarget(place: String, exclude: String, value: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let candidates = LocalResource::new(move || {
        let place = place.clone();
        // Only this commune's organisations: a merge stays within a commune.
        let path = format!("/api/v1/organisations?per_page=500&place={place}");
        async move {
            api::get_signed_in::<RegistryPage>(&path)
                .await
                .map(|p| (p, place))
        }
    });
    view! {
        <select data-testid="registry-merge-target" aria-label=move || t_string!(i18n, merge_into).to_string()
            on:change=move |ev| value.set(event_target_value(&ev))>
            <option value="">{t!(i18n, merge_pick_target)}</option>
            {move || candidates.get().and_then(|r| r.ok()).map(|(page, place)| {
                page.items.into_iter()
                    .filter(|i| !i.organisation.provisional && i.organisation.place_new.as_deref() == Some(place.as_str()) && i.organisation.id.to_string() != exclude)
                    .map(|i| {
                        let label = format!("{} ({})", i.organisation.name, i.organisation.registration_code.unwrap_or_default());
                        view! { <option value=i.organisation.id.to_string()>{label}</option> }
                    })
                    .collect_view()
            })}
        </select>
    }
}

/// "Nhập từ tệp CSV": the server checks every row; either all are added or
/// none, with each problem shown by line and column.
#[component]
fn CsvImport(on_done: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let (result, set_result) = signal(None::<Result<usize, (String, Vec<RowError>)>>);
    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        let on_done = on_done.clone();
        leptos::task::spawn_local(async move {
            let text = JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let answer =
                api::post_csv::<serde_json::Value>("/api/v1/organisations/import", text).await;
            input.set_value("");
            set_result.set(Some(match answer {
                Ok(v) => {
                    on_done();
                    Ok(v["imported"].as_u64().unwrap_or(0) as usize)
                }
                Err(ApiError::Server { rows, .. }) if !rows.is_empty() => {
                    Err((t_string!(i18n, import_rejected).to_string(), rows))
                }
                Err(e) => Err((describe(i18n, &e), Vec::new())),
            }));
        });
    };
    view! {
        <details class="card" data-testid="registry-import-box">
            <summary>{t!(i18n, import_csv)}</summary>
            <p class="muted small">{t!(i18n, import_csv_help)}</p>
            <input type="file" accept=".csv,text/csv" data-testid="registry-import" on:change=import />
            {move || result.get().map(|r| match r {
                Ok(n) => view! { <p class="ok" role="status" data-testid="registry-import-result">{t!(i18n, imported_n, n)}</p> }.into_any(),
                Err((message, rows)) => view! {
                    <div role="alert" data-testid="registry-import-errors">
                        <p class="error">{message}</p>
                        <table class="fields"><tbody>
                            {rows.into_iter().map(|r| view! {
                                <tr><th>{format!("{} {} · {}", pick("Dòng", "Line"), r.line, r.column)}</th>
                                    <td>{move || pick(&r.message_vi, &r.message_en).to_string()}</td></tr>
                            }).collect_view()}
                        </tbody></table>
                    </div>
                }.into_any(),
            })}
        </details>
    }
}

/// "Thêm tổ chức vào danh bạ" (no `existing`) or "Sửa" (an organisation of
/// the list): the registry record, checked by the server with htx-core's
/// rules. Editing keeps what the form does not show (status, address ...).
#[component]
fn OrganisationForm(
    #[prop(optional)] existing: Option<Organisation>,
    on_done: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let editing = existing.is_some();
    let base = existing.clone();
    let e = existing.as_ref();
    let name = RwSignal::new(e.map(|o| o.name.clone()).unwrap_or_default());
    let code = RwSignal::new(
        e.and_then(|o| o.registration_code.clone())
            .unwrap_or_default(),
    );
    let kind = RwSignal::new(
        e.map(|o| o.kind)
            .unwrap_or(OrganisationKind::Cooperative)
            .as_str()
            .to_string(),
    );
    let sector = RwSignal::new(
        e.map(|o| o.sector)
            .unwrap_or(htx_core::Sector::Crops)
            .as_str()
            .to_string(),
    );
    let commune = RwSignal::new(e.and_then(|o| o.place_new.clone()).unwrap_or_default());
    let founded = RwSignal::new(
        e.and_then(|o| o.founded_on)
            .map(htx_core::format::format_date_vn)
            .unwrap_or_default(),
    );
    let (message, set_message) = signal(None::<Result<String, String>>);
    let communes = LocalResource::new(|| async { crate::data::ref_data().await.ok() });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let k = <OrganisationKind as Coded>::from_code(&kind.get_untracked());
        let s = <htx_core::Sector as Coded>::from_code(&sector.get_untracked());
        let (Some(k), Some(s)) = (k, s) else { return };
        let mut o = base
            .clone()
            .unwrap_or_else(|| Organisation::new(uuid::Uuid::now_v7(), k, "", s));
        o.kind = k;
        o.sector = s;
        o.name = name.get_untracked().trim().to_owned();
        o.registration_code =
            Some(code.get_untracked().trim().to_owned()).filter(|c| !c.is_empty());
        o.place_new = Some(commune.get_untracked()).filter(|c| !c.is_empty());
        let date = founded.get_untracked();
        o.founded_on = None;
        if !date.trim().is_empty() {
            match htx_core::format::parse_date_vn(&date) {
                Ok(d) => o.founded_on = Some(d),
                Err(e) => {
                    return set_message.set(Some(Err(
                        pick(&e.message_vi(), &e.message_en()).to_string()
                    )))
                }
            }
        }
        let on_done = on_done.clone();
        leptos::task::spawn_local(async move {
            let answer = if editing {
                api::send_json::<serde_json::Value, _>(
                    "PUT",
                    &format!("/api/v1/organisations/{}", o.id),
                    &o,
                )
                .await
            } else {
                api::send_json::<serde_json::Value, _>("POST", "/api/v1/organisations", &o).await
            };
            match answer {
                Ok(_) => {
                    set_message.set(Some(Ok(t_string!(i18n, organisation_saved).to_string())));
                    if !editing {
                        name.set(String::new());
                        code.set(String::new());
                    }
                    on_done();
                }
                Err(e) => set_message.set(Some(Err(describe(i18n, &e)))),
            }
        });
    };
    view! {
        <details class="card" data-testid=if editing { "registry-edit" } else { "registry-new" } open=editing>
            <summary>{move || if editing { t_string!(i18n, edit_organisation) } else { t_string!(i18n, add_to_registry) }}</summary>
            <form class="filters" on:submit=submit>
                <label class="grow">{t!(i18n, organisation)}<input data-testid="new-org-name" bind:value=name required /></label>
                <label>{t!(i18n, registration_code)}<input data-testid="new-org-code" bind:value=code /></label>
                <label>{t!(i18n, filter_kind)}
                    <select on:change=move |ev| kind.set(event_target_value(&ev))>
                        {OrganisationKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str().to_string() selected=k.as_str() == kind.get_untracked()>{move || pick(k.label_vi(), k.label_en()).to_string()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{t!(i18n, filter_sector)}
                    <select on:change=move |ev| sector.set(event_target_value(&ev))>
                        {htx_core::Sector::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str().to_string() selected=s.as_str() == sector.get_untracked()>{move || pick(s.label_vi(), s.label_en()).to_string()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{t!(i18n, filter_place)}
                    <select required data-testid="new-org-commune" on:change=move |ev| commune.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {move || communes.get().flatten().map(|d| {
                            let mut list: Vec<_> = d.places.iter()
                                .filter(|p| p.hierarchy == htx_core::Hierarchy::New && p.level == htx_core::PlaceLevel::Commune)
                                .map(|p| (p.code.clone(), p.name.clone()))
                                .collect();
                            list.sort_by(|a, b| a.1.cmp(&b.1));
                            list.into_iter().map(|(c, n)| { let selected = c == commune.get_untracked(); view! { <option value=c selected=selected>{n}</option> } }).collect_view()
                        })}
                    </select>
                </label>
                <label>{t!(i18n, founded_on)}<input data-testid="new-org-founded" bind:value=founded placeholder="dd/mm/yyyy" size="10" /></label>
                <button type="submit" class="primary" data-testid="new-org-submit">{move || if editing { t_string!(i18n, save) } else { t_string!(i18n, add) }}</button>
            </form>
            {move || message.get().map(|m| match m {
                Ok(s) => view! { <p class="ok" role="status">{s}</p> }.into_any(),
                Err(s) => view! { <p class="error" role="alert">{s}</p> }.into_any(),
            })}
        </details>
    }
}
