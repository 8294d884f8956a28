//! Apps and their keys.

use async_trait::async_trait;

use super::StoreResult;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScope {
    /// May create users and sign them in, nothing else. Safe to put in a web page.
    AuthOnly,
    /// May do anything in its app. Never put it in a web page.
    FullAccess,
}

impl KeyScope {
    /// The scope's stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthOnly => "authOnly",
            Self::FullAccess => "fullAccess",
        }
    }

    /// The scope with this name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::AuthOnly, Self::FullAccess].into_iter().find(|s| s.as_str() == name)
    }
}

/// An app on this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// The `appID` sites use.
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// The region the app lives in.
    pub region: String,
    /// Secret for `userHash` verification.
    pub identity_secret: String,
    /// uid sign-in requires a valid `userHash`.
    pub enforce_identity: bool,
    /// How uid sign-in treats a uid.
    pub uid_sign_in: confab_protocol::rest::app::UidSignInPolicy,
    /// Roles every session sees in the user list.
    pub visible_roles: Vec<String>,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: i64,
}

/// A key to store with a new app: its hash, name and scope.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// SHA-256 of the key.
    pub hash: Vec<u8>,
    /// Label shown in listings.
    pub name: String,
    /// What the key may do.
    pub scope: KeyScope,
}

/// A stored key, found by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// The app the key belongs to.
    pub app_id: String,
    /// What the key may do.
    pub scope: KeyScope,
}

/// Apps and keys.
#[async_trait]
pub trait AppStore: Send + Sync + 'static {
    /// Stores a new app together with its keys.
    async fn create_app(&self, app: &App, keys: &[NewKey]) -> StoreResult<()>;
    /// The app with this id, if any.
    async fn app(&self, app_id: &str) -> StoreResult<Option<App>>;
    /// How many apps exist.
    async fn app_count(&self) -> StoreResult<u64>;
    /// The key with this hash, if any.
    async fn key(&self, hash: &[u8]) -> StoreResult<Option<KeyRecord>>;
    /// Stores `key` for the app in place of any key with the same name (one transaction).
    async fn replace_key(&self, app_id: &str, key: &NewKey, now: i64) -> StoreResult<()>;
    /// The ids of the apps whose uid sign-in is open.
    async fn apps_with_open_uid_sign_in(&self) -> StoreResult<Vec<String>>;
    /// Sets how uid sign-in treats a uid.
    async fn set_uid_sign_in(&self, app_id: &str, policy: confab_protocol::rest::app::UidSignInPolicy) -> StoreResult<()>;
    /// Sets the roles every session sees in the user list.
    async fn set_visible_roles(&self, app_id: &str, roles: &[String]) -> StoreResult<()>;
}
