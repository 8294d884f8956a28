//! [`MessageStore`] on SQLite. Sends go through the [`writer`](super::writer); the SQL that stores a
//! message is shared with it.

use async_trait::async_trait;
use confab_protocol::realtime::ReceiptKind;
use confab_protocol::rest::messages::{Message, MessageData, ReceiverType};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use std::sync::Arc;
use tokio::sync::Notify;

use super::rows::{self, json_text, MESSAGE_COLUMNS};
use super::writer::Written;
use super::SqliteStore;
use crate::store::{
    ConversationRow, Cursor, MessageChange, MessageFilter, MessageStore, NewMessage, PageRequest, SendOutcome,
    StoreError, StoreResult,
};

/// Stores a message unless its sender used its `muid` before; returns the new id (or no row).
pub const INSERT_MESSAGE: &str = "INSERT INTO messages (app_id, conversation_id, sender, receiver, receiver_type, \
     category, message_type, data, tags, muid, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
     ON CONFLICT (app_id, sender, muid) WHERE muid IS NOT NULL DO NOTHING RETURNING id";
/// The id of the message a sender stored under a `muid`.
pub const MESSAGE_BY_MUID: &str = "SELECT id FROM messages WHERE app_id = ?1 AND sender = ?2 AND muid = ?3";
/// Moves a conversation's last message (creating the conversation).
pub const UPSERT_CONVERSATION: &str = "INSERT INTO conversations (app_id, conversation_id, conversation_type, \
     last_message_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (app_id, conversation_id) \
     DO UPDATE SET last_message_id = excluded.last_message_id, updated_at = excluded.updated_at";
/// Records a 1:1 conversation for both of its users.
pub const INSERT_DIRECT: &str = "INSERT OR IGNORE INTO direct_conversations (app_id, uid, conversation_id, with_uid) \
     VALUES (?1, ?2, ?3, ?4), (?1, ?4, ?3, ?2)";

/// The message `message` became when stored with `id`.
pub fn stored_message(id: i64, message: &NewMessage) -> Message {
    Message {
        id: id.to_string(),
        muid: message.muid.clone(),
        conversation_id: message.conversation_id.clone(),
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
    }
}

/// Stores `message` on `conn` (inside the caller's transaction) and moves its conversation's last message.
/// With a `muid` the sender used before, returns the stored message and `false`.
pub async fn insert_message(
    conn: &mut SqliteConnection,
    app_id: &str,
    message: &NewMessage,
) -> StoreResult<(Message, bool)> {
    let inserted: Option<i64> = sqlx::query_scalar(INSERT_MESSAGE)
        .bind(app_id)
        .bind(&message.conversation_id)
        .bind(&message.sender)
        .bind(&message.receiver)
        .bind(message.receiver_type.as_str())
        .bind(message.category.as_str())
        .bind(&message.message_type)
        .bind(json_text(&message.data))
        .bind(json_text(&message.tags))
        .bind(&message.muid)
        .bind(message.sent_at)
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
    sqlx::query(UPSERT_CONVERSATION)
        .bind(app_id)
        .bind(&message.conversation_id)
        .bind(message.receiver_type.as_str())
        .bind(id)
        .bind(message.sent_at)
        .execute(&mut *conn)
        .await?;
    if message.receiver_type == ReceiverType::User {
        sqlx::query(INSERT_DIRECT)
            .bind(app_id)
            .bind(&message.sender)
            .bind(&message.conversation_id)
            .bind(&message.receiver)
            .execute(&mut *conn)
            .await?;
    }
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
const PARTICIPANT_CONVERSATIONS: &str = "SELECT conversation_id FROM direct_conversations WHERE app_id = ?1 AND uid = ?2 \
     UNION ALL SELECT 'group_' || guid FROM group_members WHERE app_id = ?1 AND uid = ?2";

fn conversation_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<ConversationRow> {
    let conversation_type: String = row.get("conversation_type");
    let last_message = match row.get::<Option<i64>, _>("id") {
        Some(_) => Some(rows::message(row)?),
        None => None,
    };
    Ok(ConversationRow {
        conversation_id: row.get("c_id"),
        conversation_type: ReceiverType::parse(&conversation_type)
            .ok_or_else(|| StoreError::Corrupt(format!("conversation_type {conversation_type}")))?,
        with_id: row.get("with_id"),
        last_message,
        unread: row.get::<i64, _>("unread") as u64,
        updated_at: row.get("c_updated_at"),
    })
}

/// The conversation-list query for `?1` app and `?2` uid, with an extra condition. The message columns
/// come first so [`rows::message`] reads them by position.
fn conversation_query(extra: &str) -> String {
    format!(
        "SELECT {MESSAGE_COLUMNS}, c.conversation_id AS c_id, c.conversation_type, c.updated_at AS c_updated_at, \
         COALESCE(d.with_uid, substr(c.conversation_id, 7)) AS with_id, \
         (SELECT COUNT(*) FROM messages x WHERE x.app_id = ?1 AND x.conversation_id = c.conversation_id \
            AND x.id > COALESCE(r.read_id, 0) AND x.sender != ?2 AND x.deleted_at IS NULL \
            AND x.category != 'action') AS unread \
         FROM conversations c \
         LEFT JOIN direct_conversations d ON d.app_id = ?1 AND d.uid = ?2 AND d.conversation_id = c.conversation_id \
         LEFT JOIN read_marks r ON r.app_id = ?1 AND r.uid = ?2 AND r.conversation_id = c.conversation_id \
         LEFT JOIN messages m ON m.id = c.last_message_id \
         WHERE c.app_id = ?1 AND c.conversation_id IN ({PARTICIPANT_CONVERSATIONS}) {extra}"
    )
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
        let mut conn = self.pool.acquire().await?;
        fetch_message(&mut conn, app_id, id).await
    }

    async fn list_messages(&self, app_id: &str, filter: &MessageFilter) -> StoreResult<Vec<Message>> {
        let mut query = QueryBuilder::<Sqlite>::new(format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = "));
        query.push_bind(app_id.to_owned());
        if let Some(conversation) = &filter.conversation_id {
            query.push(" AND m.conversation_id = ").push_bind(conversation.clone());
        }
        if let Some(uid) = &filter.participant {
            query.push(" AND (m.conversation_id IN (SELECT conversation_id FROM direct_conversations WHERE app_id = ");
            query.push_bind(app_id.to_owned()).push(" AND uid = ").push_bind(uid.clone());
            query.push(" UNION ALL SELECT 'group_' || guid FROM group_members WHERE app_id = ");
            query.push_bind(app_id.to_owned()).push(" AND uid = ").push_bind(uid.clone()).push(")");
            if let Cursor::After(Some(after)) = filter.cursor {
                // A group the user left after `after`: its messages up to the user's last removal.
                query.push(
                    " OR m.id <= (SELECT MAX(a.id) FROM messages a WHERE a.app_id = m.app_id \
                     AND a.conversation_id = m.conversation_id AND a.category = 'action' \
                     AND a.message_type = 'groupMember' AND a.id > ",
                );
                query.push_bind(after).push(" AND json_extract(a.data, '$.action') IN ('left', 'kicked', 'banned')");
                query.push(" AND json_extract(a.data, '$.entities.on.uid') = ").push_bind(uid.clone()).push(")");
            }
            query.push(")");
        }
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
                sqlx::query(
                    "UPDATE messages SET data = ?, deleted_at = ?, deleted_by = ?, updated_at = ? \
                     WHERE app_id = ? AND id = ? AND deleted_at IS NULL",
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
            "SELECT COUNT(*) FROM conversations c WHERE c.app_id = ?1 AND c.conversation_id IN ({PARTICIPANT_CONVERSATIONS})"
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
        let list = rows.iter().map(conversation_row).collect::<StoreResult<Vec<_>>>()?;
        Ok((list, total as u64))
    }

    async fn conversation(&self, app_id: &str, uid: &str, conversation_id: &str) -> StoreResult<Option<ConversationRow>> {
        let row = sqlx::query(&conversation_query("AND c.conversation_id = ?3"))
            .bind(app_id)
            .bind(uid)
            .bind(conversation_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(conversation_row).transpose()
    }

    async fn mark(&self, app_id: &str, uid: &str, conversation_id: &str, message_id: i64, kind: ReceiptKind) -> StoreResult<()> {
        let sql = match kind {
            ReceiptKind::Read => {
                "INSERT INTO read_marks (app_id, uid, conversation_id, read_id, delivered_id) VALUES (?1, ?2, ?3, ?4, ?4) \
                 ON CONFLICT (app_id, uid, conversation_id) DO UPDATE SET \
                 read_id = max(read_id, excluded.read_id), delivered_id = max(delivered_id, excluded.delivered_id)"
            }
            ReceiptKind::Delivered => {
                "INSERT INTO read_marks (app_id, uid, conversation_id, delivered_id) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (app_id, uid, conversation_id) DO UPDATE SET \
                 delivered_id = max(delivered_id, excluded.delivered_id)"
            }
        };
        sqlx::query(sql).bind(app_id).bind(uid).bind(conversation_id).bind(message_id).execute(&self.pool).await?;
        // A moved mark may have queued receipt webhooks.
        self.deliveries.notify_one();
        Ok(())
    }
}
