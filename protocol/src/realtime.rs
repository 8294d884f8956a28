//! Realtime frames: what a device and the server say over the WebSocket at `/v3/ws`.
//!
//! Every frame is a JSON text frame tagged by `type`. The first frame a device sends is [`ClientFrame::Auth`]
//! (the session token travels in the socket, never in its URL); the server answers [`ServerFrame::Ready`],
//! then, when the device said which message it had last, every message it missed, in id order, then
//! [`ServerFrame::CaughtUp`], then live traffic. Messages of one conversation always arrive in id order.
//! A refused frame is answered with [`ServerFrame::Error`] carrying a stable code; the socket stays open
//! unless the close codes in [`close_code`] say otherwise.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api_error::ApiErrorBody;
use crate::rest::groups::MemberScope;
use crate::rest::messages::{Message, ReceiverType, SendMessage};
use crate::rest::users::User;

/// The frame protocol version the server speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// WebSocket close codes the server uses.
pub mod close_code {
    /// The first frame was not a valid `auth`, or came too late.
    pub const AUTH_FAILED: u16 = 4001;
    /// The session token was deleted or the user deactivated.
    pub const REVOKED: u16 = 4003;
    /// The device fell too far behind; reconnect and resume from the last message it has.
    pub const RESUME: u16 = 4008;
    /// Nothing came from the device within the idle timeout.
    pub const IDLE: u16 = 4009;
    /// The device sent frames the server cannot read, again and again.
    pub const PROTOCOL: u16 = 4010;
}

/// Whether someone started or stopped typing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TypingState {
    /// Started typing.
    Started,
    /// Stopped typing (or went quiet long enough).
    Ended,
}

/// Which mark a receipt moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptKind {
    /// Delivered to a device.
    Delivered,
    /// Read by the user.
    Read,
}

/// Online or offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PresenceStatus {
    /// At least one device is connected.
    Online,
    /// No device is connected.
    Offline,
}

/// A frame from a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ClientFrame {
    /// Sign in the socket; must be the first frame.
    #[serde(rename_all = "camelCase")]
    Auth {
        /// Frame protocol version the device speaks.
        v: u32,
        /// The app.
        app_id: String,
        /// The session token.
        auth_token: String,
        /// The last message id the device has: everything after it is sent before live traffic.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_message_id: Option<String>,
    },
    /// Send a message, as over REST; answered by [`ServerFrame::Ack`] or an error with `ref` = its muid.
    Send {
        /// The message.
        message: SendMessage,
    },
    /// Typing started or ended in a conversation.
    #[serde(rename_all = "camelCase")]
    Typing {
        /// The other user, or the group.
        receiver: String,
        /// User or group.
        receiver_type: ReceiverType,
        /// Started or ended.
        state: TypingState,
    },
    /// Moves the read or delivered mark of a conversation.
    #[serde(rename_all = "camelCase")]
    Receipt {
        /// Read or delivered.
        kind: ReceiptKind,
        /// The conversation.
        conversation_id: String,
        /// Up to this message.
        message_id: String,
    },
    /// A transient custom message: delivered to online members only, never stored.
    #[serde(rename_all = "camelCase")]
    Transient {
        /// The other user, or the group.
        receiver: String,
        /// User or group.
        receiver_type: ReceiverType,
        /// Any JSON object, at most 5 KB.
        data: Value,
    },
    /// Keeps the socket alive; answered by [`ServerFrame::Pong`].
    Ping,
}

/// A frame from the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServerFrame {
    /// The socket is signed in.
    #[serde(rename_all = "camelCase")]
    Ready {
        /// Frame protocol version.
        v: u32,
        /// The signed-in user.
        user: User,
    },
    /// Every missed message was sent; live traffic follows.
    #[serde(rename_all = "camelCase")]
    CaughtUp {
        /// The newest message id the device now has: the last one replayed, or the one it resumed from.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_message_id: Option<String>,
    },
    /// A new message (including `action` messages).
    Message {
        /// The message.
        message: Message,
    },
    /// A message was edited.
    MessageEdited {
        /// The message as it is now.
        message: Message,
    },
    /// A message was deleted.
    MessageDeleted {
        /// The message as it is now.
        message: Message,
    },
    /// The answer to a [`ClientFrame::Send`].
    Ack {
        /// The muid the device sent, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        muid: Option<String>,
        /// The stored message.
        message: Message,
    },
    /// Someone started or stopped typing.
    #[serde(rename_all = "camelCase")]
    Typing {
        /// Who.
        sender: String,
        /// The user typed to, or the group.
        receiver: String,
        /// User or group.
        receiver_type: ReceiverType,
        /// Started or ended.
        state: TypingState,
    },
    /// Someone's read or delivered mark moved.
    #[serde(rename_all = "camelCase")]
    Receipt {
        /// Read or delivered.
        kind: ReceiptKind,
        /// Whose mark.
        uid: String,
        /// The conversation.
        conversation_id: String,
        /// Up to this message.
        message_id: String,
        /// When, Unix seconds.
        at: i64,
    },
    /// A user came online or went offline.
    #[serde(rename_all = "camelCase")]
    Presence {
        /// Who.
        uid: String,
        /// Online or offline.
        status: PresenceStatus,
        /// Last activity, Unix seconds.
        last_active_at: i64,
    },
    /// A group's membership changed.
    #[serde(rename_all = "camelCase")]
    GroupMember {
        /// The group.
        guid: String,
        /// `joined`, `left`, `added`, `kicked`, `banned`, `unbanned` or `scopeChanged`.
        action: String,
        /// The member concerned.
        uid: String,
        /// Who did it.
        by: String,
        /// The member's scope now, when they are a member.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<MemberScope>,
    },
    /// A transient custom message.
    #[serde(rename_all = "camelCase")]
    Transient {
        /// Who sent it.
        sender: String,
        /// The user it went to, or the group.
        receiver: String,
        /// User or group.
        receiver_type: ReceiverType,
        /// Its payload.
        data: Value,
    },
    /// A frame was refused.
    Error {
        /// What went wrong, with the stable REST error codes.
        error: ApiErrorBody,
        /// The muid of the refused send, when the refused frame was one.
        #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// The answer to a [`ClientFrame::Ping`].
    Pong,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frames_are_tagged_by_type_in_camel_case() {
        let auth: ClientFrame = serde_json::from_value(json!({
            "type": "auth", "v": 1, "appId": "a1", "authToken": "t", "lastMessageId": "42"
        }))
        .unwrap();
        assert!(matches!(auth, ClientFrame::Auth { ref last_message_id, .. } if last_message_id.as_deref() == Some("42")));
        let typing = serde_json::to_value(ServerFrame::Typing {
            sender: "a".into(),
            receiver: "b".into(),
            receiver_type: ReceiverType::User,
            state: TypingState::Started,
        })
        .unwrap();
        assert_eq!(typing, json!({"type": "typing", "sender": "a", "receiver": "b", "receiverType": "user", "state": "started"}));
        assert_eq!(serde_json::to_value(ServerFrame::CaughtUp { last_message_id: None }).unwrap(), json!({"type": "caughtUp"}));
        let edited = serde_json::to_value(ClientFrame::Ping).unwrap();
        assert_eq!(edited, json!({"type": "ping"}));
    }

    #[test]
    fn unknown_frames_are_refused() {
        assert!(serde_json::from_value::<ClientFrame>(json!({"type": "explode"})).is_err());
    }
}
