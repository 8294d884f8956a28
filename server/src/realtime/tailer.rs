//! The message tailer: after every commit that stored messages, reads the new messages back from storage
//! in id order and publishes each to the users who should get it — both users of a 1:1 conversation, every
//! member of a group (and the member a change concerns). Edits, deletes and member changes also publish
//! their own frames.
//!
//! Because messages are published in id order from what was committed, every device sees the messages of a
//! conversation in id order, and resuming from the last id it has leaves no gap. With several nodes on one
//! database each node runs its own tailer and feeds only its own hub (through its local broker); this holds
//! across nodes because every backend commits message ids in id order (see the PostgreSQL store's docs).

use confab_protocol::realtime::ServerFrame;
use confab_protocol::rest::groups::MemberScope;
use confab_protocol::rest::messages::{Category, Message, ReceiverType};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::{Broker, Event};
use crate::media::urls::MediaUrls;
use crate::store::{Store, StoreResult};

/// Messages read back per query.
const BATCH: u32 = 500;
/// How long a member list is trusted at most: the store's membership generation moves with every change
/// this node hears of, and a member change's action message clears its group, but a notification from
/// another node can be lost while a listener reconnects.
const MEMBERS_TRUSTED_FOR: Duration = Duration::from_secs(2);
/// How long the tailer waits before reading again after the store failed it.
const RETRY_AFTER: Duration = Duration::from_millis(200);

/// Member lists of groups, valid while the store's membership generation stays the same, for at most
/// [`MEMBERS_TRUSTED_FOR`].
struct MemberCache {
    generation: u64,
    since: tokio::time::Instant,
    groups: HashMap<(String, String), Arc<Vec<String>>>,
}

impl Default for MemberCache {
    fn default() -> Self {
        Self { generation: 0, since: tokio::time::Instant::now(), groups: HashMap::new() }
    }
}

/// Groups whose members are remembered at once.
const MAX_CACHED_GROUPS: usize = 10_000;

impl MemberCache {
    /// The members of `guid`, read again whenever any membership changed since they were read.
    async fn members(&mut self, store: &dyn Store, app_id: &str, guid: &str) -> StoreResult<Arc<Vec<String>>> {
        let generation = store.membership_generation();
        if generation != self.generation || self.groups.len() >= MAX_CACHED_GROUPS || self.since.elapsed() > MEMBERS_TRUSTED_FOR {
            self.groups.clear();
            self.generation = generation;
            self.since = tokio::time::Instant::now();
        }
        let key = (app_id.to_owned(), guid.to_owned());
        if let Some(members) = self.groups.get(&key) {
            return Ok(members.clone());
        }
        let members = Arc::new(store.member_uids(app_id, guid).await?);
        // Cached only if nothing changed while reading.
        if store.membership_generation() == generation {
            self.groups.insert(key, members.clone());
        }
        Ok(members)
    }

    /// Forgets `guid`'s members (its membership just changed).
    fn forget(&mut self, app_id: &str, guid: &str) {
        self.groups.remove(&(app_id.to_owned(), guid.to_owned()));
    }
}

/// Publishes every message stored from now on, until the store goes away.
pub async fn run(store: Arc<dyn Store>, broker: Arc<super::InProcessBroker>, urls: Arc<MediaUrls>) {
    let signal = store.message_log_signal();
    let mut members = MemberCache::default();
    // Where to start: never from 0 (that would publish the whole history again), so wait for the store.
    let mut last = loop {
        match store.newest_message_id().await {
            Ok(id) => break id,
            Err(e) => {
                tracing::warn!(error = %e, "tailer cannot read the newest message id; retrying");
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    };
    loop {
        tokio::select! {
            _ = signal.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        loop {
            let batch = match store.message_log(last, BATCH).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %e, "tailer cannot read new messages; retrying");
                    break;
                }
            };
            if batch.is_empty() {
                break;
            }
            // A message is passed only once published: after a failure (the store busy or away) the same
            // message is tried again, so no device misses it.
            let mut failed = false;
            for (app_id, message) in batch {
                let id = message.id.parse().unwrap_or(last);
                if let Err(e) = publish(store.as_ref(), broker.as_ref(), &mut members, &urls, &app_id, message).await {
                    tracing::warn!(error = %e, id, "tailer could not publish a message; retrying");
                    failed = true;
                    break;
                }
                last = id;
            }
            if failed {
                tokio::time::sleep(RETRY_AFTER).await;
                continue;
            }
        }
    }
}

fn entity<'a>(message: &'a Message, role: &str, key: &str) -> Option<&'a str> {
    message.data.entities.as_ref()?.get(role)?.get(key)?.as_str()
}

async fn publish(
    store: &dyn Store,
    broker: &dyn Broker,
    members: &mut MemberCache,
    urls: &MediaUrls,
    app_id: &str,
    mut message: Message,
) -> StoreResult<()> {
    crate::chat::references::with_quotes(store, app_id, std::slice::from_mut(&mut message)).await?;
    urls.sign_message(&mut message);
    let action = (message.category == Category::Action).then(|| message.data.action.clone()).flatten();
    let member_change = message.message_type == "groupMember";
    if member_change && message.receiver_type == ReceiverType::Group {
        members.forget(app_id, &message.receiver);
    }
    let recipients: Vec<String> = match message.receiver_type {
        ReceiverType::User => vec![message.sender.clone(), message.receiver.clone()],
        ReceiverType::Group => {
            // Read at publish time, a moment after the commit: a member removed in between gets the
            // message on their next resume instead.
            let mut list = members.members(store, app_id, &message.receiver).await?.as_ref().clone();
            if let Some(on) = entity(&message, "on", "uid").filter(|_| member_change) {
                if !list.iter().any(|m| m == on) {
                    list.push(on.to_owned());
                }
            }
            list
        }
    };
    let deliver = |frame: ServerFrame| {
        broker.publish(Event::Deliver { app_id: app_id.to_owned(), recipients: recipients.clone(), frame });
    };
    let follow_up = match (action.as_deref(), member_change) {
        (Some(action @ ("edited" | "deleted")), false) => {
            let changed = match entity(&message, "on", "id").and_then(|id| id.parse().ok()) {
                Some(id) => store.message(app_id, id).await?,
                None => None,
            };
            changed.map(|mut changed| {
                urls.sign_message(&mut changed);
                changed
            }).map(|changed| match action {
                "edited" => ServerFrame::MessageEdited { message: changed },
                _ => ServerFrame::MessageDeleted { message: changed },
            })
        }
        (Some(action), true) => Some(ServerFrame::GroupMember {
            guid: message.receiver.clone(),
            action: action.to_owned(),
            uid: entity(&message, "on", "uid").unwrap_or_default().to_owned(),
            by: entity(&message, "by", "uid").unwrap_or_default().to_owned(),
            scope: scope_after(&message),
        }),
        _ => None,
    };
    deliver(ServerFrame::Message { message });
    if let Some(frame) = follow_up {
        deliver(frame);
    }
    Ok(())
}

/// The member's scope after an `added` or `scopeChanged` action.
fn scope_after(message: &Message) -> Option<MemberScope> {
    let extra = message.data.entities.as_ref()?.get("extra")?;
    let scope = match extra.get("scope")? {
        Value::String(s) => s.as_str(),
        other => other.get("to")?.as_str()?,
    };
    MemberScope::parse(scope)
}
