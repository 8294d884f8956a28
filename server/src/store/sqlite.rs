//! The embedded backend: one SQLite file in WAL mode, migrated on open.

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::Path;
use std::time::Duration;

use super::{App, KeyRecord, KeyScope, NewKey, Store, StoreError};

/// A [`Store`] on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode: a commit survives a crash of the process (SIGKILL); only a power loss can
            // undo the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Open(format!("migrations: {e}")))?;
        Ok(Self { pool })
    }
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_app(&self, app: &App, keys: &[NewKey]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO apps (app_id, name, region, identity_secret, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&app.app_id)
        .bind(&app.name)
        .bind(&app.region)
        .bind(&app.identity_secret)
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

    async fn app(&self, app_id: &str) -> Result<Option<App>, StoreError> {
        let row = sqlx::query(
            "SELECT app_id, name, region, identity_secret, created_at FROM apps WHERE app_id = ?",
        )
        .bind(app_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| App {
            app_id: r.get(0),
            name: r.get(1),
            region: r.get(2),
            identity_secret: r.get(3),
            created_at: r.get(4),
        }))
    }

    async fn app_count(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM apps").fetch_one(&self.pool).await?;
        Ok(count as u64)
    }

    async fn key(&self, hash: &[u8]) -> Result<Option<KeyRecord>, StoreError> {
        let row = sqlx::query("SELECT app_id, scope FROM api_keys WHERE key_hash = ?")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(KeyRecord { app_id: r.get(0), scope: KeyScope::parse(r.get(1))? })).transpose()
    }
}
