//! The storage interface. Handlers talk to a [`Store`]; the backends ([`SqliteStore`], the default, and
//! [`PostgresStore`], for clusters) live beside it and pass one [`conformance`] suite. Each method is one
//! transaction.
//!
//! The interface is split by resource: [`AppStore`], [`UserStore`], [`GroupStore`], [`MessageStore`],
//! [`SocialStore`], [`HookStore`], [`ConsoleStore`] (the owner's console), [`VariantStore`] (widget variants),
//! [`MediaStore`] (uploads);
//! [`Store`] is all of them.

mod apps;
#[cfg(test)] pub(crate) mod conformance;
#[cfg(test)] pub(crate) mod conformance_console;
#[cfg(test)] pub(crate) mod conformance_variants;
#[cfg(test)] pub(crate) mod conformance_media;
#[cfg(test)] pub(crate) mod conformance_rich;
pub mod console;
mod groups;
mod hooks;
mod media;
mod messages;
mod postgres;
mod social;
mod sqlite;
mod users;
mod variants;

pub use apps::*;
pub use console::ConsoleStore;
pub use groups::*;
pub use hooks::*;
pub use media::*;
pub use messages::*;
pub use social::*;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use users::*;
pub use variants::*;

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
    /// The store is shutting down.
    #[error("the store is closed")]
    Closed,
    /// The database cannot be reached now (connection refused or lost, server shutting down, no free
    /// connection): the operation did not happen and may be retried.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        let unreachable = match &err {
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
            // PostgreSQL's classes 08 (connection exception), 53 (insufficient resources) and 57P (the
            // server is shutting down or restarting), a statement cancelled by its time-out (57014: for
            // example waiting for a lock a stalled node holds) and a lock not available (55P03).
            sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                code.starts_with("08") || code.starts_with("53") || code.starts_with("57P") || code == "57014" || code == "55P03"
            }),
            _ => false,
        };
        match unreachable {
            true => Self::Unavailable(err.to_string()),
            false => Self::Database(err),
        }
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A change to an optional field: keep it, set it, or clear it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    /// Leave as is.
    #[default]
    Keep,
    /// Replace with this value.
    Set(T),
    /// Clear.
    Clear,
}

impl<T: Clone> Patch<T> {
    /// `current` after this change.
    pub fn apply(&self, current: &mut Option<T>) {
        match self {
            Self::Keep => {}
            Self::Set(value) => *current = Some(value.clone()),
            Self::Clear => *current = None,
        }
    }
}

impl<T> Patch<T> {
    /// `Set(v)` when `value` is given, `Clear` when `clear`, else `Keep`.
    pub fn from_parts(value: Option<T>, clear: bool) -> Self {
        match (value, clear) {
            (Some(v), _) => Self::Set(v),
            (None, true) => Self::Clear,
            (None, false) => Self::Keep,
        }
    }
}

/// A page request: `per_page` items from page `page` (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Items per page.
    pub per_page: u32,
    /// Page number, from 1.
    pub page: u32,
}

impl PageRequest {
    /// Rows to skip.
    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

/// Everything the server keeps.
pub trait Store:
    AppStore + UserStore + GroupStore + MessageStore + SocialStore + HookStore + ConsoleStore + VariantStore + MediaStore
{
}

impl<T> Store for T where
    T: AppStore + UserStore + GroupStore + MessageStore + SocialStore + HookStore + ConsoleStore + VariantStore + MediaStore
{
}
