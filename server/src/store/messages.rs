//! Messages, conversations, and read and delivered marks.

use async_trait::async_trait;
use confab_protocol::realtime::ReceiptKind;
use std::sync::Arc;
use tokio::sync::Notify;
use confab_protocol::ids::ConversationKey;
use confab_protocol::rest::messages::{Category, MentionedUser, Message, MessageData, ReactionCount, ReceiverType};

use super::{PageRequest, StoreResult};

/// A message to store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewMessage {
    /// Sender uid (the acting user; for app actions, `app_system`).
    pub sender: String,
    /// Receiver uid or guid.
    pub receiver: String,
    /// User or group.
    pub receiver_type: ReceiverType,
    /// Category.
    pub category: Category,
    /// Type.
    pub message_type: String,
    /// Content.
    pub data: MessageData,
    /// Tags.
    pub tags: Vec<String>,
    /// Client id for idempotent sends.
    pub muid: Option<String>,
    /// Send time.
    pub sent_at: i64,
    /// A thread reply's parent (checked by the caller: of the same conversation, not a reply itself).
    pub parent_id: Option<i64>,
    /// The message a quoted reply quotes (checked by the caller: of the same conversation).
    pub quoted_id: Option<i64>,
    /// The users the text mentions who may read it.
    pub mentions: Vec<MentionedUser>,
}

pub use confab_protocol::rest::messages::{REACTION_ADDED, REACTION_REMOVED, REACTION_TYPE};

impl NewMessage {
    /// The action message that records `change` on `message` (see [`REACTION_TYPE`]): in the message's
    /// conversation, so a 1:1 reaction goes from the reactor to the other user.
    pub fn reaction_record(message: &Message, change: &ReactionChange<'_>) -> Self {
        let uid = change.uid;
        let to_sender = message.receiver == uid && message.receiver_type == ReceiverType::User;
        NewMessage {
            sender: uid.to_owned(),
            receiver: if to_sender { message.sender.clone() } else { message.receiver.clone() },
            receiver_type: message.receiver_type,
            category: Category::Action,
            message_type: REACTION_TYPE.into(),
            data: MessageData {
                action: Some(if change.add { REACTION_ADDED } else { REACTION_REMOVED }.into()),
                entities: Some(serde_json::json!({"by": {"uid": uid}, "on": {"id": message.id}, "extra": {"reaction": change.reaction}})),
                ..MessageData::default()
            },
            sent_at: change.now,
            ..NewMessage::default()
        }
    }

    /// The conversation the message belongs to, by structure (the wire id may name two).
    pub fn key(&self) -> ConversationKey {
        ConversationKey::of_message(self.receiver_type, &self.sender, &self.receiver)
    }

    /// Whether storing it makes it its conversation's newest message: every message but a reaction's
    /// record, which changes neither the conversation list's order nor its preview.
    pub fn moves_conversation(&self) -> bool {
        !self.is_reaction_record()
    }

    /// Whether this is the action message that records a reaction change.
    pub fn is_reaction_record(&self) -> bool {
        self.category == Category::Action && self.message_type == REACTION_TYPE
    }
}

/// The conversation a stored message belongs to.
pub fn key_of(message: &Message) -> ConversationKey {
    ConversationKey::of_message(message.receiver_type, &message.sender, &message.receiver)
}

/// Where a message list starts and which way it goes (by default: from the newest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// The newest messages, before this id (exclusive); `None`: from the newest.
    Before(Option<i64>),
    /// The oldest messages, after this id (exclusive); `None`: from the oldest.
    After(Option<i64>),
    /// Messages sent before this time.
    BeforeTime(i64),
    /// Messages sent at or after this time.
    AfterTime(i64),
}

impl Default for Cursor {
    fn default() -> Self {
        Self::Before(None)
    }
}

/// Which messages a list covers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageFilter {
    /// One conversation.
    pub conversation_id: Option<ConversationKey>,
    /// Only what this user may read: their 1:1 conversations, and the messages of each group from the
    /// periods in which they were a member.
    pub participant: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Type.
    pub message_type: Option<String>,
    /// Sender.
    pub sender: Option<String>,
    /// Leave out deleted messages.
    pub hide_deleted: bool,
    /// Leave out thread replies.
    pub hide_replies: bool,
    /// Leave out the action messages that record reactions (the lists show a message's reactions on it;
    /// resume sends them, so a device learns the changes it missed).
    pub hide_reaction_records: bool,
    /// Only the replies of this thread.
    pub parent_id: Option<i64>,
    /// Only messages whose text holds every one of these words, each as a word's start.
    pub search: Option<Vec<String>>,
    /// Start and direction.
    pub cursor: Cursor,
    /// Most messages to return.
    pub limit: u32,
}

/// An edit or delete of a stored message, recorded by an action message.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageChange {
    /// New content and tags.
    Edit {
        /// New data.
        data: MessageData,
        /// New tags, when given.
        tags: Option<Vec<String>>,
    },
    /// Clear the content and mark deleted.
    Delete,
}

/// A reaction to give or take back.
#[derive(Debug, Clone, PartialEq)]
pub struct ReactionChange<'a> {
    /// The message.
    pub message_id: i64,
    /// Who.
    pub uid: &'a str,
    /// The emoji.
    pub reaction: &'a str,
    /// Give it (true) or take it back.
    pub add: bool,
    /// When.
    pub now: i64,
}

/// What became of a reaction change.
#[derive(Debug, Clone, PartialEq)]
pub enum ReactionOutcome {
    /// Done and recorded by an action message; the message with its reactions now.
    Changed(Message),
    /// Nothing to do (given already); the message as it is.
    Unchanged(Message),
    /// No such message, or deleted.
    NoMessage,
    /// The user has not given this reaction.
    NotGiven,
    /// The message has [`MAX_REACTIONS_PER_MESSAGE`](confab_protocol::limits::MAX_REACTIONS_PER_MESSAGE)
    /// different reactions already.
    TooManyOnMessage,
    /// The user gave the message [`MAX_REACTIONS_PER_USER`](confab_protocol::limits::MAX_REACTIONS_PER_USER)
    /// reactions already.
    TooManyByUser,
}

/// What a message's reactions hold, as a change of one finds them (in its transaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReactionsFound {
    /// The user gave this reaction already.
    pub given: bool,
    /// Someone gave this emoji already.
    pub emoji_there: bool,
    /// Different emoji on the message.
    pub distinct: i64,
    /// Reactions the user gave the message.
    pub mine: i64,
}

/// What a reaction change does to what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactionStep {
    /// Add the user's reaction.
    Insert,
    /// Take the user's reaction away.
    Delete,
    /// Nothing: given already.
    Unchanged,
    /// Refused: not given.
    NotGiven,
    /// Refused: too many different emoji on the message.
    TooManyOnMessage,
    /// Refused: too many reactions by the user.
    TooManyByUser,
}

/// The step `add` (give, else take back) makes on a message whose reactions are `found`, with the limits.
pub fn reaction_step(add: bool, found: ReactionsFound) -> ReactionStep {
    use confab_protocol::limits::{MAX_REACTIONS_PER_MESSAGE, MAX_REACTIONS_PER_USER};
    match (add, found.given) {
        (true, true) => ReactionStep::Unchanged,
        (false, false) => ReactionStep::NotGiven,
        (true, false) if !found.emoji_there && found.distinct as usize >= MAX_REACTIONS_PER_MESSAGE => ReactionStep::TooManyOnMessage,
        (true, false) if found.mine as usize >= MAX_REACTIONS_PER_USER => ReactionStep::TooManyByUser,
        (true, false) => ReactionStep::Insert,
        (false, true) => ReactionStep::Delete,
    }
}

/// A message's reaction counts from its reactions as (emoji, uid), earliest first: one entry per emoji in
/// the order they were first given, naming at most [`MAX_REACTORS_LISTED`] reactors each.
///
/// [`MAX_REACTORS_LISTED`]: confab_protocol::limits::MAX_REACTORS_LISTED
pub fn reaction_counts(given: impl IntoIterator<Item = (String, String)>) -> Vec<ReactionCount> {
    let mut counts: Vec<ReactionCount> = Vec::new();
    for (reaction, uid) in given {
        let at = match counts.iter().position(|c| c.reaction == reaction) {
            Some(at) => at,
            None => {
                counts.push(ReactionCount { reaction, ..ReactionCount::default() });
                counts.len() - 1
            }
        };
        let entry = &mut counts[at];
        entry.count += 1;
        if entry.uids.len() < confab_protocol::limits::MAX_REACTORS_LISTED {
            entry.uids.push(uid);
        }
    }
    counts
}

/// The reaction counts a `reactions` column holds (none when it is NULL or empty).
pub fn reactions_column(text: Option<String>) -> Result<Option<Vec<ReactionCount>>, serde_json::Error> {
    Ok(text.map(|t| serde_json::from_str::<Vec<ReactionCount>>(&t)).transpose()?.filter(|r| !r.is_empty()))
}

/// The mentions a `mentions` column holds.
pub fn mentions_column(text: Option<String>) -> Result<Vec<MentionedUser>, serde_json::Error> {
    Ok(text.map(|t| serde_json::from_str(&t)).transpose()?.unwrap_or_default())
}

/// `record` with the message's reaction counts after the change in `entities.extra.reactions`.
pub fn reaction_record(record: &NewMessage, counts: &[ReactionCount]) -> NewMessage {
    let mut record = record.clone();
    if let Some(entities) = record.data.entities.as_mut().and_then(serde_json::Value::as_object_mut) {
        let extra = entities.entry("extra").or_insert_with(|| serde_json::json!({}));
        if let Some(extra) = extra.as_object_mut() {
            extra.insert("reactions".into(), serde_json::to_value(counts).expect("reaction counts serialise"));
        }
    }
    record
}

/// One stored reaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionRow {
    /// Its id.
    pub id: i64,
    /// The message.
    pub message_id: i64,
    /// The emoji.
    pub reaction: String,
    /// Who gave it.
    pub uid: String,
    /// When.
    pub reacted_at: i64,
}

/// Why a send was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendRefusal {
    /// The sender does not exist or is deactivated.
    SenderInactive,
    /// No such (active) user, or no such group.
    NoReceiver,
    /// One of the two users blocked the other.
    Blocked,
    /// The sender is not a member of the group.
    NotMember,
}

/// What became of a send.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// Stored (`created`), or found stored already under the same `muid` (not `created`).
    Stored {
        /// The stored message.
        message: Message,
        /// False when the `muid` was used before and this is the first message.
        created: bool,
    },
    /// Refused; nothing stored.
    Refused(SendRefusal),
}

/// Messages and conversations.
#[async_trait]
pub trait MessageStore: Send + Sync + 'static {
    /// Woken after every commit that stored messages (the realtime tailer waits on it).
    fn message_log_signal(&self) -> Arc<Notify>;
    /// Up to `limit` stored messages with ids above `after`, of every app, in id order, with their app.
    async fn message_log(&self, after: i64, limit: u32) -> StoreResult<Vec<(String, Message)>>;
    /// The newest message id, 0 when there is none.
    async fn newest_message_id(&self) -> StoreResult<i64>;
    /// Checks that the sender may send to the receiver (both active, no block either way, a member of the
    /// group) and stores the message, in one transaction, durably before answering. With a `muid` the
    /// sender used before, answers the stored message instead of storing a second one.
    async fn send_message(&self, app_id: &str, message: NewMessage) -> StoreResult<SendOutcome>;
    /// The message with this id (none of a conversation closed by a user's deletion).
    async fn message(&self, app_id: &str, id: i64) -> StoreResult<Option<Message>>;
    /// Messages by `filter`, oldest first.
    async fn list_messages(&self, app_id: &str, filter: &MessageFilter) -> StoreResult<Vec<Message>>;
    /// Applies `change` by `by` and stores `action`; the changed message, or `None` when absent.
    async fn change_message(
        &self,
        app_id: &str,
        id: i64,
        change: &MessageChange,
        by: &str,
        action: &NewMessage,
        now: i64,
    ) -> StoreResult<Option<Message>>;
    /// Gives or takes back a reaction, with the limits, and records the change with `record` (an action
    /// message of type [`REACTION_TYPE`], to which the store adds `entities.extra.reactions`: the message's
    /// reactions after the change), in one transaction.
    async fn change_reaction(&self, app_id: &str, change: &ReactionChange<'_>, record: &NewMessage) -> StoreResult<ReactionOutcome>;
    /// A message's reactions, earliest first: of one emoji if given, after reaction id `after`.
    async fn reactions(&self, app_id: &str, message_id: i64, reaction: Option<&str>, after: i64, limit: u32) -> StoreResult<Vec<ReactionRow>>;
    /// Which of `message_ids` `uid` reacted to, and with what.
    async fn reactions_by(&self, app_id: &str, uid: &str, message_ids: &[i64]) -> StoreResult<Vec<(i64, String)>>;
    /// The messages with these ids (those that exist), in id order.
    async fn messages_by_id(&self, app_id: &str, ids: &[i64]) -> StoreResult<Vec<Message>>;
    /// Moves `uid`'s read mark of the conversation back to `read_up_to` (never forward: a mark already
    /// below it stays); the delivered mark stays.
    async fn mark_unread(&self, app_id: &str, uid: &str, key: &ConversationKey, read_up_to: i64) -> StoreResult<()>;
    /// `uid`'s conversations, newest first, with last message and unread count, and the total.
    async fn conversations(&self, app_id: &str, uid: &str, page: PageRequest) -> StoreResult<(Vec<ConversationRow>, u64)>;
    /// One of `uid`'s conversations.
    async fn conversation(&self, app_id: &str, uid: &str, key: &ConversationKey) -> StoreResult<Option<ConversationRow>>;
    /// Whether the conversation has a stored message.
    async fn conversation_exists(&self, app_id: &str, key: &ConversationKey) -> StoreResult<bool>;
    /// Moves `uid`'s mark of `kind` in the conversation up to `message_id` (never back); a read mark moves
    /// the delivered mark too.
    async fn mark(&self, app_id: &str, uid: &str, key: &ConversationKey, message_id: i64, kind: ReceiptKind) -> StoreResult<()>;
}

/// A conversation as stored: the API fills in `conversationWith`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRow {
    /// The conversation.
    pub key: ConversationKey,
    /// Its wire id.
    pub conversation_id: String,
    /// User or group.
    pub conversation_type: ReceiverType,
    /// The other uid, or the guid.
    pub with_id: String,
    /// Newest message.
    pub last_message: Option<Message>,
    /// Unread messages from others (action messages do not count).
    pub unread: u64,
    /// Of those, the ones that mention the user.
    pub unread_mentions: u64,
    /// Newest message's time.
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_protocol::limits::{MAX_REACTIONS_PER_MESSAGE, MAX_REACTIONS_PER_USER};

    #[test]
    fn a_reaction_change_gives_takes_back_or_is_refused_at_the_limits() {
        let none = ReactionsFound { given: false, emoji_there: false, distinct: 0, mine: 0 };
        assert_eq!(reaction_step(true, none), ReactionStep::Insert);
        assert_eq!(reaction_step(false, none), ReactionStep::NotGiven);
        assert_eq!(reaction_step(true, ReactionsFound { given: true, ..none }), ReactionStep::Unchanged);
        assert_eq!(reaction_step(false, ReactionsFound { given: true, ..none }), ReactionStep::Delete);
        let full = ReactionsFound { distinct: MAX_REACTIONS_PER_MESSAGE as i64, ..none };
        assert_eq!(reaction_step(true, full), ReactionStep::TooManyOnMessage);
        assert_eq!(reaction_step(true, ReactionsFound { emoji_there: true, ..full }), ReactionStep::Insert, "an emoji already there is no new one");
        assert_eq!(reaction_step(true, ReactionsFound { mine: MAX_REACTIONS_PER_USER as i64, ..none }), ReactionStep::TooManyByUser);
    }
}
