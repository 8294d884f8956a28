//! Message text: shown as text, never parsed as HTML; `http(s)://` links become links that open in a new
//! tab without access to this frame, and mentions (`<@uid:UID>`) the mentioned user's name, highlighted.

use confab_protocol::rest::messages::mentions_in;

use super::dom::{append, append_text, text_el};

/// A piece of a message's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Plain text.
    Text(String),
    /// A web link.
    Link(String),
    /// A mention of this uid.
    Mention(String),
}

/// `text` split into plain runs, mentions, and `http://` / `https://` links (trailing punctuation stays
/// text).
pub fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut at = 0;
    for (range, uid) in mentions_in(text) {
        links(&text[at..range.start], &mut out);
        out.push(Piece::Mention(uid));
        at = range.end;
    }
    links(&text[at..], &mut out);
    out
}

/// Pushes `text` to `out` as plain runs and links.
fn links(text: &str, out: &mut Vec<Piece>) {
    let mut rest = text;
    while let Some(start) = find_link(rest) {
        let (before, from) = rest.split_at(start);
        let end = from.find(char::is_whitespace).unwrap_or(from.len());
        let mut link = &from[..end];
        while let Some(last) = link.chars().last().filter(|c| matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | ')' | '"' | '\'')) {
            link = &link[..link.len() - last.len_utf8()];
        }
        if !before.is_empty() {
            out.push(Piece::Text(before.to_owned()));
        }
        if link.len() > "https://".len() {
            out.push(Piece::Link(link.to_owned()));
        } else {
            out.push(Piece::Text(link.to_owned()));
        }
        rest = &from[link.len()..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_owned()));
    }
}

fn find_link(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    [lower.find("https://"), lower.find("http://")].into_iter().flatten().min()
}

/// Appends `text` to `parent` with its links clickable and its mentions named: text nodes, `<a>` and
/// `<span>` elements, never HTML. `mentioned(uid)` gives a mentioned user's name and whether it is the
/// visitor (highlighted more).
pub fn append_rich_text(parent: &web_sys::Element, text: &str, mentioned: impl Fn(&str) -> (String, bool)) {
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => append_text(parent, &t),
            Piece::Link(href) => append(parent, &link(&href, &href)),
            Piece::Mention(uid) => {
                let (name, me) = mentioned(&uid);
                append(parent, &text_el("span", if me { "mention me" } else { "mention" }, &format!("@{name}")));
            }
        }
    }
}

/// `<a href=href>shown</a>`, opening in a new tab without access to this frame.
pub fn link(href: &str, shown: &str) -> web_sys::Element {
    let a = text_el("a", "", shown);
    let _ = a.set_attribute("href", href);
    let _ = a.set_attribute("target", "_blank");
    let _ = a.set_attribute("rel", "noopener noreferrer nofollow");
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_and_punctuation_left_out() {
        assert_eq!(
            pieces("see https://example.com/a?b=1. ok"),
            vec![Piece::Text("see ".into()), Piece::Link("https://example.com/a?b=1".into()), Piece::Text(". ok".into())]
        );
        assert_eq!(pieces("no links <b>here</b>"), vec![Piece::Text("no links <b>here</b>".into())]);
        assert_eq!(pieces("javascript:alert(1)"), vec![Piece::Text("javascript:alert(1)".into())]);
    }

    #[test]
    fn mentions_are_found_and_bad_markup_stays_text() {
        assert_eq!(
            pieces("hi <@uid:Ann>, see https://a.example <@uid:bad uid> <@uid:ben>"),
            vec![
                Piece::Text("hi ".into()),
                Piece::Mention("ann".into()),
                Piece::Text(", see ".into()),
                Piece::Link("https://a.example".into()),
                Piece::Text(" <@uid:bad uid> ".into()),
                Piece::Mention("ben".into()),
            ]
        );
    }
}
