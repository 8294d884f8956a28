//! Turning rows into API types, and JSON columns to and from text. Tags are `TEXT[]`; JSON documents are
//! `TEXT` holding the JSON the server wrote.

use confab_protocol::ids::{group_conversation_id, ConversationKey};
use confab_protocol::rest::groups::{Group, GroupType};
use confab_protocol::rest::messages::{Category, Message, MessageData, ReceiverType};
use confab_protocol::rest::users::User;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

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

pub fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

/// A JSON object column.
pub fn json_value(text: Option<String>) -> StoreResult<Option<Value>> {
    text.map(|t| serde_json::from_str(&t).map_err(|e| corrupt("metadata", e))).transpose()
}

/// Text of a JSON value.
pub fn json_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("JSON values serialise")
}

/// A user from a row read with [`USER_COLUMNS`].
pub fn user(row: &PgRow) -> StoreResult<User> {
    Ok(User {
        uid: row.try_get(0)?,
        name: row.try_get(1)?,
        avatar: row.try_get(2)?,
        link: row.try_get(3)?,
        role: row.try_get(4)?,
        status_message: row.try_get(5)?,
        metadata: json_value(row.try_get(6)?)?,
        tags: row.try_get(7)?,
        status: "offline".into(),
        last_active_at: row.try_get(8)?,
        created_at: row.try_get(9)?,
        updated_at: row.try_get(10)?,
        deactivated_at: row.try_get(11)?,
        blocked_by_me: None,
        has_blocked_me: None,
        auth_token: None,
    })
}

/// A message from a row read with [`MESSAGE_COLUMNS`].
pub fn message(row: &PgRow) -> StoreResult<Message> {
    let receiver_type: String = row.try_get(5)?;
    let category: String = row.try_get(6)?;
    let data: String = row.try_get(8)?;
    let receiver_type = ReceiverType::parse(&receiver_type).ok_or_else(|| corrupt("receiver_type", receiver_type))?;
    let (sender, receiver): (String, String) = (row.try_get(3)?, row.try_get(4)?);
    // The wire id follows from the message's structure, like its stored key.
    let conversation = ConversationKey::of_message(receiver_type, &sender, &receiver);
    Ok(Message {
        id: row.try_get::<i64, _>(0)?.to_string(),
        muid: row.try_get(1)?,
        conversation_id: conversation.wire_id(),
        sender,
        receiver,
        receiver_type,
        category: Category::parse(&category).ok_or_else(|| corrupt("category", category))?,
        message_type: row.try_get(7)?,
        data: MessageData {
            reactions: reactions_column(row.try_get(21)?).map_err(|e| corrupt("reactions", e))?,
            ..serde_json::from_str::<MessageData>(&data).map_err(|e| corrupt("data", e))?
        },
        tags: row.try_get(9)?,
        sent_at: row.try_get(10)?,
        updated_at: row.try_get(11)?,
        edited_at: row.try_get(12)?,
        edited_by: row.try_get(13)?,
        deleted_at: row.try_get(14)?,
        deleted_by: row.try_get(15)?,
        parent_id: row.try_get::<Option<i64>, _>(16)?.map(|id| id.to_string()),
        reply_count: Some(row.try_get::<i32, _>(17)? as u32).filter(|n| *n > 0),
        last_reply_at: row.try_get(18)?,
        quoted_message_id: row.try_get::<Option<i64>, _>(19)?.map(|id| id.to_string()),
        quoted_message: None,
        mentioned_users: mentions_column(row.try_get::<Option<String>, _>(20)?).map_err(|e| corrupt("mentions", e))?,
    })
}


/// A group from a row read with [`GROUP_COLUMNS`]; caller-specific fields unset.
pub fn group(row: &PgRow) -> StoreResult<Group> {
    let guid: String = row.try_get(0)?;
    let group_type: String = row.try_get(2)?;
    Ok(Group {
        conversation_id: group_conversation_id(&guid),
        guid,
        name: row.try_get(1)?,
        group_type: GroupType::parse(&group_type).ok_or_else(|| corrupt("group_type", group_type))?,
        icon: row.try_get(3)?,
        description: row.try_get(4)?,
        metadata: json_value(row.try_get(5)?)?,
        owner: row.try_get(6)?,
        tags: row.try_get(7)?,
        created_at: row.try_get(8)?,
        updated_at: row.try_get(9)?,
        members_count: row.try_get::<i64, _>(10)? as u64,
        scope: None,
        has_joined: false,
        joined_at: None,
    })
}

/// Adds `, column = value` to an UPDATE for a text patch; `Clear` writes `cleared` (NULL when `None`).
pub fn push_text_patch<'a>(query: &mut QueryBuilder<'a, Postgres>, column: &str, patch: &'a Patch<String>, cleared: Option<&'a str>) {
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

/// Adds `, column = json` to an UPDATE for a JSON (text) patch; `Clear` writes NULL.
pub fn push_json_patch<T: serde::Serialize>(query: &mut QueryBuilder<'_, Postgres>, column: &str, patch: &Patch<T>) {
    match patch {
        Patch::Keep => {}
        Patch::Set(value) => {
            query.push(format!(", {column} = ")).push_bind(json_text(value));
        }
        Patch::Clear => {
            query.push(format!(", {column} = NULL"));
        }
    }
}

/// Adds `, column = tags` to an UPDATE for a tags (`TEXT[]`) patch; `Clear` writes no tags.
pub fn push_tags_patch<'a>(query: &mut QueryBuilder<'a, Postgres>, column: &str, patch: &'a Patch<Vec<String>>) {
    match patch {
        Patch::Keep => {}
        Patch::Set(tags) => {
            query.push(format!(", {column} = ")).push_bind(tags.as_slice());
        }
        Patch::Clear => {
            query.push(format!(", {column} = '{{}}'"));
        }
    }
}
