//! [`MediaStore`] on PostgreSQL. The quota check locks the app's row, and a claim locks the uploads it
//! claims (`FOR UPDATE`), so nodes adding or claiming at once are ordered.

use std::sync::Arc;

use async_trait::async_trait;
use confab_protocol::rest::media::MediaKind;
use sqlx::postgres::PgRow;
use sqlx::Row;

use super::PostgresStore;
use crate::media::files::FileStore;
use crate::store::{Claimant, MediaAdded, MediaRecord, MediaStore, StoreError, StoreResult};

/// Columns [`record`] reads, in order.
const COLUMNS: &str = "id, app_id, uploader, kind, mime_type, extension, name, size, width, height, thumb_size, created_at, message_id";

fn record(row: &PgRow) -> StoreResult<MediaRecord> {
    let kind: String = row.try_get(3)?;
    Ok(MediaRecord {
        id: row.try_get(0)?,
        app_id: row.try_get(1)?,
        uploader: row.try_get(2)?,
        kind: MediaKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("media kind {kind}")))?,
        mime_type: row.try_get(4)?,
        extension: row.try_get(5)?,
        name: row.try_get(6)?,
        size: row.try_get::<i64, _>(7)? as u64,
        width: row.try_get::<Option<i32>, _>(8)?.map(|w| w as u32),
        height: row.try_get::<Option<i32>, _>(9)?.map(|h| h as u32),
        thumb_size: row.try_get::<Option<i64>, _>(10)?.map(|s| s as u64),
        created_at: row.try_get(11)?,
        message_id: row.try_get(12)?,
    })
}

fn records(rows: &[PgRow]) -> StoreResult<Vec<MediaRecord>> {
    rows.iter().map(record).collect()
}

#[async_trait]
impl MediaStore for PostgresStore {
    fn files(&self) -> Arc<dyn FileStore> {
        self.files.clone()
    }

    async fn add_media(&self, record: &MediaRecord, quota: u64) -> StoreResult<MediaAdded> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT 1 FROM apps WHERE app_id = $1 FOR NO KEY UPDATE").bind(&record.app_id).execute(&mut *tx).await?;
        let used: i64 = sqlx::query_scalar("SELECT COALESCE(SUM(size + COALESCE(thumb_size, 0)), 0)::BIGINT FROM media WHERE app_id = $1")
            .bind(&record.app_id)
            .fetch_one(&mut *tx)
            .await?;
        if used as u64 + record.size + record.thumb_size.unwrap_or(0) > quota {
            return Ok(MediaAdded::OverQuota);
        }
        sqlx::query(
            "INSERT INTO media (id, app_id, uploader, kind, mime_type, extension, name, size, width, height, thumb_size, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&record.id)
        .bind(&record.app_id)
        .bind(&record.uploader)
        .bind(record.kind.as_str())
        .bind(&record.mime_type)
        .bind(&record.extension)
        .bind(&record.name)
        .bind(record.size as i64)
        .bind(record.width.map(|w| w as i32))
        .bind(record.height.map(|h| h as i32))
        .bind(record.thumb_size.map(|s| s as i64))
        .bind(record.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(MediaAdded::Stored)
    }

    async fn media(&self, id: &str) -> StoreResult<Option<MediaRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM media WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(record).transpose()
    }

    async fn claim_media(&self, app_id: &str, ids: &[String], claimant: Claimant<'_>) -> StoreResult<Result<Vec<MediaRecord>, usize>> {
        let mut tx = self.pool.begin().await?;
        let mut found = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let row = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM media WHERE app_id = $1 AND id = $2 \
                 AND (uploader = $3 OR ($4 AND uploader IS NULL)) \
                 AND ((claim_sender IS NULL AND message_id IS NULL) OR (claim_sender = $3 AND claim_muid = $5)) FOR UPDATE"
            ))
            .bind(app_id)
            .bind(id)
            .bind(claimant.sender)
            .bind(claimant.app_key)
            .bind(claimant.muid)
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                Some(row) if !ids[..i].contains(id) => found.push(record(&row)?),
                _ => return Ok(Err(i)),
            }
        }
        sqlx::query("UPDATE media SET claim_sender = $3, claim_muid = $4 WHERE app_id = $1 AND id = ANY($2)")
            .bind(app_id)
            .bind(ids)
            .bind(claimant.sender)
            .bind(claimant.muid)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Ok(found))
    }

    async fn release_media(&self, app_id: &str, ids: &[String], claimant: Claimant<'_>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE media SET claim_sender = NULL, claim_muid = NULL WHERE app_id = $1 AND id = ANY($2) \
             AND message_id IS NULL AND claim_sender = $3 AND claim_muid = $4",
        )
        .bind(app_id)
        .bind(ids)
        .bind(claimant.sender)
        .bind(claimant.muid)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn link_media(&self, app_id: &str, ids: &[String], message_id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE media SET message_id = $3 WHERE app_id = $1 AND id = ANY($2)")
            .bind(app_id)
            .bind(ids)
            .bind(message_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn media_of_message(&self, app_id: &str, message_id: i64) -> StoreResult<Vec<MediaRecord>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM media WHERE app_id = $1 AND message_id = $2 ORDER BY id"))
            .bind(app_id)
            .bind(message_id)
            .fetch_all(&self.pool)
            .await?;
        records(&rows)
    }

    async fn media_of_uploader(&self, app_id: &str, uid: &str) -> StoreResult<Vec<MediaRecord>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM media WHERE app_id = $1 AND uploader = $2 ORDER BY id"))
            .bind(app_id)
            .bind(uid)
            .fetch_all(&self.pool)
            .await?;
        records(&rows)
    }

    async fn unused_media(&self, before: i64, limit: u32) -> StoreResult<Vec<MediaRecord>> {
        sqlx::query(
            "UPDATE media SET message_id = m.id FROM messages m \
             WHERE media.message_id IS NULL AND media.claim_sender IS NOT NULL AND media.created_at < $1 \
               AND m.app_id = media.app_id AND m.sender = media.claim_sender AND m.muid = media.claim_muid",
        )
        .bind(before)
        .execute(&self.pool)
        .await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM media WHERE message_id IS NULL AND created_at < $1 ORDER BY created_at LIMIT $2"
        ))
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        records(&rows)
    }

    async fn forget_media(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM media WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    async fn server_secret(&self, name: &str, fresh: &[u8]) -> StoreResult<Vec<u8>> {
        sqlx::query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(fresh)
            .execute(&self.pool)
            .await?;
        Ok(sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1").bind(name).fetch_one(&self.pool).await?)
    }
}
