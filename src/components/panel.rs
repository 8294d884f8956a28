//! The chat panel: a header (back, with the unread count of the other conversations; title; search, where
//! the variant allows it; new conversation; and — docked — close), the connection banner, the conversation
//! list, and the open conversation. A narrow panel shows one pane at a time; a wide one (600 px and more) shows both. A message
//! in another conversation than the open one is read out ("New message from Ann").
//!
//! The panel is plain DOM kept up to date by effects. The parts that come and go (the picker, the open
//! conversation) are built inside the effect that shows them, so their own effects end when it runs again.

use confab_protocol::widget_config::WidgetConfig;
use leptos::prelude::*;
use crate::components::reactive::effect;
use web_sys::{Element, Event};

use super::attach::drop_zone;
use super::composer::composer;
use super::conversations::{conversation_list, new_conversation};
use super::dom::{append, button, el, on, replace_children, set_attr, show_count, text_el};
use super::messages::message_log;
use super::search::search_button;
use crate::chat::{Chat, Link};
use crate::parts::{wasm_split, NotLoaded};

/// Makes the parts `build` makes (reading no signal on the way) `parent`'s children.
fn swap(parent: &Element, build: impl FnOnce() -> Vec<Element>) {
    let parts = untrack(build);
    replace_children(parent, &parts.iter().collect::<Vec<_>>());
}

/// The "new conversation" picker (users and groups to start one with), which puts `picking` down once one is
/// picked, built under `owner`; a wasm part of its own (see [`crate::parts`]).
#[wasm_split(new_conversation, wasm_split_path = ::leptos::wasm_split, fallible)]
fn new_conversation_view(chat: Chat, picking: RwSignal<bool>, owner: Option<Owner>) -> Result<Element, NotLoaded> {
    let build = move || new_conversation(chat, move || picking.set(false));
    Ok(match owner {
        Some(owner) => owner.with(build),
        None => build(),
    })
}

/// The panel of a signed-in visitor. `on_close` asks the loader to close a docked panel.
pub fn panel(config: &WidgetConfig, chat: Chat, on_close: impl Fn() + 'static) -> Element {
    let t = chat.text;
    let picking = RwSignal::new(false);
    let section = el("section", if config.is_docked { "panel docked" } else { "panel" });
    let _ = section.set_attribute("aria-label", t.title);

    let header = el("header", "panel-header");
    let back = button("icon back", t.back);
    back.set_inner_html(r#"<span aria-hidden="true">‹</span>"#);
    let back_count = el("span", "back-count");
    let _ = back_count.set_attribute("aria-hidden", "true");
    append(&back, &back_count);
    let title = el("h1", "panel-title");
    let new = button("icon new", t.new_conversation);
    new.set_inner_html(r#"<span aria-hidden="true">+</span>"#);
    append(&header, &back);
    append(&header, &title);
    if let Some(search) = search_button(chat, &section) {
        append(&header, &search);
    }
    append(&header, &new);
    if config.is_docked {
        let close = button("icon panel-close", t.close_chat);
        close.set_inner_html(r#"<span aria-hidden="true">×</span>"#);
        on(&close, "click", move |_: Event| on_close());
        append(&header, &close);
    }
    on(&back, "click", move |_: Event| {
        picking.set(false);
        chat.active.set(None);
    });
    on(&new, "click", move |_: Event| picking.update(|p| *p = !*p));

    let banner = el("p", "banner-slot");
    let _ = banner.set_attribute("role", "status");
    let notice = el("p", "sr-only");
    let _ = notice.set_attribute("aria-live", "polite");
    let panes = el("div", "panes");
    let list_pane = el("div", "list-pane");
    let chat_pane = el("div", "chat-pane");
    append(&panes, &list_pane);
    append(&panes, &chat_pane);
    for part in [&header, &banner, &panes, &notice] {
        append(&section, part);
    }
    drop_zone(chat, &section);

    {
        let (section, back, title, new, banner) = (section.clone(), back.clone(), title.clone(), new.clone(), banner.clone());
        effect(move || {
            let picking = picking.get();
            let (active, open_id) = chat.active.with(|a| a.as_ref().map(|p| (p.name.clone(), p.conversation_id.clone()))).unzip();
            let _ = section.class_list().toggle_with_force("has-active", active.is_some() && !picking);
            set_attr(&back, "hidden", (active.is_none() && !picking).then_some(""));
            // Unread messages of the other conversations, on the way back to them.
            let others: u64 = chat.conversations.with(|list| list.iter().filter(|c| Some(&c.peer.conversation_id) != open_id.as_ref()).map(|c| c.unread).sum());
            show_count(&back, &back_count, t.back, t, "unread_count", others);
            let name = if picking { t.new_conversation.to_owned() } else { active.unwrap_or_else(|| t.title.to_owned()) };
            title.set_text_content(Some(&name));
            let _ = new.set_attribute("aria-pressed", if picking { "true" } else { "false" });
            let shown = match chat.link.get() {
                Link::Offline => Some((t.offline, "banner offline")),
                Link::Restored => Some((t.back_online, "banner restored")),
                Link::Ended => Some((t.sign_in_failed, "banner offline")),
                _ => None,
            };
            match shown {
                Some((text, class)) => replace_children(&banner, &[&text_el("span", class, text)]),
                None => banner.set_text_content(None),
            }
        });
    }

    effect(move || {
        if picking.get() {
            let list_pane = list_pane.clone();
            // The picker's effects belong to this run, as if it were built here.
            let owner = Owner::current();
            leptos::task::spawn_local(async move {
                match new_conversation_view(chat, picking, owner).await {
                    // (Unless the visitor went back to the list while it loaded.)
                    Ok(view) if picking.get_untracked() => swap(&list_pane, || vec![view]),
                    Ok(_) => {}
                    Err(_) => {
                        picking.set(false);
                        crate::parts::not_loaded(chat);
                    }
                }
            });
        } else {
            let notice = notice.clone();
            swap(&list_pane, || vec![conversation_list(chat, notice)]);
        }
    });
    let open = Memo::new(move |_| chat.active.with(Option::is_some));
    effect(move || {
        if open.get() {
            swap(&chat_pane, || {
                let (log, typing) = message_log(chat);
                vec![super::thread::thread_bar(chat), log, typing, composer(chat)]
            });
        } else {
            // One of the two shows, as the list is empty or not (see the style).
            swap(&chat_pane, || vec![text_el("p", "empty none", t.no_conversations), text_el("p", "empty pick", t.pick_conversation)]);
        }
    });
    section
}
