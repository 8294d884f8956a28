//! The signed-in chat: the visitor, their conversations, the open conversation's messages, the connection,
//! and everything that changes them — REST loads, realtime frames, and sends.
//!
//! Sends go over the WebSocket with a `muid`: a message shows at once as pending, is confirmed when the
//! server's `ack` (or the echoed `message`) carries the same `muid`, and waits in the outbox while the
//! connection is down; on reconnect the outbox is sent again, and the server's `muid` idempotency makes
//! each message stored exactly once.

use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::ids::{direct_conversation_id, group_conversation_id};
use confab_protocol::realtime::{ClientFrame, PresenceStatus, ReceiptKind, ServerFrame, TypingState};
use confab_protocol::rest::conversations::{Conversation, ConversationWith};
use confab_protocol::rest::groups::{Group, GroupMember};
use confab_protocol::rest::messages::{Category, Message, MessageData, MessagePage, ReceiverType, SendMessage};
use confab_protocol::rest::users::User;
use confab_protocol::rest::Page;
use leptos::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

mod actions;
mod media;
mod threads;
mod search;

pub use actions::{reacted, Compose};

use crate::i18n::Catalog;
use confab_protocol::panel_variant::PanelFeatures;
use crate::net::http::{encode, Api};
use crate::net::socket::{Socket, SocketEvent};

/// The body of a join without a password.
#[derive(serde::Serialize)]
struct JoinBody {}

/// Messages loaded per history page.
pub const PAGE_SIZE: u32 = 30;
/// How long a typing indicator lasts without a new `started`.
const TYPING_TTL_MS: f64 = 6000.0;

/// The user or group a conversation is with.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    /// User or group.
    pub kind: ReceiverType,
    /// uid or guid.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Avatar or icon URL.
    pub avatar: Option<String>,
    /// The conversation's id.
    pub conversation_id: String,
    /// For a group: whether the visitor is a member.
    pub joined: bool,
    /// For a user: whether either side blocked the other.
    pub blocked: bool,
}

impl Peer {
    /// The peer for a user.
    pub fn user(me: &str, user: &User) -> Self {
        Self {
            kind: ReceiverType::User,
            id: user.uid.clone(),
            name: user.name.clone(),
            avatar: user.avatar.clone(),
            conversation_id: direct_conversation_id(me, &user.uid),
            joined: true,
            blocked: user.blocked_by_me == Some(true) || user.has_blocked_me == Some(true),
        }
    }

    /// The peer for a group.
    pub fn group(group: &Group) -> Self {
        Self {
            kind: ReceiverType::Group,
            id: group.guid.clone(),
            name: group.name.clone(),
            avatar: group.icon.clone(),
            conversation_id: group_conversation_id(&group.guid),
            joined: group.has_joined,
            blocked: false,
        }
    }
}

/// One conversation in the list.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationItem {
    /// Who it is with.
    pub peer: Peer,
    /// Its newest message.
    pub last: Option<Message>,
    /// Messages from others not read yet.
    pub unread: u64,
    /// Of those, the ones that mention the visitor.
    pub mentions: u64,
    /// Newest activity, Unix seconds.
    pub updated_at: i64,
}

/// Where an own message stands.
#[derive(Debug, Clone, PartialEq)]
pub enum SendState {
    /// Stored by the server (or not the visitor's).
    Stored,
    /// Waiting for the server.
    Pending,
    /// Its file is being uploaded (a progress bar and Cancel show).
    Uploading,
    /// Refused; the reason.
    Failed(String),
}

/// A message in the open conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Stable key: the `muid` of own sends, else `id:<id>`.
    pub key: String,
    /// The message (for a pending send, as it will be stored).
    pub message: Message,
    /// Where it stands.
    pub state: SendState,
}

impl Peer {
    /// The REST path of the peer: `/users/{uid}` or `/groups/{guid}`.
    pub fn path(&self) -> String {
        match self.kind {
            ReceiverType::User => format!("/users/{}", encode(&self.id)),
            ReceiverType::Group => format!("/groups/{}", encode(&self.id)),
        }
    }
}

impl Item {
    fn stored(message: Message) -> Self {
        let key = message.muid.clone().unwrap_or_else(|| format!("id:{}", message.id));
        Self { key, message, state: SendState::Stored }
    }

    /// The numeric id, 0 while pending.
    pub fn id(&self) -> u64 {
        self.message.id.parse().unwrap_or(0)
    }

    /// Whether it is a file the visitor is sending, not stored yet (Remove is offered when it fails).
    pub fn is_outgoing_file(&self) -> bool {
        self.message.id.is_empty() && self.message.data.attachments.is_some()
    }
}

/// The connection as the visitor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Connecting for the first time.
    Connecting,
    /// Connected.
    Online,
    /// Lost; reconnecting.
    Offline,
    /// Connected again after being lost (shown for a moment).
    Restored,
    /// The session ended (token revoked).
    Ended,
}

/// History paging of the open conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    /// More may be loaded.
    More,
    /// Loading a page.
    Loading,
    /// Everything is loaded.
    Complete,
}

/// Who is typing where.
#[derive(Debug, Clone, PartialEq)]
pub struct Typist {
    /// The conversation.
    pub conversation_id: String,
    /// The typer's uid.
    pub uid: String,
    /// Until when (ms since the epoch).
    pub until: f64,
}

/// Non-reactive parts: the API, the token, the socket, the outbox.
struct Session {
    api: Api,
    token: String,
    socket: Option<Socket>,
    outbox: Vec<(String, SendMessage)>,
    /// Files on their way (see [`media`]).
    uploads: Vec<media::Outgoing>,
    on_first_send: Option<Box<dyn FnOnce()>>,
    /// The conversation's log while a thread is open (see [`threads`]).
    thread_stash: Option<threads::Stash>,
    /// Conversation-list loads asked for so far: an answer to an older one than the newest is stale.
    list_loads: u64,
}

/// The chat's reactive state and its actions. Cheap to copy.
#[derive(Clone, Copy)]
pub struct Chat {
    /// The signed-in visitor.
    pub me: RwSignal<User>,
    /// Conversations, newest first.
    pub conversations: RwSignal<Vec<ConversationItem>>,
    /// The open conversation.
    pub active: RwSignal<Option<Peer>>,
    /// Its messages, oldest first.
    pub messages: RwSignal<Vec<Item>>,
    /// Its history paging.
    pub history: RwSignal<History>,
    /// The connection.
    pub link: RwSignal<Link>,
    /// Who is typing.
    pub typists: RwSignal<Vec<Typist>>,
    /// Per conversation, the newest of the visitor's messages the other side read / got.
    pub read_marks: RwSignal<HashMap<String, (u64, u64)>>,
    /// uids known online.
    pub online: RwSignal<HashMap<String, bool>>,
    /// Names of users seen (for group senders and typing).
    pub names: RwSignal<HashMap<String, String>>,
    /// The open group's members, (uid, name), for mentions.
    pub members: RwSignal<Vec<(String, String)>>,
    /// Whether the visitor moderates the open group (a moderator or an admin may delete anyone's messages).
    pub moderates: StoredValue<bool>,
    /// Whether the panel is on screen (docked panels may be closed); see [`Self::seen`].
    pub visible: RwSignal<bool>,
    /// The newest message received from someone else (for the host's `onMessageReceived`).
    pub received: RwSignal<Option<Message>>,
    /// The id of the open conversation's first message the visitor had not read when it opened (or that
    /// came while they could not see the panel), 0 for none: the "New messages" line goes before it until
    /// another conversation opens. It changes only with [`Self::messages`], so it is read with them.
    pub first_unread: StoredValue<u64>,
    /// What the message box writes: a new message, a reply quoting one, or an edit.
    pub composing: RwSignal<Compose>,
    /// The parent of the open thread, if one is open (see [`threads`]).
    pub thread: RwSignal<Option<Message>>,
    /// A message of the open conversation to bring into view and focus once it is loaded (a search result
    /// opened); the log does it, and sets it back to `None`.
    pub reveal: RwSignal<Option<String>>,
    /// The strings.
    pub text: &'static Catalog,
    /// What the variant turns on.
    pub features: PanelFeatures,
    session: StoredValue<Rc<RefCell<Session>>, LocalStorage>,
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn new_muid() -> String {
    format!("w{:x}{:08x}", now_ms() as u64, (js_sys::Math::random() * f64::from(u32::MAX)) as u32)
}

impl Chat {
    /// The chat of `me`, signed in with `token` on `api`. The realtime socket connects once the first
    /// conversation list is in (see [`Self::load_conversations`]). `on_first_send` runs once, after the
    /// first message the visitor sent was stored.
    pub fn start(api: Api, token: String, me: User, text: &'static Catalog, features: PanelFeatures, on_first_send: Option<Box<dyn FnOnce()>>) -> Self {
        let session = Session { api, token, socket: None, outbox: Vec::new(), uploads: Vec::new(), on_first_send, list_loads: 0, thread_stash: None };
        let chat = Self {
            me: RwSignal::new(me),
            conversations: RwSignal::new(Vec::new()),
            active: RwSignal::new(None),
            messages: RwSignal::new(Vec::new()),
            history: RwSignal::new(History::Complete),
            link: RwSignal::new(Link::Connecting),
            typists: RwSignal::new(Vec::new()),
            read_marks: RwSignal::new(HashMap::new()),
            online: RwSignal::new(HashMap::new()),
            names: RwSignal::new(HashMap::new()),
            members: RwSignal::new(Vec::new()),
            moderates: StoredValue::new(false),
            visible: RwSignal::new(true),
            received: RwSignal::new(None),
            first_unread: StoredValue::new(0),
            composing: RwSignal::new(Compose::New),
            thread: RwSignal::new(None),
            reveal: RwSignal::new(None),
            text,
            features,
            session: StoredValue::new_local(Rc::new(RefCell::new(session))),
        };
        // Back on a page that was hidden, the open conversation is read (its new messages counted till then).
        crate::components::dom::on(&document(), "visibilitychange", move |_: web_sys::Event| chat.mark_read());
        chat
    }

    /// What the panel calls user `uid`: "You", the name it learned, the open conversation's peer's, or else
    /// the uid.
    pub fn name_of(&self, uid: &str) -> String {
        if self.me.with_untracked(|m| m.uid == uid) {
            return self.text.you.to_owned();
        }
        let peer = || self.active.with_untracked(|p| p.as_ref().filter(|p| p.kind == ReceiverType::User && p.id == uid).map(|p| p.name.clone()));
        self.names.with_untracked(|n| n.get(uid).cloned()).or_else(peer).unwrap_or_else(|| uid.to_owned())
    }

    /// Whether the visitor can see the panel: it is on screen, on a page that is not hidden (another tab, a
    /// minimised window). Only then are messages read as they come.
    pub fn seen(&self) -> bool {
        self.visible.get_untracked() && !document().hidden()
    }

    /// Connects the realtime socket (once), resuming after message `resume_after`: nothing stored since
    /// the conversation list was read is missed, even if it came before the socket was signed in. Without
    /// one (the visitor has no message yet) the socket does not ask to resume, and each such sign-in reads
    /// the list again instead (see [`Self::catch_up`]).
    fn connect(&self, resume_after: Option<String>) {
        if self.with_session(|s| s.socket.is_some()) {
            return;
        }
        let chat = *self;
        let (origin, app_id, token) = self.with_session(|s| (s.api.origin.clone(), s.api.app_id.clone(), s.token.clone()));
        let socket = Socket::connect(&origin, &app_id, &token, resume_after, move |event| chat.on_socket(event));
        self.with_session(|s| s.socket = Some(socket));
    }

    fn with_session<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R {
        let session = self.session.get_value();
        let mut session = session.borrow_mut();
        f(&mut session)
    }

    /// The REST API and the session token, for calls the chat does not wrap.
    pub fn rest(&self) -> (Api, String) {
        self.with_session(|s| (s.api.clone(), s.token.clone()))
    }

    fn send_frame(&self, frame: &ClientFrame) -> bool {
        let socket = self.with_session(|s| s.socket.clone());
        socket.is_some_and(|socket| socket.send(frame))
    }

    /// Loads the conversation list; `then` runs after it is in. The first list connects the socket,
    /// resuming after its newest message (not resuming when the list is empty: there is nothing to resume
    /// after, and what comes before the sign-in is read by [`Self::catch_up`]).
    pub fn load_conversations(&self, then: impl FnOnce(Self) + 'static) {
        let chat = *self;
        let load = self.with_session(|s| {
            s.list_loads += 1;
            s.list_loads
        });
        leptos::task::spawn_local(async move {
            let (api, token) = chat.rest();
            let answer = api.get::<Page<Conversation>>("/conversations?perPage=100", &token).await;
            // Two quick messages from a new conversation start two loads; the older answer must not
            // overwrite the newer (its unread counts are behind).
            let stale = chat.with_session(|s| s.list_loads != load);
            match answer {
                Ok(_) if stale => {}
                Ok(page) => {
                    let me = chat.me.get_untracked().uid;
                    chat.online.update(|online| {
                        for conversation in &page.data {
                            if let ConversationWith::User(user) = &conversation.conversation_with {
                                online.insert(user.uid.clone(), user.status == "online");
                            }
                        }
                    });
                    let items: Vec<ConversationItem> = page.data.into_iter().map(|c| item_of(&me, c)).collect();
                    chat.names.update(|names| {
                        for item in &items {
                            if item.peer.kind == ReceiverType::User {
                                names.insert(item.peer.id.clone(), item.peer.name.clone());
                            }
                        }
                    });
                    let newest = items.iter().filter_map(|i| i.last.as_ref()?.id.parse::<u64>().ok()).max();
                    match chat.with_session(|s| s.socket.clone()) {
                        Some(socket) => newest.iter().for_each(|id| socket.saw(&id.to_string())),
                        None => chat.connect(newest.map(|id| id.to_string())),
                    }
                    chat.conversations.set(items);
                }
                Err(e) => {
                    crate::bridge::console_error(&format!("Confab: cannot load conversations: {}", e.message()));
                    chat.connect(None);
                }
            }
            then(chat);
        });
    }

    /// Opens the conversation with `peer`: loads its newest page and marks it read.
    pub fn open(&self, peer: Peer) {
        let chat = *self;
        // Read before the page comes (it is marked read then, and live messages mark it read meanwhile).
        let unread = self.conversations.with_untracked(|list| list.iter().find(|c| c.peer.conversation_id == peer.conversation_id).map_or(0, |c| c.unread));
        self.first_unread.set_value(0);
        self.composing.set(Compose::New);
        self.forget_thread();
        self.members.set(Vec::new());
        self.moderates.set_value(false);
        self.messages.set(Vec::new());
        self.history.set(History::Loading);
        self.active.set(Some(peer.clone()));
        leptos::task::spawn_local(async move {
            let (api, token) = chat.rest();
            if peer.kind == ReceiverType::Group && !peer.joined && chat.features.join_groups {
                let joined = api
                    .call::<serde_json::Value>("POST", &format!("/groups/{}/join", encode(&peer.id)), &crate::net::http::Credential::Token(token.clone()), crate::net::http::body(&JoinBody {}))
                    .await;
                match joined {
                    Ok(_) => chat.update_active(&peer.conversation_id, |p| p.joined = true),
                    Err(e) => crate::bridge::console_error(&format!("Confab: cannot join {}: {}", peer.id, e.message())),
                }
            }
            if peer.kind == ReceiverType::Group {
                chat.load_member_names(&api, &token, &peer.id).await;
            }
            let page = chat.fetch_page(&api, &token, &peer, None).await;
            if chat.active.get_untracked().as_ref().map(|p| &p.conversation_id) != Some(&peer.conversation_id) {
                return;
            }
            match page {
                Ok(messages) => {
                    let complete = messages.len() < PAGE_SIZE as usize;
                    chat.messages.update(|list| {
                        // Keep anything that arrived live while the page loaded.
                        let mut merged: Vec<Item> = messages.into_iter().map(Item::stored).collect();
                        for item in list.drain(..) {
                            if !merged.iter().any(|m| m.key == item.key) {
                                merged.push(item);
                            }
                        }
                        // (A message that came live while the panel was not seen may have set it already.)
                        if let Some(id) = first_unread(&merged, &chat.me.get_untracked().uid, unread) {
                            chat.first_unread.set_value(id);
                        }
                        *list = merged;
                    });
                    chat.history.set(if complete { History::Complete } else { History::More });
                    chat.mark_read();
                }
                Err(e) => {
                    crate::bridge::console_error(&format!("Confab: cannot load messages: {}", e.message()));
                    chat.history.set(History::More);
                }
            }
        });
    }

    /// Learns the names of a group's members (messages carry only uids).
    async fn load_member_names(&self, api: &Api, token: &str, guid: &str) {
        let path = format!("/groups/{}/members?perPage=1000", encode(guid));
        if let Ok(page) = api.get::<Page<GroupMember>>(&path, token).await {
            self.members.set(page.data.iter().map(|m| (m.uid.clone(), m.name.clone())).collect());
            let me = self.me.with_untracked(|m| m.uid.clone());
            self.moderates.set_value(page.data.iter().any(|m| m.uid == me && m.scope >= confab_protocol::rest::groups::MemberScope::Moderator));
            self.names.update(|names| {
                for member in page.data {
                    names.insert(member.uid, member.name);
                }
            });
        }
    }

    async fn fetch_page(&self, api: &Api, token: &str, peer: &Peer, before: Option<u64>) -> Result<Vec<Message>, crate::net::http::CallError> {
        // The open thread's replies, or the conversation's messages without replies.
        let base = match self.thread_id() {
            Some(parent) => format!("/messages/{}/thread?", encode(&parent)),
            None => format!("{}/messages?hideReplies=true&", peer.path()),
        };
        let cursor = before.map(|id| format!("&id={id}")).unwrap_or_default();
        let page: MessagePage = api.get(&format!("{base}limit={PAGE_SIZE}&affix=prepend{cursor}"), token).await?;
        let mut messages = page.data;
        oldest_first(&mut messages);
        Ok(messages)
    }

    /// Changes the open conversation's peer, if `conversation_id` is still the open one.
    fn update_active(&self, conversation_id: &str, change: impl FnOnce(&mut Peer)) {
        self.active.update(|active| {
            if let Some(peer) = active.as_mut().filter(|p| p.conversation_id == conversation_id) {
                change(peer);
            }
        });
    }

    /// Why the visitor cannot write in the open conversation, if they cannot (reactive).
    pub fn cannot_write(&self) -> Option<&'static str> {
        let t = self.text;
        if self.link.get() == Link::Ended {
            return Some(t.cannot_send);
        }
        let settled = self.history.get() != History::Loading;
        self.active.with(|peer| match peer {
            Some(peer) if peer.blocked => Some(t.blocked),
            Some(peer) if peer.kind == ReceiverType::Group && !peer.joined && settled => Some(t.members_only),
            _ => None,
        })
    }

    /// Loads the page before the oldest message shown.
    pub fn load_older(&self) {
        if self.history.get_untracked() != History::More {
            return;
        }
        let Some(peer) = self.active.get_untracked() else { return };
        // (In a thread, the oldest reply: the parent stays first.)
        let thread = self.thread_id();
        let oldest = self.messages.with_untracked(|list| {
            list.iter().filter(|i| Some(&i.message.id) != thread.as_ref()).map(Item::id).filter(|id| *id > 0).min()
        });
        let Some(oldest) = oldest else { return };
        self.history.set(History::Loading);
        let chat = *self;
        leptos::task::spawn_local(async move {
            let (api, token) = chat.rest();
            match chat.fetch_page(&api, &token, &peer, Some(oldest)).await {
                Ok(older) => {
                    if chat.active.get_untracked().as_ref().map(|p| &p.conversation_id) != Some(&peer.conversation_id) || chat.thread_id() != thread {
                        return;
                    }
                    let complete = older.len() < PAGE_SIZE as usize;
                    chat.messages.update(|list| {
                        let parent = usize::from(thread.is_some() && !list.is_empty());
                        let mut merged: Vec<Item> = list.drain(..parent).collect();
                        merged.extend(older.into_iter().map(Item::stored));
                        merged.append(list);
                        *list = merged;
                    });
                    chat.history.set(if complete { History::Complete } else { History::More });
                }
                Err(_) => chat.history.set(History::More),
            }
        });
    }

    /// Sends `text` to the open conversation (quoting the message the visitor replies to, if any).
    pub fn send_text(&self, text: &str) {
        let Some(peer) = self.active.get_untracked() else { return };
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let quoted = match self.composing.get_untracked() {
            Compose::Reply(message) => Some(message),
            _ => None,
        };
        self.composing.set(Compose::New);
        let muid = new_muid();
        let body = SendMessage {
            receiver: peer.id.clone(),
            receiver_type: peer.kind,
            category: None,
            message_type: "text".into(),
            data: MessageData { text: Some(text.to_owned()), ..MessageData::default() },
            muid: Some(muid.clone()),
            tags: None,
            parent_id: self.thread_id(),
            quoted_message_id: quoted.as_ref().map(|m| m.id.clone()),
        };
        let mut pending = self.pending_message(&peer, &muid, "text", body.data.clone());
        pending.parent_id = body.parent_id.clone();
        pending.quoted_message_id = body.quoted_message_id.clone();
        pending.quoted_message = quoted.map(Box::new);
        self.messages.update(|list| list.push(Item { key: muid.clone(), message: pending, state: SendState::Pending }));
        self.with_session(|s| s.outbox.push((muid, body.clone())));
        self.send_frame(&ClientFrame::Send { message: body });
        self.typing(false);
    }

    /// The visitor's message `muid` to `peer` as it will be stored, shown until it is.
    fn pending_message(&self, peer: &Peer, muid: &str, message_type: &str, data: MessageData) -> Message {
        Message {
            id: String::new(),
            muid: Some(muid.to_owned()),
            conversation_id: peer.conversation_id.clone(),
            sender: self.me.get_untracked().uid,
            receiver: peer.id.clone(),
            receiver_type: peer.kind,
            category: Category::Message,
            message_type: message_type.to_owned(),
            data,
            tags: Vec::new(),
            sent_at: (now_ms() / 1000.0) as i64,
            ..Message::default()
        }
    }

    /// Sends a failed message again.
    pub fn retry(&self, key: &str) {
        if self.retry_file(key) {
            return;
        }
        let Some(item) = self.messages.with_untracked(|list| list.iter().find(|i| i.key == key).cloned()) else { return };
        let body = SendMessage {
            receiver: item.message.receiver.clone(),
            receiver_type: item.message.receiver_type,
            category: None,
            message_type: item.message.message_type.clone(),
            data: item.message.data.clone(),
            muid: Some(item.key.clone()),
            tags: None,
            parent_id: item.message.parent_id.clone(),
            quoted_message_id: item.message.quoted_message_id.clone(),
        };
        self.set_state(key, SendState::Pending);
        self.with_session(|s| s.outbox.push((item.key.clone(), body.clone())));
        self.send_frame(&ClientFrame::Send { message: body });
    }

    /// Tells the other side the visitor started or stopped typing.
    pub fn typing(&self, started: bool) {
        let Some(peer) = self.active.get_untracked().filter(|_| self.features.typing) else { return };
        let state = if started { TypingState::Started } else { TypingState::Ended };
        self.send_frame(&ClientFrame::Typing { receiver: peer.id, receiver_type: peer.kind, state });
    }

    fn set_state(&self, key: &str, state: SendState) {
        self.messages.update(|list| {
            if let Some(item) = list.iter_mut().find(|i| i.key == key) {
                item.state = state;
            }
        });
    }

    /// Marks the open conversation read up to its newest message from someone else.
    pub fn mark_read(&self) {
        if !self.seen() {
            return;
        }
        let Some(peer) = self.active.get_untracked() else { return };
        let me = self.me.get_untracked().uid;
        let newest = self.messages.with_untracked(|list| list.iter().rev().find(|i| i.message.sender != me && i.id() > 0).map(|i| i.message.id.clone()));
        if let Some(id) = newest {
            self.send_frame(&ClientFrame::Receipt { kind: ReceiptKind::Read, conversation_id: peer.conversation_id.clone(), message_id: id });
        }
        self.conversations.update(|list| {
            if let Some(item) = list.iter_mut().find(|c| c.peer.conversation_id == peer.conversation_id) {
                item.unread = 0;
                item.mentions = 0;
            }
        });
    }

    /// The total of unread messages over all conversations.
    pub fn unread_total(&self) -> u64 {
        self.conversations.with(|list| list.iter().map(|c| c.unread).sum())
    }

    fn on_socket(&self, event: SocketEvent) {
        match event {
            SocketEvent::Open { resumed } => {
                let was = self.link.get_untracked();
                self.link.set(if matches!(was, Link::Offline) { Link::Restored } else { Link::Online });
                if was == Link::Offline {
                    let link = self.link;
                    set_timeout(move || if link.get_untracked() == Link::Restored { link.set(Link::Online) }, Duration::from_secs(3));
                }
                let outbox = self.with_session(|s| s.outbox.clone());
                for (_, body) in outbox {
                    self.send_frame(&ClientFrame::Send { message: body });
                }
                // Files picked while offline (or whose upload got no answer) are uploaded now.
                self.resume_uploads();
                // A read receipt due while the socket was down (or not yet signed in) goes now.
                self.mark_read();
                if !resumed {
                    self.catch_up();
                }
            }
            SocketEvent::Down => self.link.set(Link::Offline),
            SocketEvent::Ended => self.link.set(Link::Ended),
            SocketEvent::Frame(frame) => self.on_frame(*frame),
        }
    }

    fn on_frame(&self, frame: ServerFrame) {
        match frame {
            ServerFrame::Message { message } => self.on_message(message),
            ServerFrame::Ack { message, .. } => self.on_message(message),
            ServerFrame::MessageEdited { message } | ServerFrame::MessageDeleted { message } => self.replace_message(message),
            ServerFrame::Error { error, reference: Some(muid) } => {
                self.with_session(|s| s.outbox.retain(|(m, _)| *m != muid));
                if self.file_refused(&muid, &error) {
                    return;
                }
                if error.code == ApiErrorCode::ErrBlockedReceiver {
                    let conversation = self.messages.with_untracked(|list| list.iter().find(|i| i.key == muid).map(|i| i.message.conversation_id.clone()));
                    if let Some(conversation) = conversation {
                        self.update_active(&conversation, |p| p.blocked = true);
                    }
                }
                self.set_state(&muid, SendState::Failed(error.message));
            }
            ServerFrame::Typing { sender, receiver, receiver_type, state } => {
                let me = self.me.get_untracked().uid;
                let conversation_id = match receiver_type {
                    ReceiverType::User => direct_conversation_id(&sender, &receiver),
                    ReceiverType::Group => group_conversation_id(&receiver),
                };
                if sender == me || !self.features.typing {
                    return;
                }
                self.typists.update(|list| {
                    list.retain(|t| !(t.uid == sender && t.conversation_id == conversation_id) && t.until > now_ms());
                    if state == TypingState::Started {
                        list.push(Typist { conversation_id, uid: sender, until: now_ms() + TYPING_TTL_MS });
                    }
                });
                let typists = self.typists;
                set_timeout(move || typists.update(|list| list.retain(|t| t.until > now_ms())), Duration::from_millis(TYPING_TTL_MS as u64 + 50));
            }
            ServerFrame::Receipt { kind, uid, conversation_id, message_id, .. } => {
                if uid == self.me.get_untracked().uid {
                    return;
                }
                let id: u64 = message_id.parse().unwrap_or(0);
                self.read_marks.update(|marks| {
                    let entry = marks.entry(conversation_id).or_insert((0, 0));
                    if kind == ReceiptKind::Read {
                        entry.0 = entry.0.max(id);
                    }
                    entry.1 = entry.1.max(id);
                });
            }
            ServerFrame::Presence { uid, status, .. } => {
                self.online.update(|online| {
                    online.insert(uid, status == PresenceStatus::Online);
                });
            }
            _ => {}
        }
    }

    /// After a sign-in that did not resume (the visitor had no message yet), reads over REST what was
    /// stored before it: the conversation list (which also gives the socket a message to resume after
    /// next time) and the open conversation's newest page, merged with what is shown.
    fn catch_up(&self) {
        self.load_conversations(|chat| {
            let Some(peer) = chat.active.get_untracked() else { return };
            leptos::task::spawn_local(async move {
                let (api, token) = chat.rest();
                let Ok(page) = chat.fetch_page(&api, &token, &peer, None).await else { return };
                if chat.active.get_untracked().as_ref().map(|p| &p.conversation_id) != Some(&peer.conversation_id) {
                    return;
                }
                if let Some(socket) = chat.with_session(|s| s.socket.clone()) {
                    page.iter().for_each(|m| socket.saw(&m.id));
                }
                let mut added = false;
                chat.messages.update(|list| {
                    for message in page {
                        let item = Item::stored(message);
                        if !list.iter().any(|i| i.key == item.key || i.message.id == item.message.id) {
                            // In id order, before the pending sends (no id yet), which stay last.
                            let at = list.iter().position(|i| i.id() == 0 || i.id() > item.id()).unwrap_or(list.len());
                            list.insert(at, item);
                            added = true;
                        }
                    }
                });
                if added {
                    chat.mark_read();
                }
            });
        });
    }

    fn on_message(&self, message: Message) {
        if let Some(socket) = self.with_session(|s| s.socket.clone()) {
            socket.saw(&message.id);
        }
        if message.is_reaction_record() {
            // Not a row of the log, nor news in the conversation list: the counts of the message it names.
            return self.on_reaction_record(&message);
        }
        let me = self.me.get_untracked().uid;
        let mine = message.sender == me;
        if let Some(muid) = message.muid.as_ref().filter(|_| mine) {
            let first = self.with_session(|s| {
                s.outbox.retain(|(m, _)| m != muid);
                s.on_first_send.take()
            });
            self.file_stored(muid);
            if let Some(remember) = first {
                remember();
            }
        }
        if let Some(entities) = &message.data.entities {
            if let Some(name) = entities.pointer("/sender/entity/name").and_then(|v| v.as_str()) {
                self.names.update(|names| {
                    names.insert(message.sender.clone(), name.to_owned());
                });
            }
        }
        let open = self.active.get_untracked().is_some_and(|p| p.conversation_id == message.conversation_id);
        // A reply is a row only in its open thread; a message is not one while a thread is open.
        let active = open
            && match message.parent_id.as_deref() {
                Some(parent) => self.on_reply(&message, parent),
                None => !self.stash_message(&message),
            };
        let counts = !mine && message.category != Category::Action && !(active && self.seen());
        if counts && active && self.first_unread.get_value() == 0 {
            self.first_unread.set_value(message.id.parse::<u64>().unwrap_or(0));
        }
        if active {
            let item = Item::stored(message.clone());
            self.messages.update(|list| match list.iter_mut().find(|i| i.key == item.key || (!item.message.id.is_empty() && i.message.id == item.message.id)) {
                Some(existing) => *existing = item,
                None => list.push(item),
            });
            self.typists.update(|list| list.retain(|t| !(t.uid == message.sender && t.conversation_id == message.conversation_id)));
        }
        let known = self.conversations.with_untracked(|list| list.iter().any(|c| c.peer.conversation_id == message.conversation_id));
        if known {
            self.conversations.update(|list| {
                if let Some(pos) = list.iter().position(|c| c.peer.conversation_id == message.conversation_id) {
                    let mut item = list.remove(pos);
                    item.updated_at = message.sent_at;
                    item.last = Some(message.clone());
                    if counts {
                        item.unread += 1;
                        if message.mentioned_users.iter().any(|m| m.uid == me) {
                            item.mentions += 1;
                        }
                    }
                    list.insert(0, item);
                }
            });
        } else {
            self.load_conversations(|_| {});
        }
        if !mine && message.category != Category::Action {
            self.received.set(Some(message.clone()));
        }
        if active && !mine {
            self.mark_read();
        } else if !mine {
            self.send_frame(&ClientFrame::Receipt {
                kind: ReceiptKind::Delivered,
                conversation_id: message.conversation_id.clone(),
                message_id: message.id.clone(),
            });
        }
    }
}

/// The id of the oldest of the newest `unread` messages from others (action messages not counted) among
/// `items`, oldest first: where the "New messages" line goes. The oldest loaded one when fewer are loaded.
fn first_unread(items: &[Item], me: &str, unread: u64) -> Option<u64> {
    let mut first = None;
    let mut left = unread;
    for item in items.iter().rev().filter(|i| i.message.sender != me && i.message.category != Category::Action && i.id() > 0) {
        if left == 0 {
            break;
        }
        first = Some(item.id());
        left -= 1;
    }
    first
}

/// Puts a page of messages in id order. An insertion sort: a page is short (and comes in order, or in
/// reverse), and the standard library's sorts would add kilobytes to the download.
fn oldest_first(messages: &mut [Message]) {
    let id = |m: &Message| m.id.parse::<u64>().unwrap_or(0);
    for i in 1..messages.len() {
        let mut j = i;
        while j > 0 && id(&messages[j - 1]) > id(&messages[j]) {
            messages.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The list item for a conversation from the API.
fn item_of(me: &str, conversation: Conversation) -> ConversationItem {
    let peer = match &conversation.conversation_with {
        ConversationWith::User(user) => Peer::user(me, user),
        ConversationWith::Group(group) => Peer::group(group),
    };
    ConversationItem {
        peer,
        last: conversation.last_message,
        unread: conversation.unread_message_count,
        mentions: conversation.unread_mentions_count.unwrap_or(0),
        updated_at: conversation.updated_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: u64, sender: &str, category: Category) -> Item {
        Item::stored(Message { id: id.to_string(), sender: sender.into(), category, ..Message::default() })
    }

    #[test]
    fn the_new_messages_line_goes_before_the_oldest_unread_message_from_others() {
        let items = vec![
            item(1, "ann", Category::Message),
            item(2, "me", Category::Message),
            item(3, "ann", Category::Message),
            item(4, "ann", Category::Action),
            item(5, "me", Category::Message),
            item(6, "ann", Category::Message),
        ];
        assert_eq!(first_unread(&items, "me", 0), None);
        assert_eq!(first_unread(&items, "me", 1), Some(6));
        assert_eq!(first_unread(&items, "me", 2), Some(3), "own and action messages are not counted");
        assert_eq!(first_unread(&items, "me", 9), Some(1), "more unread than loaded: the oldest loaded");
        assert_eq!(first_unread(&[], "me", 3), None);
    }

    #[test]
    fn a_page_is_put_in_id_order() {
        let mut page: Vec<Message> = [30, 9, 10, 2, 100].iter().map(|id| Message { id: id.to_string(), ..Message::default() }).collect();
        oldest_first(&mut page);
        assert_eq!(page.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["2", "9", "10", "30", "100"]);
    }
}
