//! Messages: sending, listing with cursors, editing and deleting.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether a message goes to a user or a group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReceiverType {
    /// A 1:1 conversation.
    #[default]
    User,
    /// A group conversation.
    Group,
}

impl ReceiverType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
        }
    }

    /// The receiver type with this wire name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::User, Self::Group].into_iter().find(|t| t.as_str() == name)
    }
}

/// Message categories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Category {
    /// Text and media: types `text`, `image`, `video`, `audio`, `file`.
    #[default]
    Message,
    /// Site-defined types with a `customData` object.
    Custom,
    /// Recorded by the server: group member changes, edits and deletes.
    Action,
    /// Calls.
    Call,
}

impl Category {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Custom => "custom",
            Self::Action => "action",
            Self::Call => "call",
        }
    }

    /// The category with this wire name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Message, Self::Custom, Self::Action, Self::Call].into_iter().find(|c| c.as_str() == name)
    }
}

/// Types of the `message` category.
pub const MESSAGE_TYPES: &[&str] = &["text", "image", "video", "audio", "file"];

/// A file attached to a media message. An attachment with an `id` is an upload (`POST /media`): a send
/// gives only the `id`, and the server fills in the rest from the upload, with signed URLs that expire. One
/// without is a link to a file hosted elsewhere, at `url`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    /// The upload's id (`md_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where the file is (for an upload, a signed URL).
    #[serde(default)]
    pub url: String,
    /// File name.
    pub name: Option<String>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// File extension.
    pub extension: Option<String>,
    /// Width in pixels (images and video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels (images and video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// A small JPEG of an image or a video's poster, by signed URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
}

/// The content of a message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageData {
    /// Text (type `text`, and captions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Attachments (media types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
    /// Site-defined JSON object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// Custom messages' payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<Value>,
    /// Action messages: what happened (`joined`, `left`, `kicked`, `banned`, `unbanned`, `added`,
    /// `scopeChanged`, `edited`, `deleted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Action messages: who did it (`by`), to whom or what (`on`), where (`for`), as uids, guids or ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Value>,
    /// The message's reactions, one entry per emoji in the order they were first given (kept by the server;
    /// a send or an edit cannot set them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reactions: Option<Vec<ReactionCount>>,
}

/// One emoji's reactions on a message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReactionCount {
    /// The emoji (or short text).
    pub reaction: String,
    /// How many users gave it.
    pub count: u32,
    /// Whether the user reading it gave it (absent in realtime frames, which every member shares: there the
    /// reader finds themselves in `uids`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reacted_by_me: Option<bool>,
    /// Who gave it, earliest first, at most [`MAX_REACTORS_LISTED`](crate::limits::MAX_REACTORS_LISTED) of them.
    #[serde(default)]
    pub uids: Vec<String>,
}

/// A user a message mentions, as they were named when it was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MentionedUser {
    /// The user's uid.
    pub uid: String,
    /// Their name.
    pub name: String,
}

/// One user's reaction, as `GET /messages/{id}/reactions` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reaction {
    /// The reaction's id, increasing as they are given.
    pub id: String,
    /// The message.
    pub message_id: String,
    /// The emoji.
    pub reaction: String,
    /// Who gave it.
    pub uid: String,
    /// When, Unix seconds.
    pub reacted_at: i64,
    /// The user who gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reacted_by: Option<crate::rest::users::User>,
}

/// `GET /messages/{id}/reactions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct ReactionQuery {
    /// Only this emoji.
    pub reaction: Option<String>,
    /// Page size, 1 to 100 (default 100).
    pub limit: Option<u32>,
    /// Cursor: the reaction id to continue after.
    pub id: Option<String>,
}

/// A page of reactions, earliest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReactionPage {
    /// The reactions.
    pub data: Vec<Reaction>,
    /// Cursors (`next.id` continues after the last one).
    pub meta: MessagePageMeta,
}

/// The markup a mention takes in a message's text: `<@uid:UID>`.
pub const MENTION_PREFIX: &str = "<@uid:";

/// The uids a text mentions with `<@uid:UID>`, lower-cased, each once, in order of first mention.
pub fn mentioned_uids(text: &str) -> Vec<String> {
    mentions_in(text).into_iter().map(|(_, uid)| uid).fold(Vec::new(), |mut found, uid| {
        if !found.contains(&uid) {
            found.push(uid);
        }
        found
    })
}

/// The mention markup of user `uid` in a text: `<@uid:UID>`.
pub fn mention_markup(uid: &str) -> String {
    format!("{MENTION_PREFIX}{uid}>")
}

/// Each mention markup in `text` with a valid uid: its byte range and the uid (lower case), in order.
pub fn mentions_in(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(MENTION_PREFIX).map(|at| from + at) {
        let start = at + MENTION_PREFIX.len();
        let Some(end) = text[start..].find('>').map(|end| start + end) else { break };
        let uid = text[start..end].to_ascii_lowercase();
        if crate::ids::is_valid_id(&uid) {
            found.push((at..end + 1, uid));
            from = end + 1;
        } else {
            from = start;
        }
    }
    found
}

/// The type of the action messages that record reactions (their action is [`REACTION_ADDED`] or
/// [`REACTION_REMOVED`]; `entities`: `by.uid`, `on.id`, `extra.reaction` and `extra.reactions`, the message's
/// counts after the change).
pub const REACTION_TYPE: &str = "reaction";
/// A reaction was given.
pub const REACTION_ADDED: &str = "reactionAdded";
/// A reaction was taken back.
pub const REACTION_REMOVED: &str = "reactionRemoved";

impl Message {
    /// Whether this is the action message recording a reaction change (not shown as a row of the log).
    pub fn is_reaction_record(&self) -> bool {
        self.category == Category::Action && self.message_type == REACTION_TYPE
    }
}

/// A reaction is 1 to [`MAX_REACTION_CHARS`](crate::limits::MAX_REACTION_CHARS) characters with no spaces,
/// control characters, `/`, `?`, `#` or `%`.
pub fn is_valid_reaction(reaction: &str) -> bool {
    let count = reaction.chars().count();
    (1..=crate::limits::MAX_REACTION_CHARS).contains(&count)
        && !reaction.chars().any(|c| c.is_whitespace() || c.is_control() || "/?#%".contains(c))
}

/// A stored message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    /// Server-assigned id, increasing in send order.
    pub id: String,
    /// The client's id for this send, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muid: Option<String>,
    /// `uidA_user_uidB` (sorted) or `group_GUID`.
    pub conversation_id: String,
    /// Sender uid.
    pub sender: String,
    /// Receiver uid or guid.
    pub receiver: String,
    /// User or group.
    pub receiver_type: ReceiverType,
    /// Category.
    pub category: Category,
    /// Type within the category.
    #[serde(rename = "type")]
    pub message_type: String,
    /// Content (empty once deleted).
    pub data: MessageData,
    /// Labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Send time, Unix seconds.
    pub sent_at: i64,
    /// Last change, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    /// Edit time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<i64>,
    /// Who edited it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_by: Option<String>,
    /// Delete time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
    /// Who deleted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<String>,
    /// A thread reply: the id of the message it replies to (threads are one level deep).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// A thread's first message: how many replies it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_count: Option<u32>,
    /// A thread's first message: when its newest reply was sent, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reply_at: Option<i64>,
    /// A quoted reply: the id of the message it quotes (in the same conversation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted_message_id: Option<String>,
    /// A quoted reply: the message it quotes, as it is now (deleted ones come without content).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub quoted_message: Option<Box<Message>>,
    /// The users its text mentions (`<@uid:UID>`) who may read it, as named when it was sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentioned_users: Vec<MentionedUser>,
}

/// `POST /messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendMessage {
    /// Receiver uid or guid.
    pub receiver: String,
    /// User or group.
    pub receiver_type: ReceiverType,
    /// `message` (default) or `custom`.
    pub category: Option<Category>,
    /// `text`, `image`, `video`, `audio`, `file`, or a custom type.
    #[serde(rename = "type")]
    pub message_type: String,
    /// Content, at most 65 KB serialised.
    pub data: MessageData,
    /// Client-chosen id: a retry with the same `muid` returns the first message instead of a second.
    pub muid: Option<String>,
    /// At most 25 tags.
    pub tags: Option<Vec<String>>,
    /// Sends a thread reply to this message (of the same conversation, and not a reply itself).
    pub parent_id: Option<String>,
    /// Quotes this message of the same conversation.
    pub quoted_message_id: Option<String>,
}

/// `PUT /messages/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditMessage {
    /// New content (text, metadata, customData).
    pub data: MessageData,
    /// New tags.
    pub tags: Option<Vec<String>>,
}

/// `GET /messages` cursors and filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct MessageQuery {
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Cursor: a message id.
    pub id: Option<String>,
    /// Cursor: a send time (Unix seconds), when no `id` is given.
    pub sent_at: Option<i64>,
    /// `prepend` (default): messages before the cursor, newest page first; `append`: after it.
    pub affix: Option<String>,
    /// Only this conversation.
    pub conversation_id: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// Only this type.
    #[serde(rename = "type")]
    pub message_type: Option<String>,
    /// Only messages from this uid.
    pub sender: Option<String>,
    /// Leave out deleted messages.
    pub hide_deleted: Option<bool>,
    /// Leave out thread replies (the thread's first message stays, with its `replyCount`).
    pub hide_replies: Option<bool>,
    /// Only messages whose text holds every word of this, each as a word's start (full-text), at most 100
    /// characters; pages of at most 100.
    pub search_key: Option<String>,
}

/// A page of messages: oldest first, with the cursor for the next page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagePage {
    /// The messages, oldest first.
    pub data: Vec<Message>,
    /// Cursors.
    pub meta: MessagePageMeta,
}

/// Cursors of a message page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagePageMeta {
    /// This page.
    pub current: MessageCursor,
    /// Where the next page (further in the same direction) starts; absent at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<MessageCursor>,
}

/// A position in a message list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageCursor {
    /// Page size.
    pub limit: u32,
    /// Messages on the page (current only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Direction.
    pub affix: String,
    /// Message id to continue from (next only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}
