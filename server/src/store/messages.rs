//! Messages, conversations, and read and delivered marks.

use async_trait::async_trait;
use confab_protocol::realtime::ReceiptKind;
use std::sync::Arc;
use tokio::sync::Notify;
use confab_protocol::ids::ConversationKey;
use confab_protocol::rest::messages::{Category, Message, MessageData, ReceiverType};

use super::{PageRequest, StoreResult};

/// A message to store.
#[derive(Debug, Clone, PartialEq)]
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
}

impl NewMessage {
    /// The conversation the message belongs to, by structure (the wire id may name two).
    pub fn key(&self) -> ConversationKey {
        ConversationKey::of_message(self.receiver_type, &self.sender, &self.receiver)
    }
}

/// The conversation a stored message belongs to.
pub fn key_of(message: &Message) -> ConversationKey {
    ConversationKey::of_message(message.receiver_type, &message.sender, &message.receiver)
}

/// Where a message list starts and which way it goes.
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

/// Which messages a list covers.
#[derive(Debug, Clone, PartialEq)]
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
    /// Newest message's time.
    pub updated_at: i64,
}
