//! The realtime gateway: one WebSocket per device at `/v3/ws`.
//!
//! - [`broker`]: the fan-out interface between nodes ([`InProcessBroker`] now), its guarantees, and the
//!   [`conformance`] suite every broker must pass.
//! - [`event`]: what travels through the broker.
//! - [`hub`]: this node's connected devices, their bounded queues, and presence.
//! - [`tailer`]: publishes every stored message, in id order, to this node's devices of the users who
//!   should get it (each node runs one, reading the store every node shares).
//! - [`socket`]: one device's connection: sign-in, resume, frames in and out, heartbeats.
//!
//! Messages reach devices only through the tailer, which reads them back from storage in id order after
//! they were committed: a device therefore receives the messages of every conversation in id order, and a
//! device that resumes from its last id misses nothing.

pub mod broker;
pub mod conformance;
pub mod event;
pub mod hub;
pub mod redis;
pub mod socket;
pub mod tailer;

use confab_protocol::realtime::ServerFrame;
use std::sync::Arc;

pub use broker::{Broker, InProcessBroker};
pub use event::Event;
pub use hub::Hub;

use crate::store::Store;
use crate::tasks::BackgroundTasks;

/// The node's realtime parts: the brokers it publishes to and the hub of its devices.
///
/// Messages reach this node's devices through its own tailer, which reads them from the store (the one
/// every node shares) and publishes to the node-local broker. Everything else a node publishes (typing,
/// receipts, presence, transients, revocations) goes through the cluster broker, which reaches every node's
/// hub; a single node has none and uses its local broker for both.
#[derive(Clone)]
pub struct Realtime {
    local: Arc<InProcessBroker>,
    cluster: Option<Arc<dyn Broker>>,
    /// This node's devices.
    pub hub: Arc<Hub>,
}

impl Realtime {
    /// Starts the hub's broker subscriptions and the message tailer on `store`, as `tasks`.
    pub fn start(
        store: Arc<dyn Store>,
        cluster: Option<Arc<dyn Broker>>,
        presence: Arc<dyn hub::Presence>,
        media_urls: Arc<crate::media::urls::MediaUrls>,
        tasks: &BackgroundTasks,
    ) -> Self {
        let hub = Arc::new(Hub::new(presence));
        let local = Arc::new(InProcessBroker::default());
        tasks.spawn("hub (local)", hub::run(hub.clone(), local.subscribe()));
        if let Some(cluster) = &cluster {
            tasks.spawn("hub (cluster)", hub::run(hub.clone(), cluster.subscribe()));
        }
        tasks.spawn("tailer", tailer::run(store.clone(), local.clone(), media_urls));
        let realtime = Self { local, cluster, hub };
        tasks.spawn("presence transitions", socket::announce_transitions(store, realtime.clone()));
        realtime
    }

    /// Where this node's events for every node go.
    fn broker(&self) -> &dyn Broker {
        match &self.cluster {
            Some(cluster) => cluster.as_ref(),
            None => self.local.as_ref(),
        }
    }

    /// Sends `frame` to every device of `recipients`, on every node.
    pub fn deliver(&self, app_id: &str, recipients: Vec<String>, frame: ServerFrame) {
        if recipients.is_empty() {
            return;
        }
        self.broker().publish(Event::Deliver { app_id: app_id.to_owned(), recipients, frame });
    }

    /// Closes `uid`'s sockets signed in with a token whose hash starts with `token_prefix` (all of them when
    /// `None`), on every node.
    pub fn revoke(&self, app_id: &str, uid: &str, token_prefix: Option<Vec<u8>>) {
        self.broker().publish(Event::Revoke { app_id: app_id.to_owned(), uid: uid.to_owned(), token_prefix });
    }
}
