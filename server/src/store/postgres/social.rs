//! [`SocialStore`] on PostgreSQL.

use async_trait::async_trait;
use confab_protocol::rest::users::User;

use super::rows::{self, USER_COLUMNS};
use super::{lock_message_log, PostgresStore};
use crate::store::{PageRequest, SocialStore, StoreResult};

impl PostgresStore {
    /// Users joined through `table` (`blocks` or `friends`) from `owner`, a page and the total.
    async fn related_users(
        &self,
        app_id: &str,
        table: &str,
        owner_col: &str,
        other_col: &str,
        owner: &str,
        page: PageRequest,
    ) -> StoreResult<(Vec<User>, u64)> {
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE app_id = $1 AND {owner_col} = $2"))
            .bind(app_id)
            .bind(owner)
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM {table} r JOIN users u ON u.app_id = r.app_id AND u.uid = r.{other_col} \
             WHERE r.app_id = $1 AND r.{owner_col} = $2 ORDER BY lower(u.name), u.uid LIMIT $3 OFFSET $4"
        ))
        .bind(app_id)
        .bind(owner)
        .bind(i64::from(page.per_page))
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await?;
        let users = rows.iter().map(rows::user).collect::<StoreResult<Vec<_>>>()?;
        Ok((users, total as u64))
    }
}

#[async_trait]
impl SocialStore for PostgresStore {
    async fn block(&self, app_id: &str, blocker: &str, uids: &[String], now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        // Ordered with sends (module docs): once this commits, no message between them checked before it
        // can commit.
        lock_message_log(&mut tx).await?;
        for uid in uids {
            sqlx::query("INSERT INTO blocks (app_id, blocker, blocked, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                .bind(app_id)
                .bind(blocker)
                .bind(uid)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn unblock(&self, app_id: &str, blocker: &str, uids: &[String]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for uid in uids {
            sqlx::query("DELETE FROM blocks WHERE app_id = $1 AND blocker = $2 AND blocked = $3")
                .bind(app_id)
                .bind(blocker)
                .bind(uid)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn blocked(&self, app_id: &str, blocker: &str, page: PageRequest) -> StoreResult<(Vec<User>, u64)> {
        self.related_users(app_id, "blocks", "blocker", "blocked", blocker, page).await
    }

    async fn has_blocked(&self, app_id: &str, blocker: &str, blocked: &str) -> StoreResult<bool> {
        Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM blocks WHERE app_id = $1 AND blocker = $2 AND blocked = $3)")
            .bind(app_id)
            .bind(blocker)
            .bind(blocked)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn blocked_either_way(&self, app_id: &str, a: &str, b: &str) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM blocks WHERE app_id = $1 \
             AND ((blocker = $2 AND blocked = $3) OR (blocker = $3 AND blocked = $2)))",
        )
        .bind(app_id)
        .bind(a)
        .bind(b)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn add_friends(&self, app_id: &str, uid: &str, friends: &[String], now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for friend in friends {
            sqlx::query(
                "INSERT INTO friends (app_id, uid, friend, created_at) VALUES ($1, $2, $3, $4), ($1, $3, $2, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(app_id)
            .bind(uid)
            .bind(friend)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn remove_friends(&self, app_id: &str, uid: &str, friends: &[String]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for friend in friends {
            sqlx::query("DELETE FROM friends WHERE app_id = $1 AND ((uid = $2 AND friend = $3) OR (uid = $3 AND friend = $2))")
                .bind(app_id)
                .bind(uid)
                .bind(friend)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn friends(&self, app_id: &str, uid: &str, page: PageRequest) -> StoreResult<(Vec<User>, u64)> {
        self.related_users(app_id, "friends", "uid", "friend", uid, page).await
    }
}
