//! What the console says back: loading, errors (the server's sentence, code and field), confirmations,
//! secrets shown once, and copy buttons.

use leptos::prelude::*;

use crate::api::ApiError;

/// "Loading…", announced politely.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="muted" role="status">"Loading…"</p> }
}

/// The sentence for an error: the server's message, the field it names, and its code.
pub fn describe(error: &ApiError) -> String {
    let mut text = error.message.clone();
    if text.is_empty() {
        text = "the request failed".into();
    }
    if let Some(field) = &error.field {
        text.push_str(&format!(" (field: {field})"));
    }
    text
}

/// A title for an error, by what the owner can do about it.
fn headline(error: &ApiError) -> &'static str {
    match error.code.as_str() {
        "NETWORK" => "No answer from the server",
        "INVALID" => "Please check this field",
        "ERR_CSRF" => "The page is out of date: reload it and try again",
        "ERR_RATE_LIMITED" | "ERR_TOO_MANY_REQUESTS" => "Too many attempts: wait a moment and try again",
        "ERR_NOT_SIGNED_IN" => "You are signed out",
        "ERR_PASSWORD_CHANGE_REQUIRED" => "Set a new password first",
        _ if error.status >= 500 => "The server failed",
        _ => "The server refused this",
    }
}

/// An error, if there is one: announced at once (`role="alert"`).
#[component]
pub fn ErrorBox(
    /// The error to show.
    #[prop(into)]
    error: Signal<Option<ApiError>>,
) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let code = e.code.clone();
            view! {
                <div class="error" role="alert">
                    <p class="error-title">{headline(&e)}</p>
                    <p>{describe(&e)}</p>
                    <p class="muted small">{(!code.starts_with("NETWORK") && code != "INVALID").then(|| format!("Code {code}"))}</p>
                </div>
            }
        })
    }
}

/// A one-off error (for the `Err` branch of a load).
#[component]
pub fn LoadError(
    /// The error.
    error: ApiError,
) -> impl IntoView {
    view! { <ErrorBox error=Signal::derive(move || Some(error.clone())) /> }
}

/// A confirmation, announced politely (`role="status"`), while `message` holds one.
#[component]
pub fn Notice(
    /// The message.
    message: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <div role="status" class="notice-slot">
            {move || message.get().map(|m| view! { <p class="notice">{m}</p> })}
        </div>
    }
}

/// Copies `text` to the clipboard; the button says when it did.
#[component]
pub fn CopyButton(
    /// What to copy.
    #[prop(into)]
    text: Signal<String>,
    /// What is copied, for the button's accessible name ("Copy the guest snippet").
    #[prop(into)]
    what: Signal<String>,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let label = move || format!("Copy {}", what.get());
    let click = move |_| {
        copy_text(&text.get_untracked());
        copied.set(true);
        set_timeout(move || copied.set(false), std::time::Duration::from_secs(2));
    };
    view! {
        <button type="button" class="copy" on:click=click aria-label=label>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
        <span class="visually-hidden" role="status">{move || copied.get().then_some("Copied to the clipboard")}</span>
    }
}

/// Puts `text` on the clipboard.
pub fn copy_text(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

/// A secret shown this once, with a copy button and the warning that it will not be shown again.
#[component]
pub fn SecretOnce(
    /// What it is ("REST API key").
    #[prop(into)]
    label: String,
    /// The secret.
    #[prop(into)]
    value: String,
) -> impl IntoView {
    let id = crate::components::form::next_id("secret");
    let shown = value.clone();
    view! {
        <div class="secret">
            <label for=id.clone()>{label.clone()}</label>
            <div class="secret-row">
                <input id=id type="text" readonly prop:value=shown class="mono" on:focus=|ev| select_all(&ev) />
                <CopyButton text=Signal::derive(move || value.clone()) what=label.to_lowercase() />
            </div>
            <p class="help">"Shown this once: copy it now and keep it somewhere safe."</p>
        </div>
    }
}

/// Selects the text of the focused input (so a keyboard user can copy it at once).
fn select_all(ev: &leptos::ev::FocusEvent) {
    use wasm_bindgen::JsCast;
    if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
        input.select();
    }
}

/// Code to copy: a labelled, scrollable block and its copy button.
#[component]
pub fn CodeBlock(
    /// What it is, for the copy button ("the guest snippet").
    #[prop(into)]
    what: Signal<String>,
    /// The code.
    #[prop(into)]
    code: Signal<String>,
) -> impl IntoView {
    view! {
        <div class="code-block">
            <pre tabindex="0" role="group" aria-label=move || what.get()><code>{move || code.get()}</code></pre>
            <CopyButton text=code what=what />
        </div>
    }
}

/// Asks the owner to confirm something that cannot be undone.
pub fn confirm(question: &str) -> bool {
    web_sys::window().and_then(|w| w.confirm_with_message(question).ok()).unwrap_or(false)
}

/// A secret kept on the server and shown on demand (a signing secret): hidden until asked, then with a
/// copy button.
#[component]
pub fn RevealSecret(
    /// What it is ("Signing secret").
    #[prop(into)]
    label: String,
    /// The secret.
    #[prop(into)]
    value: String,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    let copy_value = value.clone();
    let what = label.to_lowercase();
    view! {
        <div class="secret">
            <span class="label">{label}</span>
            <div class="secret-row">
                <code class="mono">{move || if shown.get() { value.clone() } else { "•".repeat(16) }}</code>
                <button type="button" aria-pressed=move || if shown.get() { "true" } else { "false" } on:click=move |_| shown.update(|s| *s = !*s)>
                    {move || if shown.get() { "Hide" } else { "Show" }}
                </button>
                <CopyButton text=Signal::derive(move || copy_value.clone()) what=what />
            </div>
        </div>
    }
}
