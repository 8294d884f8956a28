//! Blocks (a blocked user cannot message the blocker, nor the blocker them) and friends.

use axum::extract::{Path, Query, State};
use axum::Json;
use confab_protocol::limits::MAX_UIDS_PER_CALL;
use confab_protocol::rest::social::{AddFriends, BlockedUids, RemoveFriends};
use confab_protocol::rest::users::User;
use confab_protocol::rest::{Data, Page, PageQuery, UidResult};
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{data, page_meta, page_request, uid_result};
use crate::apps::now_secs;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::validate;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(block_users, list_blocked, unblock_users))
        .routes(routes!(add_friends, list_friends, remove_friends))
}

/// The owner `uid` of a block or friends list, checked against the caller.
async fn owner(state: &AppState, caller: &Caller, uid: &str) -> ApiResult<String> {
    let uid = validate::id("uid", uid)?;
    caller.require_self_or_admin(&uid)?;
    state.store.user(caller.app_id(), &uid).await?.ok_or_else(|| ApiError::uid_not_found(&uid))?;
    Ok(uid)
}

/// Splits `uids` into those that name existing users other than `owner`, with a result for each.
async fn existing(state: &AppState, app_id: &str, owner: &str, field: &str, uids: &[String]) -> ApiResult<(Vec<String>, BTreeMap<String, UidResult>)> {
    if uids.is_empty() {
        return Err(ApiError::bad_field(field, "name at least one user"));
    }
    let uids = validate::uid_list(field, uids, MAX_UIDS_PER_CALL)?;
    let mut found = Vec::new();
    let mut results = BTreeMap::new();
    for uid in uids {
        let outcome = if uid == owner {
            Err(ApiError::bad_field(field, "cannot name yourself"))
        } else if state.store.user(app_id, &uid).await?.is_none() {
            Err(ApiError::uid_not_found(&uid))
        } else {
            found.push(uid.clone());
            Ok(())
        };
        results.insert(uid, uid_result(outcome)?);
    }
    Ok((found, results))
}

/// Blocks users for `uid`: the user itself (a session or `onBehalfOf`) or the REST API key.
#[utoipa::path(post, path = "/users/{uid}/blockedusers", tag = "blocks", params(("uid" = String, Path, description = "The blocking user")), request_body = BlockedUids,
    responses((status = 200, body = Data<BTreeMap<String, UidResult>>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn block_users(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, ApiJson(body): ApiJson<BlockedUids>) -> ApiResult<Json<Data<BTreeMap<String, UidResult>>>> {
    let uid = owner(&state, &caller, &uid).await?;
    let (found, results) = existing(&state, caller.app_id(), &uid, "blockedUids", &body.blocked_uids).await?;
    state.store.block(caller.app_id(), &uid, &found, now_secs()).await?;
    Ok(data(results))
}

/// The users `uid` has blocked.
#[utoipa::path(get, path = "/users/{uid}/blockedusers", tag = "blocks", params(("uid" = String, Path, description = "The blocking user"), PageQuery),
    responses((status = 200, body = Page<User>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_blocked(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, Query(query): Query<PageQuery>) -> ApiResult<Json<Page<User>>> {
    let uid = owner(&state, &caller, &uid).await?;
    let page = page_request(query.per_page, query.page)?;
    let (users, total) = state.store.blocked(caller.app_id(), &uid, page).await?;
    let meta = page_meta(total, users.len(), page);
    Ok(Json(Page { data: users, meta }))
}

/// Unblocks users for `uid`.
#[utoipa::path(delete, path = "/users/{uid}/blockedusers", tag = "blocks", params(("uid" = String, Path, description = "The blocking user")), request_body = BlockedUids,
    responses((status = 200, body = Data<BTreeMap<String, UidResult>>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn unblock_users(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, ApiJson(body): ApiJson<BlockedUids>) -> ApiResult<Json<Data<BTreeMap<String, UidResult>>>> {
    let uid = owner(&state, &caller, &uid).await?;
    let (found, results) = existing(&state, caller.app_id(), &uid, "blockedUids", &body.blocked_uids).await?;
    state.store.unblock(caller.app_id(), &uid, &found).await?;
    Ok(data(results))
}

/// Makes `uid` and each of `accepted` friends, both ways.
#[utoipa::path(post, path = "/users/{uid}/friends", tag = "friends", params(("uid" = String, Path, description = "The user")), request_body = AddFriends,
    responses((status = 200, body = Data<BTreeMap<String, UidResult>>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn add_friends(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, ApiJson(body): ApiJson<AddFriends>) -> ApiResult<Json<Data<BTreeMap<String, UidResult>>>> {
    caller.require_admin()?;
    let uid = owner(&state, &caller, &uid).await?;
    let (found, results) = existing(&state, caller.app_id(), &uid, "accepted", &body.accepted).await?;
    state.store.add_friends(caller.app_id(), &uid, &found, now_secs()).await?;
    Ok(data(results))
}

/// `uid`'s friends.
#[utoipa::path(get, path = "/users/{uid}/friends", tag = "friends", params(("uid" = String, Path, description = "The user"), PageQuery),
    responses((status = 200, body = Page<User>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_friends(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, Query(query): Query<PageQuery>) -> ApiResult<Json<Page<User>>> {
    let uid = owner(&state, &caller, &uid).await?;
    let page = page_request(query.per_page, query.page)?;
    let (users, total) = state.store.friends(caller.app_id(), &uid, page).await?;
    let meta = page_meta(total, users.len(), page);
    Ok(Json(Page { data: users, meta }))
}

/// Ends friendships of `uid`.
#[utoipa::path(delete, path = "/users/{uid}/friends", tag = "friends", params(("uid" = String, Path, description = "The user")), request_body = RemoveFriends,
    responses((status = 200, body = Data<BTreeMap<String, UidResult>>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn remove_friends(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, ApiJson(body): ApiJson<RemoveFriends>) -> ApiResult<Json<Data<BTreeMap<String, UidResult>>>> {
    caller.require_admin()?;
    let uid = owner(&state, &caller, &uid).await?;
    let (found, results) = existing(&state, caller.app_id(), &uid, "friends", &body.friends).await?;
    state.store.remove_friends(caller.app_id(), &uid, &found).await?;
    Ok(data(results))
}
