//! Files being uploaded: each multipart part is written to a file of its own in the spool folder as it
//! arrives (never held whole in memory), with its first bytes kept for sniffing. The file is removed when
//! its [`Spooled`] is dropped, whatever happened.

use std::path::{Path, PathBuf};

use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

/// Bytes kept from the start of a part, for reading its type.
pub const HEAD_BYTES: usize = 4096;

/// A part written to disk.
#[derive(Debug)]
pub struct Spooled {
    /// Where it is.
    pub path: PathBuf,
    /// Bytes written.
    pub size: u64,
    /// Its first [`HEAD_BYTES`] bytes (fewer when it is shorter).
    pub head: Vec<u8>,
}

impl Drop for Spooled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Why spooling stopped.
#[derive(Debug)]
pub enum SpoolError<E> {
    /// The part passed the limit the caller gave (that limit, in bytes).
    TooLarge(u64),
    /// The request body failed (the client went away, or it is not multipart).
    Body(E),
    /// The disk failed.
    Io(std::io::Error),
}

/// A new, empty file in `dir` (made if needed) with a random name, owner-only.
pub fn new_path(dir: &Path, suffix: &str) -> PathBuf {
    dir.join(format!("{}{suffix}", crate::secrets::random_hex(12)))
}

/// Writes the pieces of `body` to a new file in `dir`, stopping at the first piece past the limit that
/// `limit` gives for the head seen so far.
pub async fn spool<E, S, L>(dir: &Path, mut body: S, limit: L) -> Result<Spooled, SpoolError<E>>
where
    S: Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
    L: Fn(&[u8]) -> u64,
{
    tokio::fs::create_dir_all(dir).await.map_err(SpoolError::Io)?;
    let path = new_path(dir, ".part");
    let file = tokio::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).await;
    let mut spooled = Spooled { path, size: 0, head: Vec::new() };
    let mut file = file.map_err(SpoolError::Io)?;
    while let Some(piece) = body.next().await.transpose().map_err(SpoolError::Body)? {
        if spooled.head.len() < HEAD_BYTES {
            let take = piece.len().min(HEAD_BYTES - spooled.head.len());
            spooled.head.extend_from_slice(&piece[..take]);
        }
        spooled.size += piece.len() as u64;
        let most = limit(&spooled.head);
        if spooled.size > most {
            return Err(SpoolError::TooLarge(most));
        }
        file.write_all(&piece).await.map_err(SpoolError::Io)?;
    }
    file.flush().await.map_err(SpoolError::Io)?;
    Ok(spooled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    #[tokio::test]
    async fn parts_go_to_disk_and_are_removed_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let pieces = futures_util::stream::iter([Bytes::from(vec![1u8; 3000]), Bytes::from(vec![2u8; 3000])].map(Ok::<_, ()>));
        let spooled = spool(dir.path(), pieces, |_| 10_000).await.unwrap();
        assert_eq!(spooled.size, 6000);
        assert_eq!(spooled.head.len(), HEAD_BYTES);
        assert_eq!(std::fs::read(&spooled.path).unwrap().len(), 6000);
        let path = spooled.path.clone();
        drop(spooled);
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn a_part_past_its_limit_stops_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let pieces = futures_util::stream::iter(std::iter::repeat_with(|| Ok::<_, ()>(Bytes::from(vec![0u8; 1000]))).take(100));
        let refused = spool(dir.path(), pieces, |head| if head.is_empty() { 0 } else { 2500 }).await;
        assert!(matches!(refused, Err(SpoolError::TooLarge(2500))));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
