//! [`MessageStore`] on SQLite. Sends go through the [`writer`](super::writer); the SQL that stores a
//! message is shared with it.

use async_trait::async_trait;
use confab_protocol::ids::ConversationKey;
use confab_protocol::realtime::ReceiptKind;
use confab_protocol::rest::messages::{Message, MessageData, ReceiverType};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use std::sync::Arc;
use tokio::sync::Notify;

use super::outbox;
use super::rows::{self, json_text, MESSAGE_COLUMNS};
use super::writer::Written;
use super::SqliteStore;
use crate::hooks::routing::{self, Marks};
use crate::store::{
    reaction_counts, reaction_record, reaction_step, ConversationRow, Cursor, MessageChange, MessageFilter, MessageStore, NewMessage,
    PageRequest, ReactionChange, ReactionOutcome, ReactionRow, ReactionStep, ReactionsFound, SendOutcome, StoreError, StoreResult,
};

/// Stores a message unless its sender used its `muid` before; returns the new id (or no row).
pub const INSERT_MESSAGE: &str = "INSERT INTO messages (app_id, conversation_key, sender, receiver, receiver_type, \
     category, message_type, data, tags, muid, sent_at, parent_id, quoted_id, mentions) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
     ON CONFLICT (app_id, sender, muid) WHERE muid IS NOT NULL DO NOTHING RETURNING id";
/// Counts a thread reply on its parent: `?1` app, `?2` parent id, `?3` the reply's send time.
pub const COUNT_REPLY: &str = "UPDATE messages SET reply_count = reply_count + 1, \
     last_reply_at = max(COALESCE(last_reply_at, 0), ?3) WHERE app_id = ?1 AND id = ?2";

/// The `mentions` column of a message: its JSON, or NULL when it mentions nobody.
pub fn mentions_text(message: &NewMessage) -> Option<String> {
    (!message.mentions.is_empty()).then(|| json_text(&message.mentions))
}
/// The id of the message a sender stored under a `muid`.
pub const MESSAGE_BY_MUID: &str = "SELECT id FROM messages WHERE app_id = ?1 AND sender = ?2 AND muid = ?3";
/// Moves a conversation's last message (creating the conversation).
pub const UPSERT_CONVERSATION: &str = "INSERT INTO conversations (app_id, conversation_key, conversation_type, \
     last_message_id, updated_at, last_event_id) VALUES (?1, ?2, ?3, ?4, ?5, ?4) ON CONFLICT (app_id, conversation_key) \
     DO UPDATE SET last_message_id = excluded.last_message_id, updated_at = excluded.updated_at, \
     last_event_id = excluded.last_event_id";
/// Moves a conversation's log past a message that is not its newest (a reaction record): `?1` app, `?2` key,
/// `?3` id.
pub const TOUCH_CONVERSATION: &str =
    "UPDATE conversations SET last_event_id = max(last_event_id, ?3) WHERE app_id = ?1 AND conversation_key = ?2";
/// Records a 1:1 conversation for both of its users.
pub const INSERT_DIRECT: &str = "INSERT OR IGNORE INTO direct_conversations (app_id, uid, conversation_key, with_uid) \
     VALUES (?1, ?2, ?3, ?4), (?1, ?4, ?3, ?2)";

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

/// Stores `message` on `conn` (inside the caller's transaction) and moves its conversation's last message.
/// With a `muid` the sender used before, returns the stored message and `false`.
pub async fn insert_message(
    conn: &mut SqliteConnection,
    app_id: &str,
    message: &NewMessage,
) -> StoreResult<(Message, bool)> {
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
        .bind(json_text(&message.tags))
        .bind(&message.muid)
        .bind(message.sent_at)
        .bind(message.parent_id)
        .bind(message.quoted_id)
        .bind(mentions_text(message))
        .fetch_optional(&mut *conn)
        .await?;
    let Some(id) = inserted else {
        let id: i64 = sqlx::query_scalar(MESSAGE_BY_MUID)
            .bind(app_id)
            .bind(&message.sender)
            .bind(&message.muid)
            .fetch_one(&mut *conn)
            .await?;
        let stored = fetch_message(conn, app_id, id).await?.ok_or(StoreError::Closed)?;
        return Ok((stored, false));
    };
    if message.moves_conversation() {
        sqlx::query(UPSERT_CONVERSATION)
            .bind(app_id)
            .bind(&key)
            .bind(message.receiver_type.as_str())
            .bind(id)
            .bind(message.sent_at)
            .execute(&mut *conn)
            .await?;
    } else {
        sqlx::query(TOUCH_CONVERSATION).bind(app_id).bind(&key).bind(id).execute(&mut *conn).await?;
    }
    if let Some(parent) = message.parent_id {
        sqlx::query(COUNT_REPLY).bind(app_id).bind(parent).bind(message.sent_at).execute(&mut *conn).await?;
    }
    if message.receiver_type == ReceiverType::User {
        sqlx::query(INSERT_DIRECT)
            .bind(app_id)
            .bind(&message.sender)
            .bind(&key)
            .bind(&message.receiver)
            .execute(&mut *conn)
            .await?;
    }
    outbox::queue_message(conn, app_id, id, message).await?;
    Ok((stored_message(id, message), true))
}

async fn fetch_message(conn: &mut SqliteConnection, app_id: &str, id: i64) -> StoreResult<Option<Message>> {
    let row = sqlx::query(&format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = ? AND m.id = ?"))
        .bind(app_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(rows::message).transpose()
}

/// The conversations `uid` takes part in, as a SQL subquery with two binds (app id, uid).
const PARTICIPANT_CONVERSATIONS: &str = "SELECT conversation_key FROM direct_conversations WHERE app_id = ?1 AND uid = ?2 \
     UNION ALL SELECT 'g:' || guid FROM group_members WHERE app_id = ?1 AND uid = ?2";

/// A conversation row, or `None` when its key no longer parses (such a row is skipped, never an error
/// for the whole list).
fn conversation_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<Option<ConversationRow>> {
    let key: String = row.get("c_key");
    let Some(key) = ConversationKey::from_storage(&key) else {
        tracing::warn!(key, "conversation with an unreadable key skipped");
        return Ok(None);
    };
    let conversation_type = match key {
        ConversationKey::Direct(..) => ReceiverType::User,
        ConversationKey::Group(_) => ReceiverType::Group,
    };
    let last_message = match row.get::<Option<i64>, _>("id") {
        Some(_) => Some(rows::message(row)?),
        None => None,
    };
    Ok(Some(ConversationRow {
        conversation_id: key.wire_id(),
        conversation_type,
        with_id: row.get("with_id"),
        key,
        last_message,
        unread: row.get::<i64, _>("unread") as u64,
        unread_mentions: row.get::<i64, _>("unread_mentions") as u64,
        updated_at: row.get("c_updated_at"),
    }))
}

/// The conversation-list query for `?1` app and `?2` uid, with an extra condition. The message columns
/// come first so [`rows::message`] reads them by position.
/// Unread messages are counted within the user's latest membership period of a group (none from before they
/// joined, nor from a time they were away), after their read mark.
fn conversation_query(extra: &str) -> String {
    format!(
        "SELECT {MESSAGE_COLUMNS}, c.conversation_key AS c_key, c.updated_at AS c_updated_at, \
         COALESCE(d.with_uid, substr(c.conversation_key, 3)) AS with_id, \
         (SELECT COUNT(*) FROM messages x WHERE x.app_id = ?1 AND x.conversation_key = c.conversation_key \
            AND x.id > max(COALESCE(r.read_id, 0), COALESCE(p.from_id, 0)) AND (p.to_id IS NULL OR x.id <= p.to_id) \
            AND x.sender != ?2 AND x.deleted_at IS NULL AND x.category != 'action') AS unread, \
         (SELECT COUNT(*) FROM messages x WHERE x.app_id = ?1 AND x.conversation_key = c.conversation_key \
            AND x.id > max(COALESCE(r.read_id, 0), COALESCE(p.from_id, 0)) AND (p.to_id IS NULL OR x.id <= p.to_id) \
            AND x.mentions IS NOT NULL AND x.deleted_at IS NULL \
            AND EXISTS (SELECT 1 FROM json_each(x.mentions) j WHERE json_extract(j.value, '$.uid') = ?2)) AS unread_mentions \
         FROM conversations c \
         LEFT JOIN direct_conversations d ON d.app_id = ?1 AND d.uid = ?2 AND d.conversation_key = c.conversation_key \
         LEFT JOIN read_marks r ON r.app_id = ?1 AND r.uid = ?2 AND r.conversation_key = c.conversation_key \
         LEFT JOIN membership_periods p ON p.app_id = ?1 AND p.uid = ?2 AND 'g:' || p.guid = c.conversation_key \
            AND p.from_id = (SELECT max(q.from_id) FROM membership_periods q \
                             WHERE q.app_id = ?1 AND q.uid = ?2 AND q.guid = p.guid) \
         LEFT JOIN messages m ON m.id = c.last_message_id \
         WHERE c.app_id = ?1 AND c.conversation_key IN ({PARTICIPANT_CONVERSATIONS}) {extra}"
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
const READABLE_RANGES: &str = "SELECT d.conversation_key, 0, NULL FROM direct_conversations d \
     JOIN conversations c ON c.app_id = d.app_id AND c.conversation_key = d.conversation_key \
     WHERE d.app_id = ?1 AND d.uid = ?2 AND c.last_event_id > ?3 \
     UNION ALL SELECT 'g:' || p.guid, p.from_id, p.to_id FROM membership_periods p \
     JOIN conversations c ON c.app_id = p.app_id AND c.conversation_key = 'g:' || p.guid \
     WHERE p.app_id = ?1 AND p.uid = ?2 AND c.last_event_id > max(p.from_id, ?3)";

/// Adds `filter`'s conditions but the participant (category, type, sender, deleted, cursor), then the
/// order and limit; true when the order is newest first.
fn push_conditions(query: &mut QueryBuilder<'_, Sqlite>, filter: &MessageFilter) -> bool {
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
        query.push(" AND m.deleted_at IS NULL AND m.id IN (SELECT rowid FROM message_search WHERE message_search MATCH ");
        query.push_bind(fts_query(words)).push(")");
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

/// An FTS5 query that finds every word of `words` as a word's start (each quoted, so nothing in them is
/// query syntax).
fn fts_query(words: &[String]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("\"{}\"*", w.replace('"', "\"\""))).collect();
    quoted.join(" ")
}

/// Messages by `filter` for a participant: the page of each readable range (one indexed range scan each),
/// merged, in one read transaction so no commit falls between them.
async fn participant_messages(pool: &sqlx::SqlitePool, app_id: &str, uid: &str, filter: &MessageFilter) -> StoreResult<Vec<Message>> {
    let after = match filter.cursor {
        Cursor::After(Some(id)) => id,
        _ => 0,
    };
    let mut tx = pool.begin().await?;
    let rows = sqlx::query(READABLE_RANGES).bind(app_id).bind(uid).bind(after).fetch_all(&mut *tx).await?;
    let wanted = filter.conversation_id.as_ref().map(ConversationKey::storage_key);
    let ranges = rows
        .iter()
        .map(|r| ReadableRange { key: r.get(0), from: r.get(1), to: r.get(2) })
        .filter(|r| wanted.as_ref().is_none_or(|w| *w == r.key));
    let mut messages = Vec::new();
    let mut newest_first = false;
    for range in ranges {
        let mut query = QueryBuilder::<Sqlite>::new(format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = "));
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

#[async_trait]
impl MessageStore for SqliteStore {
    fn message_log_signal(&self) -> Arc<Notify> {
        self.committed.clone()
    }

    async fn message_log(&self, after: i64, limit: u32) -> StoreResult<Vec<(String, Message)>> {
        let rows = sqlx::query(&format!("SELECT {MESSAGE_COLUMNS}, m.app_id FROM messages m WHERE m.id > ? ORDER BY m.id LIMIT ?"))
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.get("app_id"), rows::message(r)?))).collect()
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
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = ? AND m.id = ? AND substr(m.conversation_key, 1, 2) != 'x:'"
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
        let mut query = QueryBuilder::<Sqlite>::new(format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = "));
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
        let mut tx = self.begin_write().await?;
        let done = match change {
            MessageChange::Edit { data, tags } => {
                let mut query = QueryBuilder::<Sqlite>::new("UPDATE messages SET data = ");
                query.push_bind(json_text(data));
                if let Some(tags) = tags {
                    query.push(", tags = ").push_bind(json_text(tags));
                }
                query.push(", edited_at = ").push_bind(now).push(", edited_by = ").push_bind(by.to_owned());
                query.push(", updated_at = ").push_bind(now);
                query.push(" WHERE app_id = ").push_bind(app_id.to_owned()).push(" AND id = ").push_bind(id);
                query.push(" AND deleted_at IS NULL");
                query.build().execute(&mut *tx).await?
            }
            MessageChange::Delete => {
                sqlx::query("DELETE FROM message_reactions WHERE app_id = ? AND message_id = ?")
                    .bind(app_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE messages SET data = ?, deleted_at = ?, deleted_by = ?, updated_at = ?, reactions = NULL, \
                     mentions = NULL WHERE app_id = ? AND id = ? AND deleted_at IS NULL",
                )
                .bind(json_text(&MessageData::default()))
                .bind(now)
                .bind(by)
                .bind(now)
                .bind(app_id)
                .bind(id)
                .execute(&mut *tx)
                .await?
            }
        };
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        insert_message(&mut tx, app_id, action).await?;
        let changed = fetch_message(&mut tx, app_id, id).await?;
        tx.commit().await?;
        self.messages_committed();
        Ok(changed)
    }

    async fn conversations(&self, app_id: &str, uid: &str, page: PageRequest) -> StoreResult<(Vec<ConversationRow>, u64)> {
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM conversations c WHERE c.app_id = ?1 AND c.conversation_key IN ({PARTICIPANT_CONVERSATIONS})"
        ))
        .bind(app_id)
        .bind(uid)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query(&conversation_query("ORDER BY c.updated_at DESC, c.last_message_id DESC LIMIT ?3 OFFSET ?4"))
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
        let row = sqlx::query(&conversation_query("AND c.conversation_key = ?3"))
            .bind(app_id)
            .bind(uid)
            .bind(key.storage_key())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(conversation_row).transpose()?.flatten())
    }

    async fn conversation_exists(&self, app_id: &str, key: &ConversationKey) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM conversations WHERE app_id = ? AND conversation_key = ?")
            .bind(app_id)
            .bind(key.storage_key())
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn change_reaction(&self, app_id: &str, change: &ReactionChange<'_>, record: &NewMessage) -> StoreResult<ReactionOutcome> {
        let id = change.message_id;
        let mut tx = self.begin_write().await?;
        let live: Option<bool> = sqlx::query_scalar(
            "SELECT deleted_at IS NULL FROM messages WHERE app_id = ? AND id = ? AND category IN ('message', 'custom') \
             AND substr(conversation_key, 1, 2) != 'x:'",
        )
        .bind(app_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if live != Some(true) {
            return Ok(ReactionOutcome::NoMessage);
        }
        let (given, emoji_there, distinct, mine): (bool, bool, i64, i64) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM message_reactions WHERE message_id = ?1 AND uid = ?2 AND reaction = ?3), \
             EXISTS (SELECT 1 FROM message_reactions WHERE message_id = ?1 AND reaction = ?3), \
             (SELECT COUNT(DISTINCT reaction) FROM message_reactions WHERE message_id = ?1), \
             (SELECT COUNT(*) FROM message_reactions WHERE message_id = ?1 AND uid = ?2)",
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
                sqlx::query("INSERT INTO message_reactions (app_id, message_id, uid, reaction, reacted_at) VALUES (?, ?, ?, ?, ?)")
                    .bind(app_id)
                    .bind(id)
                    .bind(change.uid)
                    .bind(change.reaction)
                    .bind(change.now)
                    .execute(&mut *tx)
                    .await?;
            }
            ReactionStep::Delete => {
                sqlx::query("DELETE FROM message_reactions WHERE message_id = ? AND uid = ? AND reaction = ?")
                    .bind(id)
                    .bind(change.uid)
                    .bind(change.reaction)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let given: Vec<(String, String)> = sqlx::query_as("SELECT reaction, uid FROM message_reactions WHERE message_id = ? ORDER BY id")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        let counts = reaction_counts(given);
        let column = (!counts.is_empty()).then(|| json_text(&counts));
        sqlx::query("UPDATE messages SET reactions = ? WHERE app_id = ? AND id = ?").bind(column).bind(app_id).bind(id).execute(&mut *tx).await?;
        insert_message(&mut tx, app_id, &reaction_record(record, &counts)).await?;
        let changed = fetch_message(&mut tx, app_id, id).await?.ok_or(StoreError::Closed)?;
        tx.commit().await?;
        self.messages_committed();
        Ok(ReactionOutcome::Changed(changed))
    }

    async fn reactions(&self, app_id: &str, message_id: i64, reaction: Option<&str>, after: i64, limit: u32) -> StoreResult<Vec<ReactionRow>> {
        let rows: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, message_id, reaction, uid, reacted_at FROM message_reactions WHERE app_id = ?1 AND message_id = ?2 \
             AND (?3 IS NULL OR reaction = ?3) AND id > ?4 ORDER BY id LIMIT ?5",
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
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<Sqlite>::new("SELECT message_id, reaction FROM message_reactions WHERE app_id = ");
        query.push_bind(app_id.to_owned()).push(" AND uid = ").push_bind(uid.to_owned()).push(" AND message_id IN (");
        let mut ids = query.separated(", ");
        for id in message_ids {
            ids.push_bind(*id);
        }
        query.push(") ORDER BY id");
        Ok(query.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn messages_by_id(&self, app_id: &str, ids: &[i64]) -> StoreResult<Vec<Message>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<Sqlite>::new(format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = "));
        query.push_bind(app_id.to_owned()).push(" AND substr(m.conversation_key, 1, 2) != 'x:' AND m.id IN (");
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        query.push(") ORDER BY m.id");
        query.build().fetch_all(&self.pool).await?.iter().map(rows::message).collect()
    }

    async fn mark_unread(&self, app_id: &str, uid: &str, key: &ConversationKey, read_up_to: i64) -> StoreResult<()> {
        sqlx::query("UPDATE read_marks SET read_id = ?4 WHERE app_id = ?1 AND uid = ?2 AND conversation_key = ?3 AND read_id > ?4")
            .bind(app_id)
            .bind(uid)
            .bind(key.storage_key())
            .bind(read_up_to.max(0))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn mark(&self, app_id: &str, uid: &str, key: &ConversationKey, message_id: i64, kind: ReceiptKind) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let found: Option<(i64, i64)> = sqlx::query_as(
            "SELECT read_id, delivered_id FROM read_marks WHERE app_id = ?1 AND uid = ?2 AND conversation_key = ?3",
        )
        .bind(app_id)
        .bind(uid)
        .bind(key.storage_key())
        .fetch_optional(&mut *tx)
        .await?;
        let before = found.map(|(read, delivered)| Marks { read, delivered }).unwrap_or_default();
        let after = before.advanced(kind == ReceiptKind::Read, message_id);
        if after == before {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO read_marks (app_id, uid, conversation_key, read_id, delivered_id) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (app_id, uid, conversation_key) DO UPDATE SET read_id = ?4, delivered_id = ?5",
        )
        .bind(app_id)
        .bind(uid)
        .bind(key.storage_key())
        .bind(after.read)
        .bind(after.delivered)
        .execute(&mut *tx)
        .await?;
        let subscriptions = outbox::webhook_subscriptions(&mut tx, app_id).await?;
        let deliveries = routing::receipt_deliveries(uid, key, before, after, &subscriptions);
        outbox::insert(&mut tx, app_id, &deliveries).await?;
        tx.commit().await?;
        if !deliveries.is_empty() {
            self.deliveries.notify_one();
        }
        Ok(())
    }
}
