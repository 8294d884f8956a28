//! What a node shares with the other nodes of its cluster through Redis (`serve --redis-url`): the broker
//! of events, presence, and the counts behind every limit. A node without it runs alone, with all three
//! in memory.

use std::sync::Arc;

use crate::rate_limit::{Counts, MemoryCounts};
use crate::realtime::hub::{LocalPresence, Presence};
use crate::realtime::redis::{RedisBroker, RedisCounts, RedisPresence};
use crate::realtime::Broker;

/// A node's links to the rest of its cluster.
#[derive(Clone)]
pub struct ClusterLinks {
    /// Events for every node's devices.
    pub broker: Arc<dyn Broker>,
    /// Who is online, cluster-wide.
    pub presence: Arc<dyn Presence>,
    /// The counts limits are kept in, shared by every node.
    pub counts: Arc<dyn Counts>,
}

impl ClusterLinks {
    /// Connects to the Redis server at `url` as a node of cluster `name`.
    pub async fn connect(url: &str, name: &str) -> redis::RedisResult<Self> {
        Ok(Self {
            broker: Arc::new(RedisBroker::connect(url, name).await?),
            presence: Arc::new(RedisPresence::connect(url, name).await?),
            counts: Arc::new(RedisCounts::connect(url, name).await?),
        })
    }

    /// A node's own presence and counts, when it runs alone.
    pub fn alone() -> (Arc<dyn Presence>, Arc<dyn Counts>) {
        (Arc::new(LocalPresence::default()), Arc::new(MemoryCounts::default()))
    }
}
