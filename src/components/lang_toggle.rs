//! Vietnamese / English switch, remembered on the device.
use crate::i18n::{t, t_string, use_i18n, Locale};
use crate::locale::remember_locale;
use leptos::prelude::*;

#[component]
pub fn LangToggle() -> impl IntoView {
    let i18n = use_i18n();
    let toggle = move |_| {
        let next = match i18n.get_locale_untracked() {
            Locale::vi => Locale::en,
            Locale::en => Locale::vi,
        };
        remember_locale(next);
        i18n.set_locale(next);
    };
    view! {
        <button
            class="lang-toggle"
            data-testid="lang-toggle"
            on:click=toggle
            title=move || t_string!(i18n, lang_switch_label).to_string()
            aria-label=move || t_string!(i18n, lang_switch_label).to_string()
        >
            {t!(i18n, lang_switch)}
        </button>
    }
}
