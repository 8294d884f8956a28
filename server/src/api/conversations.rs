//! Conversations: the acting user's list with `lastMessage` and `unreadMessageCount`, one conversation,
//! and read and delivered marks.

use axum::extract::{Path, Query, State};
use axum::Json;
use confab_protocol::ids::ConversationKey;
use confab_protocol::rest::conversations::{Conversation, ConversationWith, MarkMessage, MarkUnread};
use confab_protocol::realtime::ReceiptKind;
use confab_protocol::rest::messages::ReceiverType;
use confab_protocol::rest::{Data, Page, PageQuery, Success};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::chat::{self, access, conversation_not_found};
use super::{data, page_meta, page_request};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store::ConversationRow;
use super::users::as_seen_by;
use crate::validate;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_conversations))
        .routes(routes!(get_conversation))
        .routes(routes!(user_conversation))
        .routes(routes!(group_conversation))
        .routes(routes!(mark_user_read, mark_user_unread))
        .routes(routes!(mark_user_delivered))
        .routes(routes!(mark_group_read, mark_group_unread))
        .routes(routes!(mark_group_delivered))
}

/// Fills in the other side of a stored conversation; `None` when that side is gone or out of the caller's
/// reach (the row is then left out, never an error for the whole list).
async fn view(state: &AppState, caller: &Caller, row: ConversationRow) -> ApiResult<Option<Conversation>> {
    let actor = caller.actor()?;
    let with = match row.conversation_type {
        ReceiverType::User => match state.store.user(caller.app_id(), &row.with_id).await? {
            Some(mut user) => {
                as_seen_by(&actor, &mut user);
                ConversationWith::User(Box::new(user))
            }
            None => return Ok(None),
        },
        ReceiverType::Group => match access(state, caller, &row.with_id).await {
            Ok(group) => ConversationWith::Group(Box::new(group.view())),
            Err(ApiError::Refused { .. }) => return Ok(None),
            Err(other) => return Err(other),
        },
    };
    Ok(Some(Conversation {
        conversation_id: row.conversation_id,
        conversation_type: row.conversation_type,
        unread_message_count: row.unread,
        unread_mentions_count: Some(row.unread_mentions),
        last_message: row.last_message.map(|mut message| {
            state.media_urls.sign_message(&mut message);
            message
        }),
        conversation_with: with,
        updated_at: row.updated_at,
    }))
}

async fn one(state: &AppState, caller: &Caller, key: &ConversationKey) -> ApiResult<Conversation> {
    let uid = caller.acting_user()?;
    let row = state.store.conversation(caller.app_id(), &uid, key).await?;
    let row = row.ok_or_else(|| conversation_not_found(&key.wire_id()))?;
    view(state, caller, row).await?.ok_or_else(|| conversation_not_found(&key.wire_id()))
}

/// The acting user's conversations, newest first.
#[utoipa::path(get, path = "/conversations", tag = "conversations", params(PageQuery),
    responses((status = 200, body = Page<Conversation>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_conversations(caller: Caller, State(state): State<AppState>, Query(query): Query<PageQuery>) -> ApiResult<Json<Page<Conversation>>> {
    let uid = caller.acting_user()?;
    let page = page_request(query.per_page, query.page)?;
    let (rows, total) = state.store.conversations(caller.app_id(), &uid, page).await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in rows {
        list.extend(view(&state, &caller, row).await?);
    }
    let meta = page_meta(total, list.len(), page);
    Ok(Json(Page { data: list, meta }))
}

/// One of the acting user's conversations, by id.
#[utoipa::path(get, path = "/conversations/{conversationId}", tag = "conversations", params(("conversationId" = String, Path, description = "uidA_user_uidB or group_GUID")),
    responses((status = 200, body = Data<Conversation>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn get_conversation(caller: Caller, State(state): State<AppState>, Path(conversation_id): Path<String>) -> ApiResult<Json<Data<Conversation>>> {
    let uid = caller.acting_user()?;
    let row = chat::resolve(&state, caller.app_id(), &uid, &conversation_id).await?;
    Ok(data(one(&state, &caller, &row.key).await?))
}

/// The acting user's conversation with `uid`.
#[utoipa::path(get, path = "/users/{uid}/conversation", tag = "conversations", params(("uid" = String, Path, description = "The other user's uid")),
    responses((status = 200, body = Data<Conversation>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn user_conversation(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>) -> ApiResult<Json<Data<Conversation>>> {
    let me = caller.acting_user()?;
    let uid = validate::id("uid", &uid)?;
    Ok(data(one(&state, &caller, &ConversationKey::direct(&me, &uid)).await?))
}

/// The acting user's conversation in group `guid`.
#[utoipa::path(get, path = "/groups/{guid}/conversation", tag = "conversations", params(("guid" = String, Path, description = "The group's guid")),
    responses((status = 200, body = Data<Conversation>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn group_conversation(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>) -> ApiResult<Json<Data<Conversation>>> {
    let guid = validate::id("guid", &guid)?;
    Ok(data(one(&state, &caller, &ConversationKey::group(&guid)).await?))
}

/// Moves the acting user's read or delivered mark in a conversation up to `messageId` (the newest when
/// absent).
async fn mark(state: &AppState, caller: &Caller, key: ConversationKey, body: MarkMessage, read: bool) -> ApiResult<Json<Data<Success>>> {
    let uid = caller.acting_user()?;
    let kind = if read { ReceiptKind::Read } else { ReceiptKind::Delivered };
    let row = state.store.conversation(caller.app_id(), &uid, &key).await?;
    let row = row.ok_or_else(|| conversation_not_found(&key.wire_id()))?;
    chat::mark(state, caller.app_id(), &uid, row, body.message_id.as_deref(), kind).await?;
    Ok(data(Success { success: true, message: None }))
}

/// Marks the conversation with `uid` read up to `messageId`.
#[utoipa::path(post, path = "/users/{uid}/conversation/read", tag = "conversations", params(("uid" = String, Path, description = "The other user's uid")), request_body = MarkMessage,
    responses((status = 200, body = Data<Success>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn mark_user_read(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, ApiJson(body): ApiJson<MarkMessage>) -> ApiResult<Json<Data<Success>>> {
    let me = caller.acting_user()?;
    let uid = validate::id("uid", &uid)?;
    mark(&state, &caller, ConversationKey::direct(&me, &uid), body, true).await
}

/// Marks the conversation with `uid` delivered up to `messageId`.
#[utoipa::path(post, path = "/users/{uid}/conversation/delivered", tag = "conversations", params(("uid" = String, Path, description = "The other user's uid")), request_body = MarkMessage,
    responses((status = 200, body = Data<Success>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn mark_user_delivered(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, ApiJson(body): ApiJson<MarkMessage>) -> ApiResult<Json<Data<Success>>> {
    let me = caller.acting_user()?;
    let uid = validate::id("uid", &uid)?;
    mark(&state, &caller, ConversationKey::direct(&me, &uid), body, false).await
}

/// Marks group `guid`'s conversation read up to `messageId`.
#[utoipa::path(post, path = "/groups/{guid}/conversation/read", tag = "conversations", params(("guid" = String, Path, description = "The group's guid")), request_body = MarkMessage,
    responses((status = 200, body = Data<Success>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn mark_group_read(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>, ApiJson(body): ApiJson<MarkMessage>) -> ApiResult<Json<Data<Success>>> {
    let guid = validate::id("guid", &guid)?;
    mark(&state, &caller, ConversationKey::group(&guid), body, true).await
}

/// Marks group `guid`'s conversation delivered up to `messageId`.
#[utoipa::path(post, path = "/groups/{guid}/conversation/delivered", tag = "conversations", params(("guid" = String, Path, description = "The group's guid")), request_body = MarkMessage,
    responses((status = 200, body = Data<Success>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn mark_group_delivered(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>, ApiJson(body): ApiJson<MarkMessage>) -> ApiResult<Json<Data<Success>>> {
    let guid = validate::id("guid", &guid)?;
    mark(&state, &caller, ConversationKey::group(&guid), body, false).await
}

/// Marks the acting user's conversation unread again from `messageId` (without it, from the newest message
/// from someone else): their read mark moves back to just before it. The conversation as it is now.
async fn mark_unread(state: &AppState, caller: &Caller, key: ConversationKey, query: MarkUnread) -> ApiResult<Json<Data<Conversation>>> {
    crate::variant_features::require(state, caller, confab_protocol::rest::variants::switches::MARK_AS_UNREAD).await?;
    let uid = caller.acting_user()?;
    let row = state.store.conversation(caller.app_id(), &uid, &key).await?;
    let row = row.ok_or_else(|| conversation_not_found(&key.wire_id()))?;
    let not_here = || {
        ApiError::not_found(confab_protocol::api_error::ApiErrorCode::ErrMessageNotFound, "no such message in this conversation")
            .with_field("messageId")
    };
    let from: i64 = match query.message_id.as_deref() {
        Some(text) => {
            let id: i64 = text.parse().map_err(|_| ApiError::bad_field("messageId", "must be a message id"))?;
            let found = state.store.message(caller.app_id(), id).await?.filter(|m| crate::store::key_of(m) == row.key);
            found.ok_or_else(not_here)?;
            id
        }
        None => {
            let filter = crate::store::MessageFilter {
                conversation_id: Some(key.clone()),
                participant: Some(uid.clone()),
                hide_reaction_records: true,
                limit: 100,
                ..crate::store::MessageFilter::default()
            };
            let recent = state.store.list_messages(caller.app_id(), &filter).await?;
            let theirs = recent.iter().rev().find(|m| m.sender != uid && m.category != confab_protocol::rest::messages::Category::Action);
            match theirs {
                Some(m) => m.id.parse().unwrap_or(0),
                None => return one(state, caller, &key).await.map(data),
            }
        }
    };
    state.store.mark_unread(caller.app_id(), &uid, &key, from - 1).await?;
    one(state, caller, &key).await.map(data)
}

/// Marks the conversation with `uid` unread again.
#[utoipa::path(delete, path = "/users/{uid}/conversation/read", tag = "conversations", params(("uid" = String, Path, description = "The other user's uid"), MarkUnread),
    responses((status = 200, body = Data<Conversation>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn mark_user_unread(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, Query(query): Query<MarkUnread>) -> ApiResult<Json<Data<Conversation>>> {
    let me = caller.acting_user()?;
    let uid = validate::id("uid", &uid)?;
    mark_unread(&state, &caller, ConversationKey::direct(&me, &uid), query).await
}

/// Marks group `guid`'s conversation unread again.
#[utoipa::path(delete, path = "/groups/{guid}/conversation/read", tag = "conversations", params(("guid" = String, Path, description = "The group's guid"), MarkUnread),
    responses((status = 200, body = Data<Conversation>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn mark_group_unread(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>, Query(query): Query<MarkUnread>) -> ApiResult<Json<Data<Conversation>>> {
    let guid = validate::id("guid", &guid)?;
    mark_unread(&state, &caller, ConversationKey::group(&guid), query).await
}
