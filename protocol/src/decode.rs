//! Reading wire JSON into the types the widget receives, without serde's derived `Deserialize`.
//!
//! The widget reads what the browser's `JSON.parse` made, through [`Json`]. Serde's derived decoders,
//! instantiated for that format (and twice for the `type`-tagged frames, which serde buffers), were the
//! largest part of the widget's download; these hand-written ones are a small fraction of it. Each
//! [`Decode`] impl names the fields its type's serde attributes name: `protocol/tests/decode.rs` decodes
//! what serde encodes, for every type here, and compares.
//!
//! Decoding is lenient where a client can afford it (an absent list is empty) and strict where a value
//! matters (a required field or an unknown enum name is an error naming the field).

use serde_json::Value;

use crate::api_error::{ApiErrorBody, ApiErrorCode, ApiErrorEnvelope, ErrorDetails};
use crate::bridge::{FrameMessage, FrameMessageKind};
use crate::realtime::{PresenceStatus, ReceiptKind, ServerFrame, TypingState};
use crate::rest::auth::Session;
use crate::rest::conversations::{Conversation, ConversationWith};
use crate::rest::groups::{Group, GroupMember, GroupType, MemberScope};
use crate::rest::media::{Media, MediaKind};
use crate::rest::messages::{
    Attachment, Category, MentionedUser, Message, MessageCursor, MessageData, MessagePage, MessagePageMeta, ReactionCount,
    ReceiverType,
};
use crate::rest::users::User;
use crate::rest::{Data, Page, PageMeta, Pagination};
use crate::widget_config::{
    ConfigErrorCode, ConfigProblem, VisitorProfile, WidgetConfig, DEFAULT_DOCKED_ALIGNMENT, DEFAULT_HEIGHT, DEFAULT_THEME,
    DEFAULT_WIDTH,
};

/// A parsed JSON value the decoders can read.
pub trait Json: Sized {
    /// Field `key` of an object; `None` when it is absent or null, or this is not an object.
    fn field(&self, key: &str) -> Option<Self>;
    /// The string, if this is one.
    fn string(&self) -> Option<String>;
    /// The number, if this is one.
    fn number(&self) -> Option<f64>;
    /// The boolean, if this is one.
    fn boolean(&self) -> Option<bool>;
    /// The elements, if this is an array.
    fn elements(&self) -> Option<Vec<Self>>;
    /// This value as a `serde_json::Value` (for free-form fields such as `metadata`).
    fn to_value(&self) -> Value;
}

impl Json for Value {
    fn field(&self, key: &str) -> Option<Self> {
        self.get(key).filter(|v| !v.is_null()).cloned()
    }
    fn string(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }
    fn number(&self) -> Option<f64> {
        self.as_f64()
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
    fn elements(&self) -> Option<Vec<Self>> {
        self.as_array().cloned()
    }
    fn to_value(&self) -> Value {
        self.clone()
    }
}

/// Why a value could not be decoded: the path of the field at fault (`data.0.sender`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl DecodeError {
    fn within(self, key: &str) -> Self {
        if self.0.is_empty() {
            Self(key.to_owned())
        } else {
            Self(format!("{key}.{}", self.0))
        }
    }
}

/// A type read from wire JSON.
pub trait Decode: Sized {
    /// Reads `json`.
    fn decode<J: Json>(json: &J) -> Result<Self, DecodeError>;

    /// The value of an absent or null field, or `None` when the field is required.
    fn absent() -> Option<Self> {
        None
    }
}

/// Field `key` of `json`, decoded.
pub fn field<J: Json, T: Decode>(json: &J, key: &str) -> Result<T, DecodeError> {
    match json.field(key) {
        Some(value) => T::decode(&value).map_err(|e| e.within(key)),
        None => T::absent().ok_or_else(|| DecodeError(key.to_owned())),
    }
}

fn wrong<T>() -> Result<T, DecodeError> {
    Err(DecodeError(String::new()))
}

impl Decode for String {
    fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
        json.string().map_or_else(wrong, Ok)
    }
}

impl Decode for bool {
    fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
        json.boolean().map_or_else(wrong, Ok)
    }
}

/// Whole numbers (JSON numbers are doubles in the browser: exact up to 2^53, far beyond any timestamp
/// or count here).
macro_rules! decode_integer {
    ($($t:ty),*) => {$(
        impl Decode for $t {
            fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
                match json.number() {
                    Some(n) if n.fract() == 0.0 && n >= <$t>::MIN as f64 && n <= <$t>::MAX as f64 => Ok(n as $t),
                    _ => wrong(),
                }
            }
        }
    )*};
}
decode_integer!(i64, u64, u32);

impl Decode for Value {
    fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
        Ok(json.to_value())
    }
    fn absent() -> Option<Self> {
        Some(Value::Null)
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
        T::decode(json).map(Some)
    }
    fn absent() -> Option<Self> {
        Some(None)
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
        let Some(items) = json.elements() else { return wrong() };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(T::decode(item).map_err(|e| e.within(&i.to_string()))?);
        }
        Ok(out)
    }
    fn absent() -> Option<Self> {
        Some(Vec::new())
    }
}

impl<T: Decode> Decode for Box<T> {
    fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
        T::decode(json).map(Box::new)
    }
}

/// Enums that travel as their name, through their `parse`.
macro_rules! decode_by_name {
    ($($t:ty),*) => {$(
        impl Decode for $t {
            fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
                json.string().and_then(|name| <$t>::parse(&name)).map_or_else(wrong, Ok)
            }
        }
    )*};
}
decode_by_name!(ReceiverType, Category, GroupType, MemberScope, ApiErrorCode, MediaKind);

/// Enums whose wire names are their serde names, listed here.
macro_rules! decode_by_list {
    ($($t:ident { $($variant:ident = $wire:literal),* })*) => {$(
        impl Decode for $t {
            fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
                match json.string().as_deref() {
                    $(Some($wire) => Ok(Self::$variant),)*
                    _ => wrong(),
                }
            }
        }
    )*};
}
decode_by_list! {
    TypingState { Started = "started", Ended = "ended" }
    ReceiptKind { Delivered = "delivered", Read = "read" }
    PresenceStatus { Online = "online", Offline = "offline" }
}

impl Decode for ConfigErrorCode {
    fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
        let name = json.string();
        Self::ALL.into_iter().find(|c| name.as_deref() == Some(c.as_str())).map_or_else(wrong, Ok)
    }
}

/// Structs decoded field by field: `Type { rust_field: "wireName", ... }`.
macro_rules! decode_struct {
    ($t:ident $(<$g:ident>)? { $($field:ident: $wire:literal),* $(,)? }) => {
        impl$(<$g: Decode>)? Decode for $t$(<$g>)? {
            fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
                Ok(Self { $($field: field(json, $wire)?,)* })
            }
        }
    };
}

decode_struct!(User {
    uid: "uid", name: "name", avatar: "avatar", link: "link", role: "role", status_message: "statusMessage",
    metadata: "metadata", tags: "tags", status: "status", last_active_at: "lastActiveAt", created_at: "createdAt",
    updated_at: "updatedAt", deactivated_at: "deactivatedAt", blocked_by_me: "blockedByMe",
    has_blocked_me: "hasBlockedMe", auth_token: "authToken",
});
decode_struct!(Group {
    guid: "guid", name: "name", group_type: "type", icon: "icon", description: "description", metadata: "metadata",
    owner: "owner", tags: "tags", members_count: "membersCount", scope: "scope", has_joined: "hasJoined",
    joined_at: "joinedAt", conversation_id: "conversationId", created_at: "createdAt", updated_at: "updatedAt",
});
decode_struct!(GroupMember { uid: "uid", name: "name", avatar: "avatar", scope: "scope", joined_at: "joinedAt" });
decode_struct!(Attachment {
    id: "id", url: "url", name: "name", mime_type: "mimeType", size: "size", extension: "extension", width: "width",
    height: "height", thumbnail: "thumbnail",
});
decode_struct!(Media {
    id: "id", kind: "kind", url: "url", name: "name", size: "size", mime_type: "mimeType", extension: "extension",
    width: "width", height: "height", thumbnail: "thumbnail", expires_at: "expiresAt",
});
decode_struct!(MessageData {
    text: "text", attachments: "attachments", metadata: "metadata", custom_data: "customData", action: "action",
    entities: "entities", reactions: "reactions",
});
decode_struct!(ReactionCount { reaction: "reaction", count: "count", reacted_by_me: "reactedByMe", uids: "uids" });
decode_struct!(MentionedUser { uid: "uid", name: "name" });
decode_struct!(Message {
    id: "id", muid: "muid", conversation_id: "conversationId", sender: "sender", receiver: "receiver",
    receiver_type: "receiverType", category: "category", message_type: "type", data: "data", tags: "tags",
    sent_at: "sentAt", updated_at: "updatedAt", edited_at: "editedAt", edited_by: "editedBy",
    deleted_at: "deletedAt", deleted_by: "deletedBy", parent_id: "parentId", reply_count: "replyCount",
    last_reply_at: "lastReplyAt", quoted_message_id: "quotedMessageId", quoted_message: "quotedMessage",
    mentioned_users: "mentionedUsers",
});
decode_struct!(MessageCursor { limit: "limit", count: "count", affix: "affix", id: "id" });
decode_struct!(MessagePageMeta { current: "current", next: "next" });
decode_struct!(MessagePage { data: "data", meta: "meta" });
decode_struct!(Conversation {
    conversation_id: "conversationId", conversation_type: "conversationType",
    unread_message_count: "unreadMessageCount", unread_mentions_count: "unreadMentionsCount", last_message: "lastMessage",
    conversation_with: "conversationWith", updated_at: "updatedAt",
});
decode_struct!(Pagination {
    total: "total", count: "count", per_page: "perPage", current_page: "currentPage", total_pages: "totalPages",
});
decode_struct!(PageMeta { pagination: "pagination" });
decode_struct!(Page<T> { data: "data", meta: "meta" });
decode_struct!(Data<T> { data: "data" });
decode_struct!(Session { user: "user", auth_token: "authToken" });
decode_struct!(ApiErrorBody { code: "code", message: "message", details: "details" });
decode_struct!(ApiErrorEnvelope { error: "error" });
decode_struct!(ConfigProblem { code: "code", field: "field", message: "message" });
decode_struct!(VisitorProfile { name: "name", avatar: "avatar", link: "link" });

/// Absent details are empty ones, as serde's `default` has it.
impl Decode for ErrorDetails {
    fn absent() -> Option<Self> {
        Some(Self::default())
    }
    fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
        Ok(Self { field: field(json, "field")?, limit: field(json, "limit")? })
    }
}


/// A conversation is with a group when its peer has a `guid`, else with a user (serde's untagged order).
impl Decode for ConversationWith {
    fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
        match json.field("guid") {
            Some(_) => Ok(Self::Group(Box::decode(json)?)),
            None => Ok(Self::User(Box::decode(json)?)),
        }
    }
}

/// A string field, or `default` when it is absent.
fn text_or<J: Json>(json: &J, key: &str, default: &str) -> Result<String, DecodeError> {
    Ok(field::<J, Option<String>>(json, key)?.unwrap_or_else(|| default.to_owned()))
}

/// A boolean field, or `true` when it is absent.
fn flag_or_true<J: Json>(json: &J, key: &str) -> Result<bool, DecodeError> {
    Ok(field::<J, Option<bool>>(json, key)?.unwrap_or(true))
}

impl Decode for WidgetConfig {
    fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
        Ok(Self {
            app_id: text_or(json, "appID", "")?,
            region: text_or(json, "region", "")?,
            mode: text_or(json, "mode", "")?,
            auth_key: field(json, "authKey")?,
            uid: field(json, "uid")?,
            user_hash: field(json, "userHash")?,
            auth_token: field(json, "authToken")?,
            user: field(json, "user")?,
            mount: field(json, "mount")?,
            width: text_or(json, "width", DEFAULT_WIDTH)?,
            height: text_or(json, "height", DEFAULT_HEIGHT)?,
            is_docked: flag_or_true(json, "isDocked")?,
            docked_alignment: text_or(json, "dockedAlignment", DEFAULT_DOCKED_ALIGNMENT)?,
            variant_id: field(json, "variantID")?,
            variant: json.field("variant").map(|v| v.to_value()),
            chat_type: field(json, "chatType")?,
            default_chat_id: field(json, "defaultChatID")?,
            auto_open_first_item: flag_or_true(json, "autoOpenFirstItem")?,
            language: field(json, "language")?,
            api_base: field(json, "apiBase")?,
            theme: text_or(json, "theme", DEFAULT_THEME)?,
        })
    }
}

impl Decode for FrameMessage {
    fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
        let kind: String = field(json, "type")?;
        let kind = FrameMessageKind::ALL.into_iter().find(|k| k.as_str() == kind).ok_or_else(|| DecodeError("type".into()))?;
        Ok(match kind {
            FrameMessageKind::Ready => Self::Ready,
            FrameMessageKind::Config => Self::Config { config: field(json, "config")?, guest_token: field(json, "guestToken")? },
            FrameMessageKind::Remember => Self::Remember { token: field(json, "token")? },
            FrameMessageKind::OpenChat => Self::OpenChat { chat_type: field(json, "chatType")?, id: field(json, "id")? },
            FrameMessageKind::Visible => Self::Visible { visible: field(json, "visible")? },
            FrameMessageKind::Unread => Self::Unread { count: field(json, "count")? },
            FrameMessageKind::Event => Self::Event { name: field(json, "name")?, detail: field(json, "detail")? },
            FrameMessageKind::Close => Self::Close,
            FrameMessageKind::Error => Self::Error { problem: field(json, "problem")? },
        })
    }
}

impl Decode for ServerFrame {
    fn decode<J: Json>(json: &J) -> Result<Self, DecodeError> {
        let kind: String = field(json, "type")?;
        Ok(match kind.as_str() {
            "ready" => Self::Ready { v: field(json, "v")?, user: field(json, "user")? },
            "caughtUp" => Self::CaughtUp { last_message_id: field(json, "lastMessageId")? },
            "message" => Self::Message { message: field(json, "message")? },
            "messageEdited" => Self::MessageEdited { message: field(json, "message")? },
            "messageDeleted" => Self::MessageDeleted { message: field(json, "message")? },
            "ack" => Self::Ack { muid: field(json, "muid")?, message: field(json, "message")? },
            "typing" => Self::Typing {
                sender: field(json, "sender")?,
                receiver: field(json, "receiver")?,
                receiver_type: field(json, "receiverType")?,
                state: field(json, "state")?,
            },
            "receipt" => Self::Receipt {
                kind: field(json, "kind")?,
                uid: field(json, "uid")?,
                conversation_id: field(json, "conversationId")?,
                message_id: field(json, "messageId")?,
                at: field(json, "at")?,
            },
            "presence" => Self::Presence { uid: field(json, "uid")?, status: field(json, "status")?, last_active_at: field(json, "lastActiveAt")? },
            "groupMember" => Self::GroupMember {
                guid: field(json, "guid")?,
                action: field(json, "action")?,
                uid: field(json, "uid")?,
                by: field(json, "by")?,
                scope: field(json, "scope")?,
            },
            "transient" => Self::Transient {
                sender: field(json, "sender")?,
                receiver: field(json, "receiver")?,
                receiver_type: field(json, "receiverType")?,
                data: field(json, "data")?,
            },
            "error" => Self::Error { error: field(json, "error")?, reference: field(json, "ref")? },
            "pong" => Self::Pong,
            _ => return Err(DecodeError("type".into())),
        })
    }
}
