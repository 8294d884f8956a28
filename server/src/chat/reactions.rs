//! Reactions: giving and taking back an emoji on a message, with the limits, and marking which of a
//! message's reactions are the reader's own (`reactedByMe`).
//!
//! Each change is recorded by an action message of type `reaction` (action `reactionAdded` or
//! `reactionRemoved`; `entities`: `by.uid`, `on.id`, `extra.reaction`, and `extra.reactions`, the message's
//! counts after the change). It travels like every stored message: to everyone in the conversation, across
//! nodes, and again on resume, so a device that was away learns what changed; it moves neither the
//! conversation list nor the unread count, and message lists leave it out.

use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::limits::{MAX_REACTIONS_PER_MESSAGE, MAX_REACTIONS_PER_USER, MAX_REACTION_CHARS};
use confab_protocol::rest::messages::{is_valid_reaction, Message};

use crate::apps::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{NewMessage, ReactionChange, ReactionOutcome, Store, StoreResult};

/// Checks a reaction named in a path.
pub fn check_reaction(reaction: &str) -> ApiResult<&str> {
    if is_valid_reaction(reaction) {
        Ok(reaction)
    } else {
        Err(ApiError::bad_field("reaction", format!("must be 1-{MAX_REACTION_CHARS} characters without spaces, control characters, /, ?, # or %")))
    }
}


/// Gives (`add`) or takes back `uid`'s `reaction` on `message` (which the caller may reach); the message with
/// its reactions now.
pub async fn change(state: &AppState, app_id: &str, uid: &str, message: &Message, reaction: &str, add: bool) -> ApiResult<Message> {
    let id: i64 = message.id.parse().map_err(|_| ApiError::bad_field("id", "must be a message id"))?;
    let change = ReactionChange { message_id: id, uid, reaction, add, now: now_secs() };
    let not_found = || ApiError::not_found(ApiErrorCode::ErrMessageNotFound, format!("no message {id}"));
    let mut changed = match state.store.change_reaction(app_id, &change, &NewMessage::reaction_record(message, &change)).await? {
        ReactionOutcome::Changed(m) | ReactionOutcome::Unchanged(m) => m,
        ReactionOutcome::NoMessage => return Err(not_found()),
        ReactionOutcome::NotGiven => {
            return Err(ApiError::not_found(ApiErrorCode::ErrReactionNotFound, "you have not given this reaction").with_field("reaction"))
        }
        ReactionOutcome::TooManyOnMessage => return Err(ApiError::over_limit("reaction", MAX_REACTIONS_PER_MESSAGE, "different reactions on a message")),
        ReactionOutcome::TooManyByUser => return Err(ApiError::over_limit("reaction", MAX_REACTIONS_PER_USER, "reactions by one user on a message")),
    };
    mark_own(state.store.as_ref(), app_id, uid, std::slice::from_mut(&mut changed)).await?;
    Ok(changed)
}

/// Sets `reactedByMe` on the reactions of `messages` for `uid`, in one read.
pub async fn mark_own(store: &dyn Store, app_id: &str, uid: &str, messages: &mut [Message]) -> StoreResult<()> {
    let ids: Vec<i64> = messages.iter().filter(|m| m.data.reactions.is_some()).filter_map(|m| m.id.parse().ok()).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let own = store.reactions_by(app_id, uid, &ids).await?;
    for message in messages.iter_mut() {
        let Some(counts) = message.data.reactions.as_mut() else { continue };
        let id: i64 = message.id.parse().unwrap_or(0);
        for count in counts {
            count.reacted_by_me = Some(own.iter().any(|(m, r)| *m == id && *r == count.reaction));
        }
    }
    Ok(())
}
