//! Online/offline indicator.
use crate::i18n::{t, use_i18n};
use crate::net::NetState;
use leptos::prelude::*;

#[component]
pub fn NetBadge(state: ReadSignal<NetState>) -> impl IntoView {
    let i18n = use_i18n();
    let label = move || match state.get() {
        NetState::Online => t!(i18n, net_online).into_any(),
        NetState::Offline => t!(i18n, net_offline).into_any(),
        NetState::Checking => t!(i18n, net_checking).into_any(),
    };
    view! {
        <span
            class=move || format!("net-badge net-{}", state.get().as_str())
            data-testid="net-status"
            data-state=move || state.get().as_str()
            role="status"
            aria-live="polite"
        >
            <span class="dot" aria-hidden="true"></span>
            {label}
        </span>
    }
}
