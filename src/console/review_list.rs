//! The review console's visit list (staff, online): filters in the address
//! (so a filtered list can be bookmarked or shared), paged on the server.
use crate::api::{self, ApiError};
use crate::components::loaded::loaded;
use crate::console::filters::{api_query, choices, ChoiceFilter, YearAndPlace};
use crate::console::pager::Pager;
use crate::data::pick;
use crate::i18n::{t, t_string, use_i18n};
use htx_core::console::{labels, VisitListItem, VisitPage};
use htx_core::format::format_date_vn;
use htx_core::{OrganisationKind, Sector};
use leptos::prelude::*;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

/// Query parameters the list passes on to `GET /api/v1/visits`.
const PARAMS: [&str; 10] = [
    "year", "place", "kind", "sector", "grade", "state", "officer", "q", "sort", "page",
];

#[component]
pub fn ReviewListPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let param = move |name: &'static str| {
        Signal::derive(move || query.with(|q| q.get(name).unwrap_or_default()))
    };
    let page_data = LocalResource::new(move || {
        let qs = query.with(|q| api_query(q, &PARAMS));
        async move { api::get_signed_in::<VisitPage>(&format!("/api/v1/visits?per_page=50&{qs}")).await }
    });
    view! {
        <main class="page wide" data-testid="review-list">
            <h1>{t!(i18n, review_heading)}</h1>
            <Form method="GET" action="">
                <div class="filters">
                    <YearAndPlace year=param("year") place=param("place") />
                    <label>{t!(i18n, filter_kind)}
                        <ChoiceFilter name="kind" choices={choices::<OrganisationKind>()} selected=param("kind") />
                    </label>
                    <label>{t!(i18n, filter_sector)}
                        <ChoiceFilter name="sector" choices={choices::<Sector>()} selected=param("sector") />
                    </label>
                    <label>{t!(i18n, grade)}
                        <select name="grade">
                            <option value="">{t!(i18n, any)}</option>
                            {["good", "fair", "average", "weak"].into_iter().map(|g| {
                                let (vi, en) = labels::grade(g).unwrap_or((g, g));
                                view! { <option value=g selected=move || param("grade").get() == g>{move || pick(vi, en).to_string()}</option> }
                            }).collect_view()}
                            <option value="none" selected=move || param("grade").get() == "none">{t!(i18n, not_graded)}</option>
                        </select>
                    </label>
                    <label>{t!(i18n, review_state)}
                        <ChoiceFilter name="state" choices=labels::REVIEW_STATES.iter().map(|(c, vi, en)| (c.to_string(), *vi, *en)).collect() selected=param("state") />
                    </label>
                    <label>{t!(i18n, officer)}
                        <input name="officer" autocapitalize="none" prop:value=param("officer") size="10" />
                    </label>
                    <label class="grow">{t!(i18n, search)}
                        <input name="q" type="search" data-testid="filter-q" prop:value=param("q") />
                    </label>
                    <label>{t!(i18n, sort_by)}
                        <select name="sort">
                            {SORTS.into_iter().map(|(code, vi, en)| view! {
                                <option value=code selected=move || param("sort").get() == code>{move || pick(vi, en).to_string()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="primary" data-testid="filter-apply">{t!(i18n, apply_filters)}</button>
                </div>
            </Form>
            {move || loaded(page_data.get(), |page| view! { <Results page query_string=move || query.with(|q| q.to_query_string()) /> })}
        </main>
    }
}

const SORTS: [(&str, &str, &str); 5] = [
    ("newest_first", "Mới nhất trước", "Newest first"),
    ("oldest_first", "Cũ nhất trước", "Oldest first"),
    ("score_high_first", "Điểm cao trước", "Highest score first"),
    ("score_low_first", "Điểm thấp trước", "Lowest score first"),
    ("organisation", "Theo tên tổ chức", "By organisation"),
];

#[component]
fn Results(page: VisitPage, #[prop(into)] query_string: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let (current, total) = (page.page, page.total);
    view! {
        <p class="muted" data-testid="review-total">{t!(i18n, review_found, total)}</p>
        <div class="table-scroll">
            <table class="list" data-testid="review-table">
                <thead><tr>
                    <th>{t!(i18n, visit_date)}</th><th>{t!(i18n, organisation)}</th><th>{t!(i18n, filter_place)}</th>
                    <th>{t!(i18n, officer)}</th><th class="num">{t!(i18n, score)}</th><th>{t!(i18n, grade)}</th><th>{t!(i18n, review_state)}</th>
                </tr></thead>
                <tbody>{page.items.into_iter().map(row).collect_view()}</tbody>
            </table>
        </div>
        <Pager path="/review" total=total.max(0) as usize per_page=page.per_page.max(1) as usize page=current.max(1) as usize
            query_string testid="review-page" />
    }
}

fn row(v: VisitListItem) -> impl IntoView {
    let date = chrono::NaiveDate::parse_from_str(&v.visited_on, "%Y-%m-%d")
        .map(format_date_vn)
        .unwrap_or(v.visited_on.clone());
    let score = v
        .score_centi
        .map(|c| format!("{:.2}", c as f64 / 100.0).replace('.', ","))
        .unwrap_or_default();
    let grade = v.grade.as_deref().and_then(labels::grade);
    let state = labels::review_state(&v.review_state).unwrap_or(("", ""));
    let href = format!("/review/{}", v.visit_id);
    let code = v.registration_code.clone().unwrap_or_default();
    view! {
        <tr data-testid="review-row" data-visit=v.visit_id.clone() data-state=v.review_state.clone()>
            <td>{date}</td>
            <td><A href=href>{v.organisation_name.clone()}</A>
                <div class="muted small">{code}{v.provisional.then_some(" · tạm")}</div></td>
            <td>{v.place_name.clone()}</td>
            <td>{v.officer_name.clone()}</td>
            <td class="num">{score}</td>
            <td>{move || grade.map(|(vi, en)| pick(vi, en).to_string())}</td>
            <td><span class=format!("state state-{}", v.review_state)>{move || pick(state.0, state.1).to_string()}</span>
                {(v.conflicts > 0).then(|| view! { <span class="state state-conflict">{format!(" ⚠ {}", v.conflicts)}</span> })}</td>
        </tr>
    }
}

pub fn describe(i18n: leptos_i18n::I18nContext<crate::i18n::Locale>, e: &ApiError) -> String {
    match e {
        ApiError::Network => t_string!(i18n, err_network).to_string(),
        ApiError::Server { status: 401, .. } => t_string!(i18n, err_sign_in_again).to_string(),
        ApiError::Server {
            message,
            message_vi: Some(vi),
            ..
        } => pick(vi, message).to_string(),
        ApiError::Server { status: 403, .. } => t_string!(i18n, err_staff_only).to_string(),
        ApiError::Server { code, message, .. } if code == "stale" => {
            format!("{} ({message})", t_string!(i18n, err_conflict))
        }
        ApiError::Server {
            status, message, ..
        } => format!("{} ({status}): {message}", t_string!(i18n, err_server)),
        ApiError::Decode(m) => format!("{}: {m}", t_string!(i18n, err_server)),
    }
}
