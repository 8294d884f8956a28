//! [`AppStore`] on PostgreSQL.

use async_trait::async_trait;
use confab_protocol::rest::app::UidSignInPolicy;
use sqlx::Row;

use super::{is_unique_violation, PostgresStore};
use crate::store::{App, AppStore, KeyRecord, KeyScope, NewKey, StoreError, StoreResult};

#[async_trait]
impl AppStore for PostgresStore {
    async fn create_app(&self, app: &App, keys: &[NewKey]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO apps (app_id, name, region, identity_secret, enforce_identity, created_at, uid_sign_in, visible_roles) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&app.app_id)
        .bind(&app.name)
        .bind(&app.region)
        .bind(&app.identity_secret)
        .bind(app.uid_sign_in == UidSignInPolicy::Verified)
        .bind(app.created_at)
        .bind(app.uid_sign_in.as_str())
        .bind(&app.visible_roles)
        .execute(&mut *tx)
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => StoreError::Conflict(format!("app {}", app.app_id)),
            false => e.into(),
        })?;
        for key in keys {
            sqlx::query("INSERT INTO api_keys (key_hash, app_id, name, scope, created_at) VALUES ($1, $2, $3, $4, $5)")
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
            "SELECT app_id, name, region, identity_secret, uid_sign_in, created_at, visible_roles FROM apps WHERE app_id = $1",
        )
        .bind(app_id)
        .fetch_optional(&self.priority)
        .await?;
        row.map(|r| {
            let policy: String = r.try_get(4)?;
            let uid_sign_in = UidSignInPolicy::parse(&policy).ok_or_else(|| StoreError::Corrupt(format!("uid_sign_in {policy}")))?;
            Ok(App {
                app_id: r.try_get(0)?,
                name: r.try_get(1)?,
                region: r.try_get(2)?,
                identity_secret: r.try_get(3)?,
                enforce_identity: uid_sign_in == UidSignInPolicy::Verified,
                uid_sign_in,
                created_at: r.try_get(5)?,
                visible_roles: r.try_get(6)?,
            })
        })
        .transpose()
    }

    async fn app_count(&self) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM apps").fetch_one(&self.priority).await?;
        Ok(count as u64)
    }

    async fn key(&self, hash: &[u8]) -> StoreResult<Option<KeyRecord>> {
        let row = sqlx::query("SELECT app_id, scope FROM api_keys WHERE key_hash = $1")
            .bind(hash)
            .fetch_optional(&self.priority)
            .await?;
        row.map(|r| {
            let scope: String = r.try_get(1)?;
            let scope = KeyScope::parse(&scope).ok_or_else(|| StoreError::Corrupt(format!("key scope {scope}")))?;
            Ok(KeyRecord { app_id: r.try_get(0)?, scope })
        })
        .transpose()
    }

    async fn replace_key(&self, app_id: &str, key: &NewKey, now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        // Serialises replacements of the app's keys (two at once would leave both keys of one name).
        sqlx::query("SELECT 1 FROM apps WHERE app_id = $1 FOR NO KEY UPDATE").bind(app_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM api_keys WHERE app_id = $1 AND name = $2").bind(app_id).bind(&key.name).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO api_keys (key_hash, app_id, name, scope, created_at) VALUES ($1, $2, $3, $4, $5)")
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

    async fn apps_with_open_uid_sign_in(&self) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT app_id FROM apps WHERE uid_sign_in = 'open' ORDER BY app_id").fetch_all(&self.pool).await?)
    }

    async fn set_uid_sign_in(&self, app_id: &str, policy: UidSignInPolicy) -> StoreResult<()> {
        sqlx::query("UPDATE apps SET uid_sign_in = $1, enforce_identity = $2 WHERE app_id = $3")
            .bind(policy.as_str())
            .bind(policy == UidSignInPolicy::Verified)
            .bind(app_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_visible_roles(&self, app_id: &str, roles: &[String]) -> StoreResult<()> {
        sqlx::query("UPDATE apps SET visible_roles = $1 WHERE app_id = $2").bind(roles).bind(app_id).execute(&self.pool).await?;
        Ok(())
    }
}
