//! [`ConsoleStore`] on PostgreSQL.

use async_trait::async_trait;
use confab_protocol::ids::APP_SENDER_UID;
use sqlx::Row;

use super::{is_unique_violation, PostgresStore};
use crate::store::console::{
    email_key, fill_days, key_id, token_end, window_start, AppListing, AuditRecord, ConsoleSessionRecord, ConsoleStore,
    DeviceTokenRecord, KeyListing, NewAudit, NewConsoleSession, OverviewCounts, OwnerRecord, DAY_SECS,
};
use crate::store::{KeyScope, NewKey, PageRequest, StoreError, StoreResult};

/// A session's use is written down at most this often (its idle time is counted in hours).
const SESSION_USE_RECORDED_EVERY_SECS: i64 = 60;

#[async_trait]
impl ConsoleStore for PostgresStore {
    async fn create_owner(&self, email: &str, password_hash: &str, must_change_password: bool, now: i64) -> StoreResult<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO console_owners (email, email_key, password_hash, must_change_password, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(email.trim())
        .bind(email_key(email))
        .bind(password_hash)
        .bind(must_change_password)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => StoreError::Conflict(format!("owner {}", email_key(email))),
            false => e.into(),
        })?;
        Ok(id)
    }

    async fn owner_by_email(&self, email: &str) -> StoreResult<Option<OwnerRecord>> {
        let row = sqlx::query(
            "SELECT id, email, password_hash, must_change_password, created_at FROM console_owners WHERE email_key = $1",
        )
        .bind(email_key(email))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(OwnerRecord {
                id: r.try_get(0)?,
                email: r.try_get(1)?,
                password_hash: r.try_get(2)?,
                must_change_password: r.try_get(3)?,
                created_at: r.try_get(4)?,
            })
        })
        .transpose()
    }

    async fn set_owner_password(&self, owner_id: i64, password_hash: &str, must_change_password: bool, now: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE console_owners SET password_hash = $1, must_change_password = $2, password_changed_at = $3 WHERE id = $4",
        )
        .bind(password_hash)
        .bind(must_change_password)
        .bind(now)
        .bind(owner_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn create_console_session(&self, session: &NewConsoleSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO console_sessions (token_hash, owner_id, csrf_token, created_at, last_used_at, expires_at) \
             VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(&session.token_hash)
        .bind(session.owner_id)
        .bind(&session.csrf_token)
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn use_console_session(&self, token_hash: &[u8], now: i64, idle_secs: i64) -> StoreResult<Option<ConsoleSessionRecord>> {
        let row = sqlx::query(
            "SELECT s.owner_id, o.email, o.must_change_password, s.csrf_token, s.created_at, s.last_used_at, s.expires_at \
             FROM console_sessions s JOIN console_owners o ON o.id = s.owner_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.priority)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let record = ConsoleSessionRecord {
            owner_id: r.try_get(0)?,
            email: r.try_get(1)?,
            must_change_password: r.try_get(2)?,
            csrf_token: r.try_get(3)?,
            created_at: r.try_get(4)?,
            last_used_at: r.try_get(5)?,
            expires_at: r.try_get(6)?,
        };
        if now >= record.expires_at || now >= record.last_used_at.saturating_add(idle_secs) {
            self.delete_console_session(token_hash).await?;
            return Ok(None);
        }
        // Written down at most every minute, or a hundredth of the idle time when that is shorter.
        if now - record.last_used_at >= SESSION_USE_RECORDED_EVERY_SECS.min(idle_secs / 100) {
            sqlx::query("UPDATE console_sessions SET last_used_at = $1 WHERE token_hash = $2 AND last_used_at < $1")
                .bind(now)
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(record))
    }

    async fn delete_console_session(&self, token_hash: &[u8]) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_owner_sessions(&self, owner_id: i64, keep: Option<&[u8]>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM console_sessions WHERE owner_id = $1 AND ($2::bytea IS NULL OR token_hash != $2)")
            .bind(owner_id)
            .bind(keep)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn append_audit(&self, entry: &NewAudit) -> StoreResult<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO console_audit (app_id, at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&entry.app_id)
        .bind(entry.at)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(&entry.detail)
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    async fn audit_log(&self, app_id: &str, page: PageRequest) -> StoreResult<(Vec<AuditRecord>, u64)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM console_audit WHERE app_id = $1").bind(app_id).fetch_one(&self.pool).await?;
        let rows = sqlx::query(
            "SELECT id, app_id, at, actor, action, target, detail FROM console_audit WHERE app_id = $1 \
             ORDER BY id DESC LIMIT $2 OFFSET $3",
        )
        .bind(app_id)
        .bind(i64::from(page.per_page))
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await?;
        let lines = rows
            .iter()
            .map(|r| {
                Ok(AuditRecord {
                    id: r.try_get(0)?,
                    entry: NewAudit {
                        app_id: r.try_get(1)?,
                        at: r.try_get(2)?,
                        actor: r.try_get(3)?,
                        action: r.try_get(4)?,
                        target: r.try_get(5)?,
                        detail: r.try_get(6)?,
                    },
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok((lines, total as u64))
    }

    async fn list_apps(&self) -> StoreResult<Vec<AppListing>> {
        let rows = sqlx::query("SELECT app_id, name, region, created_at FROM apps ORDER BY created_at, app_id").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok(AppListing { app_id: r.try_get(0)?, name: r.try_get(1)?, region: r.try_get(2)?, created_at: r.try_get(3)? }))
            .collect()
    }

    async fn rename_app(&self, app_id: &str, name: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE apps SET name = $1 WHERE app_id = $2").bind(name).bind(app_id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn set_identity_secret(&self, app_id: &str, secret: &str) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE apps SET identity_secret = $1 WHERE app_id = $2").bind(secret).bind(app_id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn list_keys(&self, app_id: &str) -> StoreResult<Vec<KeyListing>> {
        let rows = sqlx::query("SELECT key_hash, name, scope, created_at FROM api_keys WHERE app_id = $1 ORDER BY created_at, key_hash")
            .bind(app_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let hash: Vec<u8> = r.try_get(0)?;
                let scope: String = r.try_get(2)?;
                let scope = KeyScope::parse(&scope).ok_or_else(|| StoreError::Corrupt(format!("key scope {scope}")))?;
                Ok(KeyListing { id: key_id(&hash), name: r.try_get(1)?, scope, created_at: r.try_get(3)? })
            })
            .collect()
    }

    async fn add_key(&self, app_id: &str, key: &NewKey, now: i64) -> StoreResult<()> {
        sqlx::query("INSERT INTO api_keys (key_hash, app_id, name, scope, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&key.hash)
            .bind(app_id)
            .bind(&key.name)
            .bind(key.scope.as_str())
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(|e| match is_unique_violation(&e) {
                true => StoreError::Conflict("key".into()),
                false => e.into(),
            })?;
        Ok(())
    }

    async fn revoke_key(&self, app_id: &str, id: &str) -> StoreResult<Option<Vec<u8>>> {
        let id = id.to_ascii_lowercase();
        // The id is a prefix of the hash's hex: compared in SQL, one statement.
        let hash: Option<Vec<u8>> = sqlx::query_scalar(
            "DELETE FROM api_keys WHERE key_hash = (SELECT key_hash FROM api_keys WHERE app_id = $1 \
             AND substr(encode(key_hash, 'hex'), 1, 16) = $2 LIMIT 1) RETURNING key_hash",
        )
        .bind(app_id)
        .bind(&id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(hash)
    }

    async fn overview(&self, app_id: &str, now: i64, days: u32) -> StoreResult<OverviewCounts> {
        let since = window_start(now, days);
        let rows = sqlx::query(
            "SELECT sent_at / $3 AS day, COUNT(*) FROM messages \
             WHERE app_id = $1 AND sent_at >= $2 AND category != 'action' GROUP BY day",
        )
        .bind(app_id)
        .bind(since)
        .bind(DAY_SECS)
        .fetch_all(&self.pool)
        .await?;
        let counted = rows
            .iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)? as u64)))
            .collect::<Result<Vec<(i64, u64)>, sqlx::Error>>()?;
        let active: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT sender) FROM messages WHERE app_id = $1 AND sent_at >= $2 AND category != 'action' AND sender != $3",
        )
        .bind(app_id)
        .bind(since)
        .bind(APP_SENDER_UID)
        .fetch_one(&self.pool)
        .await?;
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE app_id = $1").bind(app_id).fetch_one(&self.pool).await?;
        Ok(OverviewCounts { per_day: fill_days(now, days, &counted), active_users: active as u64, users_total: users as u64 })
    }

    async fn user_tokens(&self, app_id: &str, uid: &str, now: i64) -> StoreResult<Vec<DeviceTokenRecord>> {
        let rows = sqlx::query(
            "SELECT created_at, last_used_at, expires_at, idle_secs FROM auth_tokens t \
             WHERE app_id = $1 AND uid = $2 AND (t.expires_at IS NULL OR t.expires_at > $3) AND \
             (t.idle_secs IS NULL OR COALESCE(t.last_used_at, t.created_at) + t.idle_secs > $3) ORDER BY created_at, seq",
        )
        .bind(app_id)
        .bind(uid)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let (created_at, last_used_at, expires_at, idle_secs) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
                Ok(DeviceTokenRecord { created_at, last_used_at, expires_at: token_end(expires_at, last_used_at, created_at, idle_secs) })
            })
            .collect()
    }
}
