//! [`AppStore`] on SQLite.

use async_trait::async_trait;
use sqlx::Row;

use super::{is_unique_violation, SqliteStore};
use crate::store::{App, AppStore, KeyRecord, KeyScope, NewKey, StoreError, StoreResult};

#[async_trait]
impl AppStore for SqliteStore {
    async fn create_app(&self, app: &App, keys: &[NewKey]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO apps (app_id, name, region, identity_secret, enforce_identity, created_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&app.app_id)
        .bind(&app.name)
        .bind(&app.region)
        .bind(&app.identity_secret)
        .bind(app.enforce_identity)
        .bind(app.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => StoreError::Conflict(format!("app {}", app.app_id)),
            false => e.into(),
        })?;
        for key in keys {
            sqlx::query(
                "INSERT INTO api_keys (key_hash, app_id, name, scope, created_at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&key.hash)
            .bind(&app.app_id)
            .bind(&key.name)
            .bind(key.scope.as_str())
            .bind(app.created_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn app(&self, app_id: &str) -> StoreResult<Option<App>> {
        let row = sqlx::query(
            "SELECT app_id, name, region, identity_secret, enforce_identity, created_at FROM apps WHERE app_id = ?",
        )
        .bind(app_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| App {
            app_id: r.get(0),
            name: r.get(1),
            region: r.get(2),
            identity_secret: r.get(3),
            enforce_identity: r.get(4),
            created_at: r.get(5),
        }))
    }

    async fn app_count(&self) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM apps").fetch_one(&self.pool).await?;
        Ok(count as u64)
    }

    async fn key(&self, hash: &[u8]) -> StoreResult<Option<KeyRecord>> {
        let row = sqlx::query("SELECT app_id, scope FROM api_keys WHERE key_hash = ?")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let scope: String = r.get(1);
            let scope = KeyScope::parse(&scope).ok_or_else(|| StoreError::Corrupt(format!("key scope {scope}")))?;
            Ok(KeyRecord { app_id: r.get(0), scope })
        })
        .transpose()
    }

    async fn replace_key(&self, app_id: &str, key: &NewKey, now: i64) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM api_keys WHERE app_id = ? AND name = ?").bind(app_id).bind(&key.name).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO api_keys (key_hash, app_id, name, scope, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&key.hash)
            .bind(app_id)
            .bind(&key.name)
            .bind(key.scope.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_enforce_identity(&self, app_id: &str, enforce: bool) -> StoreResult<()> {
        sqlx::query("UPDATE apps SET enforce_identity = ? WHERE app_id = ?")
            .bind(enforce)
            .bind(app_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
