//! The message search over REST: `searchKey` on the open conversation's message list, or on every message
//! the visitor may read (`GET /messages`).

use confab_protocol::rest::messages::{Category, Message, MessagePage, ReceiverType};

use super::{oldest_first, Chat, Peer};
use crate::net::http::{encode, CallError};

/// Messages a search shows at most.
pub const SEARCH_PAGE: u32 = 30;

impl Chat {
    /// The messages whose text holds every word of `text` (each as the start of a word, in any case), newest
    /// first: in the conversation with `peer`, or, without one, everywhere the visitor may read.
    pub async fn search_messages(&self, text: &str, peer: Option<&Peer>) -> Result<Vec<Message>, CallError> {
        let base = match peer {
            Some(peer) if peer.kind == ReceiverType::User => format!("/users/{}/messages", encode(&peer.id)),
            Some(peer) => format!("/groups/{}/messages", encode(&peer.id)),
            None => "/messages".to_owned(),
        };
        let (api, token) = self.rest();
        let path = format!("{base}?searchKey={}&limit={SEARCH_PAGE}&hideDeleted=true", encode(text));
        let page: MessagePage = api.get(&path, &token).await?;
        let mut found = page.data;
        found.retain(|m| m.category != Category::Action);
        oldest_first(&mut found);
        found.reverse();
        Ok(found)
    }
}
