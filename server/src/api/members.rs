//! Group members: add (the four lists, at most 25 a call, a result per uid), list, change scope, kick,
//! join and leave, ban, unban and list bans. Each change is recorded as an `action` message.
//!
//! Adding respects blocks and the session's daily allowance (see [`super::groups`]); joining a password
//! group is limited to a few wrong passwords per user and per group ([`crate::attempts`]).

use axum::extract::{Path, Query, State};
use axum::Json;
use confab_protocol::api_error::{ApiErrorCode, ErrorDetails};
use confab_protocol::limits::MAX_MEMBERS_PER_CALL;
use confab_protocol::rest::groups::{BannedUser, ChangeScope, Group, GroupMember, GroupType, JoinGroup, MemberLists, MemberScope};
use confab_protocol::rest::messages::Message;
use confab_protocol::rest::{Data, Page, PageQuery, UidResult};
use serde_json::json;
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::groups::{
    add_limit_reached, add_limit_reached_for, member_action, not_blocked, reserve_adds, settle_adds,
};
use super::{data, page_meta, page_request, uid_result};
use crate::apps::now_secs;
use crate::auth::{Actor, Caller};
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::policy::GroupAction;
use crate::secrets::{check_password_blocking, password_hash_blocking, PasswordCheck};
use crate::chat::{access, not_joined, GroupAccess};
use crate::state::AppState;
use crate::store::{GroupPatch, MemberChange};
use crate::validate;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_members, list_members))
        .routes(routes!(change_scope, kick_member))
        .routes(routes!(join_group))
        .routes(routes!(leave_group))
        .routes(routes!(ban_user, unban_user))
        .routes(routes!(list_banned))
}

fn banned_error() -> ApiError {
    ApiError::forbidden(ApiErrorCode::ErrGroupMemberBanned, "this user is banned from the group")
}

fn owner_protected(group: &GroupAccess, uid: &str) -> ApiResult<()> {
    match group.record.group.owner.as_deref() == Some(uid) && group.actor != Actor::App {
        true => Err(ApiError::forbidden(ApiErrorCode::ErrGroupNoClearance, "the group's owner cannot be changed by members")),
        false => Ok(()),
    }
}

/// The scope `uid` holds in the group, or 404.
async fn member_scope(state: &AppState, app_id: &str, guid: &str, uid: &str) -> ApiResult<MemberScope> {
    match state.store.membership(app_id, guid, uid).await? {
        Some(m) => Ok(m.scope),
        None => Err(ApiError::not_found(ApiErrorCode::ErrGroupNotJoined, format!("{uid} is not a member of this group"))),
    }
}

/// Adds members and bans users: `admins`, `moderators`, `participants`, `usersToBan`, at most 25 in all.
/// Answers a result per uid. A user acting (a session, or `onBehalfOf`) does not add a user who blocked
/// them or whom they blocked (`ERR_BLOCKED_RECEIVER` for that uid). A session adds at most the server's
/// `--group-adds-per-day` users in a rolling 24 hours: the uids past it get `ERR_GROUP_ADD_LIMIT_REACHED`,
/// and a call that could add nobody because of it is refused as a whole (429, same code, `Retry-After`,
/// nothing done). The REST API key has no such limit.
#[utoipa::path(post, path = "/groups/{guid}/members", tag = "members", params(("guid" = String, Path, description = "The group's guid")), request_body = MemberLists,
    responses((status = 200, body = Data<BTreeMap<String, UidResult>>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn add_members(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>, ApiJson(body): ApiJson<MemberLists>) -> ApiResult<Json<Data<BTreeMap<String, UidResult>>>> {
    let group = access(&state, &caller, &guid).await?;
    let app_id = caller.app_id();
    let guid = group.record.group.guid.clone();
    let total = body.admins.len() + body.moderators.len() + body.participants.len() + body.users_to_ban.len();
    if total == 0 {
        return Err(ApiError::bad_field("participants", "name at least one user"));
    }
    if total > MAX_MEMBERS_PER_CALL {
        return Err(ApiError::over_limit("members", MAX_MEMBERS_PER_CALL, "users"));
    }
    let mut requests = Vec::new();
    for (field, list, scope) in [
        ("admins", &body.admins, Some(MemberScope::Admin)),
        ("moderators", &body.moderators, Some(MemberScope::Moderator)),
        ("participants", &body.participants, Some(MemberScope::Participant)),
        ("usersToBan", &body.users_to_ban, None),
    ] {
        for uid in validate::uid_list(field, list, MAX_MEMBERS_PER_CALL)? {
            requests.push((uid, scope));
        }
    }
    let adds = requests.iter().filter(|(_, scope)| scope.is_some()).count();
    let grant = reserve_adds(&state, &caller, adds).await;
    if let Some(err) = grant.as_ref().filter(|g| g.granted == 0).map(|g| add_limit_reached(&state, g)) {
        settle_adds(grant, 0).await;
        return Err(err);
    }
    // Adds that fail (unknown uid, blocked, already a member) do not use the allowance.
    let allowed = grant.as_ref().map_or(usize::MAX, |g| g.granted as usize);
    let mut made = 0;
    let mut results = BTreeMap::new();
    for (uid, scope) in requests {
        let outcome = match scope {
            Some(_) if made >= allowed => Err(add_limit_reached_for(&state, &uid)),
            _ => add_one(&state, app_id, &group, &guid, &uid, scope).await,
        };
        made += usize::from(scope.is_some() && outcome.is_ok());
        match uid_result(outcome) {
            Ok(result) => results.insert(uid, result),
            Err(err) => {
                settle_adds(grant, made).await;
                return Err(err);
            }
        };
    }
    settle_adds(grant, made).await;
    Ok(data(results))
}

async fn add_one(state: &AppState, app_id: &str, group: &GroupAccess, guid: &str, uid: &str, scope: Option<MemberScope>) -> ApiResult<()> {
    if state.store.user(app_id, uid).await?.is_none() {
        return Err(ApiError::uid_not_found(uid));
    }
    let current = state.store.membership(app_id, guid, uid).await?;
    let (change, action, extra) = match scope {
        Some(scope) => {
            group.require(GroupAction::AddMember(scope))?;
            if current.is_some() {
                return Err(ApiError::conflict(ApiErrorCode::ErrGroupAlreadyJoined, format!("{uid} is a member already")));
            }
            if state.store.is_banned(app_id, guid, uid).await? {
                return Err(banned_error());
            }
            not_blocked(state, app_id, group.actor.uid(), uid).await?;
            (MemberChange::Join { uid: uid.into(), scope }, "added", Some(json!({"scope": scope.as_str()})))
        }
        None => {
            owner_protected(group, uid)?;
            group.require(GroupAction::Ban { target: current.map_or(MemberScope::Participant, |m| m.scope) })?;
            (MemberChange::Ban { uid: uid.into() }, "banned", None)
        }
    };
    let message = member_action(guid, group.actor_name(), action, uid, extra);
    state.store.change_member(app_id, guid, &change, &message, now_secs()).await?;
    Ok(())
}

/// Lists a group's members, admins first. Members (or the REST API key).
#[utoipa::path(get, path = "/groups/{guid}/members", tag = "members", params(("guid" = String, Path, description = "The group's guid"), PageQuery),
    responses((status = 200, body = Page<GroupMember>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_members(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>, Query(query): Query<PageQuery>) -> ApiResult<Json<Page<GroupMember>>> {
    let group = access(&state, &caller, &guid).await?;
    if group.actor != Actor::App && group.membership.is_none() {
        return Err(not_joined());
    }
    let page = page_request(query.per_page, query.page)?;
    let (members, total) = state.store.members(caller.app_id(), &group.record.group.guid, page).await?;
    let meta = page_meta(total, members.len(), page);
    Ok(Json(Page { data: members, meta }))
}

/// Changes a member's scope. Admins; moderators between participant and moderator for participants.
#[utoipa::path(put, path = "/groups/{guid}/members/{uid}", tag = "members",
    params(("guid" = String, Path, description = "The group's guid"), ("uid" = String, Path, description = "The member's uid")), request_body = ChangeScope,
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn change_scope(caller: Caller, State(state): State<AppState>, Path((guid, uid)): Path<(String, String)>, ApiJson(body): ApiJson<ChangeScope>) -> ApiResult<Json<Data<Message>>> {
    let group = access(&state, &caller, &guid).await?;
    let guid = group.record.group.guid.clone();
    let uid = validate::id("uid", &uid)?;
    let target = member_scope(&state, caller.app_id(), &guid, &uid).await?;
    owner_protected(&group, &uid)?;
    group.require(GroupAction::ChangeScope { target, to: body.scope })?;
    let extra = json!({"scope": {"from": target.as_str(), "to": body.scope.as_str()}});
    let message = member_action(&guid, group.actor_name(), "scopeChanged", &uid, Some(extra));
    let change = MemberChange::Scope { uid, scope: body.scope };
    Ok(data(state.store.change_member(caller.app_id(), &guid, &change, &message, now_secs()).await?))
}

/// Removes a member. Admins; moderators for participants.
#[utoipa::path(delete, path = "/groups/{guid}/members/{uid}", tag = "members",
    params(("guid" = String, Path, description = "The group's guid"), ("uid" = String, Path, description = "The member's uid")),
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn kick_member(caller: Caller, State(state): State<AppState>, Path((guid, uid)): Path<(String, String)>) -> ApiResult<Json<Data<Message>>> {
    let group = access(&state, &caller, &guid).await?;
    let guid = group.record.group.guid.clone();
    let uid = validate::id("uid", &uid)?;
    let target = member_scope(&state, caller.app_id(), &guid, &uid).await?;
    owner_protected(&group, &uid)?;
    group.require(GroupAction::Kick { target })?;
    let message = member_action(&guid, group.actor_name(), "kicked", &uid, None);
    let change = MemberChange::Leave { uid };
    Ok(data(state.store.change_member(caller.app_id(), &guid, &change, &message, now_secs()).await?))
}

/// Joins a public group, or a password group with its password. Private groups are joined by invitation.
/// Wrong passwords are limited per user and group, and per group for all users together, over a sliding
/// window; past either limit the group's password joins are refused with 429 `ERR_TOO_MANY_REQUESTS` and
/// `Retry-After`, the right password too.
#[utoipa::path(post, path = "/groups/{guid}/join", tag = "members", params(("guid" = String, Path, description = "The group's guid")), request_body = JoinGroup,
    responses((status = 200, body = Data<Group>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn join_group(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>, ApiJson(body): ApiJson<JoinGroup>) -> ApiResult<Json<Data<Group>>> {
    crate::variant_features::require(&state, &caller, confab_protocol::rest::variants::switches::JOIN_LEAVE_GROUP).await?;
    let uid = caller.acting_user()?;
    let app_id = caller.app_id();
    let guid = validate::id("guid", &guid)?;
    // Not `access`: a private group the caller is not in answers "invitation only", not "not found".
    let record = state.store.group(app_id, &guid).await?.ok_or_else(|| ApiError::guid_not_found(&guid))?;
    if state.store.membership(app_id, &guid, &uid).await?.is_some() {
        return Err(ApiError::conflict(ApiErrorCode::ErrGroupAlreadyJoined, "you are a member already"));
    }
    if state.store.is_banned(app_id, &guid, &uid).await? {
        return Err(banned_error());
    }
    match record.group.group_type {
        GroupType::Public => {}
        GroupType::Private => {
            return Err(ApiError::forbidden(ApiErrorCode::ErrGroupJoinNotAllowed, "a private group is joined by invitation only"))
        }
        GroupType::Password => {
            let wrong = || {
                ApiError::forbidden(ApiErrorCode::ErrGroupWrongPassword, "the group's password does not match").with_field("password")
            };
            let Some(password) = body.password.filter(|p| !p.is_empty()) else { return Err(wrong()) };
            // Counted as wrong from here until it proves right, so a burst of guesses cannot pass the
            // check all at once.
            let guess = state.limits.attempts.begin_guess(app_id, &guid, &uid).await.map_err(|retry_after_secs| {
                ApiError::Limited {
                    code: ApiErrorCode::ErrTooManyRequests,
                    message: format!("too many wrong passwords for this group; retry in {retry_after_secs} s"),
                    details: ErrorDetails { field: Some("password".into()), limit: None },
                    retry_after_secs,
                }
            })?;
            let stored = record.password_hash.clone().unwrap_or_default();
            let check = check_password_blocking(password.clone(), stored.clone()).await;
            if !check.is_right() {
                return Err(wrong());
            }
            state.limits.attempts.forgive(guess).await;
            if check == PasswordCheck::RightButRehash {
                upgrade_password_hash(&state, app_id, &guid, &stored, password).await;
            }
        }
    }
    let message = member_action(&guid, &uid, "joined", &uid, Some(json!({"scope": MemberScope::Participant.as_str()})));
    let change = MemberChange::Join { uid: uid.clone(), scope: MemberScope::Participant };
    state.store.change_member(app_id, &guid, &change, &message, now_secs()).await?;
    Ok(data(access(&state, &caller, &guid).await?.view()))
}

/// Replaces a password group's old salted SHA-256 hash `old` with an argon2id hash of `password` (just
/// checked against it). Skipped when the stored hash is no longer `old` (an admin changed the password or
/// the type meanwhile); a failure is logged and the join goes on.
async fn upgrade_password_hash(state: &AppState, app_id: &str, guid: &str, old: &str, password: String) {
    let new_hash = password_hash_blocking(password).await;
    let still_old = match state.store.group(app_id, guid).await {
        Ok(Some(record)) => record.group.group_type == GroupType::Password && record.password_hash.as_deref() == Some(old),
        Ok(None) => false,
        Err(err) => {
            tracing::warn!(error = %err, "could not re-read a group to upgrade its password hash");
            false
        }
    };
    if !still_old {
        return;
    }
    let patch = GroupPatch { group_type: Some((GroupType::Password, Some(new_hash))), ..GroupPatch::default() };
    if let Err(err) = state.store.update_group(app_id, guid, &patch, now_secs()).await {
        tracing::warn!(error = %err, "could not store a group's upgraded password hash");
    }
}

/// Leaves a group.
#[utoipa::path(post, path = "/groups/{guid}/leave", tag = "members", params(("guid" = String, Path, description = "The group's guid")),
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn leave_group(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>) -> ApiResult<Json<Data<Message>>> {
    crate::variant_features::require(&state, &caller, confab_protocol::rest::variants::switches::JOIN_LEAVE_GROUP).await?;
    let uid = caller.acting_user()?;
    let group = access(&state, &caller, &guid).await?;
    if group.membership.is_none() {
        return Err(not_joined());
    }
    let guid = group.record.group.guid.clone();
    let message = member_action(&guid, &uid, "left", &uid, None);
    let change = MemberChange::Leave { uid };
    Ok(data(state.store.change_member(caller.app_id(), &guid, &change, &message, now_secs()).await?))
}

/// Bans a user: removes them and keeps them out. Admins; moderators for participants.
#[utoipa::path(post, path = "/groups/{guid}/bannedusers/{uid}", tag = "members",
    params(("guid" = String, Path, description = "The group's guid"), ("uid" = String, Path, description = "The user's uid")),
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn ban_user(caller: Caller, State(state): State<AppState>, Path((guid, uid)): Path<(String, String)>) -> ApiResult<Json<Data<Message>>> {
    let group = access(&state, &caller, &guid).await?;
    let guid = group.record.group.guid.clone();
    let uid = validate::id("uid", &uid)?;
    if state.store.user(caller.app_id(), &uid).await?.is_none() {
        return Err(ApiError::uid_not_found(&uid));
    }
    owner_protected(&group, &uid)?;
    let target = state.store.membership(caller.app_id(), &guid, &uid).await?.map_or(MemberScope::Participant, |m| m.scope);
    group.require(GroupAction::Ban { target })?;
    let message = member_action(&guid, group.actor_name(), "banned", &uid, None);
    let change = MemberChange::Ban { uid };
    Ok(data(state.store.change_member(caller.app_id(), &guid, &change, &message, now_secs()).await?))
}

/// Lets a banned user join again. Admins and moderators.
#[utoipa::path(delete, path = "/groups/{guid}/bannedusers/{uid}", tag = "members",
    params(("guid" = String, Path, description = "The group's guid"), ("uid" = String, Path, description = "The user's uid")),
    responses((status = 200, body = Data<Message>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn unban_user(caller: Caller, State(state): State<AppState>, Path((guid, uid)): Path<(String, String)>) -> ApiResult<Json<Data<Message>>> {
    let group = access(&state, &caller, &guid).await?;
    group.require(GroupAction::Unban)?;
    let guid = group.record.group.guid.clone();
    let uid = validate::id("uid", &uid)?;
    if !state.store.is_banned(caller.app_id(), &guid, &uid).await? {
        return Err(ApiError::not_found(ApiErrorCode::ErrUidNotFound, format!("{uid} is not banned from this group")));
    }
    let message = member_action(&guid, group.actor_name(), "unbanned", &uid, None);
    let change = MemberChange::Unban { uid };
    Ok(data(state.store.change_member(caller.app_id(), &guid, &change, &message, now_secs()).await?))
}

/// Lists the users banned from a group. Admins and moderators.
#[utoipa::path(get, path = "/groups/{guid}/bannedusers", tag = "members", params(("guid" = String, Path, description = "The group's guid"), PageQuery),
    responses((status = 200, body = Page<BannedUser>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_banned(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>, Query(query): Query<PageQuery>) -> ApiResult<Json<Page<BannedUser>>> {
    let group = access(&state, &caller, &guid).await?;
    group.require(GroupAction::ListBanned)?;
    let page = page_request(query.per_page, query.page)?;
    let (banned, total) = state.store.banned(caller.app_id(), &group.record.group.guid, page).await?;
    let meta = page_meta(total, banned.len(), page);
    Ok(Json(Page { data: banned, meta }))
}
