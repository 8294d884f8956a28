//! App webhooks and the deliveries of webhook and bot calls.

use serde::{Deserialize, Serialize};
use serde_json::Value;

wire_enum! {
    /// Events a webhook can subscribe to.
    WebhookTrigger {
        /// A message (category `message` or `custom`) was stored. Data: `{message}`.
        MessageSent = "message_sent",
        /// A message was edited. Data: `{message, action}` (the edited message and the action recording it).
        MessageEdited = "message_edited",
        /// A message was deleted. Data: `{message, action}`.
        MessageDeleted = "message_deleted",
        /// A user reacted to a message.
        MessageReactionAdded = "message_reaction_added",
        /// A user took a reaction back.
        MessageReactionRemoved = "message_reaction_removed",
        /// A user's delivered mark moved. Data: `{receipt}`.
        MessageDeliveryReceipt = "message_delivery_receipt",
        /// A user's read mark moved. Data: `{receipt}`.
        MessageReadReceipt = "message_read_receipt",
        /// A user joined a group. Data: `{action}` (the `groupMember` action message).
        GroupMemberJoined = "group_member_joined",
        /// A member left a group. Data: `{action}`.
        GroupMemberLeft = "group_member_left",
        /// A member was added by an admin or moderator. Data: `{action}`.
        GroupMemberAdded = "group_member_added",
        /// A member was kicked. Data: `{action}`.
        GroupMemberKicked = "group_member_kicked",
        /// A member was banned. Data: `{action}`.
        GroupMemberBanned = "group_member_banned",
        /// A user was unbanned. Data: `{action}`.
        GroupMemberUnbanned = "group_member_unbanned",
        /// A member's scope changed. Data: `{action}`.
        GroupMemberScopeChanged = "group_member_scope_changed",
        /// A user came online (first device) or went offline (last device). Data: `{user: {uid, status, lastActiveAt}}`.
        UserConnectionStatusChanged = "user_connection_status_changed",
    }
}

/// A webhook as the API shows it. The basic-auth password is never shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    /// Id, unique in the app (UID rules).
    pub id: String,
    /// Label.
    pub name: String,
    /// Where events are POSTed.
    pub url: String,
    /// Whether events are sent at all.
    pub enabled: bool,
    /// The events sent.
    pub triggers: Vec<WebhookTrigger>,
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

/// `POST /webhooks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateWebhook {
    /// Id, unique in the app.
    pub id: String,
    /// Label (default: the id).
    pub name: Option<String>,
    /// The callback URL (`http` or `https`).
    pub url: String,
    /// Default true.
    pub enabled: Option<bool>,
    /// Events to send (may be empty, then added later).
    #[serde(default)]
    pub triggers: Vec<WebhookTrigger>,
    /// Send HTTP basic auth with `username` and `password`.
    pub use_basic_auth: Option<bool>,
    /// Basic-auth user name.
    pub username: Option<String>,
    /// Basic-auth password (never shown again).
    pub password: Option<String>,
}

/// `PUT /webhooks/{id}`: the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateWebhook {
    /// New label.
    pub name: Option<String>,
    /// New callback URL.
    pub url: Option<String>,
    /// Turn sending on or off.
    pub enabled: Option<bool>,
    /// Replace the triggers.
    pub triggers: Option<Vec<WebhookTrigger>>,
    /// Turn basic auth on (with `username` and `password`) or off.
    pub use_basic_auth: Option<bool>,
    /// Basic-auth user name.
    pub username: Option<String>,
    /// Basic-auth password.
    pub password: Option<String>,
}

/// `POST` and `DELETE /webhooks/{id}/triggers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookTriggers {
    /// Triggers to add or remove.
    pub triggers: Vec<WebhookTrigger>,
}

/// The body POSTed to a webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookPayload {
    /// The event.
    pub trigger: WebhookTrigger,
    /// The event's data (its shape is listed with each trigger).
    pub data: Value,
    /// The app.
    pub app_id: String,
    /// The app's region.
    pub region: String,
    /// The webhook's id.
    pub webhook: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    /// A call was answered with a 2xx status.
    Delivered,
    /// Every attempt failed (or its bot or webhook is gone); `lastError` says why.
    Failed,
}

impl DeliveryState {
    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// The state with this name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed].into_iter().find(|s| s.as_str() == name)
    }
}

/// Who a delivery goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TargetType {
    /// A bot's callback.
    Bot,
    /// An app webhook.
    Webhook,
}

impl TargetType {
    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Webhook => "webhook",
        }
    }

    /// The target type with this name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Bot, Self::Webhook].into_iter().find(|s| s.as_str() == name)
    }
}

/// One queued call to a bot or webhook, and how its attempts went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    /// Id (also sent as the `X-Confab-Delivery` header, so receivers can drop repeats).
    pub id: String,
    /// Bot or webhook.
    pub target_type: TargetType,
    /// The bot's uid or the webhook's id.
    pub target: String,
    /// `after_message` for bots, the webhook trigger otherwise.
    pub trigger: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Calls made so far.
    pub attempts: u32,
    /// Why the last call failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The HTTP status of the last call, when there was an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    /// The message it is about, when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Queued at, Unix milliseconds.
    pub created_at: i64,
    /// Next attempt at, Unix milliseconds (pending deliveries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<i64>,
    /// Delivered or given up at, Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
}

/// `GET /deliveries` filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `failed` (default `failed`).
    pub state: Option<String>,
    /// Only this bot's (uid) or webhook's (id) deliveries.
    pub target: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub per_page: Option<u32>,
    /// Page, from 1.
    pub page: Option<u32>,
}
