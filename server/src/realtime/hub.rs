//! This node's connected devices. Each device has a bounded queue of outgoing frames; a device whose
//! queue is full is closed with the resume close code rather than letting memory grow.
//!
//! # Presence
//!
//! Presence is debounced: a user is announced online when a device connects while they were announced
//! offline (or never announced), and offline only [`PRESENCE_GRACE`] after their last device left, if none
//! came back meanwhile. So a device that reconnects (a page reload, a network switch, a flapping connection)
//! announces nothing, and presence frames and `user_connection_status_changed` calls stay bounded.
//!
//! The hub keeps the devices; who is online is the [`Presence`]'s to say. The hub tells it when a user's
//! first device on this node connects and when their last one on this node leaves, in the order these
//! happen (under the hub's lock), and the presence answers whether to announce. [`LocalPresence`] (the
//! default) decides for this node alone. With several nodes, `realtime::redis::RedisPresence` decides for
//! the cluster: a user is online while any device on any node is connected, each transition is announced
//! once cluster-wide (by the node whose device made it), and [`is_online`](Hub::is_online) and
//! [`online_uids`](Hub::online_uids) answer for every node; the transitions it finds on its own (the
//! users of a node that died) come from [`Presence::transitions`].

use confab_protocol::realtime::{close_code, PresenceStatus, ServerFrame};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};

use super::broker::{Received, Subscriber};
use super::Event;

/// Frames a device may have waiting before it is cut off.
pub const DEVICE_QUEUE: usize = 1024;
/// How long after a user's last device left they are announced offline, unless a device comes back first.
pub const PRESENCE_GRACE: Duration = Duration::from_secs(5);

/// A frame ready to write: its JSON text, and the message id it carries (for resume de-duplication).
#[derive(Debug, Clone)]
pub struct Outbound {
    /// The frame as JSON.
    pub text: Arc<str>,
    /// The id of the message in a `message` frame.
    pub message_id: Option<i64>,
}

impl Outbound {
    /// Serialises `frame` once.
    pub fn new(frame: &ServerFrame) -> Self {
        let message_id = match frame {
            ServerFrame::Message { message } => message.id.parse().ok(),
            _ => None,
        };
        Self { text: serde_json::to_string(frame).expect("frames serialise").into(), message_id }
    }
}

/// Tells a device's task to close its socket with a code.
#[derive(Debug, Default)]
pub struct Closer {
    code: AtomicU16,
    notify: Notify,
}

impl Closer {
    /// Asks for the socket to close with `code` (the first code asked for wins).
    pub fn close(&self, code: u16) {
        if self.code.compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            self.notify.notify_one();
        }
    }

    /// Waits until a close is asked for; its code.
    pub async fn closed(&self) -> u16 {
        loop {
            let code = self.code.load(Ordering::SeqCst);
            if code != 0 {
                return code;
            }
            self.notify.notified().await;
        }
    }
}

struct Device {
    id: u64,
    token_hash: Vec<u8>,
    queue: mpsc::Sender<Outbound>,
    closer: Arc<Closer>,
}

/// A device's place in the hub.
pub struct Registration {
    /// Its id.
    pub id: u64,
    /// Its outgoing frames.
    pub frames: mpsc::Receiver<Outbound>,
    /// How the hub asks it to close.
    pub closer: Arc<Closer>,
}

type UserKey = (String, String);

/// An answer of the [`Presence`], to await. Its work is under way (and ordered) from the call that gave it.
pub type Answer<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

fn ready<T: Send + 'static>(value: T) -> Answer<T> {
    Box::pin(std::future::ready(value))
}

/// A pending offline, from [`Presence::left`]: after [`PRESENCE_GRACE`], [`Presence::settle`] with it says
/// whether to announce it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    /// This node's own ticket (its view, also what a cluster presence falls back to).
    pub local: Option<u64>,
    /// The cluster's ticket, when a cluster presence gave one.
    pub cluster: Option<u64>,
}

/// A presence change found by the presence itself rather than caused by one of this node's devices (a
/// cluster presence: the users of a node that died, corrections after the cluster store was unreachable).
/// Whoever reads [`Presence::transitions`] announces it (and, offline, writes `lastActiveAt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The app.
    pub app_id: String,
    /// The user.
    pub uid: String,
    /// Online or offline now.
    pub status: PresenceStatus,
    /// When the user was last seen (unix seconds).
    pub last_active_at: i64,
}

/// Who is online, as announced. The hub calls [`arrived`](Self::arrived) and [`left`](Self::left) in the
/// order its devices come and go (a user's first device on this node, their last one on this node), so an
/// implementation must start each call's work before it returns, in call order; the answers may come
/// later.
pub trait Presence: Send + Sync + 'static {
    /// The first device of `uid` on this node connected. True when the user was not online (as announced)
    /// anywhere: the caller announces them online.
    fn arrived(&self, app_id: &str, uid: &str) -> Answer<bool>;
    /// The last device of `uid` on this node left at `left_at` (unix seconds). A ticket when none of
    /// theirs is left anywhere and they were announced online: the caller waits [`PRESENCE_GRACE`], then
    /// [`settle`](Self::settle)s it.
    fn left(&self, app_id: &str, uid: &str, left_at: i64) -> Answer<Option<Ticket>>;
    /// True when no device of `uid` came back anywhere since the [`left`](Self::left) that gave `ticket`:
    /// they are offline now, and the caller announces it (once cluster-wide).
    fn settle(&self, app_id: &str, uid: &str, ticket: Ticket) -> Answer<bool>;
    /// Whether `uid` is online as announced: a device of theirs is connected, or the last one left less
    /// than [`PRESENCE_GRACE`] ago.
    fn is_online(&self, app_id: &str, uid: &str) -> Answer<bool>;
    /// The users of `app_id` online as announced (see [`is_online`](Self::is_online)).
    fn online_uids(&self, app_id: &str) -> Answer<Vec<String>>;
    /// The transitions this presence finds on its own, to announce; `None` when it finds none (or they
    /// were taken already: there is one reader).
    fn transitions(&self) -> Option<mpsc::UnboundedReceiver<Transition>> {
        None
    }
}

/// Presence decided by this node alone: a user is online while one of their devices is connected here.
#[derive(Debug, Default)]
pub struct LocalPresence {
    /// Users announced online and not offline since; `Some(ticket)` while their offline waits out
    /// [`PRESENCE_GRACE`].
    present: Mutex<HashMap<UserKey, Option<u64>>>,
    next_ticket: AtomicU64,
}

impl LocalPresence {
    fn present(&self) -> std::sync::MutexGuard<'_, HashMap<UserKey, Option<u64>>> {
        self.present.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// [`Presence::arrived`], at once.
    pub fn arrive_now(&self, app_id: &str, uid: &str) -> bool {
        self.present().insert((app_id.to_owned(), uid.to_owned()), None).is_none()
    }

    /// [`Presence::left`], at once: this node's ticket.
    pub fn leave_now(&self, app_id: &str, uid: &str) -> Option<u64> {
        let mut present = self.present();
        let pending = present.get_mut(&(app_id.to_owned(), uid.to_owned()))?;
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed) + 1;
        *pending = Some(ticket);
        Some(ticket)
    }

    /// [`Presence::settle`], at once, with this node's ticket.
    pub fn settle_now(&self, app_id: &str, uid: &str, ticket: u64) -> bool {
        let mut present = self.present();
        let key = (app_id.to_owned(), uid.to_owned());
        if present.get(&key) != Some(&Some(ticket)) {
            return false;
        }
        present.remove(&key);
        true
    }

    /// [`Presence::is_online`], at once.
    pub fn is_online_now(&self, app_id: &str, uid: &str) -> bool {
        self.present().contains_key(&(app_id.to_owned(), uid.to_owned()))
    }

    /// [`Presence::online_uids`], at once.
    pub fn online_uids_now(&self, app_id: &str) -> Vec<String> {
        self.present().keys().filter(|(app, _)| app == app_id).map(|(_, uid)| uid.clone()).collect()
    }
}

impl Presence for LocalPresence {
    fn arrived(&self, app_id: &str, uid: &str) -> Answer<bool> {
        ready(self.arrive_now(app_id, uid))
    }

    fn left(&self, app_id: &str, uid: &str, _left_at: i64) -> Answer<Option<Ticket>> {
        ready(self.leave_now(app_id, uid).map(|local| Ticket { local: Some(local), cluster: None }))
    }

    fn settle(&self, app_id: &str, uid: &str, ticket: Ticket) -> Answer<bool> {
        ready(ticket.local.is_some_and(|local| self.settle_now(app_id, uid, local)))
    }

    fn is_online(&self, app_id: &str, uid: &str) -> Answer<bool> {
        ready(self.is_online_now(app_id, uid))
    }

    fn online_uids(&self, app_id: &str) -> Answer<Vec<String>> {
        ready(self.online_uids_now(app_id))
    }
}

#[derive(Default)]
struct Users {
    /// Connected devices; a user without any has no entry.
    devices: HashMap<UserKey, Vec<Device>>,
}

/// The devices connected to this node, by app and user; who is online is its [`Presence`]'s.
pub struct Hub {
    users: Mutex<Users>,
    next_id: AtomicU64,
    presence: Arc<dyn Presence>,
}

impl Default for Hub {
    /// A hub whose presence is this node's alone ([`LocalPresence`]).
    fn default() -> Self {
        Self::new(Arc::new(LocalPresence::default()))
    }
}

impl Hub {
    /// A hub whose users are online as `presence` says.
    pub fn new(presence: Arc<dyn Presence>) -> Self {
        Self { users: Mutex::default(), next_id: AtomicU64::new(0), presence }
    }

    /// Who is online.
    pub fn presence(&self) -> &Arc<dyn Presence> {
        &self.presence
    }

    fn users(&self) -> std::sync::MutexGuard<'_, Users> {
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a device of `uid` signed in with the token whose hash is `token_hash`; with it, whether to
    /// announce the user online (they were not online anywhere, as announced). A pending offline of the
    /// user is called off.
    pub fn register(&self, app_id: &str, uid: &str, token_hash: Vec<u8>) -> (Registration, Answer<bool>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue, frames) = mpsc::channel(DEVICE_QUEUE);
        let closer = Arc::new(Closer::default());
        let key = (app_id.to_owned(), uid.to_owned());
        let mut users = self.users();
        let list = users.devices.entry(key).or_default();
        list.push(Device { id, token_hash, queue, closer: closer.clone() });
        // Told under the lock, so the presence hears of a user's comings and goings in their order.
        let announce_online = if list.len() == 1 { self.presence.arrived(app_id, uid) } else { ready(false) };
        (Registration { id, frames, closer }, announce_online)
    }

    /// Removes a device that left at `left_at` (unix seconds). When it was the user's last on this node,
    /// the presence's answer: a ticket when none of theirs is left anywhere, to
    /// [`settle_offline`](Self::settle_offline) after [`PRESENCE_GRACE`].
    pub fn unregister(&self, app_id: &str, uid: &str, id: u64, left_at: i64) -> Option<Answer<Option<Ticket>>> {
        let mut users = self.users();
        let key = (app_id.to_owned(), uid.to_owned());
        let list = users.devices.get_mut(&key)?;
        let before = list.len();
        list.retain(|d| d.id != id);
        if !list.is_empty() || before == 0 {
            return None;
        }
        users.devices.remove(&key);
        Some(self.presence.left(app_id, uid, left_at))
    }

    /// True when the user is still without a device since the [`unregister`](Self::unregister) that gave
    /// `ticket`: they are now offline, and the caller announces it. False when a device came back.
    pub fn settle_offline(&self, app_id: &str, uid: &str, ticket: Ticket) -> Answer<bool> {
        self.presence.settle(app_id, uid, ticket)
    }

    /// Whether `uid` is online as announced: a device of theirs is connected (on any node, with a cluster
    /// presence), or the last one left less than [`PRESENCE_GRACE`] ago.
    pub fn is_online(&self, app_id: &str, uid: &str) -> Answer<bool> {
        self.presence.is_online(app_id, uid)
    }

    /// The users of `app_id` online as announced (see [`is_online`](Self::is_online)).
    pub fn online_uids(&self, app_id: &str) -> Answer<Vec<String>> {
        self.presence.online_uids(app_id)
    }

    /// Connected devices on this node.
    pub fn connections(&self) -> usize {
        self.users().devices.values().map(Vec::len).sum()
    }

    /// Connected devices of `app_id` on this node.
    pub fn app_connections(&self, app_id: &str) -> usize {
        self.users().devices.iter().filter(|((app, _), _)| app == app_id).map(|(_, list)| list.len()).sum()
    }

    /// Connected devices of `uid` of `app_id` on this node.
    pub fn user_connections(&self, app_id: &str, uid: &str) -> usize {
        self.users().devices.get(&(app_id.to_owned(), uid.to_owned())).map_or(0, Vec::len)
    }

    /// Queues `frame` for every device of `recipients`; a device whose queue is full is closed with the
    /// resume code.
    pub fn deliver(&self, app_id: &str, recipients: &[String], frame: &ServerFrame) {
        let outbound = Outbound::new(frame);
        let users = self.users();
        let devices = &users.devices;
        let mut key = (app_id.to_owned(), String::new());
        for uid in recipients {
            key.1.clone_from(uid);
            for device in devices.get(&key).into_iter().flatten() {
                if let Err(mpsc::error::TrySendError::Full(_)) = device.queue.try_send(outbound.clone()) {
                    device.closer.close(close_code::RESUME);
                }
            }
        }
    }

    /// Closes `uid`'s devices whose token hash starts with `token_prefix` (all when `None`).
    pub fn revoke(&self, app_id: &str, uid: &str, token_prefix: Option<&[u8]>) {
        let users = self.users();
        let devices = &users.devices;
        for device in devices.get(&(app_id.to_owned(), uid.to_owned())).into_iter().flatten() {
            if token_prefix.is_none_or(|prefix| device.token_hash.starts_with(prefix)) {
                device.closer.close(close_code::REVOKED);
            }
        }
    }

    /// Closes every device with `code`.
    pub fn close_all(&self, code: u16) {
        for device in self.users().devices.values().flatten() {
            device.closer.close(code);
        }
    }
}

/// Feeds broker events to `hub` until the broker closes. After a lag every device is closed with the
/// resume code: they reconnect and fetch what they missed from storage.
pub async fn run(hub: Arc<Hub>, mut subscriber: Box<dyn Subscriber>) {
    loop {
        match subscriber.recv().await {
            Received::Event(event) => match event.as_ref() {
                Event::Deliver { app_id, recipients, frame } => hub.deliver(app_id, recipients, frame),
                Event::Revoke { app_id, uid, token_prefix } => hub.revoke(app_id, uid, token_prefix.as_deref()),
            },
            Received::Lagged(missed) => {
                tracing::warn!(missed, "realtime hub fell behind the broker; devices will resume");
                hub.close_all(close_code::RESUME);
            }
            Received::Closed => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_closes_the_device_with_the_resume_code() {
        let hub = Hub::default();
        let (mut slow, _) = hub.register("app", "ann", vec![1]);
        let users = vec!["ann".to_owned()];
        for _ in 0..=DEVICE_QUEUE {
            hub.deliver("app", &users, &ServerFrame::Pong);
        }
        assert_eq!(slow.closer.closed().await, close_code::RESUME);
        assert_eq!(slow.frames.recv().await.unwrap().text.as_ref(), "{\"type\":\"pong\"}");
    }

    #[tokio::test]
    async fn revoking_a_token_closes_only_its_devices() {
        let hub = Hub::default();
        let (a, a_online) = hub.register("app", "ann", vec![1, 2, 3]);
        let (b, b_online) = hub.register("app", "ann", vec![9, 9, 9]);
        assert!(a_online.await && !b_online.await);
        hub.revoke("app", "ann", Some(&[1, 2]));
        assert_eq!(a.closer.closed().await, close_code::REVOKED);
        assert_eq!(b.closer.code.load(Ordering::SeqCst), 0);
        assert!(hub.unregister("app", "ann", a.id, 10).is_none());
        let ticket = hub.unregister("app", "ann", b.id, 10).expect("the last device leaves").await.expect("a ticket");
        assert!(hub.settle_offline("app", "ann", ticket).await);
        assert!(!hub.is_online("app", "ann").await);
    }

    #[tokio::test]
    async fn a_device_back_within_the_grace_announces_nothing() {
        let hub = Hub::default();
        let (first, online) = hub.register("app", "ann", vec![1]);
        assert!(online.await);
        let ticket = hub.unregister("app", "ann", first.id, 10).unwrap().await.unwrap();
        assert!(hub.is_online("app", "ann").await, "online until the offline is announced");
        let (back, online) = hub.register("app", "ann", vec![1]);
        assert!(!online.await, "the user was never announced offline");
        assert!(!hub.settle_offline("app", "ann", ticket).await, "the offline was called off");
        // Leaving again: only the newest ticket counts.
        let newer = hub.unregister("app", "ann", back.id, 11).unwrap().await.unwrap();
        assert!(!hub.settle_offline("app", "ann", ticket).await);
        assert!(hub.settle_offline("app", "ann", newer).await);
        assert!(!hub.is_online("app", "ann").await);
        assert!(hub.online_uids("app").await.is_empty());
        assert!(hub.register("app", "ann", vec![1]).1.await, "online again after offline");
    }

    #[tokio::test]
    async fn a_device_unregistered_twice_does_not_tell_the_presence_again() {
        let hub = Hub::default();
        let (a, _) = hub.register("app", "ann", vec![1]);
        let (_b, _) = hub.register("app", "ann", vec![2]);
        assert!(hub.unregister("app", "ann", a.id, 10).is_none());
        assert!(hub.unregister("app", "ann", a.id, 10).is_none(), "b is still here");
        assert!(hub.is_online("app", "ann").await);
    }
}
