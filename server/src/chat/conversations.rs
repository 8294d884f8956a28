//! Which conversation a wire id names for a user: ids like `a_user_b` can name a 1:1 conversation and a
//! group's, so they are read against the caller.

use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::ids::ConversationKey;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::ConversationRow;

/// 404 `ERR_CONVERSATION_NOT_FOUND` for `id`.
pub fn conversation_not_found(id: &str) -> ApiError {
    ApiError::not_found(ApiErrorCode::ErrConversationNotFound, format!("no conversation {id}"))
}

/// `uid`'s conversation with wire id `conversation_id`: of the conversations that id can name, the one
/// they take part in.
pub async fn resolve(state: &AppState, app_id: &str, uid: &str, conversation_id: &str) -> ApiResult<ConversationRow> {
    for key in ConversationKey::parse_wire(&conversation_id.to_ascii_lowercase()) {
        if matches!(key, ConversationKey::Direct(..)) && !key.has_user(uid) {
            continue;
        }
        if let Some(row) = state.store.conversation(app_id, uid, &key).await? {
            return Ok(row);
        }
    }
    Err(conversation_not_found(conversation_id))
}
