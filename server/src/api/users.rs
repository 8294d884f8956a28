//! Users: create, get, update (with `unset`), delete, list, deactivate and reactivate, and the signed-in
//! user's own profile (`/me`).

use axum::extract::{Path, Query, State};
use axum::Json;
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::rest::users::{CreateUser, DeactivateUsers, DeleteUser, ReactivateUsers, UpdateUser, User, UserQuery};
use confab_protocol::rest::{Data, Page, Success};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{data, page_meta, page_request};
use crate::apps::now_secs;
use crate::auth::{Actor, Caller, Principal};
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::secrets::{key_hash, random_hex};
use crate::state::AppState;
use crate::store::{NewUser, Patch, StoreError, UserFilter, UserOrigin, UserPatch, Viewer};
use confab_protocol::ids::is_reserved_uid;
use confab_protocol::rest::app::UidSignInPolicy;
use crate::validate;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user, list_users, reactivate_users, deactivate_users))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(get_me, update_me))
}

/// Fields users may change, by their wire names, for `unset`.
const UNSETTABLE: &[&str] = &["avatar", "link", "role", "statusMessage", "metadata", "tags"];

/// The editable profile fields of a create or update body.
struct ProfileFields<'a> {
    avatar: Option<&'a str>,
    link: Option<&'a str>,
    role: Option<&'a str>,
    status_message: Option<&'a str>,
    metadata: Option<&'a serde_json::Value>,
    tags: Option<&'a [String]>,
}

impl ProfileFields<'_> {
    fn check(&self) -> ApiResult<()> {
        validate::url("avatar", self.avatar)?;
        validate::url("link", self.link)?;
        validate::short_text("role", self.role)?;
        validate::short_text("statusMessage", self.status_message)?;
        validate::metadata("metadata", self.metadata)?;
        validate::tags("tags", self.tags)
    }
}

/// Refuses a uid kept for the server's own use (`app_system`, the guest prefix) to a new user.
pub(super) fn refuse_reserved(uid: &str) -> ApiResult<()> {
    match is_reserved_uid(uid) {
        true => Err(ApiError::bad_field("uid", format!("{uid} is kept for the server's own use")).with_code(ApiErrorCode::ErrUidReserved)),
        false => Ok(()),
    }
}

/// Hides what only the app sees of another user (`metadata`, `tags`) from a session.
pub(super) fn as_seen_by(actor: &Actor, user: &mut User) {
    if actor.uid().is_some_and(|me| me != user.uid) {
        user.metadata = None;
        user.tags = Vec::new();
    }
}

/// Refuses what an auth-only key may not set on a new user: it creates users as uid sign-in does (name,
/// avatar, link), only where uid sign-in is open.
fn check_public_create(caller: &Caller, body: &CreateUser) -> ApiResult<()> {
    if caller.app.uid_sign_in != UidSignInPolicy::Open {
        return Err(crate::auth::no_access(
            "the auth-only key creates users only where uid sign-in is open; use the REST API key on your backend",
        ));
    }
    let privileged = [
        ("role", body.role.is_some()),
        ("metadata", body.metadata.is_some()),
        ("tags", body.tags.is_some()),
        ("statusMessage", body.status_message.is_some()),
        ("withAuthToken", body.with_auth_token),
    ];
    match privileged.iter().find(|(_, set)| *set) {
        Some((field, _)) => Err(crate::auth::no_access(&format!("{field} needs the REST API key")).with_field(field)),
        None => Ok(()),
    }
}

/// A checked new user from a create body (or a sign-in profile), made by `origin`.
pub(super) fn new_user(body: &CreateUser, origin: UserOrigin) -> ApiResult<NewUser> {
    let uid = validate::id("uid", &body.uid)?;
    let name = validate::name("name", &body.name)?;
    ProfileFields {
        avatar: body.avatar.as_deref(),
        link: body.link.as_deref(),
        role: body.role.as_deref(),
        status_message: body.status_message.as_deref(),
        metadata: body.metadata.as_ref(),
        tags: body.tags.as_deref(),
    }
    .check()?;
    Ok(NewUser {
        uid,
        origin,
        name,
        avatar: body.avatar.clone(),
        link: body.link.clone(),
        role: body.role.clone().filter(|r| !r.trim().is_empty()).unwrap_or_else(|| "default".into()),
        status_message: body.status_message.clone(),
        metadata: body.metadata.clone(),
        tags: body.tags.clone().unwrap_or_default(),
        created_at: now_secs(),
    })
}

/// A checked patch from an update body; `role` only when `allow_role`.
fn user_patch(body: UpdateUser, allow_role: bool) -> ApiResult<UserPatch> {
    let unset = body.unset.unwrap_or_default();
    for (i, field) in unset.iter().enumerate() {
        if !UNSETTABLE.contains(&field.as_str()) || (field == "role" && !allow_role) {
            return Err(ApiError::bad_field(&format!("unset[{i}]"), format!("{field:?} cannot be unset")));
        }
    }
    if body.role.is_some() && !allow_role {
        return Err(ApiError::bad_field("role", "a user cannot change their own role"));
    }
    let clears = |field: &str| unset.iter().any(|f| f == field);
    let name = body.name.as_deref().map(|n| validate::name("name", n)).transpose()?;
    ProfileFields {
        avatar: body.avatar.as_deref(),
        link: body.link.as_deref(),
        role: body.role.as_deref(),
        status_message: body.status_message.as_deref(),
        metadata: body.metadata.as_ref(),
        tags: body.tags.as_deref(),
    }
    .check()?;
    Ok(UserPatch {
        name,
        avatar: Patch::from_parts(body.avatar, clears("avatar")),
        link: Patch::from_parts(body.link, clears("link")),
        role: Patch::from_parts(body.role, clears("role")),
        status_message: Patch::from_parts(body.status_message, clears("statusMessage")),
        metadata: Patch::from_parts(body.metadata, clears("metadata")),
        tags: Patch::from_parts(body.tags, clears("tags")),
    })
}

/// Creates a user. The REST API key or an auth-only key; `withAuthToken` also returns a token.
#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUser,
    responses((status = 200, body = Data<User>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn create_user(caller: Caller, State(state): State<AppState>, ApiJson(body): ApiJson<CreateUser>) -> ApiResult<Json<Data<User>>> {
    if !matches!(caller.principal, Principal::Admin { on_behalf_of: None } | Principal::AuthOnly) {
        return Err(crate::auth::no_access("users are created with the REST API key or an auth-only key"));
    }
    let origin = match caller.principal {
        Principal::AuthOnly => {
            check_public_create(&caller, &body)?;
            UserOrigin::Uid
        }
        _ => UserOrigin::Api,
    };
    let user = new_user(&body, origin)?;
    refuse_reserved(&user.uid)?;
    let token = body.with_auth_token.then(|| random_hex(24));
    let hash = token.as_deref().map(key_hash);
    let mut created = state.store.create_user(caller.app_id(), &user, hash.as_deref()).await.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::conflict(ApiErrorCode::ErrUidAlreadyExists, format!("a user with uid {} exists", user.uid))
            .with_field("uid"),
        other => other.into(),
    })?;
    created.auth_token = token;
    Ok(data(created))
}

/// Lists users: search, role, tag and paging. Any signed-in caller.
#[utoipa::path(get, path = "/users", tag = "users", params(UserQuery),
    responses((status = 200, body = Page<User>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_users(caller: Caller, State(state): State<AppState>, Query(query): Query<UserQuery>) -> ApiResult<Json<Page<User>>> {
    let actor = caller.actor()?;
    let page = page_request(query.per_page, query.page)?;
    if let Some(status) = query.status.as_deref() {
        if !matches!(status, "online" | "offline") {
            return Err(ApiError::bad_field("status", "must be online or offline"));
        }
    }
    let online = state.realtime.hub.online_uids(caller.app_id()).await;
    let (only, except) = match query.status.as_deref() {
        Some("online") => (Some(online), Vec::new()),
        Some(_) => (None, online),
        None => (None, Vec::new()),
    };
    let viewer = match &actor {
        Actor::App => None,
        Actor::User(uid) => Some(Viewer {
            uid: uid.clone(),
            visible_roles: caller.app.visible_roles.clone(),
            is_guest: state.store.user_origin(caller.app_id(), uid).await? == Some(UserOrigin::Guest),
        }),
    };
    let filter = UserFilter {
        viewer,
        search: query.search_key.filter(|s| !s.is_empty()),
        role: query.role,
        tag: query.tags,
        with_deactivated: query.with_deactivated.unwrap_or(false) && actor == Actor::App,
        only,
        except,
    };
    let (mut users, total) = state.store.list_users(caller.app_id(), &filter, page).await?;
    for user in &mut users {
        with_presence(&state, caller.app_id(), user).await;
        as_seen_by(&actor, user);
    }
    let meta = page_meta(total, users.len(), page);
    Ok(Json(Page { data: users, meta }))
}

/// Sets `status` from the connected devices (of every node, with a cluster presence).
async fn with_presence(state: &AppState, app_id: &str, user: &mut User) {
    user.status = if state.realtime.hub.is_online(app_id, &user.uid).await { "online" } else { "offline" }.into();
}

/// Reactivates users. REST API key.
#[utoipa::path(put, path = "/users", tag = "users", request_body = ReactivateUsers,
    responses((status = 200, body = Data<Vec<String>>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn reactivate_users(caller: Caller, State(state): State<AppState>, ApiJson(body): ApiJson<ReactivateUsers>) -> ApiResult<Json<Data<Vec<String>>>> {
    caller.require_admin()?;
    let uids = validate::uid_list("uidsToActivate", &body.uids_to_activate, confab_protocol::limits::MAX_PER_PAGE as usize)?;
    Ok(data(state.store.set_deactivated(caller.app_id(), &uids, None).await?))
}

/// Deactivates users: they can no longer sign in or be messaged. REST API key.
#[utoipa::path(delete, path = "/users", tag = "users", request_body = DeactivateUsers,
    responses((status = 200, body = Data<Vec<String>>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn deactivate_users(caller: Caller, State(state): State<AppState>, ApiJson(body): ApiJson<DeactivateUsers>) -> ApiResult<Json<Data<Vec<String>>>> {
    caller.require_admin()?;
    let uids = validate::uid_list("uidsToDeactivate", &body.uids_to_deactivate, confab_protocol::limits::MAX_PER_PAGE as usize)?;
    let changed = state.store.set_deactivated(caller.app_id(), &uids, Some(now_secs())).await?;
    for uid in &changed {
        state.credentials.forget_user(caller.app_id(), uid);
        state.realtime.revoke(caller.app_id(), uid, None);
    }
    Ok(data(changed))
}

/// Gets a user; a signed-in caller also sees `blockedByMe` and `hasBlockedMe`.
#[utoipa::path(get, path = "/users/{uid}", tag = "users", params(("uid" = String, Path, description = "The user's uid")),
    responses((status = 200, body = Data<User>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn get_user(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>) -> ApiResult<Json<Data<User>>> {
    let actor = caller.actor()?;
    let uid = validate::id("uid", &uid)?;
    let mut user = state.store.user(caller.app_id(), &uid).await?.ok_or_else(|| ApiError::uid_not_found(&uid))?;
    if let Actor::User(me) = &actor {
        if user.deactivated_at.is_some() && *me != uid {
            return Err(ApiError::uid_not_found(&uid));
        }
        user.blocked_by_me = Some(state.store.has_blocked(caller.app_id(), me, &uid).await?);
        user.has_blocked_me = Some(state.store.has_blocked(caller.app_id(), &uid, me).await?);
    }
    with_presence(&state, caller.app_id(), &mut user).await;
    as_seen_by(&actor, &mut user);
    Ok(data(user))
}

/// Updates a user; `unset` clears fields. REST API key.
#[utoipa::path(put, path = "/users/{uid}", tag = "users", params(("uid" = String, Path, description = "The user's uid")), request_body = UpdateUser,
    responses((status = 200, body = Data<User>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn update_user(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, ApiJson(body): ApiJson<UpdateUser>) -> ApiResult<Json<Data<User>>> {
    caller.require_admin()?;
    let uid = validate::id("uid", &uid)?;
    let patch = user_patch(body, true)?;
    let user = state.store.update_user(caller.app_id(), &uid, &patch, now_secs()).await?;
    Ok(data(user.ok_or_else(|| ApiError::uid_not_found(&uid))?))
}

/// Deletes a user with their tokens, memberships, blocks, friends and uploads; what they wrote becomes
/// tombstones and their 1:1 conversations close, so a user made later with the same uid reads nothing of theirs.
/// REST API key.
#[utoipa::path(delete, path = "/users/{uid}", tag = "users", params(("uid" = String, Path, description = "The user's uid")), request_body = DeleteUser,
    responses((status = 200, body = Data<Success>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn delete_user(caller: Caller, State(state): State<AppState>, Path(uid): Path<String>, ApiJson(_body): ApiJson<DeleteUser>) -> ApiResult<Json<Data<Success>>> {
    caller.require_admin()?;
    let uid = validate::id("uid", &uid)?;
    if !state.store.delete_user(caller.app_id(), &uid, now_secs()).await? {
        return Err(ApiError::uid_not_found(&uid));
    }
    state.credentials.forget_user(caller.app_id(), &uid);
    state.realtime.revoke(caller.app_id(), &uid, None);
    crate::media::remove_of_uploader(state.store.as_ref(), caller.app_id(), &uid).await?;
    Ok(data(Success { success: true, message: Some(format!("user {uid} deleted")) }))
}

/// The signed-in user (a session, or the REST API key with `onBehalfOf`).
#[utoipa::path(get, path = "/me", tag = "users",
    responses((status = 200, body = Data<User>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn get_me(caller: Caller, State(state): State<AppState>) -> ApiResult<Json<Data<User>>> {
    let uid = caller.acting_user()?;
    let mut user = state.store.user(caller.app_id(), &uid).await?.ok_or_else(|| ApiError::uid_not_found(&uid))?;
    with_presence(&state, caller.app_id(), &mut user).await;
    Ok(data(user))
}

/// Updates the signed-in user's own profile; the role cannot be changed this way.
#[utoipa::path(put, path = "/me", tag = "users", request_body = UpdateUser,
    responses((status = 200, body = Data<User>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn update_me(caller: Caller, State(state): State<AppState>, ApiJson(body): ApiJson<UpdateUser>) -> ApiResult<Json<Data<User>>> {
    let uid = caller.acting_user()?;
    let patch = user_patch(body, false)?;
    let user = state.store.update_user(caller.app_id(), &uid, &patch, now_secs()).await?;
    Ok(data(user.ok_or_else(|| ApiError::uid_not_found(&uid))?))
}
