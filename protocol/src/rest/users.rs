//! Users and their auth tokens.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A user as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// Unique id (stored lower-cased).
    pub uid: String,
    /// Display name.
    pub name: String,
    /// Avatar image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Profile URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Role, for the site's own access rules (default `default`).
    pub role: String,
    /// Free-form status line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// Site-defined JSON object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `online` or `offline`.
    pub status: String,
    /// Last activity, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_active_at: Option<i64>,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last change, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    /// Deactivation time, when deactivated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated_at: Option<i64>,
    /// The caller has blocked this user (shown to a signed-in user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_by_me: Option<bool>,
    /// This user has blocked the caller (shown to a signed-in user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_blocked_me: Option<bool>,
    /// A token created with the user (`withAuthToken`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<String>,
}

/// `POST /users`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUser {
    /// 1-100 of `a-z A-Z 0-9 _ -`.
    pub uid: String,
    /// 1-100 characters.
    pub name: String,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// Profile URL.
    pub link: Option<String>,
    /// Role (default `default`).
    pub role: Option<String>,
    /// Status line.
    pub status_message: Option<String>,
    /// JSON object, at most 5 KB.
    pub metadata: Option<Value>,
    /// At most 25 tags.
    pub tags: Option<Vec<String>>,
    /// Also create an auth token and return it as `authToken`.
    #[serde(default)]
    pub with_auth_token: bool,
}

/// `PUT /users/{uid}` and `PUT /me`: the fields to change, and `unset` to clear.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateUser {
    /// New name.
    pub name: Option<String>,
    /// New avatar URL.
    pub avatar: Option<String>,
    /// New profile URL.
    pub link: Option<String>,
    /// New role (REST API key only).
    pub role: Option<String>,
    /// New status line.
    pub status_message: Option<String>,
    /// New metadata.
    pub metadata: Option<Value>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// Fields to clear: `avatar`, `link`, `role`, `statusMessage`, `metadata`, `tags`.
    pub unset: Option<Vec<String>>,
}

/// `GET /users` filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct UserQuery {
    /// Matches uid or name (case-insensitive substring).
    pub search_key: Option<String>,
    /// `online` or `offline`.
    pub status: Option<String>,
    /// Only users with this role.
    pub role: Option<String>,
    /// Only users with this tag.
    pub tags: Option<String>,
    /// Include deactivated users (REST API key only).
    pub with_deactivated: Option<bool>,
    /// Page size, 1 to 1000 (default 100).
    pub per_page: Option<u32>,
    /// Page number, from 1.
    pub page: Option<u32>,
}

/// `DELETE /users` (deactivate) body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeactivateUsers {
    /// Users to deactivate.
    pub uids_to_deactivate: Vec<String>,
}

/// `PUT /users` (reactivate) body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReactivateUsers {
    /// Users to reactivate.
    pub uids_to_activate: Vec<String>,
}

/// `DELETE /users/{uid}` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteUser {
    /// Also delete the user's messages (always done; accepted for compatibility).
    #[serde(default)]
    pub permanent: bool,
}

/// An auth token. Tokens are stored hashed, so the token itself is shown only when it is created; after
/// that it is known by its `id`, which paths accept in place of the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthToken {
    /// The user it signs in.
    pub uid: String,
    /// Stable id of the token (the start of its hash).
    pub id: String,
    /// The token, only in the answer that created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<String>,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// When it stops working, Unix seconds, if it has a lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// `POST /users/{uid}/auth_tokens` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateAuthToken {
    /// Create a new token even if the user has some (always done; accepted for compatibility).
    #[serde(default)]
    pub force: bool,
    /// Seconds the token works for (60 to 31,536,000, a year); without it, until deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<u64>,
}
