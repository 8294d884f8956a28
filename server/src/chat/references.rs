//! What a message points at: the thread it replies in (`parentId`), the message it quotes
//! (`quotedMessageId`) and the users it mentions (`<@uid:UID>` in its text). A send is checked here before it
//! is stored; lists and frames get the quoted message filled in by [`with_quotes`].

use confab_protocol::limits::MAX_MENTIONS;
use confab_protocol::rest::messages::{mentioned_uids, Category, MentionedUser, Message, ReceiverType};
use confab_protocol::rest::variants::switches;
use std::collections::HashMap;

use super::SentBy;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{key_of, NewMessage, Store, StoreResult};

/// A send's references, checked.
#[derive(Debug, Default)]
pub struct References {
    /// The thread's first message.
    pub parent_id: Option<i64>,
    /// The quoted message.
    pub quoted_id: Option<i64>,
    /// The users mentioned who may read the message.
    pub mentions: Vec<MentionedUser>,
}

fn message_id(field: &str, id: &str) -> ApiResult<i64> {
    id.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::bad_field(field, "must be a message id"))
}

fn not_there(field: &str, id: &str) -> ApiError {
    ApiError::not_found(confab_protocol::api_error::ApiErrorCode::ErrMessageNotFound, format!("no message {id} in this conversation"))
        .with_field(field)
}

/// The message `id` names, if it is a live message or custom message of `message`'s conversation.
async fn in_conversation(state: &AppState, app_id: &str, message: &NewMessage, field: &str, id: &str) -> ApiResult<Message> {
    let number = message_id(field, id)?;
    let found = state.store.message(app_id, number).await?.filter(|m| key_of(m) == message.key());
    let found = found.ok_or_else(|| not_there(field, id))?;
    if found.deleted_at.is_some() || !matches!(found.category, Category::Message | Category::Custom) {
        return Err(not_there(field, id));
    }
    Ok(found)
}

/// Refuses `switch` for a session whose variant turns it off, naming `field`.
async fn allowed(state: &AppState, app_id: &str, by: SentBy<'_>, switch: confab_protocol::rest::variants::Switch) -> ApiResult<()> {
    if let SentBy::Session { variant_id } = by {
        if !state.variant_features.enabled(state.store.as_ref(), app_id, variant_id, switch).await? {
            return Err(crate::variant_features::disabled(&switch.path()));
        }
    }
    Ok(())
}

/// Checks what `message` replies to, quotes and mentions.
pub async fn check(
    state: &AppState,
    app_id: &str,
    by: SentBy<'_>,
    message: &NewMessage,
    parent_id: Option<&str>,
    quoted_id: Option<&str>,
) -> ApiResult<References> {
    let mut references = References::default();
    if let Some(id) = parent_id {
        allowed(state, app_id, by, switches::THREADS).await?;
        let parent = in_conversation(state, app_id, message, "parentId", id).await?;
        if parent.parent_id.is_some() {
            return Err(ApiError::bad_field("parentId", "threads are one level deep: reply to the thread's first message"));
        }
        references.parent_id = Some(message_id("parentId", id)?);
    }
    if let Some(id) = quoted_id {
        allowed(state, app_id, by, switches::QUOTED_REPLIES).await?;
        in_conversation(state, app_id, message, "quotedMessageId", id).await?;
        references.quoted_id = Some(message_id("quotedMessageId", id)?);
    }
    let uids = mentioned_uids(message.data.text.as_deref().unwrap_or_default());
    if !uids.is_empty() {
        allowed(state, app_id, by, switches::MENTIONS).await?;
        if uids.len() > MAX_MENTIONS {
            return Err(ApiError::over_limit("data.text", MAX_MENTIONS, "mentions"));
        }
        references.mentions = mentionable(state.store.as_ref(), app_id, message, uids).await?;
    }
    Ok(references)
}

/// Of `uids`, the users who may read `message` and have no block with its sender either way, with their
/// names. Anyone else stays plain text: no highlight, no notification, and nothing that tells the sender
/// about a block.
async fn mentionable(store: &dyn Store, app_id: &str, message: &NewMessage, uids: Vec<String>) -> StoreResult<Vec<MentionedUser>> {
    let mut out = Vec::new();
    for uid in uids {
        if uid == message.sender {
            continue;
        }
        let reads = match message.receiver_type {
            ReceiverType::User => uid == message.receiver,
            ReceiverType::Group => store.membership(app_id, &message.receiver, &uid).await?.is_some(),
        };
        if !reads || store.blocked_either_way(app_id, &message.sender, &uid).await? {
            continue;
        }
        if let Some(user) = store.user(app_id, &uid).await?.filter(|u| u.deactivated_at.is_none()) {
            out.push(MentionedUser { uid: user.uid, name: user.name });
        }
    }
    Ok(out)
}

/// Fills in `quotedMessage` on each of `messages` that quotes one (as it is now; a deleted one has no
/// content), in one read.
pub async fn with_quotes(store: &dyn Store, app_id: &str, messages: &mut [Message]) -> StoreResult<()> {
    let mut ids: Vec<i64> = messages.iter().filter_map(|m| m.quoted_message_id.as_deref()?.parse().ok()).collect();
    if ids.is_empty() {
        return Ok(());
    }
    ids.sort_unstable();
    ids.dedup();
    let quoted: HashMap<String, Message> = store.messages_by_id(app_id, &ids).await?.into_iter().map(|m| (m.id.clone(), m)).collect();
    for message in messages.iter_mut() {
        let found = message.quoted_message_id.as_ref().and_then(|id| quoted.get(id));
        // Only from the same conversation (a send checks it; this keeps it so whatever the store holds).
        message.quoted_message = found.filter(|q| key_of(q) == key_of(message)).cloned().map(Box::new);
    }
    Ok(())
}
