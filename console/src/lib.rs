//! The Confab console: the site owner's web app at `/console`, a Leptos app (client-side rendering).
//!
//! - [`api`]: calls to the console API (`/console/api`) and, through it, each app's `/v3` REST API.
//! - [`route`]: hash routing, a page per address.
//! - [`settings`]: a variant's settings as the editor edits them (unknown keys kept), and their checks.
//! - [`snippet`]: the "paste this" snippets and backend recipes.
//! - [`format`]: percent-encoding and UTC times.
//! - `app`, `state`, `components`, `pages`: the root, the shared state, the shared parts, the pages.
//!
//! The pure modules are tested natively (`cargo test -p confab-console`); the rest runs in the browser.

pub mod api;
mod app;
mod components;
pub mod format;
mod pages;
pub mod route;
pub mod settings;
pub mod snippet;
mod state;

/// Mounts the console on the page's body (the entry point of the wasm build).
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("Confab console: {info}").into());
    }));
    leptos::mount::mount_to_body(app::App);
}
