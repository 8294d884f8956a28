//! [`UserStore`] on PostgreSQL.

use async_trait::async_trait;
use confab_protocol::rest::users::User;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

use super::rows::{self, json_text, push_json_patch, push_tags_patch, push_text_patch, USER_COLUMNS};
use super::{announce, is_unique_violation, like_pattern, lock_message_log, Changes, PostgresStore};
use crate::store::{
    ExpiredToken, NewUser, PageRequest, StoreError, StoreResult, TokenLifetime, TokenOwner, TokenRecord, UserFilter,
    UserOrigin, UserPatch, UserStore,
};
use confab_protocol::ids::APP_SENDER_UID;
use confab_protocol::rest::messages::MessageData;

/// The condition that token row `t` still works at the time bound as parameter `$n`.
fn token_works(n: usize) -> String {
    format!(
        "(t.expires_at IS NULL OR t.expires_at > ${n}) AND \
         (t.idle_secs IS NULL OR COALESCE(t.last_used_at, t.created_at) + t.idle_secs > ${n})"
    )
}
/// A token's use is written down at most this often: enough for idle limits counted in days.
const TOKEN_USE_RECORDED_EVERY_SECS: i64 = 3600;

async fn insert_user(conn: &mut PgConnection, app_id: &str, user: &NewUser, or_ignore: bool) -> Result<u64, sqlx::Error> {
    let on_conflict = if or_ignore { " ON CONFLICT DO NOTHING" } else { "" };
    let done = sqlx::query(&format!(
        "INSERT INTO users (app_id, uid, name, avatar, link, role, status_message, metadata, tags, created_at, origin) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11){on_conflict}"
    ))
    .bind(app_id)
    .bind(&user.uid)
    .bind(&user.name)
    .bind(&user.avatar)
    .bind(&user.link)
    .bind(&user.role)
    .bind(&user.status_message)
    .bind(user.metadata.as_ref().map(json_text))
    .bind(&user.tags)
    .bind(user.created_at)
    .bind(user.origin.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

async fn fetch_user(conn: &mut PgConnection, app_id: &str, uid: &str) -> StoreResult<Option<User>> {
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.app_id = $1 AND u.uid = $2"))
        .bind(app_id)
        .bind(uid)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(rows::user).transpose()
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn create_user(&self, app_id: &str, user: &NewUser, token_hash: Option<&[u8]>) -> StoreResult<User> {
        let mut tx = self.pool.begin().await?;
        insert_user(&mut tx, app_id, user, false).await.map_err(|e| match is_unique_violation(&e) {
            true => StoreError::Conflict(format!("user {}", user.uid)),
            false => e.into(),
        })?;
        if let Some(hash) = token_hash {
            sqlx::query("INSERT INTO auth_tokens (token_hash, app_id, uid, created_at) VALUES ($1, $2, $3, $4)")
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
        let origin: Option<String> = sqlx::query_scalar("SELECT origin FROM users WHERE app_id = $1 AND uid = $2")
            .bind(app_id)
            .bind(uid)
            .fetch_optional(&self.pool)
            .await?;
        origin.map(|o| UserOrigin::parse(&o).ok_or_else(|| StoreError::Corrupt(format!("user origin {o}")))).transpose()
    }

    async fn user_or_create(&self, app_id: &str, user: &NewUser) -> StoreResult<(User, bool)> {
        let mut tx = self.pool.begin().await?;
        // A concurrent insert of the same uid makes this one wait for it, then do nothing; the read that
        // follows (a statement of its own, so a fresh snapshot) sees the row either way.
        let created = insert_user(&mut tx, app_id, user, true).await? == 1;
        let stored = fetch_user(&mut tx, app_id, &user.uid).await?.ok_or(StoreError::Closed)?;
        tx.commit().await?;
        Ok((stored, created))
    }

    async fn update_user(&self, app_id: &str, uid: &str, patch: &UserPatch, now: i64) -> StoreResult<Option<User>> {
        let mut tx = self.pool.begin().await?;
        let mut query = QueryBuilder::<Postgres>::new("UPDATE users SET updated_at = ");
        query.push_bind(now);
        if let Some(name) = &patch.name {
            query.push(", name = ").push_bind(name.as_str());
        }
        push_text_patch(&mut query, "avatar", &patch.avatar, None);
        push_text_patch(&mut query, "link", &patch.link, None);
        push_text_patch(&mut query, "role", &patch.role, Some("default"));
        push_text_patch(&mut query, "status_message", &patch.status_message, None);
        push_json_patch(&mut query, "metadata", &patch.metadata);
        push_tags_patch(&mut query, "tags", &patch.tags);
        query.push(" WHERE app_id = ").push_bind(app_id).push(" AND uid = ").push_bind(uid);
        if query.build().execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(None);
        }
        let user = fetch_user(&mut tx, app_id, uid).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn delete_user(&self, app_id: &str, uid: &str, now: i64) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        // Ordered with sends (module docs): no message to or from them can commit under a key this closes.
        lock_message_log(&mut tx).await?;
        // Their 1:1 conversations close for both sides: the messages move under a retired key no one
        // takes part in, so a user made later with this uid starts with none of them. Every 1:1 message
        // of theirs is in a conversation listed in `direct_conversations` (stored with it), so the keys
        // find them by index.
        let direct_keys = "SELECT conversation_key FROM direct_conversations WHERE app_id = $1 AND uid = $2";
        for statement in [
            format!("DELETE FROM conversations WHERE app_id = $1 AND conversation_key IN ({direct_keys})"),
            format!("DELETE FROM read_marks WHERE app_id = $1 AND conversation_key IN ({direct_keys})"),
        ] {
            sqlx::query(&statement).bind(app_id).bind(uid).execute(&mut *tx).await?;
        }
        sqlx::query(&format!(
            "UPDATE messages SET conversation_key = 'x:' || $3::text || ':' || conversation_key \
             WHERE app_id = $1 AND conversation_key IN ({direct_keys}) AND receiver_type = 'user' \
             AND (sender = $2 OR receiver = $2)"
        ))
        .bind(app_id)
        .bind(uid)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM direct_conversations WHERE app_id = $1 AND (uid = $2 OR with_uid = $2)")
            .bind(app_id)
            .bind(uid)
            .execute(&mut *tx)
            .await?;
        // What they wrote anywhere becomes a tombstone: the conversation keeps its shape.
        sqlx::query(
            "UPDATE messages SET data = $3, deleted_at = $4, deleted_by = $5, updated_at = $4 \
             WHERE app_id = $1 AND sender = $2 AND deleted_at IS NULL AND category != 'action'",
        )
        .bind(app_id)
        .bind(uid)
        .bind(json_text(&MessageData::default()))
        .bind(now)
        .bind(APP_SENDER_UID)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM membership_periods WHERE app_id = $1 AND uid = $2").bind(app_id).bind(uid).execute(&mut *tx).await?;
        let deleted = sqlx::query("DELETE FROM users WHERE app_id = $1 AND uid = $2")
            .bind(app_id)
            .bind(uid)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Ok(false);
        }
        for statement in [
            "DELETE FROM read_marks WHERE app_id = $1 AND uid = $2",
            "DELETE FROM blocks WHERE app_id = $1 AND (blocker = $2 OR blocked = $2)",
            "DELETE FROM friends WHERE app_id = $1 AND (uid = $2 OR friend = $2)",
        ] {
            sqlx::query(statement).bind(app_id).bind(uid).execute(&mut *tx).await?;
        }
        let changes = Changes::MESSAGES.and(Changes::MEMBERSHIP);
        announce(&mut tx, changes).await?;
        tx.commit().await?;
        self.committed(changes);
        Ok(true)
    }

    async fn list_users(&self, app_id: &str, filter: &UserFilter, page: PageRequest) -> StoreResult<(Vec<User>, u64)> {
        let build = |select: &str| {
            let mut query = QueryBuilder::<Postgres>::new(format!("SELECT {select} FROM users u WHERE u.app_id = "));
            query.push_bind(app_id.to_owned());
            if !filter.with_deactivated {
                query.push(" AND u.deactivated_at IS NULL");
            }
            if let Some(search) = &filter.search {
                // Text columns collate as "C": lower() folds ASCII only, as SQLite's does.
                let pattern = like_pattern(search);
                query.push(" AND (u.uid LIKE ").push_bind(pattern.clone()).push(" ESCAPE '\\'");
                query.push(" OR lower(u.name) LIKE ").push_bind(pattern).push(" ESCAPE '\\')");
            }
            if let Some(role) = &filter.role {
                query.push(" AND u.role = ").push_bind(role.clone());
            }
            if let Some(tag) = &filter.tag {
                query.push(" AND ").push_bind(tag.clone()).push(" = ANY(u.tags)");
            }
            if let Some(only) = &filter.only {
                query.push(" AND u.uid = ANY(").push_bind(only.clone()).push(")");
            }
            if !filter.except.is_empty() {
                query.push(" AND u.uid <> ALL(").push_bind(filter.except.clone()).push(")");
            }
            if let Some(viewer) = &filter.viewer {
                let me = viewer.uid.clone();
                query.push(" AND u.uid != ").push_bind(me.clone());
                query.push(" AND (u.role = ANY(").push_bind(viewer.visible_roles.clone()).push(")");
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
        // SQLite's `name COLLATE NOCASE`: ASCII case folded, then bytewise.
        query.push(" ORDER BY lower(u.name), u.uid LIMIT ").push_bind(i64::from(page.per_page));
        query.push(" OFFSET ").push_bind(page.offset());
        let rows = query.build().fetch_all(&self.pool).await?;
        let users = rows.iter().map(rows::user).collect::<StoreResult<Vec<_>>>()?;
        Ok((users, total as u64))
    }

    async fn set_deactivated(&self, app_id: &str, uids: &[String], at: Option<i64>) -> StoreResult<Vec<String>> {
        let mut tx = self.pool.begin().await?;
        // Ordered with sends (module docs): once this commits, no send of theirs checked before it can commit.
        lock_message_log(&mut tx).await?;
        let mut found = Vec::new();
        for uid in uids {
            let changed = sqlx::query(
                "UPDATE users SET deactivated_at = $1, updated_at = COALESCE($1, updated_at) WHERE app_id = $2 AND uid = $3",
            )
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
            "SELECT with_uid FROM direct_conversations WHERE app_id = $1 AND uid = $2 \
             UNION SELECT friend FROM friends WHERE app_id = $1 AND uid = $2 \
             EXCEPT SELECT blocker FROM blocks WHERE app_id = $1 AND blocked = $2 \
             EXCEPT SELECT blocked FROM blocks WHERE app_id = $1 AND blocker = $2",
        )
        .bind(app_id)
        .bind(uid)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn touch_last_active(&self, app_id: &str, uid: &str, at: i64) -> StoreResult<()> {
        sqlx::query("UPDATE users SET last_active_at = $1 WHERE app_id = $2 AND uid = $3")
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
             VALUES ($1, $2, $3, $4, $5, $6, $4, $7)",
        )
        .bind(hash)
        .bind(app_id)
        .bind(uid)
        .bind(created_at)
        .bind(lifetime.expires_at)
        .bind(lifetime.idle_secs)
        .bind(variant_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn tokens(&self, app_id: &str, uid: &str, now: i64) -> StoreResult<Vec<TokenRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT token_hash, created_at, expires_at, idle_secs FROM auth_tokens t \
             WHERE app_id = $1 AND uid = $2 AND {} ORDER BY created_at, seq",
            token_works(3)
        ))
        .bind(app_id)
        .bind(uid)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenRecord {
                    hash: r.try_get(0)?,
                    created_at: r.try_get(1)?,
                    lifetime: TokenLifetime { expires_at: r.try_get(2)?, idle_secs: r.try_get(3)? },
                })
            })
            .collect()
    }

    async fn token_owner(&self, hash: &[u8], now: i64) -> StoreResult<Option<TokenOwner>> {
        let row = sqlx::query(&format!(
            "SELECT t.app_id, t.uid, u.deactivated_at IS NOT NULL, t.last_used_at, t.variant_id FROM auth_tokens t \
             JOIN users u ON u.app_id = t.app_id AND u.uid = t.uid WHERE t.token_hash = $1 AND {}",
            token_works(2)
        ))
        .bind(hash)
        .bind(now)
        .fetch_optional(&self.priority)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let last_used: Option<i64> = row.try_get(3)?;
        if last_used.is_none_or(|at| at + TOKEN_USE_RECORDED_EVERY_SECS <= now) {
            sqlx::query("UPDATE auth_tokens SET last_used_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(hash)
                .execute(&self.priority)
                .await?;
        }
        Ok(Some(TokenOwner {
            app_id: row.try_get(0)?,
            uid: row.try_get(1)?,
            deactivated: row.try_get(2)?,
            variant_id: row.try_get(4)?,
        }))
    }

    async fn delete_expired_tokens(&self, now: i64) -> StoreResult<Vec<ExpiredToken>> {
        let rows = sqlx::query(&format!("DELETE FROM auth_tokens AS t WHERE NOT ({}) RETURNING app_id, uid, token_hash", token_works(1)))
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(ExpiredToken { app_id: r.try_get(0)?, uid: r.try_get(1)?, hash: r.try_get(2)? })).collect()
    }

    async fn delete_tokens(&self, app_id: &str, uid: &str, hash_prefix: Option<&[u8]>) -> StoreResult<u64> {
        let done = match hash_prefix {
            None => sqlx::query("DELETE FROM auth_tokens WHERE app_id = $1 AND uid = $2").bind(app_id).bind(uid).execute(&self.pool).await?,
            Some(prefix) => {
                sqlx::query("DELETE FROM auth_tokens WHERE app_id = $1 AND uid = $2 AND substr(token_hash, 1, $3) = $4")
                    .bind(app_id)
                    .bind(uid)
                    .bind(i32::try_from(prefix.len()).unwrap_or(i32::MAX))
                    .bind(prefix)
                    .execute(&self.pool)
                    .await?
            }
        };
        Ok(done.rows_affected())
    }
}
