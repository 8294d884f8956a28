//! Bots, webhooks, and the outbox of calls to them (deliveries).
//!
//! Deliveries for messages and receipt marks are queued by the backend in the same transaction as the event
//! itself; the dispatcher claims due ones, calls, and records each attempt.

use async_trait::async_trait;
use confab_protocol::rest::bots::GroupChatSetting;
use confab_protocol::rest::webhooks::{DeliveryState, TargetType, WebhookTrigger};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::Notify;

use super::{PageRequest, Patch, StoreResult};

/// HTTP basic auth sent with calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// User name.
    pub username: String,
    /// Password (kept as given: it is sent to the callee).
    pub password: String,
}

/// A stored bot.
#[derive(Debug, Clone, PartialEq)]
pub struct BotRecord {
    /// The bot's user.
    pub uid: String,
    /// The callback URL.
    pub webhook_url: String,
    /// Forwarding on.
    pub enabled: bool,
    /// Which group messages it gets.
    pub group_chat_setting: GroupChatSetting,
    /// Basic auth for calls.
    pub basic_auth: Option<BasicAuth>,
    /// HMAC key of the signature header.
    pub signing_secret: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: Option<i64>,
}

/// Changes to a bot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BotChange {
    /// New callback URL.
    pub webhook_url: Option<String>,
    /// Forwarding on or off.
    pub enabled: Option<bool>,
    /// New group setting.
    pub group_chat_setting: Option<GroupChatSetting>,
    /// New basic auth, or none.
    pub basic_auth: Patch<BasicAuth>,
}

/// A stored webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRecord {
    /// Id in the app.
    pub id: String,
    /// Label.
    pub name: String,
    /// The callback URL.
    pub url: String,
    /// Sending on.
    pub enabled: bool,
    /// Subscribed events.
    pub triggers: Vec<WebhookTrigger>,
    /// Basic auth for calls.
    pub basic_auth: Option<BasicAuth>,
    /// HMAC key of the signature header.
    pub signing_secret: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: Option<i64>,
}

/// Changes to a webhook.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookChange {
    /// New label.
    pub name: Option<String>,
    /// New URL.
    pub url: Option<String>,
    /// Sending on or off.
    pub enabled: Option<bool>,
    /// Replace the triggers.
    pub triggers: Option<Vec<WebhookTrigger>>,
    /// Triggers to add.
    pub add_triggers: Vec<WebhookTrigger>,
    /// Triggers to remove.
    pub remove_triggers: Vec<WebhookTrigger>,
    /// New basic auth, or none.
    pub basic_auth: Patch<BasicAuth>,
}

/// A queued call.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    /// Id.
    pub id: i64,
    /// The app.
    pub app_id: String,
    /// Bot or webhook.
    pub target_type: TargetType,
    /// Bot uid or webhook id.
    pub target: String,
    /// `after_message` or a webhook trigger.
    pub trigger: String,
    /// The message it is about.
    pub message_id: Option<i64>,
    /// The user a receipt or presence change is about.
    pub subject: Option<String>,
    /// A receipt's conversation.
    pub conversation_id: Option<String>,
    /// What else the event carries.
    pub detail: Option<Value>,
    /// Where it stands.
    pub state: DeliveryState,
    /// Calls made.
    pub attempts: u32,
    /// Unix ms.
    pub next_attempt_at: i64,
    /// Why the last call failed.
    pub last_error: Option<String>,
    /// HTTP status of the last call.
    pub last_status: Option<u16>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub finished_at: Option<i64>,
}

/// How one call went.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// Answered with 2xx.
    Delivered,
    /// Failed; try again at `retry_at` (Unix ms), or give up when `None`.
    Failed {
        /// Why.
        error: String,
        /// The answer's status, if there was one.
        status: Option<u16>,
        /// The next attempt, or `None` to mark the delivery failed.
        retry_at: Option<i64>,
    },
}

/// Which deliveries a list covers.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryFilter {
    /// Their state.
    pub state: DeliveryState,
    /// One bot's or webhook's.
    pub target: Option<String>,
}

/// Bots, webhooks and deliveries.
#[async_trait]
pub trait HookStore: Send + Sync + 'static {
    /// Woken after every commit that may have queued deliveries.
    fn delivery_signal(&self) -> Arc<Notify>;
    /// Stores a bot; `Conflict` when the user is a bot already.
    async fn create_bot(&self, app_id: &str, bot: &BotRecord) -> StoreResult<()>;
    /// The bot `uid`.
    async fn bot(&self, app_id: &str, uid: &str) -> StoreResult<Option<BotRecord>>;
    /// A page of the app's bots, by uid, and the total.
    async fn bots(&self, app_id: &str, page: PageRequest) -> StoreResult<(Vec<BotRecord>, u64)>;
    /// Applies `change`; the bot after it, or `None` when there is no such bot.
    async fn update_bot(&self, app_id: &str, uid: &str, change: &BotChange, now: i64) -> StoreResult<Option<BotRecord>>;
    /// Deletes the bot (the user stays); false when there was none.
    async fn delete_bot(&self, app_id: &str, uid: &str) -> StoreResult<bool>;
    /// Stores a webhook unless the app has `max` already (then false); `Conflict` when the id is taken.
    async fn create_webhook(&self, app_id: &str, webhook: &WebhookRecord, max: usize) -> StoreResult<bool>;
    /// The webhook `id`.
    async fn webhook(&self, app_id: &str, id: &str) -> StoreResult<Option<WebhookRecord>>;
    /// Every webhook of the app, by id.
    async fn webhooks(&self, app_id: &str) -> StoreResult<Vec<WebhookRecord>>;
    /// Applies `change`; the webhook after it, or `None` when there is no such webhook.
    async fn update_webhook(&self, app_id: &str, id: &str, change: &WebhookChange, now: i64) -> StoreResult<Option<WebhookRecord>>;
    /// Deletes the webhook; false when there was none.
    async fn delete_webhook(&self, app_id: &str, id: &str) -> StoreResult<bool>;
    /// Queues `user_connection_status_changed` for `uid` to the webhooks that want it.
    async fn queue_presence(&self, app_id: &str, uid: &str, detail: &Value, now_ms: i64) -> StoreResult<()>;
    /// Marks up to `limit` due deliveries in flight until `lease_until` (Unix ms) and returns them.
    async fn claim_deliveries(&self, now_ms: i64, lease_until: i64, limit: u32) -> StoreResult<Vec<DeliveryRecord>>;
    /// The earliest next attempt of a pending delivery not in flight (Unix ms).
    async fn next_delivery_at(&self) -> StoreResult<Option<i64>>;
    /// Records how a claimed delivery's call went.
    async fn record_attempt(&self, id: i64, attempt: &Attempt, now_ms: i64) -> StoreResult<()>;
    /// At a node's start: makes deliveries in flight due again: all of them on a single node (its calls
    /// died with it), only those whose lease has ended on a shared database.
    async fn release_deliveries(&self, now_ms: i64) -> StoreResult<u64>;
    /// A page of the app's deliveries by `filter`, newest first, and the total.
    async fn deliveries(&self, app_id: &str, filter: &DeliveryFilter, page: PageRequest) -> StoreResult<(Vec<DeliveryRecord>, u64)>;
    /// Deletes delivered deliveries finished before `delivered_before` and failed ones finished before
    /// `failed_before` (Unix ms); how many went.
    async fn purge_deliveries(&self, delivered_before: i64, failed_before: i64) -> StoreResult<u64>;
    /// Queues a failed delivery again with a fresh count of attempts; the delivery, or `None` when there is
    /// no failed delivery with this id.
    async fn retry_delivery(&self, app_id: &str, id: i64, now_ms: i64) -> StoreResult<Option<DeliveryRecord>>;
}
