//! The top bar: app name, connection state, language, navigation.
use super::{lang_toggle::LangToggle, net_badge::NetBadge};
use crate::i18n::{t, use_i18n};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Header() -> impl IntoView {
    let i18n = use_i18n();
    let net = crate::net::provide_net_state();
    crate::sync::start(net);
    // Re-read when someone signs in: the role decides the tabs. Staff get
    // the console's; everyone else the field app's.
    let changed = expect_context::<crate::session::SessionChanged>();
    let role = Memo::new(move |_| {
        changed.0.track();
        crate::session::Session::load().filter(|s| s.is_staff()).map(|s| s.role)
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
            <div class="topbar-actions">
                <NetBadge state=net />
                <LangToggle />
            </div>
        </header>
        <nav class="tabs">
            {move || match role.get() {
                Some(r) => view! {
                    <A href="/review">{t!(i18n, nav_review)}</A>
                    <A href="/registry">{t!(i18n, nav_registry)}</A>
                    <A href="/dashboard">{t!(i18n, nav_dashboard)}</A>
                    {(r == "admin").then(|| view! { <A href="/admin">{t!(i18n, nav_admin)}</A> })}
                }.into_any(),
                None => view! {
                    <A href="/">{t!(i18n, nav_home)}</A>
                    <A href="/orgs">{t!(i18n, nav_orgs)}</A>
                    <A href="/visits">{t!(i18n, nav_visits)}</A>
                    <A href="/storage">{t!(i18n, nav_storage)}</A>
                }.into_any(),
            }}
        </nav>
    }
}
