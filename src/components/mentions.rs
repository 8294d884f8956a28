//! Mentions in the message box. In a group (where the variant allows mentions), typing `@` offers the
//! group's members, filtered by what follows it as it is typed: a listbox above the box (which names it with
//! `aria-controls` and its active option with `aria-activedescendant`), Up and Down move, Enter or Tab
//! picks, Escape closes.
//! A pick writes "@Name " in the box; on sending, each picked "@Name" becomes the mention markup
//! `<@uid:UID>`, which the server records as a mention. Editing a message turns its markup back into names.

use confab_protocol::rest::messages::{mention_markup, mentions_in, ReceiverType};
use leptos::prelude::*;
use web_sys::{HtmlTextAreaElement, KeyboardEvent};

use super::dom::{append, clicked, el, on, set_attr, text_el};
use crate::chat::Chat;

/// Members offered at most.
const MAX_OFFERED: usize = 8;
/// Characters after `@` looked at, at most.
const MAX_QUERY_CHARS: usize = 30;

/// The mentions picked in the message box: each name written and the uid it stands for.
#[derive(Clone, Copy)]
pub struct Mentions {
    picked: StoredValue<Vec<(String, String)>>,
}

impl Mentions {
    /// `text` with each picked "@Name" as its markup.
    pub fn encode(&self, text: &str) -> String {
        self.picked.with_value(|picked| encode(text, picked))
    }

    /// `text` (a message's, to edit) with its markup as "@Name", remembered as picked.
    pub fn decode(&self, chat: Chat, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (range, uid) in mentions_in(text) {
            let name = chat.name_of(&uid);
            out.push_str(&text[at..range.start]);
            out.push('@');
            out.push_str(&name);
            self.picked.update_value(|p| p.push((name, uid)));
            at = range.end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// Forgets the picks (the box was sent or emptied).
    pub fn clear(&self) {
        self.picked.set_value(Vec::new());
    }
}

/// `text` with each "@Name" of `picked` (name, uid) as the uid's markup, longer names first ("@Ann Lee"
/// before "@Ann").
fn encode(text: &str, picked: &[(String, String)]) -> String {
    let mut picked = picked.to_vec();
    picked.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    picked.iter().fold(text.to_owned(), |text, (name, uid)| text.replace(&format!("@{name}"), &mention_markup(uid)))
}

/// `text` in lower case, by the browser (Rust's Unicode tables would add kilobytes to the download).
fn lower(text: &str) -> String {
    js_sys::JsString::from(text).to_lower_case().into()
}

/// The `@` query being typed at the caret of `input`: the byte offset of its `@`, and what follows it.
fn query_at_caret(input: &HtmlTextAreaElement) -> Option<(usize, String)> {
    let value = input.value();
    let caret = input.selection_start().ok().flatten()? as usize;
    // The caret counts UTF-16 units.
    let before: String = char::decode_utf16(value.encode_utf16().take(caret)).filter_map(Result::ok).collect();
    let at = before.rfind('@')?;
    let query = &before[at + 1..];
    let starts_word = before[..at].chars().last().is_none_or(char::is_whitespace);
    (starts_word && query.chars().count() <= MAX_QUERY_CHARS && !query.contains(char::is_whitespace)).then(|| (at, query.to_owned()))
}

/// Adds the member picker to the message box `input` of `form`; its keys are handled before the box's own
/// (so Enter picks instead of sending while it is open).
pub fn mention_picker(chat: Chat, form: &web_sys::Element, input: &HtmlTextAreaElement) -> Mentions {
    let mentions = Mentions { picked: StoredValue::new(Vec::new()) };
    let list = el("ul", "mention-list");
    list.set_id("mention-list");
    let _ = list.set_attribute("role", "listbox");
    let _ = list.set_attribute("aria-label", chat.text.mention_someone);
    let _ = list.set_attribute("hidden", "");
    append(form, &list);
    let _ = input.set_attribute("aria-autocomplete", "list");
    let _ = input.set_attribute("aria-controls", "mention-list");
    // The members offered (uid, name), the one active, and where the query's `@` is.
    let offered: StoredValue<Vec<(String, String)>> = StoredValue::new(Vec::new());
    let active = StoredValue::new(0usize);
    let query_at = StoredValue::new(0usize);

    let show = {
        let (list, input) = (list.clone(), input.clone());
        move |members: Vec<(String, String)>, index: usize| {
            list.set_text_content(None);
            for (i, (uid, name)) in members.iter().enumerate() {
                let option = text_el("li", "mention-option", name);
                option.set_id(&format!("mention-{i}"));
                let _ = option.set_attribute("role", "option");
                let _ = option.set_attribute("data-mention", uid);
                let _ = option.set_attribute("aria-selected", if i == index { "true" } else { "false" });
                append(&list, &option);
            }
            let open = !members.is_empty();
            set_attr(&list, "hidden", (!open).then_some(""));
            set_attr(&input, "aria-activedescendant", open.then(|| format!("mention-{index}")).as_deref());
            offered.set_value(members);
            active.set_value(index);
        }
    };
    let pick = {
        let (input, show) = (input.clone(), show.clone());
        move |index: usize| {
            let Some((uid, name)) = offered.with_value(|o| o.get(index).cloned()) else { return };
            let value = input.value();
            let caret = input.selection_start().ok().flatten().unwrap_or(0) as usize;
            let end: usize = value.chars().scan(0usize, |units, c| {
                *units += c.len_utf16();
                Some((*units, c.len_utf8()))
            }).take_while(|(units, _)| *units <= caret).map(|(_, bytes)| bytes).sum();
            let start = query_at.get_value();
            let written = format!("@{name} ");
            let text = format!("{}{written}{}", &value[..start], &value[end..]);
            input.set_value(&text);
            let caret = (value[..start].encode_utf16().count() + written.encode_utf16().count()) as u32;
            let _ = input.set_selection_range(caret, caret);
            mentions.picked.update_value(|p| p.push((name, uid)));
            show(Vec::new(), 0);
        }
    };

    let on_input = {
        let (input, show) = (input.clone(), show.clone());
        move |_: web_sys::Event| {
            let group = chat.active.with_untracked(|p| p.as_ref().is_some_and(|p| p.kind == ReceiverType::Group));
            let found = query_at_caret(&input).filter(|_| group && chat.features.mentions);
            let Some((at, query)) = found else { return show(Vec::new(), 0) };
            query_at.set_value(at);
            let query = lower(&query);
            let me = chat.me.with_untracked(|m| m.uid.clone());
            let members: Vec<(String, String)> = chat.members.with_untracked(|members| {
                members
                    .iter()
                    .filter(|(uid, name)| *uid != me && (lower(name).contains(&query) || uid.contains(&query)))
                    .take(MAX_OFFERED)
                    .cloned()
                    .collect()
            });
            show(members, 0);
        }
    };
    on(input, "input", on_input);
    let keys_pick = pick.clone();
    let keys_show = show.clone();
    on(input, "keydown", move |event: KeyboardEvent| {
        let count = offered.with_value(Vec::len);
        if count == 0 || event.is_composing() {
            return;
        }
        let at = active.get_value();
        match event.key().as_str() {
            "ArrowDown" => keys_show(offered.get_value(), (at + 1) % count),
            "ArrowUp" => keys_show(offered.get_value(), (at + count - 1) % count),
            "Enter" | "Tab" => keys_pick(at),
            "Escape" => keys_show(Vec::new(), 0),
            _ => return,
        }
        event.prevent_default();
        // Not the box's own Enter (send) or Escape.
        event.stop_immediate_propagation();
    });
    let blur_show = show.clone();
    on(input, "blur", move |_: web_sys::Event| blur_show(Vec::new(), 0));
    // A press on an option picks it (before the box loses the focus).
    on(&list, "mousedown", move |event: web_sys::MouseEvent| {
        event.prevent_default();
        let Some(uid) = clicked(&event, "data-mention") else { return };
        if let Some(index) = offered.with_value(|o| o.iter().position(|(u, _)| *u == uid)) {
            pick(index);
        }
    });
    mentions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picked_names_become_markup_longest_first() {
        let picked = [("Ann".to_owned(), "ann".to_owned()), ("Ann Lee".to_owned(), "ann-lee".to_owned())];
        assert_eq!(encode("hi @Ann Lee and @Ann, @Bo", &picked), "hi <@uid:ann-lee> and <@uid:ann>, @Bo");
    }
}
