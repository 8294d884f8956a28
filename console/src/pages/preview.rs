//! The live preview beside the variant editor: the real widget in an iframe (`/console/preview.html`,
//! same origin), started in authToken mode as the app's preview user with the edited, unsaved settings
//! as its `variant` config key. The frame says when it is ready; the console then posts the config on
//! every change (the frame restarts the widget, debounced). Both sides check the other's origin and
//! window.

use std::cell::RefCell;
use std::collections::HashMap;

use confab_protocol::rest::users::{AuthToken, User};
use leptos::prelude::*;
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};

use crate::api::{self, ApiError};
use crate::components::{ErrorBox, SelectField};
use crate::format::percent_encode;
use crate::settings::{preview_message, PREVIEW_READY};
use crate::state::{origin, Console};

/// The user the preview signs in as (made, with role `owner`, the first time an app is previewed).
pub const PREVIEW_UID: &str = "console-preview";
/// How long a preview token works.
const TOKEN_LIFETIME_SECS: u64 = 12 * 3600;

thread_local! {
    /// Preview tokens made in this page's life, by app (one per app, not one per visit of the editor).
    static TOKENS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

/// A session token for the preview user of `app`: the user is made (or reactivated) if need be.
async fn preview_token(app: &str) -> Result<String, ApiError> {
    if let Some(token) = TOKENS.with(|t| t.borrow().get(app).cloned()) {
        return Ok(token);
    }
    let user_path = api::v3(app, &format!("/users/{PREVIEW_UID}"));
    match api::get::<User>(&user_path).await {
        Ok(user) if user.deactivated_at.is_some() => {
            api::put::<Value>(&api::v3(app, "/users"), &json!({ "uidsToActivate": [PREVIEW_UID] })).await?;
        }
        Ok(_) => {}
        Err(e) if e.is("ERR_UID_NOT_FOUND") => {
            let body = json!({ "uid": PREVIEW_UID, "name": "Console preview", "role": "owner" });
            api::post::<User>(&api::v3(app, "/users"), &body).await?;
        }
        Err(e) => return Err(e),
    }
    let token_path = api::v3(app, &format!("/users/{PREVIEW_UID}/auth_tokens"));
    let token = api::post::<AuthToken>(&token_path, &json!({ "lifetime": TOKEN_LIFETIME_SECS })).await?;
    let token = token.auth_token.ok_or_else(|| ApiError::network("the server made a token but did not show it"))?;
    TOKENS.with(|t| t.borrow_mut().insert(app.to_owned(), token.clone()));
    Ok(token)
}

/// Posts `message` to the frame's window, for this origin only.
fn post(frame: &web_sys::HtmlIFrameElement, message: &Value) {
    let Some(window) = frame.content_window() else { return };
    if let Ok(data) = js_sys::JSON::parse(&message.to_string()) {
        let _ = window.post_message(&data, &origin());
    }
}

/// Whether `event` came from `frame`'s window on this origin.
fn from_frame(event: &web_sys::MessageEvent, frame: &web_sys::HtmlIFrameElement) -> bool {
    if event.origin() != origin() {
        return false;
    }
    let (Some(source), Some(window)) = (event.source(), frame.content_window()) else { return false };
    let window: &JsValue = window.unchecked_ref();
    js_sys::Object::is(source.as_ref(), window)
}

/// The `type` of a message's data.
fn message_type(data: &JsValue) -> Option<String> {
    js_sys::Reflect::get(data, &JsValue::from_str("type")).ok().and_then(|t| t.as_string())
}

/// The preview panel.
#[component]
pub fn Preview(app: String, settings: RwSignal<Value>, langs: Memo<Vec<String>>) -> impl IntoView {
    let console = Console::get();
    let frame = NodeRef::<leptos::html::Iframe>::new();
    let token = RwSignal::new(None::<Result<String, ApiError>>);
    let ready = RwSignal::new(false);
    let language = RwSignal::new(String::new());
    {
        let app = app.clone();
        leptos::task::spawn_local(async move {
            token.set(Some(preview_token(&app).await));
        });
    }
    let handle = window_event_listener(leptos::ev::message, move |event: web_sys::MessageEvent| {
        let Some(el) = frame.get_untracked() else { return };
        if from_frame(&event, &el) && message_type(&event.data()).as_deref() == Some(PREVIEW_READY) {
            ready.set(true);
        }
    });
    on_cleanup(move || handle.remove());
    // A frame that never says it is ready (blocked, or the widget not built) is reported, not left blank.
    let late = RwSignal::new(false);
    set_timeout(move || { if let Some(ready) = ready.try_get_untracked() { late.set(!ready); } }, std::time::Duration::from_secs(10));
    {
        let app = app.clone();
        Effect::new(move |_| {
            let current = settings.get();
            let lang = language.get();
            if !ready.get() {
                return;
            }
            let Some(Ok(token)) = token.get() else { return };
            let Some(found) = console.app(&app) else { return };
            if let Some(el) = frame.get_untracked() {
                post(&el, &preview_message(&app, &found.region, &token, &current, &lang));
            }
        });
    }
    let reload = move |_| {
        if let Some(el) = frame.get_untracked() {
            ready.set(false);
            late.set(false);
            set_timeout(move || { if let Some(ready) = ready.try_get_untracked() { late.set(!ready); } }, std::time::Duration::from_secs(10));
            if let Some(window) = el.content_window() {
                let _ = window.location().reload();
            }
        }
    };
    let src = format!("/console/preview.html?appID={}", percent_encode(&app));
    let language_options = Signal::derive(move || {
        std::iter::once((String::new(), "The visitor's language".to_owned()))
            .chain(langs.get().into_iter().map(|t| (t.clone(), t)))
            .collect::<Vec<_>>()
    });
    let token_error = Signal::derive(move || token.get().and_then(Result::err));

    view! {
        <aside class="preview" aria-labelledby="preview-title">
            <h2 id="preview-title">"Live preview"</h2>
            <p class="help">
                "The real widget with the settings as they are in the form, saved or not. It signs in as the user "
                <code>{PREVIEW_UID}</code> " of this app."
            </p>
            <ErrorBox error=token_error />
            <p role="status" class="warning-slot">
                {move || (late.get() && !ready.get()).then(|| view! {
                    <span class="warning">"The preview page did not answer: reload it, and check that the server serves /console/preview.html to this console."</span>
                })}
            </p>
            {move || {
                let options = language_options.get();
                view! { <SelectField label="Preview language" value=language options=options /> }
            }}
            <iframe node_ref=frame class="preview-frame" title="Live preview of the widget" src=src></iframe>
            <button type="button" on:click=reload>"Reload the preview"</button>
        </aside>
    }
}
