//! Groups: create (public, password, private), get, update, delete, list.
//!
//! Abuse limits shared with [`super::members`]: a user never puts into a group a user who blocked them or
//! whom they blocked ([`not_blocked`]), and a session adds at most `Settings::group_adds_per_day` users to
//! groups in a rolling 24 hours ([`reserve_adds`]; the REST API key, with or without `onBehalfOf`, has no
//! such limit). Only admins change who may join a group (its type or password).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use confab_protocol::api_error::{ApiErrorCode, ErrorDetails};
use confab_protocol::limits::{MAX_MEMBERS_PER_CALL, MAX_PASSWORD_LEN};
use confab_protocol::rest::groups::{CreateGroup, Group, GroupQuery, GroupType, MemberScope, UpdateGroup};
use confab_protocol::rest::messages::{Category, MessageData, ReceiverType};
use confab_protocol::rest::{Data, Page, Success};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{data, page_meta, page_request};
use crate::apps::now_secs;
use crate::attempts::AddGrant;
use crate::auth::{no_access, Actor, Caller, Principal};
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::policy::GroupAction;
use crate::secrets::password_hash_blocking;
use crate::chat::access;
use crate::state::AppState;
use crate::store::{GroupFilter, GroupPatch, Membership, NewGroup, NewMessage, Patch, StoreError};
use crate::validate;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_group, list_groups))
        .routes(routes!(get_group, update_group, delete_group))
}

pub(crate) fn with_membership(mut group: Group, membership: Option<Membership>) -> Group {
    group.scope = membership.map(|m| m.scope);
    group.has_joined = membership.is_some();
    group.joined_at = membership.map(|m| m.joined_at);
    group
}

/// The action message recording a member change in `guid`.
pub(super) fn member_action(guid: &str, by: &str, action: &str, on: &str, extra: Option<serde_json::Value>) -> NewMessage {
    let mut entities = json!({"by": {"uid": by}, "on": {"uid": on}, "for": {"guid": guid}});
    if let (Some(extra), Some(map)) = (extra, entities.as_object_mut()) {
        map.insert("extra".into(), extra);
    }
    NewMessage {
        sender: by.to_owned(),
        receiver: guid.to_owned(),
        receiver_type: ReceiverType::Group,
        category: Category::Action,
        message_type: "groupMember".into(),
        data: MessageData { action: Some(action.into()), entities: Some(entities), ..MessageData::default() },
        tags: Vec::new(),
        muid: None,
        sent_at: now_secs(),
        ..NewMessage::default()
    }
}

/// The stored hash (argon2id) of a group's password, checked against its type; hashed on the blocking pool.
async fn checked_password(group_type: GroupType, password: Option<&str>) -> ApiResult<Option<String>> {
    match (group_type, password) {
        (GroupType::Password, Some(p)) if !p.is_empty() => {
            validate::max_chars("password", p, MAX_PASSWORD_LEN)?;
            Ok(Some(password_hash_blocking(p.to_owned()).await))
        }
        (GroupType::Password, _) => Err(ApiError::bad_field("password", "a password group needs a password")),
        (_, Some(_)) => Err(ApiError::bad_field("password", "only password groups take a password")),
        (_, None) => Ok(None),
    }
}

/// Refuses (403 `ERR_BLOCKED_RECEIVER`) when `actor` (a user adding members) and `uid` are blocked either
/// way: blocks keep users out of each other's groups as they keep them out of each other's DMs. The app
/// itself (`actor` `None`) adds anyone.
pub(super) async fn not_blocked(state: &AppState, app_id: &str, actor: Option<&str>, uid: &str) -> ApiResult<()> {
    let Some(actor) = actor.filter(|a| *a != uid) else { return Ok(()) };
    if state.store.has_blocked(app_id, uid, actor).await? || state.store.has_blocked(app_id, actor, uid).await? {
        return Err(ApiError::forbidden(
            ApiErrorCode::ErrBlockedReceiver,
            format!("{uid} cannot be added: one of you has blocked the other"),
        ));
    }
    Ok(())
}

/// The session user whose group adds are counted: a session token's user. The REST API key (also with
/// `onBehalfOf`) is the site's backend and is not counted.
fn counted_user(caller: &Caller) -> Option<&str> {
    match &caller.principal {
        Principal::User(uid) => Some(uid),
        _ => None,
    }
}

/// Users a call may add to groups now, out of the session's daily allowance; `None` when not counted (the
/// REST API key, or `group_adds_per_day` 0). Settle it with [`settle_adds`].
pub(super) async fn reserve_adds(state: &AppState, caller: &Caller, wanted: usize) -> Option<AddGrant> {
    let per_day = state.settings.group_adds_per_day;
    let uid = counted_user(caller).filter(|_| per_day > 0 && wanted > 0)?;
    let wanted = u32::try_from(wanted).unwrap_or(u32::MAX);
    Some(state.limits.attempts.reserve_adds(caller.app_id(), uid, wanted, per_day).await)
}

/// Only the `made` adds of `grant` keep counting.
pub(super) async fn settle_adds(grant: Option<AddGrant>, made: usize) {
    if let Some(grant) = grant {
        grant.settle(u32::try_from(made).unwrap_or(u32::MAX)).await;
    }
}

/// 429 `ERR_GROUP_ADD_LIMIT_REACHED` with `Retry-After`: the call would add users past the session's daily
/// allowance (`details.limit`), and nothing was done.
pub(super) fn add_limit_reached(state: &AppState, grant: &AddGrant) -> ApiError {
    let per_day = state.settings.group_adds_per_day;
    ApiError::Limited {
        code: ApiErrorCode::ErrGroupAddLimitReached,
        message: format!(
            "a session may add {per_day} users to groups in 24 hours; {} more now, more in {} s",
            grant.granted, grant.retry_after_secs
        ),
        details: ErrorDetails { field: Some("members".into()), limit: Some(u64::from(per_day)) },
        retry_after_secs: grant.retry_after_secs,
    }
}

/// The per-uid refusal of an add past the session's daily allowance (`ERR_GROUP_ADD_LIMIT_REACHED`).
pub(super) fn add_limit_reached_for(state: &AppState, uid: &str) -> ApiError {
    let per_day = state.settings.group_adds_per_day;
    let mut err = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ApiErrorCode::ErrGroupAddLimitReached,
        format!("{uid} was not added: a session may add {per_day} users to groups in 24 hours"),
    );
    if let ApiError::Refused { details, .. } = &mut err {
        details.limit = Some(u64::from(per_day));
    }
    err
}

/// Creates a group. The owner (a session's user, or `owner` with the REST API key) joins as admin. A user
/// creating it with a member who blocked them or whom they blocked is refused (403 `ERR_BLOCKED_RECEIVER`),
/// and a session whose members would pass its daily allowance too (429 `ERR_GROUP_ADD_LIMIT_REACHED`).
#[utoipa::path(post, path = "/groups", tag = "groups", request_body = CreateGroup,
    responses((status = 200, body = Data<Group>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn create_group(caller: Caller, State(state): State<AppState>, ApiJson(body): ApiJson<CreateGroup>) -> ApiResult<Json<Data<Group>>> {
    crate::variant_features::require(&state, &caller, confab_protocol::rest::variants::switches::CREATE_GROUP).await?;
    let actor = caller.actor()?;
    let app_id = caller.app_id();
    let guid = validate::id("guid", &body.guid)?;
    let name = validate::name("name", &body.name)?;
    validate::url("icon", body.icon.as_deref())?;
    validate::short_text("description", body.description.as_deref())?;
    validate::metadata("metadata", body.metadata.as_ref())?;
    validate::tags("tags", body.tags.as_deref())?;
    let owner = match (&actor, body.owner.as_deref()) {
        (Actor::User(me), Some(owner)) if !owner.eq_ignore_ascii_case(me) => {
            return Err(no_access("a user creates groups they own; owner must be yourself"))
        }
        (Actor::User(me), _) => Some(me.clone()),
        (Actor::App, Some(owner)) => Some(validate::id("owner", owner)?),
        (Actor::App, None) => None,
    };
    let lists = body.members.unwrap_or_default();
    let requested = lists.admins.len() + lists.moderators.len() + lists.participants.len() + lists.users_to_ban.len();
    if requested > MAX_MEMBERS_PER_CALL {
        return Err(ApiError::over_limit("members", MAX_MEMBERS_PER_CALL, "users"));
    }
    let mut members = Vec::new();
    for (field, list, scope) in [
        ("members.admins", &lists.admins, MemberScope::Admin),
        ("members.moderators", &lists.moderators, MemberScope::Moderator),
        ("members.participants", &lists.participants, MemberScope::Participant),
    ] {
        for uid in validate::uid_list(field, list, MAX_MEMBERS_PER_CALL)? {
            members.push((uid, scope));
        }
    }
    let bans = validate::uid_list("members.usersToBan", &lists.users_to_ban, MAX_MEMBERS_PER_CALL)?;
    if let Some(owner) = &owner {
        members.retain(|(uid, _)| uid != owner);
        members.push((owner.clone(), MemberScope::Admin));
    }
    for uid in members.iter().map(|(uid, _)| uid).chain(&bans) {
        if state.store.user(app_id, uid).await?.is_none() {
            return Err(ApiError::uid_not_found(uid).with_field("members"));
        }
    }
    // Creation is all or nothing (as for an unknown uid): a blocked member or one past the session's daily
    // allowance refuses the whole call. The owner is not counted.
    for (uid, _) in &members {
        not_blocked(&state, app_id, actor.uid(), uid).await.map_err(|e| e.with_field("members"))?;
    }
    let added = members.iter().filter(|(uid, _)| Some(uid) != owner.as_ref()).count();
    let grant = reserve_adds(&state, &caller, added).await;
    if let Some(err) = grant.as_ref().filter(|g| (g.granted as usize) < added).map(|g| add_limit_reached(&state, g)) {
        settle_adds(grant, 0).await;
        return Err(err);
    }
    let password_hash = match checked_password(body.group_type, body.password.as_deref()).await {
        Ok(hash) => hash,
        Err(err) => {
            settle_adds(grant, 0).await;
            return Err(err);
        }
    };
    let group = NewGroup {
        guid: guid.clone(),
        name,
        group_type: body.group_type,
        password_hash,
        icon: body.icon,
        description: body.description,
        metadata: body.metadata,
        owner: owner.clone(),
        tags: body.tags.unwrap_or_default(),
        created_at: now_secs(),
    };
    let created = state.store.create_group(app_id, &group, &members, &bans).await;
    settle_adds(grant, if created.is_ok() { added } else { 0 }).await;
    let record = created.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::conflict(ApiErrorCode::ErrGuidAlreadyExists, format!("a group with guid {guid} exists"))
            .with_field("guid"),
        other => other.into(),
    })?;
    let membership = match actor.uid() {
        Some(uid) => state.store.membership(app_id, &guid, uid).await?,
        None => None,
    };
    Ok(data(with_membership(record.group, membership)))
}

/// Lists groups: all of them for the REST API key; public, password and joined private groups for a user.
#[utoipa::path(get, path = "/groups", tag = "groups", params(GroupQuery),
    responses((status = 200, body = Page<Group>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_groups(caller: Caller, State(state): State<AppState>, Query(query): Query<GroupQuery>) -> ApiResult<Json<Page<Group>>> {
    let actor = caller.actor()?;
    let page = page_request(query.per_page, query.page)?;
    let filter = GroupFilter {
        search: query.search_key.filter(|s| !s.is_empty()),
        tag: query.tags,
        viewer: actor.uid().map(str::to_owned),
        joined_only: query.has_joined.unwrap_or(false) && actor != Actor::App,
    };
    let (groups, total) = state.store.list_groups(caller.app_id(), &filter, page).await?;
    let meta = page_meta(total, groups.len(), page);
    Ok(Json(Page { data: groups, meta }))
}

/// Gets a group.
#[utoipa::path(get, path = "/groups/{guid}", tag = "groups", params(("guid" = String, Path, description = "The group's guid")),
    responses((status = 200, body = Data<Group>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn get_group(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>) -> ApiResult<Json<Data<Group>>> {
    Ok(data(access(&state, &caller, &guid).await?.view()))
}

/// Updates a group; `unset` clears fields. Admins and moderators (only admins change the owner, the type
/// or the password: a moderator's change of these is 403 `ERR_GROUP_NO_CLEARANCE`).
#[utoipa::path(put, path = "/groups/{guid}", tag = "groups", params(("guid" = String, Path, description = "The group's guid")), request_body = UpdateGroup,
    responses((status = 200, body = Data<Group>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn update_group(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>, ApiJson(body): ApiJson<UpdateGroup>) -> ApiResult<Json<Data<Group>>> {
    let group = access(&state, &caller, &guid).await?;
    group.require(GroupAction::Update)?;
    let guid = group.record.group.guid.clone();
    let unset = body.unset.unwrap_or_default();
    for (i, field) in unset.iter().enumerate() {
        if !["icon", "description", "metadata", "tags"].contains(&field.as_str()) {
            return Err(ApiError::bad_field(&format!("unset[{i}]"), format!("{field:?} cannot be unset")));
        }
    }
    let clears = |f: &str| unset.iter().any(|u| u == f);
    let name = body.name.as_deref().map(|n| validate::name("name", n)).transpose()?;
    let current = group.record.group.group_type;
    // Who may join is the admins' to decide: a private group made public opens its history to everyone.
    if body.group_type.is_some_and(|t| t != current) || body.password.is_some() {
        let field = if body.group_type.is_some_and(|t| t != current) { "type" } else { "password" };
        group.require(GroupAction::ChangeAccess).map_err(|e| match e.code() {
            ApiErrorCode::ErrGroupNoClearance => ApiError::forbidden(
                ApiErrorCode::ErrGroupNoClearance,
                "only the group's admins may change its type or password",
            )
            .with_field(field),
            _ => e,
        })?;
    }
    validate::url("icon", body.icon.as_deref())?;
    validate::short_text("description", body.description.as_deref())?;
    validate::metadata("metadata", body.metadata.as_ref())?;
    validate::tags("tags", body.tags.as_deref())?;
    let group_type = match body.group_type {
        Some(t) => Some((t, checked_password(t, body.password.as_deref()).await?)),
        None if body.password.is_some() => Some((current, checked_password(current, body.password.as_deref()).await?)),
        None => None,
    };
    let owner = match body.owner.as_deref() {
        Some(owner) => {
            group.require(GroupAction::Delete)?;
            let owner = validate::id("owner", owner)?;
            if state.store.membership(caller.app_id(), &guid, &owner).await?.is_none() {
                return Err(ApiError::bad_field("owner", "the new owner must be a member"));
            }
            Some(owner)
        }
        None => None,
    };
    let patch = GroupPatch {
        name,
        group_type,
        icon: Patch::from_parts(body.icon, clears("icon")),
        description: Patch::from_parts(body.description, clears("description")),
        metadata: Patch::from_parts(body.metadata, clears("metadata")),
        owner,
        tags: Patch::from_parts(body.tags, clears("tags")),
    };
    let record = state.store.update_group(caller.app_id(), &guid, &patch, now_secs()).await?;
    let record = record.ok_or_else(|| ApiError::guid_not_found(&guid))?;
    let membership = match group.actor.uid() {
        Some(uid) => state.store.membership(caller.app_id(), &guid, uid).await?,
        None => None,
    };
    Ok(data(with_membership(record.group, membership)))
}

/// Deletes a group with its members and messages. Group admins.
#[utoipa::path(delete, path = "/groups/{guid}", tag = "groups", params(("guid" = String, Path, description = "The group's guid")),
    responses((status = 200, body = Data<Success>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn delete_group(caller: Caller, State(state): State<AppState>, Path(guid): Path<String>) -> ApiResult<Json<Data<Success>>> {
    let group = access(&state, &caller, &guid).await?;
    group.require(GroupAction::Delete)?;
    let guid = &group.record.group.guid;
    state.store.delete_group(caller.app_id(), guid).await?;
    Ok(data(Success { success: true, message: Some(format!("group {guid} deleted")) }))
}
