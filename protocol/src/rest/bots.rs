//! Bots: a user whose incoming messages are POSTed to a callback URL, and who replies through the API.

use serde::{Deserialize, Serialize};

use super::messages::Message;

/// Which group messages a bot receives (1:1 messages to it always go to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum GroupChatSetting {
    /// Every message in the groups it is a member of.
    AllMessages,
    /// Messages whose text starts with `/`.
    SlashedMessages,
    /// Messages whose text mentions it as `@uid`.
    #[default]
    MentionedMessages,
    /// No group messages.
    None,
}

impl GroupChatSetting {
    /// Every setting.
    pub const ALL: [Self; 4] = [Self::AllMessages, Self::SlashedMessages, Self::MentionedMessages, Self::None];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AllMessages => "allMessages",
            Self::SlashedMessages => "slashedMessages",
            Self::MentionedMessages => "mentionedMessages",
            Self::None => "none",
        }
    }

    /// The setting with this wire name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// A bot as the API shows it. The basic-auth password is never shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bot {
    /// The bot's user.
    pub uid: String,
    /// Where messages to the bot are POSTed.
    #[serde(rename = "webhookURL")]
    pub webhook_url: String,
    /// Whether messages are forwarded at all.
    pub enabled: bool,
    /// Which group messages are forwarded.
    pub group_chat_setting: GroupChatSetting,
    /// Calls carry HTTP basic auth.
    pub use_basic_auth: bool,
    /// The basic-auth user name, when basic auth is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The secret the `X-Confab-Signature` header of every call is computed with.
    pub signing_secret: String,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last change, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

/// `POST /bots`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateBot {
    /// An existing user to make a bot.
    pub uid: String,
    /// The callback URL (`http` or `https`).
    #[serde(rename = "webhookURL")]
    pub webhook_url: String,
    /// Default true.
    pub enabled: Option<bool>,
    /// Default `mentionedMessages`.
    pub group_chat_setting: Option<GroupChatSetting>,
    /// Send HTTP basic auth with `username` and `password`.
    pub use_basic_auth: Option<bool>,
    /// Basic-auth user name.
    pub username: Option<String>,
    /// Basic-auth password (never shown again).
    pub password: Option<String>,
}

/// `PUT /bots/{uid}`: the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateBot {
    /// New callback URL.
    #[serde(rename = "webhookURL")]
    pub webhook_url: Option<String>,
    /// Turn forwarding on or off.
    pub enabled: Option<bool>,
    /// New group setting.
    pub group_chat_setting: Option<GroupChatSetting>,
    /// Turn basic auth on (with `username` and `password`) or off.
    pub use_basic_auth: Option<bool>,
    /// Basic-auth user name.
    pub username: Option<String>,
    /// Basic-auth password.
    pub password: Option<String>,
}

/// Where a bot call came from (always the chat server itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Origin {
    /// `server`.
    pub platform: String,
    /// `rust`.
    pub language: String,
    /// `confab-server`.
    pub resource: String,
}

/// The body POSTed to a bot's callback: the message (with `data.entities.sender` and `receiver`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BotPayload {
    /// `after_message`.
    pub trigger: String,
    /// The message.
    pub data: Message,
    /// The app.
    pub app_id: String,
    /// The app's region.
    pub region: String,
    /// Who sent the call.
    pub origin: Origin,
    /// The REST API version replies go to.
    #[serde(rename = "chatAPIVersion")]
    pub chat_api_version: String,
    /// The bot's uid.
    pub bot: String,
}

/// The bot trigger.
pub const AFTER_MESSAGE: &str = "after_message";
