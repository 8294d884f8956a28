//! Labelled form controls. Each control has a visible `<label>`, its help and its error tied to it with
//! `aria-describedby`, and `aria-invalid` while the error stands.

use leptos::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh element id, `prefix-N`.
pub fn next_id(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The `aria-describedby` of a control with optional help and error ids.
fn described_by(help: Option<&str>, error: Option<&str>) -> Option<String> {
    let ids: Vec<&str> = [help, error].into_iter().flatten().collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// A text input (or `email`, `password`, `url`, `search`... through `input_type`).
#[component]
pub fn TextField(
    /// The visible label.
    #[prop(into)]
    label: String,
    /// The value, both ways.
    value: RwSignal<String>,
    /// The input's `type` (default `text`).
    #[prop(optional)]
    input_type: Option<&'static str>,
    /// A sentence under the field.
    #[prop(into, optional)]
    help: Option<String>,
    /// The field's error, while there is one.
    #[prop(into, optional)]
    error: MaybeProp<String>,
    /// The field must be filled in.
    #[prop(optional)]
    required: bool,
    /// The `autocomplete` hint.
    #[prop(optional)]
    autocomplete: Option<&'static str>,
    /// Shown in the empty field.
    #[prop(into, optional)]
    placeholder: Option<String>,
    /// Longest value, in characters.
    #[prop(optional)]
    maxlength: Option<u32>,
    /// A multi-line text area instead of an input.
    #[prop(optional)]
    multiline: bool,
) -> impl IntoView {
    let id = next_id("field");
    let help_id = help.as_ref().map(|_| format!("{id}-help"));
    let error_id = format!("{id}-error");
    let error_id_shown = error_id.clone();
    let describe = {
        let help_id = help_id.clone();
        move || described_by(help_id.as_deref(), error.get().map(|_| error_id.as_str()))
    };
    let input = if multiline {
        view! {
            <textarea
                id=id.clone()
                rows="4"
                required=required
                placeholder=placeholder
                maxlength=maxlength.map(|m| m.to_string())
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=describe
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=id.clone()
                type=input_type.unwrap_or("text")
                required=required
                autocomplete=autocomplete
                placeholder=placeholder
                maxlength=maxlength.map(|m| m.to_string())
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=describe
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}{required.then_some(view! { <span class="req" aria-hidden="true">" *"</span> })}</label>
            {input}
            {help.map(|h| view! { <p class="help" id=help_id.clone()>{h}</p> })}
            {move || error.get().map(|e| view! { <p class="field-error" id=error_id_shown.clone()>{e}</p> })}
        </div>
    }
}

/// A checkbox with its label on the right.
#[component]
pub fn Checkbox(
    /// The visible label.
    #[prop(into)]
    label: String,
    /// Checked, both ways.
    checked: RwSignal<bool>,
    /// A sentence under it.
    #[prop(into, optional)]
    help: Option<String>,
) -> impl IntoView {
    let id = next_id("check");
    let help_id = help.as_ref().map(|_| format!("{id}-help"));
    view! {
        <div class="field check">
            <input
                type="checkbox"
                id=id.clone()
                aria-describedby=help_id.clone()
                prop:checked=move || checked.get()
                on:change=move |ev| checked.set(event_target_checked(&ev))
            />
            <label for=id>{label}</label>
            {help.map(|h| view! { <p class="help" id=help_id.clone()>{h}</p> })}
        </div>
    }
}

/// A select of fixed options: (value, label).
#[component]
pub fn SelectField(
    /// The visible label.
    #[prop(into)]
    label: String,
    /// The chosen value, both ways.
    value: RwSignal<String>,
    /// The options.
    options: Vec<(String, String)>,
    /// A sentence under it.
    #[prop(into, optional)]
    help: Option<String>,
    /// The field's error, while there is one.
    #[prop(into, optional)]
    error: MaybeProp<String>,
) -> impl IntoView {
    let id = next_id("select");
    let help_id = help.as_ref().map(|_| format!("{id}-help"));
    let error_id = format!("{id}-error");
    let error_id_shown = error_id.clone();
    let describe = {
        let help_id = help_id.clone();
        move || described_by(help_id.as_deref(), error.get().map(|_| error_id.as_str()))
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select
                id=id
                aria-describedby=describe
                aria-invalid=move || error.get().map(|_| "true")
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {options
                    .into_iter()
                    .map(|(v, l)| {
                        let selected = v.clone();
                        view! { <option value=v prop:selected=move || value.get() == selected>{l}</option> }
                    })
                    .collect_view()}
            </select>
            {help.map(|h| view! { <p class="help" id=help_id.clone()>{h}</p> })}
            {move || error.get().map(|e| view! { <p class="field-error" id=error_id_shown.clone()>{e}</p> })}
        </div>
    }
}

/// A submit button that says it is busy.
#[component]
pub fn Submit(
    /// Its text.
    #[prop(into)]
    label: String,
    /// A call is under way.
    busy: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <button type="submit" class="primary" disabled=move || busy.get() aria-busy=move || busy.get().then_some("true")>
            {move || if busy.get() { "Working…".to_owned() } else { label.clone() }}
        </button>
    }
}
