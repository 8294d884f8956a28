//! Webhooks (at most 25 per app) and their triggers, and the deliveries of bot and webhook calls: listed
//! by state (failed ones with their last error) and retried on demand. REST API key only.

use axum::extract::{Path, Query, State};
use axum::Json;
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::limits::MAX_WEBHOOKS_PER_APP;
use confab_protocol::rest::webhooks::{
    CreateWebhook, Delivery, DeliveryQuery, DeliveryState, UpdateWebhook, Webhook, WebhookTrigger, WebhookTriggers,
};
use confab_protocol::rest::{Data, Page, Success};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::callbacks::{basic_auth, callback_url, signing_secret};
use super::{data, page_meta, page_request};
use crate::apps::now_secs;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::hooks::now_ms;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store::{DeliveryFilter, DeliveryRecord, Patch, StoreError, WebhookChange, WebhookRecord};
use crate::validate;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(list_triggers, add_triggers, remove_triggers))
        .routes(routes!(list_deliveries))
        .routes(routes!(retry_delivery))
}

fn shown(hook: WebhookRecord) -> Webhook {
    Webhook {
        id: hook.id,
        name: hook.name,
        url: hook.url,
        enabled: hook.enabled,
        triggers: hook.triggers,
        use_basic_auth: hook.basic_auth.is_some(),
        username: hook.basic_auth.map(|a| a.username),
        signing_secret: hook.signing_secret,
        created_at: hook.created_at,
        updated_at: hook.updated_at,
    }
}

fn webhook_not_found(id: &str) -> ApiError {
    ApiError::not_found(ApiErrorCode::ErrWebhookNotFound, format!("no webhook with id {id}"))
}

/// The triggers once each, in the order given.
fn distinct(triggers: Vec<WebhookTrigger>) -> Vec<WebhookTrigger> {
    let mut seen = Vec::with_capacity(triggers.len());
    for trigger in triggers {
        if !seen.contains(&trigger) {
            seen.push(trigger);
        }
    }
    seen
}

/// Creates a webhook. REST API key.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = CreateWebhook,
    responses((status = 200, body = Data<Webhook>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn create_webhook(caller: Caller, State(state): State<AppState>, ApiJson(body): ApiJson<CreateWebhook>) -> ApiResult<Json<Data<Webhook>>> {
    caller.require_admin()?;
    let id = validate::id("id", &body.id)?;
    let name = match body.name.as_deref() {
        Some(name) => validate::name("name", name)?,
        None => id.clone(),
    };
    let url = callback_url(&state, "url", &body.url)?;
    let auth = match basic_auth(body.use_basic_auth, body.username, body.password)? {
        Patch::Set(auth) => Some(auth),
        _ => None,
    };
    let hook = WebhookRecord {
        id: id.clone(),
        name,
        url,
        enabled: body.enabled.unwrap_or(true),
        triggers: distinct(body.triggers),
        basic_auth: auth,
        signing_secret: signing_secret(),
        created_at: now_secs(),
        updated_at: None,
    };
    let created = state.store.create_webhook(caller.app_id(), &hook, MAX_WEBHOOKS_PER_APP).await.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::conflict(ApiErrorCode::ErrWebhookAlreadyExists, format!("a webhook with id {id} exists")).with_field("id"),
        other => other.into(),
    })?;
    if !created {
        let mut err = ApiError::conflict(ApiErrorCode::ErrWebhookLimitReached, format!("an app has at most {MAX_WEBHOOKS_PER_APP} webhooks"));
        if let ApiError::Refused { details, .. } = &mut err {
            details.limit = Some(MAX_WEBHOOKS_PER_APP as u64);
        }
        return Err(err);
    }
    Ok(data(shown(hook)))
}

/// Lists the app's webhooks. REST API key.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks",
    responses((status = 200, body = Data<Vec<Webhook>>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_webhooks(caller: Caller, State(state): State<AppState>) -> ApiResult<Json<Data<Vec<Webhook>>>> {
    caller.require_admin()?;
    Ok(data(state.store.webhooks(caller.app_id()).await?.into_iter().map(shown).collect()))
}

async fn existing(state: &AppState, caller: &Caller, id: &str) -> ApiResult<WebhookRecord> {
    caller.require_admin()?;
    let id = validate::id("id", id)?;
    state.store.webhook(caller.app_id(), &id).await?.ok_or_else(|| webhook_not_found(&id))
}

/// Gets a webhook. REST API key.
#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", params(("id" = String, Path, description = "The webhook's id")),
    responses((status = 200, body = Data<Webhook>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn get_webhook(caller: Caller, State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Data<Webhook>>> {
    Ok(data(shown(existing(&state, &caller, &id).await?)))
}

async fn change(state: &AppState, caller: &Caller, id: &str, change: WebhookChange) -> ApiResult<Webhook> {
    let hook = state.store.update_webhook(caller.app_id(), id, &change, now_secs()).await?.ok_or_else(|| webhook_not_found(id))?;
    Ok(shown(hook))
}

/// Changes a webhook's name, URL, triggers or basic auth, or turns it on or off. REST API key.
#[utoipa::path(put, path = "/webhooks/{id}", tag = "webhooks", params(("id" = String, Path, description = "The webhook's id")), request_body = UpdateWebhook,
    responses((status = 200, body = Data<Webhook>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn update_webhook(caller: Caller, State(state): State<AppState>, Path(id): Path<String>, ApiJson(body): ApiJson<UpdateWebhook>) -> ApiResult<Json<Data<Webhook>>> {
    caller.require_admin()?;
    let id = validate::id("id", &id)?;
    let name = body.name.as_deref().map(|n| validate::name("name", n)).transpose()?;
    let update = WebhookChange {
        name,
        url: body.url.as_deref().map(|url| callback_url(&state, "url", url)).transpose()?,
        enabled: body.enabled,
        triggers: body.triggers.map(distinct),
        basic_auth: basic_auth(body.use_basic_auth, body.username, body.password)?,
        ..WebhookChange::default()
    };
    Ok(data(change(&state, &caller, &id, update).await?))
}

/// Deletes a webhook. Deliveries still queued for it fail. REST API key.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", params(("id" = String, Path, description = "The webhook's id")),
    responses((status = 200, body = Data<Success>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn delete_webhook(caller: Caller, State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Data<Success>>> {
    caller.require_admin()?;
    let id = validate::id("id", &id)?;
    if !state.store.delete_webhook(caller.app_id(), &id).await? {
        return Err(webhook_not_found(&id));
    }
    Ok(data(Success { success: true, message: Some(format!("webhook {id} deleted")) }))
}

/// Lists a webhook's triggers. REST API key.
#[utoipa::path(get, path = "/webhooks/{id}/triggers", tag = "webhooks", params(("id" = String, Path, description = "The webhook's id")),
    responses((status = 200, body = Data<Vec<WebhookTrigger>>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_triggers(caller: Caller, State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Data<Vec<WebhookTrigger>>>> {
    Ok(data(existing(&state, &caller, &id).await?.triggers))
}

/// Adds triggers to a webhook. REST API key.
#[utoipa::path(post, path = "/webhooks/{id}/triggers", tag = "webhooks", params(("id" = String, Path, description = "The webhook's id")), request_body = WebhookTriggers,
    responses((status = 200, body = Data<Webhook>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn add_triggers(caller: Caller, State(state): State<AppState>, Path(id): Path<String>, ApiJson(body): ApiJson<WebhookTriggers>) -> ApiResult<Json<Data<Webhook>>> {
    caller.require_admin()?;
    let id = validate::id("id", &id)?;
    Ok(data(change(&state, &caller, &id, WebhookChange { add_triggers: body.triggers, ..WebhookChange::default() }).await?))
}

/// Removes triggers from a webhook. REST API key.
#[utoipa::path(delete, path = "/webhooks/{id}/triggers", tag = "webhooks", params(("id" = String, Path, description = "The webhook's id")), request_body = WebhookTriggers,
    responses((status = 200, body = Data<Webhook>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn remove_triggers(caller: Caller, State(state): State<AppState>, Path(id): Path<String>, ApiJson(body): ApiJson<WebhookTriggers>) -> ApiResult<Json<Data<Webhook>>> {
    caller.require_admin()?;
    let id = validate::id("id", &id)?;
    Ok(data(change(&state, &caller, &id, WebhookChange { remove_triggers: body.triggers, ..WebhookChange::default() }).await?))
}

fn shown_delivery(d: DeliveryRecord) -> Delivery {
    Delivery {
        id: d.id.to_string(),
        target_type: d.target_type,
        target: d.target,
        trigger: d.trigger,
        state: d.state,
        attempts: d.attempts,
        last_error: d.last_error,
        last_status: d.last_status,
        message_id: d.message_id.map(|id| id.to_string()),
        created_at: d.created_at,
        next_attempt_at: (d.state == DeliveryState::Pending).then_some(d.next_attempt_at),
        finished_at: d.finished_at,
    }
}

/// Lists bot and webhook deliveries by state (default `failed`, newest first), with each one's last error.
/// REST API key.
#[utoipa::path(get, path = "/deliveries", tag = "webhooks", params(DeliveryQuery),
    responses((status = 200, body = Page<Delivery>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_deliveries(caller: Caller, State(state): State<AppState>, Query(query): Query<DeliveryQuery>) -> ApiResult<Json<Page<Delivery>>> {
    caller.require_admin()?;
    let delivery_state = match query.state.as_deref() {
        None => DeliveryState::Failed,
        Some(s) => DeliveryState::parse(s).ok_or_else(|| ApiError::bad_field("state", "must be pending, delivered or failed"))?,
    };
    let target = query.target.as_deref().map(|t| validate::id("target", t)).transpose()?;
    let page = page_request(query.per_page, query.page)?;
    let filter = DeliveryFilter { state: delivery_state, target };
    let (found, total) = state.store.deliveries(caller.app_id(), &filter, page).await?;
    let meta = page_meta(total, found.len(), page);
    Ok(Json(Page { data: found.into_iter().map(shown_delivery).collect(), meta }))
}

/// Queues a failed delivery again, with a fresh count of attempts. REST API key.
#[utoipa::path(post, path = "/deliveries/{id}/retry", tag = "webhooks", params(("id" = String, Path, description = "The delivery's id")),
    responses((status = 200, body = Data<Delivery>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn retry_delivery(caller: Caller, State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Data<Delivery>>> {
    caller.require_admin()?;
    let not_found = || ApiError::not_found(ApiErrorCode::ErrDeliveryNotFound, format!("no failed delivery with id {id}"));
    let numeric: i64 = id.parse().map_err(|_| not_found())?;
    let delivery = state.store.retry_delivery(caller.app_id(), numeric, now_ms()).await?.ok_or_else(not_found)?;
    Ok(data(shown_delivery(delivery)))
}
