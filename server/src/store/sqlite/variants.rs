//! [`VariantStore`] on SQLite. Changes run in `BEGIN IMMEDIATE` transactions, so an app's default is decided
//! by one writer at a time.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{is_unique_violation, SqliteStore};
use crate::store::{
    NewVariant, PageRequest, StoreError, StoreResult, VariantChange, VariantCreated, VariantRecord, VariantStore,
};

/// Columns [`record`] reads, in order.
const COLUMNS: &str = "id, app_id, name, is_default, settings, created_at, updated_at";

/// The order of an app's variants: the default first, then oldest first.
const ORDER: &str = "is_default DESC, created_at, rowid";

fn record(row: &SqliteRow) -> StoreResult<VariantRecord> {
    let settings: String = row.get(4);
    Ok(VariantRecord {
        id: row.get(0),
        app_id: row.get(1),
        name: row.get(2),
        is_default: row.get(3),
        settings: serde_json::from_str(&settings).map_err(|e| StoreError::Corrupt(format!("variant settings: {e}")))?,
        created_at: row.get(5),
        updated_at: row.get(6),
    })
}

async fn read(conn: &mut SqliteConnection, app_id: &str, id: &str) -> StoreResult<Option<VariantRecord>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM variants WHERE app_id = ? AND id = ?"))
        .bind(app_id)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(record).transpose()
}

#[async_trait]
impl VariantStore for SqliteStore {
    async fn create_variant(&self, app_id: &str, variant: &NewVariant, limit: usize) -> StoreResult<VariantCreated> {
        let mut tx = self.begin_write().await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM variants WHERE app_id = ?").bind(app_id).fetch_one(&mut *tx).await?;
        if count as usize >= limit {
            return Ok(VariantCreated::LimitReached);
        }
        sqlx::query(
            "INSERT INTO variants (id, app_id, name, is_default, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&variant.id)
        .bind(app_id)
        .bind(&variant.name)
        .bind(count == 0)
        .bind(super::rows::json_text(&variant.settings))
        .bind(variant.created_at)
        .bind(variant.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => StoreError::Conflict(format!("variant {}", variant.id)),
            false => e.into(),
        })?;
        let stored = read(&mut tx, app_id, &variant.id).await?.ok_or_else(|| StoreError::Corrupt("variant just stored".into()))?;
        tx.commit().await?;
        Ok(VariantCreated::Stored(stored))
    }

    async fn variant(&self, app_id: &str, id: &str) -> StoreResult<Option<VariantRecord>> {
        let mut conn = self.pool.acquire().await?;
        read(&mut conn, app_id, id).await
    }

    async fn variant_anywhere(&self, id: &str) -> StoreResult<Option<VariantRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM variants WHERE id = ?")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(record).transpose()
    }

    async fn list_variants(&self, app_id: &str, page: PageRequest) -> StoreResult<(Vec<VariantRecord>, u64)> {
        let mut tx = self.pool.begin().await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM variants WHERE app_id = ?").bind(app_id).fetch_one(&mut *tx).await?;
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM variants WHERE app_id = ? ORDER BY {ORDER} LIMIT ? OFFSET ?"))
            .bind(app_id)
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((rows.iter().map(record).collect::<StoreResult<_>>()?, total as u64))
    }

    async fn update_variant(&self, app_id: &str, id: &str, change: &VariantChange, now: i64) -> StoreResult<Option<VariantRecord>> {
        let mut tx = self.begin_write().await?;
        let Some(mut variant) = read(&mut tx, app_id, id).await? else { return Ok(None) };
        if let Some(name) = &change.name {
            variant.name = name.clone();
        }
        if let Some(settings) = &change.settings {
            variant.settings = settings.clone();
        }
        if change.make_default && !variant.is_default {
            // Two statements: the one-default index is checked row by row.
            sqlx::query("UPDATE variants SET is_default = 0 WHERE app_id = ? AND is_default = 1").bind(app_id).execute(&mut *tx).await?;
            variant.is_default = true;
        }
        variant.updated_at = now;
        sqlx::query("UPDATE variants SET name = ?, settings = ?, is_default = ?, updated_at = ? WHERE app_id = ? AND id = ?")
            .bind(&variant.name)
            .bind(super::rows::json_text(&variant.settings))
            .bind(variant.is_default)
            .bind(now)
            .bind(app_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(variant))
    }

    async fn delete_variant(&self, app_id: &str, id: &str) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let deleted: Option<bool> = sqlx::query_scalar("DELETE FROM variants WHERE app_id = ? AND id = ? RETURNING is_default")
            .bind(app_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(was_default) = deleted else { return Ok(false) };
        if was_default {
            sqlx::query(&format!(
                "UPDATE variants SET is_default = 1 WHERE rowid = (SELECT rowid FROM variants WHERE app_id = ? ORDER BY {ORDER} LIMIT 1)"
            ))
            .bind(app_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn default_variant(&self, app_id: &str) -> StoreResult<Option<VariantRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM variants WHERE app_id = ? AND is_default = 1"))
            .bind(app_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(record).transpose()
    }

    async fn set_token_variant(&self, hash: &[u8], variant_id: Option<&str>) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE auth_tokens SET variant_id = ? WHERE token_hash = ?")
            .bind(variant_id)
            .bind(hash)
            .execute(&self.priority)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
