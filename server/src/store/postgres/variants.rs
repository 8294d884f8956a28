//! [`VariantStore`] on PostgreSQL. Every change to an app's variants first locks the app's row
//! (`FOR NO KEY UPDATE`, as the webhook limit does), so nodes creating, deleting or making default at once
//! are ordered: an app never has two defaults, nor none while it has variants.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::{is_unique_violation, PostgresStore};
use crate::store::{
    NewVariant, PageRequest, StoreError, StoreResult, VariantChange, VariantCreated, VariantRecord, VariantStore,
};

/// Columns [`record`] reads, in order.
const COLUMNS: &str = "id, app_id, name, is_default, settings, created_at, updated_at";

/// The order of an app's variants: the default first, then oldest first.
const ORDER: &str = "is_default DESC, created_at, seq";

fn record(row: &PgRow) -> StoreResult<VariantRecord> {
    let settings: String = row.try_get(4)?;
    Ok(VariantRecord {
        id: row.try_get(0)?,
        app_id: row.try_get(1)?,
        name: row.try_get(2)?,
        is_default: row.try_get(3)?,
        settings: serde_json::from_str(&settings).map_err(|e| StoreError::Corrupt(format!("variant settings: {e}")))?,
        created_at: row.try_get(5)?,
        updated_at: row.try_get(6)?,
    })
}

/// Locks the app's row for the rest of the transaction.
async fn lock_app(conn: &mut PgConnection, app_id: &str) -> StoreResult<()> {
    sqlx::query("SELECT 1 FROM apps WHERE app_id = $1 FOR NO KEY UPDATE").bind(app_id).execute(conn).await?;
    Ok(())
}

async fn read(conn: &mut PgConnection, app_id: &str, id: &str) -> StoreResult<Option<VariantRecord>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM variants WHERE app_id = $1 AND id = $2"))
        .bind(app_id)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(record).transpose()
}

/// The settings as stored: the JSON text the server wrote.
fn settings_text(settings: &serde_json::Value) -> String {
    serde_json::to_string(settings).expect("JSON values serialise")
}

#[async_trait]
impl VariantStore for PostgresStore {
    async fn create_variant(&self, app_id: &str, variant: &NewVariant, limit: usize) -> StoreResult<VariantCreated> {
        let mut tx = self.pool.begin().await?;
        lock_app(&mut tx, app_id).await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM variants WHERE app_id = $1").bind(app_id).fetch_one(&mut *tx).await?;
        if count as usize >= limit {
            return Ok(VariantCreated::LimitReached);
        }
        sqlx::query(
            "INSERT INTO variants (id, app_id, name, is_default, settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&variant.id)
        .bind(app_id)
        .bind(&variant.name)
        .bind(count == 0)
        .bind(settings_text(&variant.settings))
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
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM variants WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(record).transpose()
    }

    async fn list_variants(&self, app_id: &str, page: PageRequest) -> StoreResult<(Vec<VariantRecord>, u64)> {
        let mut tx = self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM variants WHERE app_id = $1").bind(app_id).fetch_one(&mut *tx).await?;
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM variants WHERE app_id = $1 ORDER BY {ORDER} LIMIT $2 OFFSET $3"))
            .bind(app_id)
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((rows.iter().map(record).collect::<StoreResult<_>>()?, total as u64))
    }

    async fn update_variant(&self, app_id: &str, id: &str, change: &VariantChange, now: i64) -> StoreResult<Option<VariantRecord>> {
        let mut tx = self.pool.begin().await?;
        lock_app(&mut tx, app_id).await?;
        let Some(mut variant) = read(&mut tx, app_id, id).await? else { return Ok(None) };
        if let Some(name) = &change.name {
            variant.name = name.clone();
        }
        if let Some(settings) = &change.settings {
            variant.settings = settings.clone();
        }
        if change.make_default && !variant.is_default {
            // Two statements: the one-default index is checked row by row.
            sqlx::query("UPDATE variants SET is_default = FALSE WHERE app_id = $1 AND is_default").bind(app_id).execute(&mut *tx).await?;
            variant.is_default = true;
        }
        variant.updated_at = now;
        sqlx::query("UPDATE variants SET name = $1, settings = $2, is_default = $3, updated_at = $4 WHERE app_id = $5 AND id = $6")
            .bind(&variant.name)
            .bind(settings_text(&variant.settings))
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
        let mut tx = self.pool.begin().await?;
        lock_app(&mut tx, app_id).await?;
        let deleted: Option<bool> = sqlx::query_scalar("DELETE FROM variants WHERE app_id = $1 AND id = $2 RETURNING is_default")
            .bind(app_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(was_default) = deleted else { return Ok(false) };
        if was_default {
            sqlx::query(&format!(
                "UPDATE variants SET is_default = TRUE WHERE seq = (SELECT seq FROM variants WHERE app_id = $1 ORDER BY {ORDER} LIMIT 1)"
            ))
            .bind(app_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn default_variant(&self, app_id: &str) -> StoreResult<Option<VariantRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM variants WHERE app_id = $1 AND is_default"))
            .bind(app_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(record).transpose()
    }

    async fn set_token_variant(&self, hash: &[u8], variant_id: Option<&str>) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE auth_tokens SET variant_id = $1 WHERE token_hash = $2")
            .bind(variant_id)
            .bind(hash)
            .execute(&self.priority)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
