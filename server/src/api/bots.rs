//! Bots: create, list, get, update, delete (REST API key), and the bot reply endpoint. A bot is an existing
//! user plus a callback URL; messages to it are POSTed there (see `crate::hooks`).

use axum::extract::{Path, Query, State};
use axum::Json;
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::rest::bots::{Bot, CreateBot, UpdateBot};
use confab_protocol::rest::messages::{Message, SendMessage};
use confab_protocol::rest::{Data, Page, PageQuery, Success};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::callbacks::{basic_auth, callback_url, signing_secret};
use super::{data, page_meta, page_request};
use crate::apps::now_secs;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store::{BotChange, BotRecord, Patch, StoreError};
use crate::validate;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_bot, list_bots))
        .routes(routes!(get_bot, update_bot, delete_bot))
        .routes(routes!(bot_message))
}

fn shown(bot: BotRecord) -> Bot {
    Bot {
        uid: bot.uid,
        webhook_url: bot.webhook_url,
        enabled: bot.enabled,
        group_chat_setting: bot.group_chat_setting,
        use_basic_auth: bot.basic_auth.is_some(),
        username: bot.basic_auth.map(|a| a.username),
        signing_secret: bot.signing_secret,
        created_at: bot.created_at,
        updated_at: bot.updated_at,
    }
}

fn bot_not_found(uid: &str) -> ApiError {
    ApiError::not_found(ApiErrorCode::ErrBotNotFound, format!("no bot with uid {uid}"))
}

/// Makes an existing user a bot. REST API key.
#[utoipa::path(post, path = "/bots", tag = "bots", request_body = CreateBot,
    responses((status = 200, body = Data<Bot>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn create_bot(caller: Caller, State(state): State<AppState>, ApiJson(body): ApiJson<CreateBot>) -> ApiResult<Json<Data<Bot>>> {
    caller.require_admin()?;
    let app_id = caller.app_id();
    let uid = validate::id("uid", &body.uid)?;
    let webhook_url = callback_url(&state, "webhookURL", &body.webhook_url)?;
    let auth = match basic_auth(body.use_basic_auth, body.username, body.password)? {
        Patch::Set(auth) => Some(auth),
        _ => None,
    };
    state.store.user(app_id, &uid).await?.ok_or_else(|| ApiError::uid_not_found(&uid).with_field("uid"))?;
    let bot = BotRecord {
        uid: uid.clone(),
        webhook_url,
        enabled: body.enabled.unwrap_or(true),
        group_chat_setting: body.group_chat_setting.unwrap_or_default(),
        basic_auth: auth,
        signing_secret: signing_secret(),
        created_at: now_secs(),
        updated_at: None,
    };
    state.store.create_bot(app_id, &bot).await.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::conflict(ApiErrorCode::ErrBotAlreadyExists, format!("{uid} is a bot already")).with_field("uid"),
        other => other.into(),
    })?;
    Ok(data(shown(bot)))
}

/// Lists the app's bots. REST API key.
#[utoipa::path(get, path = "/bots", tag = "bots", params(PageQuery),
    responses((status = 200, body = Page<Bot>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_bots(caller: Caller, State(state): State<AppState>, Query(query): Query<PageQuery>) -> ApiResult<Json<Page<Bot>>> {
    caller.require_admin()?;
    let page = page_request(query.per_page, query.page)?;
    let (bots, total) = state.store.bots(caller.app_id(), page).await?;
    let meta = page_meta(total, bots.len(), page);
    Ok(Json(Page { data: bots.into_iter().map(shown).collect(), meta }))
}

/// Gets a bot. REST API key.
#[utoipa::path(get, path = "/bots/{uid}", tag = "bots", params(("uid" = String, Path, description = "The bot's uid")),
    responses((status = 200, body = Data<Bot>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn get_bot(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>) -> ApiResult<Json<Data<Bot>>> {
    caller.require_admin()?;
    let uid = validate::id("uid", &uid)?;
    let bot = state.store.bot(caller.app_id(), &uid).await?.ok_or_else(|| bot_not_found(&uid))?;
    Ok(data(shown(bot)))
}

/// Changes a bot's callback, setting, basic auth, or turns it on or off. REST API key.
#[utoipa::path(put, path = "/bots/{uid}", tag = "bots", params(("uid" = String, Path, description = "The bot's uid")), request_body = UpdateBot,
    responses((status = 200, body = Data<Bot>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn update_bot(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, ApiJson(body): ApiJson<UpdateBot>) -> ApiResult<Json<Data<Bot>>> {
    caller.require_admin()?;
    let uid = validate::id("uid", &uid)?;
    let change = BotChange {
        webhook_url: body.webhook_url.as_deref().map(|url| callback_url(&state, "webhookURL", url)).transpose()?,
        enabled: body.enabled,
        group_chat_setting: body.group_chat_setting,
        basic_auth: basic_auth(body.use_basic_auth, body.username, body.password)?,
    };
    let bot = state.store.update_bot(caller.app_id(), &uid, &change, now_secs()).await?.ok_or_else(|| bot_not_found(&uid))?;
    Ok(data(shown(bot)))
}

/// Deletes a bot; its user stays. Deliveries still queued for it fail. REST API key.
#[utoipa::path(delete, path = "/bots/{uid}", tag = "bots", params(("uid" = String, Path, description = "The bot's uid")),
    responses((status = 200, body = Data<Success>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn delete_bot(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>) -> ApiResult<Json<Data<Success>>> {
    caller.require_admin()?;
    let uid = validate::id("uid", &uid)?;
    if !state.store.delete_bot(caller.app_id(), &uid).await? {
        return Err(bot_not_found(&uid));
    }
    Ok(data(Success { success: true, message: Some(format!("bot {uid} deleted")) }))
}

/// Sends a message as the bot: its reply. The same body and checks as `POST /messages`. REST API key.
#[utoipa::path(post, path = "/bots/{uid}/messages", tag = "bots", params(("uid" = String, Path, description = "The bot's uid")), request_body = SendMessage,
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn bot_message(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, ApiJson(body): ApiJson<SendMessage>) -> ApiResult<Json<Data<Message>>> {
    caller.require_admin()?;
    let uid = validate::id("uid", &uid)?;
    state.store.bot(caller.app_id(), &uid).await?.ok_or_else(|| bot_not_found(&uid))?;
    Ok(data(crate::chat::send(&state, caller.app_id(), uid, crate::chat::SentBy::AppKey, body).await?))
}
