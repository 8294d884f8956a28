//! Users and auth tokens.

use async_trait::async_trait;
use confab_protocol::rest::users::User;
use serde_json::Value;

use super::{PageRequest, Patch, StoreResult};

/// Who made a user; open uid sign-in reaches only users uid sign-in made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserOrigin {
    /// Uid sign-in, or `POST /users` with the auth-only key.
    Uid,
    /// Guest sign-in.
    Guest,
    /// The REST API key (the site's backend; bots too).
    Api,
}

impl UserOrigin {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Uid => "uid",
            Self::Guest => "guest",
            Self::Api => "api",
        }
    }

    /// The origin stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Uid, Self::Guest, Self::Api].into_iter().find(|o| o.as_str() == name)
    }
}

/// When a session token stops working.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenLifetime {
    /// At this Unix time, whatever happens.
    pub expires_at: Option<i64>,
    /// After this many seconds without use.
    pub idle_secs: Option<i64>,
}

/// A user to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    /// Stored (lower-case) uid.
    pub uid: String,
    /// Who makes them.
    pub origin: UserOrigin,
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
    /// Only the users this viewer may see (a session's list); `None` for the REST API key.
    pub viewer: Option<Viewer>,
}

/// Whom a session's user list shows: users they have a 1:1 conversation with, their friends, and users
/// whose role is in `visible_roles`; never other guests when the viewer is a guest; never themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct Viewer {
    /// The viewer's uid.
    pub uid: String,
    /// Roles everyone sees (the app's setting).
    pub visible_roles: Vec<String>,
    /// The viewer is a guest.
    pub is_guest: bool,
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
    /// The variant the token signed in with; `None`: the app's default at the time of use.
    pub variant_id: Option<String>,
}

/// A stored token: its hash, creation time and lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// SHA-256 of the token.
    pub hash: Vec<u8>,
    /// Creation time.
    pub created_at: i64,
    /// When it stops working.
    pub lifetime: TokenLifetime,
}

/// A token found expired and deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredToken {
    /// Its app.
    pub app_id: String,
    /// Its user.
    pub uid: String,
    /// Its hash.
    pub hash: Vec<u8>,
}

/// Users and their tokens.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Creates a user, with a token when `token_hash` is given. `Conflict` when the uid exists.
    async fn create_user(&self, app_id: &str, user: &NewUser, token_hash: Option<&[u8]>) -> StoreResult<User>;
    /// The user, deactivated or not.
    async fn user(&self, app_id: &str, uid: &str) -> StoreResult<Option<User>>;
    /// Who made the user, `None` when there is no such user.
    async fn user_origin(&self, app_id: &str, uid: &str) -> StoreResult<Option<UserOrigin>>;
    /// The user, created from `user` when absent; the bool says whether it was created.
    async fn user_or_create(&self, app_id: &str, user: &NewUser) -> StoreResult<(User, bool)>;
    /// Applies `patch`; `None` when there is no such user.
    async fn update_user(&self, app_id: &str, uid: &str, patch: &UserPatch, now: i64) -> StoreResult<Option<User>>;
    /// Deletes the user with their tokens, memberships, membership history, blocks and friends; their
    /// messages become tombstones (content cleared, marked deleted at `now`) and their 1:1 conversations
    /// are closed for both sides, so a user later made with the same uid reads nothing of theirs. False
    /// when absent.
    async fn delete_user(&self, app_id: &str, uid: &str, now: i64) -> StoreResult<bool>;
    /// A page of users and the total.
    async fn list_users(&self, app_id: &str, filter: &UserFilter, page: PageRequest) -> StoreResult<(Vec<User>, u64)>;
    /// Deactivates (`Some(now)`) or reactivates (`None`) these users; returns the uids that exist.
    async fn set_deactivated(&self, app_id: &str, uids: &[String], at: Option<i64>) -> StoreResult<Vec<String>>;
    /// Who hears of `uid`'s presence: users with a 1:1 conversation with them, and their friends, less anyone
    /// who blocked them or whom they blocked.
    async fn presence_audience(&self, app_id: &str, uid: &str) -> StoreResult<Vec<String>>;
    /// Records `uid`'s last activity.
    async fn touch_last_active(&self, app_id: &str, uid: &str, at: i64) -> StoreResult<()>;
    /// Stores a token for the user, signed in with no variant (the app's default applies).
    async fn create_token(&self, app_id: &str, uid: &str, hash: &[u8], created_at: i64, lifetime: TokenLifetime) -> StoreResult<()> {
        self.create_token_in_variant(app_id, uid, hash, created_at, lifetime, None).await
    }
    /// Stores a token for the user that signed in with `variant_id` (a variant of the app; `None`: the app's
    /// default at the time of use).
    async fn create_token_in_variant(
        &self,
        app_id: &str,
        uid: &str,
        hash: &[u8],
        created_at: i64,
        lifetime: TokenLifetime,
        variant_id: Option<&str>,
    ) -> StoreResult<()>;
    /// The user's tokens that still work at `now`, oldest first.
    async fn tokens(&self, app_id: &str, uid: &str, now: i64) -> StoreResult<Vec<TokenRecord>>;
    /// Who the token with this hash signs in at `now`: `None` when it is unknown or expired. Records the
    /// use (at most once an hour per token), which keeps an idle-limited token alive.
    async fn token_owner(&self, hash: &[u8], now: i64) -> StoreResult<Option<TokenOwner>>;
    /// Deletes the tokens expired at `now` and returns them (their sockets are then closed).
    async fn delete_expired_tokens(&self, now: i64) -> StoreResult<Vec<ExpiredToken>>;
    /// Deletes the user's tokens whose hash starts with `hash_prefix` (a full hash or a token id); returns
    /// how many.
    async fn delete_tokens(&self, app_id: &str, uid: &str, hash_prefix: Option<&[u8]>) -> StoreResult<u64>;
}
