//! Groups, members and bans. Each membership change stores its `action` message in the same transaction.

use async_trait::async_trait;
use confab_protocol::rest::groups::{BannedUser, Group, GroupMember, GroupType, MemberScope};
use serde_json::Value;

use super::{NewMessage, PageRequest, Patch, StoreResult};
use confab_protocol::rest::messages::Message;

/// A group to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewGroup {
    /// Stored (lower-case) guid.
    pub guid: String,
    /// Display name.
    pub name: String,
    /// Type.
    pub group_type: GroupType,
    /// Salted hash of the password (password groups).
    pub password_hash: Option<String>,
    /// Icon URL.
    pub icon: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Metadata object.
    pub metadata: Option<Value>,
    /// Owner uid.
    pub owner: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Creation time.
    pub created_at: i64,
}

/// A stored group with what only the server may see.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRecord {
    /// The group as the API shows it (caller-specific fields unset).
    pub group: Group,
    /// Salted hash of the password.
    pub password_hash: Option<String>,
}

/// Changes to a group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupPatch {
    /// New name.
    pub name: Option<String>,
    /// New type, with the new password hash (`Clear` for non-password types).
    pub group_type: Option<(GroupType, Option<String>)>,
    /// Icon.
    pub icon: Patch<String>,
    /// Description.
    pub description: Patch<String>,
    /// Metadata.
    pub metadata: Patch<Value>,
    /// New owner.
    pub owner: Option<String>,
    /// Tags.
    pub tags: Patch<Vec<String>>,
}

/// Filters of the group list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupFilter {
    /// Substring of guid or name.
    pub search: Option<String>,
    /// One tag.
    pub tag: Option<String>,
    /// List as this user sees it: public and password groups, and private groups they belong to; with
    /// `scope`, `hasJoined` and `joinedAt` filled in.
    pub viewer: Option<String>,
    /// Only groups `viewer` has joined.
    pub joined_only: bool,
}

/// A membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    /// Scope.
    pub scope: MemberScope,
    /// Join time.
    pub joined_at: i64,
}

/// A membership change and the action message that records it.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberChange {
    /// Add or re-add `uid` with `scope` (clears a ban).
    Join {
        /// The user.
        uid: String,
        /// Their scope.
        scope: MemberScope,
    },
    /// Remove `uid`.
    Leave {
        /// The user.
        uid: String,
    },
    /// Change `uid`'s scope.
    Scope {
        /// The user.
        uid: String,
        /// The new scope.
        scope: MemberScope,
    },
    /// Remove `uid` and keep them out.
    Ban {
        /// The user.
        uid: String,
    },
    /// Let `uid` join again.
    Unban {
        /// The user.
        uid: String,
    },
}

/// Groups, members and bans.
#[async_trait]
pub trait GroupStore: Send + Sync + 'static {
    /// A number that changes whenever any group's membership may have changed (on any node, once this node
    /// has heard of it), so that member lists read before can be trusted while it stays the same.
    fn membership_generation(&self) -> u64;
    /// Creates a group with its first members and bans. `Conflict` when the guid exists.
    async fn create_group(
        &self,
        app_id: &str,
        group: &NewGroup,
        members: &[(String, MemberScope)],
        bans: &[String],
    ) -> StoreResult<GroupRecord>;
    /// The group.
    async fn group(&self, app_id: &str, guid: &str) -> StoreResult<Option<GroupRecord>>;
    /// Applies `patch`; `None` when absent.
    async fn update_group(&self, app_id: &str, guid: &str, patch: &GroupPatch, now: i64) -> StoreResult<Option<GroupRecord>>;
    /// Deletes the group, its members, bans and messages; false when absent.
    async fn delete_group(&self, app_id: &str, guid: &str) -> StoreResult<bool>;
    /// A page of groups and the total.
    async fn list_groups(&self, app_id: &str, filter: &GroupFilter, page: PageRequest) -> StoreResult<(Vec<Group>, u64)>;
    /// `uid`'s membership of the group.
    async fn membership(&self, app_id: &str, guid: &str, uid: &str) -> StoreResult<Option<Membership>>;
    /// Whether `uid` is banned from the group.
    async fn is_banned(&self, app_id: &str, guid: &str, uid: &str) -> StoreResult<bool>;
    /// A page of members (admins first) and the total.
    async fn members(&self, app_id: &str, guid: &str, page: PageRequest) -> StoreResult<(Vec<GroupMember>, u64)>;
    /// Uids of every member.
    async fn member_uids(&self, app_id: &str, guid: &str) -> StoreResult<Vec<String>>;
    /// A page of banned users and the total.
    async fn banned(&self, app_id: &str, guid: &str, page: PageRequest) -> StoreResult<(Vec<BannedUser>, u64)>;
    /// Applies `change` and stores `action` (its message) in one transaction.
    async fn change_member(&self, app_id: &str, guid: &str, change: &MemberChange, action: &NewMessage, now: i64) -> StoreResult<Message>;
}
