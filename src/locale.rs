//! The officer's language choice, kept in localStorage (gloo-storage) so it
//! survives reloads and offline starts. Vietnamese unless English was chosen;
//! the browser's own language is deliberately ignored (field phones are often
//! set to English while their users work in Vietnamese).
use crate::i18n::{use_i18n, Locale};
use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;

const LOCALE_KEY: &str = "htx.locale";

pub fn stored_locale() -> Locale {
    match LocalStorage::get::<String>(LOCALE_KEY).as_deref() {
        Ok("en") => Locale::en,
        _ => Locale::vi,
    }
}

pub fn remember_locale(locale: Locale) {
    let code = match locale {
        Locale::en => "en",
        Locale::vi => "vi",
    };
    // A full localStorage only loses the language choice, never data.
    let _ = LocalStorage::set(LOCALE_KEY, code);
}

/// Applies the stored language once at start-up. It runs as an effect because
/// leptos_i18n's provider first applies the browser's accepted languages in an
/// effect of its own; this one is created later, so it runs later and wins.
#[component]
pub fn RestoreLocale() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| i18n.set_locale(stored_locale()));
}

/// Whether the UI is in English now (reactive: call inside views/closures).
pub fn is_english() -> bool {
    use_context::<leptos_i18n::I18nContext<Locale>>()
        .map(|i| i.get_locale() == Locale::en)
        .unwrap_or(false)
}
