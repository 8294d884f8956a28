//! Groups, members and bans.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who may see and join a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum GroupType {
    /// Anyone may join.
    Public,
    /// Anyone with the password may join.
    Password,
    /// Members are added by admins and moderators; nobody joins by themselves.
    Private,
}

impl GroupType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Password => "password",
            Self::Private => "private",
        }
    }

    /// The type with this wire name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Public, Self::Password, Self::Private].into_iter().find(|t| t.as_str() == name)
    }
}

/// A member's powers in a group, weakest first (so `<` compares power).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MemberScope {
    /// Sends and receives messages.
    Participant,
    /// Also changes participants' scope, kicks and bans participants, updates the group.
    Moderator,
    /// Full control.
    Admin,
}

impl MemberScope {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Participant => "participant",
            Self::Moderator => "moderator",
            Self::Admin => "admin",
        }
    }

    /// The scope with this wire name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Participant, Self::Moderator, Self::Admin].into_iter().find(|s| s.as_str() == name)
    }
}

/// A group as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    /// Unique id (stored lower-cased).
    pub guid: String,
    /// Display name.
    pub name: String,
    /// Public, password or private.
    #[serde(rename = "type")]
    pub group_type: GroupType,
    /// Icon URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Site-defined JSON object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// The owner's uid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Members now.
    pub members_count: u64,
    /// The caller's scope, when the caller is a member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<MemberScope>,
    /// The caller is a member.
    pub has_joined: bool,
    /// When the caller joined, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined_at: Option<i64>,
    /// `group_GUID`.
    pub conversation_id: String,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last change, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

/// The four member lists of group creation and `POST /groups/{guid}/members`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberLists {
    /// Uids to add as admins.
    #[serde(default)]
    pub admins: Vec<String>,
    /// Uids to add as moderators.
    #[serde(default)]
    pub moderators: Vec<String>,
    /// Uids to add as participants.
    #[serde(default)]
    pub participants: Vec<String>,
    /// Uids to ban.
    #[serde(default)]
    pub users_to_ban: Vec<String>,
}

/// `POST /groups`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateGroup {
    /// 1-100 of `a-z A-Z 0-9 _ -`.
    pub guid: String,
    /// 1-100 characters.
    pub name: String,
    /// Public, password or private.
    #[serde(rename = "type")]
    pub group_type: GroupType,
    /// Required for password groups; stored hashed.
    pub password: Option<String>,
    /// Icon URL.
    pub icon: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// JSON object, at most 5 KB.
    pub metadata: Option<Value>,
    /// Owner uid; joins as admin. With a session token, the caller.
    pub owner: Option<String>,
    /// At most 25 tags.
    pub tags: Option<Vec<String>>,
    /// Members to add at once (at most 25 in all).
    pub members: Option<MemberLists>,
}

/// `PUT /groups/{guid}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateGroup {
    /// New name.
    pub name: Option<String>,
    /// New type (a password group needs `password`).
    #[serde(rename = "type")]
    pub group_type: Option<GroupType>,
    /// New password.
    pub password: Option<String>,
    /// New icon URL.
    pub icon: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New metadata.
    pub metadata: Option<Value>,
    /// New owner (admins only); must be a member.
    pub owner: Option<String>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// Fields to clear: `icon`, `description`, `metadata`, `tags`.
    pub unset: Option<Vec<String>>,
}

/// `GET /groups` filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct GroupQuery {
    /// Matches guid or name (case-insensitive substring).
    pub search_key: Option<String>,
    /// Only groups the caller has joined.
    pub has_joined: Option<bool>,
    /// Only groups with this tag.
    pub tags: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub per_page: Option<u32>,
    /// Page number, from 1.
    pub page: Option<u32>,
}

/// `POST /groups/{guid}/members` (join, with a session or `onBehalfOf`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JoinGroup {
    /// The password of a password group.
    pub password: Option<String>,
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupMember {
    /// The member.
    pub uid: String,
    /// Display name.
    pub name: String,
    /// Avatar URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Scope in the group.
    pub scope: MemberScope,
    /// When they joined, Unix seconds.
    pub joined_at: i64,
}

/// `PUT /groups/{guid}/members/{uid}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeScope {
    /// The new scope.
    pub scope: MemberScope,
}

/// A banned user of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BannedUser {
    /// The user.
    pub uid: String,
    /// Display name.
    pub name: String,
    /// When they were banned, Unix seconds.
    pub banned_at: i64,
}
