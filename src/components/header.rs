//! The top bar: app name, connection state, language, navigation.
use super::{lang_toggle::LangToggle, net_badge::NetBadge};
use crate::app::Part;
use crate::i18n::{t, t_string, use_i18n};
use leptos::prelude::*;
use leptos_router::components::A;

/// The top bar of either part (`part`): tabs of the other part are page
/// loads, not in-app navigation.
#[component]
pub fn Header(part: Part) -> impl IntoView {
    let i18n = use_i18n();
    let net = expect_context::<ReadSignal<crate::net::NetState>>();
    let tab = move |href: &'static str, label: String| {
        view! { <A href=href attr:rel=part.link_rel(href)>{label}</A> }
    };
    // Re-read when someone signs in: the role decides the tabs. Staff get
    // the console's; everyone else the field app's.
    let changed = expect_context::<crate::session::SessionChanged>();
    let role = Memo::new(move |_| {
        changed.0.track();
        crate::session::Session::load()
            .filter(|s| s.is_staff())
            .map(|s| s.role)
    });
    view! {
        <header class="topbar">
            <div class="brand">
                <img src="/icons/icon-192.png" alt="" width="36" height="36" />
                <div>
                    <strong class="brand-title">{t!(i18n, app_title)}</strong>
                    <span class="brand-sub">{t!(i18n, app_subtitle)}</span>
                </div>
            </div>
            {(part == Part::Field).then(|| view! { <PendingBadge /> })}
            <div class="topbar-actions">
                <NetBadge state=net />
                <LangToggle />
                {move || (part == Part::Console && role.get().is_some()).then(|| view! { <StaffSignOut /> })}
            </div>
        </header>
        <nav class="tabs">
            {move || match role.get() {
                Some(r) => view! {
                    {tab("/review", t_string!(i18n, nav_review).to_string())}
                    {tab("/registry", t_string!(i18n, nav_registry).to_string())}
                    {tab("/dashboard", t_string!(i18n, nav_dashboard).to_string())}
                    {(r == htx_core::api::Role::Admin).then(|| tab("/admin", t_string!(i18n, nav_admin).to_string()))}
                }.into_any(),
                None => view! {
                    {tab("/", t_string!(i18n, nav_home).to_string())}
                    {tab("/orgs", t_string!(i18n, nav_orgs).to_string())}
                    {tab("/visits", t_string!(i18n, nav_visits).to_string())}
                    {tab("/storage", t_string!(i18n, nav_storage).to_string())}
                }.into_any(),
            }}
        </nav>
    }
}

/// The console's sign-out: the server revokes the token, the browser forgets
/// it, and the sign-in page opens (staff keep no visits on their desktop).
#[component]
fn StaffSignOut() -> impl IntoView {
    let i18n = use_i18n();
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            if let Some(s) = crate::session::Session::load() {
                // Unreachable server or revoked token: forget it anyway.
                let _ = crate::api::logout(&s.token).await;
            }
            crate::session::Session::clear();
            crate::app::load_page("/signin");
        });
    };
    view! { <button class="button" data-testid="staff-sign-out" on:click=sign_out>{t!(i18n, sign_out)}</button> }
}

/// "n chờ đồng bộ" on every page of the field app while visits of this
/// account wait for the server; it leads home, where the sync panel is. On a
/// phone it takes a row of its own under the top bar's, so the app's name
/// and the connection state keep theirs.
#[component]
fn PendingBadge() -> impl IntoView {
    let i18n = use_i18n();
    let waiting = crate::sync::use_sync().waiting;
    move || {
        let n = waiting.get();
        (n > 0).then(|| {
            view! {
                <A href="/" attr:class="pending-badge" attr:data-testid="pending-badge" attr:data-count=n
                    attr:title=move || t_string!(i18n, pending_badge_title)>
                    {t!(i18n, pending_badge, n)}
                </A>
            }
        })
    }
}
