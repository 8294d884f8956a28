//! [`UserStore`] on SQLite.

use async_trait::async_trait;
use confab_protocol::rest::users::User;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::rows::{self, json_text, push_json_patch, push_text_patch, USER_COLUMNS};
use super::{is_unique_violation, like_pattern, SqliteStore};
use crate::store::{
    ExpiredToken, NewUser, PageRequest, StoreError, StoreResult, TokenLifetime, TokenOwner, TokenRecord, UserFilter,
    UserOrigin, UserPatch, UserStore,
};
use confab_protocol::ids::APP_SENDER_UID;
use confab_protocol::rest::messages::MessageData;

/// The condition that token row `t` still works at the time bound as parameter `?n`.
fn token_works(n: usize) -> String {
    format!(
        "(t.expires_at IS NULL OR t.expires_at > ?{n}) AND \
         (t.idle_secs IS NULL OR COALESCE(t.last_used_at, t.created_at) + t.idle_secs > ?{n})"
    )
}
/// A token's use is written down at most this often: enough for idle limits counted in days.
const TOKEN_USE_RECORDED_EVERY_SECS: i64 = 3600;

async fn insert_user(
    conn: &mut sqlx::SqliteConnection,
    app_id: &str,
    user: &NewUser,
    or_ignore: bool,
) -> Result<u64, sqlx::Error> {
    let verb = if or_ignore { "INSERT OR IGNORE" } else { "INSERT" };
    let done = sqlx::query(&format!(
        "{verb} INTO users (app_id, uid, name, avatar, link, role, status_message, metadata, tags, created_at, origin) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(app_id)
    .bind(&user.uid)
    .bind(&user.name)
    .bind(&user.avatar)
    .bind(&user.link)
    .bind(&user.role)
    .bind(&user.status_message)
    .bind(user.metadata.as_ref().map(json_text))
    .bind(json_text(&user.tags))
    .bind(user.created_at)
    .bind(user.origin.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

async fn fetch_user(conn: &mut sqlx::SqliteConnection, app_id: &str, uid: &str) -> StoreResult<Option<User>> {
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.app_id = ? AND u.uid = ?"))
        .bind(app_id)
        .bind(uid)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(rows::user).transpose()
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, app_id: &str, user: &NewUser, token_hash: Option<&[u8]>) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        insert_user(&mut tx, app_id, user, false).await.map_err(|e| match is_unique_violation(&e) {
            true => StoreError::Conflict(format!("user {}", user.uid)),
            false => e.into(),
        })?;
        if let Some(hash) = token_hash {
            sqlx::query("INSERT INTO auth_tokens (token_hash, app_id, uid, created_at) VALUES (?, ?, ?, ?)")
                .bind(hash)
                .bind(app_id)
                .bind(&user.uid)
                .bind(user.created_at)
                .execute(&mut *tx)
                .await?;
        }
        let created = fetch_user(&mut tx, app_id, &user.uid).await?.ok_or(StoreError::Closed)?;
        tx.commit().await?;
        Ok(created)
    }

    async fn user(&self, app_id: &str, uid: &str) -> StoreResult<Option<User>> {
        let mut conn = self.pool.acquire().await?;
        fetch_user(&mut conn, app_id, uid).await
    }

    async fn user_origin(&self, app_id: &str, uid: &str) -> StoreResult<Option<UserOrigin>> {
        let origin: Option<String> = sqlx::query_scalar("SELECT origin FROM users WHERE app_id = ? AND uid = ?")
            .bind(app_id)
            .bind(uid)
            .fetch_optional(&self.pool)
            .await?;
        origin.map(|o| UserOrigin::parse(&o).ok_or_else(|| StoreError::Corrupt(format!("user origin {o}")))).transpose()
    }

    async fn user_or_create(&self, app_id: &str, user: &NewUser) -> StoreResult<(User, bool)> {
        let mut tx = self.begin_write().await?;
        let created = insert_user(&mut tx, app_id, user, true).await? == 1;
        let stored = fetch_user(&mut tx, app_id, &user.uid).await?.ok_or(StoreError::Closed)?;
        tx.commit().await?;
        Ok((stored, created))
    }

    async fn update_user(&self, app_id: &str, uid: &str, patch: &UserPatch, now: i64) -> StoreResult<Option<User>> {
        let mut tx = self.begin_write().await?;
        let mut query = QueryBuilder::<Sqlite>::new("UPDATE users SET updated_at = ");
        query.push_bind(now);
        if let Some(name) = &patch.name {
            query.push(", name = ").push_bind(name.as_str());
        }
        push_text_patch(&mut query, "avatar", &patch.avatar, None);
        push_text_patch(&mut query, "link", &patch.link, None);
        push_text_patch(&mut query, "role", &patch.role, Some("default"));
        push_text_patch(&mut query, "status_message", &patch.status_message, None);
        push_json_patch(&mut query, "metadata", &patch.metadata, "NULL");
        push_json_patch(&mut query, "tags", &patch.tags, "'[]'");
        query.push(" WHERE app_id = ").push_bind(app_id).push(" AND uid = ").push_bind(uid);
        if query.build().execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(None);
        }
        let user = fetch_user(&mut tx, app_id, uid).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn delete_user(&self, app_id: &str, uid: &str, now: i64) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        // Their 1:1 conversations close for both sides: the messages move under a retired key no one
        // takes part in, so a user made later with this uid starts with none of them.
        let direct_keys = "SELECT conversation_key FROM direct_conversations WHERE app_id = ?1 AND uid = ?2";
        for statement in [
            format!("DELETE FROM conversations WHERE app_id = ?1 AND conversation_key IN ({direct_keys})"),
            format!("DELETE FROM read_marks WHERE app_id = ?1 AND conversation_key IN ({direct_keys})"),
            "UPDATE messages SET conversation_key = 'x:' || ?3 || ':' || conversation_key \
             WHERE app_id = ?1 AND receiver_type = 'user' AND (sender = ?2 OR receiver = ?2)"
                .to_owned(),
            "DELETE FROM direct_conversations WHERE app_id = ?1 AND (uid = ?2 OR with_uid = ?2)".to_owned(),
            // What they wrote anywhere becomes a tombstone: the conversation keeps its shape.
            format!(
                "UPDATE messages SET data = '{}', deleted_at = ?3, deleted_by = '{APP_SENDER_UID}', updated_at = ?3 \
                 WHERE app_id = ?1 AND sender = ?2 AND deleted_at IS NULL AND category != 'action'",
                json_text(&MessageData::default())
            ),
            "DELETE FROM membership_periods WHERE app_id = ?1 AND uid = ?2".to_owned(),
        ] {
            sqlx::query(&statement).bind(app_id).bind(uid).bind(now).execute(&mut *tx).await?;
        }
        let deleted = sqlx::query("DELETE FROM users WHERE app_id = ? AND uid = ?")
            .bind(app_id)
            .bind(uid)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Ok(false);
        }
        for statement in [
            "DELETE FROM read_marks WHERE app_id = ?1 AND uid = ?2",
            "DELETE FROM blocks WHERE app_id = ?1 AND (blocker = ?2 OR blocked = ?2)",
            "DELETE FROM friends WHERE app_id = ?1 AND (uid = ?2 OR friend = ?2)",
        ] {
            sqlx::query(statement).bind(app_id).bind(uid).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.membership_changed();
        self.messages_committed();
        Ok(true)
    }

    async fn list_users(&self, app_id: &str, filter: &UserFilter, page: PageRequest) -> StoreResult<(Vec<User>, u64)> {
        let build = |select: &str| {
            let mut query = QueryBuilder::<Sqlite>::new(format!("SELECT {select} FROM users u WHERE u.app_id = "));
            query.push_bind(app_id.to_owned());
            if !filter.with_deactivated {
                query.push(" AND u.deactivated_at IS NULL");
            }
            if let Some(search) = &filter.search {
                let pattern = like_pattern(search);
                query.push(" AND (u.uid LIKE ").push_bind(pattern.clone()).push(" ESCAPE '\\'");
                query.push(" OR lower(u.name) LIKE ").push_bind(pattern).push(" ESCAPE '\\')");
            }
            if let Some(role) = &filter.role {
                query.push(" AND u.role = ").push_bind(role.clone());
            }
            if let Some(tag) = &filter.tag {
                query.push(" AND EXISTS (SELECT 1 FROM json_each(u.tags) WHERE value = ").push_bind(tag.clone()).push(")");
            }
            if let Some(only) = &filter.only {
                query.push(" AND u.uid IN (SELECT value FROM json_each(").push_bind(json_text(only)).push("))");
            }
            if !filter.except.is_empty() {
                query.push(" AND u.uid NOT IN (SELECT value FROM json_each(").push_bind(json_text(&filter.except)).push("))");
            }
            if let Some(viewer) = &filter.viewer {
                let me = viewer.uid.clone();
                query.push(" AND u.uid != ").push_bind(me.clone());
                query.push(" AND (u.role IN (SELECT value FROM json_each(").push_bind(json_text(&viewer.visible_roles)).push("))");
                query.push(" OR u.uid IN (SELECT with_uid FROM direct_conversations WHERE app_id = ").push_bind(app_id.to_owned());
                query.push(" AND uid = ").push_bind(me.clone()).push(")");
                query.push(" OR u.uid IN (SELECT friend FROM friends WHERE app_id = ").push_bind(app_id.to_owned());
                query.push(" AND uid = ").push_bind(me).push("))");
                if viewer.is_guest {
                    query.push(" AND u.origin != 'guest'");
                }
            }
            query
        };
        let total: i64 = build("COUNT(*)").build_query_scalar().fetch_one(&self.pool).await?;
        let mut query = build(USER_COLUMNS);
        query.push(" ORDER BY u.name COLLATE NOCASE, u.uid LIMIT ").push_bind(i64::from(page.per_page));
        query.push(" OFFSET ").push_bind(page.offset());
        let rows = query.build().fetch_all(&self.pool).await?;
        let users = rows.iter().map(rows::user).collect::<StoreResult<Vec<_>>>()?;
        Ok((users, total as u64))
    }

    async fn set_deactivated(&self, app_id: &str, uids: &[String], at: Option<i64>) -> StoreResult<Vec<String>> {
        let mut tx = self.begin_write().await?;
        let mut found = Vec::new();
        for uid in uids {
            let changed = sqlx::query("UPDATE users SET deactivated_at = ?, updated_at = COALESCE(?, updated_at) WHERE app_id = ? AND uid = ?")
                .bind(at)
                .bind(at)
                .bind(app_id)
                .bind(uid)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 1 {
                found.push(uid.clone());
            }
        }
        tx.commit().await?;
        Ok(found)
    }

    async fn presence_audience(&self, app_id: &str, uid: &str) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT with_uid FROM direct_conversations WHERE app_id = ?1 AND uid = ?2 \
             UNION SELECT friend FROM friends WHERE app_id = ?1 AND uid = ?2 \
             EXCEPT SELECT blocker FROM blocks WHERE app_id = ?1 AND blocked = ?2 \
             EXCEPT SELECT blocked FROM blocks WHERE app_id = ?1 AND blocker = ?2",
        )
        .bind(app_id)
        .bind(uid)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn touch_last_active(&self, app_id: &str, uid: &str, at: i64) -> StoreResult<()> {
        sqlx::query("UPDATE users SET last_active_at = ? WHERE app_id = ? AND uid = ?")
            .bind(at)
            .bind(app_id)
            .bind(uid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_token_in_variant(
        &self,
        app_id: &str,
        uid: &str,
        hash: &[u8],
        created_at: i64,
        lifetime: TokenLifetime,
        variant_id: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO auth_tokens (token_hash, app_id, uid, created_at, expires_at, idle_secs, last_used_at, variant_id) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(hash)
        .bind(app_id)
        .bind(uid)
        .bind(created_at)
        .bind(lifetime.expires_at)
        .bind(lifetime.idle_secs)
        .bind(created_at)
        .bind(variant_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn tokens(&self, app_id: &str, uid: &str, now: i64) -> StoreResult<Vec<TokenRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT token_hash, created_at, expires_at, idle_secs FROM auth_tokens t \
             WHERE app_id = ?1 AND uid = ?2 AND {} ORDER BY created_at, rowid",
            token_works(3)
        ))
        .bind(app_id)
        .bind(uid)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| TokenRecord {
                hash: r.get(0),
                created_at: r.get(1),
                lifetime: TokenLifetime { expires_at: r.get(2), idle_secs: r.get(3) },
            })
            .collect())
    }

    async fn token_owner(&self, hash: &[u8], now: i64) -> StoreResult<Option<TokenOwner>> {
        let row = sqlx::query(&format!(
            "SELECT t.app_id, t.uid, u.deactivated_at IS NOT NULL, t.last_used_at, t.variant_id FROM auth_tokens t \
             JOIN users u ON u.app_id = t.app_id AND u.uid = t.uid WHERE t.token_hash = ?1 AND {}",
            token_works(2)
        ))
        .bind(hash)
        .bind(now)
        .fetch_optional(&self.priority)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let last_used: Option<i64> = row.get(3);
        if last_used.is_none_or(|at| at + TOKEN_USE_RECORDED_EVERY_SECS <= now) {
            sqlx::query("UPDATE auth_tokens SET last_used_at = ? WHERE token_hash = ?").bind(now).bind(hash).execute(&self.priority).await?;
        }
        Ok(Some(TokenOwner { app_id: row.get(0), uid: row.get(1), deactivated: row.get(2), variant_id: row.get(4) }))
    }

    async fn delete_expired_tokens(&self, now: i64) -> StoreResult<Vec<ExpiredToken>> {
        let rows = sqlx::query(&format!("DELETE FROM auth_tokens AS t WHERE NOT ({}) RETURNING app_id, uid, token_hash", token_works(1)))
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| ExpiredToken { app_id: r.get(0), uid: r.get(1), hash: r.get(2) }).collect())
    }

    async fn delete_tokens(&self, app_id: &str, uid: &str, hash_prefix: Option<&[u8]>) -> StoreResult<u64> {
        let done = match hash_prefix {
            None => {
                sqlx::query("DELETE FROM auth_tokens WHERE app_id = ? AND uid = ?")
                    .bind(app_id)
                    .bind(uid)
                    .execute(&self.pool)
                    .await?
            }
            Some(prefix) => {
                sqlx::query("DELETE FROM auth_tokens WHERE app_id = ? AND uid = ? AND substr(token_hash, 1, ?) = ?")
                    .bind(app_id)
                    .bind(uid)
                    .bind(prefix.len() as i64)
                    .bind(prefix)
                    .execute(&self.pool)
                    .await?
            }
        };
        Ok(done.rows_affected())
    }
}
