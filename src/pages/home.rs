//! Home: who is signed in, what the device holds, visits by state.
use crate::components::sync_panel::SyncPanel;
use crate::components::visit_list::VisitList;
use crate::data::pick;
use crate::i18n::{t, use_i18n};
use crate::session::{current_account, Session};
use crate::storage::{DeviceStore, SCHEMA_VERSION};
use htx_core::device::LocalStatus;
use leptos::prelude::*;
use leptos_router::components::A;

const RECENT: u32 = 20;

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let sync = crate::sync::use_sync();
    // Re-read when sync changes visit states.
    // Only the signed-in officer's visits: a shared phone's next user sees
    // how many others wait, never what they are.
    let data = LocalResource::new(move || {
        sync.changes.track();
        async {
            let account = current_account();
            let store = DeviceStore::shared().await?;
            let counts = store.status_counts(&account).await?;
            let recent = store.recent_summaries(&account, None, RECENT).await?;
            let total = store.count_visits_of(&account).await?;
            let others = store.other_accounts(&account).await?;
            // A count, not the reference data: home must not wait for 5,000
            // organisations and their search index.
            let orgs = store.count_organisations().await?;
            Ok::<_, crate::storage::StorageError>((
                counts,
                recent,
                total,
                others,
                orgs,
                store.version(),
            ))
        }
    });
    let session = Session::load();
    // Start-up is measured to here (scripts/bench.sh): home with its figures.
    let marked = StoredValue::new(false);
    Effect::new(move || {
        if !marked.get_value() && data.with(|d| matches!(d, Some(Ok(_)))) {
            marked.set_value(true);
            crate::timing::timing_mark("htx-home-ready");
        }
    });
    // Which page shows: only when this changes is the page rebuilt. A sync
    // re-reads the figures without rebuilding the sign-in card, so a
    // sign-out warning the officer is reading stays open.
    let shown = Memo::new(move |_| data.with(|d| d.as_ref().map(|r| r.is_ok())));
    view! {
        {move || match shown.get() {
            None => view! { <main class="page" data-testid="loading"><p class="muted">{t!(i18n, loading)}</p></main> }.into_any(),
            Some(false) => {
                let error = data.with_untracked(|d| match d {
                    Some(Err(e)) => e.to_string(),
                    _ => String::new(),
                });
                view! {
                    <main class="page" data-testid="storage-error">
                        <p class="error" role="alert">{t!(i18n, storage_error, error)}</p>
                    </main>
                }.into_any()
            }
            Some(true) => {
                let session = session.clone();
                view! {
                    <main class="page" data-testid="home">
                        // Nobody signed in: one call to sign in, no sync panel
                        // asking to sign in "again".
                        <SignedInAs session=session.clone() />
                        {session.is_some().then(|| view! { <SyncPanel /> })}
                        <div class="actions">
                            <A href="/orgs" attr:class="button primary" attr:data-testid="start-visit">{t!(i18n, start_visit)}</A>
                        </div>
                        {move || data.get().and_then(Result::ok).map(|(counts, recent, total, others, orgs, version)| {
                            let recent = Signal::derive(move || recent.clone());
                            view! {
                                {(others.visits > 0).then(|| {
                                    let (n, waiting) = (others.visits, others.waiting);
                                    view! { <p class="muted" data-testid="other-accounts">{t!(i18n, other_accounts_visits, n, waiting)}</p> }
                                })}
                                <h2>{t!(i18n, visits_by_state)}</h2>
                                <ul class="state-tiles" data-testid="state-counts">
                                    {LocalStatus::ALL.into_iter().map(|s| {
                                        let n = counts.get(s.as_str()).copied().unwrap_or(0);
                                        view! {
                                            <li>
                                                <A href=format!("/visits?status={}", s.as_str())>
                                                    <strong data-testid=format!("count-{}", s.as_str())>{n}</strong>
                                                    <span>{move || pick(s.label_vi(), s.label_en()).to_string()}</span>
                                                </A>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                <dl class="facts">
                                    <div>
                                        <dt>{t!(i18n, stored_visits)}</dt>
                                        <dd data-testid="stored-visits-count">{total}</dd>
                                    </div>
                                    <div>
                                        <dt>{t!(i18n, stored_orgs)}</dt>
                                        <dd data-testid="stored-orgs-count">{orgs}</dd>
                                    </div>
                                    <div>
                                        <dt>{t!(i18n, db_version)}</dt>
                                        <dd data-testid="db-version">{version}</dd>
                                    </div>
                                </dl>
                                {(version != SCHEMA_VERSION).then(|| view! { <p class="error">{t!(i18n, db_version_mismatch)}</p> })}
                                <h2>{t!(i18n, recent_visits)}</h2>
                                <VisitList visits=recent />
                            }
                        })}
                    </main>
                }.into_any()
            }
        }}
    }
}

/// Sign-in state: who, until when, and the way to (re)sign in.
#[component]
fn SignedInAs(session: Option<Session>) -> impl IntoView {
    let i18n = use_i18n();
    let waiting = crate::sync::use_sync().waiting;
    match session {
        Some(s) => {
            let expired = s.is_expired();
            let name = s.display_name.clone();
            view! {
                <div class="card signed-in" data-testid="signed-in">
                    <p>{t!(i18n, signed_in_as)} " " <strong data-testid="officer-name">{name}</strong></p>
                    {expired.then(|| view! { <p class="warn" data-testid="session-expired">{t!(i18n, session_expired)}</p> })}
                    <A href="/signin" attr:class="button">{t!(i18n, refresh_data)}</A>
                    <SignOut token=s.token.clone() />
                </div>
            }.into_any()
        }
        None => view! {
            <div class="card sign-in-call" data-testid="signed-out">
                <h2>{t!(i18n, sign_in_first)}</h2>
                <p>{t!(i18n, sign_in_intro)}</p>
                // Visits recorded before anyone signed in go with the first sign-in.
                {move || {
                    let n = waiting.get();
                    (n > 0).then(|| view! { <p class="warn" data-testid="unowned-waiting">{t!(i18n, sign_in_unowned, n)}</p> })
                }}
                <A href="/signin" attr:class="button primary" attr:data-testid="go-signin">{t!(i18n, sign_in)}</A>
            </div>
        }.into_any(),
    }
}

/// Sign-out: the server revokes the token (when it can be reached) and the
/// device forgets it. Visits stay on the device, sent or not; when some wait
/// for the server, the officer is told so and asked to confirm first.
#[component]
fn SignOut(token: String) -> impl IntoView {
    let i18n = use_i18n();
    let changed = expect_context::<crate::session::SessionChanged>();
    let waiting = RwSignal::new(None::<u32>);
    let sign_out = {
        let token = token.clone();
        move || {
            let token = token.clone();
            leptos::task::spawn_local(async move {
                // Offline or already revoked: nothing to revoke; forget it anyway.
                let _ = crate::api::logout(&token).await;
                Session::clear();
                changed.notify();
                let _ = leptos::prelude::window().location().reload();
            });
        }
    };
    let ask = {
        let sign_out = sign_out.clone();
        move |_| {
            let sign_out = sign_out.clone();
            leptos::task::spawn_local(async move {
                let n = match DeviceStore::shared().await {
                    Ok(store) => store.outbox_len_of(&current_account()).await.unwrap_or(0),
                    Err(_) => 0,
                };
                if n == 0 {
                    sign_out();
                } else {
                    waiting.set(Some(n));
                }
            });
        }
    };
    view! {
        <button class="button" data-testid="sign-out" on:click=ask>{t!(i18n, sign_out)}</button>
        {move || waiting.get().map(|n| {
            let sign_out = sign_out.clone();
            view! {
                <div class="card warn" role="alertdialog" data-testid="sign-out-warning">
                    <p>{t!(i18n, sign_out_unsent, n)}</p>
                    <button class="button" data-testid="sign-out-confirm" on:click=move |_| sign_out()>{t!(i18n, sign_out_anyway)}</button>
                    " "
                    <button class="button primary" data-testid="sign-out-cancel" on:click=move |_| waiting.set(None)>{t!(i18n, stay_signed_in)}</button>
                </div>
            }
        })}
    }
}
