//! Sign in (in the office, online) and download the officer's area:
//! organisations, places and rubrics. Signing in again later refreshes them.
use crate::api::{self, ApiError, PullError};
use crate::i18n::{t, t_string, use_i18n};
use crate::session::Session;
use crate::storage::DeviceStore;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Idle,
    Working,
    Failed(String),
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let i18n = use_i18n();
    let (phase, set_phase) = signal(Phase::Idle);
    let username = RwSignal::new(Session::load().map(|s| s.username).unwrap_or_default());
    let password = RwSignal::new(String::new());
    let navigate = use_navigate();
    let sync = crate::sync::use_sync();
    let session_changed = expect_context::<crate::session::SessionChanged>();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (u, p) = (username.get_untracked(), password.get_untracked());
        if u.trim().is_empty() || p.is_empty() {
            set_phase.set(Phase::Failed(t_string!(i18n, signin_missing).to_string()));
            return;
        }
        set_phase.set(Phase::Working);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let result = async {
                let session = api::login(u.trim(), &p).await.map_err(PullError::Api)?;
                session.save();
                session_changed.notify();
                let store = DeviceStore::shared().await.map_err(PullError::Storage)?;
                // Visits recorded while nobody was signed in are this officer's.
                store
                    .claim_unowned(&session.username)
                    .await
                    .map_err(PullError::Storage)?;
                api::pull_reference(&store, &session, true).await
            }
            .await;
            crate::data::invalidate();
            match result {
                Ok(_) => {
                    crate::sync::sync_now(sync);
                    password.set(String::new());
                    set_phase.set(Phase::Idle);
                    let staff = Session::load().is_some_and(|s| s.is_staff());
                    // Staff go on to the console, a page of the other bundle.
                    if staff {
                        crate::app::load_page("/review");
                    } else {
                        navigate("/", Default::default());
                    }
                }
                Err(e) => set_phase.set(Phase::Failed(describe(i18n, &e))),
            }
        });
    };
    view! {
        <main class="page" data-testid="signin-page">
            <h1>{t!(i18n, sign_in)}</h1>
            <p class="muted">{t!(i18n, sign_in_intro)}</p>
            <form class="card" on:submit=submit>
                <label for="signin-username">{t!(i18n, username)}</label>
                <input id="signin-username" data-testid="signin-username" autocomplete="username"
                    autocapitalize="none" bind:value=username />
                <label for="signin-password">{t!(i18n, password)}</label>
                <input id="signin-password" data-testid="signin-password" type="password"
                    autocomplete="current-password" bind:value=password />
                <button type="submit" class="primary" data-testid="signin-submit"
                    disabled=move || phase.get() == Phase::Working>
                    {move || if phase.get() == Phase::Working { t_string!(i18n, signing_in) } else { t_string!(i18n, sign_in_and_download) }}
                </button>
                {move || match phase.get() {
                    Phase::Failed(m) => Some(view! { <p class="error" role="alert" data-testid="signin-error">{m}</p> }),
                    _ => None,
                }}
            </form>
        </main>
    }
}

fn describe(i18n: leptos_i18n::I18nContext<crate::i18n::Locale>, e: &PullError) -> String {
    match e {
        PullError::Api(ApiError::Network) => t_string!(i18n, err_network).to_string(),
        PullError::Api(ApiError::Server { code, .. }) if code == "invalid_credentials" => {
            t_string!(i18n, err_credentials).to_string()
        }
        // Too many sign-ins at once on the server: nothing is wrong with the password.
        PullError::Api(ApiError::Server { code, .. }) if code == "busy" => {
            t_string!(i18n, err_busy).to_string()
        }
        // Too many wrong passwords, or a disabled account: the server says
        // why in Vietnamese (with the wait), which the officer must read.
        PullError::Api(ApiError::Server {
            code,
            message_vi: Some(vi),
            ..
        }) if code == "too_many_attempts" || code == "account_disabled" => vi.clone(),
        PullError::Api(ApiError::Server {
            status, message, ..
        }) => format!("{} ({status}): {message}", t_string!(i18n, err_server)),
        PullError::Api(ApiError::Decode(m)) => format!("{}: {m}", t_string!(i18n, err_server)),
        PullError::Storage(s) => s.to_string(),
    }
}
