//! A user's or group's picture, or their initials when there is none.

use leptos::prelude::*;

/// Up to two initials of `name`.
pub fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|w| w.chars().next()).take(2).flat_map(char::to_uppercase).collect()
}

/// The avatar of `name` (decorative: the name is always shown next to it).
#[component]
pub fn Avatar(name: String, url: Option<String>, #[prop(optional)] online: Option<Signal<bool>>) -> impl IntoView {
    let picture = url.filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    view! {
        <span class="avatar" aria-hidden="true">
            {match picture {
                Some(src) => view! { <img src=src alt="" loading="lazy" /> }.into_any(),
                None => view! { <span class="initials">{initials(&name)}</span> }.into_any(),
            }}
            {online.map(|online| view! { <span class="presence" class:on=move || online.get()></span> })}
        </span>
    }
}
