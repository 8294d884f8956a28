//! The outbox on SQLite: reads a message's [`Subscribers`] and inserts the deliveries that
//! [`routing`](crate::hooks::routing) answers, inside the transaction that stores the event. The writer
//! thread (rusqlite) and the pool's transactions (sqlx) share the SQL here.

use confab_protocol::rest::bots::GroupChatSetting;
use confab_protocol::rest::messages::ReceiverType;
use confab_protocol::rest::webhooks::WebhookTrigger;
use rusqlite::params;
use sqlx::SqliteConnection;

use crate::hooks::now_ms;
use crate::hooks::routing::{self, BotCandidate, NewDelivery, Subscribers};
use crate::store::{NewMessage, StoreResult};

/// Whether the sender is a bot.
const SENDER_IS_BOT: &str = "SELECT EXISTS (SELECT 1 FROM bots WHERE app_id = ?1 AND uid = ?2)";
/// The bot receiver of a 1:1 message.
const RECEIVER_BOT: &str = "SELECT uid, enabled, group_chat_setting FROM bots WHERE app_id = ?1 AND uid = ?2";
/// The bot members of a group.
const MEMBER_BOTS: &str = "SELECT b.uid, b.enabled, b.group_chat_setting FROM bots b \
     JOIN group_members m ON m.app_id = b.app_id AND m.uid = b.uid WHERE b.app_id = ?1 AND m.guid = ?2";
/// The app's enabled webhooks' triggers.
const WEBHOOK_TRIGGERS: &str = "SELECT t.webhook_id, t.trigger FROM webhook_triggers t \
     JOIN webhooks w ON w.app_id = t.app_id AND w.id = t.webhook_id AND w.enabled WHERE t.app_id = ?1";
/// Queues one delivery, due now.
const INSERT_DELIVERY: &str = "INSERT INTO deliveries (app_id, target_type, target, trigger, message_id, subject, \
     conversation_id, detail, next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)";

fn bot_candidate(uid: String, enabled: bool, setting: &str) -> BotCandidate {
    // The column's CHECK allows only the four names.
    let setting = GroupChatSetting::parse(setting).unwrap_or(GroupChatSetting::None);
    BotCandidate { uid, enabled, setting }
}

fn subscriptions(rows: Vec<(String, String)>) -> Vec<(String, WebhookTrigger)> {
    rows.into_iter().filter_map(|(id, trigger)| Some((id, WebhookTrigger::parse(&trigger)?))).collect()
}

/// The bot statement for `message`'s receiver.
fn bots_query(message: &NewMessage) -> &'static str {
    match message.receiver_type {
        ReceiverType::User => RECEIVER_BOT,
        ReceiverType::Group => MEMBER_BOTS,
    }
}

/// Queues `message`'s deliveries (stored under `id`) inside the writer's transaction; true when any was.
pub fn queue_message_sync(tx: &rusqlite::Transaction<'_>, app_id: &str, id: i64, message: &NewMessage) -> rusqlite::Result<bool> {
    let webhooks: Vec<(String, String)> = tx
        .prepare_cached(WEBHOOK_TRIGGERS)?
        .query_map(params![app_id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut subscribers = Subscribers { webhooks: subscriptions(webhooks), ..Default::default() };
    if routing::may_reach_bots(message) {
        subscribers.sender_is_bot = tx.prepare_cached(SENDER_IS_BOT)?.query_row(params![app_id, message.sender], |row| row.get(0))?;
        if !subscribers.sender_is_bot {
            subscribers.bots = tx
                .prepare_cached(bots_query(message))?
                .query_map(params![app_id, message.receiver], |row| {
                    Ok(bot_candidate(row.get(0)?, row.get(1)?, &row.get::<_, String>(2)?))
                })?
                .collect::<Result<_, _>>()?;
        }
    }
    let deliveries = routing::message_deliveries(id, message, &subscribers);
    let now = now_ms();
    for d in &deliveries {
        tx.prepare_cached(INSERT_DELIVERY)?.execute(params![
            app_id,
            d.target_type.as_str(),
            d.target,
            d.trigger,
            d.message_id,
            d.subject,
            d.conversation_id,
            d.detail.as_ref().map(|v| v.to_string()),
            now
        ])?;
    }
    Ok(!deliveries.is_empty())
}

/// Queues `message`'s deliveries (stored under `id`) on `conn`, inside the caller's transaction.
pub async fn queue_message(conn: &mut SqliteConnection, app_id: &str, id: i64, message: &NewMessage) -> StoreResult<bool> {
    let mut subscribers = Subscribers { webhooks: webhook_subscriptions(conn, app_id).await?, ..Default::default() };
    if routing::may_reach_bots(message) {
        subscribers.sender_is_bot = sqlx::query_scalar(SENDER_IS_BOT).bind(app_id).bind(&message.sender).fetch_one(&mut *conn).await?;
        if !subscribers.sender_is_bot {
            let rows: Vec<(String, bool, String)> =
                sqlx::query_as(bots_query(message)).bind(app_id).bind(&message.receiver).fetch_all(&mut *conn).await?;
            subscribers.bots = rows.into_iter().map(|(uid, enabled, setting)| bot_candidate(uid, enabled, &setting)).collect();
        }
    }
    let deliveries = routing::message_deliveries(id, message, &subscribers);
    insert(conn, app_id, &deliveries).await?;
    Ok(!deliveries.is_empty())
}

/// The app's enabled webhooks' subscriptions, read on `conn`.
pub async fn webhook_subscriptions(conn: &mut SqliteConnection, app_id: &str) -> StoreResult<Vec<(String, WebhookTrigger)>> {
    let rows: Vec<(String, String)> = sqlx::query_as(WEBHOOK_TRIGGERS).bind(app_id).fetch_all(&mut *conn).await?;
    Ok(subscriptions(rows))
}

/// Inserts `deliveries` on `conn`, due now.
pub async fn insert(conn: &mut SqliteConnection, app_id: &str, deliveries: &[NewDelivery]) -> StoreResult<()> {
    let now = now_ms();
    for d in deliveries {
        sqlx::query(INSERT_DELIVERY)
            .bind(app_id)
            .bind(d.target_type.as_str())
            .bind(&d.target)
            .bind(&d.trigger)
            .bind(d.message_id)
            .bind(&d.subject)
            .bind(&d.conversation_id)
            .bind(d.detail.as_ref().map(|v| v.to_string()))
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
