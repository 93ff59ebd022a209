//! The plan dashboard (staff, online): every Phụ lục 1 indicator for a year
//! and a place against the 2030 and 2045 targets, the numbers behind each,
//! the organisations with no visit that year; exports and the printable
//! annual report.
use crate::api;
use crate::components::loaded::loaded;
use crate::console::filters::{api_query, YearAndPlace};
use crate::console::review_list::describe;
use crate::data::pick;
use crate::i18n::{t, t_string, use_i18n};

/// Query parameters the dashboard passes on to the API.
const PARAMS: [&str; 3] = ["year", "place", "reviewed"];
use htx_core::console::Dashboard;
use htx_core::indicators::{percent_vi, target_vi, IndicatorValue, Target, TargetStatus};
use leptos::prelude::*;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

/// Loads the dashboard for the address's query.
pub fn dashboard_resource() -> LocalResource<Result<Dashboard, api::ApiError>> {
    let query = use_query_map();
    LocalResource::new(move || {
        let qs = query.with(|q| api_query(q, &PARAMS));
        async move { api::get_signed_in::<Dashboard>(&format!("/api/v1/dashboard?{qs}")).await }
    })
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let param = move |name: &'static str| {
        Signal::derive(move || query.with(|q| q.get(name).unwrap_or_default()))
    };
    let data = dashboard_resource();
    let (download_error, set_download_error) = signal(None::<String>);
    let download = move |what: &'static str, ext: &'static str| {
        move |_| {
            let qs = query.with(|q| api_query(q, &PARAMS));
            let year = query
                .with(|q| q.get("year"))
                .filter(|y| !y.is_empty())
                .unwrap_or_else(|| chrono::Utc::now().format("%Y").to_string());
            let name = format!(
                "{}-{year}.{ext}",
                if what == "visits" {
                    "luot-khao-sat"
                } else {
                    "chi-tieu"
                }
            );
            leptos::task::spawn_local(async move {
                if let Err(e) =
                    api::download_signed_in(&format!("/api/v1/exports/{what}.{ext}?{qs}"), &name)
                        .await
                {
                    set_download_error.set(Some(describe(i18n, &e)));
                }
            });
        }
    };
    view! {
        <main class="page wide" data-testid="dashboard-page">
            <h1>{t!(i18n, dashboard_heading)}</h1>
            <Form method="GET" action="">
                <div class="filters">
                    <YearAndPlace year=param("year") place=param("place") whole_scope=true />
                    <label>{t!(i18n, counted_visits)}
                        <select name="reviewed">
                            <option value="true">{t!(i18n, only_approved)}</option>
                            <option value="false" selected=move || param("reviewed").get() == "false">{t!(i18n, all_synced)}</option>
                        </select>
                    </label>
                    <button type="submit" class="primary">{t!(i18n, apply_filters)}</button>
                </div>
            </Form>
            <div class="row no-print exports">
                <button data-testid="export-visits-xlsx" on:click=download("visits", "xlsx")>{t!(i18n, export_visits)} " XLSX"</button>
                <button on:click=download("visits", "csv")>{t!(i18n, export_visits)} " CSV"</button>
                <button data-testid="export-indicators-xlsx" on:click=download("indicators", "xlsx")>{t!(i18n, export_indicators)} " XLSX"</button>
                <button on:click=download("indicators", "csv")>{t!(i18n, export_indicators)} " CSV"</button>
                <A href=move || format!("/report{}", query.with(|q| q.to_query_string())) attr:data-testid="open-report">{t!(i18n, annual_report)}</A>
            </div>
            {move || download_error.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            {move || loaded(data.get(), |d| view! { <DashboardBody d /> })}
        </main>
    }
}

#[component]
fn DashboardBody(d: Dashboard) -> impl IntoView {
    let i18n = use_i18n();
    let Some(group) = d.report.groups.first().cloned() else {
        return view! { <p class="muted">{t!(i18n, no_organisations)}</p> }.into_any();
    };
    let place = d
        .place
        .as_ref()
        .map(|p| p.name.clone())
        .unwrap_or_else(|| t_string!(i18n, whole_scope).to_string());
    let (orgs, without) = (group.organisations, group.organisations_without_visit);
    view! {
        <p class="muted" data-testid="dashboard-summary">
            {format!("{} · {} {} · ", place, pick("năm", "year"), d.year)}
            {t!(i18n, dashboard_counts, orgs, without)}
        </p>
        <ShareChart values=group.indicators.clone() />
        <IndicatorTable values=group.indicators />
        <section class="card">
            <h2>{t!(i18n, without_visit_heading)} " (" {d.organisations_without_visit.len()} ")"</h2>
            <div class="table-scroll"><table class="list" data-testid="without-visit">
                <thead><tr><th>{t!(i18n, organisation)}</th><th>{t!(i18n, registration_code)}</th><th>{t!(i18n, filter_kind)}</th><th>{t!(i18n, filter_place)}</th></tr></thead>
                <tbody>{d.organisations_without_visit.into_iter().map(|o| view! {
                    <tr><td>{o.name}</td><td>{o.registration_code.unwrap_or_default()}</td>
                        <td>{move || pick(o.kind.label_vi(), o.kind.label_en()).to_string()}</td><td>{o.place_name}</td></tr>
                }).collect_view()}</tbody>
            </table></div>
        </section>
    }
    .into_any()
}

/// The value of an indicator as people read it: a count, or a share with
/// the numbers behind it.
pub fn value_text(v: &IndicatorValue) -> String {
    match (v.share_basis_points, v.denominator) {
        (Some(bp), Some(d)) => format!("{} ({}/{})", percent_vi(bp), v.numerator, d),
        (None, Some(0)) => "— (0/0)".to_string(),
        _ => htx_core::money::group_thousands(v.numerator as i64),
    }
}

pub fn status_badge(s: TargetStatus) -> impl IntoView {
    let class = match s {
        TargetStatus::Met => "badge met",
        TargetStatus::NotMet => "badge not-met",
        _ => "badge none",
    };
    view! { <span class=class data-status=format!("{s:?}")>{move || pick(s.label_vi(), s.label_en()).to_string()}</span> }
}

/// Every Phụ lục 1 row: value, numbers behind it, both targets with status.
#[component]
pub fn IndicatorTable(values: Vec<IndicatorValue>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="table-scroll">
            <table class="list indicators" data-testid="indicator-table">
                <thead><tr>
                    <th>{t!(i18n, stt)}</th><th>{t!(i18n, indicator)}</th><th class="num">{t!(i18n, result)}</th>
                    <th>{t!(i18n, target_2030)}</th><th>{t!(i18n, target_2045)}</th><th class="num">{t!(i18n, orgs_counted)}</th>
                </tr></thead>
                <tbody>{values.into_iter().enumerate().map(|(i, v)| {
                    let id = serde_json::to_value(v.id).ok().and_then(|x| x.as_str().map(str::to_owned)).unwrap_or_default();
                    let (label_vi, label_en) = (v.label_vi.clone(), v.label_en.clone());
                    let counts = format!("{} / {} · {} {}", v.organisations_with_data, v.organisations_in_scope, v.organisations_without_visit, pick("chưa khảo sát", "not visited"));
                    view! {
                        <tr data-testid="indicator-row" data-indicator=id>
                            <td>{i + 1}</td>
                            <td>{move || pick(&label_vi, &label_en).to_string()}<div class="muted small">{v.responsible.clone()}</div></td>
                            <td class="num" data-testid="indicator-value">{value_text(&v)}</td>
                            <td>{target_vi(v.target_2030)} " " {status_badge(v.status_2030)}</td>
                            <td>{target_vi(v.target_2045)} " " {status_badge(v.status_2045)}</td>
                            <td class="num small">{counts}</td>
                        </tr>
                    }
                }).collect_view()}</tbody>
            </table>
        </div>
    }
}

/// Shares as bars against the 2030 target (a tick), where people would
/// rather look than read.
#[component]
fn ShareChart(values: Vec<IndicatorValue>) -> impl IntoView {
    let rows: Vec<(String, u32, Option<u32>)> = values
        .iter()
        .filter_map(|v| {
            let bp = v.share_basis_points?;
            let target = match v.target_2030.or(v.target_2045) {
                Some(
                    Target::ShareAtLeast { basis_points } | Target::ShareMoreThan { basis_points },
                ) => Some(basis_points),
                Some(Target::ShareRange {
                    low_basis_points, ..
                }) => Some(low_basis_points),
                _ => None,
            };
            Some((pick(&v.label_vi, &v.label_en).to_string(), bp, target))
        })
        .collect();
    if rows.is_empty() {
        return ().into_any();
    }
    const ROW: u32 = 34;
    const LABEL: u32 = 410;
    const BAR: u32 = 300;
    let height = ROW * rows.len() as u32 + 10;
    view! {
        <figure class="card chart" data-testid="share-chart">
            <svg viewBox=format!("0 0 {} {height}", LABEL + BAR + 70) role="img" aria-label=pick("Tỷ lệ so với mục tiêu 2030", "Shares against the 2030 targets").to_string()>
                {rows.into_iter().enumerate().map(|(i, (label, bp, target))| {
                    let y = i as u32 * ROW + 4;
                    let w = bp.min(10_000) * BAR / 10_000;
                    let met = target.is_none_or(|t| bp >= t);
                    view! {
                        <g>
                            <text x="0" y=y + 20 font-size="13">{label}</text>
                            <rect x=LABEL y=y + 6 width=BAR height="18" fill="#e6ece9" />
                            <rect x=LABEL y=y + 6 width=w height="18" fill=if met { "#0b5d3b" } else { "#b00020" } />
                            {target.map(|t| { let x = LABEL + t.min(10_000) * BAR / 10_000; view! { <line x1=x x2=x y1=y + 2 y2=y + 28 stroke="#111" stroke-width="2" /> } })}
                            <text x=LABEL + BAR + 6 y=y + 20 font-size="13">{percent_vi(bp)}</text>
                        </g>
                    }
                }).collect_view()}
            </svg>
            <figcaption class="muted small">{pick("Thanh: tỷ lệ đạt được; vạch: mục tiêu 2030 (hoặc 2045 nếu 2030 không đặt).", "Bar: share reached; tick: the 2030 target (2045 when 2030 has none).").to_string()}</figcaption>
        </figure>
    }
    .into_any()
}
