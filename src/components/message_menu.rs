//! A message's actions. Each message the visitor may act on has a "Message actions" button (shown on hover
//! and focus) that opens a menu of what the message and the variant allow: React, Reply (quoting it), Edit
//! and Delete (their own). It works as a WAI-ARIA menu button: the menu opens with the focus on its first
//! item; Up and Down (and Home and End) move; Enter or Space chooses; Escape closes it and gives the focus
//! back to the button, and so does choosing; Tab or a press elsewhere closes it.
//!
//! The log has one menu element, moved under the button that opens it; its listeners are set once.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlElement, KeyboardEvent};

use super::dom::{append, clicked, el, on, text_el};
use crate::chat::{Chat, Compose, Item};
use crate::media::js::object;

/// The emoji the reaction picker offers first.
pub const COMMON_EMOJI: [&str; 6] = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

/// What the menu offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    React,
    Reply,
    Thread,
    Edit,
    Delete,
    MarkUnread,
}

impl Action {
    const ALL: [Action; 6] = [Action::React, Action::Reply, Action::Thread, Action::Edit, Action::Delete, Action::MarkUnread];

    fn name(self) -> &'static str {
        match self {
            Action::React => "react",
            Action::Reply => "reply",
            Action::Thread => "thread",
            Action::Edit => "edit",
            Action::Delete => "delete",
            Action::MarkUnread => "unread",
        }
    }

    fn label(self, chat: &Chat) -> &'static str {
        let t = chat.text;
        match self {
            Action::React => t.add_reaction,
            Action::Reply => t.reply,
            Action::Thread => t.reply_in_thread,
            Action::Edit => t.edit,
            Action::Delete => t.delete,
            Action::MarkUnread => t.mark_unread,
        }
    }

    /// Whether the visitor may do this to `item` (a stored message, not deleted).
    fn allowed(self, chat: &Chat, item: &Item) -> bool {
        match self {
            Action::React => chat.features.reactions,
            Action::Reply => chat.features.quotes,
            Action::Thread => chat.may_thread(item),
            Action::Edit => chat.may_edit(item),
            Action::Delete => chat.may_delete(item),
            // From a message of someone else's.
            Action::MarkUnread => chat.features.mark_unread && item.message.sender != chat.me.with_untracked(|m| m.uid.clone()),
        }
    }
}

/// Whether `item` gets an actions button: a stored message, not deleted, with something to do to it.
pub fn has_actions(chat: &Chat, item: &Item) -> bool {
    !item.message.id.is_empty() && item.message.deleted_at.is_none() && Action::ALL.iter().any(|a| a.allowed(chat, item))
}

/// The actions button of a message row, carrying `data-actions` (the row's key) for [`menu`]'s log.
pub fn actions_button(chat: &Chat, key: &str) -> Element {
    let button = super::dom::button("actions", chat.text.message_actions);
    button.set_inner_html(r#"<span aria-hidden="true">⋯</span>"#);
    let _ = button.set_attribute("aria-haspopup", "menu");
    let _ = button.set_attribute("aria-expanded", "false");
    let _ = button.set_attribute("data-actions", key);
    button
}

/// The log's menu: listens on `list` for presses of its rows' actions buttons.
pub fn menu(chat: Chat, list: &Element) {
    let menu = el("div", "message-menu");
    let _ = menu.set_attribute("role", "menu");
    let _ = menu.set_attribute("aria-label", chat.text.message_actions);
    // The button that opened it, and the key of its message.
    let opener: StoredValue<Option<(Element, String)>, LocalStorage> = StoredValue::new_local(None);
    let closing = menu.clone();
    let close = std::rc::Rc::new(move |refocus: bool| {
        if let Some((button, _)) = opener.get_value() {
            let _ = button.set_attribute("aria-expanded", "false");
            if refocus {
                let _ = button.unchecked_ref::<HtmlElement>().focus();
            }
        }
        // (Taking the menu away blurs its item, whose focusout comes back here: once is enough.)
        if opener.get_value().is_some() {
            opener.set_value(None);
            closing.remove();
        }
    });
    let shown = menu.clone();
    let close_first = close.clone();
    on(list, "click", move |event: web_sys::MouseEvent| {
        let Some(key) = clicked(&event, "data-actions") else { return };
        let Some(button) = event.target().and_then(|t| t.dyn_into::<Element>().ok()).and_then(|t| t.closest("[data-actions]").ok().flatten()) else { return };
        let reopened = opener.with_value(|o| o.as_ref().is_some_and(|(_, k)| *k == key));
        close_first(false);
        if reopened {
            return;
        }
        let Some(item) = chat.messages.with_untracked(|list| list.iter().find(|i| i.key == key).cloned()) else { return };
        shown.set_text_content(None);
        for action in Action::ALL.into_iter().filter(|a| a.allowed(&chat, &item)) {
            let entry = text_el("button", "menu-item", action.label(&chat));
            let _ = entry.set_attribute("type", "button");
            let _ = entry.set_attribute("role", "menuitem");
            let _ = entry.set_attribute("tabindex", "-1");
            let _ = entry.set_attribute("data-action", action.name());
            append(&shown, &entry);
        }
        let _ = button.after_with_node_1(&shown);
        let _ = button.set_attribute("aria-expanded", "true");
        opener.set_value(Some((button, key)));
        focus_item(&shown, |_, _| 0);
    });
    let close_chosen = close.clone();
    on(&menu, "click", move |event: web_sys::MouseEvent| {
        let Some(name) = clicked(&event, "data-action") else { return };
        let Some((button, key)) = opener.get_value() else { return };
        let Some(action) = Action::ALL.into_iter().find(|a| a.name() == name) else { return };
        // (Reply and Edit give the focus to the message box, the picker gives it back itself.)
        close_chosen(false);
        let Some(item) = chat.messages.with_untracked(|list| list.iter().find(|i| i.key == key).cloned()) else { return };
        match action {
            Action::React => pick_reaction(chat, button, item.message.id),
            Action::Reply => chat.composing.set(Compose::Reply(item.message)),
            Action::Thread => chat.open_thread(item.message),
            Action::MarkUnread => chat.mark_unread(&item.message.id),
            Action::Edit => chat.composing.set(Compose::Edit(item.message)),
            Action::Delete => {
                chat.delete(&item.message.id);
                // The row's button goes with the message's text: the message box takes the focus.
                super::composer::focus_message_box();
            }
        }
    });
    let close_by_key = close.clone();
    on(&menu, "keydown", move |event: KeyboardEvent| {
        let menu = event.current_target().and_then(|t| t.dyn_into::<Element>().ok());
        let Some(menu) = menu else { return };
        match event.key().as_str() {
            "ArrowDown" => focus_item(&menu, |at, count| (at + 1) % count),
            "ArrowUp" => focus_item(&menu, |at, count| (at + count - 1) % count),
            "Home" => focus_item(&menu, |_, _| 0),
            "End" => focus_item(&menu, |_, count| count - 1),
            "Escape" => {
                // Not the docked panel's Escape, which would close it.
                event.stop_propagation();
                close_by_key(true);
            }
            "Tab" => close_by_key(false),
            _ => return,
        }
        event.prevent_default();
    });
    on(&menu, "focusout", move |event: web_sys::FocusEvent| {
        let inside = event.related_target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        let menu = event.current_target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        if let (Some(menu), inside) = (menu, inside) {
            if !inside.is_some_and(|n| menu.contains(Some(&n))) && menu.is_connected() {
                close(false);
            }
        }
    });
}

/// Moves the focus in `menu` to the item `to(current index, count)` names.
fn focus_item(menu: &Element, to: impl Fn(u32, u32) -> u32) {
    let Ok(items) = menu.query_selector_all("[role=menuitem]") else { return };
    let count = items.length();
    if count == 0 {
        return;
    }
    let active = document().active_element();
    let at = (0..count).find(|&i| items.item(i).map(JsValue::from) == active.clone().map(JsValue::from)).unwrap_or(0);
    if let Some(item) = items.item(to(at, count)) {
        let _ = item.unchecked_into::<HtmlElement>().focus();
    }
}

/// Opens the reaction picker (`lazy/emoji.js`, loaded the first time) beside `anchor`; the emoji picked is
/// given to message `id`.
fn pick_reaction(chat: Chat, anchor: Element, id: String) {
    leptos::task::spawn_local(async move {
        let Ok(open) = crate::media::lazy::load("emoji").await else {
            return crate::parts::not_loaded(chat);
        };
        let t = chat.text;
        let common: js_sys::Array = COMMON_EMOJI.iter().map(|e| JsValue::from_str(e)).collect();
        let labels = object(&[
            ("dialog", t.add_reaction.into()),
            ("other", t.any_emoji.into()),
            ("add", t.add.into()),
            ("invalid", t.not_an_emoji.into()),
            ("reactWith", t.react_with.into()),
        ]);
        let on_pick = wasm_bindgen::closure::Closure::<dyn FnMut(String)>::new(move |emoji: String| chat.react(&id, &emoji));
        let options = object(&[("anchor", anchor.into()), ("common", common.into()), ("labels", labels), ("onPick", on_pick.as_ref().clone())]);
        on_pick.forget();
        let _ = open.call1(&JsValue::NULL, &options);
    });
}
