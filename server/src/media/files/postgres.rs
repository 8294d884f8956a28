//! [`FileStore`] in PostgreSQL: each file in rows of at most [`CHUNK_BYTES`] (table `media_chunks`), written
//! in one transaction, so every node of a cluster reads what any node stored.

use std::path::Path;

use async_trait::async_trait;
use axum::body::Bytes;
use futures_util::stream;
use sqlx::PgPool;
use tokio::io::AsyncReadExt;

use super::{check_key, ByteStream, FileError, FileStore};

/// Bytes per stored row.
pub const CHUNK_BYTES: u64 = 256 * 1024;

/// Files in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgFileStore {
    pool: PgPool,
}

impl PgFileStore {
    /// The store in the database of `pool` (its migrations made the table).
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl FileStore for PgFileStore {
    async fn put(&self, key: &str, path: &Path) -> Result<u64, FileError> {
        check_key(key)?;
        let mut file = tokio::fs::File::open(path).await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM media_chunks WHERE file_key = $1").bind(key).execute(&mut *tx).await?;
        let (mut seq, mut total) = (0i32, 0u64);
        loop {
            let mut chunk = Vec::with_capacity(CHUNK_BYTES as usize);
            (&mut file).take(CHUNK_BYTES).read_to_end(&mut chunk).await?;
            if chunk.is_empty() && seq > 0 {
                break;
            }
            total += chunk.len() as u64;
            let last = (chunk.len() as u64) < CHUNK_BYTES;
            sqlx::query("INSERT INTO media_chunks (file_key, seq, bytes) VALUES ($1, $2, $3)")
                .bind(key)
                .bind(seq)
                .bind(chunk)
                .execute(&mut *tx)
                .await?;
            seq += 1;
            if last {
                break;
            }
        }
        tx.commit().await?;
        Ok(total)
    }

    async fn read(&self, key: &str, start: u64, end: u64) -> Result<ByteStream, FileError> {
        check_key(key)?;
        if self.size(key).await?.is_none() {
            return Err(FileError::NotFound(key.to_owned()));
        }
        let (pool, key) = (self.pool.clone(), key.to_owned());
        let pieces = stream::try_unfold(start, move |at| {
            let (pool, key) = (pool.clone(), key.clone());
            async move {
                if at >= end {
                    return Ok(None);
                }
                let seq = (at / CHUNK_BYTES) as i32;
                let chunk: Option<Vec<u8>> = sqlx::query_scalar("SELECT bytes FROM media_chunks WHERE file_key = $1 AND seq = $2")
                    .bind(&key)
                    .bind(seq)
                    .fetch_optional(&pool)
                    .await?;
                let chunk = chunk.ok_or_else(|| FileError::NotFound(key.clone()))?;
                let from = (at % CHUNK_BYTES) as usize;
                let to = chunk.len().min(from + (end - at) as usize);
                if from >= to {
                    return Err(FileError::Io(std::io::ErrorKind::UnexpectedEof.into()));
                }
                let piece = Bytes::copy_from_slice(&chunk[from..to]);
                Ok(Some((piece, at + (to - from) as u64)))
            }
        });
        Ok(Box::pin(pieces))
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, FileError> {
        check_key(key)?;
        let size: Option<i64> = sqlx::query_scalar(
            "SELECT SUM(octet_length(bytes))::BIGINT FROM media_chunks WHERE file_key = $1 HAVING COUNT(*) > 0",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        .flatten();
        Ok(size.map(|s| s as u64))
    }

    async fn delete(&self, key: &str) -> Result<(), FileError> {
        check_key(key)?;
        sqlx::query("DELETE FROM media_chunks WHERE file_key = $1").bind(key).execute(&self.pool).await?;
        Ok(())
    }
}
