//! Parts of the panel's wasm that load on first use. A function marked
//!
//! ```ignore
//! #[wasm_split(NAME, wasm_split_path = ::leptos::wasm_split, fallible)]
//! fn NAME(...) -> Result<T, NotLoaded> { ... }
//! ```
//!
//! (with `use crate::parts::{wasm_split, NotLoaded};`) is split from the main wasm by
//! `scripts/build-widget.sh` into a file of its own, fetched the first time it is called. It becomes
//! `async`, and answers `Err(NotLoaded)` when that file could not be fetched, which the caller reports
//! ([`not_loaded`], or [`spawn`] does) before carrying on; a later call tries again. Outside the browser it is called directly.

use std::future::Future;

pub use leptos::wasm_split::wasm_split;

use crate::chat::Chat;
use crate::components::attach::notify;
use crate::components::dom::{replace_children, text_el};

/// A part of the panel could not be loaded (the network failed while fetching it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotLoaded;

impl From<leptos::wasm_split::SplitLoaderError> for NotLoaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        NotLoaded
    }
}

/// Runs `part` (a call of a part's function), telling the visitor if it could not be loaded.
pub fn spawn(chat: Chat, part: impl Future<Output = Result<(), NotLoaded>> + 'static) {
    leptos::task::spawn_local(async move {
        if part.await.is_err() {
            not_loaded(chat);
        }
    });
}

/// Tells the visitor that what they asked for could not be loaded: in the composer's notice, or (no
/// conversation open) in the panel's banner, until the connection's state next changes.
pub fn not_loaded(chat: Chat) {
    if notify(Some(chat.text.not_loaded)) {
        return;
    }
    if let Ok(Some(banner)) = leptos::prelude::document().query_selector(".banner-slot") {
        replace_children(&banner, &[&text_el("span", "banner offline", chat.text.not_loaded)]);
    }
}
