//! [`MediaStore`] on SQLite. The quota check and claims run in `BEGIN IMMEDIATE` transactions, so two
//! uploads or two sends never both pass on the same rows.

use std::sync::Arc;

use async_trait::async_trait;
use confab_protocol::rest::media::MediaKind;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::SqliteStore;
use crate::media::files::FileStore;
use crate::store::{Claimant, MediaAdded, MediaRecord, MediaStore, StoreError, StoreResult};

/// Columns [`record`] reads, in order.
const COLUMNS: &str = "id, app_id, uploader, kind, mime_type, extension, name, size, width, height, thumb_size, created_at, message_id";

fn record(row: &SqliteRow) -> StoreResult<MediaRecord> {
    let kind: String = row.get(3);
    Ok(MediaRecord {
        id: row.get(0),
        app_id: row.get(1),
        uploader: row.get(2),
        kind: MediaKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("media kind {kind}")))?,
        mime_type: row.get(4),
        extension: row.get(5),
        name: row.get(6),
        size: row.get::<i64, _>(7) as u64,
        width: row.get::<Option<i64>, _>(8).map(|w| w as u32),
        height: row.get::<Option<i64>, _>(9).map(|h| h as u32),
        thumb_size: row.get::<Option<i64>, _>(10).map(|s| s as u64),
        created_at: row.get(11),
        message_id: row.get(12),
    })
}

fn records(rows: &[SqliteRow]) -> StoreResult<Vec<MediaRecord>> {
    rows.iter().map(record).collect()
}

/// `WHERE app_id = ? AND id IN (...)` over `ids`.
fn of_ids<'a>(query: &mut QueryBuilder<'a, Sqlite>, app_id: &'a str, ids: &'a [String]) {
    query.push(" WHERE app_id = ").push_bind(app_id).push(" AND id IN (");
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(id);
    }
    query.push(")");
}

#[async_trait]
impl MediaStore for SqliteStore {
    fn files(&self) -> Arc<dyn FileStore> {
        self.files.clone()
    }

    async fn add_media(&self, record: &MediaRecord, quota: u64) -> StoreResult<MediaAdded> {
        let mut tx = self.begin_write().await?;
        let used: i64 = sqlx::query_scalar("SELECT COALESCE(SUM(size + COALESCE(thumb_size, 0)), 0) FROM media WHERE app_id = ?")
            .bind(&record.app_id)
            .fetch_one(&mut *tx)
            .await?;
        if used as u64 + record.size + record.thumb_size.unwrap_or(0) > quota {
            return Ok(MediaAdded::OverQuota);
        }
        sqlx::query(
            "INSERT INTO media (id, app_id, uploader, kind, mime_type, extension, name, size, width, height, thumb_size, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&record.id)
        .bind(&record.app_id)
        .bind(&record.uploader)
        .bind(record.kind.as_str())
        .bind(&record.mime_type)
        .bind(&record.extension)
        .bind(&record.name)
        .bind(record.size as i64)
        .bind(record.width.map(i64::from))
        .bind(record.height.map(i64::from))
        .bind(record.thumb_size.map(|s| s as i64))
        .bind(record.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(MediaAdded::Stored)
    }

    async fn media(&self, id: &str) -> StoreResult<Option<MediaRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM media WHERE id = ?")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(record).transpose()
    }

    async fn claim_media(&self, app_id: &str, ids: &[String], claimant: Claimant<'_>) -> StoreResult<Result<Vec<MediaRecord>, usize>> {
        let mut tx = self.begin_write().await?;
        let mut found = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let row = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM media WHERE app_id = ?1 AND id = ?2 \
                 AND (uploader = ?3 OR (?4 AND uploader IS NULL)) \
                 AND ((claim_sender IS NULL AND message_id IS NULL) OR (claim_sender = ?3 AND claim_muid = ?5))"
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
        let mut claim = QueryBuilder::new("UPDATE media SET claim_sender = ");
        claim.push_bind(claimant.sender).push(", claim_muid = ").push_bind(claimant.muid);
        of_ids(&mut claim, app_id, ids);
        claim.build().execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Ok(found))
    }

    async fn release_media(&self, app_id: &str, ids: &[String], claimant: Claimant<'_>) -> StoreResult<()> {
        let mut release = QueryBuilder::new("UPDATE media SET claim_sender = NULL, claim_muid = NULL");
        of_ids(&mut release, app_id, ids);
        release.push(" AND message_id IS NULL AND claim_sender = ").push_bind(claimant.sender);
        release.push(" AND claim_muid = ").push_bind(claimant.muid);
        release.build().execute(&self.pool).await?;
        Ok(())
    }

    async fn link_media(&self, app_id: &str, ids: &[String], message_id: i64) -> StoreResult<()> {
        let mut link = QueryBuilder::new("UPDATE media SET message_id = ");
        link.push_bind(message_id);
        of_ids(&mut link, app_id, ids);
        link.build().execute(&self.pool).await?;
        Ok(())
    }

    async fn media_of_message(&self, app_id: &str, message_id: i64) -> StoreResult<Vec<MediaRecord>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM media WHERE app_id = ? AND message_id = ? ORDER BY id"))
            .bind(app_id)
            .bind(message_id)
            .fetch_all(&self.pool)
            .await?;
        records(&rows)
    }

    async fn media_of_uploader(&self, app_id: &str, uid: &str) -> StoreResult<Vec<MediaRecord>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM media WHERE app_id = ? AND uploader = ? ORDER BY id"))
            .bind(app_id)
            .bind(uid)
            .fetch_all(&self.pool)
            .await?;
        records(&rows)
    }

    async fn unused_media(&self, before: i64, limit: u32) -> StoreResult<Vec<MediaRecord>> {
        sqlx::query(
            "UPDATE media SET message_id = (SELECT m.id FROM messages m WHERE m.app_id = media.app_id \
               AND m.sender = media.claim_sender AND m.muid = media.claim_muid) \
             WHERE message_id IS NULL AND claim_sender IS NOT NULL AND created_at < ?",
        )
        .bind(before)
        .execute(&self.pool)
        .await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM media WHERE message_id IS NULL AND created_at < ? ORDER BY created_at LIMIT ?"
        ))
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        records(&rows)
    }

    async fn forget_media(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM media WHERE id = ?").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    async fn server_secret(&self, name: &str, fresh: &[u8]) -> StoreResult<Vec<u8>> {
        sqlx::query("INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(fresh)
            .execute(&self.pool)
            .await?;
        Ok(sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = ?").bind(name).fetch_one(&self.pool).await?)
    }
}
