//! Threads in the panel: a parent's reply count under its bubble (a button that opens the thread), and,
//! while a thread is open, the bar above the log that names it and leads back to the conversation.

use leptos::prelude::*;
use crate::components::reactive::effect;

use super::dom::{append, button, el, on, set_attr, text_el};
use crate::chat::{Chat, Item};

/// Brings `row`'s reply count up to `item` (shown only in the conversation's log, for a message with
/// replies, where the variant allows threads); the button carries `data-thread` (the message id).
pub fn update_replies(chat: Chat, row: &web_sys::Element, item: &Item) {
    let count = item.message.reply_count.unwrap_or(0);
    let shown = chat.features.threads && count > 0 && item.message.parent_id.is_none() && chat.thread.with_untracked(Option::is_none);
    let label = shown.then(|| chat.text.plural("replies_count", u64::from(count)));
    let old = row.query_selector(".replies").ok().flatten();
    match (old, label) {
        (Some(old), None) => old.remove(),
        (Some(old), Some(label)) if old.text_content().as_deref() != Some(label.as_str()) => old.set_text_content(Some(&label)),
        (None, Some(label)) => {
            let replies = text_el("button", "link-button replies", &label);
            let _ = replies.set_attribute("type", "button");
            let _ = replies.set_attribute("data-thread", &item.message.id);
            match row.query_selector(".meta").ok().flatten() {
                Some(meta) => drop(meta.after_with_node_1(&replies)),
                None => append(row, &replies),
            }
        }
        _ => {}
    }
}

/// The bar above the log while a thread is open: "Back to conversation" and the title "Thread".
pub fn thread_bar(chat: Chat) -> web_sys::Element {
    let t = chat.text;
    let bar = el("div", "thread-bar");
    let back = button("thread-back", t.back_to_conversation);
    back.set_inner_html(r#"<span aria-hidden="true">‹</span>"#);
    let title = text_el("h2", "thread-title", t.thread);
    append(&bar, &back);
    append(&bar, &title);
    on(&back, "click", move |_: web_sys::Event| {
        chat.close_thread();
        super::composer::focus_message_box();
    });
    let shown = bar.clone();
    effect(move || set_attr(&shown, "hidden", chat.thread.with(Option::is_none).then_some("")));
    bar
}
