//! The channel between this frame and the loader on the host page.
//!
//! The host's origin is learnt from the frame's referrer (the loader creates the iframe with
//! `referrerpolicy="origin"`), never from a message: the frame accepts messages only from its parent window
//! at that origin and posts only to it.

use confab_protocol::bridge::FrameMessage;
use confab_protocol::decode::Decode;
use serde::Serialize;
use wasm_bindgen::JsValue;
use web_sys::MessageEvent;

use crate::net::json::JsJson;

/// The parent window at a known origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostBridge {
    origin: String,
}

impl HostBridge {
    /// The bridge to the embedding page, or `None` when the frame is not embedded or the host's origin
    /// cannot be known.
    pub fn detect() -> Option<Self> {
        let window = web_sys::window()?;
        let parent = window.parent().ok()??;
        if js_sys::Object::is(&parent, &window) {
            return None;
        }
        let origin = origin_of(&window.document()?.referrer())?;
        Some(Self { origin })
    }

    /// Posts `message` to the host page, addressed to its origin only.
    pub fn send(&self, message: &FrameMessage) {
        if let Ok(value) = to_js(message) {
            self.post(&value);
        }
    }

    /// Posts the event `name` for the site's `Confab.on` handlers ([`FrameMessage::Event`]) with `detail`,
    /// written straight to a JS value (no JSON tree on the way).
    pub fn send_event(&self, name: &str, detail: &impl Serialize) {
        let message = FrameMessage::Event { name: name.to_owned(), detail: serde_json::Value::Null };
        if let (Ok(value), Ok(detail)) = (to_js(&message), to_js(detail)) {
            let _ = js_sys::Reflect::set(&value, &JsValue::from_str("detail"), &detail);
            self.post(&value);
        }
    }

    fn post(&self, value: &JsValue) {
        if let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) {
            let _ = parent.post_message(value, &self.origin);
        }
    }

    /// The message `event` carries, if it comes from the host page's window at its origin and parses.
    pub fn receive(&self, event: &MessageEvent) -> Option<FrameMessage> {
        if event.origin() != self.origin {
            return None;
        }
        let parent = web_sys::window()?.parent().ok()??;
        let source = event.source()?;
        if !js_sys::Object::is(&source, &parent) {
            return None;
        }
        FrameMessage::decode(&JsJson(event.data())).ok()
    }
}

/// `value` as a JS value, as `JSON.parse` would make it.
fn to_js(value: &(impl Serialize + ?Sized)) -> Result<JsValue, serde_wasm_bindgen::Error> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
}

/// `scheme://host[:port]` of an absolute URL, or `None`.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && matches!(scheme, "http" | "https")).then(|| format!("{scheme}://{host}"))
}

/// Writes `text` to the browser console as an error.
pub fn console_error(text: &str) {
    web_sys::console::error_1(&JsValue::from_str(text));
}
