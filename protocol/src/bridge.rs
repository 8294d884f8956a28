//! Messages between the loader on the host page and the chat frame, sent with `postMessage`.
//!
//! The frame announces [`FrameMessage::Ready`]; the loader answers with [`FrameMessage::Config`]; the frame
//! then sends [`FrameMessage::Close`] when the visitor closes the panel, [`FrameMessage::Error`] when it
//! cannot go on, and [`FrameMessage::Remember`] when a guest has written. Each side accepts messages only
//! from the other's window and origin.
//!
//! A guest is remembered in the host page's own storage, kept by the loader: browsers that block
//! third-party storage would forget anything the cross-site frame stored.

use serde::{Deserialize, Serialize};

use crate::rest::messages::ReceiverType;
use crate::widget_config::{ConfigProblem, WidgetConfig};

/// One message across the loader/frame boundary, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum FrameMessage {
    /// Frame to loader: the app is running and waits for its config.
    #[serde(rename = "confab:ready")]
    Ready,
    /// Loader to frame: the checked config.
    #[serde(rename = "confab:config")]
    Config {
        /// The config, known keys only, defaults applied.
        config: WidgetConfig,
        /// Guest mode: the session token of the guest this browser remembers for the app, if any.
        #[serde(rename = "guestToken", default, skip_serializing_if = "Option::is_none")]
        guest_token: Option<String>,
    },
    /// Frame to loader: remember this guest's session token for the app (sent once the guest has written).
    #[serde(rename = "confab:remember")]
    Remember {
        /// The guest's session token.
        token: String,
    },
    /// Loader to frame: open the conversation with a user or group (`chatWithUser`, `chatWithGroup`).
    #[serde(rename = "confab:open-chat")]
    OpenChat {
        /// `user` or `group`.
        #[serde(rename = "chatType")]
        chat_type: String,
        /// The uid or guid.
        id: String,
    },
    /// Loader to frame: whether the docked panel is on screen (an embedded panel always is).
    #[serde(rename = "confab:visible")]
    Visible {
        /// On screen.
        visible: bool,
    },
    /// Frame to loader: the visitor's unread messages over all conversations (the launcher's badge).
    #[serde(rename = "confab:unread")]
    Unread {
        /// The total.
        count: u64,
    },
    /// Frame to loader: an event for the site's `Confab.on` handlers (`onMessageReceived`,
    /// `onActiveChatChanged`).
    #[serde(rename = "confab:event")]
    Event {
        /// The event's name.
        name: String,
        /// What it carries.
        detail: serde_json::Value,
    },
    /// Frame to loader: the visitor asked to close the panel.
    #[serde(rename = "confab:close")]
    Close,
    /// Frame to loader: something stops the panel; the loader reports it through `onError`.
    #[serde(rename = "confab:error")]
    Error {
        /// What went wrong.
        problem: ConfigProblem,
    },
}

/// The detail of the `onActiveChatChanged` event: the conversation now open (the detail is `null` when
/// none is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveChat {
    /// `user` or `group`.
    #[serde(rename = "chatType")]
    pub chat_type: ReceiverType,
    /// The uid or guid.
    pub id: String,
}

/// The kinds of [`FrameMessage`], with their wire names, for the loader spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameMessageKind {
    /// `confab:ready`
    Ready,
    /// `confab:config`
    Config,
    /// `confab:close`
    Close,
    /// `confab:error`
    Error,
    /// `confab:remember`
    Remember,
    /// `confab:open-chat`
    OpenChat,
    /// `confab:visible`
    Visible,
    /// `confab:unread`
    Unread,
    /// `confab:event`
    Event,
}

impl FrameMessageKind {
    /// Every kind.
    pub const ALL: [FrameMessageKind; 9] =
        [Self::Ready, Self::Config, Self::Close, Self::Error, Self::Remember, Self::OpenChat, Self::Visible, Self::Unread, Self::Event];

    /// The `type` field on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "confab:ready",
            Self::Config => "confab:config",
            Self::Close => "confab:close",
            Self::Error => "confab:error",
            Self::Remember => "confab:remember",
            Self::OpenChat => "confab:open-chat",
            Self::Visible => "confab:visible",
            Self::Unread => "confab:unread",
            Self::Event => "confab:event",
        }
    }

    /// The key the loader spec files this kind under.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Config => "config",
            Self::Close => "close",
            Self::Error => "error",
            Self::Remember => "remember",
            Self::OpenChat => "openChat",
            Self::Visible => "visible",
            Self::Unread => "unread",
            Self::Event => "event",
        }
    }
}
