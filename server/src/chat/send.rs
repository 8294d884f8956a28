//! Sending a message, by REST or over the WebSocket: the content rules, then the store's checks (sender and
//! receiver active, no block either way, a member of the group) in the send's own transaction.

use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::ids::is_valid_id;
use confab_protocol::limits::{MAX_ID_LEN, MAX_MESSAGE_BYTES};
use confab_protocol::rest::messages::{Category, Message, MessageData, ReceiverType, SendMessage, MESSAGE_TYPES};

use super::not_joined;
use crate::apps::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{NewMessage, SendOutcome, SendRefusal};
use crate::validate;

/// Checks content a client may send in `category` with `message_type`.
pub fn check_content(category: Category, message_type: &str, content: &MessageData) -> ApiResult<()> {
    if content.action.is_some() || content.entities.is_some() {
        return Err(ApiError::bad_field("data.action", "action messages are recorded by the server"));
    }
    match category {
        Category::Message => {
            if !MESSAGE_TYPES.contains(&message_type) {
                return Err(ApiError::bad_field("type", format!("must be one of {}", MESSAGE_TYPES.join(", "))));
            }
            if content.custom_data.is_some() {
                return Err(ApiError::bad_field("data.customData", "only custom messages carry customData"));
            }
            if message_type == "text" {
                if content.text.as_deref().is_none_or(|t| t.trim().is_empty()) {
                    return Err(ApiError::bad_field("data.text", "a text message needs text"));
                }
            } else {
                let attachments = content.attachments.as_deref().unwrap_or_default();
                if attachments.is_empty() {
                    return Err(ApiError::bad_field("data.attachments", format!("a {message_type} message needs attachments")));
                }
                for (i, attachment) in attachments.iter().enumerate() {
                    validate::url(&format!("data.attachments[{i}].url"), Some(&attachment.url))?;
                }
            }
        }
        Category::Custom => {
            if !is_valid_id(message_type) {
                return Err(ApiError::bad_field("type", format!("a custom type is 1-{MAX_ID_LEN} of a-z, A-Z, 0-9, _ and -")));
            }
            if content.custom_data.as_ref().is_some_and(|d| !d.is_object()) {
                return Err(ApiError::bad_field("data.customData", "must be a JSON object"));
            }
        }
        Category::Action | Category::Call => {
            return Err(ApiError::bad_field("category", "only message and custom messages can be sent"));
        }
    }
    validate::metadata("data.metadata", content.metadata.as_ref())?;
    if serde_json::to_vec(content).map(|v| v.len()).unwrap_or(usize::MAX) > MAX_MESSAGE_BYTES {
        return Err(ApiError::over_limit("data", MAX_MESSAGE_BYTES, "bytes"));
    }
    Ok(())
}

/// Checks and stores `body` sent by `sender` (REST or WebSocket); the stored message, or the first one
/// stored under the same `muid`.
pub async fn send(state: &AppState, app_id: &str, sender: String, body: SendMessage) -> ApiResult<Message> {
    let receiver = validate::id("receiver", &body.receiver)?;
    let category = body.category.unwrap_or(Category::Message);
    check_content(category, &body.message_type, &body.data)?;
    validate::tags("tags", body.tags.as_deref())?;
    if let Some(muid) = body.muid.as_deref() {
        if muid.is_empty() || muid.chars().any(char::is_control) {
            return Err(ApiError::bad_field("muid", "must be 1-100 printable characters"));
        }
        validate::max_chars("muid", muid, MAX_ID_LEN)?;
    }
    if body.receiver_type == ReceiverType::User && receiver == sender {
        return Err(ApiError::bad_field("receiver", "a user cannot message themselves"));
    }
    let message = NewMessage {
        sender,
        receiver,
        receiver_type: body.receiver_type,
        category,
        message_type: body.message_type,
        data: body.data,
        tags: body.tags.unwrap_or_default(),
        muid: body.muid,
        sent_at: now_secs(),
    };
    let receiver_type = message.receiver_type;
    let receiver = message.receiver.clone();
    match state.store.send_message(app_id, message).await? {
        SendOutcome::Stored { message, .. } => Ok(message),
        SendOutcome::Refused(refusal) => Err(match (refusal, receiver_type) {
            (SendRefusal::SenderInactive, _) => {
                ApiError::forbidden(ApiErrorCode::ErrUserDeactivated, "the sender is deactivated")
            }
            (SendRefusal::NoReceiver, ReceiverType::User) => ApiError::uid_not_found(&receiver).with_field("receiver"),
            (SendRefusal::NoReceiver, ReceiverType::Group) => ApiError::guid_not_found(&receiver).with_field("receiver"),
            (SendRefusal::Blocked, _) => {
                ApiError::forbidden(ApiErrorCode::ErrBlockedReceiver, "one of you has blocked the other").with_field("receiver")
            }
            (SendRefusal::NotMember, _) => not_joined(),
        }),
    }
}
