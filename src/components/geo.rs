//! "Ghi vị trí GPS": one fix with its accuracy, on request only.
use crate::i18n::{t, use_i18n};
use htx_core::format::micro_degrees;
use htx_core::visit::GeoFix;
use htx_core::Visit;
use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast};

#[component]
pub fn GeoButton(
    visit: RwSignal<Visit>,
    readonly: Signal<bool>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let (state, set_state) = signal(None::<Result<(), String>>);
    let locate = move |_| {
        let Some(geo) = web_sys::window().and_then(|w| w.navigator().geolocation().ok()) else {
            set_state.set(Some(Err("no geolocation".into())));
            return;
        };
        let ok = Closure::once_into_js(move |pos: web_sys::Position| {
            let c = pos.coords();
            match GeoFix::from_degrees(c.latitude(), c.longitude(), c.accuracy()) {
                Some(fix) => {
                    visit.update(|v| v.location = Some(fix));
                    on_change.run(());
                    set_state.set(Some(Ok(())));
                }
                None => set_state.set(Some(Err("invalid position".into()))),
            }
        });
        let err = Closure::once_into_js(move |e: web_sys::PositionError| {
            set_state.set(Some(Err(e.message())))
        });
        let opts = web_sys::PositionOptions::new();
        opts.set_enable_high_accuracy(true);
        opts.set_timeout(30_000);
        let _ = geo.get_current_position_with_error_callback_and_options(
            ok.unchecked_ref(),
            Some(err.unchecked_ref()),
            &opts,
        );
        set_state.set(None);
    };
    view! {
        <div class="geo">
            {move || visit.with(|v| v.location).map(|g| view! {
                <p data-testid="gps-fix">{format!("{}, {} (±{} m)", micro_degrees(g.latitude_micro), micro_degrees(g.longitude_micro), g.accuracy_m)}</p>
            })}
            <button type="button" data-testid="gps-button" disabled=readonly on:click=locate>{t!(i18n, record_gps)}</button>
            {move || match state.get() {
                Some(Err(e)) => Some(view! { <p class="error" role="alert">{t!(i18n, gps_failed)} " " {e}</p> }.into_any()),
                _ => None,
            }}
        </div>
    }
}
