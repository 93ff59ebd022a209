//! The sync panel on home: what waits, progress (n of m) while sending, the
//! last outcome in the officer's language, and "Đồng bộ ngay".
use crate::i18n::{t, t_string, use_i18n};
use crate::sync::{sync_now, use_sync, FailReason, Phase};
use htx_core::format::format_datetime_vn;
use leptos::prelude::*;
use leptos_router::components::A;

fn time_of(ms: f64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| format_datetime_vn(htx_core::time::to_vn(&t)))
        .unwrap_or_default()
}

#[component]
pub fn SyncPanel() -> impl IntoView {
    let i18n = use_i18n();
    let sync = use_sync();
    let phase_name = move || match sync.phase.get() {
        Phase::Idle => "idle",
        Phase::Running => "running",
        Phase::Done { .. } => "done",
        Phase::NeedsSignIn => "needs-sign-in",
        Phase::Offline => "offline",
        Phase::Failed { .. } => "failed",
    };
    view! {
        <section class="card sync-panel" data-testid="sync-panel" data-phase=phase_name>
            <h2>{t!(i18n, sync_title)}</h2>
            <p>
                {t!(i18n, sync_waiting)} " "
                <strong data-testid="sync-waiting">{move || sync.waiting.get()}</strong>
            </p>
            {move || (sync.phase.get() == Phase::Running).then(|| {
                let (done, total) = sync.progress.get();
                view! {
                    <progress data-testid="sync-progress" max=total.max(1) value=done></progress>
                    <p role="status" data-testid="sync-progress-text">{t!(i18n, sync_progress, done, total)}</p>
                }
            })}
            <p class="sync-status" role="status" data-testid="sync-status">
                {move || match sync.phase.get() {
                    Phase::Idle => t!(i18n, sync_idle).into_any(),
                    Phase::Running => t!(i18n, sync_running).into_any(),
                    Phase::Done { at_ms } => { let at = time_of(at_ms); t!(i18n, sync_done, at).into_any() }
                    Phase::Offline => t!(i18n, sync_offline).into_any(),
                    Phase::NeedsSignIn => view! {
                        <span class="warn">{t!(i18n, sync_needs_sign_in)}</span> " "
                        <A href="/signin" attr:data-testid="sync-sign-in">{t!(i18n, sign_in)}</A>
                    }.into_any(),
                    Phase::Failed { reason, retry_at_ms } => {
                        let at = time_of(retry_at_ms);
                        let why = match reason {
                            FailReason::Network => t_string!(i18n, sync_fail_network).to_string(),
                            FailReason::NotConfirmed => t_string!(i18n, sync_fail_unconfirmed).to_string(),
                            FailReason::Server { status, message } => format!("{} ({status}): {message}", t_string!(i18n, sync_fail_server)),
                            FailReason::Storage(m) => m,
                        };
                        view! { <span class="error">{why} " " {t!(i18n, sync_retry_at, at)}</span> }.into_any()
                    }
                }}
            </p>
            <p class="muted" data-testid="sync-sent" data-bytes=move || sync.sent.get().0 data-records=move || sync.sent.get().1>
                {move || { let (b, r) = sync.sent.get(); (r > 0).then(|| { let kb = htx_core::format::one_decimal(b, 1024, '.'); t!(i18n, sync_sent, r, kb) }) }}
            </p>
            <button class="primary" data-testid="sync-now" disabled=move || sync.phase.get() == Phase::Running
                on:click=move |_| sync_now(sync)>{t!(i18n, sync_now)}</button>
        </section>
    }
}
