//! A real HTTP receiver on loopback for bot and webhook calls: records every call, and answers as told
//! (200, an error status, or only after a delay).

#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One call as received.
#[derive(Debug, Clone)]
pub struct Call {
    /// The request path.
    pub path: String,
    /// Request headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Bytes,
    /// The status answered.
    pub status: u16,
}

impl Call {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("calls carry JSON")
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    status: u16,
    delay: Duration,
    started: usize,
}

/// The receiver; its server runs until the test's runtime ends.
#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

async fn record(State(receiver): State<Receiver>, uri: axum::http::Uri, headers: HeaderMap, body: Bytes) -> StatusCode {
    let (status, delay) = {
        let mut inner = receiver.inner.lock().unwrap();
        inner.started += 1;
        (inner.status, inner.delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let call = Call { path: uri.path().to_owned(), headers, body, status };
    receiver.inner.lock().unwrap().calls.push(call);
    StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    /// Starts a receiver answering 200 at once.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let receiver = Self { inner: Arc::new(Mutex::new(Inner { status: 200, ..Inner::default() })), base };
        let app = Router::new().fallback(post(record)).with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        receiver
    }

    /// The URL of `path` here.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Answer `status` from now on.
    pub fn answer(&self, status: u16) {
        self.inner.lock().unwrap().status = status;
    }

    /// Wait `delay` before answering, from now on.
    pub fn delay(&self, delay: Duration) {
        self.inner.lock().unwrap().delay = delay;
    }

    /// Every call answered so far.
    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    /// Calls that arrived so far, answered or not.
    pub fn started(&self) -> usize {
        self.inner.lock().unwrap().started
    }

    /// Waits (up to `wait`) until `done` holds for the answered calls; returns them.
    pub async fn wait_for(&self, wait: Duration, done: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let calls = self.calls();
            if done(&calls) {
                return calls;
            }
            assert!(std::time::Instant::now() < deadline, "receiver: condition not met within {wait:?}; calls: {:#?}",
                calls.iter().map(|c| (c.path.clone(), c.status, c.header("x-confab-trigger"))).collect::<Vec<_>>());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
