//! Where uploads' bytes are kept: [`FileStore`], with [`DirFileStore`] (a folder, the data directory's by
//! default) and [`PgFileStore`] (chunks in PostgreSQL, which every node of a cluster reaches). Both pass
//! one [`conformance`] suite.

#[cfg(test)]
pub(crate) mod conformance;
mod dir;
mod postgres;

use std::path::Path;
use std::pin::Pin;

use async_trait::async_trait;
use axum::body::Bytes;
use futures_util::Stream;

pub use dir::DirFileStore;
pub use postgres::PgFileStore;

/// The one error type of file stores.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// No file under this key.
    #[error("no file {0}")]
    NotFound(String),
    /// The key is not one a store takes (`app/id` of letters, digits, `_`, `-` and `.`).
    #[error("bad file key {0:?}")]
    BadKey(String),
    /// Reading or writing failed.
    #[error("file store: {0}")]
    Io(#[from] std::io::Error),
    /// The database failed.
    #[error("file store database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Bytes read from a store, in pieces.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, FileError>> + Send>>;

/// A place for files, by key. A key is written once; readers see a whole file or none.
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Stores the local file at `path` under `key` (replacing any file there); its size in bytes. The
    /// file at `path` may be moved away.
    async fn put(&self, key: &str, path: &Path) -> Result<u64, FileError>;

    /// Bytes `start..end` of the file under `key` (`end` at most its size), streamed.
    async fn read(&self, key: &str, start: u64, end: u64) -> Result<ByteStream, FileError>;

    /// The size of the file under `key`, if there is one.
    async fn size(&self, key: &str) -> Result<Option<u64>, FileError>;

    /// Deletes the file under `key`; a missing file is no error.
    async fn delete(&self, key: &str) -> Result<(), FileError>;
}

/// Checks `key`: one or more `/`-separated parts of letters, digits, `_`, `-` and `.`, none starting with
/// `.` (so no part is `..` and no path leaves the store).
pub fn check_key(key: &str) -> Result<(), FileError> {
    let good_part = |part: &str| {
        !part.is_empty() && !part.starts_with('.') && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
    };
    match key.len() <= 300 && key.split('/').all(good_part) {
        true => Ok(()),
        false => Err(FileError::BadKey(key.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::check_key;

    #[test]
    fn keys_cannot_leave_the_store() {
        assert!(check_key("app-1/md_abc").is_ok());
        assert!(check_key("app-1/md_abc.thumb").is_ok());
        for bad in ["../etc/passwd", "app/../x", "/abs", "app//x", "app/.hidden", "a\\b", "a b", ""] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
    }
}
