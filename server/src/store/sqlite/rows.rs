//! Turning rows into API types, and JSON columns to and from text.

use confab_protocol::ids::{group_conversation_id, ConversationKey};
use confab_protocol::rest::groups::{Group, GroupType};
use confab_protocol::rest::messages::{Category, Message, MessageData, ReceiverType};
use confab_protocol::rest::users::User;
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::store::{mentions_column, reactions_column, Patch, StoreError, StoreResult};

/// Columns [`user`] reads, in order.
pub const USER_COLUMNS: &str = "u.uid, u.name, u.avatar, u.link, u.role, u.status_message, u.metadata, u.tags, \
     u.last_active_at, u.created_at, u.updated_at, u.deactivated_at";

/// Columns [`message`] reads, in order.
pub const MESSAGE_COLUMNS: &str = "m.id, m.muid, m.conversation_key, m.sender, m.receiver, m.receiver_type, \
     m.category, m.message_type, m.data, m.tags, m.sent_at, m.updated_at, m.edited_at, m.edited_by, \
     m.deleted_at, m.deleted_by, m.parent_id, m.reply_count, m.last_reply_at, m.quoted_id, m.mentions, m.reactions";

/// Columns [`group`] reads, in order (with the member count as `members_count`).
pub const GROUP_COLUMNS: &str = "g.guid, g.name, g.group_type, g.icon, g.description, g.metadata, g.owner, g.tags, \
     g.created_at, g.updated_at, \
     (SELECT COUNT(*) FROM group_members gm WHERE gm.app_id = g.app_id AND gm.guid = g.guid) AS members_count";

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

/// A JSON object column.
pub fn json_value(text: Option<String>) -> StoreResult<Option<Value>> {
    text.map(|t| serde_json::from_str(&t).map_err(|e| corrupt("metadata", e))).transpose()
}

/// A JSON array-of-strings column.
pub fn json_tags(text: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|e| corrupt("tags", e))
}

/// Text of a JSON value.
pub fn json_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("JSON values serialise")
}

/// A user from a row read with [`USER_COLUMNS`].
pub fn user(row: &SqliteRow) -> StoreResult<User> {
    Ok(User {
        uid: row.get(0),
        name: row.get(1),
        avatar: row.get(2),
        link: row.get(3),
        role: row.get(4),
        status_message: row.get(5),
        metadata: json_value(row.get(6))?,
        tags: json_tags(row.get(7))?,
        status: "offline".into(),
        last_active_at: row.get(8),
        created_at: row.get(9),
        updated_at: row.get(10),
        deactivated_at: row.get(11),
        blocked_by_me: None,
        has_blocked_me: None,
        auth_token: None,
    })
}

/// A message from a row read with [`MESSAGE_COLUMNS`].
pub fn message(row: &SqliteRow) -> StoreResult<Message> {
    let receiver_type: String = row.get(5);
    let category: String = row.get(6);
    let data: String = row.get(8);
    let receiver_type = ReceiverType::parse(&receiver_type).ok_or_else(|| corrupt("receiver_type", receiver_type))?;
    let (sender, receiver): (String, String) = (row.get(3), row.get(4));
    // The wire id follows from the message's structure, like its stored key.
    let conversation = ConversationKey::of_message(receiver_type, &sender, &receiver);
    Ok(Message {
        id: row.get::<i64, _>(0).to_string(),
        muid: row.get(1),
        conversation_id: conversation.wire_id(),
        sender,
        receiver,
        receiver_type,
        category: Category::parse(&category).ok_or_else(|| corrupt("category", category))?,
        message_type: row.get(7),
        data: MessageData {
            reactions: reactions_column(row.get(21)).map_err(|e| corrupt("reactions", e))?,
            ..serde_json::from_str::<MessageData>(&data).map_err(|e| corrupt("data", e))?
        },
        tags: json_tags(row.get(9))?,
        sent_at: row.get(10),
        updated_at: row.get(11),
        edited_at: row.get(12),
        edited_by: row.get(13),
        deleted_at: row.get(14),
        deleted_by: row.get(15),
        parent_id: row.get::<Option<i64>, _>(16).map(|id| id.to_string()),
        reply_count: Some(row.get::<i64, _>(17) as u32).filter(|n| *n > 0),
        last_reply_at: row.get(18),
        quoted_message_id: row.get::<Option<i64>, _>(19).map(|id| id.to_string()),
        quoted_message: None,
        mentioned_users: mentions_column(row.get::<Option<String>, _>(20)).map_err(|e| corrupt("mentions", e))?,
    })
}


/// A group from a row read with [`GROUP_COLUMNS`]; caller-specific fields unset.
pub fn group(row: &SqliteRow) -> StoreResult<Group> {
    let guid: String = row.get(0);
    let group_type: String = row.get(2);
    Ok(Group {
        conversation_id: group_conversation_id(&guid),
        guid,
        name: row.get(1),
        group_type: GroupType::parse(&group_type).ok_or_else(|| corrupt("group_type", group_type))?,
        icon: row.get(3),
        description: row.get(4),
        metadata: json_value(row.get(5))?,
        owner: row.get(6),
        tags: json_tags(row.get(7))?,
        created_at: row.get(8),
        updated_at: row.get(9),
        members_count: row.get::<i64, _>(10) as u64,
        scope: None,
        has_joined: false,
        joined_at: None,
    })
}

/// Adds `, column = value` to an UPDATE for a text patch; `Clear` writes `cleared` (NULL when `None`).
pub fn push_text_patch<'a>(query: &mut QueryBuilder<'a, Sqlite>, column: &str, patch: &'a Patch<String>, cleared: Option<&'a str>) {
    match patch {
        Patch::Keep => {}
        Patch::Set(value) => {
            query.push(format!(", {column} = ")).push_bind(value.as_str());
        }
        Patch::Clear => {
            query.push(format!(", {column} = ")).push_bind(cleared);
        }
    }
}

/// Adds `, column = json` to an UPDATE for a JSON patch; `Clear` writes the SQL `cleared`.
pub fn push_json_patch<T: serde::Serialize>(query: &mut QueryBuilder<'_, Sqlite>, column: &str, patch: &Patch<T>, cleared: &str) {
    match patch {
        Patch::Keep => {}
        Patch::Set(value) => {
            query.push(format!(", {column} = ")).push_bind(json_text(value));
        }
        Patch::Clear => {
            query.push(format!(", {column} = {cleared}"));
        }
    }
}
