//! A user's or group's picture, or their initials when there is none.

use super::dom::{append, el, text_el};

/// Up to two initials of `name`, as written: the style sheet shows them in capitals (the browser knows
/// every script's case rules, so the wasm need not carry Unicode's case tables).
pub fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect()
}

/// The avatar of `name` (decorative: the name is always shown next to it), with a presence dot when
/// `online` is known.
pub fn avatar(name: &str, url: Option<&str>, online: Option<bool>) -> web_sys::Element {
    let avatar = el("span", "avatar");
    let _ = avatar.set_attribute("aria-hidden", "true");
    match url.filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
        Some(src) => {
            let img = el("img", "");
            let _ = img.set_attribute("src", src);
            let _ = img.set_attribute("alt", "");
            let _ = img.set_attribute("loading", "lazy");
            append(&avatar, &img);
        }
        None => append(&avatar, &text_el("span", "initials", &initials(name))),
    }
    if let Some(on) = online {
        append(&avatar, &el("span", if on { "presence on" } else { "presence" }));
    }
    avatar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_the_first_letters_of_two_words() {
        assert_eq!(initials("ann marie lee"), "am");
        assert_eq!(initials("Ösel Tamm"), "ÖT");
        assert_eq!(initials(""), "");
    }
}
