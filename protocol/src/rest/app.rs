//! The app's own settings.

use serde::{Deserialize, Serialize};

/// An app as its owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppSettings {
    /// The app's id.
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// Region.
    pub region: String,
    /// uid sign-in requires `userHash`.
    pub enforce_identity: bool,
}

/// `PUT /v3/app`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateAppSettings {
    /// Require `userHash = HMAC-SHA256(uid, identitySecret)` on uid sign-in.
    pub enforce_identity: Option<bool>,
}
