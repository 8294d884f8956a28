//! [`FileStore`] in a folder: each key is a file path below it. A file is written under a temporary name and
//! renamed into place, so a reader never sees half of one.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use axum::body::Bytes;
use futures_util::stream;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{check_key, ByteStream, FileError, FileStore};

/// Bytes read at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Files in a folder.
#[derive(Debug, Clone)]
pub struct DirFileStore {
    root: PathBuf,
}

impl DirFileStore {
    /// The store in `root` (created when the first file comes).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, FileError> {
        check_key(key)?;
        Ok(self.root.join(key))
    }
}

fn not_found(key: &str, err: std::io::Error) -> FileError {
    match err.kind() {
        std::io::ErrorKind::NotFound => FileError::NotFound(key.to_owned()),
        _ => FileError::Io(err),
    }
}

#[async_trait]
impl FileStore for DirFileStore {
    async fn put(&self, key: &str, path: &Path) -> Result<u64, FileError> {
        let target = self.path(key)?;
        let folder = target.parent().expect("a key has a folder");
        tokio::fs::create_dir_all(folder).await?;
        let partial = folder.join(format!(".partial-{}", crate::secrets::random_hex(8)));
        // A rename when the file is on the same file system, a copy otherwise.
        if tokio::fs::rename(path, &partial).await.is_err() {
            tokio::fs::copy(path, &partial).await?;
        }
        tokio::fs::File::open(&partial).await?.sync_all().await?;
        tokio::fs::rename(&partial, &target).await?;
        Ok(tokio::fs::metadata(&target).await?.len())
    }

    async fn read(&self, key: &str, start: u64, end: u64) -> Result<ByteStream, FileError> {
        let mut file = tokio::fs::File::open(self.path(key)?).await.map_err(|e| not_found(key, e))?;
        file.seek(SeekFrom::Start(start)).await?;
        let pieces = stream::try_unfold((file, end.saturating_sub(start)), |(mut file, left)| async move {
            if left == 0 {
                return Ok(None);
            }
            let mut buf = vec![0u8; READ_CHUNK.min(left as usize)];
            let n = file.read(&mut buf).await?;
            if n == 0 {
                return Err(FileError::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            buf.truncate(n);
            Ok(Some((Bytes::from(buf), (file, left - n as u64))))
        });
        Ok(Box::pin(pieces))
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, FileError> {
        match tokio::fs::metadata(self.path(key)?).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), FileError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}
