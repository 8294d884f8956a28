//! The realtime gateway: one WebSocket per device at `/v3/ws`.
//!
//! - [`broker`]: the fan-out interface between nodes ([`InProcessBroker`] now), its guarantees, and the
//!   [`conformance`] suite every broker must pass.
//! - [`event`]: what travels through the broker.
//! - [`hub`]: this node's connected devices, their bounded queues, and presence.
//! - [`tailer`]: publishes every stored message, in id order, to the users who should get it.
//! - [`socket`]: one device's connection: sign-in, resume, frames in and out, heartbeats.
//!
//! Messages reach devices only through the tailer, which reads them back from storage in id order after
//! they were committed: a device therefore receives the messages of every conversation in id order, and a
//! device that resumes from its last id misses nothing.

pub mod broker;
pub mod conformance;
pub mod event;
pub mod hub;
pub mod socket;
pub mod tailer;

use confab_protocol::realtime::ServerFrame;
use std::sync::Arc;

pub use broker::{Broker, InProcessBroker};
pub use event::Event;
pub use hub::Hub;

use crate::store::Store;

/// The node's realtime parts: the broker it publishes to and the hub of its devices.
#[derive(Clone)]
pub struct Realtime {
    broker: Arc<dyn Broker>,
    /// This node's devices.
    pub hub: Arc<Hub>,
}

impl Realtime {
    /// Starts the hub's broker subscription and the message tailer on `store`.
    pub fn start(store: Arc<dyn Store>, broker: Arc<dyn Broker>) -> Self {
        let hub = Arc::new(Hub::default());
        tokio::spawn(hub::run(hub.clone(), broker.subscribe()));
        tokio::spawn(tailer::run(store, broker.clone()));
        Self { broker, hub }
    }

    /// Sends `frame` to every device of `recipients`, on every node.
    pub fn deliver(&self, app_id: &str, recipients: Vec<String>, frame: ServerFrame) {
        if recipients.is_empty() {
            return;
        }
        self.broker.publish(Event::Deliver { app_id: app_id.to_owned(), recipients, frame });
    }

    /// Closes `uid`'s sockets signed in with a token whose hash starts with `token_prefix` (all of them when
    /// `None`), on every node.
    pub fn revoke(&self, app_id: &str, uid: &str, token_prefix: Option<Vec<u8>>) {
        self.broker.publish(Event::Revoke { app_id: app_id.to_owned(), uid: uid.to_owned(), token_prefix });
    }
}
