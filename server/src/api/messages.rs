//! Messages: send (text and media as attachment metadata, and custom; `muid` makes a retry return the
//! first message), get, list with cursors and filters, edit and delete (each recorded as an `action`
//! message).

use axum::extract::{Path, Query, State};
use axum::Json;
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::ids::{is_valid_id, ConversationKey};
use confab_protocol::limits::{MAX_ID_LEN, MAX_MESSAGE_BYTES, MAX_PER_PAGE, DEFAULT_PER_PAGE};
use confab_protocol::rest::messages::{
    Category, EditMessage, Message, MessageCursor, MessageData, MessagePage, MessagePageMeta, MessageQuery,
    ReceiverType, SendMessage, MESSAGE_TYPES,
};
use confab_protocol::rest::Data;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::data;
use super::groups::{access, not_joined, APP_SENDER};
use crate::apps::now_secs;
use crate::auth::{Actor, Caller};
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store::{Cursor, MessageChange, MessageFilter, NewMessage, SendOutcome, SendRefusal};
use crate::validate;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_message, list_messages))
        .routes(routes!(get_message, edit_message, delete_message))
        .routes(routes!(user_messages))
        .routes(routes!(group_messages))
}

fn message_not_found(id: &str) -> ApiError {
    ApiError::not_found(ApiErrorCode::ErrMessageNotFound, format!("no message {id}"))
}

/// Checks content a client may send in `category` with `message_type`.
fn check_content(category: Category, message_type: &str, content: &MessageData) -> ApiResult<()> {
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

/// Whether `uid` takes part in the conversation of `message`.
async fn in_reach(state: &AppState, app_id: &str, uid: &str, message: &Message) -> ApiResult<bool> {
    Ok(match message.receiver_type {
        ReceiverType::User => message.sender == uid || message.receiver == uid,
        ReceiverType::Group => state.store.membership(app_id, &message.receiver, uid).await?.is_some(),
    })
}

/// The message `id` if the caller may see it.
async fn reachable(state: &AppState, caller: &Caller, id: &str) -> ApiResult<(Message, Actor)> {
    let actor = caller.actor()?;
    let number: i64 = id.parse().map_err(|_| ApiError::bad_field("id", "must be a message id"))?;
    let message = state.store.message(caller.app_id(), number).await?.ok_or_else(|| message_not_found(id))?;
    if let Actor::User(uid) = &actor {
        if !in_reach(state, caller.app_id(), uid, &message).await? {
            return Err(message_not_found(id));
        }
    }
    Ok((message, actor))
}

/// Sends a message as the acting user (a session, or `onBehalfOf`). With a `muid` used before by the same
/// sender, answers the first message instead of storing another.
#[utoipa::path(post, path = "/messages", tag = "messages", request_body = SendMessage,
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn send_message(caller: Caller, State(state): State<AppState>, ApiJson(body): ApiJson<SendMessage>) -> ApiResult<Json<Data<Message>>> {
    let sender = caller.acting_user()?;
    Ok(data(send_as(&state, caller.app_id(), sender, body).await?))
}

/// Checks and stores `body` sent by `sender` (REST or WebSocket); the stored message, or the first one
/// stored under the same `muid`.
pub(crate) async fn send_as(state: &AppState, app_id: &str, sender: String, body: SendMessage) -> ApiResult<Message> {
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

/// The filter and cursor of a list request.
fn message_filter(query: &MessageQuery) -> ApiResult<MessageFilter> {
    let limit = query.limit.unwrap_or(DEFAULT_PER_PAGE);
    if limit == 0 || limit > MAX_PER_PAGE {
        return Err(ApiError::bad_field("limit", format!("must be 1 to {MAX_PER_PAGE}")));
    }
    let append = match query.affix.as_deref() {
        None | Some("prepend") => false,
        Some("append") => true,
        Some(_) => return Err(ApiError::bad_field("affix", "must be prepend or append")),
    };
    let id = query.id.as_deref().map(|id| id.parse::<i64>().map_err(|_| ApiError::bad_field("id", "must be a message id"))).transpose()?;
    let cursor = match (id, query.sent_at, append) {
        (Some(id), _, false) => Cursor::Before(Some(id)),
        (Some(id), _, true) => Cursor::After(Some(id)),
        (None, Some(at), false) => Cursor::BeforeTime(at),
        (None, Some(at), true) => Cursor::AfterTime(at),
        (None, None, false) => Cursor::Before(None),
        (None, None, true) => Cursor::After(None),
    };
    let sender = query.sender.as_deref().map(|s| validate::id("sender", s)).transpose()?;
    Ok(MessageFilter {
        conversation_id: None,
        participant: None,
        category: query.category.clone(),
        message_type: query.message_type.clone(),
        sender,
        hide_deleted: query.hide_deleted.unwrap_or(false),
        cursor,
        limit,
    })
}

async fn page_of(state: &AppState, app_id: &str, filter: MessageFilter) -> ApiResult<Json<MessagePage>> {
    let messages = state.store.list_messages(app_id, &filter).await?;
    let append = matches!(filter.cursor, Cursor::After(_) | Cursor::AfterTime(_));
    let affix = if append { "append" } else { "prepend" };
    let edge = if append { messages.last() } else { messages.first() };
    let next = (messages.len() == filter.limit as usize).then(|| MessageCursor {
        limit: filter.limit,
        count: None,
        affix: affix.into(),
        id: edge.map(|m| m.id.clone()),
    });
    let current = MessageCursor { limit: filter.limit, count: Some(messages.len() as u32), affix: affix.into(), id: None };
    Ok(Json(MessagePage { data: messages, meta: MessagePageMeta { current, next } }))
}

/// Lists messages, oldest first: the whole app's for the REST API key, the acting user's conversations
/// otherwise. `affix=prepend` (default) pages back from the newest (or from `id`/`sentAt`); `append` pages
/// forward.
#[utoipa::path(get, path = "/messages", tag = "messages", params(MessageQuery),
    responses((status = 200, body = MessagePage), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_messages(caller: Caller, State(state): State<AppState>, Query(query): Query<MessageQuery>) -> ApiResult<Json<MessagePage>> {
    let actor = caller.actor()?;
    let mut filter = message_filter(&query)?;
    filter.participant = actor.uid().map(str::to_owned);
    if let Some(wire) = query.conversation_id.as_deref() {
        filter.conversation_id = Some(conversation_named(&state, caller.app_id(), &actor, wire).await?);
    }
    page_of(&state, caller.app_id(), filter).await
}

/// The conversation a `conversationId` filter names: of those its wire id can name, one the user takes part
/// in (for the app, one that exists).
async fn conversation_named(state: &AppState, app_id: &str, actor: &Actor, wire: &str) -> ApiResult<ConversationKey> {
    let candidates = ConversationKey::parse_wire(&wire.to_ascii_lowercase());
    let bad = || ApiError::bad_field("conversationId", "must be uidA_user_uidB or group_GUID");
    let first = candidates.first().cloned().ok_or_else(bad)?;
    for key in candidates {
        let fits = match actor {
            Actor::User(uid) => matches!(key, ConversationKey::Group(_)) || key.has_user(uid),
            Actor::App => state.store.conversation_exists(app_id, &key).await?,
        };
        if fits {
            return Ok(key);
        }
    }
    Ok(first)
}

/// The acting user's conversation with `uid`, oldest first, with the same cursors as `GET /messages`.
#[utoipa::path(get, path = "/users/{uid}/messages", tag = "messages", params(("uid" = String, Path, description = "The other user's uid"), MessageQuery),
    responses((status = 200, body = MessagePage), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn user_messages(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, Query(query): Query<MessageQuery>) -> ApiResult<Json<MessagePage>> {
    let me = caller.acting_user()?;
    let uid = validate::id("uid", &uid)?;
    let mut filter = message_filter(&query)?;
    filter.conversation_id = Some(ConversationKey::direct(&me, &uid));
    page_of(&state, caller.app_id(), filter).await
}

/// A group's messages, oldest first. Members (or the REST API key).
#[utoipa::path(get, path = "/groups/{guid}/messages", tag = "messages", params(("guid" = String, Path, description = "The group's guid"), MessageQuery),
    responses((status = 200, body = MessagePage), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn group_messages(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>, Query(query): Query<MessageQuery>) -> ApiResult<Json<MessagePage>> {
    let group = access(&state, &caller, &guid).await?;
    if group.actor != Actor::App && group.membership.is_none() {
        return Err(not_joined());
    }
    let mut filter = message_filter(&query)?;
    filter.conversation_id = Some(ConversationKey::group(&group.record.group.guid));
    page_of(&state, caller.app_id(), filter).await
}

/// Gets a message in the caller's reach.
#[utoipa::path(get, path = "/messages/{id}", tag = "messages", params(("id" = String, Path, description = "The message id")),
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn get_message(caller: Caller, State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Data<Message>>> {
    Ok(data(reachable(&state, &caller, &id).await?.0))
}

/// The action message recording a change of `message` by `by`.
fn message_action(message: &Message, by: &str, action: &str) -> NewMessage {
    NewMessage {
        sender: message.sender.clone(),
        receiver: message.receiver.clone(),
        receiver_type: message.receiver_type,
        category: Category::Action,
        message_type: "message".into(),
        data: MessageData {
            action: Some(action.into()),
            entities: Some(json!({"by": {"uid": by}, "on": {"id": message.id}})),
            ..MessageData::default()
        },
        tags: Vec::new(),
        muid: None,
        sent_at: now_secs(),
    }
}

/// Edits a message's text, metadata or custom data. Its sender (or the REST API key).
#[utoipa::path(put, path = "/messages/{id}", tag = "messages", params(("id" = String, Path, description = "The message id")), request_body = EditMessage,
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn edit_message(caller: Caller, State(state): State<AppState>, Path(id): Path<String>, ApiJson(body): ApiJson<EditMessage>) -> ApiResult<Json<Data<Message>>> {
    let (message, actor) = reachable(&state, &caller, &id).await?;
    if actor.uid().is_some_and(|uid| uid != message.sender) {
        return Err(ApiError::forbidden(ApiErrorCode::ErrMessageNoClearance, "only the sender may edit a message"));
    }
    if message.deleted_at.is_some() || !matches!(message.category, Category::Message | Category::Custom) {
        return Err(message_not_found(&id));
    }
    check_content(message.category, &message.message_type, &body.data)?;
    validate::tags("tags", body.tags.as_deref())?;
    let by = actor.uid().unwrap_or(APP_SENDER).to_owned();
    let action = message_action(&message, &by, "edited");
    let change = MessageChange::Edit { data: body.data, tags: body.tags };
    let number: i64 = message.id.parse().map_err(|_| message_not_found(&id))?;
    let edited = state.store.change_message(caller.app_id(), number, &change, &by, &action, now_secs()).await?;
    Ok(data(edited.ok_or_else(|| message_not_found(&id))?))
}

/// Deletes a message: its content is cleared and it is marked deleted. Its sender, a group's admins and
/// moderators, or the REST API key.
#[utoipa::path(delete, path = "/messages/{id}", tag = "messages", params(("id" = String, Path, description = "The message id")),
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn delete_message(caller: Caller, State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Data<Message>>> {
    let (message, actor) = reachable(&state, &caller, &id).await?;
    if let Actor::User(uid) = &actor {
        let moderates = match message.receiver_type {
            ReceiverType::Group => state
                .store
                .membership(caller.app_id(), &message.receiver, uid)
                .await?
                .is_some_and(|m| m.scope >= confab_protocol::rest::groups::MemberScope::Moderator),
            ReceiverType::User => false,
        };
        if *uid != message.sender && !moderates {
            return Err(ApiError::forbidden(ApiErrorCode::ErrMessageNoClearance, "only the sender or a group moderator may delete a message"));
        }
    }
    if message.deleted_at.is_some() || message.category == Category::Action {
        return Err(message_not_found(&id));
    }
    let by = actor.uid().unwrap_or(APP_SENDER).to_owned();
    let action = message_action(&message, &by, "deleted");
    let number: i64 = message.id.parse().map_err(|_| message_not_found(&id))?;
    let deleted = state.store.change_message(caller.app_id(), number, &MessageChange::Delete, &by, &action, now_secs()).await?;
    Ok(data(deleted.ok_or_else(|| message_not_found(&id))?))
}
