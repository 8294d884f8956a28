//! This node's connected devices. Each device has a bounded queue of outgoing frames; a device whose
//! queue is full is closed with the resume close code rather than letting memory grow.
//!
//! Presence is debounced: a user is announced online when a device connects while they were announced
//! offline (or never announced), and offline only [`PRESENCE_GRACE`] after their last device left, if none
//! came back meanwhile. So a device that reconnects (a page reload, a network switch, a flapping connection)
//! announces nothing, and presence frames and `user_connection_status_changed` calls stay bounded.

use confab_protocol::realtime::{close_code, ServerFrame};
use std::collections::HashMap;
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
    /// The user was not online (as announced) before: announce them online.
    pub announce_online: bool,
}

type UserKey = (String, String);

#[derive(Default)]
struct Users {
    /// Connected devices; a user without any has no entry.
    devices: HashMap<UserKey, Vec<Device>>,
    /// Users announced online and not offline since; `Some(ticket)` while their offline waits out
    /// [`PRESENCE_GRACE`].
    present: HashMap<UserKey, Option<u64>>,
}

/// The devices connected to this node, by app and user, and who is announced online.
#[derive(Default)]
pub struct Hub {
    users: Mutex<Users>,
    next_id: AtomicU64,
}

impl Hub {
    fn users(&self) -> std::sync::MutexGuard<'_, Users> {
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a device of `uid` signed in with the token whose hash is `token_hash`. A pending offline of the
    /// user is called off.
    pub fn register(&self, app_id: &str, uid: &str, token_hash: Vec<u8>) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue, frames) = mpsc::channel(DEVICE_QUEUE);
        let closer = Arc::new(Closer::default());
        let key = (app_id.to_owned(), uid.to_owned());
        let mut users = self.users();
        users.devices.entry(key.clone()).or_default().push(Device { id, token_hash, queue, closer: closer.clone() });
        let announce_online = users.present.insert(key, None).is_none();
        Registration { id, frames, closer, announce_online }
    }

    /// Removes a device. When it was the user's last on this node, a ticket: after [`PRESENCE_GRACE`],
    /// [`settle_offline`](Self::settle_offline) with it says whether to announce them offline.
    pub fn unregister(&self, app_id: &str, uid: &str, id: u64) -> Option<u64> {
        let mut users = self.users();
        let key = (app_id.to_owned(), uid.to_owned());
        let list = users.devices.get_mut(&key)?;
        list.retain(|d| d.id != id);
        if !list.is_empty() {
            return None;
        }
        users.devices.remove(&key);
        let pending = users.present.get_mut(&key)?;
        let ticket = self.next_id.fetch_add(1, Ordering::Relaxed);
        *pending = Some(ticket);
        Some(ticket)
    }

    /// True when the user is still without a device since the [`unregister`](Self::unregister) that gave
    /// `ticket`: they are now offline, and the caller announces it. False when a device came back.
    pub fn settle_offline(&self, app_id: &str, uid: &str, ticket: u64) -> bool {
        let mut users = self.users();
        let key = (app_id.to_owned(), uid.to_owned());
        if users.devices.contains_key(&key) || users.present.get(&key) != Some(&Some(ticket)) {
            return false;
        }
        users.present.remove(&key);
        true
    }

    /// Whether `uid` is online as announced: a device of theirs is connected on this node, or the last one
    /// left less than [`PRESENCE_GRACE`] ago.
    pub fn is_online(&self, app_id: &str, uid: &str) -> bool {
        self.users().present.contains_key(&(app_id.to_owned(), uid.to_owned()))
    }

    /// The users of `app_id` online as announced (see [`is_online`](Self::is_online)).
    pub fn online_uids(&self, app_id: &str) -> Vec<String> {
        self.users().present.keys().filter(|(app, _)| app == app_id).map(|(_, uid)| uid.clone()).collect()
    }

    /// Connected devices on this node.
    pub fn connections(&self) -> usize {
        self.users().devices.values().map(Vec::len).sum()
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
        let mut slow = hub.register("app", "ann", vec![1]);
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
        let a = hub.register("app", "ann", vec![1, 2, 3]);
        let b = hub.register("app", "ann", vec![9, 9, 9]);
        assert!(a.announce_online && !b.announce_online);
        hub.revoke("app", "ann", Some(&[1, 2]));
        assert_eq!(a.closer.closed().await, close_code::REVOKED);
        assert_eq!(b.closer.code.load(Ordering::SeqCst), 0);
        assert!(hub.unregister("app", "ann", a.id).is_none());
        let ticket = hub.unregister("app", "ann", b.id).expect("the last device leaves");
        assert!(hub.settle_offline("app", "ann", ticket));
        assert!(!hub.is_online("app", "ann"));
    }

    #[test]
    fn a_device_back_within_the_grace_announces_nothing() {
        let hub = Hub::default();
        let first = hub.register("app", "ann", vec![1]);
        assert!(first.announce_online);
        let ticket = hub.unregister("app", "ann", first.id).unwrap();
        assert!(hub.is_online("app", "ann"), "online until the offline is announced");
        let back = hub.register("app", "ann", vec![1]);
        assert!(!back.announce_online, "the user was never announced offline");
        assert!(!hub.settle_offline("app", "ann", ticket), "the offline was called off");
        // Leaving again: only the newest ticket counts.
        let newer = hub.unregister("app", "ann", back.id).unwrap();
        assert!(!hub.settle_offline("app", "ann", ticket));
        assert!(hub.settle_offline("app", "ann", newer));
        assert!(!hub.is_online("app", "ann"));
        assert!(hub.online_uids("app").is_empty());
        assert!(hub.register("app", "ann", vec![1]).announce_online, "online again after offline");
    }
}
