//! What nodes share through Redis: the broker ([`RedisBroker`]), presence ([`RedisPresence`]) and the
//! limits' counts ([`RedisCounts`]). Each takes a Redis URL and a namespace; every key and channel starts
//! with `confab:{namespace}:`, so several clusters (and tests) can share one Redis server. Redis runs
//! standalone (or behind Sentinel), not as Redis Cluster: the scripts reach keys they compute.
//!
//! # Broker
//!
//! Events travel as JSON on the pub/sub channel `confab:{namespace}:events`, each in an envelope
//! `{"node":"<16 hex digits>","seq":N,"event":{…}}` ([`Event`] as serde writes it): `node` names the
//! publishing broker (random at each start) and `seq` counts its events from 0.
//!
//! - `publish` never blocks: it puts the event on a bounded queue ([`PUBLISH_QUEUE`]) read by one task,
//!   which publishes over one connection, pipelined, so one node's events keep their order. An event that
//!   finds the queue full, or that Redis does not take, is dropped and counted ([`RedisBroker::dropped`],
//!   a warning at most every 10 s); while Redis is unreachable, what waits in the queue is dropped too
//!   rather than delivered late.
//! - One pub/sub connection per broker feeds every subscriber through a bounded broadcast (capacity
//!   [`InProcessBroker::DEFAULT_CAPACITY`]): a slow subscriber is told [`Received::Lagged`].
//! - A gap in a node's `seq` (its queue was full, or Redis dropped events) is reported to every subscriber
//!   as [`Received::Lagged`] with its size: delivery stays at most once, but never silently less.
//! - When the pub/sub connection is lost (it also pings every 5 s, so a dead peer is found), every
//!   subscriber is told `Lagged(1)` once; the broker reconnects with backoff (100 ms doubling to 2 s) and
//!   subscribes again, and events flow on without anyone subscribing again. The hub answers a lag by closing
//!   its sockets with the resume code, so devices fetch what they missed from storage.
//! - A subscription sees this node's events from the moment it is made (by `seq`); an event of another
//!   node is seen when it arrives after that.
//!
//! # Presence
//!
//! Keys: `nodes` (sorted set: node → its last heartbeat, in ms of Redis's clock), `node:{id}:devices` (hash:
//! `app\nuid` → users with a device on that node), `node:{id}:leaving` (hash: `app\nuid` → `ticket:left_at`,
//! the pending offlines that node will settle), `presence:{app}` (hash: uid → `on`, or the ticket of a
//! pending offline, for every user online as announced) and `presence-ticket` (a counter). Every change is
//! one Lua script, so each transition is decided once, atomically, for the whole cluster:
//!
//! - A user's first device on a node marks them on that node; they are announced online by that node when
//!   `presence:{app}` had no entry for them (so once cluster-wide, and not again when a device comes back
//!   within the grace).
//! - Their last device on a node leaving removes the mark; when no node has one left, that node gets a
//!   ticket and, after [`PRESENCE_GRACE`](super::hub::PRESENCE_GRACE) (5 s), settles it: the user is
//!   offline, announced and `lastActiveAt` written by that node, unless a device came back (anywhere)
//!   meanwhile.
//! - Each node heartbeats every 5 s ([`PresenceTimings`]); a node silent for 15 s is dead. At each
//!   heartbeat a node removes the dead nodes it finds, each in one script (which checks the node is still
//!   dead, so no lock is needed and two nodes cannot both do it): the dead node's users that no other
//!   node has are announced offline (`lastActiveAt`: its last heartbeat, or when they left), through
//!   [`Presence::transitions`]. So a node that dies without cleaning up has its users offline 15–20 s
//!   after its last heartbeat. A node found dead while it was only stalled puts its users back when it
//!   beats again (they are announced online again).
//! - `is_online` and `online_uids` read `presence:{app}`: they answer for the whole cluster.
//! - While Redis is unreachable, each answer falls back to this node's own view ([`LocalPresence`], kept
//!   beside), with a warning; when Redis answers again, the node writes its devices back (and announces
//!   what changed meanwhile).
//!
//! # Counts
//!
//! [`RedisCounts`] implements [`Counts`] with one Lua script per operation (token bucket: a hash with
//! the tokens and the time; sliding windows: a sorted set of `id:weight` scored by time), timed by Redis's
//! clock, so every node counts against the same limits. When Redis cannot be reached (or does not answer
//! within 1 s), it counts in this node's memory instead, with a warning, and tries Redis again after a
//! second: requests are never refused or failed because Redis is away.

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection, PubSubSink, PubSubStream};
use redis::{AsyncConnectionConfig, Client, FromRedisValue, RedisResult, Script};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use confab_protocol::realtime::PresenceStatus;
use futures_util::StreamExt;

use super::broker::{Broker, InProcessBroker, Received, Subscriber};
use super::hub::{Answer, LocalPresence, Presence, Ticket, Transition};
use super::Event;
use crate::rate_limit::{Admit, Admitted, Counts, EntryId, MemoryCounts};

/// Events that may wait for the publisher's connection; more are dropped.
pub const PUBLISH_QUEUE: usize = 65_536;
/// Events published in one pipeline.
const PUBLISH_BATCH: usize = 512;
/// How long a connection attempt or a reply may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a limit or presence call may take before the node answers on its own.
const QUICK_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a node answers on its own after Redis failed it, before it tries again.
const BREAK_FOR: Duration = Duration::from_secs(1);
/// How often the pub/sub connection is pinged.
const PING_EVERY: Duration = Duration::from_secs(5);
/// Reconnection backoff: from this, doubling…
const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// …up to this.
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// At most one warning of a kind this often.
const WARN_EVERY: Duration = Duration::from_secs(10);

fn prefix(namespace: &str) -> String {
    format!("confab:{namespace}:")
}

fn random_u64() -> u64 {
    getrandom::u64().unwrap_or_else(|_| {
        // No system randomness: the time and the process keep ids apart well enough.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        nanos ^ (u64::from(std::process::id()) << 32)
    })
}

/// Says yes at most once per [`WARN_EVERY`].
#[derive(Debug, Default)]
struct Throttle {
    last: Mutex<Option<Instant>>,
}

impl Throttle {
    fn ready(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < WARN_EVERY) {
            return false;
        }
        *last = Some(now);
        true
    }
}

/// Reconnection delays: [`BACKOFF_MIN`] doubling to [`BACKOFF_MAX`].
#[derive(Debug)]
struct Backoff(Duration);

impl Default for Backoff {
    fn default() -> Self {
        Self(BACKOFF_MIN)
    }
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let delay = self.0;
        self.0 = (self.0 * 2).min(BACKOFF_MAX);
        delay
    }

    fn reset(&mut self) {
        self.0 = BACKOFF_MIN;
    }
}

/// Background tasks that end with their owner.
#[derive(Debug, Default)]
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

fn connection_config() -> AsyncConnectionConfig {
    AsyncConnectionConfig::new().set_connection_timeout(Some(CALL_TIMEOUT)).set_response_timeout(Some(CALL_TIMEOUT))
}

async fn connection_manager(client: &Client) -> RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(QUICK_TIMEOUT))
        .set_response_timeout(Some(QUICK_TIMEOUT))
        .set_number_of_retries(1)
        .set_min_delay(BACKOFF_MIN)
        .set_max_delay(BACKOFF_MAX);
    ConnectionManager::new_with_config(client.clone(), config).await
}

/// After a failure, the node answers on its own for [`BREAK_FOR`] (a warning at most every 10 s).
#[derive(Debug)]
struct Breaker {
    open_until: Mutex<Option<Instant>>,
    throttle: Throttle,
    what: &'static str,
}

impl Breaker {
    fn new(what: &'static str) -> Self {
        Self { open_until: Mutex::new(None), throttle: Throttle::default(), what }
    }

    fn is_open(&self) -> bool {
        self.open_until.lock().unwrap_or_else(|e| e.into_inner()).is_some_and(|until| Instant::now() < until)
    }

    fn trip(&self, error: &dyn std::fmt::Display) {
        *self.open_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + BREAK_FOR);
        if self.throttle.ready() {
            tracing::warn!(%error, "Redis unreachable: {} on this node alone for now", self.what);
        }
    }

    /// Runs `work` unless the breaker is open; `Err(())` (having tripped it) when Redis fails or is slow.
    async fn guard<T>(&self, work: impl Future<Output = RedisResult<T>>) -> Result<T, ()> {
        if self.is_open() {
            return Err(());
        }
        match tokio::time::timeout(QUICK_TIMEOUT, work).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                self.trip(&e);
                Err(())
            }
            Err(_) => {
                self.trip(&"no answer in time");
                Err(())
            }
        }
    }
}

async fn invoke<T: FromRedisValue>(conn: &ConnectionManager, script: &Script, args: &[&str]) -> RedisResult<T> {
    let mut invocation = script.prepare_invoke();
    for arg in args {
        invocation.arg(*arg);
    }
    let mut conn = conn.clone();
    invocation.invoke_async(&mut conn).await
}

// ---------------------------------------------------------------------------------------------------------
// Broker
// ---------------------------------------------------------------------------------------------------------

/// What the pub/sub reader hands to subscribers.
#[derive(Debug, Clone)]
enum Item {
    Event { origin: u64, seq: u64, event: Arc<Event> },
    /// Events were missed (a gap in a node's sequence, or the connection was lost).
    Lost(u64),
}

#[derive(Deserialize)]
struct Envelope {
    node: String,
    seq: u64,
    event: Event,
}

/// Events dropped by the publishing side.
#[derive(Debug, Default)]
struct Dropped {
    count: AtomicU64,
    throttle: Throttle,
}

impl Dropped {
    fn add(&self, n: u64, why: &str) {
        if n == 0 {
            return;
        }
        let total = self.count.fetch_add(n, Ordering::Relaxed) + n;
        if self.throttle.ready() {
            tracing::warn!(dropped = n, dropped_total = total, why, "realtime events dropped on their way to Redis");
        }
    }
}

/// The broker of a cluster: Redis pub/sub (see the [module docs](self)).
pub struct RedisBroker {
    node: u64,
    /// The next event's number.
    sequence: Mutex<u64>,
    queue: mpsc::Sender<String>,
    fanout: broadcast::Sender<Item>,
    dropped: Arc<Dropped>,
    _tasks: Tasks,
}

impl std::fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroker").field("node", &format_args!("{:016x}", self.node)).finish_non_exhaustive()
    }
}

impl RedisBroker {
    /// Connects to the Redis at `url` (`redis://host:port/`) and subscribes to `confab:{namespace}:events`;
    /// an error when Redis cannot be reached now. Must run inside the Tokio runtime.
    pub async fn connect(url: &str, namespace: &str) -> RedisResult<Self> {
        Self::connect_with_capacity(url, namespace, InProcessBroker::DEFAULT_CAPACITY).await
    }

    /// The same, with subscribers that may fall `capacity` events behind.
    pub async fn connect_with_capacity(url: &str, namespace: &str, capacity: usize) -> RedisResult<Self> {
        let client = Client::open(url)?;
        let channel = format!("{}events", prefix(namespace));
        let publisher = client.get_multiplexed_async_connection_with_config(&connection_config()).await?;
        let (sink, stream) = subscribe(&client, &channel).await?;
        let (fanout, _) = broadcast::channel(capacity);
        let (queue, waiting) = mpsc::channel(PUBLISH_QUEUE);
        let dropped = Arc::new(Dropped::default());
        let tasks = Tasks(vec![
            tokio::spawn(publish_loop(client.clone(), channel.clone(), publisher, waiting, dropped.clone())),
            tokio::spawn(read_loop(client, channel, sink, stream, fanout.clone())),
        ]);
        Ok(Self { node: random_u64(), sequence: Mutex::new(0), queue, fanout, dropped, _tasks: tasks })
    }

    /// Events this broker dropped on their way to Redis (queue full, or Redis unreachable) since it started.
    pub fn dropped(&self) -> u64 {
        self.dropped.count.load(Ordering::Relaxed)
    }
}

impl Broker for RedisBroker {
    fn publish(&self, event: Event) {
        let body = match serde_json::to_string(&event) {
            Ok(body) => body,
            Err(e) => return tracing::error!(error = %e, "a realtime event did not serialise"),
        };
        // Numbered and queued together, so the queue holds them in number order.
        let mut sequence = self.sequence.lock().unwrap_or_else(|e| e.into_inner());
        let seq = *sequence;
        *sequence += 1;
        let text = format!("{{\"node\":\"{:016x}\",\"seq\":{seq},\"event\":{body}}}", self.node);
        if self.queue.try_send(text).is_err() {
            drop(sequence);
            self.dropped.add(1, "the publish queue is full");
        }
    }

    fn subscribe(&self) -> Box<dyn Subscriber> {
        let receiver = self.fanout.subscribe();
        let from = *self.sequence.lock().unwrap_or_else(|e| e.into_inner());
        Box::new(RedisSubscriber { receiver, node: self.node, from })
    }
}

struct RedisSubscriber {
    receiver: broadcast::Receiver<Item>,
    node: u64,
    /// This node's events numbered below this were published before the subscription.
    from: u64,
}

#[async_trait]
impl Subscriber for RedisSubscriber {
    async fn recv(&mut self) -> Received {
        loop {
            match self.receiver.recv().await {
                Ok(Item::Event { origin, seq, event }) => {
                    if origin == self.node && seq < self.from {
                        continue;
                    }
                    return Received::Event(event);
                }
                Ok(Item::Lost(missed)) => return Received::Lagged(missed),
                Err(broadcast::error::RecvError::Lagged(missed)) => return Received::Lagged(missed),
                Err(broadcast::error::RecvError::Closed) => return Received::Closed,
            }
        }
    }
}

async fn subscribe(client: &Client, channel: &str) -> RedisResult<(PubSubSink, PubSubStream)> {
    let connecting = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok::<_, redis::RedisError>(pubsub.split())
    };
    match tokio::time::timeout(CALL_TIMEOUT, connecting).await {
        Ok(result) => result,
        Err(_) => Err(redis::RedisError::from(std::io::Error::new(std::io::ErrorKind::TimedOut, "subscribing timed out"))),
    }
}

/// Publishes what is queued, in order, over one connection; reconnects with backoff.
async fn publish_loop(client: Client, channel: String, first: MultiplexedConnection, mut queue: mpsc::Receiver<String>, dropped: Arc<Dropped>) {
    let mut connection = Some(first);
    let mut backoff = Backoff::default();
    let mut batch = Vec::with_capacity(PUBLISH_BATCH);
    loop {
        let Some(conn) = connection.as_mut() else {
            match client.get_multiplexed_async_connection_with_config(&connection_config()).await {
                Ok(conn) => {
                    backoff.reset();
                    connection = Some(conn);
                }
                Err(_) => {
                    // What waits now would be stale by the time Redis is back.
                    let mut stale = 0;
                    while queue.try_recv().is_ok() {
                        stale += 1;
                    }
                    dropped.add(stale, "Redis is unreachable");
                    tokio::time::sleep(backoff.next()).await;
                }
            }
            continue;
        };
        let Some(text) = queue.recv().await else { return };
        batch.push(text);
        while batch.len() < PUBLISH_BATCH {
            match queue.try_recv() {
                Ok(text) => batch.push(text),
                Err(_) => break,
            }
        }
        let mut pipe = redis::pipe();
        for text in &batch {
            pipe.cmd("PUBLISH").arg(&channel).arg(text).ignore();
        }
        let sent = tokio::time::timeout(CALL_TIMEOUT, pipe.exec_async(conn)).await;
        if !matches!(sent, Ok(Ok(()))) {
            dropped.add(batch.len() as u64, "Redis did not take them");
            connection = None;
        }
        batch.clear();
    }
}

/// Counts each node's events, to find gaps.
#[derive(Debug, Default)]
struct Sequencer {
    last: HashMap<u64, u64>,
}

impl Sequencer {
    /// Nodes remembered before the memory is cleared (nodes get a new id at each start).
    const MAX_NODES: usize = 4096;

    /// How many events of `origin` were missed right before its event `seq`.
    fn missed(&mut self, origin: u64, seq: u64) -> u64 {
        if self.last.len() >= Self::MAX_NODES && !self.last.contains_key(&origin) {
            self.last.clear();
        }
        let last = self.last.entry(origin).or_insert(seq);
        let missed = seq.saturating_sub(*last).saturating_sub(1);
        *last = (*last).max(seq);
        missed
    }
}

/// Reads the pub/sub connection into `fanout`; when it is lost, tells every subscriber once and
/// subscribes again with backoff.
async fn read_loop(client: Client, channel: String, sink: PubSubSink, stream: PubSubStream, fanout: broadcast::Sender<Item>) {
    let mut connected = Some((sink, stream));
    let mut backoff = Backoff::default();
    let throttle = Throttle::default();
    loop {
        let (sink, stream) = match connected.take() {
            Some(connection) => connection,
            None => match subscribe(&client, &channel).await {
                Ok(connection) => {
                    backoff.reset();
                    tracing::info!("realtime broker subscribed to Redis again");
                    connection
                }
                Err(e) => {
                    if throttle.ready() {
                        tracing::warn!(error = %e, "realtime broker cannot subscribe to Redis; retrying");
                    }
                    tokio::time::sleep(backoff.next()).await;
                    continue;
                }
            },
        };
        pump(sink, stream, &fanout).await;
        tracing::warn!("realtime broker lost its Redis subscription; devices will resume");
        let _ = fanout.send(Item::Lost(1));
    }
}

/// Hands on what the connection brings until it is lost (its stream ends, or a ping goes unanswered).
async fn pump(mut sink: PubSubSink, mut stream: PubSubStream, fanout: &broadcast::Sender<Item>) {
    let mut sequencer = Sequencer::default();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.reset();
    let throttle = Throttle::default();
    loop {
        tokio::select! {
            message = stream.next() => {
                let Some(message) = message else { return };
                let envelope = serde_json::from_slice::<Envelope>(message.get_payload_bytes()).ok()
                    .and_then(|e| u64::from_str_radix(&e.node, 16).ok().map(|origin| (origin, e.seq, e.event)));
                let Some((origin, seq, event)) = envelope else {
                    if throttle.ready() {
                        tracing::warn!("an unreadable realtime event on the Redis channel was skipped");
                    }
                    continue;
                };
                let missed = sequencer.missed(origin, seq);
                if missed > 0 {
                    let _ = fanout.send(Item::Lost(missed));
                }
                // An error only means nobody subscribes yet.
                let _ = fanout.send(Item::Event { origin, seq, event: Arc::new(event) });
            }
            _ = ping.tick() => {
                let answered = tokio::time::timeout(CALL_TIMEOUT, sink.ping::<redis::Value>()).await;
                if !matches!(answered, Ok(Ok(_))) {
                    return;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Presence
// ---------------------------------------------------------------------------------------------------------

/// How often nodes heartbeat, and how long a silent node lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceTimings {
    /// Every node writes its heartbeat this often (and removes the dead nodes it finds).
    pub heartbeat: Duration,
    /// A node whose heartbeat is this old is dead.
    pub dead_after: Duration,
}

impl Default for PresenceTimings {
    /// 5 s and 15 s: a dead node's users are offline 15–20 s after its last heartbeat.
    fn default() -> Self {
        Self { heartbeat: Duration::from_secs(5), dead_after: Duration::from_secs(15) }
    }
}

/// The start of every presence script: ARGV[1] is the key prefix.
const PRESENCE_LUA: &str = r#"
local p = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function on_any_node(member)
  for _, n in ipairs(redis.call('ZRANGE', p .. 'nodes', 0, -1)) do
    if redis.call('HEXISTS', p .. 'node:' .. n .. ':devices', member) == 1 then return true end
  end
  return false
end
local function split(member)
  return string.match(member, '^(.-)\n(.*)$')
end
"#;

/// ARGV: prefix, node, app, uid → {node was not registered, announce online}.
const ARRIVE_LUA: &str = r#"
local node, app, uid = ARGV[2], ARGV[3], ARGV[4]
local fresh = redis.call('ZADD', p .. 'nodes', now_ms(), node)
local member = app .. '\n' .. uid
redis.call('HSET', p .. 'node:' .. node .. ':devices', member, '1')
redis.call('HDEL', p .. 'node:' .. node .. ':leaving', member)
local key = p .. 'presence:' .. app
local was = redis.call('HGET', key, uid)
redis.call('HSET', key, uid, 'on')
if was then return {fresh, 0} end
return {fresh, 1}
"#;

/// ARGV: prefix, node, app, uid, left_at → {node was not registered, ticket or 0}.
const LEAVE_LUA: &str = r#"
local node, app, uid, left_at = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local fresh = redis.call('ZADD', p .. 'nodes', now_ms(), node)
local member = app .. '\n' .. uid
redis.call('HDEL', p .. 'node:' .. node .. ':devices', member)
if on_any_node(member) then return {fresh, 0} end
local key = p .. 'presence:' .. app
if not redis.call('HGET', key, uid) then return {fresh, 0} end
local ticket = redis.call('INCR', p .. 'presence-ticket')
redis.call('HSET', key, uid, ticket)
redis.call('HSET', p .. 'node:' .. node .. ':leaving', member, ticket .. ':' .. left_at)
return {fresh, ticket}
"#;

/// ARGV: prefix, node, app, uid, ticket → 1 when the user is offline now.
const SETTLE_LUA: &str = r#"
local node, app, uid, ticket = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local member = app .. '\n' .. uid
local leaving = p .. 'node:' .. node .. ':leaving'
local pending = redis.call('HGET', leaving, member)
if pending and string.match(pending, '^(%d+):') == ticket then redis.call('HDEL', leaving, member) end
local key = p .. 'presence:' .. app
if redis.call('HGET', key, uid) ~= ticket then return 0 end
if on_any_node(member) then return 0 end
redis.call('HDEL', key, uid)
return 1
"#;

/// ARGV: prefix, node, dead_after_ms → {node was not registered, dead node…}.
const HEARTBEAT_LUA: &str = r#"
local now = now_ms()
local fresh = redis.call('ZADD', p .. 'nodes', now, ARGV[2])
local out = {tostring(fresh)}
for _, n in ipairs(redis.call('ZRANGEBYSCORE', p .. 'nodes', '-inf', now - tonumber(ARGV[3]))) do
  if n ~= ARGV[2] then out[#out + 1] = n end
end
return out
"#;

/// ARGV: prefix, dead node, dead_after_ms → {status, app, uid, at}… of the users now offline.
const REAP_LUA: &str = r#"
local dead = ARGV[2]
local nodes = p .. 'nodes'
local seen = redis.call('ZSCORE', nodes, dead)
if not seen or tonumber(seen) > now_ms() - tonumber(ARGV[3]) then return {} end
redis.call('ZREM', nodes, dead)
local out = {}
local function offline(app, uid, at)
  out[#out + 1] = 'offline'; out[#out + 1] = app; out[#out + 1] = uid; out[#out + 1] = at
end
local devices = p .. 'node:' .. dead .. ':devices'
local leaving = p .. 'node:' .. dead .. ':leaving'
local last = tostring(math.floor(tonumber(seen) / 1000))
for _, member in ipairs(redis.call('HKEYS', devices)) do
  local app, uid = split(member)
  if app and not on_any_node(member) and redis.call('HDEL', p .. 'presence:' .. app, uid) == 1 then
    offline(app, uid, last)
  end
end
local pending = redis.call('HGETALL', leaving)
for i = 1, #pending, 2 do
  local member = pending[i]
  local app, uid = split(member)
  local ticket, left_at = string.match(pending[i + 1], '^(%d+):(%-?%d+)$')
  if app and ticket and not on_any_node(member) then
    local key = p .. 'presence:' .. app
    if redis.call('HGET', key, uid) == ticket then
      redis.call('HDEL', key, uid)
      offline(app, uid, left_at)
    end
  end
end
redis.call('DEL', devices, leaving)
return out
"#;

/// ARGV: prefix, node, member… (every user with a device on the node) → {status, app, uid, at}… changed.
const RESYNC_LUA: &str = r#"
local node = ARGV[2]
local now = now_ms()
redis.call('ZADD', p .. 'nodes', now, node)
local devices = p .. 'node:' .. node .. ':devices'
local leaving = p .. 'node:' .. node .. ':leaving'
local at = tostring(math.floor(now / 1000))
local want = {}
for i = 3, #ARGV do want[ARGV[i]] = true end
local out = {}
for _, member in ipairs(redis.call('HKEYS', devices)) do
  if not want[member] then
    redis.call('HDEL', devices, member)
    local app, uid = split(member)
    if app and not on_any_node(member) then
      local key = p .. 'presence:' .. app
      if redis.call('HGET', key, uid) == 'on' then
        redis.call('HDEL', key, uid)
        out[#out + 1] = 'offline'; out[#out + 1] = app; out[#out + 1] = uid; out[#out + 1] = at
      end
    end
  end
end
for i = 3, #ARGV do
  local member = ARGV[i]
  if redis.call('HSETNX', devices, member, '1') == 1 then
    redis.call('HDEL', leaving, member)
    local app, uid = split(member)
    if app then
      local key = p .. 'presence:' .. app
      local was = redis.call('HGET', key, uid)
      redis.call('HSET', key, uid, 'on')
      if not was then
        out[#out + 1] = 'online'; out[#out + 1] = app; out[#out + 1] = uid; out[#out + 1] = at
      end
    end
  end
end
return out
"#;

struct PresenceScripts {
    arrive: Script,
    leave: Script,
    settle: Script,
    heartbeat: Script,
    reap: Script,
    resync: Script,
}

impl PresenceScripts {
    fn new() -> Self {
        let script = |body: &str| Script::new(&format!("{PRESENCE_LUA}{body}"));
        Self {
            arrive: script(ARRIVE_LUA),
            leave: script(LEAVE_LUA),
            settle: script(SETTLE_LUA),
            heartbeat: script(HEARTBEAT_LUA),
            reap: script(REAP_LUA),
            resync: script(RESYNC_LUA),
        }
    }
}

/// Changes to this node's part of the presence, written in the order the hub made them.
enum Op {
    Arrive { app: String, uid: String, fallback: bool, reply: oneshot::Sender<bool> },
    Leave { app: String, uid: String, left_at: i64, reply: oneshot::Sender<Result<Option<u64>, ()>> },
    Resync { members: Vec<String> },
}

fn member(app_id: &str, uid: &str) -> String {
    format!("{app_id}\n{uid}")
}

struct PresenceInner {
    node: String,
    prefix: String,
    dead_after_ms: String,
    conn: ConnectionManager,
    scripts: PresenceScripts,
    /// This node's own view: what the answers fall back to while Redis is unreachable.
    local: LocalPresence,
    /// The users with a device on this node (what a resync writes back).
    here: Mutex<HashSet<String>>,
    ops: mpsc::UnboundedSender<Op>,
    /// A write failed: write this node's devices back once Redis answers.
    dirty: AtomicBool,
    transitions: mpsc::UnboundedSender<Transition>,
    breaker: Breaker,
}

impl PresenceInner {
    async fn call<T: FromRedisValue>(&self, script: &Script, args: &[&str]) -> Result<T, ()> {
        let result = self.breaker.guard(invoke(&self.conn, script, args)).await;
        if result.is_err() {
            self.dirty.store(true, Ordering::Relaxed);
        }
        result
    }

    /// Queues a write of this node's devices, behind the changes queued so far.
    fn resync(&self) {
        let here = self.here.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self.ops.send(Op::Resync { members: here.iter().cloned().collect() });
    }

    /// Hands on the transitions a script returned as `status, app, uid, at` quadruples.
    fn hand_on(&self, flat: &[String]) {
        for change in flat.chunks_exact(4) {
            let status = if change[0] == "online" { PresenceStatus::Online } else { PresenceStatus::Offline };
            let transition = Transition {
                app_id: change[1].clone(),
                uid: change[2].clone(),
                status,
                last_active_at: change[3].parse().unwrap_or(0),
            };
            let _ = self.transitions.send(transition);
        }
    }

    /// Writes the queued changes, one at a time.
    async fn write(self: Arc<Self>, mut ops: mpsc::UnboundedReceiver<Op>) {
        while let Some(op) = ops.recv().await {
            match op {
                Op::Arrive { app, uid, fallback, reply } => {
                    let answer = self.call::<(i64, i64)>(&self.scripts.arrive, &[&self.prefix, &self.node, &app, &uid]).await;
                    let announce = match answer {
                        Ok((fresh, announce)) => {
                            if fresh == 1 {
                                self.resync();
                            }
                            announce == 1
                        }
                        Err(()) => fallback,
                    };
                    let _ = reply.send(announce);
                }
                Op::Leave { app, uid, left_at, reply } => {
                    let left_at = left_at.to_string();
                    let answer = self.call::<(i64, u64)>(&self.scripts.leave, &[&self.prefix, &self.node, &app, &uid, &left_at]).await;
                    let _ = reply.send(answer.map(|(fresh, ticket)| {
                        if fresh == 1 {
                            self.resync();
                        }
                        (ticket > 0).then_some(ticket)
                    }));
                }
                Op::Resync { members } => {
                    let mut args = vec![self.prefix.as_str(), self.node.as_str()];
                    args.extend(members.iter().map(String::as_str));
                    if let Ok(flat) = self.call::<Vec<String>>(&self.scripts.resync, &args).await {
                        self.hand_on(&flat);
                    }
                }
            }
        }
    }

    /// One heartbeat: says this node lives, and removes the dead nodes it finds.
    async fn beat(&self) {
        let Ok(reply) = self.call::<Vec<String>>(&self.scripts.heartbeat, &[&self.prefix, &self.node, &self.dead_after_ms]).await else {
            return;
        };
        let fresh = reply.first().is_some_and(|f| f == "1");
        if fresh || self.dirty.swap(false, Ordering::Relaxed) {
            self.resync();
        }
        for dead in reply.iter().skip(1) {
            if let Ok(flat) = self.call::<Vec<String>>(&self.scripts.reap, &[&self.prefix, dead, &self.dead_after_ms]).await {
                if !flat.is_empty() {
                    tracing::info!(node = %dead, users = flat.len() / 4, "a realtime node died; its users are offline");
                }
                self.hand_on(&flat);
            }
        }
    }

    async fn heartbeat(self: Arc<Self>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.beat().await;
        }
    }
}

/// Cluster-wide presence in Redis (see the [module docs](self)).
pub struct RedisPresence {
    inner: Arc<PresenceInner>,
    transitions: Mutex<Option<mpsc::UnboundedReceiver<Transition>>>,
    _tasks: Tasks,
}

impl std::fmt::Debug for RedisPresence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPresence").field("node", &self.inner.node).finish_non_exhaustive()
    }
}

impl RedisPresence {
    /// Joins the presence of the nodes sharing `namespace` on the Redis at `url`, with the default
    /// [`PresenceTimings`]; an error when Redis cannot be reached now. Must run inside the Tokio runtime.
    pub async fn connect(url: &str, namespace: &str) -> RedisResult<Self> {
        Self::connect_with(url, namespace, PresenceTimings::default()).await
    }

    /// The same, with other timings (tests use short ones).
    pub async fn connect_with(url: &str, namespace: &str, timings: PresenceTimings) -> RedisResult<Self> {
        let client = Client::open(url)?;
        let conn = connection_manager(&client).await?;
        let (ops, queued) = mpsc::unbounded_channel();
        let (transitions, found) = mpsc::unbounded_channel();
        let inner = Arc::new(PresenceInner {
            node: format!("{:016x}", random_u64()),
            prefix: prefix(namespace),
            dead_after_ms: timings.dead_after.as_millis().to_string(),
            conn,
            scripts: PresenceScripts::new(),
            local: LocalPresence::default(),
            here: Mutex::default(),
            ops,
            dirty: AtomicBool::new(false),
            transitions,
            breaker: Breaker::new("presence is decided"),
        });
        // Registered before the first device comes (the heartbeat task also beats at once).
        let _: Vec<String> = invoke(&inner.conn, &inner.scripts.heartbeat, &[&inner.prefix, &inner.node, &inner.dead_after_ms]).await?;
        let tasks = Tasks(vec![
            tokio::spawn(inner.clone().write(queued)),
            tokio::spawn(inner.clone().heartbeat(timings.heartbeat)),
        ]);
        Ok(Self { inner, transitions: Mutex::new(Some(found)), _tasks: tasks })
    }

    /// This node's id in the presence keys.
    pub fn node(&self) -> &str {
        &self.inner.node
    }
}

impl Presence for RedisPresence {
    fn arrived(&self, app_id: &str, uid: &str) -> Answer<bool> {
        let (reply, answer) = oneshot::channel();
        let fallback = {
            let mut here = self.inner.here.lock().unwrap_or_else(|e| e.into_inner());
            here.insert(member(app_id, uid));
            let fallback = self.inner.local.arrive_now(app_id, uid);
            let _ = self.inner.ops.send(Op::Arrive { app: app_id.to_owned(), uid: uid.to_owned(), fallback, reply });
            fallback
        };
        Box::pin(async move { answer.await.unwrap_or(fallback) })
    }

    fn left(&self, app_id: &str, uid: &str, left_at: i64) -> Answer<Option<Ticket>> {
        let (reply, answer) = oneshot::channel();
        let local = {
            let mut here = self.inner.here.lock().unwrap_or_else(|e| e.into_inner());
            here.remove(&member(app_id, uid));
            let local = self.inner.local.leave_now(app_id, uid);
            let _ = self.inner.ops.send(Op::Leave { app: app_id.to_owned(), uid: uid.to_owned(), left_at, reply });
            local
        };
        let inner = self.inner.clone();
        let (app_id, uid) = (app_id.to_owned(), uid.to_owned());
        Box::pin(async move {
            match answer.await {
                Ok(Ok(Some(cluster))) => Some(Ticket { local, cluster: Some(cluster) }),
                Ok(Ok(None)) => {
                    // Online elsewhere (or never announced): this node's view lets go of them too.
                    if let Some(local) = local {
                        inner.local.settle_now(&app_id, &uid, local);
                    }
                    None
                }
                _ => local.map(|local| Ticket { local: Some(local), cluster: None }),
            }
        })
    }

    fn settle(&self, app_id: &str, uid: &str, ticket: Ticket) -> Answer<bool> {
        let local = ticket.local.is_some_and(|local| self.inner.local.settle_now(app_id, uid, local));
        let Some(cluster) = ticket.cluster else { return Box::pin(std::future::ready(local)) };
        let inner = self.inner.clone();
        let (app_id, uid) = (app_id.to_owned(), uid.to_owned());
        Box::pin(async move {
            let cluster = cluster.to_string();
            match inner.call::<i64>(&inner.scripts.settle, &[&inner.prefix, &inner.node, &app_id, &uid, &cluster]).await {
                Ok(settled) => settled == 1,
                Err(()) => local,
            }
        })
    }

    fn is_online(&self, app_id: &str, uid: &str) -> Answer<bool> {
        let inner = self.inner.clone();
        let (app_id, uid) = (app_id.to_owned(), uid.to_owned());
        Box::pin(async move {
            let mut conn = inner.conn.clone();
            let key = format!("{}presence:{app_id}", inner.prefix);
            let mut command = redis::cmd("HEXISTS");
            command.arg(&key).arg(&uid);
            let asked = command.query_async::<bool>(&mut conn);
            match inner.breaker.guard(asked).await {
                Ok(online) => online,
                Err(()) => inner.local.is_online_now(&app_id, &uid),
            }
        })
    }

    fn online_uids(&self, app_id: &str) -> Answer<Vec<String>> {
        let inner = self.inner.clone();
        let app_id = app_id.to_owned();
        Box::pin(async move {
            let mut conn = inner.conn.clone();
            let key = format!("{}presence:{app_id}", inner.prefix);
            let mut command = redis::cmd("HKEYS");
            command.arg(&key);
            let asked = command.query_async::<Vec<String>>(&mut conn);
            match inner.breaker.guard(asked).await {
                Ok(uids) => uids,
                Err(()) => inner.local.online_uids_now(&app_id),
            }
        })
    }

    fn transitions(&self) -> Option<mpsc::UnboundedReceiver<Transition>> {
        self.transitions.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Counts
// ---------------------------------------------------------------------------------------------------------

/// The time in ms: ARGV `now` when given (tests), else Redis's clock.
const NOW_LUA: &str = r#"
local function now_ms(given)
  if given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
"#;

/// KEYS[1]: the bucket. ARGV: per_minute, now → 0, or the seconds to wait.
const TAKE_LUA: &str = r#"
local capacity = tonumber(ARGV[1])
local now = now_ms(ARGV[2])
local per_second = capacity / 60
local bucket = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(bucket[1]) or capacity
local updated = tonumber(bucket[2]) or now
local elapsed = now - updated
if elapsed < 0 then elapsed = 0 end
tokens = math.min(capacity, tokens + (elapsed / 1000) * per_second)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) / per_second))
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'u', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / per_second * 1000) + 1000)
return wait
"#;

/// KEYS: the windows. ARGV: span_ms, wanted, partial, unit, now, id, limit… → {granted, wait…}.
const ADMIT_LUA: &str = r#"
local span = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local partial = ARGV[3] == '1'
local unit = ARGV[4] == '1'
local now = now_ms(ARGV[5])
local id = ARGV[6]
local function weight(member) return tonumber(string.match(member, ':(%d+)$')) or 0 end
local used = {}
local granted = wanted
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
  local sum = 0
  if unit then
    sum = redis.call('ZCARD', key)
  else
    for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do sum = sum + weight(member) end
  end
  used[i] = sum
  local room = math.max(0, tonumber(ARGV[6 + i]) - sum)
  if room < granted then granted = room end
end
if not partial and granted < wanted then granted = 0 end
local result = {granted}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[6 + i])
  local wait = 0
  if used[i] + wanted > limit then
    local need = 1
    if not partial then need = used[i] + wanted - limit end
    local at = nil
    if unit then
      local entry = redis.call('ZRANGE', key, need - 1, need - 1, 'WITHSCORES')
      if entry[2] then at = tonumber(entry[2]) end
    else
      local freed = 0
      local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
      for j = 1, #entries, 2 do
        freed = freed + weight(entries[j])
        if freed >= need then at = tonumber(entries[j + 1]); break end
      end
    end
    if at then wait = math.ceil((at + span - now) / 1000) else wait = math.ceil(span / 1000) end
    if wait < 1 then wait = 1 end
  end
  result[i + 1] = wait
end
if granted > 0 then
  for _, key in ipairs(KEYS) do
    redis.call('ZADD', key, now, id .. ':' .. granted)
    redis.call('PEXPIRE', key, span)
  end
end
return result
"#;

/// KEYS: the windows. ARGV: id, weight → 0.
const AMEND_LUA: &str = r#"
local head = ARGV[1] .. ':'
local weight = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for j = 1, #entries, 2 do
    local member = entries[j]
    if string.sub(member, 1, #head) == head then
      local old = tonumber(string.sub(member, #head + 1)) or 0
      redis.call('ZREM', key, member)
      local new = math.min(old, weight)
      if new > 0 then redis.call('ZADD', key, entries[j + 1], head .. new) end
      break
    end
  end
end
return 0
"#;

/// The limits' counts in Redis, shared by every node (see the [module docs](self)).
pub struct RedisCounts {
    conn: ConnectionManager,
    prefix: Vec<u8>,
    take: Script,
    admit: Script,
    amend: Script,
    /// Where counting goes while Redis is unreachable.
    local: MemoryCounts,
    breaker: Breaker,
    /// Tests: the time in ms the scripts are told, instead of Redis's clock.
    manual_clock: Mutex<Option<f64>>,
}

impl std::fmt::Debug for RedisCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCounts").field("prefix", &String::from_utf8_lossy(&self.prefix)).finish_non_exhaustive()
    }
}

impl RedisCounts {
    /// Counts under `confab:{namespace}:limit:` on the Redis at `url`; an error when Redis cannot be
    /// reached now (later, counting falls back to this node while it cannot). Must run inside the Tokio
    /// runtime.
    pub async fn connect(url: &str, namespace: &str) -> RedisResult<Self> {
        let client = Client::open(url)?;
        let conn = connection_manager(&client).await?;
        let script = |body: &str| Script::new(&format!("{NOW_LUA}{body}"));
        Ok(Self {
            conn,
            prefix: format!("{}limit:", prefix(namespace)).into_bytes(),
            take: script(TAKE_LUA),
            admit: script(ADMIT_LUA),
            amend: Script::new(AMEND_LUA),
            local: MemoryCounts::default(),
            breaker: Breaker::new("limits are counted"),
            manual_clock: Mutex::new(None),
        })
    }

    fn key(&self, key: &[u8]) -> Vec<u8> {
        [self.prefix.as_slice(), key].concat()
    }

    fn now(&self) -> String {
        self.manual_clock.lock().unwrap_or_else(|e| e.into_inner()).map(|ms| ms.to_string()).unwrap_or_default()
    }

    /// Stops the scripts' clock at Redis's time now; [`advance`](Self::advance) moves it on (for tests).
    #[cfg(test)]
    pub(crate) fn use_manual_clock(&self) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        *self.manual_clock.lock().unwrap() = Some(now.as_millis() as f64);
    }

    /// Moves the manual clock on by `by`.
    #[cfg(test)]
    pub(crate) fn advance(&self, by: Duration) {
        if let Some(ms) = self.manual_clock.lock().unwrap().as_mut() {
            *ms += by.as_millis() as f64;
        }
    }
}

#[async_trait]
impl Counts for RedisCounts {
    async fn take(&self, bucket: &[u8], per_minute: u32) -> Result<(), u64> {
        if per_minute == 0 {
            return Ok(());
        }
        let mut invocation = self.take.key(self.key(bucket));
        invocation.arg(per_minute).arg(self.now());
        let mut conn = self.conn.clone();
        match self.breaker.guard(invocation.invoke_async::<u64>(&mut conn)).await {
            Ok(0) => Ok(()),
            Ok(wait) => Err(wait),
            Err(()) => self.local.take_now(bucket, per_minute),
        }
    }

    async fn admit(&self, request: Admit<'_>) -> Admitted {
        let id = random_u64() >> 1;
        let mut invocation = self.admit.prepare_invoke();
        for window in request.windows {
            invocation.key(self.key(&window.key));
        }
        let span_ms = u64::try_from(request.span.as_millis()).unwrap_or(u64::MAX);
        invocation
            .arg(span_ms)
            .arg(request.wanted)
            .arg(u8::from(request.partial))
            .arg(u8::from(request.unit))
            .arg(self.now())
            .arg(id.to_string());
        for window in request.windows {
            invocation.arg(window.limit);
        }
        let mut conn = self.conn.clone();
        match self.breaker.guard(invocation.invoke_async::<Vec<u64>>(&mut conn)).await {
            Ok(answer) if answer.len() == request.windows.len() + 1 => {
                let granted = u32::try_from(answer[0]).unwrap_or(0);
                let entry = (granted > 0).then_some(EntryId { id, local: false });
                Admitted { entry, granted, waits: answer[1..].to_vec() }
            }
            Ok(_) | Err(()) => self.local.admit_now(request),
        }
    }

    async fn amend(&self, windows: &[Vec<u8>], entry: EntryId, weight: u32) {
        if entry.local {
            return self.local.amend_now(windows, entry, weight);
        }
        let mut invocation = self.amend.prepare_invoke();
        for window in windows {
            invocation.key(self.key(window));
        }
        invocation.arg(entry.id.to_string()).arg(weight);
        let mut conn = self.conn.clone();
        // Failing, the entry keeps its weight until it leaves its window: a limit errs on the safe side.
        let _ = self.breaker.guard(invocation.invoke_async::<i64>(&mut conn)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::conformance;
    use crate::realtime::hub::Hub;
    use confab_protocol::realtime::ServerFrame;
    use std::process::{Child, Command, Stdio};

    fn redis_url() -> String {
        std::env::var("CONFAB_TEST_REDIS_URL").unwrap_or_else(|_| {
            panic!(
                "CONFAB_TEST_REDIS_URL is not set: run `bash scripts/services.sh start` and \
                 `source /tmp/confab-services/env` (it starts a private Redis and sets it)"
            )
        })
    }

    fn namespace() -> String {
        format!("test-{:016x}", random_u64())
    }

    async fn broker(namespace: &str) -> RedisBroker {
        RedisBroker::connect(&redis_url(), namespace).await.expect("Redis at CONFAB_TEST_REDIS_URL answers")
    }

    fn numbered(n: usize) -> Event {
        Event::Deliver { app_id: "app".into(), recipients: vec![format!("u{n}")], frame: ServerFrame::Pong }
    }

    fn number_of(received: &Received) -> Option<usize> {
        match received {
            Received::Event(event) => match event.as_ref() {
                Event::Deliver { recipients, .. } => recipients[0][1..].parse().ok(),
                _ => None,
            },
            _ => None,
        }
    }

    /// A redis-server of the test's own, on a port of its own.
    struct PrivateRedis {
        port: u16,
        child: Option<Child>,
    }

    impl PrivateRedis {
        fn start() -> Self {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut redis = Self { port, child: None };
            redis.restart();
            redis
        }

        fn url(&self) -> String {
            format!("redis://127.0.0.1:{}/", self.port)
        }

        fn restart(&mut self) {
            let child = Command::new("redis-server")
                .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server runs (apt-get install -y redis-server, or bash scripts/services.sh start)");
            self.child = Some(child);
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                assert!(Instant::now() < deadline, "redis-server did not start on port {}", self.port);
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        fn kill(&mut self) {
            if let Some(mut child) = self.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    impl Drop for PrivateRedis {
        fn drop(&mut self) {
            self.kill();
        }
    }

    #[tokio::test]
    async fn the_redis_broker_passes_the_conformance_suite() {
        let ns = namespace();
        conformance::fans_out_to_every_subscriber(&broker(&ns).await).await;
        conformance::keeps_publish_order(&broker(&namespace()).await).await;
        conformance::sees_only_events_after_subscribing(&broker(&namespace()).await).await;
        let small = RedisBroker::connect_with_capacity(&redis_url(), &namespace(), 16).await.unwrap();
        conformance::reports_lag_instead_of_growing(&small, 16).await;
        conformance::carries_events_intact(&broker(&namespace()).await).await;
        let flooded = RedisBroker::connect_with_capacity(&redis_url(), &namespace(), 1024).await.unwrap();
        conformance::never_blocks_the_publisher(&flooded, 100_000).await;
        let ns = namespace();
        let (a, b) = (broker(&ns).await, broker(&ns).await);
        conformance::fans_out_across_nodes(&a, &b).await;
    }

    #[tokio::test]
    async fn an_event_published_on_one_node_reaches_another_and_namespaces_keep_apart() {
        let ns = namespace();
        let (a, b) = (broker(&ns).await, broker(&ns).await);
        let other = broker(&namespace()).await;
        let mut on_b = b.subscribe();
        let mut on_other = other.subscribe();
        a.publish(numbered(1));
        other.publish(numbered(2));
        let received = tokio::time::timeout(Duration::from_secs(5), on_b.recv()).await.unwrap();
        assert_eq!(number_of(&received), Some(1));
        let received = tokio::time::timeout(Duration::from_secs(5), on_other.recv()).await.unwrap();
        assert_eq!(number_of(&received), Some(2), "the other namespace sees only its own");
        assert!(tokio::time::timeout(Duration::from_millis(300), on_b.recv()).await.is_err(), "nothing from another namespace");
        assert_eq!(a.dropped(), 0);
    }

    #[test]
    fn a_gap_in_a_nodes_numbers_is_reported() {
        let mut sequencer = Sequencer::default();
        assert_eq!(sequencer.missed(7, 40), 0, "the first event seen of a node starts its count");
        assert_eq!(sequencer.missed(7, 41), 0);
        assert_eq!(sequencer.missed(9, 0), 0);
        assert_eq!(sequencer.missed(7, 45), 3);
        assert_eq!(sequencer.missed(7, 44), 0, "an old number is no gap");
        assert_eq!(sequencer.missed(7, 46), 0);
    }

    #[tokio::test]
    async fn after_redis_restarts_subscribers_are_told_they_lagged_and_events_flow_again() {
        let mut redis = PrivateRedis::start();
        let ns = namespace();
        let (a, b) = (
            RedisBroker::connect(&redis.url(), &ns).await.unwrap(),
            RedisBroker::connect(&redis.url(), &ns).await.unwrap(),
        );
        let mut subscribers = vec![a.subscribe(), a.subscribe(), b.subscribe()];
        a.publish(numbered(1));
        for subscriber in &mut subscribers {
            let received = tokio::time::timeout(Duration::from_secs(5), subscriber.recv()).await.unwrap();
            assert_eq!(number_of(&received), Some(1));
        }
        redis.kill();
        for subscriber in &mut subscribers {
            let received = tokio::time::timeout(Duration::from_secs(10), subscriber.recv()).await.expect("told within 10 s");
            assert!(matches!(received, Received::Lagged(n) if n >= 1), "told it lagged, got {received:?}");
        }
        a.publish(numbered(2)); // Redis is down: dropped, and counted.
        redis.restart();
        // The brokers reconnect by themselves (backoff up to 2 s); publish until an event gets through.
        let deadline = Instant::now() + Duration::from_secs(20);
        for subscriber in &mut subscribers {
            loop {
                assert!(Instant::now() < deadline, "events did not flow again after the restart");
                a.publish(numbered(3));
                match tokio::time::timeout(Duration::from_millis(300), subscriber.recv()).await {
                    Ok(received) if number_of(&received) == Some(3) => break,
                    Ok(Received::Closed) => panic!("the broker closed"),
                    _ => continue,
                }
            }
        }
        assert!(a.dropped() >= 1, "the event published while Redis was down was counted");
        // And from the other node too.
        let mut on_a = a.subscribe();
        loop {
            assert!(Instant::now() < deadline, "events of the other node did not flow again after the restart");
            b.publish(numbered(4));
            match tokio::time::timeout(Duration::from_millis(300), on_a.recv()).await {
                Ok(received) if number_of(&received) == Some(4) => break,
                _ => continue,
            }
        }
    }

    fn fast() -> PresenceTimings {
        PresenceTimings { heartbeat: Duration::from_millis(100), dead_after: Duration::from_millis(400) }
    }

    async fn presence(namespace: &str) -> RedisPresence {
        RedisPresence::connect_with(&redis_url(), namespace, fast()).await.expect("Redis at CONFAB_TEST_REDIS_URL answers")
    }

    #[tokio::test]
    async fn a_user_is_online_while_a_device_is_on_any_node_and_each_change_is_announced_once() {
        let ns = namespace();
        let (a, b) = (presence(&ns).await, presence(&ns).await);
        assert!(a.arrived("app", "ann").await, "first device anywhere: announce online");
        assert!(!b.arrived("app", "ann").await, "online already (on a)");
        assert!(b.is_online("app", "ann").await && a.is_online("app", "ann").await);
        assert_eq!(b.online_uids("app").await, vec!["ann".to_owned()]);
        assert!(b.online_uids("other-app").await.is_empty());
        assert_eq!(a.left("app", "ann", 100).await, None, "still on b");
        let ticket = b.left("app", "ann", 200).await.expect("the last device anywhere left");
        assert!(b.is_online("app", "ann").await, "online during the grace");
        assert!(b.settle("app", "ann", ticket).await, "offline, announced by b");
        assert!(!a.is_online("app", "ann").await);
        assert!(!b.settle("app", "ann", ticket).await, "once");
        // Back within the grace, on another node: nothing to announce either way.
        assert!(a.arrived("app", "ann").await);
        let ticket = a.left("app", "ann", 300).await.unwrap();
        assert!(!b.arrived("app", "ann").await, "never announced offline");
        assert!(!a.settle("app", "ann", ticket).await, "the offline was called off by b's device");
        assert!(a.is_online("app", "ann").await);
        let ticket = b.left("app", "ann", 400).await.unwrap();
        assert!(b.settle("app", "ann", ticket).await);
        assert!(a.transitions().is_some() && a.transitions().is_none(), "one reader");
    }

    #[tokio::test]
    async fn a_dead_nodes_users_go_offline_unless_they_are_on_another_node() {
        let ns = namespace();
        let live = presence(&ns).await;
        let mut found = live.transitions().unwrap();
        let doomed = presence(&ns).await;
        assert!(doomed.arrived("app", "ann").await);
        assert!(doomed.arrived("app", "bob").await);
        assert!(!live.arrived("app", "bob").await);
        // cid left the doomed node just before it died: their pending offline is settled by the live one.
        assert!(doomed.arrived("app", "cid").await);
        let _pending = doomed.left("app", "cid", 123).await.unwrap();
        let started = Instant::now();
        drop(doomed); // no clean-up: its heartbeat stops
        let mut offline = Vec::new();
        while offline.len() < 2 {
            let change = tokio::time::timeout(Duration::from_secs(5), found.recv()).await.expect("announced within 5 s").unwrap();
            assert_eq!(change.status, PresenceStatus::Offline);
            offline.push((change.uid.clone(), change.last_active_at));
        }
        offline.sort();
        assert_eq!(offline[0].0, "ann");
        assert!(offline[0].1 > 1_600_000_000, "last active: the dead node's last heartbeat");
        assert_eq!(offline[1], ("cid".to_owned(), 123));
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(!live.is_online("app", "ann").await);
        assert!(live.is_online("app", "bob").await, "still on the live node");
        assert!(tokio::time::timeout(Duration::from_millis(600), found.recv()).await.is_err(), "nothing more");
    }

    #[tokio::test]
    async fn a_node_found_dead_while_stalled_puts_its_users_back() {
        let ns = namespace();
        let a = presence(&ns).await;
        let mut found = a.transitions().unwrap();
        // b stalls: its heartbeat comes only every 30 s, so the others find it dead 400 ms after it last wrote.
        let slow = PresenceTimings { heartbeat: Duration::from_secs(30), ..fast() };
        let b = RedisPresence::connect_with(&redis_url(), &ns, slow).await.unwrap();
        assert!(b.arrived("app", "ann").await);
        let change = tokio::time::timeout(Duration::from_secs(5), found.recv()).await.unwrap().unwrap();
        assert_eq!((change.uid.as_str(), change.status), ("ann", PresenceStatus::Offline));
        assert!(!a.is_online("app", "ann").await);
        // b wakes up: its next write finds it was removed, and it writes its devices back.
        let mut back = b.transitions().unwrap();
        assert!(b.arrived("app", "zed").await);
        let change = tokio::time::timeout(Duration::from_secs(5), back.recv()).await.unwrap().unwrap();
        assert_eq!((change.uid.as_str(), change.status), ("ann", PresenceStatus::Online));
        assert!(a.is_online("app", "ann").await && a.is_online("app", "zed").await);
    }

    #[tokio::test]
    async fn a_hub_on_the_redis_presence_answers_for_the_cluster() {
        let ns = namespace();
        let (one, two) = (Hub::new(Arc::new(presence(&ns).await)), Hub::new(Arc::new(presence(&ns).await)));
        let (first, online) = one.register("app", "ann", vec![1]);
        assert!(online.await);
        let (second, online) = two.register("app", "ann", vec![2]);
        assert!(!online.await);
        assert!(one.unregister("app", "ann", first.id, 10).unwrap().await.is_none(), "still on the other node");
        let ticket = two.unregister("app", "ann", second.id, 20).unwrap().await.unwrap();
        assert!(one.is_online("app", "ann").await);
        assert!(two.settle_offline("app", "ann", ticket).await);
        assert!(!one.is_online("app", "ann").await && one.online_uids("app").await.is_empty());
    }

    #[tokio::test]
    async fn presence_falls_back_to_the_nodes_own_view_while_redis_is_away() {
        let mut redis = PrivateRedis::start();
        let ns = namespace();
        let p = RedisPresence::connect_with(&redis.url(), &ns, fast()).await.unwrap();
        assert!(p.arrived("app", "ann").await);
        redis.kill();
        assert!(p.is_online("app", "ann").await, "answered from this node's view");
        assert!(p.arrived("app", "bob").await);
        let ticket = p.left("app", "bob", 5).await.expect("a ticket of this node's");
        assert!(p.settle("app", "bob", ticket).await);
        redis.restart(); // empty: the data is gone
        // The node writes its devices back once Redis answers, and says who is online again.
        let mut found = p.transitions().unwrap();
        let change = tokio::time::timeout(Duration::from_secs(10), found.recv()).await.unwrap().unwrap();
        assert_eq!((change.uid.as_str(), change.status), ("ann", PresenceStatus::Online));
        let deadline = Instant::now() + Duration::from_secs(5);
        while !p.is_online("app", "ann").await {
            assert!(Instant::now() < deadline);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(p.online_uids("app").await, vec!["ann".to_owned()]);
    }

    async fn counts() -> Arc<RedisCounts> {
        Arc::new(RedisCounts::connect(&redis_url(), &namespace()).await.expect("Redis at CONFAB_TEST_REDIS_URL answers"))
    }

    async fn manual_counts() -> (Arc<RedisCounts>, impl Fn(Duration)) {
        let counts = counts().await;
        counts.use_manual_clock();
        let clock = counts.clone();
        (counts, move |by| clock.advance(by))
    }

    #[tokio::test]
    async fn redis_counts_pass_the_limits_suites() {
        use crate::{attempts, rate_limit};
        let (c, advance) = manual_counts().await;
        rate_limit::suite::allows_a_burst_then_refuses_until_refilled(c, &advance).await;
        let (c, advance) = manual_counts().await;
        rate_limit::suite::guests_are_limited_per_address_and_per_app_in_any_24_hours(c, &advance).await;
        rate_limit::suite::an_address_refused_does_not_use_up_the_app(counts().await).await;
        rate_limit::suite::guest_limits_of_zero_are_off_and_ipv6_counts_by_64(counts().await).await;
        let (c, advance) = manual_counts().await;
        attempts::suite::wrong_guesses_per_user_run_out_and_come_back_after_the_window(c, &advance).await;
        attempts::suite::right_guesses_do_not_count(counts().await).await;
        attempts::suite::many_users_share_the_groups_limit(counts().await).await;
        let (c, advance) = manual_counts().await;
        attempts::suite::adds_are_granted_up_to_the_daily_allowance_and_refunded_when_not_made(c, &advance).await;
    }

    #[tokio::test]
    async fn every_node_counts_against_the_same_limits() {
        use crate::rate_limit::{GuestLimits, RateLimiter};
        let ns = namespace();
        let (a, b) = (
            Arc::new(RedisCounts::connect(&redis_url(), &ns).await.unwrap()),
            Arc::new(RedisCounts::connect(&redis_url(), &ns).await.unwrap()),
        );
        let (on_a, on_b) = (RateLimiter::with_counts(60, a.clone()), RateLimiter::with_counts(60, b.clone()));
        for _ in 0..30 {
            assert!(on_a.check(b"token").await.is_ok());
            assert!(on_b.check(b"token").await.is_ok());
        }
        assert!(on_a.check(b"token").await.is_err() && on_b.check(b"token").await.is_err(), "60 in all, not 60 each");
        let (guests_a, guests_b) = (GuestLimits::with_counts(1, 0, a), GuestLimits::with_counts(1, 0, b));
        let client = "10.1.2.3".parse().unwrap();
        assert!(guests_a.admit("app", client).await.is_ok());
        assert!(guests_b.admit("app", client).await.is_err());
    }

    #[tokio::test]
    async fn limits_count_on_the_node_while_redis_is_away() {
        use crate::rate_limit::RateLimiter;
        let mut redis = PrivateRedis::start();
        let counts = Arc::new(RedisCounts::connect(&redis.url(), &namespace()).await.unwrap());
        let limiter = RateLimiter::with_counts(5, counts.clone());
        assert!(limiter.check(b"k").await.is_ok());
        redis.kill();
        let started = Instant::now();
        for _ in 0..5 {
            assert!(limiter.check(b"k").await.is_ok(), "answered, not failed");
        }
        assert!(limiter.check(b"k").await.is_err(), "and still limited, locally");
        assert!(started.elapsed() < Duration::from_secs(3), "without waiting on Redis each time");
        let attempts = crate::attempts::Attempts::with_counts(counts.clone());
        let guess = attempts.begin_guess("app", "g", "u").await.unwrap();
        attempts.forgive(guess).await;
        redis.restart();
        tokio::time::sleep(BREAK_FOR + Duration::from_millis(100)).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        // Back on Redis (empty now): a fresh bucket there.
        while limiter.check(b"k").await.is_err() {
            assert!(Instant::now() < deadline, "counting did not go back to Redis");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
