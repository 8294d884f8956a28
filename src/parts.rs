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
//! ([`not_loaded`]) before carrying on; a later call tries again. Outside the browser it is called directly.

pub use leptos::wasm_split::wasm_split;

/// A part of the panel could not be loaded (the network failed while fetching it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotLoaded;

impl From<leptos::wasm_split::SplitLoaderError> for NotLoaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        NotLoaded
    }
}

/// Tells the visitor that what they asked for could not be loaded: in the composer's notice, or (no
/// conversation open) in the panel's banner, until the connection's state next changes.
pub fn not_loaded(chat: crate::chat::Chat) {
    let document = leptos::prelude::document();
    if let Ok(Some(notice)) = document.query_selector("#composer-notice") {
        return notice.set_text_content(Some(chat.text.not_loaded));
    }
    if let Ok(Some(banner)) = document.query_selector(".banner-slot") {
        let line = crate::components::dom::text_el("span", "banner offline", chat.text.not_loaded);
        crate::components::dom::replace_children(&banner, &[&line]);
    }
}
