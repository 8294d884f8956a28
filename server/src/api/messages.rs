//! Messages: send (text and media as attachment metadata, and custom; `muid` makes a retry return the
//! first message), get, list with cursors and filters, edit and delete (each recorded as an `action`
//! message).

use axum::extract::{Path, Query, State};
use axum::Json;
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::ids::ConversationKey;
use confab_protocol::limits::{DEFAULT_PER_PAGE, MAX_PER_PAGE, MAX_REACTIONS_PER_PAGE, MAX_SEARCH_KEY_CHARS, MAX_SEARCH_PER_PAGE};
use confab_protocol::rest::messages::{
    Category, EditMessage, Message, MessageCursor, MessageData, MessagePage, MessagePageMeta, MessageQuery, Reaction,
    ReactionPage, ReactionQuery, ReceiverType, SendMessage,
};
use confab_protocol::rest::variants::switches;
use confab_protocol::rest::Data;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::data;
use crate::chat::{self, access, check_content, not_joined, APP_SENDER};
use crate::apps::now_secs;
use crate::auth::{Actor, Caller};
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store::{Cursor, MessageChange, MessageFilter, NewMessage};
use crate::validate;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_message, list_messages))
        .routes(routes!(get_message, edit_message, delete_message))
        .routes(routes!(user_messages))
        .routes(routes!(group_messages))
        .routes(routes!(thread_messages, send_thread_reply))
        .routes(routes!(list_reactions))
        .routes(routes!(add_reaction, remove_reaction))
}

fn message_not_found(id: &str) -> ApiError {
    ApiError::not_found(ApiErrorCode::ErrMessageNotFound, format!("no message {id}"))
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
    Ok(data(chat::send(&state, caller.app_id(), sender, chat::SentBy::of(&caller), body).await?))
}

/// The words of a `searchKey`.
fn search_words(key: &str) -> ApiResult<Vec<String>> {
    validate::max_chars("searchKey", key, MAX_SEARCH_KEY_CHARS)?;
    let words: Vec<String> = key.split_whitespace().map(str::to_owned).collect();
    if words.is_empty() {
        return Err(ApiError::bad_field("searchKey", "must hold a word"));
    }
    Ok(words)
}

/// The filter and cursor of a list request (a search only where the caller's variant allows it).
async fn message_filter(state: &AppState, caller: &Caller, query: &MessageQuery) -> ApiResult<MessageFilter> {
    let search = query.search_key.as_deref().map(search_words).transpose()?;
    if search.is_some() {
        crate::variant_features::require(state, caller, switches::SEARCH).await?;
    }
    let max = if search.is_some() { MAX_SEARCH_PER_PAGE } else { MAX_PER_PAGE };
    let limit = query.limit.unwrap_or(DEFAULT_PER_PAGE.min(max));
    if limit == 0 || limit > max {
        return Err(ApiError::bad_field("limit", format!("must be 1 to {max}")));
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
        hide_replies: query.hide_replies.unwrap_or(false),
        hide_reaction_records: true,
        search,
        cursor,
        limit,
        ..MessageFilter::default()
    })
}

/// Messages as `caller` sees them: with the messages they quote, their own reactions marked, and signed
/// URLs.
async fn as_seen(state: &AppState, caller: &Caller, messages: &mut [Message]) -> ApiResult<()> {
    chat::references::with_quotes(state.store.as_ref(), caller.app_id(), messages).await?;
    if let Ok(Actor::User(uid)) = caller.actor() {
        chat::reactions::mark_own(state.store.as_ref(), caller.app_id(), &uid, messages).await?;
    }
    state.media_urls.sign_messages(messages.iter_mut());
    Ok(())
}

async fn page_of(state: &AppState, caller: &Caller, filter: MessageFilter) -> ApiResult<Json<MessagePage>> {
    let mut messages = state.store.list_messages(caller.app_id(), &filter).await?;
    as_seen(state, caller, &mut messages).await?;
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
    let mut filter = message_filter(&state, &caller, &query).await?;
    filter.participant = actor.uid().map(str::to_owned);
    if let Some(wire) = query.conversation_id.as_deref() {
        filter.conversation_id = Some(conversation_named(&state, caller.app_id(), &actor, wire).await?);
    }
    page_of(&state, &caller, filter).await
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
    let mut filter = message_filter(&state, &caller, &query).await?;
    filter.conversation_id = Some(ConversationKey::direct(&me, &uid));
    page_of(&state, &caller, filter).await
}

/// A group's messages, oldest first. Members (or the REST API key).
#[utoipa::path(get, path = "/groups/{guid}/messages", tag = "messages", params(("guid" = String, Path, description = "The group's guid"), MessageQuery),
    responses((status = 200, body = MessagePage), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn group_messages(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>, Query(query): Query<MessageQuery>) -> ApiResult<Json<MessagePage>> {
    let group = access(&state, &caller, &guid).await?;
    if group.actor != Actor::App && group.membership.is_none() {
        return Err(not_joined());
    }
    let mut filter = message_filter(&state, &caller, &query).await?;
    filter.conversation_id = Some(ConversationKey::group(&group.record.group.guid));
    if let Actor::User(uid) = &group.actor {
        // Within the member's periods of membership.
        filter.participant = Some(uid.clone());
    }
    page_of(&state, &caller, filter).await
}

/// Gets a message in the caller's reach.
#[utoipa::path(get, path = "/messages/{id}", tag = "messages", params(("id" = String, Path, description = "The message id")),
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn get_message(caller: Caller, State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Data<Message>>> {
    let (mut message, _) = reachable(&state, &caller, &id).await?;
    as_seen(&state, &caller, std::slice::from_mut(&mut message)).await?;
    Ok(data(message))
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
        ..NewMessage::default()
    }
}

/// Edits a message's text, metadata or custom data. Its sender (or the REST API key).
#[utoipa::path(put, path = "/messages/{id}", tag = "messages", params(("id" = String, Path, description = "The message id")), request_body = EditMessage,
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn edit_message(caller: Caller, State(state): State<AppState>, Path(id): Path<String>, ApiJson(body): ApiJson<EditMessage>) -> ApiResult<Json<Data<Message>>> {
    crate::variant_features::require(&state, &caller, confab_protocol::rest::variants::switches::EDIT_MESSAGE).await?;
    let (message, actor) = reachable(&state, &caller, &id).await?;
    if actor.uid().is_some_and(|uid| uid != message.sender) {
        return Err(ApiError::forbidden(ApiErrorCode::ErrMessageNoClearance, "only the sender may edit a message"));
    }
    if message.deleted_at.is_some() || !matches!(message.category, Category::Message | Category::Custom) {
        return Err(message_not_found(&id));
    }
    let mut body = body;
    if !crate::media::attach::upload_ids(&message.data).is_empty() {
        // A media message's uploads stay; an edit changes its caption and metadata.
        body.data.attachments = message.data.attachments.clone();
    }
    check_content(message.category, &message.message_type, &body.data)?;
    validate::tags("tags", body.tags.as_deref())?;
    let by = actor.uid().unwrap_or(APP_SENDER).to_owned();
    let action = message_action(&message, &by, "edited");
    let change = MessageChange::Edit { data: body.data, tags: body.tags };
    let number: i64 = message.id.parse().map_err(|_| message_not_found(&id))?;
    let mut edited = state.store.change_message(caller.app_id(), number, &change, &by, &action, now_secs()).await?.ok_or_else(|| message_not_found(&id))?;
    as_seen(&state, &caller, std::slice::from_mut(&mut edited)).await?;
    Ok(data(edited))
}

/// Deletes a message: its content is cleared and it is marked deleted. Its sender, a group's admins and
/// moderators, or the REST API key.
#[utoipa::path(delete, path = "/messages/{id}", tag = "messages", params(("id" = String, Path, description = "The message id")),
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn delete_message(caller: Caller, State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Data<Message>>> {
    crate::variant_features::require(&state, &caller, confab_protocol::rest::variants::switches::DELETE_MESSAGE).await?;
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
    let deleted = deleted.ok_or_else(|| message_not_found(&id))?;
    // Its files go with it.
    crate::media::remove_of_message(state.store.as_ref(), caller.app_id(), number).await?;
    Ok(data(deleted))
}

/// A thread's replies, oldest first, with the same cursors as `GET /messages`. Whoever may read its first
/// message.
#[utoipa::path(get, path = "/messages/{id}/thread", tag = "messages", params(("id" = String, Path, description = "The thread's first message"), MessageQuery),
    responses((status = 200, body = MessagePage), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn thread_messages(caller: Caller, State(state): State<AppState>, Path(id): Path<String>, Query(query): Query<MessageQuery>) -> ApiResult<Json<MessagePage>> {
    let (parent, actor) = reachable(&state, &caller, &id).await?;
    let mut filter = message_filter(&state, &caller, &query).await?;
    filter.conversation_id = Some(crate::store::key_of(&parent));
    filter.participant = actor.uid().map(str::to_owned);
    filter.parent_id = Some(parent.id.parse().map_err(|_| message_not_found(&id))?);
    page_of(&state, &caller, filter).await
}

/// Sends a thread reply to message `id`, as `POST /messages` with `parentId`.
#[utoipa::path(post, path = "/messages/{id}/thread", tag = "messages", params(("id" = String, Path, description = "The thread's first message")), request_body = SendMessage,
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn send_thread_reply(caller: Caller, State(state): State<AppState>, Path(id): Path<String>, ApiJson(mut body): ApiJson<SendMessage>) -> ApiResult<Json<Data<Message>>> {
    if body.parent_id.as_ref().is_some_and(|p| *p != id) {
        return Err(ApiError::bad_field("parentId", "must be the thread's id in the path, or absent"));
    }
    body.parent_id = Some(id);
    let sender = caller.acting_user()?;
    Ok(data(chat::send(&state, caller.app_id(), sender, chat::SentBy::of(&caller), body).await?))
}

/// The message `id` for the acting user to react to: in their reach, and (1:1) no block either way.
async fn reactable(state: &AppState, caller: &Caller, id: &str) -> ApiResult<(Message, String)> {
    let uid = caller.acting_user()?;
    crate::variant_features::require(state, caller, switches::REACTIONS).await?;
    let (message, _) = reachable(state, caller, id).await?;
    if !in_reach(state, caller.app_id(), &uid, &message).await? {
        return Err(message_not_found(id));
    }
    if message.receiver_type == ReceiverType::User {
        let other = if message.sender == uid { &message.receiver } else { &message.sender };
        if state.store.blocked_either_way(caller.app_id(), &uid, other).await? {
            return Err(ApiError::forbidden(ApiErrorCode::ErrBlockedReceiver, "one of you has blocked the other"));
        }
    }
    Ok((message, uid))
}

/// Gives the acting user's `reaction` (an emoji) to message `id`; giving it again changes nothing. The
/// message with its reactions.
#[utoipa::path(post, path = "/messages/{id}/reactions/{reaction}", tag = "messages",
    params(("id" = String, Path, description = "The message id"), ("reaction" = String, Path, description = "The emoji, percent-encoded")),
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn add_reaction(caller: Caller, State(state): State<AppState>, Path((id, reaction)): Path<(String, String)>) -> ApiResult<Json<Data<Message>>> {
    let reaction = chat::reactions::check_reaction(&reaction)?;
    let (message, uid) = reactable(&state, &caller, &id).await?;
    let mut changed = chat::reactions::change(&state, caller.app_id(), &uid, &message, reaction, true).await?;
    as_seen(&state, &caller, std::slice::from_mut(&mut changed)).await?;
    Ok(data(changed))
}

/// Takes back the acting user's `reaction` on message `id`.
#[utoipa::path(delete, path = "/messages/{id}/reactions/{reaction}", tag = "messages",
    params(("id" = String, Path, description = "The message id"), ("reaction" = String, Path, description = "The emoji, percent-encoded")),
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn remove_reaction(caller: Caller, State(state): State<AppState>, Path((id, reaction)): Path<(String, String)>) -> ApiResult<Json<Data<Message>>> {
    let reaction = chat::reactions::check_reaction(&reaction)?;
    let (message, uid) = reactable(&state, &caller, &id).await?;
    let mut changed = chat::reactions::change(&state, caller.app_id(), &uid, &message, reaction, false).await?;
    as_seen(&state, &caller, std::slice::from_mut(&mut changed)).await?;
    Ok(data(changed))
}

/// Who reacted to message `id` and with what, earliest first (of one emoji with `reaction`); `meta.next.id`
/// continues.
#[utoipa::path(get, path = "/messages/{id}/reactions", tag = "messages", params(("id" = String, Path, description = "The message id"), ReactionQuery),
    responses((status = 200, body = ReactionPage), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_reactions(caller: Caller, State(state): State<AppState>, Path(id): Path<String>, Query(query): Query<ReactionQuery>) -> ApiResult<Json<ReactionPage>> {
    let (message, _) = reachable(&state, &caller, &id).await?;
    let limit = query.limit.unwrap_or(MAX_REACTIONS_PER_PAGE);
    if limit == 0 || limit > MAX_REACTIONS_PER_PAGE {
        return Err(ApiError::bad_field("limit", format!("must be 1 to {MAX_REACTIONS_PER_PAGE}")));
    }
    let reaction = query.reaction.as_deref().map(chat::reactions::check_reaction).transpose()?;
    let after = query.id.as_deref().map(|c| c.parse::<i64>().map_err(|_| ApiError::bad_field("id", "must be a reaction id"))).transpose()?;
    let number: i64 = message.id.parse().map_err(|_| message_not_found(&id))?;
    let rows = state.store.reactions(caller.app_id(), number, reaction, after.unwrap_or(0), limit).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let reacted_by = state.store.user(caller.app_id(), &row.uid).await?;
        out.push(Reaction {
            id: row.id.to_string(),
            message_id: row.message_id.to_string(),
            reaction: row.reaction.clone(),
            uid: row.uid.clone(),
            reacted_at: row.reacted_at,
            reacted_by,
        });
    }
    let next = (out.len() == limit as usize).then(|| MessageCursor { limit, count: None, affix: "append".into(), id: out.last().map(|r| r.id.clone()) });
    let current = MessageCursor { limit, count: Some(out.len() as u32), affix: "append".into(), id: None };
    Ok(Json(ReactionPage { data: out, meta: MessagePageMeta { current, next } }))
}
