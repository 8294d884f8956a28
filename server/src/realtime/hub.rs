//! This node's connected devices. Each device has a bounded queue of outgoing frames; a device whose
//! queue is full is closed with the resume close code rather than letting memory grow.

use confab_protocol::realtime::{close_code, ServerFrame};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Notify};

use super::broker::{Received, Subscriber};
use super::Event;

/// Frames a device may have waiting before it is cut off.
pub const DEVICE_QUEUE: usize = 1024;

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
    /// It is the user's first device on this node.
    pub first: bool,
}

type UserKey = (String, String);

/// The devices connected to this node, by app and user.
#[derive(Default)]
pub struct Hub {
    devices: Mutex<HashMap<UserKey, Vec<Device>>>,
    next_id: AtomicU64,
}

impl Hub {
    fn devices(&self) -> std::sync::MutexGuard<'_, HashMap<UserKey, Vec<Device>>> {
        self.devices.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a device of `uid` signed in with the token whose hash is `token_hash`.
    pub fn register(&self, app_id: &str, uid: &str, token_hash: Vec<u8>) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue, frames) = mpsc::channel(DEVICE_QUEUE);
        let closer = Arc::new(Closer::default());
        let mut devices = self.devices();
        let list = devices.entry((app_id.to_owned(), uid.to_owned())).or_default();
        let first = list.is_empty();
        list.push(Device { id, token_hash, queue, closer: closer.clone() });
        Registration { id, frames, closer, first }
    }

    /// Removes a device; true when it was the user's last on this node.
    pub fn unregister(&self, app_id: &str, uid: &str, id: u64) -> bool {
        let mut devices = self.devices();
        let key = (app_id.to_owned(), uid.to_owned());
        let Some(list) = devices.get_mut(&key) else { return true };
        list.retain(|d| d.id != id);
        let last = list.is_empty();
        if last {
            devices.remove(&key);
        }
        last
    }

    /// Whether `uid` has a device on this node.
    pub fn is_online(&self, app_id: &str, uid: &str) -> bool {
        self.devices().contains_key(&(app_id.to_owned(), uid.to_owned()))
    }

    /// The users of `app_id` with a device on this node.
    pub fn online_uids(&self, app_id: &str) -> Vec<String> {
        self.devices().keys().filter(|(app, _)| app == app_id).map(|(_, uid)| uid.clone()).collect()
    }

    /// Connected devices on this node.
    pub fn connections(&self) -> usize {
        self.devices().values().map(Vec::len).sum()
    }

    /// Queues `frame` for every device of `recipients`; a device whose queue is full is closed with the
    /// resume code.
    pub fn deliver(&self, app_id: &str, recipients: &[String], frame: &ServerFrame) {
        let outbound = Outbound::new(frame);
        let devices = self.devices();
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
        let devices = self.devices();
        for device in devices.get(&(app_id.to_owned(), uid.to_owned())).into_iter().flatten() {
            if token_prefix.is_none_or(|prefix| device.token_hash.starts_with(prefix)) {
                device.closer.close(close_code::REVOKED);
            }
        }
    }

    /// Closes every device with `code`.
    pub fn close_all(&self, code: u16) {
        for device in self.devices().values().flatten() {
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
        assert!(a.first && !b.first);
        hub.revoke("app", "ann", Some(&[1, 2]));
        assert_eq!(a.closer.closed().await, close_code::REVOKED);
        assert_eq!(b.closer.code.load(Ordering::SeqCst), 0);
        assert!(!hub.unregister("app", "ann", a.id));
        assert!(hub.unregister("app", "ann", b.id));
        assert!(!hub.is_online("app", "ann"));
    }
}
