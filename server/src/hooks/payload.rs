//! The bodies of bot and webhook calls, built from storage when the call is made.
//!
//! A queued delivery names its event (a message id, a receipt mark, a presence change) and keeps a
//! message's content as it was sent; the body is built from those and the stored users and groups at call
//! time, so a message edited or deleted before its call went out is still sent as it was sent.

use confab_protocol::rest::bots::{BotPayload, Origin, AFTER_MESSAGE};
use confab_protocol::rest::messages::{Message, ReceiverType};
use confab_protocol::rest::webhooks::{TargetType, WebhookPayload, WebhookTrigger};
use serde_json::{json, Value};

use crate::media::urls::MediaUrls;
use crate::store::{DeliveryRecord, Store, StoreResult};

/// The REST API version a bot replies to.
pub const CHAT_API_VERSION: &str = "3.0";

/// Why a delivery has no body to send.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// Storage failed (try again later).
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The event cannot be sent any more (give up).
    #[error("{0}")]
    Gone(String),
}

fn user_entity(user: Option<confab_protocol::rest::users::User>, uid: &str) -> Value {
    let entity = user.map_or_else(|| json!({"uid": uid}), |u| serde_json::to_value(u).unwrap_or_else(|_| json!({"uid": uid})));
    json!({"entity": entity, "entityType": "user"})
}

/// `message` with `data.entities.sender` and `receiver` filled in (user or group entities), as the
/// reference bot payload carries them. Action messages keep their own entities.
pub async fn with_entities(store: &dyn Store, app_id: &str, mut message: Message) -> StoreResult<Message> {
    if message.data.entities.is_some() {
        return Ok(message);
    }
    let sender = user_entity(store.user(app_id, &message.sender).await?, &message.sender);
    let receiver = match message.receiver_type {
        ReceiverType::User => {
            let mut entity = user_entity(store.user(app_id, &message.receiver).await?, &message.receiver);
            entity["entity"]["conversationId"] = json!(message.conversation_id);
            entity
        }
        ReceiverType::Group => {
            let group = store.group(app_id, &message.receiver).await?;
            let mut entity = group.map_or_else(|| json!({"guid": message.receiver}), |g| serde_json::to_value(g.group).unwrap_or_default());
            entity["conversationId"] = json!(message.conversation_id);
            json!({"entity": entity, "entityType": "group"})
        }
    };
    message.data.entities = Some(json!({"sender": sender, "receiver": receiver}));
    Ok(message)
}

/// The delivery's message as it was sent: the stored message with the content queued with the delivery.
async fn message(store: &dyn Store, delivery: &DeliveryRecord) -> Result<Message, PayloadError> {
    let id = delivery.message_id.ok_or_else(|| PayloadError::Gone("the delivery names no message".into()))?;
    let mut message = store.message(&delivery.app_id, id).await?.ok_or_else(|| PayloadError::Gone(format!("message {id} no longer exists")))?;
    if let Some(sent) = &delivery.detail {
        if let Ok(data) = serde_json::from_value(sent["data"].clone()) {
            message.data = data;
        }
        if let Ok(tags) = serde_json::from_value(sent["tags"].clone()) {
            message.tags = tags;
        }
        (message.updated_at, message.edited_at, message.edited_by, message.deleted_at, message.deleted_by) = (None, None, None, None, None);
    }
    Ok(message)
}

/// The changed message an edit or delete action is about.
async fn changed_by(store: &dyn Store, app_id: &str, action: &Message) -> StoreResult<Option<Message>> {
    let id = action.data.entities.as_ref().and_then(|e| e["on"]["id"].as_str()).and_then(|id| id.parse().ok());
    match id {
        Some(id) => match store.message(app_id, id).await? {
            Some(m) => Ok(Some(with_entities(store, app_id, m).await?)),
            None => Ok(None),
        },
        None => Ok(None),
    }
}

/// The `data` of a webhook call, by trigger.
async fn webhook_data(store: &dyn Store, delivery: &DeliveryRecord, trigger: WebhookTrigger, urls: &MediaUrls) -> Result<Value, PayloadError> {
    use WebhookTrigger as T;
    let app_id = delivery.app_id.as_str();
    Ok(match trigger {
        T::MessageSent => {
            let mut message = with_entities(store, app_id, message(store, delivery).await?).await?;
            urls.sign_message(&mut message);
            json!({"message": message})
        }
        T::MessageEdited | T::MessageDeleted => {
            let action = message(store, delivery).await?;
            let mut changed = changed_by(store, app_id, &action).await?;
            urls.sign_messages(changed.iter_mut());
            json!({"message": changed, "action": action})
        }
        T::MessageReactionAdded | T::MessageReactionRemoved => {
            let action = message(store, delivery).await?;
            let mut changed = changed_by(store, app_id, &action).await?;
            urls.sign_messages(changed.iter_mut());
            let entities = action.data.entities.clone().unwrap_or(Value::Null);
            let reaction = json!({
                "reaction": entities["extra"]["reaction"],
                "uid": entities["by"]["uid"],
                "messageId": entities["on"]["id"],
                "reactedAt": action.sent_at,
            });
            json!({"reaction": reaction, "message": changed, "action": action})
        }
        T::GroupMemberJoined
        | T::GroupMemberLeft
        | T::GroupMemberAdded
        | T::GroupMemberKicked
        | T::GroupMemberBanned
        | T::GroupMemberUnbanned
        | T::GroupMemberScopeChanged => json!({"action": message(store, delivery).await?}),
        T::MessageReadReceipt | T::MessageDeliveryReceipt => {
            let at = if trigger == T::MessageReadReceipt { "readAt" } else { "deliveredAt" };
            json!({"receipt": {
                "messageId": delivery.message_id.map(|id| id.to_string()),
                "conversationId": delivery.conversation_id,
                "uid": delivery.subject,
                at: delivery.created_at / 1000,
            }})
        }
        T::UserConnectionStatusChanged => json!({"user": delivery.detail.clone().unwrap_or(Value::Null)}),
    })
}

/// The JSON body of `delivery`'s call.
/// Uploads' URLs in it are signed by `urls` now, so each call (a retry too) carries fresh ones.
pub async fn body(store: &dyn Store, delivery: &DeliveryRecord, region: &str, urls: &MediaUrls) -> Result<Vec<u8>, PayloadError> {
    let bytes = match delivery.target_type {
        TargetType::Bot => {
            let mut data = with_entities(store, &delivery.app_id, message(store, delivery).await?).await?;
            urls.sign_message(&mut data);
            serde_json::to_vec(&BotPayload {
                trigger: AFTER_MESSAGE.into(),
                data,
                app_id: delivery.app_id.clone(),
                region: region.to_owned(),
                origin: Origin { platform: "server".into(), language: "rust".into(), resource: "confab-server".into() },
                chat_api_version: CHAT_API_VERSION.into(),
                bot: delivery.target.clone(),
            })
        }
        TargetType::Webhook => {
            let trigger = WebhookTrigger::parse(&delivery.trigger)
                .ok_or_else(|| PayloadError::Gone(format!("unknown trigger {}", delivery.trigger)))?;
            serde_json::to_vec(&WebhookPayload {
                trigger,
                data: webhook_data(store, delivery, trigger, urls).await?,
                app_id: delivery.app_id.clone(),
                region: region.to_owned(),
                webhook: delivery.target.clone(),
            })
        }
    };
    bytes.map_err(|e| PayloadError::Gone(format!("cannot serialise the body: {e}")))
}
