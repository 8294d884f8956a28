//! The Confab chat panel: a Leptos app (client-side rendering) that runs inside the chat iframe.
//!
//! - [`bridge`]: the `postMessage` channel to the loader on the host page.
//! - [`app`]: the root: waits for the config, signs in, then shows the panel or the problem.
//! - [`session`]: sign-in in the config's mode, and the remembered guest.
//! - [`net`]: REST calls and the realtime WebSocket.
//! - [`chat`]: the chat's state and actions.
//! - [`i18n`]: every string, per language.
//! - [`media`]: files: their kinds, uploads, and the parts that load on first use.
//! - [`components`]: the panel's parts.

mod app;
mod bridge;
mod chat;
mod components;
mod i18n;
mod look;
mod media;
mod net;
mod parts;
mod session;

fn main() {
    // Effects and tasks run on wasm-bindgen's futures (an error means it already was).
    let _ = any_spawner::Executor::init_wasm_bindgen();
    // The reactive owner of the whole frame, for the page's lifetime.
    let owner = leptos::prelude::Owner::new();
    owner.with(app::mount);
    std::mem::forget(owner);
}
