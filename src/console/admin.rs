//! Administration (quản trị), admins only: accounts with their places or
//! scope, and publishing a new rubric version.
use crate::api;
use crate::console::review_list::describe;
use crate::data::pick;
use crate::i18n::{t, t_string, use_i18n};
use leptos::prelude::*;
use wasm_bindgen_futures::JsFuture;

use htx_core::api::{Role, RubricSummary, UserSummary};

#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    let users = LocalResource::new(|| async {
        api::get_signed_in::<Vec<UserSummary>>("/api/v1/users").await
    });
    let rubrics = LocalResource::new(|| async {
        api::get_signed_in::<Vec<RubricSummary>>("/api/v1/rubrics").await
    });
    // After a change: the lists are fetched again.
    let reload = move || {
        users.refetch();
        rubrics.refetch();
    };
    view! {
        <main class="page wide" data-testid="admin-page">
            <h1>{t!(i18n, admin_heading)}</h1>
            <section class="card">
                <h2>{t!(i18n, accounts)}</h2>
                {move || users.get().map(|r| match r {
                    Err(e) => view! { <p class="error" role="alert">{describe(i18n, &e)}</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-scroll"><table class="list" data-testid="users-table">
                            <thead><tr><th>{t!(i18n, username)}</th><th>{t!(i18n, display_name)}</th><th>{t!(i18n, role)}</th><th>{t!(i18n, assigned)}</th></tr></thead>
                            <tbody>{list.into_iter().map(|u| {
                                let role = u.role;
                                let assigned = if u.role == Role::Officer { u.places.join(", ") } else {
                                    u.scopes.iter().map(|s| format!("{} ({})", s.code, if s.hierarchy == htx_core::Hierarchy::Old { pick("cũ", "old") } else { pick("mới", "new") })).collect::<Vec<_>>().join(", ")
                                };
                                view! { <tr data-testid="user-row"><td>{u.username}</td><td>{u.display_name}</td><td>{move || pick(role.label_vi(), role.label_en()).to_string()}</td><td>{assigned}</td></tr> }
                            }).collect_view()}</tbody>
                        </table></div>
                    }.into_any(),
                })}
                <NewUserForm on_done=reload />
            </section>
            <section class="card">
                <h2>{t!(i18n, rubrics_heading)}</h2>
                {move || rubrics.get().and_then(|r| r.ok()).map(|list| view! {
                    <ul data-testid="rubrics-list">{list.into_iter().map(|r| view! {
                        <li>{format!("{} v{} — {} ({}, {} {})", r.id, r.version, r.title_vi, r.legal_basis, pick("từ", "from"), htx_core::format::format_date_vn(r.valid_from))}</li>
                    }).collect_view()}</ul>
                })}
                <PublishRubric on_done=reload />
            </section>
        </main>
    }
}

#[component]
fn NewUserForm(on_done: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Officer.as_str().to_string());
    let password = RwSignal::new(String::new());
    let places = RwSignal::new(String::new());
    let (message, set_message) = signal(None::<Result<String, String>>);
    // Creating an account: one request at a time; its answer says what
    // happened, and a created account reloads the lists.
    let create = Action::new_local(|body: &serde_json::Value| {
        let body = body.clone();
        async move { api::send_json::<serde_json::Value, _>("POST", "/api/v1/users", &body).await }
    });
    Effect::new(move |_| {
        let Some(answer) = create.value().get() else {
            return;
        };
        // Only the answer is tracked: reloading the lists must not run this again.
        untrack(|| match answer {
            Ok(_) => {
                set_message.set(Some(Ok(t_string!(i18n, account_created).to_string())));
                password.set(String::new());
                on_done();
            }
            Err(e) => set_message.set(Some(Err(describe(i18n, &e)))),
        });
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Codes separated by commas or spaces; staff scopes are provinces of
        // the current hierarchy unless written "old:89".
        let codes: Vec<String> = places
            .get_untracked()
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let r = role.get_untracked();
        let (place_list, scopes): (Vec<String>, Vec<serde_json::Value>) =
            if r == Role::Officer.as_str() {
                (codes, vec![])
            } else {
                (
                    vec![],
                    codes
                        .iter()
                        .map(|c| match c.split_once(':') {
                            Some((h, code)) => serde_json::json!({ "hierarchy": h, "code": code }),
                            None => serde_json::json!({ "hierarchy": "new", "code": c }),
                        })
                        .collect(),
                )
            };
        let body = serde_json::json!({
            "username": username.get_untracked().trim(), "display_name": display_name.get_untracked().trim(),
            "role": r, "password": password.get_untracked(), "places": place_list, "scopes": scopes,
        });
        create.dispatch(body);
    };
    view! {
        <form class="filters" on:submit=submit data-testid="new-user">
            <label>{t!(i18n, username)}<input bind:value=username autocapitalize="none" required /></label>
            <label>{t!(i18n, display_name)}<input bind:value=display_name required /></label>
            <label>{t!(i18n, role)}
                <select on:change=move |ev| role.set(event_target_value(&ev))>
                    {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{move || pick(r.label_vi(), r.label_en()).to_string()}</option> }).collect_view()}
                </select>
            </label>
            <label>{t!(i18n, password)}<input type="password" bind:value=password autocomplete="new-password" minlength="10" required /></label>
            <label class="grow">{t!(i18n, assigned_codes)}<input bind:value=places placeholder="30850, 31018" /></label>
            <button type="submit" class="primary" disabled=move || create.pending().get()>{t!(i18n, create_account)}</button>
        </form>
        {move || message.get().map(|m| match m {
            Ok(s) => view! { <p class="ok" role="status">{s}</p> }.into_any(),
            Err(s) => view! { <p class="error" role="alert">{s}</p> }.into_any(),
        })}
    }
}

/// A rubric version as JSON (the format of htx-core's built-in rubrics);
/// the server checks it and devices receive it at their next pull.
#[component]
fn PublishRubric(on_done: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let (message, set_message) = signal(None::<Result<String, String>>);
    let publish = move |ev: leptos::ev::Event| {
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
            input.set_value("");
            let rubric = match htx_core::Rubric::from_json(&text) {
                Ok(r) => r,
                Err(e) => {
                    return set_message.set(Some(Err(format!(
                        "{}: {e}",
                        t_string!(i18n, rubric_invalid)
                    ))))
                }
            };
            match api::send_json::<serde_json::Value, _>("POST", "/api/v1/rubrics", &rubric).await {
                Ok(_) => {
                    set_message.set(Some(Ok(t_string!(i18n, rubric_published).to_string())));
                    on_done();
                }
                Err(e) => set_message.set(Some(Err(describe(i18n, &e)))),
            }
        });
    };
    view! {
        <label>{t!(i18n, publish_rubric)}
            <input type="file" accept=".json,application/json" data-testid="rubric-file" on:change=publish />
        </label>
        {move || message.get().map(|m| match m {
            Ok(s) => view! { <p class="ok" role="status">{s}</p> }.into_any(),
            Err(s) => view! { <p class="error" role="alert">{s}</p> }.into_any(),
        })}
    }
}
