//! Auth tokens: create, list, get, delete, delete all. Tokens are stored hashed; a token is shown once,
//! when created, and known afterwards by its id. A deleted token stops working at once.

use axum::extract::{Path, State};
use axum::Json;
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::rest::users::{AuthToken, CreateAuthToken};
use confab_protocol::rest::{Data, Success};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::data;
use crate::apps::now_secs;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::secrets::{decode_hex, hex, key_hash, random_hex};
use crate::state::AppState;
use crate::store::{TokenLifetime, TokenRecord};
use confab_protocol::limits::{MAX_TOKEN_LIFETIME_SECS, MIN_TOKEN_LIFETIME_SECS};
use crate::validate;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_token, list_tokens, delete_all_tokens))
        .routes(routes!(get_token, delete_token))
}

/// Hex characters of a token's id (the start of its hash).
const TOKEN_ID_HEX: usize = 16;

fn token_id(hash: &[u8]) -> String {
    hex(&hash[..TOKEN_ID_HEX / 2])
}

fn shown(uid: &str, record: &TokenRecord) -> AuthToken {
    AuthToken {
        uid: uid.to_owned(),
        id: token_id(&record.hash),
        auth_token: None,
        created_at: record.created_at,
        expires_at: record.lifetime.expires_at,
    }
}

/// The hash prefix a path's token names: a token id, or the token itself.
fn hash_prefix(token: &str) -> Vec<u8> {
    match (token.len() == TOKEN_ID_HEX).then(|| decode_hex(token)).flatten() {
        Some(id) => id,
        None => key_hash(token),
    }
}

async fn existing_user(state: &AppState, app_id: &str, uid: &str) -> ApiResult<String> {
    let uid = validate::id("uid", uid)?;
    state.store.user(app_id, &uid).await?.ok_or_else(|| ApiError::uid_not_found(&uid))?;
    Ok(uid)
}

fn token_not_found() -> ApiError {
    ApiError::not_found(ApiErrorCode::ErrAuthTokenNotFound, "no such auth token for this user")
}

/// Creates a token for the user (one per device). REST API key.
#[utoipa::path(post, path = "/users/{uid}/auth_tokens", tag = "auth tokens", params(("uid" = String, Path, description = "The user's uid")), request_body = CreateAuthToken,
    responses((status = 200, body = Data<AuthToken>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn create_token(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, ApiJson(body): ApiJson<CreateAuthToken>) -> ApiResult<Json<Data<AuthToken>>> {
    caller.require_admin()?;
    let uid = existing_user(&state, caller.app_id(), &uid).await?;
    let created_at = now_secs();
    let expires_at = match body.lifetime {
        None => None,
        Some(secs) if (MIN_TOKEN_LIFETIME_SECS..=MAX_TOKEN_LIFETIME_SECS).contains(&secs) => Some(created_at + secs as i64),
        Some(_) => {
            return Err(ApiError::bad_field(
                "lifetime",
                format!("must be {MIN_TOKEN_LIFETIME_SECS} to {MAX_TOKEN_LIFETIME_SECS} seconds"),
            ))
        }
    };
    let token = random_hex(24);
    let hash = key_hash(&token);
    let lifetime = TokenLifetime { expires_at, idle_secs: None };
    state.store.create_token(caller.app_id(), &uid, &hash, created_at, lifetime).await?;
    Ok(data(AuthToken { uid, id: token_id(&hash), auth_token: Some(token), created_at, expires_at }))
}

/// Lists the user's tokens (by id). REST API key.
#[utoipa::path(get, path = "/users/{uid}/auth_tokens", tag = "auth tokens", params(("uid" = String, Path, description = "The user's uid")),
    responses((status = 200, body = Data<Vec<AuthToken>>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_tokens(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>) -> ApiResult<Json<Data<Vec<AuthToken>>>> {
    caller.require_admin()?;
    let uid = existing_user(&state, caller.app_id(), &uid).await?;
    let tokens = state.store.tokens(caller.app_id(), &uid, now_secs()).await?;
    Ok(data(tokens.iter().map(|t| shown(&uid, t)).collect()))
}

/// Deletes every token of the user. REST API key.
#[utoipa::path(delete, path = "/users/{uid}/auth_tokens", tag = "auth tokens", params(("uid" = String, Path, description = "The user's uid")),
    responses((status = 200, body = Data<Success>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn delete_all_tokens(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>) -> ApiResult<Json<Data<Success>>> {
    caller.require_admin()?;
    let uid = existing_user(&state, caller.app_id(), &uid).await?;
    let count = state.store.delete_tokens(caller.app_id(), &uid, None).await?;
    state.realtime.revoke(caller.app_id(), &uid, None);
    Ok(data(Success { success: true, message: Some(format!("{count} tokens deleted")) }))
}

/// Gets one token, by the token itself or its id. REST API key.
#[utoipa::path(get, path = "/users/{uid}/auth_tokens/{token}", tag = "auth tokens",
    params(("uid" = String, Path, description = "The user's uid"), ("token" = String, Path, description = "The token, or its id")),
    responses((status = 200, body = Data<AuthToken>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn get_token(caller: Caller, State(state): State<AppState>, Path((uid, token)): Path<(String, String)>) -> ApiResult<Json<Data<AuthToken>>> {
    caller.require_admin()?;
    let uid = existing_user(&state, caller.app_id(), &uid).await?;
    let prefix = hash_prefix(&token);
    let tokens = state.store.tokens(caller.app_id(), &uid, now_secs()).await?;
    let found = tokens.iter().find(|t| t.hash.starts_with(&prefix)).ok_or_else(token_not_found)?;
    Ok(data(shown(&uid, found)))
}

/// Deletes one token, by the token itself or its id; it stops working at once. REST API key.
#[utoipa::path(delete, path = "/users/{uid}/auth_tokens/{token}", tag = "auth tokens",
    params(("uid" = String, Path, description = "The user's uid"), ("token" = String, Path, description = "The token, or its id")),
    responses((status = 200, body = Data<Success>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn delete_token(caller: Caller, State(state): State<AppState>, Path((uid, token)): Path<(String, String)>) -> ApiResult<Json<Data<Success>>> {
    caller.require_admin()?;
    let uid = existing_user(&state, caller.app_id(), &uid).await?;
    let prefix = hash_prefix(&token);
    if state.store.delete_tokens(caller.app_id(), &uid, Some(&prefix)).await? == 0 {
        return Err(token_not_found());
    }
    state.realtime.revoke(caller.app_id(), &uid, Some(prefix));
    Ok(data(Success { success: true, message: Some("token deleted".into()) }))
}
