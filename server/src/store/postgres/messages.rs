//! [`MessageStore`] on PostgreSQL. Sends go through the [`writer`](super::writer); storing a message (and
//! queueing its deliveries) is shared with it: [`insert_message`], under the message-log lock.

use async_trait::async_trait;
use confab_protocol::ids::ConversationKey;
use confab_protocol::realtime::ReceiptKind;
use confab_protocol::rest::messages::{Message, MessageData, ReceiverType};
use confab_protocol::rest::webhooks::WebhookTrigger;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Notify;

use super::rows::{self, json_text, MESSAGE_COLUMNS};
use super::writer::Written;
use super::{announce, now_ms, Changes, MessageLogLocked, PostgresStore};
use crate::hooks::routing::{self, BotCandidate, Marks, NewDelivery, Subscribers};
use crate::store::{
    reaction_counts, reaction_record, reaction_step, ConversationRow, Cursor, MessageChange, MessageFilter, MessageStore, NewMessage,
    PageRequest, ReactionChange, ReactionOutcome, ReactionRow, ReactionStep, ReactionsFound, SendOutcome, StoreError, StoreResult,
};
use confab_protocol::rest::bots::GroupChatSetting;

/// Stores a message unless its sender used its `muid` before, moves its conversation's last message
/// (creating the conversation) and records a 1:1 conversation for both of its users; returns the new id
/// (or no row).
const INSERT_MESSAGE: &str = "WITH stored AS ( \
       INSERT INTO messages (app_id, conversation_key, sender, receiver, receiver_type, category, message_type, \
         data, tags, muid, sent_at, parent_id, quoted_id, mentions) \
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
       ON CONFLICT (app_id, sender, muid) WHERE muid IS NOT NULL DO NOTHING RETURNING id), \
     conversation AS ( \
       INSERT INTO conversations (app_id, conversation_key, conversation_type, last_message_id, updated_at, last_event_id) \
       SELECT $1, $2, $5, id, $11, id FROM stored WHERE $15 ON CONFLICT (app_id, conversation_key) \
       DO UPDATE SET last_message_id = excluded.last_message_id, updated_at = excluded.updated_at, \
         last_event_id = excluded.last_event_id), \
     touched AS ( \
       UPDATE conversations c SET last_event_id = GREATEST(c.last_event_id, stored.id) FROM stored \
       WHERE NOT $15 AND c.app_id = $1 AND c.conversation_key = $2), \
     direct AS ( \
       INSERT INTO direct_conversations (app_id, uid, conversation_key, with_uid) \
       SELECT $1, pair.uid, $2, pair.with_uid FROM stored, (VALUES ($3, $4), ($4, $3)) AS pair (uid, with_uid) \
       WHERE $5 = 'user' ON CONFLICT DO NOTHING) \
     SELECT id FROM stored";
/// Counts a thread reply on its parent: `$1` app, `$2` parent id, `$3` the reply's send time.
const COUNT_REPLY: &str = "UPDATE messages SET reply_count = reply_count + 1, \
     last_reply_at = GREATEST(COALESCE(last_reply_at, 0), $3) WHERE app_id = $1 AND id = $2";
/// The id of the message a sender stored under a `muid`.
const MESSAGE_BY_MUID: &str = "SELECT id FROM messages WHERE app_id = $1 AND sender = $2 AND muid = $3";

/// The message `message` became when stored with `id`.
pub fn stored_message(id: i64, message: &NewMessage) -> Message {
    Message {
        id: id.to_string(),
        muid: message.muid.clone(),
        conversation_id: message.key().wire_id(),
        sender: message.sender.clone(),
        receiver: message.receiver.clone(),
        receiver_type: message.receiver_type,
        category: message.category,
        message_type: message.message_type.clone(),
        data: message.data.clone(),
        tags: message.tags.clone(),
        sent_at: message.sent_at,
        updated_at: None,
        edited_at: None,
        edited_by: None,
        deleted_at: None,
        deleted_by: None,
        parent_id: message.parent_id.map(|id| id.to_string()),
        reply_count: None,
        last_reply_at: None,
        quoted_message_id: message.quoted_id.map(|id| id.to_string()),
        quoted_message: None,
        mentioned_users: message.mentions.clone(),
    }
}

/// The `mentions` column of a message: its JSON, or NULL when it mentions nobody.
fn mentions_text(message: &NewMessage) -> Option<String> {
    (!message.mentions.is_empty()).then(|| json_text(&message.mentions))
}

/// What [`insert_message`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inserted {
    /// The message's id.
    pub id: i64,
    /// False when the sender used the `muid` before (`id` is that message's; nothing was stored).
    pub created: bool,
    /// Deliveries queued with it.
    pub deliveries: usize,
}

/// Whether each app has bots, and enabled webhook subscriptions, read once per transaction: most apps have
/// neither, and then their messages need no read of subscribers at all.
#[derive(Debug, Default)]
pub struct HookPresence(HashMap<String, (bool, bool)>);

impl HookPresence {
    async fn of(&mut self, conn: &mut PgConnection, app_id: &str) -> Result<(bool, bool), sqlx::Error> {
        if let Some(known) = self.0.get(app_id) {
            return Ok(*known);
        }
        let row = sqlx::query(
            "SELECT EXISTS (SELECT 1 FROM bots WHERE app_id = $1), \
             EXISTS (SELECT 1 FROM webhook_triggers t JOIN webhooks w ON w.app_id = t.app_id AND w.id = t.webhook_id \
                     AND w.enabled WHERE t.app_id = $1)",
        )
        .bind(app_id)
        .fetch_one(&mut *conn)
        .await?;
        let known = (row.try_get(0)?, row.try_get(1)?);
        self.0.insert(app_id.to_owned(), known);
        Ok(known)
    }
}

/// Stores `message` on `conn` inside the caller's transaction, which holds the message-log lock (so ids
/// commit in id order; see the module docs), and queues its bot and webhook deliveries in it. With a
/// `muid` the sender used before, stores nothing and answers that message's id.
pub async fn insert_message(
    conn: &mut PgConnection,
    _locked: &MessageLogLocked,
    app_id: &str,
    message: &NewMessage,
    presence: &mut HookPresence,
) -> StoreResult<Inserted> {
    let key = message.key().storage_key();
    let inserted: Option<i64> = sqlx::query_scalar(INSERT_MESSAGE)
        .bind(app_id)
        .bind(&key)
        .bind(&message.sender)
        .bind(&message.receiver)
        .bind(message.receiver_type.as_str())
        .bind(message.category.as_str())
        .bind(&message.message_type)
        .bind(json_text(&message.data))
        .bind(&message.tags)
        .bind(&message.muid)
        .bind(message.sent_at)
        .bind(message.parent_id)
        .bind(message.quoted_id)
        .bind(mentions_text(message))
        .bind(message.moves_conversation())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(id) = inserted else {
        let id: i64 = sqlx::query_scalar(MESSAGE_BY_MUID)
            .bind(app_id)
            .bind(&message.sender)
            .bind(&message.muid)
            .fetch_one(&mut *conn)
            .await?;
        return Ok(Inserted { id, created: false, deliveries: 0 });
    };
    if let Some(parent) = message.parent_id {
        sqlx::query(COUNT_REPLY).bind(app_id).bind(parent).bind(message.sent_at).execute(&mut *conn).await?;
    }
    let deliveries = queue_message_deliveries(conn, app_id, id, message, presence).await?;
    Ok(Inserted { id, created: true, deliveries })
}

/// Stores the batch's `sends` in one statement (with their conversations), inside the caller's transaction,
/// which holds the message-log lock; then queues each new message's deliveries. Ids are taken in the
/// batch's order; a send whose sender used its `muid` before (or earlier in the batch) stores nothing and
/// answers that message.
pub async fn insert_messages(
    conn: &mut PgConnection,
    _locked: &MessageLogLocked,
    sends: &[(&str, &NewMessage)],
    presence: &mut HookPresence,
) -> StoreResult<Vec<Inserted>> {
    let column = |f: fn(&str, &NewMessage) -> String| sends.iter().map(|(app, m)| f(app, m)).collect::<Vec<String>>();
    let muids: Vec<Option<String>> = sends.iter().map(|(_, m)| m.muid.clone()).collect();
    let sent_at: Vec<i64> = sends.iter().map(|(_, m)| m.sent_at).collect();
    let rows: Vec<(i64, i64, bool)> = sqlx::query_as(
        "WITH input AS ( \
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
             $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[]) WITH ORDINALITY \
             AS s(app_id, conversation_key, sender, receiver, receiver_type, category, message_type, data, tags, muid, sent_at, \
               parent_id, quoted_id, mentions, i)), \
         numbered AS (SELECT nextval(pg_get_serial_sequence('messages', 'id')) AS id, input.* FROM input ORDER BY i), \
         stored AS ( \
           INSERT INTO messages (id, app_id, conversation_key, sender, receiver, receiver_type, category, message_type, \
             data, tags, muid, sent_at, parent_id, quoted_id, mentions) OVERRIDING SYSTEM VALUE \
           SELECT id, app_id, conversation_key, sender, receiver, receiver_type, category, message_type, data, \
             ARRAY(SELECT jsonb_array_elements_text(tags::jsonb)), muid, sent_at, parent_id, quoted_id, mentions \
           FROM numbered ORDER BY id \
           ON CONFLICT (app_id, sender, muid) WHERE muid IS NOT NULL DO NOTHING \
           RETURNING id, app_id, conversation_key, sender, receiver, receiver_type, sent_at, category, message_type), \
         conversation AS ( \
           INSERT INTO conversations (app_id, conversation_key, conversation_type, last_message_id, updated_at, last_event_id) \
           SELECT DISTINCT ON (app_id, conversation_key) app_id, conversation_key, receiver_type, id, sent_at, id \
           FROM stored WHERE NOT (category = 'action' AND message_type = 'reaction') \
           ORDER BY app_id, conversation_key, id DESC \
           ON CONFLICT (app_id, conversation_key) \
           DO UPDATE SET last_message_id = excluded.last_message_id, updated_at = excluded.updated_at, \
             last_event_id = excluded.last_event_id), \
         direct AS ( \
           INSERT INTO direct_conversations (app_id, uid, conversation_key, with_uid) \
           SELECT DISTINCT s.app_id, pair.uid, s.conversation_key, pair.with_uid FROM stored s, \
             LATERAL (VALUES (s.sender, s.receiver), (s.receiver, s.sender)) AS pair (uid, with_uid) \
           WHERE s.receiver_type = 'user' ON CONFLICT DO NOTHING) \
         SELECT n.i, n.id, s.id IS NOT NULL FROM numbered n LEFT JOIN stored s ON s.id = n.id ORDER BY n.i",
    )
    .bind(column(|app, _| app.to_owned()))
    .bind(column(|_, m| m.key().storage_key()))
    .bind(column(|_, m| m.sender.clone()))
    .bind(column(|_, m| m.receiver.clone()))
    .bind(column(|_, m| m.receiver_type.as_str().to_owned()))
    .bind(column(|_, m| m.category.as_str().to_owned()))
    .bind(column(|_, m| m.message_type.clone()))
    .bind(column(|_, m| json_text(&m.data)))
    .bind(column(|_, m| json_text(&m.tags)))
    .bind(&muids)
    .bind(&sent_at)
    .bind(sends.iter().map(|(_, m)| m.parent_id).collect::<Vec<_>>())
    .bind(sends.iter().map(|(_, m)| m.quoted_id).collect::<Vec<_>>())
    .bind(sends.iter().map(|(_, m)| mentions_text(m)).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(sends.len());
    for ((app_id, message), (_, id, created)) in sends.iter().zip(rows) {
        if let Some(parent) = message.parent_id.filter(|_| created) {
            sqlx::query(COUNT_REPLY).bind(*app_id).bind(parent).bind(message.sent_at).execute(&mut *conn).await?;
        }
        if created {
            let deliveries = queue_message_deliveries(conn, app_id, id, message, presence).await?;
            out.push(Inserted { id, created: true, deliveries });
        } else {
            let id: i64 = sqlx::query_scalar(MESSAGE_BY_MUID)
                .bind(*app_id)
                .bind(&message.sender)
                .bind(&message.muid)
                .fetch_one(&mut *conn)
                .await?;
            out.push(Inserted { id, created: false, deliveries: 0 });
        }
    }
    Ok(out)
}

/// Reads who may get the message stored under `id` and queues what [`routing::message_deliveries`]
/// answers; how many.
async fn queue_message_deliveries(
    conn: &mut PgConnection,
    app_id: &str,
    id: i64,
    message: &NewMessage,
    presence: &mut HookPresence,
) -> StoreResult<usize> {
    let (has_bots, has_webhooks) = presence.of(conn, app_id).await?;
    let wants_bots = has_bots && routing::may_reach_bots(message);
    let trigger = routing::webhook_trigger(message).filter(|_| has_webhooks);
    if !wants_bots && trigger.is_none() {
        return Ok(0);
    }
    // One read: the sender if a bot (kind 0), the bots it may reach (1), the webhooks subscribed (2).
    let mut query = QueryBuilder::<Postgres>::new("");
    if wants_bots {
        query.push("SELECT 0 AS kind, uid, enabled, group_chat_setting FROM bots WHERE app_id = ").push_bind(app_id);
        query.push(" AND uid = ").push_bind(&message.sender);
        query.push(" UNION ALL SELECT 1, b.uid, b.enabled, b.group_chat_setting FROM bots b WHERE b.app_id = ").push_bind(app_id);
        match message.receiver_type {
            ReceiverType::User => {
                query.push(" AND b.uid = ").push_bind(&message.receiver);
            }
            ReceiverType::Group => {
                query.push(" AND EXISTS (SELECT 1 FROM group_members m WHERE m.app_id = b.app_id AND m.guid = ");
                query.push_bind(&message.receiver).push(" AND m.uid = b.uid)");
            }
        }
    }
    if let Some(trigger) = trigger {
        if wants_bots {
            query.push(" UNION ALL ");
        }
        query.push(
            "SELECT 2, t.webhook_id, w.enabled, t.trigger FROM webhook_triggers t \
             JOIN webhooks w ON w.app_id = t.app_id AND w.id = t.webhook_id AND w.enabled WHERE t.app_id = ",
        );
        query.push_bind(app_id).push(" AND t.trigger = ").push_bind(trigger.as_str());
    }
    let mut subscribers = Subscribers::default();
    for row in query.build().fetch_all(&mut *conn).await? {
        let (kind, target, enabled, what): (i32, String, bool, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
        match kind {
            0 => subscribers.sender_is_bot = true,
            1 => subscribers.bots.push(BotCandidate {
                uid: target,
                enabled,
                setting: GroupChatSetting::parse(&what).ok_or_else(|| rows::corrupt("group chat setting", &what))?,
            }),
            _ => subscribers
                .webhooks
                .push((target, WebhookTrigger::parse(&what).ok_or_else(|| rows::corrupt("webhook trigger", &what))?)),
        }
    }
    let deliveries = routing::message_deliveries(id, message, &subscribers);
    insert_deliveries(conn, app_id, &deliveries).await?;
    Ok(deliveries.len())
}

/// Queues `deliveries` of the app, due now.
pub async fn insert_deliveries(conn: &mut PgConnection, app_id: &str, deliveries: &[NewDelivery]) -> Result<(), sqlx::Error> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let mut query = QueryBuilder::<Postgres>::new(
        "INSERT INTO deliveries (app_id, target_type, target, trigger, message_id, subject, conversation_id, detail, \
         next_attempt_at, created_at) ",
    );
    query.push_values(deliveries, |mut row, d| {
        row.push_bind(app_id)
            .push_bind(d.target_type.as_str())
            .push_bind(&d.target)
            .push_bind(&d.trigger)
            .push_bind(d.message_id)
            .push_bind(&d.subject)
            .push_bind(&d.conversation_id)
            .push_bind(d.detail.as_ref().map(|v| v.to_string()))
            .push_bind(now)
            .push_bind(now);
    });
    query.build().execute(&mut *conn).await?;
    Ok(())
}

pub async fn fetch_message(conn: &mut PgConnection, app_id: &str, id: i64) -> StoreResult<Option<Message>> {
    let row = sqlx::query(&format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = $1 AND m.id = $2"))
        .bind(app_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(rows::message).transpose()
}

/// The conversations `uid` takes part in, as a SQL subquery with two binds (app id, uid).
const PARTICIPANT_CONVERSATIONS: &str = "SELECT conversation_key FROM direct_conversations WHERE app_id = $1 AND uid = $2 \
     UNION ALL SELECT 'g:' || guid FROM group_members WHERE app_id = $1 AND uid = $2";

/// A conversation row, or `None` when its key no longer parses (such a row is skipped, never an error
/// for the whole list).
fn conversation_row(row: &sqlx::postgres::PgRow) -> StoreResult<Option<ConversationRow>> {
    let key: String = row.try_get("c_key")?;
    let Some(key) = ConversationKey::from_storage(&key) else {
        tracing::warn!(key, "conversation with an unreadable key skipped");
        return Ok(None);
    };
    let conversation_type = match key {
        ConversationKey::Direct(..) => ReceiverType::User,
        ConversationKey::Group(_) => ReceiverType::Group,
    };
    let last_message = match row.try_get::<Option<i64>, _>("id")? {
        Some(_) => Some(rows::message(row)?),
        None => None,
    };
    Ok(Some(ConversationRow {
        conversation_id: key.wire_id(),
        conversation_type,
        with_id: row.try_get("with_id")?,
        key,
        last_message,
        unread: row.try_get::<i64, _>("unread")? as u64,
        unread_mentions: row.try_get::<i64, _>("unread_mentions")? as u64,
        updated_at: row.try_get("c_updated_at")?,
    }))
}

/// The conversation-list query for `$1` app and `$2` uid, with an extra condition. The message columns
/// come first so [`rows::message`] reads them by position. Unread messages are counted within the user's
/// latest membership period of a group (none from before they joined, nor from a time they were away),
/// after their read mark.
fn conversation_query(extra: &str) -> String {
    format!(
        "SELECT {MESSAGE_COLUMNS}, c.conversation_key AS c_key, c.updated_at AS c_updated_at, \
         COALESCE(d.with_uid, substr(c.conversation_key, 3)) AS with_id, \
         (SELECT COUNT(*) FROM messages x WHERE x.app_id = $1 AND x.conversation_key = c.conversation_key \
            AND x.id > GREATEST(COALESCE(r.read_id, 0), COALESCE(p.from_id, 0)) AND (p.to_id IS NULL OR x.id <= p.to_id) \
            AND x.sender != $2 AND x.deleted_at IS NULL AND x.category != 'action') AS unread, \
         (SELECT COUNT(*) FROM messages x WHERE x.app_id = $1 AND x.conversation_key = c.conversation_key \
            AND x.id > GREATEST(COALESCE(r.read_id, 0), COALESCE(p.from_id, 0)) AND (p.to_id IS NULL OR x.id <= p.to_id) \
            AND x.mentions IS NOT NULL AND x.deleted_at IS NULL \
            AND x.mentions::jsonb @> jsonb_build_array(jsonb_build_object('uid', $2::text))) AS unread_mentions \
         FROM conversations c \
         LEFT JOIN direct_conversations d ON d.app_id = $1 AND d.uid = $2 AND d.conversation_key = c.conversation_key \
         LEFT JOIN read_marks r ON r.app_id = $1 AND r.uid = $2 AND r.conversation_key = c.conversation_key \
         LEFT JOIN membership_periods p ON p.app_id = $1 AND p.uid = $2 AND 'g:' || p.guid = c.conversation_key \
            AND p.from_id = (SELECT MAX(q.from_id) FROM membership_periods q \
                             WHERE q.app_id = $1 AND q.uid = $2 AND q.guid = p.guid) \
         LEFT JOIN messages m ON m.id = c.last_message_id \
         WHERE c.app_id = $1 AND c.conversation_key IN ({PARTICIPANT_CONVERSATIONS}) {extra}"
    )
}

/// The part of a conversation a user may read: messages after `from` and up to `to`.
#[derive(Debug, Clone)]
struct ReadableRange {
    key: String,
    from: i64,
    to: Option<i64>,
}

/// `uid`'s readable ranges that hold messages after `after`: each 1:1 conversation whole, and each period
/// of group membership. Read from the conversation index, so it costs what the user takes part in.
const READABLE_RANGES: &str = "SELECT d.conversation_key, 0::BIGINT, NULL::BIGINT FROM direct_conversations d \
     JOIN conversations c ON c.app_id = d.app_id AND c.conversation_key = d.conversation_key \
     WHERE d.app_id = $1 AND d.uid = $2 AND c.last_event_id > $3 \
     UNION ALL SELECT 'g:' || p.guid, p.from_id, p.to_id FROM membership_periods p \
     JOIN conversations c ON c.app_id = p.app_id AND c.conversation_key = 'g:' || p.guid \
     WHERE p.app_id = $1 AND p.uid = $2 AND c.last_event_id > GREATEST(p.from_id, $3)";

/// Adds `filter`'s conditions but the participant (category, type, sender, deleted, cursor), then the
/// order and limit; true when the order is newest first.
fn push_conditions(query: &mut QueryBuilder<'_, Postgres>, filter: &MessageFilter) -> bool {
    if let Some(category) = &filter.category {
        query.push(" AND m.category = ").push_bind(category.clone());
    }
    if let Some(message_type) = &filter.message_type {
        query.push(" AND m.message_type = ").push_bind(message_type.clone());
    }
    if let Some(sender) = &filter.sender {
        query.push(" AND m.sender = ").push_bind(sender.clone());
    }
    if filter.hide_deleted {
        query.push(" AND m.deleted_at IS NULL");
    }
    if filter.hide_replies {
        query.push(" AND m.parent_id IS NULL");
    }
    if filter.hide_reaction_records {
        query.push(" AND NOT (m.category = 'action' AND m.message_type = 'reaction')");
    }
    if let Some(parent) = filter.parent_id {
        query.push(" AND m.parent_id = ").push_bind(parent);
    }
    if let Some(words) = &filter.search {
        query.push(" AND m.search @@ to_tsquery('simple'::regconfig, ").push_bind(ts_query(words)).push(")");
    }
    let newest_first = match filter.cursor {
        Cursor::Before(id) => {
            if let Some(id) = id {
                query.push(" AND m.id < ").push_bind(id);
            }
            true
        }
        Cursor::After(id) => {
            if let Some(id) = id {
                query.push(" AND m.id > ").push_bind(id);
            }
            false
        }
        Cursor::BeforeTime(at) => {
            query.push(" AND m.sent_at < ").push_bind(at);
            true
        }
        Cursor::AfterTime(at) => {
            query.push(" AND m.sent_at >= ").push_bind(at);
            false
        }
    };
    query.push(if newest_first { " ORDER BY m.id DESC" } else { " ORDER BY m.id ASC" });
    query.push(" LIMIT ").push_bind(i64::from(filter.limit));
    newest_first
}

/// A `to_tsquery` text that finds every word of `words` as a word's start (reduced to letters, digits and
/// `_`, so nothing in them is query syntax).
fn ts_query(words: &[String]) -> String {
    let clean: Vec<String> = words
        .iter()
        .flat_map(|w| w.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|p| !p.is_empty()).map(str::to_lowercase).collect::<Vec<_>>())
        .map(|w| format!("{w}:*"))
        .collect();
    match clean.is_empty() {
        false => clean.join(" & "),
        // Nothing to look for: a query that finds nothing.
        true => "_nothing_:* & !_nothing_:*".to_owned(),
    }
}

/// Messages by `filter` for a participant: the page of each readable range (one indexed range scan each),
/// merged, in one read-only transaction on one snapshot (REPEATABLE READ) so no commit falls between them.
async fn participant_messages(pool: &sqlx::PgPool, app_id: &str, uid: &str, filter: &MessageFilter) -> StoreResult<Vec<Message>> {
    let after = match filter.cursor {
        Cursor::After(Some(id)) => id,
        _ => 0,
    };
    let mut tx = pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
    let rows = sqlx::query(READABLE_RANGES).bind(app_id).bind(uid).bind(after).fetch_all(&mut *tx).await?;
    let wanted = filter.conversation_id.as_ref().map(ConversationKey::storage_key);
    let mut ranges = Vec::with_capacity(rows.len());
    for r in &rows {
        let range = ReadableRange { key: r.try_get(0)?, from: r.try_get(1)?, to: r.try_get(2)? };
        if wanted.as_ref().is_none_or(|w| *w == range.key) {
            ranges.push(range);
        }
    }
    let mut messages = Vec::new();
    let mut newest_first = false;
    for range in ranges {
        let mut query = QueryBuilder::<Postgres>::new(format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = "));
        query.push_bind(app_id.to_owned());
        query.push(" AND m.conversation_key = ").push_bind(range.key);
        query.push(" AND m.id > ").push_bind(range.from);
        if let Some(to) = range.to {
            query.push(" AND m.id <= ").push_bind(to);
        }
        newest_first = push_conditions(&mut query, filter);
        for row in query.build().fetch_all(&mut *tx).await? {
            messages.push(rows::message(&row)?);
        }
    }
    tx.commit().await?;
    let id = |m: &Message| m.id.parse::<i64>().unwrap_or(0);
    messages.sort_by_key(id);
    messages.dedup_by_key(|m| id(m));
    let limit = filter.limit as usize;
    if newest_first {
        let skip = messages.len().saturating_sub(limit);
        messages.drain(..skip);
    } else {
        messages.truncate(limit);
    }
    Ok(messages)
}

/// The enabled webhooks' subscriptions to receipts in the app.
async fn receipt_subscriptions(conn: &mut PgConnection, app_id: &str) -> StoreResult<Vec<(String, WebhookTrigger)>> {
    let rows = sqlx::query(
        "SELECT t.webhook_id, t.trigger FROM webhook_triggers t \
         JOIN webhooks w ON w.app_id = t.app_id AND w.id = t.webhook_id AND w.enabled \
         WHERE t.app_id = $1 AND t.trigger IN ($2, $3) ORDER BY t.webhook_id, t.trigger",
    )
    .bind(app_id)
    .bind(WebhookTrigger::MessageReadReceipt.as_str())
    .bind(WebhookTrigger::MessageDeliveryReceipt.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let trigger: String = r.try_get(1)?;
            let parsed = WebhookTrigger::parse(&trigger).ok_or_else(|| rows::corrupt("webhook trigger", &trigger))?;
            Ok((r.try_get(0)?, parsed))
        })
        .collect()
}

#[async_trait]
impl MessageStore for PostgresStore {
    fn message_log_signal(&self) -> Arc<Notify> {
        self.signals.committed.clone()
    }

    async fn message_log(&self, after: i64, limit: u32) -> StoreResult<Vec<(String, Message)>> {
        let rows = sqlx::query(&format!("SELECT {MESSAGE_COLUMNS}, m.app_id FROM messages m WHERE m.id > $1 ORDER BY m.id LIMIT $2"))
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("app_id")?, rows::message(r)?))).collect()
    }

    async fn newest_message_id(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM messages").fetch_one(&self.pool).await?)
    }

    async fn send_message(&self, app_id: &str, message: NewMessage) -> StoreResult<SendOutcome> {
        match self.writer.send(app_id, message.clone()).await? {
            Written::Refused(refusal) => Ok(SendOutcome::Refused(refusal)),
            Written::Stored { id, created: true } => Ok(SendOutcome::Stored { message: stored_message(id, &message), created: true }),
            Written::Stored { id, created: false } => {
                let stored = self.message(app_id, id).await?.ok_or(StoreError::Closed)?;
                Ok(SendOutcome::Stored { message: stored, created: false })
            }
        }
    }

    async fn message(&self, app_id: &str, id: i64) -> StoreResult<Option<Message>> {
        // The messages of a conversation closed by a user's deletion (key `x:...`) are no one's to read.
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = $1 AND m.id = $2 AND substr(m.conversation_key, 1, 2) != 'x:'"
        ))
        .bind(app_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::message).transpose()
    }

    async fn list_messages(&self, app_id: &str, filter: &MessageFilter) -> StoreResult<Vec<Message>> {
        if let Some(uid) = &filter.participant {
            return participant_messages(&self.pool, app_id, uid, filter).await;
        }
        let mut query = QueryBuilder::<Postgres>::new(format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = "));
        query.push_bind(app_id.to_owned());
        if let Some(conversation) = &filter.conversation_id {
            query.push(" AND m.conversation_key = ").push_bind(conversation.storage_key());
        }
        let newest_first = push_conditions(&mut query, filter);
        let rows = query.build().fetch_all(&self.pool).await?;
        let mut messages = rows.iter().map(rows::message).collect::<StoreResult<Vec<_>>>()?;
        if newest_first {
            messages.reverse();
        }
        Ok(messages)
    }

    async fn change_message(
        &self,
        app_id: &str,
        id: i64,
        change: &MessageChange,
        by: &str,
        action: &NewMessage,
        now: i64,
    ) -> StoreResult<Option<Message>> {
        let mut tx = self.pool.begin().await?;
        let locked = super::lock_message_log(&mut tx).await?;
        let done = match change {
            MessageChange::Edit { data, tags } => {
                let mut query = QueryBuilder::<Postgres>::new("UPDATE messages SET data = ");
                query.push_bind(json_text(data));
                if let Some(tags) = tags {
                    query.push(", tags = ").push_bind(tags.as_slice());
                }
                query.push(", edited_at = ").push_bind(now).push(", edited_by = ").push_bind(by.to_owned());
                query.push(", updated_at = ").push_bind(now);
                query.push(" WHERE app_id = ").push_bind(app_id.to_owned()).push(" AND id = ").push_bind(id);
                query.push(" AND deleted_at IS NULL");
                query.build().execute(&mut *tx).await?
            }
            MessageChange::Delete => {
                sqlx::query("DELETE FROM message_reactions WHERE app_id = $1 AND message_id = $2")
                    .bind(app_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE messages SET data = $1, deleted_at = $2, deleted_by = $3, updated_at = $2, reactions = NULL, \
                     mentions = NULL WHERE app_id = $4 AND id = $5 AND deleted_at IS NULL",
                )
                .bind(json_text(&MessageData::default()))
                .bind(now)
                .bind(by)
                .bind(app_id)
                .bind(id)
                .execute(&mut *tx)
                .await?
            }
        };
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let inserted = insert_message(&mut tx, &locked, app_id, action, &mut HookPresence::default()).await?;
        let changed = fetch_message(&mut tx, app_id, id).await?;
        let changes = Changes { messages: true, deliveries: inserted.deliveries > 0, membership: false };
        announce(&mut tx, changes).await?;
        tx.commit().await?;
        self.committed(changes);
        Ok(changed)
    }

    async fn conversations(&self, app_id: &str, uid: &str, page: PageRequest) -> StoreResult<(Vec<ConversationRow>, u64)> {
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM conversations c WHERE c.app_id = $1 AND c.conversation_key IN ({PARTICIPANT_CONVERSATIONS})"
        ))
        .bind(app_id)
        .bind(uid)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query(&conversation_query("ORDER BY c.updated_at DESC, c.last_message_id DESC LIMIT $3 OFFSET $4"))
            .bind(app_id)
            .bind(uid)
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await?;
        let mut list = Vec::with_capacity(rows.len());
        for row in &rows {
            list.extend(conversation_row(row)?);
        }
        Ok((list, total as u64))
    }

    async fn conversation(&self, app_id: &str, uid: &str, key: &ConversationKey) -> StoreResult<Option<ConversationRow>> {
        let row = sqlx::query(&conversation_query("AND c.conversation_key = $3"))
            .bind(app_id)
            .bind(uid)
            .bind(key.storage_key())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(conversation_row).transpose()?.flatten())
    }

    async fn conversation_exists(&self, app_id: &str, key: &ConversationKey) -> StoreResult<bool> {
        Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM conversations WHERE app_id = $1 AND conversation_key = $2)")
            .bind(app_id)
            .bind(key.storage_key())
            .fetch_one(&self.pool)
            .await?)
    }

    async fn change_reaction(&self, app_id: &str, change: &ReactionChange<'_>, record: &NewMessage) -> StoreResult<ReactionOutcome> {
        let id = change.message_id;
        let mut tx = self.pool.begin().await?;
        // The message row, locked: the reactions of one message change one at a time (the limits hold).
        let live: Option<bool> = sqlx::query_scalar(
            "SELECT deleted_at IS NULL FROM messages WHERE app_id = $1 AND id = $2 AND category IN ('message', 'custom') \
             AND substr(conversation_key, 1, 2) != 'x:' FOR UPDATE",
        )
        .bind(app_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if live != Some(true) {
            return Ok(ReactionOutcome::NoMessage);
        }
        let (given, emoji_there, distinct, mine): (bool, bool, i64, i64) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM message_reactions WHERE message_id = $1 AND uid = $2 AND reaction = $3), \
             EXISTS (SELECT 1 FROM message_reactions WHERE message_id = $1 AND reaction = $3), \
             (SELECT COUNT(DISTINCT reaction) FROM message_reactions WHERE message_id = $1), \
             (SELECT COUNT(*) FROM message_reactions WHERE message_id = $1 AND uid = $2)",
        )
        .bind(id)
        .bind(change.uid)
        .bind(change.reaction)
        .fetch_one(&mut *tx)
        .await?;
        match reaction_step(change.add, ReactionsFound { given, emoji_there, distinct, mine }) {
            ReactionStep::Unchanged => {
                let message = fetch_message(&mut tx, app_id, id).await?.ok_or(StoreError::Closed)?;
                return Ok(ReactionOutcome::Unchanged(message));
            }
            ReactionStep::NotGiven => return Ok(ReactionOutcome::NotGiven),
            ReactionStep::TooManyOnMessage => return Ok(ReactionOutcome::TooManyOnMessage),
            ReactionStep::TooManyByUser => return Ok(ReactionOutcome::TooManyByUser),
            ReactionStep::Insert => {
                sqlx::query("INSERT INTO message_reactions (app_id, message_id, uid, reaction, reacted_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(app_id)
                    .bind(id)
                    .bind(change.uid)
                    .bind(change.reaction)
                    .bind(change.now)
                    .execute(&mut *tx)
                    .await?;
            }
            ReactionStep::Delete => {
                sqlx::query("DELETE FROM message_reactions WHERE message_id = $1 AND uid = $2 AND reaction = $3")
                    .bind(id)
                    .bind(change.uid)
                    .bind(change.reaction)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let given: Vec<(String, String)> = sqlx::query_as("SELECT reaction, uid FROM message_reactions WHERE message_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        let counts = reaction_counts(given);
        let column = (!counts.is_empty()).then(|| json_text(&counts));
        sqlx::query("UPDATE messages SET reactions = $1 WHERE app_id = $2 AND id = $3").bind(column).bind(app_id).bind(id).execute(&mut *tx).await?;
        let locked = super::lock_message_log(&mut tx).await?;
        let inserted = insert_message(&mut tx, &locked, app_id, &reaction_record(record, &counts), &mut HookPresence::default()).await?;
        let changed = fetch_message(&mut tx, app_id, id).await?.ok_or(StoreError::Closed)?;
        let changes = Changes { messages: true, deliveries: inserted.deliveries > 0, membership: false };
        announce(&mut tx, changes).await?;
        tx.commit().await?;
        self.committed(changes);
        Ok(ReactionOutcome::Changed(changed))
    }

    async fn reactions(&self, app_id: &str, message_id: i64, reaction: Option<&str>, after: i64, limit: u32) -> StoreResult<Vec<ReactionRow>> {
        let rows: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, message_id, reaction, uid, reacted_at FROM message_reactions WHERE app_id = $1 AND message_id = $2 \
             AND ($3::text IS NULL OR reaction = $3) AND id > $4 ORDER BY id LIMIT $5",
        )
        .bind(app_id)
        .bind(message_id)
        .bind(reaction)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id, message_id, reaction, uid, reacted_at)| ReactionRow { id, message_id, reaction, uid, reacted_at }).collect())
    }

    async fn reactions_by(&self, app_id: &str, uid: &str, message_ids: &[i64]) -> StoreResult<Vec<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT message_id, reaction FROM message_reactions WHERE app_id = $1 AND uid = $2 AND message_id = ANY($3) ORDER BY id",
        )
        .bind(app_id)
        .bind(uid)
        .bind(message_ids)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn messages_by_id(&self, app_id: &str, ids: &[i64]) -> StoreResult<Vec<Message>> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = $1 AND m.id = ANY($2) \
             AND substr(m.conversation_key, 1, 2) != 'x:' ORDER BY m.id"
        ))
        .bind(app_id)
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::message).collect()
    }

    async fn mark_unread(&self, app_id: &str, uid: &str, key: &ConversationKey, read_up_to: i64) -> StoreResult<()> {
        sqlx::query("UPDATE read_marks SET read_id = $4 WHERE app_id = $1 AND uid = $2 AND conversation_key = $3 AND read_id > $4")
            .bind(app_id)
            .bind(uid)
            .bind(key.storage_key())
            .bind(read_up_to.max(0))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn mark(&self, app_id: &str, uid: &str, key: &ConversationKey, message_id: i64, kind: ReceiptKind) -> StoreResult<()> {
        let read = kind == ReceiptKind::Read;
        let storage_key = key.storage_key();
        let mut tx = self.pool.begin().await?;
        // The marks before, locked so that concurrent marks of this conversation move them one at a time
        // (each then queues receipts for exactly the move it made). No row yet: insert the first marks; a
        // concurrent first insert makes ours wait for it and do nothing, and the row is read again.
        let (before, after) = loop {
            let row = sqlx::query(
                "SELECT read_id, delivered_id FROM read_marks WHERE app_id = $1 AND uid = $2 AND conversation_key = $3 \
                 FOR UPDATE",
            )
            .bind(app_id)
            .bind(uid)
            .bind(&storage_key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                let before = Marks { read: row.try_get(0)?, delivered: row.try_get(1)? };
                let after = before.advanced(read, message_id);
                if after != before {
                    sqlx::query(
                        "UPDATE read_marks SET read_id = $4, delivered_id = $5 \
                         WHERE app_id = $1 AND uid = $2 AND conversation_key = $3",
                    )
                    .bind(app_id)
                    .bind(uid)
                    .bind(&storage_key)
                    .bind(after.read)
                    .bind(after.delivered)
                    .execute(&mut *tx)
                    .await?;
                }
                break (before, after);
            }
            let before = Marks::default();
            let after = before.advanced(read, message_id);
            let inserted = sqlx::query(
                "INSERT INTO read_marks (app_id, uid, conversation_key, read_id, delivered_id) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(app_id)
            .bind(uid)
            .bind(&storage_key)
            .bind(after.read)
            .bind(after.delivered)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 {
                break (before, after);
            }
        };
        let mut changes = Changes::default();
        if after != before {
            let subscriptions = receipt_subscriptions(&mut tx, app_id).await?;
            let deliveries = routing::receipt_deliveries(uid, key, before, after, &subscriptions);
            insert_deliveries(&mut tx, app_id, &deliveries).await?;
            changes.deliveries = !deliveries.is_empty();
        }
        announce(&mut tx, changes).await?;
        tx.commit().await?;
        self.committed(changes);
        Ok(())
    }
}
