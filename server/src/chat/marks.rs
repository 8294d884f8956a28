//! Read and delivered marks, by REST or over the WebSocket: the mark moves (never back, in the store) and
//! the conversation's other side is told.

use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::realtime::{ReceiptKind, ServerFrame};
use confab_protocol::rest::messages::ReceiverType;

use super::resolve;
use crate::apps::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{key_of, ConversationRow};

/// Moves `uid`'s mark of `kind` in a conversation up to `message_id` (the newest when `None`) and tells the
/// conversation's other side (REST or WebSocket).
pub async fn mark_in(
    state: &AppState,
    app_id: &str,
    uid: &str,
    conversation_id: &str,
    message_id: Option<&str>,
    kind: ReceiptKind,
) -> ApiResult<()> {
    let row = resolve(state, app_id, uid, conversation_id).await?;
    mark(state, app_id, uid, row, message_id, kind).await
}

/// Moves `uid`'s mark of `kind` in their conversation `row` and tells the other side.
pub async fn mark(
    state: &AppState,
    app_id: &str,
    uid: &str,
    row: ConversationRow,
    message_id: Option<&str>,
    kind: ReceiptKind,
) -> ApiResult<()> {
    let (id, message) = match message_id {
        None => match row.last_message {
            Some(m) => (m.id.parse().unwrap_or(0), m),
            None => return Ok(()),
        },
        Some(text) => {
            let id: i64 = text.parse().map_err(|_| ApiError::bad_field("messageId", "must be a message id"))?;
            let message = state.store.message(app_id, id).await?.filter(|m| key_of(m) == row.key);
            let message = message.ok_or_else(|| {
                ApiError::not_found(ApiErrorCode::ErrMessageNotFound, "no such message in this conversation").with_field("messageId")
            })?;
            (id, message)
        }
    };
    state.store.mark(app_id, uid, &row.key, id, kind).await?;
    // A 1:1 receipt goes to the other user; a group receipt to the message's sender.
    let audience = match row.conversation_type {
        ReceiverType::User => row.with_id.clone(),
        ReceiverType::Group => message.sender.clone(),
    };
    if audience != uid {
        let frame = ServerFrame::Receipt {
            kind,
            uid: uid.to_owned(),
            conversation_id: row.conversation_id.clone(),
            message_id: id.to_string(),
            at: now_secs(),
        };
        state.realtime.deliver(app_id, vec![audience], frame);
    }
    Ok(())
}
