//! Bodies of the site owner's console API, under `/console/api` on the server.
//!
//! Every success is `{"data": ...}` ([`Data`](crate::rest::Data)); the audit log is a
//! [`Page`](crate::rest::Page). Errors use the REST envelope ([`crate::api_error`]). Times are Unix seconds.
//!
//! | Call | Body | Answer |
//! |---|---|---|
//! | `POST /login` | [`LoginRequest`] | [`ConsoleSession`] + cookie `confab_console` |
//! | `POST /logout` | | 204 |
//! | `GET /session` | | [`ConsoleSession`] or 401 `ERR_NOT_SIGNED_IN` |
//! | `POST /password` | [`ChangePasswordRequest`] | 204 |
//! | `GET /apps` | | `[`[`ConsoleApp`]`]` |
//! | `POST /apps` | [`CreateAppRequest`] | [`CreatedApp`] |
//! | `PUT /apps/{appId}` | [`RenameAppRequest`] | [`ConsoleApp`] |
//! | `GET /apps/{appId}/keys` | | `[`[`ApiKeyInfo`]`]` |
//! | `POST /apps/{appId}/keys` | [`CreateKeyRequest`] | [`CreatedKey`] |
//! | `DELETE /apps/{appId}/keys/{id}` | | 204 |
//! | `POST /apps/{appId}/identity-secret` | | [`IdentitySecret`] |
//! | `GET /apps/{appId}/overview` | | [`Overview`] |
//! | `GET /apps/{appId}/users/{uid}/devices` | | [`UserDevices`] |
//! | `GET /apps/{appId}/audit?page=&perPage=` | | page of [`AuditEntry`] |
//! | `ANY /apps/{appId}/v3/{*path}` | as `/v3/{path}` | as `/v3/{path}`, with the REST API key's rights |
//!
//! Every call but `login` needs the cookie; every non-GET call also needs the header `x-csrf-token` (the
//! session's [`ConsoleSession::csrf_token`]), else 403 `ERR_CSRF`.

use serde::{Deserialize, Serialize};

/// The cookie that carries a console session.
pub const SESSION_COOKIE: &str = "confab_console";
/// The header every non-GET console call sends with the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Shortest new password.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest new password.
pub const PASSWORD_MAX_CHARS: usize = 200;
/// Longest app or key name.
pub const NAME_MAX_CHARS: usize = 100;
/// Days in [`Overview::messages_per_day`].
pub const OVERVIEW_DAYS: usize = 30;

/// `POST /console/api/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    /// The owner's email (case does not matter).
    pub email: String,
    /// The password.
    pub password: String,
}

/// The signed-in owner: the answer of `POST /login` and `GET /session`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsoleSession {
    /// The owner's email.
    pub email: String,
    /// Send it as the `x-csrf-token` header on every non-GET call.
    pub csrf_token: String,
    /// The password is a one-time one: `POST /password` before anything else.
    pub must_change_password: bool,
}

/// `POST /console/api/password`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    /// The password now.
    pub current_password: String,
    /// The new one, 12 to 200 characters, not the current one.
    pub new_password: String,
}

/// An app in the console's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsoleApp {
    /// The app's id.
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// Region.
    pub region: String,
    /// When it was made.
    pub created_at: i64,
}

/// `POST /console/api/apps`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateAppRequest {
    /// Display name, 1 to 100 characters.
    pub name: String,
}

/// The answer of `POST /console/api/apps`: the keys are shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApp {
    /// The new app.
    pub app: ConsoleApp,
    /// Its full-access key, for the site's backend.
    pub rest_api_key: String,
    /// Its auth-only key, for the widget.
    pub auth_key: String,
    /// Its identity secret, for `userHash` on the site's backend (a new one: `POST .../identity-secret`).
    pub identity_secret: String,
}

/// `PUT /console/api/apps/{appId}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RenameAppRequest {
    /// The new display name, 1 to 100 characters.
    pub name: String,
}

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KeyScope {
    /// Sign-in calls only: safe in a browser.
    AuthOnly,
    /// The whole REST API: the site's backend only.
    FullAccess,
}

impl KeyScope {
    /// The wire (and stored) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthOnly => "authOnly",
            Self::FullAccess => "fullAccess",
        }
    }

    /// The scope named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::AuthOnly, Self::FullAccess].into_iter().find(|s| s.as_str() == name)
    }
}

/// A key of an app, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyInfo {
    /// The first 16 hex characters of the key's SHA-256: names it without revealing it.
    pub id: String,
    /// Its name, unique in the app.
    pub name: String,
    /// What it may do.
    pub scope: KeyScope,
    /// When it was made.
    pub created_at: i64,
}

/// `POST /console/api/apps/{appId}/keys`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateKeyRequest {
    /// Its name, 1 to 100 characters (names need not be unique: the id tells keys apart).
    pub name: String,
    /// What it may do.
    pub scope: KeyScope,
}

/// The answer of `POST /console/api/apps/{appId}/keys`: the secret is shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedKey {
    /// The key.
    pub key: ApiKeyInfo,
    /// The key itself, for the `apikey` header.
    pub secret: String,
}

/// The answer of `POST /console/api/apps/{appId}/identity-secret`: the new secret (the old one stops
/// verifying `userHash` at once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentitySecret {
    /// `userHash = HMAC-SHA256(uid, identitySecret)`, hex.
    pub identity_secret: String,
}

/// Messages of one UTC day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayCount {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// Messages sent that day.
    pub count: u64,
}

/// `GET /console/api/apps/{appId}/overview`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    /// Messages sent today (UTC).
    pub messages_today: u64,
    /// The last 30 UTC days, oldest first, today last.
    pub messages_per_day: Vec<DayCount>,
    /// Distinct senders in the last 30 days.
    pub active_users: u64,
    /// Users of the app (bots included, deleted ones not).
    pub users_total: u64,
    /// Sockets open now on this server node.
    pub sockets_now: u64,
}

/// A sign-in token of a user, without the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceToken {
    /// When it was issued.
    pub created_at: i64,
    /// When it was last used, if ever.
    pub last_used_at: Option<i64>,
    /// When it expires, if it does.
    pub expires_at: Option<i64>,
}

/// `GET /console/api/apps/{appId}/users/{uid}/devices`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserDevices {
    /// The user's live sign-in tokens.
    pub tokens: Vec<DeviceToken>,
    /// Sockets the user has open now on this server node.
    pub online: u64,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Its id, growing with time.
    pub id: i64,
    /// When it happened.
    pub at: i64,
    /// Who: an owner's email, or `apikey:<key id>` for a call made with a REST API key.
    pub actor: String,
    /// What, like `key.create`, `variant.update`, `webhook.delete`.
    pub action: String,
    /// The id of what changed (a key id, a variant id, a webhook id...), empty when the app itself.
    pub target: String,
    /// A short summary, never a secret.
    pub detail: String,
}

/// `page` and `perPage` (or `per_page`) query parameters of the audit log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct AuditQuery {
    /// Page number, from 1 (default 1).
    pub page: Option<u32>,
    /// Page size, 1 to 1000 (default 100).
    #[serde(alias = "per_page")]
    pub per_page: Option<u32>,
}
