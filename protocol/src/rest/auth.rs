//! Sign-in for the widget: one endpoint per mode, each answering the user and a session token.

use serde::{Deserialize, Serialize};

use super::users::User;

/// The optional profile a guest or uid-mode visitor brings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    /// Display name.
    pub name: Option<String>,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// Profile URL.
    pub link: Option<String>,
}

/// `POST /v3/auth/guest`: the app's auth-only key in the `authkey` header.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GuestSignIn {
    /// Name, avatar and link for the new guest.
    pub user: Option<Profile>,
    /// The widget variant the page uses (a variant of the app): the server enforces the features it turns
    /// off for this session. Absent: the app's default variant at the time of use.
    #[serde(rename = "variantID", default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<String>,
}

/// `POST /v3/auth/uid`: the app's auth-only key in the `authkey` header.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UidSignIn {
    /// The site's user id; the user is created on first sight.
    pub uid: String,
    /// Hex HMAC-SHA256 of `uid` with the app's identity secret; required when the app enforces it.
    pub user_hash: Option<String>,
    /// Profile used when the user is created.
    pub user: Option<Profile>,
    /// The widget variant the page uses (a variant of the app): the server enforces the features it turns
    /// off for this session. Absent: the app's default variant at the time of use.
    #[serde(rename = "variantID", default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<String>,
}

/// `POST /v3/auth/token`: a token issued through the REST API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenSignIn {
    /// The auth token.
    pub auth_token: String,
    /// The widget variant the page uses (a variant of the app): the server enforces the features it turns
    /// off for this session (the token remembers the latest sign-in's). Absent: the app's default variant at
    /// the time of use.
    #[serde(rename = "variantID", default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<String>,
}

/// What every sign-in answers: the user and the session token for the `authtoken` header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    /// The signed-in user.
    pub user: User,
    /// The session token.
    pub auth_token: String,
}
