//! [`HookStore`] on SQLite. Deliveries of messages and receipt marks are queued by the triggers of
//! migration 0003 inside the transaction that stores the event; this module manages bots and webhooks and
//! moves deliveries through their attempts.

use async_trait::async_trait;
use confab_protocol::rest::bots::GroupChatSetting;
use confab_protocol::rest::webhooks::{DeliveryState, TargetType, WebhookTrigger};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};
use std::sync::Arc;
use tokio::sync::Notify;

use super::rows::json_value;
use super::{is_unique_violation, SqliteStore};
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

fn basic_auth(row: &SqliteRow) -> Option<BasicAuth> {
    let username: Option<String> = row.get("basic_auth_user");
    let password: Option<String> = row.get("basic_auth_password");
    Some(BasicAuth { username: username?, password: password.unwrap_or_default() })
}

fn bot(row: &SqliteRow) -> StoreResult<BotRecord> {
    let setting: String = row.get("group_chat_setting");
    Ok(BotRecord {
        uid: row.get("uid"),
        webhook_url: row.get("webhook_url"),
        enabled: row.get("enabled"),
        group_chat_setting: GroupChatSetting::parse(&setting).ok_or_else(|| corrupt("group chat setting", &setting))?,
        basic_auth: basic_auth(row),
        signing_secret: row.get("signing_secret"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    })
}

fn webhook(row: &SqliteRow, triggers: Vec<WebhookTrigger>) -> WebhookRecord {
    WebhookRecord {
        id: row.get("id"),
        name: row.get("name"),
        url: row.get("url"),
        enabled: row.get("enabled"),
        triggers,
        basic_auth: basic_auth(row),
        signing_secret: row.get("signing_secret"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

fn delivery(row: &SqliteRow) -> StoreResult<DeliveryRecord> {
    let target_type: String = row.get("target_type");
    let state: String = row.get("state");
    let status: Option<i64> = row.get("last_status");
    let attempts: i64 = row.get("attempts");
    Ok(DeliveryRecord {
        id: row.get("id"),
        app_id: row.get("app_id"),
        target_type: TargetType::parse(&target_type).ok_or_else(|| corrupt("delivery target type", &target_type))?,
        target: row.get("target"),
        trigger: row.get("trigger"),
        message_id: row.get("message_id"),
        subject: row.get("subject"),
        // Receipts record the mark's conversation key; the call names it by its wire id.
        conversation_id: row.get::<Option<String>, _>("conversation_id").map(|c| {
            confab_protocol::ids::ConversationKey::from_storage(&c).map_or(c, |key| key.wire_id())
        }),
        detail: json_value(row.get("detail"))?,
        state: DeliveryState::parse(&state).ok_or_else(|| corrupt("delivery state", &state))?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        next_attempt_at: row.get("next_attempt_at"),
        last_error: row.get("last_error"),
        last_status: status.and_then(|s| u16::try_from(s).ok()),
        created_at: row.get("created_at"),
        finished_at: row.get("finished_at"),
    })
}

/// The basic-auth columns' values for `auth`.
fn auth_columns(auth: Option<&BasicAuth>) -> (Option<&str>, Option<&str>) {
    match auth {
        Some(a) => (Some(a.username.as_str()), Some(a.password.as_str())),
        None => (None, None),
    }
}

async fn triggers_of(tx: &mut Transaction<'_, Sqlite>, app_id: &str, id: &str) -> StoreResult<Vec<WebhookTrigger>> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT trigger FROM webhook_triggers WHERE app_id = ? AND webhook_id = ? ORDER BY trigger")
            .bind(app_id)
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    names.iter().map(|n| WebhookTrigger::parse(n).ok_or_else(|| corrupt("webhook trigger", n))).collect()
}

async fn add_triggers(tx: &mut Transaction<'_, Sqlite>, app_id: &str, id: &str, triggers: &[WebhookTrigger]) -> StoreResult<()> {
    for trigger in triggers {
        sqlx::query("INSERT OR IGNORE INTO webhook_triggers (app_id, trigger, webhook_id) VALUES (?, ?, ?)")
            .bind(app_id)
            .bind(trigger.as_str())
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn webhook_in(tx: &mut Transaction<'_, Sqlite>, app_id: &str, id: &str) -> StoreResult<Option<WebhookRecord>> {
    let Some(row) = sqlx::query(&format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE app_id = ? AND id = ?"))
        .bind(app_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let triggers = triggers_of(tx, app_id, id).await?;
    Ok(Some(webhook(&row, triggers)))
}

#[async_trait]
impl HookStore for SqliteStore {
    fn delivery_signal(&self) -> Arc<Notify> {
        self.deliveries.clone()
    }

    async fn create_bot(&self, app_id: &str, bot: &BotRecord) -> StoreResult<()> {
        let (user, password) = auth_columns(bot.basic_auth.as_ref());
        sqlx::query(
            "INSERT INTO bots (app_id, uid, webhook_url, enabled, group_chat_setting, basic_auth_user, basic_auth_password, \
             signing_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        let row = sqlx::query(&format!("SELECT {BOT_COLUMNS} FROM bots WHERE app_id = ? AND uid = ?"))
            .bind(app_id)
            .bind(uid)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(bot).transpose()
    }

    async fn bots(&self, app_id: &str, page: PageRequest) -> StoreResult<(Vec<BotRecord>, u64)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bots WHERE app_id = ?").bind(app_id).fetch_one(&self.pool).await?;
        let rows = sqlx::query(&format!("SELECT {BOT_COLUMNS} FROM bots WHERE app_id = ? ORDER BY uid LIMIT ? OFFSET ?"))
            .bind(app_id)
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await?;
        Ok((rows.iter().map(bot).collect::<StoreResult<_>>()?, total as u64))
    }

    async fn update_bot(&self, app_id: &str, uid: &str, change: &BotChange, now: i64) -> StoreResult<Option<BotRecord>> {
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query(&format!("SELECT {BOT_COLUMNS} FROM bots WHERE app_id = ? AND uid = ?"))
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
            "UPDATE bots SET webhook_url = ?, enabled = ?, group_chat_setting = ?, basic_auth_user = ?, \
             basic_auth_password = ?, updated_at = ? WHERE app_id = ? AND uid = ?",
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
        let done = sqlx::query("DELETE FROM bots WHERE app_id = ? AND uid = ?").bind(app_id).bind(uid).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn create_webhook(&self, app_id: &str, hook: &WebhookRecord, max: usize) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM webhooks WHERE app_id = ? AND id = ?)")
            .bind(app_id)
            .bind(&hook.id)
            .fetch_one(&mut *tx)
            .await?;
        if taken {
            return Err(StoreError::Conflict(format!("webhook {}", hook.id)));
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE app_id = ?").bind(app_id).fetch_one(&mut *tx).await?;
        if count as usize >= max {
            return Ok(false);
        }
        let (user, password) = auth_columns(hook.basic_auth.as_ref());
        sqlx::query(
            "INSERT INTO webhooks (app_id, id, name, url, enabled, basic_auth_user, basic_auth_password, signing_secret, \
             created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        let mut tx = self.pool.begin().await?;
        let found = webhook_in(&mut tx, app_id, id).await?;
        tx.commit().await?;
        Ok(found)
    }

    async fn webhooks(&self, app_id: &str) -> StoreResult<Vec<WebhookRecord>> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM webhooks WHERE app_id = ? ORDER BY id").bind(app_id).fetch_all(&mut *tx).await?;
        let mut hooks = Vec::with_capacity(ids.len());
        for id in ids {
            hooks.extend(webhook_in(&mut tx, app_id, &id).await?);
        }
        tx.commit().await?;
        Ok(hooks)
    }

    async fn update_webhook(&self, app_id: &str, id: &str, change: &WebhookChange, now: i64) -> StoreResult<Option<WebhookRecord>> {
        let mut tx = self.begin_write().await?;
        let Some(mut current) = webhook_in(&mut tx, app_id, id).await? else {
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
            "UPDATE webhooks SET name = ?, url = ?, enabled = ?, basic_auth_user = ?, basic_auth_password = ?, \
             updated_at = ? WHERE app_id = ? AND id = ?",
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
            sqlx::query("DELETE FROM webhook_triggers WHERE app_id = ? AND webhook_id = ?").bind(app_id).bind(id).execute(&mut *tx).await?;
            add_triggers(&mut tx, app_id, id, triggers).await?;
        }
        add_triggers(&mut tx, app_id, id, &change.add_triggers).await?;
        for trigger in &change.remove_triggers {
            sqlx::query("DELETE FROM webhook_triggers WHERE app_id = ? AND webhook_id = ? AND trigger = ?")
                .bind(app_id)
                .bind(id)
                .bind(trigger.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let updated = webhook_in(&mut tx, app_id, id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn delete_webhook(&self, app_id: &str, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM webhooks WHERE app_id = ? AND id = ?").bind(app_id).bind(id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn queue_presence(&self, app_id: &str, uid: &str, detail: &Value, now_ms: i64) -> StoreResult<()> {
        // A read first: most apps have no such webhook, and a read does not queue behind writers.
        let wanted: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM webhook_triggers WHERE app_id = ? AND trigger = ?)")
            .bind(app_id)
            .bind(WebhookTrigger::UserConnectionStatusChanged.as_str())
            .fetch_one(&self.pool)
            .await?;
        if !wanted {
            return Ok(());
        }
        let done = sqlx::query(
            "INSERT INTO deliveries (app_id, target_type, target, trigger, subject, detail, next_attempt_at, created_at) \
             SELECT t.app_id, 'webhook', t.webhook_id, t.trigger, ?, ?, ?, ? FROM webhook_triggers t \
             JOIN webhooks w ON w.app_id = t.app_id AND w.id = t.webhook_id AND w.enabled \
             WHERE t.app_id = ? AND t.trigger = ?",
        )
        .bind(uid)
        .bind(detail.to_string())
        .bind(now_ms)
        .bind(now_ms)
        .bind(app_id)
        .bind(WebhookTrigger::UserConnectionStatusChanged.as_str())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() > 0 {
            self.deliveries.notify_one();
        }
        Ok(())
    }

    async fn claim_deliveries(&self, now_ms: i64, lease_until: i64, limit: u32) -> StoreResult<Vec<DeliveryRecord>> {
        let rows = sqlx::query(&format!(
            "UPDATE deliveries SET in_flight = 1, next_attempt_at = ?1 WHERE id IN \
             (SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ?2 ORDER BY next_attempt_at, id LIMIT ?3) \
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
        Ok(sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending'").fetch_one(&self.pool).await?)
    }

    async fn record_attempt(&self, id: i64, attempt: &Attempt, now_ms: i64) -> StoreResult<()> {
        match attempt {
            Attempt::Delivered => {
                sqlx::query(
                    "UPDATE deliveries SET state = 'delivered', in_flight = 0, attempts = attempts + 1, last_error = NULL, \
                     finished_at = ? WHERE id = ?",
                )
                .bind(now_ms)
                .bind(id)
                .execute(&self.pool)
                .await?;
            }
            Attempt::Failed { error, status, retry_at } => {
                let state = if retry_at.is_some() { DeliveryState::Pending } else { DeliveryState::Failed };
                sqlx::query(
                    "UPDATE deliveries SET state = ?, in_flight = 0, attempts = attempts + 1, last_error = ?, last_status = ?, \
                     next_attempt_at = ?, finished_at = ? WHERE id = ?",
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

    async fn release_deliveries(&self, now_ms: i64) -> StoreResult<u64> {
        let done = sqlx::query("UPDATE deliveries SET in_flight = 0, next_attempt_at = ? WHERE state = 'pending' AND in_flight = 1")
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn deliveries(&self, app_id: &str, filter: &DeliveryFilter, page: PageRequest) -> StoreResult<(Vec<DeliveryRecord>, u64)> {
        let target_clause = if filter.target.is_some() { "AND target = ?" } else { "" };
        let count_sql = format!("SELECT COUNT(*) FROM deliveries WHERE app_id = ? AND state = ? {target_clause}");
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql)
        .bind(app_id)
        .bind(filter.state.as_str());
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE app_id = ? AND state = ? {target_clause} ORDER BY id DESC LIMIT ? OFFSET ?"
        );
        let mut rows = sqlx::query(&sql).bind(app_id).bind(filter.state.as_str());
        if let Some(target) = &filter.target {
            count = count.bind(target);
            rows = rows.bind(target);
        }
        let total = count.fetch_one(&self.pool).await?;
        let rows = rows.bind(i64::from(page.per_page)).bind(page.offset()).fetch_all(&self.pool).await?;
        Ok((rows.iter().map(delivery).collect::<StoreResult<_>>()?, total as u64))
    }

    async fn purge_deliveries(&self, delivered_before: i64, failed_before: i64) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM deliveries WHERE (state = 'delivered' AND finished_at < ?) OR (state = 'failed' AND finished_at < ?)",
        )
        .bind(delivered_before)
        .bind(failed_before)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn retry_delivery(&self, app_id: &str, id: i64, now_ms: i64) -> StoreResult<Option<DeliveryRecord>> {
        let row = sqlx::query(&format!(
            "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?, finished_at = NULL \
             WHERE app_id = ? AND id = ? AND state = 'failed' RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(now_ms)
        .bind(app_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        if row.is_some() {
            self.deliveries.notify_one();
        }
        row.as_ref().map(delivery).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MessageStore, NewMessage, NewUser, SendOutcome, UserStore};
    use confab_protocol::rest::messages::{Category, MessageData, ReceiverType};

    fn user(uid: &str) -> NewUser {
        NewUser {
            uid: uid.into(),
            origin: crate::store::UserOrigin::Api,
            name: uid.into(),
            avatar: None,
            link: None,
            role: "default".into(),
            status_message: None,
            metadata: None,
            tags: Vec::new(),
            created_at: 1,
        }
    }

    #[tokio::test]
    async fn a_message_to_a_bot_queues_a_delivery_that_is_purged_once_old() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("confab.db")).await.unwrap();
        let app = crate::apps::create_app(&store, "Test", "local", confab_protocol::rest::app::UidSignInPolicy::Verified).await.unwrap().app_id;
        for uid in ["ann", "helper"] {
            store.create_user(&app, &user(uid), None).await.unwrap();
        }
        let bot = BotRecord {
            uid: "helper".into(),
            webhook_url: "https://bots.example.com/".into(),
            enabled: true,
            group_chat_setting: GroupChatSetting::None,
            basic_auth: None,
            signing_secret: "whsec_x".into(),
            created_at: 1,
            updated_at: None,
        };
        store.create_bot(&app, &bot).await.unwrap();
        let message = NewMessage {
            sender: "ann".into(),
            receiver: "helper".into(),
            receiver_type: ReceiverType::User,
            category: Category::Message,
            message_type: "text".into(),
            data: MessageData { text: Some("hi".into()), ..MessageData::default() },
            tags: Vec::new(),
            muid: None,
            sent_at: 1,
            ..NewMessage::default()
        };
        assert!(matches!(store.send_message(&app, message).await.unwrap(), SendOutcome::Stored { created: true, .. }));
        let now = crate::hooks::now_ms();
        let claimed = store.claim_deliveries(now + 1000, now + 60_000, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!((claimed[0].target.as_str(), claimed[0].trigger.as_str()), ("helper", "after_message"));
        store.record_attempt(claimed[0].id, &Attempt::Delivered, now).await.unwrap();
        let delivered = DeliveryFilter { state: DeliveryState::Delivered, target: None };
        let page = PageRequest { per_page: 10, page: 1 };
        // Not old enough yet: kept.
        assert_eq!(store.purge_deliveries(now - 1, now - 1).await.unwrap(), 0);
        assert_eq!(store.deliveries(&app, &delivered, page).await.unwrap().1, 1);
        assert_eq!(store.purge_deliveries(now + 1, now - 1).await.unwrap(), 1);
        assert_eq!(store.deliveries(&app, &delivered, page).await.unwrap().1, 0);
    }
}
