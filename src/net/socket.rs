//! The realtime WebSocket: signs in with the session token in its first frame, resumes from the newest
//! message id the frame has seen, and reconnects with a growing delay when the connection drops. It ends
//! with the frame (logout removes the frame).

use confab_protocol::realtime::{close_code, ClientFrame, ServerFrame, PROTOCOL_VERSION};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// What the connection reports to its owner.
pub enum SocketEvent {
    /// Signed in. `resumed`: the sign-in asked for the messages after the newest one seen, and they follow;
    /// without (nothing seen yet), nothing stored before the sign-in is sent: the owner reads it over REST.
    Open {
        /// Whether the missed messages follow.
        resumed: bool,
    },
    /// A frame from the server.
    Frame(Box<ServerFrame>),
    /// Lost; reconnecting after a delay.
    Down,
    /// Closed for good: the session is no longer valid.
    Ended,
}

struct Inner {
    url: String,
    app_id: String,
    token: String,
    /// The newest message id seen, to resume from; none before the first (the `auth` frame then has no
    /// `lastMessageId`).
    last_id: Option<String>,
    /// Whether the current sign-in asked to resume.
    resuming: bool,
    socket: Option<WebSocket>,
    open: bool,
    retries: u32,
    on_event: Rc<dyn Fn(SocketEvent)>,
}

/// A self-reconnecting connection to `/v3/ws`.
#[derive(Clone)]
pub struct Socket(Rc<RefCell<Inner>>);

impl Socket {
    /// Connects to `origin`'s gateway as the holder of `token`, reporting through `on_event`; the first
    /// sign-in asks for the messages after `resume_after` (none: only what comes from then on, until a
    /// message is seen).
    pub fn connect(origin: &str, app_id: &str, token: &str, resume_after: Option<String>, on_event: impl Fn(SocketEvent) + 'static) -> Self {
        let url = format!("{}/v3/ws", origin.replacen("http", "ws", 1));
        let inner = Inner {
            url,
            app_id: app_id.to_owned(),
            token: token.to_owned(),
            last_id: resume_after,
            resuming: false,
            socket: None,
            open: false,
            retries: 0,
            on_event: Rc::new(on_event),
        };
        let socket = Self(Rc::new(RefCell::new(inner)));
        socket.open();
        socket.follow_network();
        socket
    }

    /// Drops the connection at once when the browser goes offline (instead of waiting for a heartbeat to
    /// fail), and reconnects at once when it is back.
    fn follow_network(&self) {
        let Some(window) = web_sys::window() else { return };
        let me = self.clone();
        let offline = Closure::<dyn FnMut()>::new(move || {
            let socket = me.0.borrow_mut().socket.take();
            if let Some(socket) = socket {
                // The close handler reports the drop and schedules the reconnect.
                let on_event = me.0.borrow().on_event.clone();
                me.0.borrow_mut().open = false;
                socket.set_onclose(None);
                let _ = socket.close();
                on_event(SocketEvent::Down);
                me.schedule_reconnect();
            }
        });
        let me = self.clone();
        let online = Closure::<dyn FnMut()>::new(move || {
            let idle = me.0.borrow().socket.is_none();
            if idle {
                me.0.borrow_mut().retries = 0;
                me.open();
            }
        });
        let _ = window.add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
        let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        offline.forget();
        online.forget();
    }

    /// Records that the frame has seen message `id` (resume starts after the newest).
    pub fn saw(&self, id: &str) {
        let mut inner = self.0.borrow_mut();
        let newer = match (&inner.last_id, id.parse::<u64>()) {
            (Some(last), Ok(id)) => last.parse::<u64>().map_or(true, |last| id > last),
            (None, Ok(_)) => true,
            _ => false,
        };
        if newer {
            inner.last_id = Some(id.to_owned());
        }
    }

    /// Sends `frame` if signed in; false otherwise (the caller keeps it for later).
    pub fn send(&self, frame: &ClientFrame) -> bool {
        let inner = self.0.borrow();
        match (&inner.socket, inner.open) {
            (Some(socket), true) => super::json::to_text(frame).ok().is_some_and(|text| socket.send_with_str(&text).is_ok()),
            _ => false,
        }
    }

    fn open(&self) {
        let Ok(ws) = WebSocket::new(&self.0.borrow().url) else {
            return self.schedule_reconnect();
        };
        let me = self.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            let mut inner = me.0.borrow_mut();
            inner.resuming = inner.last_id.is_some();
            let auth = ClientFrame::Auth {
                v: PROTOCOL_VERSION,
                app_id: inner.app_id.clone(),
                auth_token: inner.token.clone(),
                last_message_id: inner.last_id.clone(),
            };
            if let (Some(socket), Ok(text)) = (&inner.socket, super::json::to_text(&auth)) {
                let _ = socket.send_with_str(&text);
            }
        });
        let me = self.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else { return };
            let Ok(frame) = super::json::parse::<ServerFrame>(&text) else { return };
            let on_event = me.0.borrow().on_event.clone();
            if matches!(frame, ServerFrame::Ready { .. }) {
                let mut inner = me.0.borrow_mut();
                inner.open = true;
                inner.retries = 0;
                let resumed = inner.resuming;
                drop(inner);
                on_event(SocketEvent::Open { resumed });
            }
            on_event(SocketEvent::Frame(Box::new(frame)));
        });
        let me = self.clone();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            let on_event = {
                let mut inner = me.0.borrow_mut();
                inner.open = false;
                inner.socket = None;
                inner.on_event.clone()
            };
            match event.code() {
                close_code::AUTH_FAILED | close_code::REVOKED => on_event(SocketEvent::Ended),
                _ => {
                    on_event(SocketEvent::Down);
                    me.schedule_reconnect();
                }
            }
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The socket lives as long as the frame; its handlers with it.
        on_open.forget();
        on_message.forget();
        on_close.forget();
        self.0.borrow_mut().socket = Some(ws);
    }

    fn schedule_reconnect(&self) {
        let delay = {
            let mut inner = self.0.borrow_mut();
            inner.retries += 1;
            let base = 500u64.saturating_mul(1 << inner.retries.min(5)).min(10_000);
            // Spread reconnects so a restarted server is not hit by every visitor at once.
            base / 2 + (js_sys::Math::random() * (base / 2) as f64) as u64
        };
        let me = self.clone();
        leptos::prelude::set_timeout(move || {
            let idle = me.0.borrow().socket.is_none();
            if idle {
                me.open();
            }
        }, Duration::from_millis(delay));
    }
}
