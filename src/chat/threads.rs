//! Threads: a message's replies (`parentId`), one level deep as in the reference platform. The open
//! conversation's log leaves replies out (`hideReplies`) and shows each parent's reply count; opening a
//! thread puts the conversation's messages aside and shows the parent and its replies in the same log, with
//! the same composer (whose sends are replies), paging and actions; closing it brings the conversation back
//! as it was, with the counts replies changed meanwhile.

use confab_protocol::rest::messages::Message;
use leptos::prelude::*;

use super::{Chat, History, Item, PAGE_SIZE};
use crate::parts::{wasm_split, NotLoaded};

/// The conversation's log while a thread is open.
pub(super) struct Stash {
    items: Vec<Item>,
    history: History,
}

impl Chat {
    /// The id of the open thread's parent, if a thread is open.
    pub fn thread_id(&self) -> Option<String> {
        self.thread.with_untracked(|t| t.as_ref().map(|m| m.id.clone()))
    }

    /// Whether the visitor may open `item`'s thread (or start one): a stored message that is not itself a
    /// reply, where the variant allows threads.
    pub fn may_thread(&self, item: &Item) -> bool {
        self.features.threads && !item.message.id.is_empty() && item.message.parent_id.is_none() && self.thread.with_untracked(Option::is_none)
    }

    /// Opens the thread of `parent` (a message of the open conversation), with the code that shows it
    /// loaded on first use.
    pub fn open_thread(&self, parent: Message) {
        crate::parts::spawn(*self, open_thread_view(*self, parent));
    }

    /// Closes the open thread: the conversation's log comes back.
    pub fn close_thread(&self) {
        let Some(stash) = self.with_session(|s| s.thread_stash.take()) else { return };
        self.thread.set(None);
        self.composing.set(super::Compose::New);
        // The parent as the thread last showed it (its reactions and edits).
        let parent = self.messages.with_untracked(|list| list.first().cloned());
        let mut items = stash.items;
        if let Some(parent) = parent {
            if let Some(item) = items.iter_mut().find(|i| i.message.id == parent.message.id) {
                item.message = parent.message;
            }
        }
        self.messages.set(items);
        self.history.set(stash.history);
        self.mark_read();
    }

    /// Drops the open thread without bringing its conversation back (another conversation opens).
    pub(super) fn forget_thread(&self) {
        self.with_session(|s| s.thread_stash = None);
        self.thread.set(None);
    }

    /// Changes the message `id` with `change`, in the log and in the conversation's log put aside.
    pub(super) fn change_item(&self, id: &str, change: impl Fn(&mut Item)) {
        self.messages.update(|list| list.iter_mut().filter(|i| i.message.id == id).for_each(&change));
        self.with_session(|s| {
            if let Some(stash) = s.thread_stash.as_mut() {
                stash.items.iter_mut().filter(|i| i.message.id == id).for_each(&change);
            }
        });
    }

    /// Puts a message of the open conversation that came live while a thread is open with the conversation's
    /// log, put aside; false when no thread is open.
    pub(super) fn stash_message(&self, message: &Message) -> bool {
        self.with_session(|s| {
            let Some(stash) = s.thread_stash.as_mut() else { return false };
            let item = Item::stored(message.clone());
            match stash.items.iter_mut().find(|i| i.key == item.key || i.message.id == item.message.id) {
                Some(existing) => *existing = item,
                None => stash.items.push(item),
            }
            true
        })
    }

    /// Takes a reply that came live: into the open thread's log if it is its thread, else counted on its
    /// parent, wherever the parent is shown or put aside. True when the log took it (as a message).
    pub(super) fn on_reply(&self, reply: &Message, parent_id: &str) -> bool {
        let count = |items: &mut Vec<Item>| {
            if let Some(parent) = items.iter_mut().find(|i| i.message.id == parent_id) {
                parent.message.reply_count = Some(parent.message.reply_count.unwrap_or(0) + 1);
                parent.message.last_reply_at = Some(reply.sent_at);
            }
        };
        if self.thread_id().as_deref() == Some(parent_id) {
            // Counted once (an own reply is confirmed by its ack, and may be echoed too).
            if !self.messages.with_untracked(|list| list.iter().any(|i| i.message.id == reply.id)) {
                self.messages.update(count);
            }
            return true;
        }
        if self.thread.with_untracked(Option::is_some) {
            self.with_session(|s| {
                if let Some(stash) = s.thread_stash.as_mut() {
                    count(&mut stash.items);
                }
            });
        } else {
            self.messages.update(count);
        }
        false
    }
}

/// What [`Chat::open_thread`] does: the thread's log, its first page of replies, and the read mark; a wasm
/// part of its own (see `scripts/build-widget.sh`).
#[wasm_split(thread_view, wasm_split_path = ::leptos::wasm_split, fallible)]
fn open_thread_view(chat: Chat, parent: Message) -> Result<(), NotLoaded> {
    let stash = Stash { items: chat.messages.get_untracked(), history: chat.history.get_untracked() };
    chat.with_session(|s| s.thread_stash = Some(stash));
    chat.composing.set(super::Compose::New);
    chat.messages.set(vec![Item::stored(parent.clone())]);
    chat.history.set(History::Loading);
    chat.thread.set(Some(parent.clone()));
    leptos::task::spawn_local(async move {
        let (api, token) = chat.rest();
        let Some(peer) = chat.active.get_untracked() else { return };
        let page = chat.fetch_page(&api, &token, &peer, None).await;
        if chat.thread_id().as_deref() != Some(parent.id.as_str()) {
            return;
        }
        match page {
            Ok(replies) => {
                let complete = replies.len() < PAGE_SIZE as usize;
                chat.messages.update(|list| {
                    for reply in replies.into_iter().map(Item::stored) {
                        if !list.iter().any(|i| i.key == reply.key) {
                            let at = list.iter().position(|i| i.id() == 0 || i.id() > reply.id()).unwrap_or(list.len()).max(1);
                            list.insert(at, reply);
                        }
                    }
                });
                chat.history.set(if complete { History::Complete } else { History::More });
                chat.mark_read();
            }
            Err(_) => chat.history.set(History::More),
        }
    });
    Ok(())
}
