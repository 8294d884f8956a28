//! Blocks and friends.

use serde::{Deserialize, Serialize};

/// `POST|DELETE /users/{uid}/blockedusers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockedUids {
    /// At most 25 uids.
    pub blocked_uids: Vec<String>,
}

/// `POST /users/{uid}/friends`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddFriends {
    /// At most 25 uids, made friends both ways.
    pub accepted: Vec<String>,
}

/// `DELETE /users/{uid}/friends`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoveFriends {
    /// At most 25 uids.
    pub friends: Vec<String>,
}
