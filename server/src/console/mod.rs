//! The site owner's console: a web app at `/console` (built from `console/`, served by [`files`]) and its
//! JSON API at `/console/api` (wire types in `confab_protocol::console`).
//!
//! - [`owners`]: owner accounts and their one-time passwords (`confab-server owner create`).
//! - [`session`]: the session cookie, the CSRF check, and the extractors every call but sign-in uses.
//! - [`sign_in`]: sign-in (limited per email and per client address), sign-out, the password change.
//! - [`apps`]: apps, keys, the identity secret, the overview, a user's devices, the audit log.
//! - [`audit`]: the audit log: console changes, and a middleware on `/v3` for the mutating calls on the
//!   app's configuration (`/app`, `/variants`, `/bots`, `/webhooks`, `/deliveries/*/retry`).
//! - [`passthrough`]: `/console/api/apps/{appId}/v3/{*path}`, the REST API as that app with full access.
//!
//! Every owner administers every app of the server.
//!
//! # Security
//!
//! Passwords are argon2id hashes. A session is a random 32-byte token in the `confab_console` cookie
//! (`HttpOnly; SameSite=Strict; Path=/console`, `Secure` behind https), stored as its SHA-256, ending after
//! [`session::IDLE_SECS`] without use (and [`session::MAX_AGE_SECS`] after sign-in). Every non-GET call
//! sends the session's CSRF token in `x-csrf-token`. The pass-through grants admin rights through a request
//! extension ([`ConsoleGrant`]) only this module inserts, after checking the session: no header can.

pub mod apps;
pub mod audit;
pub mod files;
pub mod owners;
pub mod passthrough;
pub mod session;
pub mod sign_in;

use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{any, delete, get, post, put};
use axum::extract::DefaultBodyLimit;
use axum::{middleware, Router};
use confab_protocol::limits::MAX_BODY_BYTES;
use confab_protocol::api_error::ApiErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

/// What the console's pass-through grants a `/v3` call: the REST API key's rights in `app_id`, acting for
/// the owner `actor`. Set only by [`passthrough`] as a request extension, after the session and CSRF checks;
/// [`crate::auth::Caller`] honours it. It cannot come from a client: extensions are not on the wire.
#[derive(Debug, Clone)]
pub struct ConsoleGrant {
    pub(crate) app_id: String,
    pub(crate) actor: String,
    /// What the call's rate limit counts against (the console session).
    pub(crate) credential: Vec<u8>,
}

impl ConsoleGrant {
    /// The app the call acts in.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The owner's email.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The rate-limit bucket of the call.
    pub fn credential(&self) -> &[u8] {
        &self.credential
    }
}

/// The `/v3` API (`v3`, with the audit middleware put on it) and the console's routes: what the server's
/// router merges in place of the bare `/v3` API.
pub fn with_v3(state: &AppState, v3: Router<AppState>) -> Router<AppState> {
    let v3 = v3.layer(middleware::from_fn_with_state(state.clone(), audit::record_v3));
    let inner: Router = v3
        .clone()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state.clone());
    v3.merge(routes(state, inner))
}

/// `/console/api/*` and `/console/*`.
fn routes(state: &AppState, v3: Router) -> Router<AppState> {
    let forward = move |owner, path, request| passthrough::forward(v3.clone(), owner, path, request);
    let api = Router::new()
        .route("/console/api/login", post(sign_in::login))
        .route("/console/api/logout", post(sign_in::logout))
        .route("/console/api/session", get(sign_in::session))
        .route("/console/api/password", post(sign_in::change_password))
        .route("/console/api/apps", get(apps::list).post(apps::create))
        .route("/console/api/apps/{app_id}", put(apps::rename))
        .route("/console/api/apps/{app_id}/keys", get(apps::keys).post(apps::create_key))
        .route("/console/api/apps/{app_id}/keys/{key_id}", delete(apps::revoke_key))
        .route("/console/api/apps/{app_id}/identity-secret", post(apps::rotate_identity_secret))
        .route("/console/api/apps/{app_id}/overview", get(apps::overview))
        .route("/console/api/apps/{app_id}/users/{uid}/devices", get(apps::devices))
        .route("/console/api/apps/{app_id}/audit", get(apps::audit_log))
        .route("/console/api/apps/{app_id}/v3/{*path}", any(forward))
        .route("/console/api/{*rest}", any(not_found))
        .layer(middleware::map_response(api_headers));
    let files = files::ConsoleFiles::load(&state.settings.console_dir);
    if files.index().is_none() {
        tracing::warn!(dir = %state.settings.console_dir.display(), "console not built: /console answers 503");
    }
    api.merge(files::routes(files))
}

/// API answers are never cached and never framed.
async fn api_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(ApiErrorCode::ErrNotFound, format!("no route for {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, ApiErrorCode::ErrMethodNotAllowed, format!("{method} is not allowed on {}", uri.path()))
}
