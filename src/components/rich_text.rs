//! Message text: shown as text, never parsed as HTML; `http(s)://` links become links that open in a new
//! tab without access to this frame.

use leptos::prelude::*;

/// A piece of a message's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Plain text.
    Text(String),
    /// A web link.
    Link(String),
}

/// `text` split into plain runs and `http://` / `https://` links (trailing punctuation stays text).
pub fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
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
    out
}

fn find_link(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    [lower.find("https://"), lower.find("http://")].into_iter().flatten().min()
}

/// `text` with its links clickable.
#[component]
pub fn RichText(text: String) -> impl IntoView {
    pieces(&text)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(t) => t.into_any(),
            Piece::Link(href) => {
                let shown = href.clone();
                view! { <a href=href target="_blank" rel="noopener noreferrer nofollow">{shown}</a> }.into_any()
            }
        })
        .collect_view()
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
}
