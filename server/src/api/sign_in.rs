//! Sign-in for the widget, one endpoint per mode. Each answers the user and a new session token, which
//! the widget then sends as `authtoken`; the REST API key is never needed in a browser.
//!
//! - guest: the app's auth-only key creates a new guest user;
//! - uid: the auth-only key signs in the site's user, created on first sight; with identity verification
//!   on, `userHash` must be the HMAC-SHA256 of the uid with the app's identity secret;
//! - authToken: a token the site's backend got through the REST API.
//!
//! Each takes an optional `variantID`, a widget variant of the app: the token remembers it, and the server
//! refuses this session what the variant turns off (see [`crate::variant_features`]).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::rest::auth::{GuestSignIn, Profile, Session, TokenSignIn, UidSignIn};
use confab_protocol::rest::users::{CreateUser, User};
use confab_protocol::rest::Data;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::data;
use super::users::{new_user, refuse_reserved};
use crate::apps::now_secs;
use crate::auth::{no_access, Caller, Principal};
use crate::client_addr::ClientAddr;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::secrets::{key_hash, random_hex, user_hash_matches};
use crate::state::AppState;
use crate::store::{TokenLifetime, UserOrigin};
use crate::validate;
use confab_protocol::ids::GUEST_UID_PREFIX;
use confab_protocol::rest::app::UidSignInPolicy;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(guest)).routes(routes!(uid)).routes(routes!(token))
}

fn require_sign_in_key(caller: &Caller) -> ApiResult<()> {
    match caller.principal {
        Principal::AuthOnly | Principal::Admin { on_behalf_of: None } => Ok(()),
        _ => Err(no_access("sign-in takes the app's auth-only key (or the REST API key) in the apikey header")),
    }
}

fn profile_user(uid: String, default_name: String, profile: Option<Profile>) -> CreateUser {
    let profile = profile.unwrap_or_default();
    CreateUser {
        uid,
        name: profile.name.filter(|n| !n.trim().is_empty()).unwrap_or(default_name),
        avatar: profile.avatar,
        link: profile.link,
        ..CreateUser::default()
    }
}

/// Prefixes `user.` to a field error from the profile.
fn in_profile(err: ApiError) -> ApiError {
    match err {
        ApiError::Refused { status, code, message, mut details } => {
            details.field = details.field.map(|f| if f == "uid" { f } else { format!("user.{f}") });
            ApiError::Refused { status, code, message, details }
        }
        other => other,
    }
}

async fn session_for(state: &AppState, app_id: &str, user: User, lifetime: TokenLifetime, variant: Option<&str>) -> ApiResult<Json<Data<Session>>> {
    let token = random_hex(24);
    state.store.create_token_in_variant(app_id, &user.uid, &key_hash(&token), now_secs(), lifetime, variant).await?;
    Ok(data(Session { user, auth_token: token }))
}

/// The stored id of the variant a sign-in names, which must be one of the app's (404
/// `ERR_VARIANT_NOT_FOUND` on `variantID`, as for another app's variant).
async fn sign_in_variant(state: &AppState, app_id: &str, variant_id: Option<&str>) -> ApiResult<Option<String>> {
    let Some(variant_id) = variant_id else { return Ok(None) };
    let id = validate::id("variantID", variant_id)?;
    match state.store.variant(app_id, &id).await? {
        Some(_) => Ok(Some(id)),
        None => Err(ApiError::not_found(ApiErrorCode::ErrVariantNotFound, format!("the app has no variant {id}")).with_field("variantID")),
    }
}

/// A guest's session ends after the server's idle time without use (`--guest-token-idle-days`).
fn guest_lifetime(state: &AppState) -> TokenLifetime {
    let idle = state.settings.guest_token_idle_secs;
    TokenLifetime { expires_at: None, idle_secs: (idle > 0).then_some(idle) }
}

/// Signs in a new guest. The app's auth-only key.
#[utoipa::path(post, path = "/auth/guest", tag = "sign-in", request_body = GuestSignIn,
    responses((status = 200, body = Data<Session>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn guest(caller: Caller, ClientAddr(client): ClientAddr, State(state): State<AppState>, ApiJson(body): ApiJson<GuestSignIn>) -> ApiResult<Json<Data<Session>>> {
    require_sign_in_key(&caller)?;
    let variant = sign_in_variant(&state, caller.app_id(), body.variant_id.as_deref()).await?;
    if caller.principal == Principal::AuthOnly {
        crate::rate_limit::check_guest_creation(&state, caller.app_id(), client).await?;
    }
    let suffix = random_hex(6);
    let request = profile_user(format!("{GUEST_UID_PREFIX}{suffix}"), format!("Guest {}", &suffix[..4]), body.user);
    let user = new_user(&request, UserOrigin::Guest).map_err(in_profile)?;
    let created = state.store.create_user(caller.app_id(), &user, None).await?;
    session_for(&state, caller.app_id(), created, guest_lifetime(&state), variant.as_deref()).await
}

/// Signs in the site's user by uid, creating them on first sight. The app's auth-only key.
///
/// `userHash` is the hex HMAC-SHA256 of the uid in its stored form (lower-cased), keyed with the app's
/// identity secret. It is needed when the app's uid sign-in is `verified` (the default), and always for a
/// user uid sign-in did not make: a guest, a bot, a user the site's backend made.
#[utoipa::path(post, path = "/auth/uid", tag = "sign-in", request_body = UidSignIn,
    responses((status = 200, body = Data<Session>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn uid(caller: Caller, State(state): State<AppState>, ApiJson(body): ApiJson<UidSignIn>) -> ApiResult<Json<Data<Session>>> {
    require_sign_in_key(&caller)?;
    let uid = validate::id("uid", &body.uid)?;
    let variant = sign_in_variant(&state, caller.app_id(), body.variant_id.as_deref()).await?;
    let policy = caller.app.uid_sign_in;
    if policy == UidSignInPolicy::Off {
        return Err(ApiError::forbidden(ApiErrorCode::AuthErrUidSignInOff, "this app does not sign users in by uid").with_field("uid"));
    }
    let hash_refused = |message: &str| ApiError::unauthorized(ApiErrorCode::AuthErrUserHashInvalid, message).with_field("userHash");
    let vouched = match body.user_hash.as_deref() {
        Some(hash) if user_hash_matches(&caller.app.identity_secret, &uid, hash) => true,
        Some(_) => {
            return Err(hash_refused(
                "userHash must be the hex HMAC-SHA256 of the lower-cased uid keyed with the app's identity secret",
            ))
        }
        // The REST API key speaks for the site's backend.
        None => matches!(caller.principal, Principal::Admin { .. }),
    };
    if policy == UidSignInPolicy::Verified && !vouched {
        return Err(hash_refused("this app signs uids in only with a userHash from the site's backend"));
    }
    let stored = match state.store.user_origin(caller.app_id(), &uid).await? {
        Some(origin) => {
            if origin != UserOrigin::Uid && !vouched {
                return Err(hash_refused("this user was not made by uid sign-in: signing in as them needs a userHash"));
            }
            state.store.user(caller.app_id(), &uid).await?.ok_or_else(|| ApiError::uid_not_found(&uid))?
        }
        None => {
            refuse_reserved(&uid)?;
            let name = body.user.as_ref().and_then(|p| p.name.clone()).unwrap_or_else(|| uid.clone());
            let request = profile_user(uid.clone(), name, body.user);
            let user = new_user(&request, UserOrigin::Uid).map_err(in_profile)?;
            state.store.user_or_create(caller.app_id(), &user).await?.0
        }
    };
    if stored.deactivated_at.is_some() {
        return Err(ApiError::forbidden(ApiErrorCode::ErrUserDeactivated, "this user is deactivated"));
    }
    session_for(&state, caller.app_id(), stored, TokenLifetime::default(), variant.as_deref()).await
}

/// Checks a token issued through the REST API and answers its user. Headers: `appid` only. The token takes
/// this sign-in's `variantID` (none: the app's default).
#[utoipa::path(post, path = "/auth/token", tag = "sign-in", request_body = TokenSignIn,
    responses((status = 200, body = Data<Session>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn token(State(state): State<AppState>, headers: HeaderMap, ApiJson(body): ApiJson<TokenSignIn>) -> ApiResult<Json<Data<Session>>> {
    let app_id = headers.get("appid").and_then(|v| v.to_str().ok()).unwrap_or("").trim();
    let refused = || {
        ApiError::unauthorized(ApiErrorCode::AuthErrAuthTokenNotFound, "the auth token is unknown or revoked").with_field("authToken")
    };
    let hash = key_hash(body.auth_token.trim());
    if let Err(retry_after_secs) = state.limiter.check(&hash).await {
        return Err(ApiError::RateLimited { retry_after_secs });
    }
    let owner = state.store.token_owner(&hash, now_secs()).await?.filter(|o| o.app_id == app_id).ok_or_else(refused)?;
    if owner.deactivated {
        return Err(ApiError::forbidden(ApiErrorCode::ErrUserDeactivated, "this user is deactivated"));
    }
    let variant = sign_in_variant(&state, app_id, body.variant_id.as_deref()).await?;
    let user = state.store.user(app_id, &owner.uid).await?.ok_or_else(refused)?;
    if owner.variant_id != variant {
        state.store.set_token_variant(&hash, variant.as_deref()).await?;
    }
    Ok(data(Session { user, auth_token: body.auth_token.trim().to_owned() }))
}
