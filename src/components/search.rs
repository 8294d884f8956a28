//! The message search: a "Search messages" button in the panel's header (where the variant allows search)
//! opens the search view (`lazy/search.js`, loaded the first time) over the panel. It looks in the open
//! conversation ("This conversation", first when one is open) or in all of them; a result opened opens its
//! conversation and brings the message (a thread reply: its thread's first message) into view with the
//! focus on it, loading older pages until it is there (a few at most; further back, the composer's notice
//! says so).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use confab_protocol::rest::messages::{Message, ReceiverType};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;
use web_sys::{Element, Event};

use super::attach::notify;
use super::dom::{button, on};
use super::reactive::effect;
use crate::chat::{Chat, ConversationItem, History, Peer};
use crate::media::js::{get, object};
use crate::parts::{wasm_split, NotLoaded};

/// The header button's magnifier.
const SEARCH_ICON: &str = r#"<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><circle cx="10.5" cy="10.5" r="6"/><path d="M15 15l5 5"/></svg>"#;
/// Older pages loaded at most to find an opened result in its conversation.
const MAX_PAGES: u32 = 10;
/// The scope of the conversation open when the search opened.
const HERE: &str = "conversation";
/// The scope of every conversation.
const EVERYWHERE: &str = "all";

/// The search view's `search` and `onOpen`.
type Callbacks = (Closure<dyn FnMut(String, JsValue) -> js_sys::Promise>, Closure<dyn FnMut(JsValue)>);

/// A message the search found, as the view shows it, and where it belongs.
#[derive(Debug, Clone, PartialEq)]
struct Found {
    id: String,
    /// The conversation's name.
    title: String,
    /// The sender's name ("You" for the visitor).
    sender: String,
    text: String,
    /// Unix seconds.
    at: i64,
    conversation_id: String,
    kind: ReceiverType,
    /// The other user's uid, or the group's guid.
    with: String,
    /// For a thread reply, its thread's first message (the one the conversation's log shows).
    parent: Option<String>,
}

impl Found {
    /// `message` as found by `me`, named from the conversation list and the names known.
    fn of(message: &Message, me: &str, you: &str, conversations: &[ConversationItem], names: &HashMap<String, String>) -> Self {
        let with = match message.receiver_type {
            ReceiverType::User if message.sender != me => message.sender.clone(),
            _ => message.receiver.clone(),
        };
        let named = |uid: &str| names.get(uid).cloned();
        let title = conversations
            .iter()
            .find(|c| c.peer.conversation_id == message.conversation_id)
            .map(|c| c.peer.name.clone())
            .or_else(|| (message.receiver_type == ReceiverType::User).then(|| named(&with)).flatten())
            .unwrap_or_else(|| with.clone());
        let sender = if message.sender == me {
            you.to_owned()
        } else {
            let entity = message.data.entities.as_ref().and_then(|e| e.pointer("/sender/entity/name")).and_then(|v| v.as_str()).map(str::to_owned);
            named(&message.sender).or(entity).unwrap_or_else(|| message.sender.clone())
        };
        Self {
            id: message.id.clone(),
            title,
            sender,
            text: message.data.text.clone().unwrap_or_default(),
            at: message.sent_at,
            conversation_id: message.conversation_id.clone(),
            kind: message.receiver_type,
            with,
            parent: message.parent_id.clone(),
        }
    }

    /// The message the conversation's log brings into view: this one, or a reply's thread's first message.
    fn shown_id(&self) -> &str {
        self.parent.as_deref().unwrap_or(&self.id)
    }

    /// Who its conversation is with: from the conversation list, else as the message says.
    fn peer(&self, conversations: &[ConversationItem]) -> Peer {
        conversations.iter().find(|c| c.peer.conversation_id == self.conversation_id).map(|c| c.peer.clone()).unwrap_or_else(|| Peer {
            kind: self.kind,
            id: self.with.clone(),
            name: self.title.clone(),
            avatar: None,
            conversation_id: self.conversation_id.clone(),
            // (The visitor read it there: they are in it, and opening it must not join a group again.)
            joined: true,
            blocked: false,
        })
    }

    /// What the view takes: `{id, title, sender, text, at}`.
    fn to_js(&self) -> JsValue {
        object(&[
            ("id", self.id.as_str().into()),
            ("title", self.title.as_str().into()),
            ("sender", self.sender.as_str().into()),
            ("text", self.text.as_str().into()),
            ("at", (self.at as f64).into()),
        ])
    }
}

/// What the search keeps between its parts.
#[derive(Default)]
struct State {
    /// What the open view found (opening a result needs more than the view keeps).
    found: Vec<Found>,
    /// The open view's callbacks, kept alive for it (dropped when the next one opens).
    _callbacks: Option<Callbacks>,
    /// The conversation of the result opened, and the older pages loaded to find it.
    target: String,
    pages: u32,
}

/// Shared by the button, the view's callbacks and [`follow_reveal`].
type Shared = Rc<RefCell<State>>;

/// The header's "Search messages" button, opening the search over `container` (the panel); `None` where
/// the variant turns search off.
pub fn search_button(chat: Chat, container: &Element) -> Option<Element> {
    if !chat.features.search {
        return None;
    }
    let open = button("icon search-open", chat.text.search_messages);
    open.set_inner_html(SEARCH_ICON);
    let _ = open.set_attribute("aria-haspopup", "dialog");
    let state = Shared::default();
    let container = container.clone();
    let shared = state.clone();
    on(&open, "click", move |_: Event| {
        crate::parts::spawn(chat, open_search(chat, container.clone(), shared.clone()));
    });
    follow_reveal(chat, state);
    Some(open)
}

/// Opens the search view over `container`, loading the view and its wiring the first time.
async fn open_search(chat: Chat, container: Element, state: Shared) -> Result<(), NotLoaded> {
    let view = crate::media::lazy::load("search").await.map_err(|_| NotLoaded)?;
    show_search(chat, container, state, view).await
}

/// Shows the search `view` (what `lazy/search.js` registers) over `container`, wired to the panel; a wasm
/// part of its own (see [`crate::parts`]).
#[wasm_split(search_wiring, wasm_split_path = ::leptos::wasm_split, fallible)]
fn show_search(chat: Chat, container: Element, state: Shared, view: js_sys::Function) -> Result<(), NotLoaded> {
    let (search, on_open) = callbacks_of(chat, &state);
    let options = object(&[
        ("container", container.into()),
        ("labels", labels(chat)),
        ("scopes", scopes(chat)),
        ("search", search.as_ref().clone()),
        ("onOpen", on_open.as_ref().clone()),
    ]);
    // (The view that was open, if any, closes as this one opens: its callbacks are not called again.)
    *state.borrow_mut() = State { _callbacks: Some((search, on_open)), ..State::default() };
    let _ = view.call1(&JsValue::NULL, &options);
    Ok(())
}

/// The view's labels.
fn labels(chat: Chat) -> JsValue {
    let t = chat.text;
    object(&[
        ("title", t.search_messages.into()),
        ("close", t.close.into()),
        ("input", t.search_field.into()),
        ("scope", t.search_scope.into()),
        ("results", t.search_results.into()),
        ("searching", t.searching.into()),
        ("none", t.search_none.into()),
        ("failed", t.search_failed.into()),
        ("count", t.search_count.into()),
    ])
}

/// The view's scopes: the open conversation (if one is), then all of them.
fn scopes(chat: Chat) -> JsValue {
    let t = chat.text;
    let list = js_sys::Array::new();
    if chat.active.with_untracked(Option::is_some) {
        list.push(&object(&[("id", HERE.into()), ("label", t.this_conversation.into())]));
    }
    list.push(&object(&[("id", EVERYWHERE.into()), ("label", t.all_conversations.into())]));
    list.into()
}

/// The view's `search(text, scope)` (a promise of the results, remembered in the state) and `onOpen(result)`.
fn callbacks_of(chat: Chat, state: &Shared) -> Callbacks {
    // The conversation open when the view opened ("This conversation").
    let here = chat.active.get_untracked();
    let found = state.clone();
    let search = Closure::<dyn FnMut(String, JsValue) -> js_sys::Promise>::new(move |text: String, scope: JsValue| {
        let peer = here.clone().filter(|_| scope.as_string().as_deref() == Some(HERE));
        let state = found.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let messages = chat.search_messages(&text, peer.as_ref()).await.map_err(|e| JsValue::from_str(&e.message()))?;
            let me = chat.me.with_untracked(|m| m.uid.clone());
            let results: Vec<Found> = chat.conversations.with_untracked(|list| {
                chat.names.with_untracked(|names| messages.iter().map(|m| Found::of(m, &me, chat.text.you, list, names)).collect())
            });
            let answer: js_sys::Array = results.iter().map(Found::to_js).collect();
            let all = &mut state.borrow_mut().found;
            for result in results {
                if !all.iter().any(|f| f.id == result.id) {
                    all.push(result);
                }
            }
            Ok(answer.into())
        })
    });
    let state = state.clone();
    let on_open = Closure::<dyn FnMut(JsValue)>::new(move |result: JsValue| {
        let id = get(&result, "id").as_string().unwrap_or_default();
        let result = state.borrow().found.iter().find(|f| f.id == id).cloned();
        if let Some(result) = result {
            open_result(chat, &result, &state);
        }
    });
    (search, on_open)
}

/// Opens `result`'s conversation (unless it is the open one; a thread open in it closes) and asks the log to
/// bring the message into view (a thread reply: its thread's first message).
fn open_result(chat: Chat, result: &Found, state: &Shared) {
    {
        let mut state = state.borrow_mut();
        state.target = result.conversation_id.clone();
        state.pages = 0;
    }
    let open = chat.active.with_untracked(|a| a.as_ref().map(|p| p.conversation_id.clone()));
    if open.as_deref() != Some(result.conversation_id.as_str()) {
        let peer = chat.conversations.with_untracked(|list| result.peer(list));
        chat.open(peer);
    } else if chat.thread.with_untracked(Option::is_some) {
        chat.close_thread();
    }
    chat.reveal.set(Some(result.shown_id().to_owned()));
}

/// While a result waits to be brought into view (the log does it once it is loaded, see `Chat::reveal`),
/// loads older pages of its conversation until it is there, [`MAX_PAGES`] at most; then says it is further
/// back. Another conversation (or a thread) opened meanwhile drops it.
fn follow_reveal(chat: Chat, state: Shared) {
    effect(move || {
        let Some(id) = chat.reveal.get() else { return };
        let target = state.borrow().target.clone();
        let elsewhere = chat.thread.with(Option::is_some) || !chat.active.with(|a| a.as_ref().is_some_and(|p| p.conversation_id == target));
        if elsewhere {
            return chat.reveal.set(None);
        }
        let history = chat.history.get();
        let (loaded, any) = chat.messages.with(|items| (items.iter().any(|i| i.message.id == id), !items.is_empty()));
        if loaded || history == History::Loading {
            return;
        }
        let more = history == History::More && any && state.borrow().pages < MAX_PAGES;
        if more {
            state.borrow_mut().pages += 1;
            chat.load_older();
        } else {
            chat.reveal.set(None);
            notify(Some(chat.text.search_further_back));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_protocol::rest::messages::MessageData;

    fn message(sender: &str, receiver: &str, kind: ReceiverType, conversation: &str) -> Message {
        Message {
            id: "7".into(),
            sender: sender.into(),
            receiver: receiver.into(),
            receiver_type: kind,
            conversation_id: conversation.into(),
            data: MessageData { text: Some("hello there".into()), ..MessageData::default() },
            sent_at: 1_700_000_000,
            ..Message::default()
        }
    }

    fn conversation(kind: ReceiverType, id: &str, name: &str, conversation: &str) -> ConversationItem {
        let peer = Peer { kind, id: id.into(), name: name.into(), avatar: None, conversation_id: conversation.into(), joined: false, blocked: false };
        ConversationItem { peer, last: None, unread: 0, mentions: 0, updated_at: 0 }
    }

    #[test]
    fn a_result_is_named_by_its_conversation_and_its_sender() {
        let list = [conversation(ReceiverType::User, "bo", "Bo Chen", "ana_user_bo"), conversation(ReceiverType::Group, "team", "The team", "group_team")];
        let names: HashMap<String, String> = [("cy".to_owned(), "Cy Diaz".to_owned())].into();
        let mine = Found::of(&message("ana", "bo", ReceiverType::User, "ana_user_bo"), "ana", "You", &list, &names);
        assert_eq!((mine.title.as_str(), mine.sender.as_str(), mine.with.as_str()), ("Bo Chen", "You", "bo"));
        assert_eq!((mine.text.as_str(), mine.at), ("hello there", 1_700_000_000));
        let theirs = Found::of(&message("cy", "ana", ReceiverType::User, "ana_user_cy"), "ana", "You", &list, &names);
        assert_eq!((theirs.title.as_str(), theirs.sender.as_str(), theirs.with.as_str()), ("Cy Diaz", "Cy Diaz", "cy"), "not in the list: the name known");
        let group = Found::of(&message("dee", "team", ReceiverType::Group, "group_team"), "ana", "You", &list, &names);
        assert_eq!((group.title.as_str(), group.sender.as_str(), group.with.as_str()), ("The team", "dee", "team"), "an unknown sender: the uid");
        let unknown = Found::of(&message("ana", "ops", ReceiverType::Group, "group_ops"), "ana", "You", &list, &names);
        assert_eq!(unknown.title, "ops", "a conversation not in the list: the guid");
        assert_eq!(unknown.shown_id(), "7");
        let reply = Message { parent_id: Some("3".into()), ..message("cy", "ana", ReceiverType::User, "ana_user_cy") };
        assert_eq!(Found::of(&reply, "ana", "You", &list, &names).shown_id(), "3", "a thread reply: its thread's first message");
    }

    #[test]
    fn a_result_opens_the_conversation_of_the_list_or_one_made_from_the_message() {
        let list = [conversation(ReceiverType::Group, "team", "The team", "group_team")];
        let names = HashMap::new();
        let listed = Found::of(&message("dee", "team", ReceiverType::Group, "group_team"), "ana", "You", &list, &names);
        assert_eq!(listed.peer(&list), list[0].peer);
        let other = Found::of(&message("cy", "ana", ReceiverType::User, "ana_user_cy"), "ana", "You", &list, &names);
        let peer = other.peer(&list);
        assert_eq!((peer.kind, peer.id.as_str(), peer.name.as_str(), peer.conversation_id.as_str()), (ReceiverType::User, "cy", "cy", "ana_user_cy"));
        assert!(peer.joined && !peer.blocked);
    }
}
