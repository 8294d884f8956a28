//! Groups: create (public, password, private), get, update, delete, list.

use axum::extract::{Path, Query, State};
use axum::Json;
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::limits::{MAX_MEMBERS_PER_CALL, MAX_PASSWORD_LEN};
use confab_protocol::rest::groups::{CreateGroup, Group, GroupQuery, GroupType, MemberScope, UpdateGroup};
use confab_protocol::rest::messages::{Category, MessageData, ReceiverType};
use confab_protocol::rest::{Data, Page, Success};
use confab_protocol::ids::group_conversation_id;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{data, page_meta, page_request};
use crate::apps::now_secs;
use crate::auth::{no_access, Actor, Caller};
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::policy::{allows, GroupAction};
use crate::secrets::password_hash;
use crate::state::AppState;
use crate::store::{GroupFilter, GroupPatch, GroupRecord, Membership, NewGroup, NewMessage, Patch, StoreError};
use crate::validate;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_group, list_groups))
        .routes(routes!(get_group, update_group, delete_group))
}

/// The sender of action messages the app itself causes.
pub(super) const APP_SENDER: &str = "app_system";

/// A group the caller may see, with the caller's membership.
pub(super) struct GroupAccess {
    /// The group.
    pub record: GroupRecord,
    /// Who acts.
    pub actor: Actor,
    /// The acting user's membership, if any.
    pub membership: Option<Membership>,
}

impl GroupAccess {
    /// The acting user's uid, or the app's sender name.
    pub fn actor_name(&self) -> &str {
        self.actor.uid().unwrap_or(APP_SENDER)
    }

    /// Refuses unless the app acts, or the acting member's scope allows `action`.
    pub fn require(&self, action: GroupAction) -> ApiResult<()> {
        match (&self.actor, self.membership) {
            (Actor::App, _) => Ok(()),
            (Actor::User(_), Some(m)) if allows(m.scope, action) => Ok(()),
            (Actor::User(_), Some(_)) => Err(ApiError::forbidden(
                ApiErrorCode::ErrGroupNoClearance,
                "your scope in this group does not allow this",
            )),
            (Actor::User(_), None) => Err(not_joined()),
        }
    }

    /// The group as the caller sees it.
    pub fn view(&self) -> Group {
        with_membership(self.record.group.clone(), self.membership)
    }
}

/// 403 `ERR_GROUP_NOT_JOINED`.
pub(super) fn not_joined() -> ApiError {
    ApiError::forbidden(ApiErrorCode::ErrGroupNotJoined, "you are not a member of this group")
}

fn with_membership(mut group: Group, membership: Option<Membership>) -> Group {
    group.scope = membership.map(|m| m.scope);
    group.has_joined = membership.is_some();
    group.joined_at = membership.map(|m| m.joined_at);
    group
}

/// Loads `guid` for the caller; a user cannot see a private group they are not in.
pub(super) async fn access(state: &AppState, caller: &Caller, guid: &str) -> ApiResult<GroupAccess> {
    let actor = caller.actor()?;
    let guid = validate::id("guid", guid)?;
    let record = state.store.group(caller.app_id(), &guid).await?.ok_or_else(|| ApiError::guid_not_found(&guid))?;
    let membership = match actor.uid() {
        Some(uid) => state.store.membership(caller.app_id(), &guid, uid).await?,
        None => None,
    };
    if actor != Actor::App && membership.is_none() && record.group.group_type == GroupType::Private {
        return Err(ApiError::guid_not_found(&guid));
    }
    Ok(GroupAccess { record, actor, membership })
}

/// The action message recording a member change in `guid`.
pub(super) fn member_action(guid: &str, by: &str, action: &str, on: &str, extra: Option<serde_json::Value>) -> NewMessage {
    let mut entities = json!({"by": {"uid": by}, "on": {"uid": on}, "for": {"guid": guid}});
    if let (Some(extra), Some(map)) = (extra, entities.as_object_mut()) {
        map.insert("extra".into(), extra);
    }
    NewMessage {
        conversation_id: group_conversation_id(guid),
        sender: by.to_owned(),
        receiver: guid.to_owned(),
        receiver_type: ReceiverType::Group,
        category: Category::Action,
        message_type: "groupMember".into(),
        data: MessageData { action: Some(action.into()), entities: Some(entities), ..MessageData::default() },
        tags: Vec::new(),
        muid: None,
        sent_at: now_secs(),
    }
}

fn checked_password(group_type: GroupType, password: Option<&str>) -> ApiResult<Option<String>> {
    match (group_type, password) {
        (GroupType::Password, Some(p)) if !p.is_empty() => {
            validate::max_chars("password", p, MAX_PASSWORD_LEN)?;
            Ok(Some(password_hash(p)))
        }
        (GroupType::Password, _) => Err(ApiError::bad_field("password", "a password group needs a password")),
        (_, Some(_)) => Err(ApiError::bad_field("password", "only password groups take a password")),
        (_, None) => Ok(None),
    }
}

/// Creates a group. The owner (a session's user, or `owner` with the REST API key) joins as admin.
#[utoipa::path(post, path = "/groups", tag = "groups", request_body = CreateGroup,
    responses((status = 200, body = Data<Group>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn create_group(caller: Caller, State(state): State<AppState>, ApiJson(body): ApiJson<CreateGroup>) -> ApiResult<Json<Data<Group>>> {
    let actor = caller.actor()?;
    let app_id = caller.app_id();
    let guid = validate::id("guid", &body.guid)?;
    let name = validate::name("name", &body.name)?;
    let password_hash = checked_password(body.group_type, body.password.as_deref())?;
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
    let record = state.store.create_group(app_id, &group, &members, &bans).await.map_err(|e| match e {
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

/// Updates a group; `unset` clears fields. Admins and moderators (only admins change the owner).
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
    let group_type = match body.group_type {
        Some(t) => Some((t, checked_password(t, body.password.as_deref())?)),
        None if body.password.is_some() => {
            let current = group.record.group.group_type;
            Some((current, checked_password(current, body.password.as_deref())?))
        }
        None => None,
    };
    validate::url("icon", body.icon.as_deref())?;
    validate::short_text("description", body.description.as_deref())?;
    validate::metadata("metadata", body.metadata.as_ref())?;
    validate::tags("tags", body.tags.as_deref())?;
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
