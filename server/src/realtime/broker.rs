//! The broker: how events reach every node's hub. [`InProcessBroker`] serves one node; the Redis broker
//! (`realtime::redis::RedisBroker`, Redis pub/sub) serves a cluster.
//!
//! Guarantees every implementation gives (checked by [`conformance`](super::conformance)):
//! - **Fan-out**: an event published after a subscription was made reaches that subscriber, on every node.
//! - **Order**: events from one publisher reach each subscriber in the order they were published.
//! - **Bounded**: a subscriber that falls more than its buffer behind is told [`Received::Lagged`] with
//!   how many events it missed, instead of the broker growing without bound. Delivery is at most once:
//!   the hub answers a lag by closing its sockets with the resume close code, and devices fetch what they
//!   missed from storage. Messages are never lost that way, since they are stored before they are
//!   published.
//! - **Never blocks a publisher**: `publish` returns at once.

use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::broadcast;

use super::Event;

/// What a subscriber receives next.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    /// The next event.
    Event(Arc<Event>),
    /// This many events were dropped because the subscriber fell behind.
    Lagged(u64),
    /// The broker is gone.
    Closed,
}

/// One subscription to a broker.
#[async_trait]
pub trait Subscriber: Send {
    /// Waits for what comes next.
    async fn recv(&mut self) -> Received;
}

/// Carries events to every node.
pub trait Broker: Send + Sync + 'static {
    /// Publishes `event` to every subscriber, this node's included. Never blocks.
    fn publish(&self, event: Event);
    /// A subscription to every event published from now on.
    fn subscribe(&self) -> Box<dyn Subscriber>;
}

/// The broker of a single node: a bounded in-memory broadcast.
#[derive(Debug)]
pub struct InProcessBroker {
    sender: broadcast::Sender<Arc<Event>>,
}

impl InProcessBroker {
    /// Events a subscriber may fall behind before it is told it lagged.
    pub const DEFAULT_CAPACITY: usize = 65_536;

    /// A broker whose subscribers may fall `capacity` events behind.
    pub fn new(capacity: usize) -> Self {
        Self { sender: broadcast::channel(capacity).0 }
    }
}

impl Default for InProcessBroker {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl Broker for InProcessBroker {
    fn publish(&self, event: Event) {
        // An error only means nobody subscribes yet: nothing to deliver.
        let _ = self.sender.send(Arc::new(event));
    }

    fn subscribe(&self) -> Box<dyn Subscriber> {
        Box::new(InProcessSubscriber { receiver: self.sender.subscribe() })
    }
}

struct InProcessSubscriber {
    receiver: broadcast::Receiver<Arc<Event>>,
}

#[async_trait]
impl Subscriber for InProcessSubscriber {
    async fn recv(&mut self) -> Received {
        match self.receiver.recv().await {
            Ok(event) => Received::Event(event),
            Err(broadcast::error::RecvError::Lagged(missed)) => Received::Lagged(missed),
            Err(broadcast::error::RecvError::Closed) => Received::Closed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::conformance;

    #[tokio::test]
    async fn in_process_broker_passes_the_conformance_suite() {
        conformance::fans_out_to_every_subscriber(&InProcessBroker::default()).await;
        conformance::keeps_publish_order(&InProcessBroker::default()).await;
        conformance::sees_only_events_after_subscribing(&InProcessBroker::default()).await;
        conformance::reports_lag_instead_of_growing(&InProcessBroker::new(16), 16).await;
        conformance::carries_events_intact(&InProcessBroker::default()).await;
        conformance::never_blocks_the_publisher(&InProcessBroker::new(1024), 100_000).await;
        let broker = InProcessBroker::default();
        conformance::fans_out_across_nodes(&broker, &broker).await;
    }
}
