//! The storage interface. Handlers talk to a [`Store`]; the backend (SQLite now) lives beside it, so
//! another backend can be added without touching handlers.

mod sqlite;

pub use sqlite::SqliteStore;

use async_trait::async_trait;

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

    fn parse(name: &str) -> Result<Self, StoreError> {
        match name {
            "authOnly" => Ok(Self::AuthOnly),
            "fullAccess" => Ok(Self::FullAccess),
            other => Err(StoreError::Corrupt(format!("unknown key scope {other:?}"))),
        }
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

/// The one error type of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or migrated.
    #[error("cannot open the database: {0}")]
    Open(String),
    /// A row with the same key exists already.
    #[error("already exists: {0}")]
    Conflict(String),
    /// A stored value does not have the shape the server expects.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Everything the server keeps. Each method is one transaction.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a new app together with its keys.
    async fn create_app(&self, app: &App, keys: &[NewKey]) -> Result<(), StoreError>;
    /// The app with this id, if any.
    async fn app(&self, app_id: &str) -> Result<Option<App>, StoreError>;
    /// How many apps exist.
    async fn app_count(&self) -> Result<u64, StoreError>;
    /// The key with this hash, if any.
    async fn key(&self, hash: &[u8]) -> Result<Option<KeyRecord>, StoreError>;
}
