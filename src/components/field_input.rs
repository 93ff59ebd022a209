//! One field of the visit form: label, the right keyboard, the value, and
//! the error for that field (typing error or validation error) beneath it.
use crate::data::pick;
use crate::i18n::{t, use_i18n};
use htx_core::form::{self, FieldKind, FormField, InputError};
use htx_core::validation::field_label;
use htx_core::Visit;
use leptos::prelude::*;
use std::collections::BTreeMap;

/// Messages by field path: (Vietnamese, English).
pub type FieldErrors = BTreeMap<String, (String, String)>;

/// How a field's text goes into the visit, when not by [`form::write`]
/// (e.g. a rating fact, which starts the score sheet): the visit with the
/// text applied, or why the text is refused.
pub type WriteField = Callback<(Visit, String), Result<Visit, InputError>>;

#[component]
pub fn FieldInput(
    field: &'static FormField,
    visit: RwSignal<Visit>,
    errors: RwSignal<FieldErrors>,
    readonly: Signal<bool>,
    on_change: Callback<()>,
    /// The text shown at first (default: [`form::read`]).
    #[prop(optional, into)]
    initial: Option<String>,
    #[prop(optional)] write: Option<WriteField>,
) -> impl IntoView {
    let i18n = use_i18n();
    let path = field.path;
    let (vi, en) = field_label(path);
    let id = format!("f-{}", path.replace('.', "-"));
    let initial = initial.unwrap_or_else(|| form::read(&visit.get_untracked(), path));
    let apply = move |text: String| {
        let mut v = visit.get_untracked();
        let written = match write {
            Some(w) => w.run((v, text)),
            None => form::write(&mut v, path, &text).map(|()| v),
        };
        match written {
            Ok(v) => {
                visit.set(v);
                errors.update(|e| {
                    e.remove(path);
                });
                on_change.run(());
            }
            Err(e) => errors.update(|m| {
                m.insert(path.to_string(), (e.message_vi, e.message_en));
            }),
        }
    };
    let control = match field.kind {
        FieldKind::YesNo => view! {
            <select id=id.clone() data-field=path disabled=readonly prop:value=initial on:change=move |ev| apply(event_target_value(&ev))>
                <option value="">"—"</option>
                <option value="yes">{t!(i18n, yes)}</option>
                <option value="no">{t!(i18n, no)}</option>
            </select>
        }.into_any(),
        FieldKind::Choice(options) => view! {
            <select id=id.clone() data-field=path disabled=readonly prop:value=initial on:change=move |ev| apply(event_target_value(&ev))>
                <option value="">"—"</option>
                {options.iter().map(|o| view! { <option value=o.value>{move || pick(o.label_vi, o.label_en).to_string()}</option> }).collect_view()}
            </select>
        }.into_any(),
        FieldKind::Count | FieldKind::Money => view! {
            <input id=id.clone() data-field=path type="text" inputmode="numeric" autocomplete="off"
                disabled=readonly prop:value=initial on:input=move |ev| apply(event_target_value(&ev)) />
        }.into_any(),
        FieldKind::Text => view! {
            <input id=id.clone() data-field=path type="text" autocomplete="off"
                disabled=readonly prop:value=initial on:input=move |ev| apply(event_target_value(&ev)) />
        }.into_any(),
    };
    let unit = (field.kind == FieldKind::Money).then_some("₫");
    view! {
        <div class="field" class:has-error=move || errors.with(|e| e.contains_key(path))>
            <label for=id>{move || pick(vi, en).to_string()}</label>
            <div class="control">{control}{unit.map(|u| view! { <span class="unit">{u}</span> })}</div>
            {move || errors.with(|e| e.get(path).map(|(vi, en)| {
                let msg = pick(vi, en).to_string();
                view! { <p class="field-error" role="alert" data-error-for=path>{msg}</p> }
            }))}
        </div>
    }
}
