//! Who is who in the realtime scenario, and what each send carries: pure logic, no I/O.
//!
//! User `n` is `u{n}` with one connection. Users `2k` and `2k + 1` are a 1:1 pair. Traffic group `g` is
//! `g{g}` with users `g * size .. (g + 1) * size` (the groups do not overlap). The big group is `big` with
//! users `0 .. big`. Every member of a group gets every message sent to it, the sender's own connection
//! included; the bench counts the deliveries to the *other* members' connections. With several nodes
//! (`cluster`), user `n`'s connection goes to node `n mod nodes`: the two users of a pair are always on
//! different nodes, and a group's members are spread over all of them.

use std::fmt::Write as _;

/// The uid of user `n`.
pub fn uid(n: usize) -> String {
    format!("u{n}")
}

/// The guid of traffic group `g`.
pub fn guid(g: usize) -> String {
    format!("g{g}")
}

/// The guid of the big group.
pub const BIG_GUID: &str = "big";

/// Where a send goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receiver {
    /// User `n` (1:1).
    User(u32),
    /// Traffic group `g`.
    Group(u32),
    /// The big group.
    Big,
}

impl Receiver {
    /// Appends the `receiver` and `receiverType` values of a send frame.
    fn write_json(self, out: &mut String) {
        let _ = match self {
            Receiver::User(n) => write!(out, r#""receiver":"u{n}","receiverType":"user""#),
            Receiver::Group(g) => write!(out, r#""receiver":"g{g}","receiverType":"group""#),
            Receiver::Big => write!(out, r#""receiver":"{BIG_GUID}","receiverType":"group""#),
        };
    }
}

/// One send the scheduler hands to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Send {
    /// The bench's number for the message, unique in a run against one server.
    pub seq: u32,
    /// The phase it belongs to.
    pub phase: u8,
    /// The sending user (the connection that sends it).
    pub sender: u32,
    /// Where it goes.
    pub receiver: Receiver,
    /// Deliveries expected on other connections than the sender's.
    pub expected: u16,
    /// Of those, deliveries to connections on another node than the sender's (0 with one node).
    pub expected_cross: u16,
}

impl Send {
    /// The `send` frame, stamped with `t_us`, the bench's clock when it is written to the socket.
    pub fn frame(&self, t_us: u64) -> String {
        let mut out = String::with_capacity(160);
        out.push_str(r#"{"type":"send","message":{"#);
        self.receiver.write_json(&mut out);
        let _ = write!(
            out,
            r#","type":"text","data":{{"text":"{}"}},"muid":"{}"}}}}"#,
            Stamp { phase: self.phase, seq: self.seq, sender: self.sender, t_us }.text(),
            muid(self.phase, self.seq)
        );
        out
    }
}

/// The `muid` of a send: `b{phase}.{seq}`.
pub fn muid(phase: u8, seq: u32) -> String {
    format!("b{phase}.{seq}")
}

/// The phase a `muid` made by [`muid`] names.
pub fn phase_of_muid(muid: &str) -> Option<u8> {
    muid.strip_prefix('b')?.split_once('.')?.0.parse().ok()
}

/// What the bench writes in a message's text, read back on every delivery: `rt {phase} {seq} {sender} {t_us}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The phase the message was sent in.
    pub phase: u8,
    /// Its number.
    pub seq: u32,
    /// Its sender.
    pub sender: u32,
    /// When it was written to the socket, microseconds on the bench's clock.
    pub t_us: u64,
}

impl Stamp {
    /// The text.
    pub fn text(&self) -> String {
        format!("rt {} {} {} {}", self.phase, self.seq, self.sender, self.t_us)
    }

    /// Reads a text made by [`Stamp::text`]; `None` for any other text.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.strip_prefix("rt ")?.split(' ');
        let stamp = Self {
            phase: parts.next()?.parse().ok()?,
            seq: parts.next()?.parse().ok()?,
            sender: parts.next()?.parse().ok()?,
            t_us: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(stamp)
    }
}

/// The node user `n`'s connection goes to when there are `nodes`: `n mod nodes`.
pub fn node_of(n: usize, nodes: usize) -> usize {
    n % nodes.max(1)
}

/// The users and groups of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Users, one connection each.
    pub users: usize,
    /// Traffic groups.
    pub groups: usize,
    /// Members of each traffic group.
    pub group_size: usize,
    /// Members of the big group (0 for none).
    pub big_group: usize,
    /// Nodes the connections are spread over (1 for one server).
    pub nodes: usize,
}

impl Layout {
    /// The node user `n`'s connection goes to.
    pub fn node_of(&self, n: usize) -> usize {
        node_of(n, self.nodes)
    }

    /// Whether a delivery from `sender` to `receiver` crosses from one node to another.
    pub fn crosses(&self, sender: usize, receiver: usize) -> bool {
        self.node_of(sender) != self.node_of(receiver)
    }

    /// Members of `members` other than `sender` whose connection is on another node than the sender's.
    fn cross_deliveries(&self, members: std::ops::Range<usize>, sender: usize) -> u16 {
        members.filter(|&m| m != sender && self.crosses(sender, m)).count() as u16
    }

    /// 1:1 pairs: `users / 2`.
    pub fn pairs(&self) -> usize {
        self.users / 2
    }

    /// The members of traffic group `g`, as user numbers.
    pub fn group_members(&self, g: usize) -> std::ops::Range<usize> {
        g * self.group_size..(g + 1) * self.group_size
    }

    /// The members of the big group, as user numbers.
    pub fn big_members(&self) -> std::ops::Range<usize> {
        0..self.big_group
    }
}

/// A small, fast, seeded generator (xorshift64*): the same seed picks the same sends.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value).
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// Picks the sends: steady traffic (1:1 or a traffic group) and messages to the big group.
#[derive(Debug, Clone)]
pub struct Picker {
    layout: Layout,
    group_share: f64,
    rng: Rng,
}

impl Picker {
    /// A picker sending `group_share` of the steady traffic to groups.
    pub fn new(layout: Layout, group_share: f64, seed: u64) -> Self {
        Self { layout, group_share, rng: Rng::new(seed) }
    }

    /// One steady send: to a random traffic group from one of its members, or from a random user to the
    /// other user of their pair.
    pub fn steady(&mut self, seq: u32, phase: u8) -> Send {
        let l = self.layout;
        let to_group = l.groups > 0 && (l.pairs() == 0 || self.rng.chance(self.group_share));
        if to_group {
            let g = self.rng.below(l.groups);
            let sender = l.group_members(g).start + self.rng.below(l.group_size);
            let expected = (l.group_size - 1) as u16;
            let expected_cross = l.cross_deliveries(l.group_members(g), sender);
            return Send { seq, phase, sender: sender as u32, receiver: Receiver::Group(g as u32), expected, expected_cross };
        }
        let pair = self.rng.below(l.pairs());
        let (a, b) = (2 * pair, 2 * pair + 1);
        let (sender, receiver) = if self.rng.chance(0.5) { (a, b) } else { (b, a) };
        let expected_cross = u16::from(l.crosses(sender, receiver));
        Send { seq, phase, sender: sender as u32, receiver: Receiver::User(receiver as u32), expected: 1, expected_cross }
    }

    /// One send to the big group from a random member.
    pub fn big(&mut self, seq: u32, phase: u8) -> Send {
        let l = self.layout;
        let sender = self.rng.below(l.big_group);
        let expected_cross = l.cross_deliveries(l.big_members(), sender);
        Send { seq, phase, sender: sender as u32, receiver: Receiver::Big, expected: (l.big_group - 1) as u16, expected_cross }
    }
}

/// Deliveries a rate sends at a group share, per message: `share * (size - 1) + (1 - share) * 1`.
pub fn deliveries_per_send(group_share: f64, group_size: usize) -> f64 {
    group_share * (group_size.saturating_sub(1)) as f64 + (1.0 - group_share)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYOUT: Layout = Layout { users: 100, groups: 2, group_size: 50, big_group: 30, nodes: 1 };

    #[test]
    fn stamps_round_trip_and_refuse_other_texts() {
        let stamp = Stamp { phase: 2, seq: 123_456, sender: 9_999, t_us: 12_345_678_901 };
        assert_eq!(stamp.text(), "rt 2 123456 9999 12345678901");
        assert_eq!(Stamp::parse(&stamp.text()), Some(stamp));
        for other in ["hello", "rt 1 2 3", "rt 1 2 3 4 5", "rt x 2 3 4", "rt 1 2 3 -4", ""] {
            assert_eq!(Stamp::parse(other), None, "{other}");
        }
    }

    #[test]
    fn send_frames_are_confab_send_frames() {
        let send = Send { seq: 7, phase: 1, sender: 3, receiver: Receiver::Group(4), expected: 49, expected_cross: 0 };
        let frame: serde_json::Value = serde_json::from_str(&send.frame(55)).unwrap();
        assert_eq!(
            frame,
            serde_json::json!({"type": "send", "message": {"receiver": "g4", "receiverType": "group", "type": "text",
                "data": {"text": "rt 1 7 3 55"}, "muid": "b1.7"}})
        );
        let send = Send { receiver: Receiver::User(2), ..send };
        let frame: serde_json::Value = serde_json::from_str(&send.frame(1)).unwrap();
        assert_eq!(frame["message"]["receiver"], "u2");
        assert_eq!(frame["message"]["receiverType"], "user");
        let send = Send { receiver: Receiver::Big, ..send };
        let frame: serde_json::Value = serde_json::from_str(&send.frame(1)).unwrap();
        assert_eq!(frame["message"]["receiver"], "big");
        assert_eq!(phase_of_muid("b1.7"), Some(1));
        assert_eq!(phase_of_muid("x1.7"), None);
    }

    #[test]
    fn steady_sends_come_from_a_member_or_the_pair() {
        let mut picker = Picker::new(LAYOUT, 0.5, 42);
        let (mut groups, mut direct) = (0, 0);
        for seq in 0..10_000 {
            let send = picker.steady(seq, 1);
            assert_eq!(send.seq, seq);
            match send.receiver {
                Receiver::Group(g) => {
                    groups += 1;
                    assert!(LAYOUT.group_members(g as usize).contains(&(send.sender as usize)));
                    assert_eq!(send.expected, 49);
                }
                Receiver::User(to) => {
                    direct += 1;
                    assert_eq!(to ^ 1, send.sender, "pairs are 2k and 2k + 1");
                    assert_eq!(send.expected, 1);
                }
                Receiver::Big => panic!("steady traffic never goes to the big group"),
            }
        }
        assert!((4_500..5_500).contains(&groups), "{groups} group sends of 10000 at share 0.5");
        assert_eq!(groups + direct, 10_000);
        let send = picker.big(1, 2);
        assert!(send.sender < 30 && send.expected == 29 && send.receiver == Receiver::Big);
    }

    #[test]
    fn with_three_nodes_pairs_always_cross_and_groups_mostly_do() {
        let layout = Layout { nodes: 3, ..LAYOUT };
        assert_eq!((layout.node_of(0), layout.node_of(1), layout.node_of(2), layout.node_of(3)), (0, 1, 2, 0));
        let mut picker = Picker::new(layout, 0.5, 9);
        let mut one_node = Picker::new(LAYOUT, 0.5, 9);
        for seq in 0..2000 {
            let send = picker.steady(seq, 1);
            assert_eq!(one_node.steady(seq, 1).expected_cross, 0, "one node: nothing crosses");
            match send.receiver {
                Receiver::User(_) => assert_eq!(send.expected_cross, 1, "2k and 2k + 1 are on different nodes"),
                // 50 members over 3 nodes (17, 17, 16): 33 or 34 of the other 49 are elsewhere.
                Receiver::Group(_) => assert!((33..=34).contains(&send.expected_cross), "{send:?}"),
                Receiver::Big => unreachable!(),
            }
        }
        let big = picker.big(1, 2);
        // 30 members over 3 nodes, 10 each: the 20 on the other two nodes.
        assert_eq!((big.expected, big.expected_cross), (29, 20));
    }

    #[test]
    fn shares_zero_and_one_pick_one_kind() {
        let mut only_direct = Picker::new(LAYOUT, 0.0, 1);
        assert!((0..1000).all(|s| matches!(only_direct.steady(s, 1).receiver, Receiver::User(_))));
        let mut only_groups = Picker::new(LAYOUT, 1.0, 1);
        assert!((0..1000).all(|s| matches!(only_groups.steady(s, 1).receiver, Receiver::Group(_))));
        assert_eq!(deliveries_per_send(0.5, 50), 25.0);
        assert_eq!(deliveries_per_send(0.0, 50), 1.0);
    }

    #[test]
    fn the_generator_is_seeded_and_spreads() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!((0..10).map(|_| a.next_u64()).collect::<Vec<_>>(), (0..10).map(|_| b.next_u64()).collect::<Vec<_>>());
        let mut counts = [0u32; 10];
        let mut rng = Rng::new(3);
        for _ in 0..100_000 {
            counts[rng.below(10)] += 1;
        }
        assert!(counts.iter().all(|&c| (9_000..11_000).contains(&c)), "{counts:?}");
    }
}
