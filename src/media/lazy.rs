//! Parts of the panel that load only when first used (the image viewer, the voice recorder, the poster of a
//! video being sent, the tone of an incoming message): each is a small script in `lazy/` (copied from `src/lazy/` by the build) that
//! registers one function as `confabLazy.<name>`. The frame adds it as a module `<script>` the first time it is needed, which the
//! frame's policy allows (`script-src 'self'`) without any inline script or `eval`.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::components::dom::el;

/// What `lazy/<name>.js` registered, if it has run.
fn registered(name: &str) -> Option<js_sys::Function> {
    let lazy = js_sys::Reflect::get(&js_sys::global(), &"confabLazy".into()).ok()?;
    js_sys::Reflect::get(&lazy, &name.into()).ok()?.dyn_into().ok()
}

/// Adds `lazy/<name>.js` to the page.
fn add(name: &str) -> web_sys::Element {
    let script = el("script", "");
    let _ = script.set_attribute("type", "module");
    // Relative to the frame page (`/widget/frame`): `/widget/lazy/<name>.js`.
    let _ = script.set_attribute("src", &format!("lazy/{name}.js"));
    if let Some(head) = leptos::prelude::document().head() {
        let _ = head.append_child(&script);
    }
    script
}

/// Calls the function `lazy/<name>.js` registers, without arguments; the first time, loads the script,
/// which calls it itself once it has run (a script loaded twice runs once).
pub fn run(name: &str) {
    match registered(name) {
        Some(function) => drop(function.call0(&JsValue::NULL)),
        None => drop(add(name)),
    }
}

/// The function `lazy/<name>.js` registers, loading the script first if it has not been.
pub async fn load(name: &str) -> Result<js_sys::Function, JsValue> {
    if let Some(function) = registered(name) {
        return Ok(function);
    }
    let script = add(name);
    let loaded = js_sys::Promise::new(&mut |ok, failed| {
        let _ = script.add_event_listener_with_callback("load", &ok);
        let _ = script.add_event_listener_with_callback("error", &failed);
    });
    JsFuture::from(loaded).await?;
    registered(name).ok_or_else(|| JsValue::from_str(name))
}
