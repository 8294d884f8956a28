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
    /// uid sign-in requires `userHash` (`uidSignIn` is `verified`).
    pub enforce_identity: bool,
    /// How `POST /v3/auth/uid` treats a uid.
    pub uid_sign_in: UidSignInPolicy,
    /// Roles every signed-in user sees in the user list.
    pub visible_roles: Vec<String>,
}

/// How uid sign-in treats a uid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum UidSignInPolicy {
    /// `userHash` is required: only the site's backend can vouch for a uid. The default.
    Verified,
    /// Any uid that uid sign-in made may sign in without `userHash`: for development only.
    Open,
    /// uid sign-in is refused.
    Off,
}

impl UidSignInPolicy {
    /// The wire (and stored) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Open => "open",
            Self::Off => "off",
        }
    }

    /// The policy named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Verified, Self::Open, Self::Off].into_iter().find(|p| p.as_str() == name)
    }
}

/// `PUT /v3/app`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateAppSettings {
    /// Require `userHash = HMAC-SHA256(uid, identitySecret)` on uid sign-in: `true` is `uidSignIn`
    /// `verified`, `false` is `open`.
    pub enforce_identity: Option<bool>,
    /// How `POST /v3/auth/uid` treats a uid (wins over `enforceIdentity`).
    pub uid_sign_in: Option<UidSignInPolicy>,
    /// Roles every signed-in user sees in the user list (at most 25 of 1-100 characters).
    pub visible_roles: Option<Vec<String>>,
}
