//! Users and auth tokens.

use async_trait::async_trait;
use confab_protocol::rest::users::User;
use serde_json::Value;

use super::{PageRequest, Patch, StoreResult};

/// A user to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    /// Stored (lower-case) uid.
    pub uid: String,
    /// Display name.
    pub name: String,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// Profile URL.
    pub link: Option<String>,
    /// Role.
    pub role: String,
    /// Status line.
    pub status_message: Option<String>,
    /// Metadata object.
    pub metadata: Option<Value>,
    /// Tags.
    pub tags: Vec<String>,
    /// Creation time.
    pub created_at: i64,
}

/// Changes to a user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserPatch {
    /// New name.
    pub name: Option<String>,
    /// Avatar.
    pub avatar: Patch<String>,
    /// Profile link.
    pub link: Patch<String>,
    /// Role (`Clear` resets it to `default`).
    pub role: Patch<String>,
    /// Status line.
    pub status_message: Patch<String>,
    /// Metadata.
    pub metadata: Patch<Value>,
    /// Tags.
    pub tags: Patch<Vec<String>>,
}

/// Filters of the user list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserFilter {
    /// Substring of uid or name.
    pub search: Option<String>,
    /// Exact role.
    pub role: Option<String>,
    /// One tag.
    pub tag: Option<String>,
    /// Include deactivated users.
    pub with_deactivated: bool,
    /// Only these uids (the online ones, for `status=online`).
    pub only: Option<Vec<String>>,
    /// Not these uids (the online ones, for `status=offline`).
    pub except: Vec<String>,
}

/// The user a token signs in, found by the token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    /// The token's app.
    pub app_id: String,
    /// The user.
    pub uid: String,
    /// The user is deactivated.
    pub deactivated: bool,
}

/// A stored token: its hash and creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// SHA-256 of the token.
    pub hash: Vec<u8>,
    /// Creation time.
    pub created_at: i64,
}

/// Users and their tokens.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Creates a user, with a token when `token_hash` is given. `Conflict` when the uid exists.
    async fn create_user(&self, app_id: &str, user: &NewUser, token_hash: Option<&[u8]>) -> StoreResult<User>;
    /// The user, deactivated or not.
    async fn user(&self, app_id: &str, uid: &str) -> StoreResult<Option<User>>;
    /// The user, created from `user` when absent; the bool says whether it was created.
    async fn user_or_create(&self, app_id: &str, user: &NewUser) -> StoreResult<(User, bool)>;
    /// Applies `patch`; `None` when there is no such user.
    async fn update_user(&self, app_id: &str, uid: &str, patch: &UserPatch, now: i64) -> StoreResult<Option<User>>;
    /// Deletes the user with their tokens, memberships, blocks and friends; false when absent.
    async fn delete_user(&self, app_id: &str, uid: &str) -> StoreResult<bool>;
    /// A page of users and the total.
    async fn list_users(&self, app_id: &str, filter: &UserFilter, page: PageRequest) -> StoreResult<(Vec<User>, u64)>;
    /// Deactivates (`Some(now)`) or reactivates (`None`) these users; returns the uids that exist.
    async fn set_deactivated(&self, app_id: &str, uids: &[String], at: Option<i64>) -> StoreResult<Vec<String>>;
    /// Who hears of `uid`'s presence: users with a 1:1 conversation with them, and their friends, less anyone
    /// who blocked them or whom they blocked.
    async fn presence_audience(&self, app_id: &str, uid: &str) -> StoreResult<Vec<String>>;
    /// Records `uid`'s last activity.
    async fn touch_last_active(&self, app_id: &str, uid: &str, at: i64) -> StoreResult<()>;
    /// Stores a token for the user.
    async fn create_token(&self, app_id: &str, uid: &str, hash: &[u8], created_at: i64) -> StoreResult<()>;
    /// The user's tokens, oldest first.
    async fn tokens(&self, app_id: &str, uid: &str) -> StoreResult<Vec<TokenRecord>>;
    /// Who the token with this hash signs in.
    async fn token_owner(&self, hash: &[u8]) -> StoreResult<Option<TokenOwner>>;
    /// Deletes the user's tokens whose hash starts with `hash_prefix` (a full hash or a token id); returns
    /// how many.
    async fn delete_tokens(&self, app_id: &str, uid: &str, hash_prefix: Option<&[u8]>) -> StoreResult<u64>;
}
