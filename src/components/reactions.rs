//! A message's reactions, under its bubble: one button per emoji with its count, pressed where the visitor
//! gave it (a press gives or takes back theirs), named with who reacted ("👍 2: Ann, Ben"); the names also
//! show on hover and focus. The row is patched in place as counts change, so the log does not announce the
//! message again.

use confab_protocol::rest::messages::ReactionCount;
use leptos::prelude::*;

use super::dom::{append, el, text_el};
use crate::chat::{reacted, Chat, Item};

/// Brings `row`'s reactions up to `item`'s (the variant may hide them).
pub fn update_reactions(chat: Chat, row: &web_sys::Element, item: &Item) {
    let counts = item.message.data.reactions.as_deref().filter(|_| chat.features.reactions).unwrap_or_default();
    let me = chat.me.with_untracked(|m| m.uid.clone());
    let signature: String = counts.iter().map(|c| format!("{}:{}:{}:{};", c.reaction, c.count, reacted(c, &me), c.uids.join(","))).collect();
    let old = row.query_selector(".reactions").ok().flatten();
    if old.as_ref().and_then(|o| o.get_attribute("data-signature")).as_deref() == Some(signature.as_str()) {
        return;
    }
    if let Some(old) = old {
        old.remove();
    }
    if counts.is_empty() {
        return;
    }
    let chips = el("div", "reactions");
    let _ = chips.set_attribute("data-signature", &signature);
    for count in counts {
        append(&chips, &chip(chat, &item.message.id, count, reacted(count, &me)));
    }
    // Under the bubble, before the time.
    match row.query_selector(".meta").ok().flatten() {
        Some(meta) => drop(meta.before_with_node_1(&chips)),
        None => append(row, &chips),
    }
}

/// The button of one emoji on message `id`, carrying `data-react` (the message id) and `data-reaction`.
fn chip(chat: Chat, id: &str, count: &ReactionCount, mine: bool) -> web_sys::Element {
    let names: Vec<String> = count.uids.iter().map(|uid| chat.name_of(uid)).collect();
    // Past the listed reactors, "and N more".
    let unlisted = (count.count as usize).saturating_sub(names.len());
    let mut who = names.join(", ");
    if unlisted > 0 {
        who = chat.text.and_more.replace("{name}", &names.join(", ")).replace("{count}", &unlisted.to_string());
    }
    let button = el("button", if mine { "chip mine" } else { "chip" });
    let _ = button.set_attribute("type", "button");
    let _ = button.set_attribute("aria-pressed", if mine { "true" } else { "false" });
    let _ = button.set_attribute("data-react", id);
    let _ = button.set_attribute("data-reaction", &count.reaction);
    let _ = button.set_attribute("data-names", &who);
    let _ = button.set_attribute("aria-label", &format!("{} {}: {who}", count.reaction, count.count));
    append(&button, &text_el("span", "", &count.reaction));
    append(&button, &text_el("span", "chip-count", &count.count.to_string()));
    button
}
