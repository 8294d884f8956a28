//! What the connections saw: every delivery, acknowledgement and refusal, read off the frames as they
//! arrive, counted per phase and per message, with every latency sample kept (no sampling).

use super::plan::{node_of, phase_of_muid, Stamp};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

/// What a frame was, for the connection that read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// `ready`: the socket is signed in.
    Ready,
    /// Anything else (counted already when it matters).
    Other,
}

/// The counters of one phase.
#[derive(Debug, Default)]
struct Phase {
    /// Deliveries to other connections than the sender's.
    delivered: AtomicU64,
    /// Sends acknowledged.
    acked: AtomicU64,
    /// Send-to-receive latencies of those deliveries, microseconds.
    latencies: Mutex<Vec<u32>>,
    /// With several nodes: deliveries to a connection on another node than the sender's.
    cross_delivered: AtomicU64,
    /// With several nodes: the latencies of those, and of the deliveries on the sender's node.
    cross_latencies: Mutex<Vec<u32>>,
    same_latencies: Mutex<Vec<u32>>,
    /// Send-to-ack latencies, microseconds.
    ack_latencies: Mutex<Vec<u32>>,
    /// Refused sends, by error code.
    errors: Mutex<BTreeMap<String, u64>>,
}

/// The counts of every connection of one run against one server.
#[derive(Debug)]
pub struct Tracker {
    clock: Instant,
    /// Deliveries of each message so far, by `seq`.
    got: Box<[AtomicU16]>,
    /// Nodes the connections are spread over ([`node_of`]); 1 for one server.
    nodes: usize,
    /// With several nodes: deliveries of each message to another node than its sender's, by `seq`.
    got_cross: Box<[AtomicU16]>,
    /// With several nodes: such deliveries of any phase.
    cross_total: AtomicU64,
    phases: Vec<Phase>,
    /// Deliveries of any phase (for rates over a window).
    delivered_total: AtomicU64,
    /// Copies of a message that came back to the connection that sent it.
    echoes: AtomicU64,
    /// `message` frames the bench did not send (membership notices, say).
    foreign: AtomicU64,
}

/// Locks `m`, even after a panic elsewhere.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Tracker {
    /// Room for `messages` sends over `phases` phases, the connections spread over `nodes` (user `n` on node
    /// [`node_of`]`(n, nodes)`); `clock` is the origin of the send stamps.
    pub fn new(clock: Instant, messages: usize, phases: usize, nodes: usize) -> Self {
        let cross_messages = if nodes > 1 { messages } else { 0 };
        Self {
            clock,
            got: (0..messages).map(|_| AtomicU16::new(0)).collect(),
            nodes: nodes.max(1),
            got_cross: (0..cross_messages).map(|_| AtomicU16::new(0)).collect(),
            cross_total: AtomicU64::new(0),
            phases: (0..phases).map(|_| Phase::default()).collect(),
            delivered_total: AtomicU64::new(0),
            echoes: AtomicU64::new(0),
            foreign: AtomicU64::new(0),
        }
    }

    /// How many sends there is room for.
    pub fn capacity(&self) -> usize {
        self.got.len()
    }

    /// Microseconds since the clock's origin: the stamp a send carries.
    pub fn now_us(&self) -> u64 {
        self.clock.elapsed().as_micros() as u64
    }

    /// Reads one text frame that reached user `me`'s connection.
    pub fn on_text(&self, me: u32, text: &str) -> Seen {
        let Ok(frame) = serde_json::from_str::<Incoming<'_>>(text) else { return Seen::Other };
        match frame.kind.as_ref() {
            "ready" => return Seen::Ready,
            "message" => match frame.stamp() {
                Some(stamp) if stamp.sender == me => {
                    self.echoes.fetch_add(1, Relaxed);
                }
                Some(stamp) => self.record_delivery(me, stamp),
                None => {
                    self.foreign.fetch_add(1, Relaxed);
                }
            },
            "ack" => {
                if let Some(stamp) = frame.stamp() {
                    if let Some(phase) = self.phases.get(stamp.phase as usize) {
                        phase.acked.fetch_add(1, Relaxed);
                        lock(&phase.ack_latencies).push(self.since(stamp.t_us));
                    }
                }
            }
            "error" => {
                let code = frame.error.map_or_else(|| "unreadable error".to_owned(), |e| e.code);
                let phase = frame.reference.as_deref().and_then(phase_of_muid).unwrap_or(0);
                if let Some(phase) = self.phases.get(phase as usize) {
                    *lock(&phase.errors).entry(code).or_default() += 1;
                }
            }
            _ => {}
        }
        Seen::Other
    }

    /// Microseconds from `t_us` until now, saturated to `u32`.
    fn since(&self, t_us: u64) -> u32 {
        self.now_us().saturating_sub(t_us).min(u32::MAX as u64) as u32
    }

    fn record_delivery(&self, me: u32, stamp: Stamp) {
        let latency = self.since(stamp.t_us);
        if let Some(count) = self.got.get(stamp.seq as usize) {
            count.fetch_add(1, Relaxed);
        }
        let cross = self.nodes > 1 && node_of(me as usize, self.nodes) != node_of(stamp.sender as usize, self.nodes);
        if cross {
            if let Some(count) = self.got_cross.get(stamp.seq as usize) {
                count.fetch_add(1, Relaxed);
            }
            self.cross_total.fetch_add(1, Relaxed);
        }
        if let Some(phase) = self.phases.get(stamp.phase as usize) {
            phase.delivered.fetch_add(1, Relaxed);
            lock(&phase.latencies).push(latency);
            if cross {
                phase.cross_delivered.fetch_add(1, Relaxed);
                lock(&phase.cross_latencies).push(latency);
            } else if self.nodes > 1 {
                lock(&phase.same_latencies).push(latency);
            }
        }
        self.delivered_total.fetch_add(1, Relaxed);
    }

    /// With several nodes: deliveries so far to another node than the sender's, every phase together.
    pub fn cross_total(&self) -> u64 {
        self.cross_total.load(Relaxed)
    }

    /// With several nodes: deliveries so far of message `seq` to another node than its sender's.
    pub fn got_cross(&self, seq: u32) -> u16 {
        self.got_cross.get(seq as usize).map_or(0, |c| c.load(Relaxed))
    }

    /// With several nodes: the latency samples of `phase`'s deliveries to another node than the sender's,
    /// and of those on the sender's node.
    pub fn cross_and_same_samples(&self, phase: u8) -> (Vec<Duration>, Vec<Duration>) {
        let Some(p) = self.phases.get(phase as usize) else { return (Vec::new(), Vec::new()) };
        (durations(&p.cross_latencies), durations(&p.same_latencies))
    }

    /// Deliveries so far, every phase together.
    pub fn delivered_total(&self) -> u64 {
        self.delivered_total.load(Relaxed)
    }

    /// Deliveries so far of messages sent in `phase`.
    pub fn delivered(&self, phase: u8) -> u64 {
        self.phases.get(phase as usize).map_or(0, |p| p.delivered.load(Relaxed))
    }

    /// Acknowledgements so far of messages sent in `phase`.
    pub fn acked(&self, phase: u8) -> u64 {
        self.phases.get(phase as usize).map_or(0, |p| p.acked.load(Relaxed))
    }

    /// Refusals so far of messages sent in `phase`, whatever the code.
    pub fn refused(&self, phase: u8) -> u64 {
        self.phases.get(phase as usize).map_or(0, |p| lock(&p.errors).values().sum())
    }

    /// Copies that came back to their sender, and `message` frames the bench did not send.
    pub fn echoes_and_foreign(&self) -> (u64, u64) {
        (self.echoes.load(Relaxed), self.foreign.load(Relaxed))
    }

    /// Deliveries so far of message `seq`.
    pub fn got(&self, seq: u32) -> u16 {
        self.got.get(seq as usize).map_or(0, |c| c.load(Relaxed))
    }

    /// The latency samples of `phase`, delivery and ack, as durations.
    pub fn samples(&self, phase: u8) -> (Vec<Duration>, Vec<Duration>) {
        let Some(p) = self.phases.get(phase as usize) else { return (Vec::new(), Vec::new()) };
        (durations(&p.latencies), durations(&p.ack_latencies))
    }

    /// The refusals of `phase`, by code.
    pub fn errors(&self, phase: u8) -> BTreeMap<String, u64> {
        self.phases.get(phase as usize).map_or_else(BTreeMap::new, |p| lock(&p.errors).clone())
    }
}

/// Microsecond samples as durations.
fn durations(samples: &Mutex<Vec<u32>>) -> Vec<Duration> {
    lock(samples).iter().map(|&us| Duration::from_micros(us as u64)).collect()
}

/// Compares the deliveries each message got with those it should have: (missing, duplicated).
pub fn shortfall(expected_and_got: impl IntoIterator<Item = (u16, u16)>) -> (u64, u64) {
    let (mut missing, mut duplicated) = (0u64, 0u64);
    for (expected, got) in expected_and_got {
        missing += expected.saturating_sub(got) as u64;
        duplicated += got.saturating_sub(expected) as u64;
    }
    (missing, duplicated)
}

/// The parts of a server frame the bench reads; everything else is skipped.
#[derive(Debug, Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    message: Option<Carried<'a>>,
    #[serde(default)]
    error: Option<ErrorCode>,
    #[serde(default, rename = "ref", borrow)]
    reference: Option<Cow<'a, str>>,
}

impl Incoming<'_> {
    fn stamp(&self) -> Option<Stamp> {
        Stamp::parse(self.message.as_ref()?.data.as_ref()?.text.as_deref()?)
    }
}

#[derive(Debug, Deserialize)]
struct Carried<'a> {
    #[serde(default, borrow)]
    data: Option<Data<'a>>,
}

#[derive(Debug, Deserialize)]
struct Data<'a> {
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
struct ErrorCode {
    code: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        format!(
            r#"{{"type":"message","message":{{"id":"17","conversationId":"group_g1","sender":"u3","receiver":"g1",
            "receiverType":"group","category":"message","type":"text","data":{{"text":"{text}","metadata":{{"a":[1,{{}}]}}}},
            "sentAt":1700000000}}}}"#
        )
    }

    #[test]
    fn counts_deliveries_echoes_acks_and_refusals() {
        let tracker = Tracker::new(Instant::now(), 10, 3, 1);
        let sent = Stamp { phase: 1, seq: 4, sender: 3, t_us: 0 }.text();
        assert_eq!(tracker.on_text(5, r#"{"type":"ready","v":1,"user":{"uid":"u5","name":"x"}}"#), Seen::Ready);
        assert_eq!(tracker.on_text(5, &message(&sent)), Seen::Other);
        tracker.on_text(6, &message(&sent));
        tracker.on_text(3, &message(&sent));
        tracker.on_text(6, &message("hello from the widget"));
        tracker.on_text(3, &format!(r#"{{"type":"ack","muid":"b1.4","message":{{"id":"17","data":{{"text":"{sent}"}}}}}}"#));
        tracker.on_text(3, r#"{"type":"error","error":{"code":"ERR_TOO_MANY_REQUESTS","message":"slow"},"ref":"b2.9"}"#);
        tracker.on_text(3, r#"{"type":"presence","uid":"u1","status":"online","lastActiveAt":1}"#);
        tracker.on_text(3, "not json");
        assert_eq!((tracker.delivered(1), tracker.delivered_total(), tracker.got(4)), (2, 2, 2));
        assert_eq!(tracker.echoes_and_foreign(), (1, 1));
        assert_eq!((tracker.acked(1), tracker.acked(2), tracker.refused(2)), (1, 0, 1));
        assert_eq!(tracker.errors(2).get("ERR_TOO_MANY_REQUESTS"), Some(&1));
        let (deliveries, acks) = tracker.samples(1);
        assert_eq!((deliveries.len(), acks.len()), (2, 1));
        assert_eq!((tracker.cross_total(), tracker.got_cross(4)), (0, 0), "one node: nothing crosses");
    }

    #[test]
    fn with_several_nodes_counts_what_crosses() {
        let tracker = Tracker::new(Instant::now(), 10, 2, 3);
        let sent = Stamp { phase: 1, seq: 4, sender: 3, t_us: 0 }.text();
        // User 3 is on node 0, like user 6; users 4 and 5 are on nodes 1 and 2.
        for me in [4, 5, 6] {
            tracker.on_text(me, &message(&sent));
        }
        assert_eq!((tracker.delivered(1), tracker.cross_total(), tracker.got_cross(4), tracker.got(4)), (3, 2, 2, 3));
        let (cross, same) = tracker.cross_and_same_samples(1);
        assert_eq!((cross.len(), same.len()), (2, 1));
    }

    #[test]
    fn a_stamp_with_escapes_is_still_read() {
        let tracker = Tracker::new(Instant::now(), 10, 2, 1);
        tracker.on_text(1, r#"{"type":"message","message":{"data":{"text":"rt 1 2 3 4\u0000"}}}"#);
        assert_eq!(tracker.echoes_and_foreign(), (0, 1));
        tracker.on_text(1, r#"{"type":"message","message":{"data":{"text":"rt 1 2 3 \u0034"}}}"#);
        assert_eq!(tracker.got(2), 1);
    }

    #[test]
    fn shortfall_counts_missing_and_extra_deliveries() {
        assert_eq!(shortfall([(49, 49), (49, 40), (1, 0), (1, 3)]), (10, 2));
        assert_eq!(shortfall([]), (0, 0));
    }
}
