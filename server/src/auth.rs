//! Who is calling: the [`Caller`] extractor reads `appid` and one credential — `apikey` (a REST API key or
//! an auth-only key; `authkey` is accepted for the latter) or `authtoken` (a session) — checks it belongs to
//! that app, applies the credential's rate limit, and resolves `onBehalfOf`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use confab_protocol::api_error::ApiErrorCode;
use std::sync::Arc;

use crate::credentials::UserState;
use crate::error::{ApiError, ApiResult};
use crate::secrets::key_hash;
use crate::state::AppState;
use crate::store::{App, KeyScope};
use crate::validate;

/// What the credential lets the caller do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A REST API key: anything in the app; with `onBehalfOf`, acts as that user.
    Admin {
        /// The user named by `onBehalfOf`.
        on_behalf_of: Option<String>,
    },
    /// An auth-only key: may create users and sign them in.
    AuthOnly,
    /// A session token: acts as this user, within their rights.
    User(String),
}

/// Who a call acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The app itself (REST API key without `onBehalfOf`): every right.
    App,
    /// A user, within their rights.
    User(String),
}

impl Actor {
    /// The user's uid, or `None` for the app.
    pub fn uid(&self) -> Option<&str> {
        match self {
            Self::App => None,
            Self::User(uid) => Some(uid),
        }
    }
}

/// The authenticated caller of a `/v3` request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The caller's app.
    pub app: Arc<App>,
    /// What the credential allows.
    pub principal: Principal,
    /// The widget variant a session signed in with (`None`: the app's default, or not a session).
    pub variant_id: Option<String>,
}

impl Caller {
    /// The app's id.
    pub fn app_id(&self) -> &str {
        &self.app.app_id
    }

    /// Refuses anything but a REST API key.
    pub fn require_admin(&self) -> ApiResult<()> {
        match self.principal {
            Principal::Admin { .. } => Ok(()),
            _ => Err(no_access("this call needs the REST API key")),
        }
    }

    /// Who the call acts as; an auth-only key acts as nobody.
    pub fn actor(&self) -> ApiResult<Actor> {
        match &self.principal {
            Principal::Admin { on_behalf_of: None } => Ok(Actor::App),
            Principal::Admin { on_behalf_of: Some(uid) } | Principal::User(uid) => Ok(Actor::User(uid.clone())),
            Principal::AuthOnly => Err(no_access("an auth-only key may only create users and sign them in")),
        }
    }

    /// The user the call acts as; the REST API key must name one with `onBehalfOf`.
    pub fn acting_user(&self) -> ApiResult<String> {
        match self.actor()? {
            Actor::User(uid) => Ok(uid),
            Actor::App => Err(ApiError::bad_field("onBehalfOf", "this call acts as a user: name one in the onBehalfOf header")
                .with_code(ApiErrorCode::ErrOnBehalfOfRequired)),
        }
    }

    /// Allows the app, or the user `uid` acting on themselves.
    pub fn require_self_or_admin(&self, uid: &str) -> ApiResult<()> {
        match self.actor()? {
            Actor::App => Ok(()),
            Actor::User(me) if me == uid => Ok(()),
            Actor::User(_) => Err(no_access("a user may only do this for themselves")),
        }
    }
}

/// 403 `AUTH_ERR_NO_ACCESS`.
pub fn no_access(message: &str) -> ApiError {
    ApiError::forbidden(ApiErrorCode::AuthErrNoAccess, message)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Only the console's pass-through inserts a grant, after checking the owner's session; no header
        // can make one.
        if let Some(grant) = parts.extensions.get::<crate::console::ConsoleGrant>().cloned() {
            return console_caller(parts, state, &grant).await;
        }
        let headers = &parts.headers;
        let app_id = header(headers, "appid").ok_or_else(|| {
            ApiError::unauthorized(ApiErrorCode::ErrAppNotFound, "send the app's id in the appid header").with_field("appid")
        })?;
        let app = state.credentials.app(state.store.as_ref(), app_id).await?.ok_or_else(|| {
            ApiError::unauthorized(ApiErrorCode::ErrAppNotFound, format!("no app with id {app_id}")).with_field("appid")
        })?;
        let key = header(headers, "apikey").or_else(|| header(headers, "authkey"));
        let mut variant_id = None;
        let (principal, credential) = if let Some(key) = key {
            let hash = key_hash(key);
            let record = state.credentials.key(state.store.as_ref(), &hash).await?;
            let record = record.filter(|r| r.app_id == app.app_id).ok_or_else(|| {
                ApiError::unauthorized(ApiErrorCode::AuthErrApikeyNotFound, "the key is not a key of this app")
                    .with_field("apikey")
            })?;
            let principal = match record.scope {
                KeyScope::FullAccess => Principal::Admin { on_behalf_of: None },
                KeyScope::AuthOnly => Principal::AuthOnly,
            };
            (principal, hash)
        } else if let Some(token) = header(headers, "authtoken") {
            let hash = key_hash(token);
            let owner = state.store.token_owner(&hash, crate::apps::now_secs()).await?.filter(|o| o.app_id == app.app_id).ok_or_else(|| {
                ApiError::unauthorized(ApiErrorCode::AuthErrAuthTokenNotFound, "the auth token is unknown or revoked")
                    .with_field("authtoken")
            })?;
            if owner.deactivated {
                return Err(ApiError::forbidden(ApiErrorCode::ErrUserDeactivated, "this user is deactivated"));
            }
            variant_id = owner.variant_id;
            (Principal::User(owner.uid), hash)
        } else {
            return Err(ApiError::unauthorized(
                ApiErrorCode::AuthErrApikeyNotFound,
                "send an apikey or authtoken header",
            )
            .with_field("apikey"));
        };
        check_rate_limit(parts, state, &app.app_id, &principal, &credential).await?;
        let principal = on_behalf_of(headers, state, &app.app_id, principal).await?;
        Ok(Caller { app, principal, variant_id })
    }
}

/// `principal` after the `onBehalfOf` header: the REST API key acts as the (active) user it names; a
/// session may name only its own user.
async fn on_behalf_of(headers: &HeaderMap, state: &AppState, app_id: &str, principal: Principal) -> ApiResult<Principal> {
    Ok(match (principal, header(headers, "onbehalfof")) {
        (Principal::Admin { .. }, Some(uid)) => {
            let uid = validate::id("onBehalfOf", uid)?;
            match state.credentials.user_state(state.store.as_ref(), app_id, &uid).await? {
                UserState::Missing => return Err(ApiError::uid_not_found(&uid).with_field("onBehalfOf")),
                UserState::Deactivated => return Err(ApiError::forbidden(ApiErrorCode::ErrUserDeactivated, "this user is deactivated")),
                UserState::Active => Principal::Admin { on_behalf_of: Some(uid) },
            }
        }
        (Principal::User(me), Some(uid)) if !uid.eq_ignore_ascii_case(&me) => {
            return Err(no_access("a session acts only as its own user; onBehalfOf needs the REST API key"))
        }
        (principal, _) => principal,
    })
}

/// The caller of a call the console passes through ([`crate::console::passthrough`]): the REST API key of
/// the grant's app, its rate limit counted against the console session.
async fn console_caller(parts: &Parts, state: &AppState, grant: &crate::console::ConsoleGrant) -> ApiResult<Caller> {
    let app = state.credentials.app(state.store.as_ref(), grant.app_id()).await?.ok_or_else(|| {
        ApiError::not_found(ApiErrorCode::ErrAppNotFound, format!("no app with id {}", grant.app_id())).with_field("appId")
    })?;
    state.limiter.check(grant.credential()).await.map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    let principal = on_behalf_of(&parts.headers, state, &app.app_id, Principal::Admin { on_behalf_of: None }).await?;
    Ok(Caller { app, principal, variant_id: None })
}

/// The rate limit of a call: the auth-only key is public, so it has no bucket of its own (anyone could empty
/// it); its calls take from a bucket per app, client address and endpoint, and only the calls it may make
/// count ([`crate::rate_limit::check_public_key_call`]). REST API keys and session tokens take from their
/// credential's bucket.
async fn check_rate_limit(parts: &Parts, state: &AppState, app_id: &str, principal: &Principal, credential: &[u8]) -> ApiResult<()> {
    if *principal == Principal::AuthOnly {
        return crate::rate_limit::check_public_key_call(state, app_id, parts).await;
    }
    state.limiter.check(credential).await.map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })
}
