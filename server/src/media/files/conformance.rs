//! The conformance suite every [`FileStore`] passes. Each check takes an empty store; a backend runs them all
//! with [`file_store_tests!`](crate::media::files::conformance::file_store_tests):
//!
//! ```ignore
//! crate::media::files::conformance::file_store_tests!(fresh_file_store().await);
//! ```
//!
//! where the expression gives a `(store, guard)` pair whose guard lives as long as the test.

use futures_util::TryStreamExt;

use super::{FileError, FileStore};

/// Expands to a module `file_store_conformance` with one `#[tokio::test]` per check.
macro_rules! file_store_tests {
    ($fresh:expr) => {
        mod file_store_conformance {
            #[allow(unused_imports)]
            use super::*;
            $crate::media::files::conformance::file_store_tests!(@each $fresh;
                a_file_reads_back_whole_and_by_range,
                ranges_cross_chunk_boundaries,
                an_empty_file_is_a_file,
                a_second_put_replaces_the_first,
                deleted_and_missing_files_are_not_found,
                keys_outside_the_store_are_refused,
            );
        }
    };
    (@each $fresh:expr; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let (store, _guard) = $fresh;
                $crate::media::files::conformance::$check(&*store).await;
            }
        )+
    };
}
pub(crate) use file_store_tests;

/// `len` bytes that differ from one offset to the next.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

async fn put_bytes(store: &dyn FileStore, key: &str, bytes: &[u8]) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload");
    std::fs::write(&path, bytes).unwrap();
    store.put(key, &path).await.unwrap()
}

async fn read(store: &dyn FileStore, key: &str, start: u64, end: u64) -> Vec<u8> {
    let pieces: Vec<_> = store.read(key, start, end).await.unwrap().try_collect().await.unwrap();
    pieces.concat()
}

/// What was put comes back, whole or in part, with its size.
pub async fn a_file_reads_back_whole_and_by_range(store: &dyn FileStore) {
    let bytes = pattern(10_000);
    assert_eq!(put_bytes(store, "app/md_one", &bytes).await, 10_000);
    assert_eq!(store.size("app/md_one").await.unwrap(), Some(10_000));
    assert_eq!(read(store, "app/md_one", 0, 10_000).await, bytes);
    assert_eq!(read(store, "app/md_one", 100, 200).await, bytes[100..200]);
    assert_eq!(read(store, "app/md_one", 9_990, 10_000).await, bytes[9_990..]);
    assert!(read(store, "app/md_one", 500, 500).await.is_empty(), "an empty range is empty");
}

/// A large file (several of the PostgreSQL store's chunks) reads right across their edges.
pub async fn ranges_cross_chunk_boundaries(store: &dyn FileStore) {
    let bytes = pattern(700_000);
    assert_eq!(put_bytes(store, "app/md_big", &bytes).await, 700_000);
    assert_eq!(read(store, "app/md_big", 0, 700_000).await, bytes);
    let edge = super::postgres::CHUNK_BYTES as usize;
    assert_eq!(read(store, "app/md_big", edge as u64 - 10, edge as u64 + 10).await, bytes[edge - 10..edge + 10]);
    assert_eq!(read(store, "app/md_big", 1, 699_999).await, bytes[1..699_999]);
}

/// A file of no bytes exists, with size 0.
pub async fn an_empty_file_is_a_file(store: &dyn FileStore) {
    assert_eq!(put_bytes(store, "app/md_empty", b"").await, 0);
    assert_eq!(store.size("app/md_empty").await.unwrap(), Some(0));
    assert!(read(store, "app/md_empty", 0, 0).await.is_empty());
}

/// Putting a key again replaces the file.
pub async fn a_second_put_replaces_the_first(store: &dyn FileStore) {
    put_bytes(store, "app/md_twice", &pattern(300_000)).await;
    put_bytes(store, "app/md_twice", b"short").await;
    assert_eq!(store.size("app/md_twice").await.unwrap(), Some(5));
    assert_eq!(read(store, "app/md_twice", 0, 5).await, b"short");
}

/// A deleted file is gone; deleting it again, or a key never used, is no error.
pub async fn deleted_and_missing_files_are_not_found(store: &dyn FileStore) {
    put_bytes(store, "app/md_gone", b"bytes").await;
    put_bytes(store, "app/md_kept", b"kept").await;
    store.delete("app/md_gone").await.unwrap();
    store.delete("app/md_gone").await.unwrap();
    assert_eq!(store.size("app/md_gone").await.unwrap(), None);
    assert!(matches!(store.read("app/md_gone", 0, 1).await.err(), Some(FileError::NotFound(_))));
    assert!(matches!(store.read("app/md_never", 0, 1).await.err(), Some(FileError::NotFound(_))));
    assert_eq!(read(store, "app/md_kept", 0, 4).await, b"kept", "other files stay");
}

/// Keys that would name a path outside the store are refused before anything is touched.
pub async fn keys_outside_the_store_are_refused(store: &dyn FileStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload");
    std::fs::write(&path, b"x").unwrap();
    for key in ["../escape", "app/../../escape", "/absolute"] {
        assert!(matches!(store.put(key, &path).await, Err(FileError::BadKey(_))), "{key}");
        assert!(matches!(store.read(key, 0, 1).await.err(), Some(FileError::BadKey(_))), "{key}");
    }
}
