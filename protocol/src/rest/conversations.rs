//! Conversations: the list with last message and unread count, and read and delivered marks.

use serde::{Deserialize, Serialize};

use super::groups::Group;
use super::messages::{Message, ReceiverType};
use super::users::User;

/// The other side of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConversationWith {
    /// A 1:1 conversation's other user.
    User(Box<User>),
    /// A group conversation's group.
    Group(Box<Group>),
}

/// One conversation in a user's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversation {
    /// `uidA_user_uidB` or `group_GUID`.
    pub conversation_id: String,
    /// User or group.
    pub conversation_type: ReceiverType,
    /// Messages from others after the user's read mark.
    pub unread_message_count: u64,
    /// Of those, the ones that mention the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_mentions_count: Option<u64>,
    /// The newest message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<Message>,
    /// The other user, or the group.
    pub conversation_with: ConversationWith,
    /// The newest message's time, Unix seconds.
    pub updated_at: i64,
}

/// `DELETE .../conversation/read`: marks the conversation unread again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct MarkUnread {
    /// Unread from this message on; without it, from the newest message from someone else.
    pub message_id: Option<String>,
}

/// `POST .../conversation/read` and `.../delivered`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarkMessage {
    /// Mark up to this message; the newest when absent.
    pub message_id: Option<String>,
}
