//! The console's pages, one module each, and what several of them share ([`Pager`], [`clip`]).

pub mod app_settings;
pub mod apps;
pub mod audit;
pub mod bots;
pub mod conversation;
pub mod deliveries;
pub mod group;
pub mod groups;
pub mod keys;
pub mod overview;
pub mod paste;
pub mod preview;
pub mod sign_in;
pub mod user;
pub mod users;
pub mod variant_editor;
pub mod variants;
pub mod webhooks;

use confab_protocol::rest::Pagination;
use leptos::prelude::*;

/// `text` cut to `max` characters, with an ellipsis when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// "Page N of M" with previous and next buttons, under a list.
#[component]
pub fn Pager(pagination: Pagination, page: RwSignal<u32>) -> impl IntoView {
    let last = pagination.total_pages.max(1);
    let current = pagination.current_page;
    (last > 1 || current > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                <button type="button" disabled=current <= 1 on:click=move |_| page.set(current.saturating_sub(1).max(1))>"Previous page"</button>
                <span>{format!("Page {current} of {last} ({} in all)", pagination.total)}</span>
                <button type="button" disabled=current >= last on:click=move |_| page.set(current + 1)>"Next page"</button>
            </nav>
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn clips_long_text() {
        assert_eq!(super::clip("hello", 10), "hello");
        assert_eq!(super::clip("hello world", 6), "hello…");
    }
}
