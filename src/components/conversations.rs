//! The conversation list (each conversation a button named after the user or group, with avatar, last
//! message, unread count and presence) and the picker for starting a new conversation.

use confab_protocol::rest::groups::Group;
use confab_protocol::rest::messages::{Category, ReceiverType};
use confab_protocol::rest::users::User;
use confab_protocol::rest::Page;
use leptos::prelude::*;

use super::avatar::Avatar;
use crate::chat::{Chat, ConversationItem, Peer};

/// A one-line preview of a conversation's newest message.
fn preview(chat: &Chat, item: &ConversationItem) -> String {
    let Some(last) = &item.last else { return String::new() };
    if last.deleted_at.is_some() {
        return chat.text.deleted.to_owned();
    }
    let body = match last.category {
        Category::Action => crate::components::messages::action_text(chat, last),
        _ => last.data.text.clone().unwrap_or_else(|| format!("[{}]", last.message_type)),
    };
    if last.sender == chat.me.get_untracked().uid {
        format!("{}: {body}", chat.text.you)
    } else {
        body
    }
}

/// The list of conversations.
#[component]
pub fn ConversationList(chat: Chat) -> impl IntoView {
    let text = chat.text;
    view! {
        <nav class="conversations" aria-label=text.conversations>
            <Show when=move || chat.conversations.with(Vec::is_empty)>
                <p class="empty">{text.no_conversations}</p>
            </Show>
            <ul role="list">
                <For
                    each=move || chat.conversations.get()
                    key=|item| (item.peer.conversation_id.clone(), item.unread, item.last.as_ref().map(|m| m.id.clone()))
                    children=move |item| {
                        let peer = item.peer.clone();
                        let uid = peer.id.clone();
                        let online = (peer.kind == ReceiverType::User)
                            .then(|| Signal::derive(move || chat.online.with(|o| o.get(&uid).copied().unwrap_or(false))));
                        let online_text = online.map(|on| move || on.get().then(|| format!(", {}", text.online)));
                        let selected = {
                            let id = peer.conversation_id.clone();
                            move || chat.active.with(|a| a.as_ref().is_some_and(|p| p.conversation_id == id))
                        };
                        let line = preview(&chat, &item);
                        let open = peer.clone();
                        view! {
                            <li>
                                <button type="button" class="conversation" aria-current=move || selected().then_some("true")
                                    on:click=move |_| chat.open(open.clone())>
                                    <Avatar name=peer.name.clone() url=peer.avatar.clone() online=online.unwrap_or_default() />
                                    <span class="conversation-text">
                                        <span class="conversation-name">{peer.name.clone()}<span class="sr-only">{online_text}</span></span>
                                        <span class="conversation-last" aria-hidden="true">{line}</span>
                                    </span>
                                    {(item.unread > 0).then(|| view! {
                                        <span class="unread"><span aria-hidden="true">{item.unread}</span>
                                        <span class="sr-only">{format!(", {} {}", item.unread, text.unread)}</span></span>
                                    })}
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </nav>
    }
}

/// A list of peers to pick from, under `heading`; `None` while loading.
fn peer_list(heading: &'static str, peers: RwSignal<Option<Vec<(Peer, Option<String>)>>>, pick: impl Fn(Peer) + Copy + Send + Sync + 'static) -> impl IntoView {
    view! {
        <h2 class="picker-heading">{heading}</h2>
        <ul role="list">
            {move || peers.get().map(|list| list.into_iter().map(|(peer, avatar)| {
                let name = peer.name.clone();
                view! {
                    <li><button type="button" class="conversation" on:click=move |_| pick(peer.clone())>
                        <Avatar name=name.clone() url=avatar />
                        <span class="conversation-text"><span class="conversation-name">{name}</span></span>
                    </button></li>
                }
            }).collect_view())}
        </ul>
    }
}

/// Users and public groups the visitor may start a conversation with.
#[component]
pub fn NewConversation(chat: Chat, on_done: Callback<()>) -> impl IntoView {
    let text = chat.text;
    let users = RwSignal::new(None);
    let groups = RwSignal::new(None);
    leptos::task::spawn_local(async move {
        let (api, token) = chat.rest();
        let me = chat.me.get_untracked().uid;
        let found: Vec<(Peer, Option<String>)> = match api.get::<Page<User>>("/users?perPage=100", &token).await {
            Ok(page) => page.data.iter().filter(|u| u.uid != me).map(|u| (Peer::user(&me, u), u.avatar.clone())).collect(),
            Err(_) => Vec::new(),
        };
        users.set(Some(found));
        let found: Vec<(Peer, Option<String>)> = match api.get::<Page<Group>>("/groups?perPage=100", &token).await {
            Ok(page) => page.data.iter().map(|g| (Peer::group(g), g.icon.clone())).collect(),
            Err(_) => Vec::new(),
        };
        groups.set(Some(found));
    });
    let pick = move |peer: Peer| {
        chat.open(peer);
        on_done.run(());
    };
    view! {
        <div class="picker">
            {peer_list(text.users, users, pick)}
            {peer_list(text.groups, groups, pick)}
            {move || (users.with(Option::is_none) || groups.with(Option::is_none)).then(|| view! { <p class="empty">{text.loading}</p> })}
        </div>
    }
}
