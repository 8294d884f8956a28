//! The conversation list (each conversation a button named after the user or group, with avatar, last
//! message, unread count and presence; a new message in one that is not open is read out) and the picker
//! for starting a new conversation. Rows are plain DOM
//! kept by key (see [`super::dom`]); a click on a row is handled once, on its list.

use confab_protocol::rest::groups::Group;
use confab_protocol::rest::messages::ReceiverType;
use confab_protocol::rest::users::User;
use confab_protocol::rest::Page;
use leptos::prelude::*;
use crate::components::reactive::effect;

use super::avatar::avatar;
use super::dom::{append, clicked, el, on, set_attr, text_el, KeyedRows};
use crate::i18n::{fill, Catalog};
use crate::chat::{Chat, ConversationItem, Peer};

/// A one-line preview of a conversation's newest message.
fn preview(chat: &Chat, item: &ConversationItem) -> String {
    let Some(last) = &item.last else { return String::new() };
    let body = super::quote::summary(chat, last);
    if last.sender == chat.me.get_untracked().uid && last.deleted_at.is_none() {
        format!("{}: {body}", chat.text.you)
    } else {
        body
    }
}

/// A row of a list of people and groups: a button named after the peer, carrying `data-peer` (its
/// conversation id) for the list's click handler.
fn peer_row(peer: &Peer, avatar_url: Option<&str>, online: Option<bool>, text: &Catalog) -> (web_sys::Element, web_sys::Element) {
    let row = el("li", "");
    let button = el("button", "conversation");
    let _ = button.set_attribute("type", "button");
    let _ = button.set_attribute("data-peer", &peer.conversation_id);
    append(&button, &avatar(&peer.name, avatar_url, online));
    let words = el("span", "conversation-text");
    let name = text_el("span", "conversation-name", &peer.name);
    if online == Some(true) {
        append(&name, &text_el("span", "sr-only", &format!(", {}", text.online)));
    }
    append(&words, &name);
    append(&button, &words);
    append(&row, &button);
    (row, words)
}

/// The list of conversations. A message from someone else in a conversation that is not open (its unread
/// count went up) is read out in the polite live region `notice` ("New message from Ann").
pub fn conversation_list(chat: Chat, notice: web_sys::Element) -> web_sys::Element {
    let text = chat.text;
    let nav = el("nav", "conversations");
    let _ = nav.set_attribute("aria-label", text.conversations);
    let empty = text_el("p", "empty", text.no_conversations);
    let list = el("ul", "");
    let _ = list.set_attribute("role", "list");
    append(&nav, &empty);
    append(&nav, &list);
    let kept = StoredValue::new_local(KeyedRows::default());
    let rows_list = list.clone();
    // The rows' keys last time (none before the list first shows, when nothing is new).
    let mut before: Vec<String> = Vec::new();
    effect(move || {
        let items = chat.conversations.get();
        let online: Vec<Option<bool>> = chat.online.with(|online| {
            let shown = |c: &ConversationItem| c.peer.kind == ReceiverType::User && chat.features.presence;
            items.iter().map(|c| shown(c).then(|| online.get(&c.peer.id).copied().unwrap_or(false))).collect()
        });
        let active = chat.active.with(|a| a.as_ref().map(|p| p.conversation_id.clone()));
        set_attr(&empty, "hidden", (!items.is_empty()).then_some(""));
        let list = &rows_list;
        let keys: Vec<String> = items
            .iter()
            .zip(&online)
            .map(|(c, on)| {
                let on = match on {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "",
                };
                format!("{}:{}:{}:{on}", c.peer.conversation_id, c.unread, c.last.as_ref().map_or("", |m| m.id.as_str()))
            })
            .collect();
        for item in &items {
            let counted = format!("{}:{}:", item.peer.conversation_id, item.unread);
            let open = active.as_deref() == Some(item.peer.conversation_id.as_str());
            if !before.is_empty() && item.unread > 0 && !open && !before.iter().any(|k| k.starts_with(&counted)) {
                let sender = item.last.as_ref().and_then(|m| chat.names.with_untracked(|n| n.get(&m.sender).cloned()));
                notice.set_text_content(Some(&fill(text.new_message_from, &sender.unwrap_or_else(|| item.peer.name.clone()))));
            }
        }
        kept.update_value(|kept| {
            kept.patch(list, keys.iter().map(String::as_str), |i| conversation_row(&chat, &items[i], online[i]));
            for (item, key) in items.iter().zip(&keys) {
                if let Some(button) = kept.get(key).and_then(|row| row.first_element_child()) {
                    let _ = match active.as_deref() == Some(item.peer.conversation_id.as_str()) {
                        true => button.set_attribute("aria-current", "true"),
                        false => button.remove_attribute("aria-current"),
                    };
                }
            }
        });
        before = keys;
    });
    on(&list, "click", move |event: web_sys::MouseEvent| {
        let Some(id) = clicked(&event, "data-peer") else { return };
        if let Some(peer) = chat.conversations.with_untracked(|list| list.iter().find(|c| c.peer.conversation_id == id).map(|c| c.peer.clone())) {
            chat.open(peer);
        }
    });
    nav
}

/// A conversation's row: avatar, name, last message and unread count.
fn conversation_row(chat: &Chat, item: &ConversationItem, online: Option<bool>) -> web_sys::Element {
    let text = chat.text;
    let (row, words) = peer_row(&item.peer, item.peer.avatar.as_deref(), online, text);
    let last = text_el("span", "conversation-last", &preview(chat, item));
    let _ = last.set_attribute("aria-hidden", "true");
    append(&words, &last);
    if item.mentions > 0 {
        let at = text_el("span", "mentioned", "@");
        let _ = at.set_attribute("title", text.mentioned);
        let _ = at.set_attribute("aria-hidden", "true");
        append(&words, &text_el("span", "sr-only", text.mentioned));
        if let Some(button) = row.first_element_child() {
            append(&button, &at);
        }
    }
    if item.unread > 0 {
        let badge = el("span", "unread");
        let count = text_el("span", "", &item.unread.to_string());
        let _ = count.set_attribute("aria-hidden", "true");
        append(&badge, &count);
        append(&badge, &text_el("span", "sr-only", &format!(", {}", text.plural("unread_count", item.unread))));
        if let Some(button) = row.first_element_child() {
            append(&button, &badge);
        }
    }
    row
}

/// Peers found for the picker, each with its picture; `None` while loading.
type Found = RwSignal<Option<Vec<(Peer, Option<String>)>>>;

/// A list of peers to pick from, under `heading`.
fn peer_list(chat: Chat, parent: &web_sys::Element, heading: &'static str, peers: Found, pick: impl Fn(Peer) + Copy + 'static) {
    let list = el("ul", "");
    let _ = list.set_attribute("role", "list");
    append(parent, &text_el("h2", "picker-heading", heading));
    append(parent, &list);
    let kept = StoredValue::new_local(KeyedRows::default());
    let rows_list = list.clone();
    effect(move || {
        let list = &rows_list;
        peers.with(|found| {
            let found = found.as_deref().unwrap_or_default();
            kept.update_value(|kept| {
                kept.patch(list, found.iter().map(|(p, _)| p.conversation_id.as_str()), |i| peer_row(&found[i].0, found[i].1.as_deref(), None, chat.text).0);
            });
        });
    });
    on(&list, "click", move |event: web_sys::MouseEvent| {
        let Some(id) = clicked(&event, "data-peer") else { return };
        if let Some(peer) = peers.with_untracked(|found| found.iter().flatten().find(|(p, _)| p.conversation_id == id).map(|(p, _)| p.clone())) {
            pick(peer);
        }
    });
}

/// Users and public groups the visitor may start a conversation with.
pub fn new_conversation(chat: Chat, on_done: impl Fn() + Copy + 'static) -> web_sys::Element {
    let text = chat.text;
    let users: Found = RwSignal::new(None);
    let groups: Found = RwSignal::new(None);
    let features = chat.features;
    leptos::task::spawn_local(async move {
        let (api, token) = chat.rest();
        let me = chat.me.get_untracked().uid;
        let found: Vec<(Peer, Option<String>)> = match features.users_tab {
            true => match api.get::<Page<User>>("/users?perPage=100", &token).await {
                Ok(page) => page.data.iter().filter(|u| u.uid != me).map(|u| (Peer::user(&me, u), u.avatar.clone())).collect(),
                Err(_) => Vec::new(),
            },
            false => Vec::new(),
        };
        users.set(Some(found));
        let found: Vec<(Peer, Option<String>)> = match features.groups_tab {
            true => match api.get::<Page<Group>>("/groups?perPage=100", &token).await {
                Ok(page) => page.data.iter().filter(|g| features.join_groups || g.has_joined).map(|g| (Peer::group(g), g.icon.clone())).collect(),
                Err(_) => Vec::new(),
            },
            false => Vec::new(),
        };
        groups.set(Some(found));
    });
    let pick = move |peer: Peer| {
        chat.open(peer);
        on_done();
    };
    let picker = el("div", "picker");
    if features.users_tab {
        peer_list(chat, &picker, text.users, users, pick);
    }
    if features.groups_tab {
        peer_list(chat, &picker, text.groups, groups, pick);
    }
    let loading = text_el("p", "empty", text.loading);
    append(&picker, &loading);
    effect(move || set_attr(&loading, "hidden", (users.with(Option::is_some) && groups.with(Option::is_some)).then_some("")));
    picker
}
