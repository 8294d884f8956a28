//! The Confab chat panel: a Leptos app (client-side rendering) that runs inside the chat iframe.
//!
//! - [`bridge`]: the `postMessage` channel to the loader on the host page.
//! - [`app`]: the root component: waits for the config, then shows the panel or the problem.
//! - [`components`]: the panel's parts.

mod app;
mod bridge;
mod components;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
