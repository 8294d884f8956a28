//! [`HookStore`] on PostgreSQL. Deliveries of messages and receipt marks are queued by
//! [`crate::hooks::routing`] inside the transaction that stores the event (see `messages`); this module
//! manages bots and webhooks and moves deliveries through their attempts.
//!
//! # Many nodes
//!
//! Every node's dispatcher claims due deliveries at once. A claim locks the due rows it takes with
//! `FOR UPDATE SKIP LOCKED` (rows another node is claiming at that moment are skipped, not waited for) and
//! leases them to the claiming node: `lease_until`, and `next_attempt_at` moved to the lease's end. A
//! leased row is not due until its lease ends, so two nodes never claim one delivery while its lease
//! runs; the node records the attempt (which ends the lease) well within it. A node killed mid-call
//! leaves its lease, which simply ends: the delivery is due again and any node claims it (deliveries are
//! at least once; receivers drop repeats by delivery id). Because the lease's end is the row's
//! `next_attempt_at`, [`HookStore::next_delivery_at`] covers it and an idle dispatcher wakes when a lease
//! ends.
//!
//! [`HookStore::release_deliveries`] is called by a node as it starts. On SQLite it means "every call in
//! flight died with me"; here other nodes' calls are in flight too, so it releases only leases that have
//! already ended (their node is gone or gave up), never a live node's.

use async_trait::async_trait;
use confab_protocol::rest::bots::GroupChatSetting;
use confab_protocol::rest::webhooks::{DeliveryState, TargetType, WebhookTrigger};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use std::sync::Arc;
use tokio::sync::Notify;

use super::rows::json_value;
use super::{announce, is_unique_violation, Changes, PostgresStore};
use crate::store::{
    Attempt, BasicAuth, BotChange, BotRecord, DeliveryFilter, DeliveryRecord, HookStore, PageRequest, StoreError,
    StoreResult, WebhookChange, WebhookRecord,
};

const BOT_COLUMNS: &str =
    "uid, webhook_url, enabled, group_chat_setting, basic_auth_user, basic_auth_password, signing_secret, created_at, updated_at";
const WEBHOOK_COLUMNS: &str =
    "id, name, url, enabled, basic_auth_user, basic_auth_password, signing_secret, created_at, updated_at";
const DELIVERY_COLUMNS: &str = "id, app_id, target_type, target, trigger, message_id, subject, conversation_id, detail, \
     state, attempts, next_attempt_at, last_error, last_status, created_at, finished_at";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: {value}"))
}

fn basic_auth(row: &PgRow) -> StoreResult<Option<BasicAuth>> {
    let username: Option<String> = row.try_get("basic_auth_user")?;
    let password: Option<String> = row.try_get("basic_auth_password")?;
    Ok(username.map(|username| BasicAuth { username, password: password.unwrap_or_default() }))
}

fn bot(row: &PgRow) -> StoreResult<BotRecord> {
    let setting: String = row.try_get("group_chat_setting")?;
    Ok(BotRecord {
        uid: row.try_get("uid")?,
        webhook_url: row.try_get("webhook_url")?,
        enabled: row.try_get("enabled")?,
        group_chat_setting: GroupChatSetting::parse(&setting).ok_or_else(|| corrupt("group chat setting", &setting))?,
        basic_auth: basic_auth(row)?,
        signing_secret: row.try_get("signing_secret")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn webhook(row: &PgRow, triggers: Vec<WebhookTrigger>) -> StoreResult<WebhookRecord> {
    Ok(WebhookRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        enabled: row.try_get("enabled")?,
        triggers,
        basic_auth: basic_auth(row)?,
        signing_secret: row.try_get("signing_secret")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn delivery(row: &PgRow) -> StoreResult<DeliveryRecord> {
    let target_type: String = row.try_get("target_type")?;
    let state: String = row.try_get("state")?;
    let status: Option<i64> = row.try_get("last_status")?;
    let attempts: i64 = row.try_get("attempts")?;
    Ok(DeliveryRecord {
        id: row.try_get("id")?,
        app_id: row.try_get("app_id")?,
        target_type: TargetType::parse(&target_type).ok_or_else(|| corrupt("delivery target type", &target_type))?,
        target: row.try_get("target")?,
        trigger: row.try_get("trigger")?,
        message_id: row.try_get("message_id")?,
        subject: row.try_get("subject")?,
        // Receipts are queued with the conversation's wire id; a storage key is named by its wire id too.
        conversation_id: row.try_get::<Option<String>, _>("conversation_id")?.map(|c| {
            confab_protocol::ids::ConversationKey::from_storage(&c).map_or(c, |key| key.wire_id())
        }),
        detail: json_value(row.try_get("detail")?)?,
        state: DeliveryState::parse(&state).ok_or_else(|| corrupt("delivery state", &state))?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        last_status: status.and_then(|s| u16::try_from(s).ok()),
        created_at: row.try_get("created_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

/// The basic-auth columns' values for `auth`.
fn auth_columns(auth: Option<&BasicAuth>) -> (Option<&str>, Option<&str>) {
    match auth {
        Some(a) => (Some(a.username.as_str()), Some(a.password.as_str())),
        None => (None, None),
    }
}

async fn triggers_of(conn: &mut PgConnection, app_id: &str, id: &str) -> StoreResult<Vec<WebhookTrigger>> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT trigger FROM webhook_triggers WHERE app_id = $1 AND webhook_id = $2 ORDER BY trigger")
            .bind(app_id)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    names.iter().map(|n| WebhookTrigger::parse(n).ok_or_else(|| corrupt("webhook trigger", n))).collect()
}

async fn add_triggers(conn: &mut PgConnection, app_id: &str, id: &str, triggers: &[WebhookTrigger]) -> StoreResult<()> {
    for trigger in triggers {
        sqlx::query("INSERT INTO webhook_triggers (app_id, trigger, webhook_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(app_id)
            .bind(trigger.as_str())
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The webhook `id`; with `lock`, its row stays locked to the end of the transaction (read, change, write).
async fn webhook_in(conn: &mut PgConnection, app_id: &str, id: &str, lock: bool) -> StoreResult<Option<WebhookRecord>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let Some(row) = sqlx::query(&format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE app_id = $1 AND id = $2{lock}"))
        .bind(app_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let triggers = triggers_of(conn, app_id, id).await?;
    Ok(Some(webhook(&row, triggers)?))
}

#[async_trait]
impl HookStore for PostgresStore {
    fn delivery_signal(&self) -> Arc<Notify> {
        self.signals.deliveries.clone()
    }

    async fn create_bot(&self, app_id: &str, bot: &BotRecord) -> StoreResult<()> {
        let (user, password) = auth_columns(bot.basic_auth.as_ref());
        sqlx::query(
            "INSERT INTO bots (app_id, uid, webhook_url, enabled, group_chat_setting, basic_auth_user, basic_auth_password, \
             signing_secret, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(app_id)
        .bind(&bot.uid)
        .bind(&bot.webhook_url)
        .bind(bot.enabled)
        .bind(bot.group_chat_setting.as_str())
        .bind(user)
        .bind(password)
        .bind(&bot.signing_secret)
        .bind(bot.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => StoreError::Conflict(format!("bot {}", bot.uid)),
            false => e.into(),
        })?;
        Ok(())
    }

    async fn bot(&self, app_id: &str, uid: &str) -> StoreResult<Option<BotRecord>> {
        let row = sqlx::query(&format!("SELECT {BOT_COLUMNS} FROM bots WHERE app_id = $1 AND uid = $2"))
            .bind(app_id)
            .bind(uid)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(bot).transpose()
    }

    async fn bots(&self, app_id: &str, page: PageRequest) -> StoreResult<(Vec<BotRecord>, u64)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bots WHERE app_id = $1").bind(app_id).fetch_one(&self.pool).await?;
        let rows = sqlx::query(&format!("SELECT {BOT_COLUMNS} FROM bots WHERE app_id = $1 ORDER BY uid LIMIT $2 OFFSET $3"))
            .bind(app_id)
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await?;
        Ok((rows.iter().map(bot).collect::<StoreResult<_>>()?, total as u64))
    }

    async fn update_bot(&self, app_id: &str, uid: &str, change: &BotChange, now: i64) -> StoreResult<Option<BotRecord>> {
        let mut tx = self.pool.begin().await?;
        // Locked to the commit: two changes at once apply one after the other, neither lost.
        let Some(row) = sqlx::query(&format!("SELECT {BOT_COLUMNS} FROM bots WHERE app_id = $1 AND uid = $2 FOR UPDATE"))
            .bind(app_id)
            .bind(uid)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let mut current = bot(&row)?;
        if let Some(url) = &change.webhook_url {
            current.webhook_url = url.clone();
        }
        if let Some(enabled) = change.enabled {
            current.enabled = enabled;
        }
        if let Some(setting) = change.group_chat_setting {
            current.group_chat_setting = setting;
        }
        change.basic_auth.apply(&mut current.basic_auth);
        current.updated_at = Some(now);
        let (user, password) = auth_columns(current.basic_auth.as_ref());
        sqlx::query(
            "UPDATE bots SET webhook_url = $1, enabled = $2, group_chat_setting = $3, basic_auth_user = $4, \
             basic_auth_password = $5, updated_at = $6 WHERE app_id = $7 AND uid = $8",
        )
        .bind(&current.webhook_url)
        .bind(current.enabled)
        .bind(current.group_chat_setting.as_str())
        .bind(user)
        .bind(password)
        .bind(now)
        .bind(app_id)
        .bind(uid)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(current))
    }

    async fn delete_bot(&self, app_id: &str, uid: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM bots WHERE app_id = $1 AND uid = $2").bind(app_id).bind(uid).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn create_webhook(&self, app_id: &str, hook: &WebhookRecord, max: usize) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        // Serialises the app's webhook creations, so the count below cannot be passed by two at once (NO KEY:
        // rows referring to the app may still be written meanwhile).
        sqlx::query("SELECT 1 FROM apps WHERE app_id = $1 FOR NO KEY UPDATE").bind(app_id).execute(&mut *tx).await?;
        let taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM webhooks WHERE app_id = $1 AND id = $2)")
            .bind(app_id)
            .bind(&hook.id)
            .fetch_one(&mut *tx)
            .await?;
        if taken {
            return Err(StoreError::Conflict(format!("webhook {}", hook.id)));
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE app_id = $1").bind(app_id).fetch_one(&mut *tx).await?;
        if count as usize >= max {
            return Ok(false);
        }
        let (user, password) = auth_columns(hook.basic_auth.as_ref());
        sqlx::query(
            "INSERT INTO webhooks (app_id, id, name, url, enabled, basic_auth_user, basic_auth_password, signing_secret, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(app_id)
        .bind(&hook.id)
        .bind(&hook.name)
        .bind(&hook.url)
        .bind(hook.enabled)
        .bind(user)
        .bind(password)
        .bind(&hook.signing_secret)
        .bind(hook.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => StoreError::Conflict(format!("webhook {}", hook.id)),
            false => e.into(),
        })?;
        add_triggers(&mut tx, app_id, &hook.id, &hook.triggers).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn webhook(&self, app_id: &str, id: &str) -> StoreResult<Option<WebhookRecord>> {
        let mut tx = self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
        let found = webhook_in(&mut tx, app_id, id, false).await?;
        tx.commit().await?;
        Ok(found)
    }

    async fn webhooks(&self, app_id: &str) -> StoreResult<Vec<WebhookRecord>> {
        let mut tx = self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM webhooks WHERE app_id = $1 ORDER BY id").bind(app_id).fetch_all(&mut *tx).await?;
        let mut hooks = Vec::with_capacity(ids.len());
        for id in ids {
            hooks.extend(webhook_in(&mut tx, app_id, &id, false).await?);
        }
        tx.commit().await?;
        Ok(hooks)
    }

    async fn update_webhook(&self, app_id: &str, id: &str, change: &WebhookChange, now: i64) -> StoreResult<Option<WebhookRecord>> {
        let mut tx = self.pool.begin().await?;
        let Some(mut current) = webhook_in(&mut tx, app_id, id, true).await? else {
            return Ok(None);
        };
        if let Some(name) = &change.name {
            current.name = name.clone();
        }
        if let Some(url) = &change.url {
            current.url = url.clone();
        }
        if let Some(enabled) = change.enabled {
            current.enabled = enabled;
        }
        change.basic_auth.apply(&mut current.basic_auth);
        let (user, password) = auth_columns(current.basic_auth.as_ref());
        sqlx::query(
            "UPDATE webhooks SET name = $1, url = $2, enabled = $3, basic_auth_user = $4, basic_auth_password = $5, \
             updated_at = $6 WHERE app_id = $7 AND id = $8",
        )
        .bind(&current.name)
        .bind(&current.url)
        .bind(current.enabled)
        .bind(user)
        .bind(password)
        .bind(now)
        .bind(app_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if let Some(triggers) = &change.triggers {
            sqlx::query("DELETE FROM webhook_triggers WHERE app_id = $1 AND webhook_id = $2").bind(app_id).bind(id).execute(&mut *tx).await?;
            add_triggers(&mut tx, app_id, id, triggers).await?;
        }
        add_triggers(&mut tx, app_id, id, &change.add_triggers).await?;
        for trigger in &change.remove_triggers {
            sqlx::query("DELETE FROM webhook_triggers WHERE app_id = $1 AND webhook_id = $2 AND trigger = $3")
                .bind(app_id)
                .bind(id)
                .bind(trigger.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let updated = webhook_in(&mut tx, app_id, id, false).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn delete_webhook(&self, app_id: &str, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM webhooks WHERE app_id = $1 AND id = $2").bind(app_id).bind(id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn queue_presence(&self, app_id: &str, uid: &str, detail: &Value, now_ms: i64) -> StoreResult<()> {
        // A read first: most apps have no such webhook.
        let wanted: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM webhook_triggers WHERE app_id = $1 AND trigger = $2)")
            .bind(app_id)
            .bind(WebhookTrigger::UserConnectionStatusChanged.as_str())
            .fetch_one(&self.pool)
            .await?;
        if !wanted {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO deliveries (app_id, target_type, target, trigger, subject, detail, next_attempt_at, created_at) \
             SELECT t.app_id, 'webhook', t.webhook_id, t.trigger, $1, $2, $3, $3 FROM webhook_triggers t \
             JOIN webhooks w ON w.app_id = t.app_id AND w.id = t.webhook_id AND w.enabled \
             WHERE t.app_id = $4 AND t.trigger = $5",
        )
        .bind(uid)
        .bind(detail.to_string())
        .bind(now_ms)
        .bind(app_id)
        .bind(WebhookTrigger::UserConnectionStatusChanged.as_str())
        .execute(&mut *tx)
        .await?;
        let changes = Changes { deliveries: done.rows_affected() > 0, ..Changes::default() };
        announce(&mut tx, changes).await?;
        tx.commit().await?;
        self.committed(changes);
        Ok(())
    }

    async fn claim_deliveries(&self, now_ms: i64, lease_until: i64, limit: u32) -> StoreResult<Vec<DeliveryRecord>> {
        // Due and not leased (a leased row's next attempt is its lease's end, so the first condition holds
        // the second too; both are spelled out). SKIP LOCKED: rows another node is claiming right now are
        // left to it; one it claimed just before is re-checked on its new version and no longer due.
        let rows = sqlx::query(&format!(
            "WITH due AS ( \
               SELECT id FROM deliveries \
               WHERE state = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2) \
               ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE deliveries SET lease_until = $1, next_attempt_at = $1 WHERE id IN (SELECT id FROM due) \
             RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(lease_until)
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = rows.iter().map(delivery).collect::<StoreResult<Vec<_>>>()?;
        claimed.sort_by_key(|d| d.id);
        Ok(claimed)
    }

    async fn next_delivery_at(&self) -> StoreResult<Option<i64>> {
        // A leased delivery's next attempt is its lease's end: counted here, so a dispatcher wakes when a
        // lease of a node that died ends.
        Ok(sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending'").fetch_one(&self.pool).await?)
    }

    /// Only a pending delivery changes: a call that outlived its lease, while another node claimed and made
    /// the delivery, cannot set it back to pending (or failed) afterwards.
    async fn record_attempt(&self, id: i64, attempt: &Attempt, now_ms: i64) -> StoreResult<()> {
        match attempt {
            Attempt::Delivered => {
                sqlx::query(
                    "UPDATE deliveries SET state = 'delivered', lease_until = NULL, attempts = attempts + 1, last_error = NULL, \
                     finished_at = $1 WHERE id = $2 AND state = 'pending'",
                )
                .bind(now_ms)
                .bind(id)
                .execute(&self.pool)
                .await?;
            }
            Attempt::Failed { error, status, retry_at } => {
                let state = if retry_at.is_some() { DeliveryState::Pending } else { DeliveryState::Failed };
                sqlx::query(
                    "UPDATE deliveries SET state = $1, lease_until = NULL, attempts = attempts + 1, last_error = $2, \
                     last_status = $3, next_attempt_at = $4, finished_at = $5 WHERE id = $6 AND state = 'pending'",
                )
                .bind(state.as_str())
                .bind(error)
                .bind(status.map(i64::from))
                .bind(retry_at.unwrap_or(now_ms))
                .bind(retry_at.is_none().then_some(now_ms))
                .bind(id)
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }

    /// Releases only leases that ended by `now_ms` (see the module docs): a node starting up must not take
    /// the calls other live nodes are making.
    async fn release_deliveries(&self, now_ms: i64) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE deliveries SET lease_until = NULL, next_attempt_at = $1 \
             WHERE state = 'pending' AND lease_until IS NOT NULL AND lease_until <= $1",
        )
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn deliveries(&self, app_id: &str, filter: &DeliveryFilter, page: PageRequest) -> StoreResult<(Vec<DeliveryRecord>, u64)> {
        let build = |select: &str| {
            let mut query = QueryBuilder::<Postgres>::new(format!("SELECT {select} FROM deliveries WHERE app_id = "));
            query.push_bind(app_id.to_owned()).push(" AND state = ").push_bind(filter.state.as_str());
            if let Some(target) = &filter.target {
                query.push(" AND target = ").push_bind(target.clone());
            }
            query
        };
        let total: i64 = build("COUNT(*)").build_query_scalar().fetch_one(&self.pool).await?;
        let mut query = build(DELIVERY_COLUMNS);
        query.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(page.per_page));
        query.push(" OFFSET ").push_bind(page.offset());
        let rows = query.build().fetch_all(&self.pool).await?;
        Ok((rows.iter().map(delivery).collect::<StoreResult<_>>()?, total as u64))
    }

    async fn purge_deliveries(&self, delivered_before: i64, failed_before: i64) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM deliveries WHERE (state = 'delivered' AND finished_at < $1) OR (state = 'failed' AND finished_at < $2)",
        )
        .bind(delivered_before)
        .bind(failed_before)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn retry_delivery(&self, app_id: &str, id: i64, now_ms: i64) -> StoreResult<Option<DeliveryRecord>> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = $1, lease_until = NULL, finished_at = NULL \
             WHERE app_id = $2 AND id = $3 AND state = 'failed' RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(now_ms)
        .bind(app_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let changes = Changes { deliveries: row.is_some(), ..Changes::default() };
        announce(&mut tx, changes).await?;
        tx.commit().await?;
        self.committed(changes);
        row.as_ref().map(delivery).transpose()
    }
}
