//! Sending a message, by REST or over the WebSocket: the content rules, then the store's checks (sender and
//! receiver active, no block either way, a member of the group) in the send's own transaction.

use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::ids::is_valid_id;
use confab_protocol::limits::{MAX_ATTACHMENTS, MAX_ID_LEN, MAX_MESSAGE_BYTES};
use confab_protocol::rest::messages::{Category, Message, MessageData, ReceiverType, SendMessage, MESSAGE_TYPES};

use super::{not_joined, references};
use crate::apps::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::auth::{Caller, Principal};
use crate::media::attach;
use crate::store::{Claimant, NewMessage, SendOutcome, SendRefusal};
use crate::validate;

/// Who makes a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentBy<'a> {
    /// A session, signed in with this variant (`None`: the app's default): the variant's switches apply.
    Session {
        /// The session's variant.
        variant_id: Option<&'a str>,
    },
    /// The REST API key (acting for a user, or for a bot): never restricted by a variant.
    AppKey,
}

impl<'a> SentBy<'a> {
    /// Who a REST call sends as.
    pub fn of(caller: &'a Caller) -> Self {
        match caller.principal {
            Principal::User(_) => Self::Session { variant_id: caller.variant_id.as_deref() },
            _ => Self::AppKey,
        }
    }
}

/// Checks content a client may send in `category` with `message_type`.
pub fn check_content(category: Category, message_type: &str, content: &MessageData) -> ApiResult<()> {
    if content.action.is_some() || content.entities.is_some() {
        return Err(ApiError::bad_field("data.action", "action messages are recorded by the server"));
    }
    if content.reactions.is_some() {
        return Err(ApiError::bad_field("data.reactions", "reactions are given with POST /messages/{id}/reactions/{reaction}"));
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
                if attachments.len() > MAX_ATTACHMENTS {
                    return Err(ApiError::over_limit("data.attachments", MAX_ATTACHMENTS, "attachments"));
                }
                for (i, attachment) in attachments.iter().enumerate() {
                    match attachment.id.as_deref() {
                        // An upload: the server fills in the rest.
                        Some(id) => validate::media_id(&format!("data.attachments[{i}].id"), id)?,
                        None => {
                            validate::url(&format!("data.attachments[{i}].url"), Some(&attachment.url))?;
                            validate::url(&format!("data.attachments[{i}].thumbnail"), attachment.thumbnail.as_deref())?;
                        }
                    }
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
/// stored under the same `muid`, with signed URLs for its uploads. A send naming uploads claims them first
/// (see [`attach`]), and one without a `muid` is given one, so its claim has a key.
pub async fn send(state: &AppState, app_id: &str, sender: String, by: SentBy<'_>, mut body: SendMessage) -> ApiResult<Message> {
    let receiver = validate::id("receiver", &body.receiver)?;
    let category = body.category.unwrap_or(Category::Message);
    check_content(category, &body.message_type, &body.data)?;
    if let (SentBy::Session { variant_id }, Some(switch)) = (by, confab_protocol::rest::variants::switches::for_media_type(&body.message_type)) {
        if category == Category::Message && !state.variant_features.enabled(state.store.as_ref(), app_id, variant_id, switch).await? {
            return Err(crate::variant_features::disabled(&switch.path()));
        }
    }
    let uploads = !attach::upload_ids(&body.data).is_empty();
    if uploads && body.muid.is_none() {
        body.muid = Some(format!("media-{}", crate::secrets::random_hex(12)));
    }
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
        ..NewMessage::default()
    };
    let receiver_type = message.receiver_type;
    let receiver = message.receiver.clone();
    let mut message = message;
    let references = references::check(state, app_id, by, &message, body.parent_id.as_deref(), body.quoted_message_id.as_deref()).await?;
    (message.parent_id, message.quoted_id, message.mentions) = (references.parent_id, references.quoted_id, references.mentions);
    let (sender_uid, muid) = (message.sender.clone(), message.muid.clone().unwrap_or_default());
    let claimant = Claimant { sender: &sender_uid, muid: &muid, app_key: by == SentBy::AppKey };
    let claimed = match uploads {
        true => attach::claim(state, app_id, claimant, &message.message_type, &mut message.data).await?,
        false => Vec::new(),
    };
    let outcome = state.store.send_message(app_id, message).await;
    if !claimed.is_empty() {
        match &outcome {
            Ok(SendOutcome::Stored { message, .. }) => {
                let id = message.id.parse().expect("stored ids are numbers");
                state.store.link_media(app_id, &claimed, id).await?;
            }
            // The claim is released; if that fails too, the sweep finds it.
            _ => state.store.release_media(app_id, &claimed, claimant).await?,
        }
    }
    match outcome? {
        SendOutcome::Stored { mut message, .. } => {
            references::with_quotes(state.store.as_ref(), app_id, std::slice::from_mut(&mut message)).await?;
            state.media_urls.sign_message(&mut message);
            Ok(message)
        }
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
