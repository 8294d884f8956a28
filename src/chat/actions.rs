//! Changes to messages already sent: the visitor edits or deletes their own and reacts to any, over REST
//! (the answer updates the log at once; everyone else in the conversation, and the visitor's other devices,
//! learn of it from the socket), and the log takes the changes others make as they come: edits, deletes,
//! and the records of reactions, whose counts replace the message's.

use confab_protocol::rest::conversations::Conversation;
use confab_protocol::rest::messages::{Category, EditMessage, Message, MessageData, ReactionCount, ReceiverType};
use confab_protocol::decode::Decode;
use confab_protocol::rest::Data;
use leptos::prelude::*;

use super::{Chat, Item, SendState};
use crate::i18n::fill;
use crate::net::http::{body, encode, CallError, Credential};

/// What the message box writes.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Compose {
    /// A new message.
    #[default]
    New,
    /// A reply quoting this message.
    Reply(Message),
    /// A new text for this message of the visitor's.
    Edit(Message),
}

impl Chat {
    /// Whether the visitor may edit `item`: their own stored, not deleted message with a text (a caption
    /// included), where the variant allows edits.
    pub fn may_edit(&self, item: &Item) -> bool {
        self.features.edit && self.is_own_stored(item) && item.message.data.text.is_some()
    }

    /// Whether the visitor may delete `item`: their own stored, not deleted message, or anyone's in a group
    /// they moderate, where the variant allows deletes.
    pub fn may_delete(&self, item: &Item) -> bool {
        let message = &item.message;
        let moderated = self.moderates.get_value() && message.receiver_type == ReceiverType::Group && message.category == Category::Message;
        self.features.delete && (self.is_own_stored(item) || (moderated && !message.id.is_empty() && message.deleted_at.is_none()))
    }

    fn is_own_stored(&self, item: &Item) -> bool {
        let message = &item.message;
        item.state == SendState::Stored && message.deleted_at.is_none() && message.category == Category::Message && message.sender == self.me.get_untracked().uid
    }

    /// The visitor's newest message they may edit (what the Up arrow in an empty message box edits).
    pub fn last_editable(&self) -> Option<Message> {
        self.messages.with_untracked(|list| list.iter().rev().find(|i| self.may_edit(i)).map(|i| i.message.clone()))
    }

    /// Replaces the text of the visitor's message `id` with `text`.
    pub fn edit(&self, id: &str, text: &str) {
        let edit = EditMessage { data: MessageData { text: Some(text.to_owned()), ..MessageData::default() }, tags: None };
        self.change_message("PUT", format!("/messages/{}", encode(id)), body(&edit));
    }

    /// Deletes the visitor's message `id` (or, for a group's moderator, anyone's).
    pub fn delete(&self, id: &str) {
        self.change_message("DELETE", format!("/messages/{}", encode(id)), None);
    }

    /// Gives the visitor's `reaction` to message `id`, or takes it back if they gave it.
    pub fn react(&self, id: &str, reaction: &str) {
        let given = self.messages.with_untracked(|list| {
            list.iter().find(|i| i.message.id == id).is_some_and(|i| own_reaction(&i.message, reaction, &self.me.get_untracked().uid))
        });
        let method = if given { "DELETE" } else { "POST" };
        self.change_message(method, format!("/messages/{}/reactions/{}", encode(id), encode(reaction)), None);
    }

    /// Marks the open conversation unread from message `id` on, and closes it: the list shows it with its
    /// unread count (open, it would be read again at once).
    pub fn mark_unread(&self, id: &str) {
        let Some(peer) = self.active.get_untracked() else { return };
        let path = format!("{}/conversation/read?messageId={}", peer.path(), encode(id));
        let chat = *self;
        leptos::task::spawn_local(async move {
            let (api, token) = chat.rest();
            match api.call::<Data<Conversation>>("DELETE", &path, &Credential::Token(token), None).await {
                Ok(answer) => {
                    chat.active.set(None);
                    chat.conversations.update(|list| {
                        if let Some(item) = list.iter_mut().find(|c| c.peer.conversation_id == peer.conversation_id) {
                            item.unread = answer.data.unread_message_count;
                        }
                    });
                }
                Err(error) => chat.refused(error),
            }
        });
    }

    /// Calls `method path` with `body`, and shows the message it answers; a refusal is said in the composer's
    /// notice.
    fn change_message(&self, method: &'static str, path: String, body: Option<String>) {
        let chat = *self;
        leptos::task::spawn_local(async move {
            let (api, token) = chat.rest();
            match api.call::<Data<Message>>(method, &path, &Credential::Token(token), body).await {
                Ok(answer) => chat.replace_message(answer.data),
                Err(error) => chat.refused(error),
            }
        });
    }

    /// Says in the composer's notice why a change did not happen.
    fn refused(&self, error: CallError) {
        let why = match error {
            CallError::Refused { message, .. } => message,
            CallError::Network(_) => self.text.offline.to_owned(),
        };
        crate::components::attach::notify(Some(&fill(self.text.change_failed, &why)));
    }

    /// Puts `message` (a newer version of one in the log) in its place.
    pub(super) fn replace_message(&self, message: Message) {
        let id = message.id.clone();
        self.change_item(&id, |item| {
            let quoted = item.message.quoted_message.take();
            item.message = message.clone();
            // (A realtime edit may not repeat the quoted message.)
            if item.message.quoted_message.is_none() {
                item.message.quoted_message = quoted;
            }
        });
    }

    /// Takes the record of a reaction change (see [`Message::is_reaction_record`]): the counts it carries
    /// become the message's, where the message is in the log.
    pub(super) fn on_reaction_record(&self, record: &Message) {
        let Some(entities) = record.data.entities.as_ref() else { return };
        let Some(id) = entities.pointer("/on/id").and_then(|v| v.as_str()) else { return };
        let counts = entities.pointer("/extra/reactions").map(reaction_counts).unwrap_or_default();
        self.change_item(id, |item| item.message.data.reactions = (!counts.is_empty()).then(|| counts.clone()));
    }
}

/// Whether `uid` gave `reaction` to `message`: as the server marked it for the reader, or (in counts from a
/// realtime record, which do not say) as its list of who reacted says.
fn own_reaction(message: &Message, reaction: &str, uid: &str) -> bool {
    message.data.reactions.iter().flatten().any(|c| c.reaction == reaction && reacted(c, uid))
}

/// Whether `uid` gave the reaction `count` counts.
pub fn reacted(count: &ReactionCount, uid: &str) -> bool {
    count.reacted_by_me.unwrap_or_else(|| count.uids.iter().any(|u| u == uid))
}

/// The reaction counts of a record's `extra.reactions`, leaving out what does not read as one.
fn reaction_counts(value: &serde_json::Value) -> Vec<ReactionCount> {
    value.as_array().map(|list| list.iter().filter_map(|c| ReactionCount::decode(c).ok()).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_reader_reacted_as_the_server_marked_it_or_as_the_list_of_reactors_says() {
        let counts = reaction_counts(&json!([
            {"reaction": "👍", "count": 2, "uids": ["ann", "ben"]},
            {"reaction": "🎉", "count": 30, "reactedByMe": true, "uids": ["cy"]},
            {"reaction": 5}
        ]));
        assert_eq!(counts.len(), 2, "what does not read as a count is left out");
        let message = Message { data: MessageData { reactions: Some(counts), ..MessageData::default() }, ..Message::default() };
        assert!(own_reaction(&message, "👍", "ben") && !own_reaction(&message, "👍", "cy"));
        assert!(own_reaction(&message, "🎉", "ann"), "past the listed reactors, the server's mark");
        assert!(!own_reaction(&message, "❤️", "ann"));
    }
}
