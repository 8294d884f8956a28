//! The WebSocket clients: one connection per user, each driven by its own task that writes the sends the
//! scheduler hands it and reads every frame the server pushes, reporting to the [`Tracker`].
//!
//! A connection keeps little memory: a 4 KB read buffer, no write buffer (each frame is written at once),
//! and a queue of a few sends.

use super::plan::{node_of, Send};
use super::tracker::{Seen, Tracker};
use futures_util::{SinkExt, StreamExt};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Time a connection has to open and be signed in (`ready`).
const OPEN_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts to open each connection.
const OPEN_ATTEMPTS: u32 = 3;
/// Sends a connection may have queued.
const QUEUE: usize = 16;

type Ws = WebSocketStream<TcpStream>;

/// What the connections share.
#[derive(Debug)]
pub struct Shared {
    /// The counts.
    pub tracker: Arc<Tracker>,
    /// Connections open now.
    alive: AtomicUsize,
    /// Set once the bench closes the connections itself: ends after that are not counted.
    closing: AtomicBool,
    /// Why connections ended before the bench closed them.
    ended: Mutex<BTreeMap<String, u64>>,
}

/// The open connections, by user number.
pub struct Fleet {
    queues: Vec<Option<mpsc::Sender<Send>>>,
    shared: Arc<Shared>,
    /// Why connections could not be opened, by reason.
    pub failures: BTreeMap<String, u64>,
}

/// Where to connect and how each user signs in.
pub struct Endpoint {
    /// The servers: user `n` connects to the one at [`node_of`]`(n, nodes.len())` (there is one, but for
    /// the nodes of a cluster).
    pub nodes: Vec<NodeAddr>,
    /// The first frame of user `n`'s connection, by `n`.
    pub auth_frames: Vec<String>,
}

/// Where one server takes WebSocket connections.
#[derive(Debug, Clone)]
pub struct NodeAddr {
    /// `host:port`.
    pub addr: String,
    /// `ws://host:port/v3/ws`.
    pub url: String,
}

impl NodeAddr {
    /// The WebSocket address of the server at `base` (`http://host:port`).
    pub fn of(base: &str) -> Self {
        let addr = base.trim_start_matches("http://").to_owned();
        Self { url: format!("ws://{addr}/v3/ws"), addr }
    }
}

impl Endpoint {
    /// The server user `n` connects to.
    fn node(&self, n: usize) -> &NodeAddr {
        &self.nodes[node_of(n, self.nodes.len())]
    }
}

impl Fleet {
    /// Opens one connection per auth frame, `concurrency` handshakes at a time, and waits until every one is
    /// signed in or has failed.
    pub async fn connect(endpoint: &Endpoint, concurrency: usize, tracker: Arc<Tracker>) -> Fleet {
        let shared = Arc::new(Shared {
            tracker,
            alive: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            ended: Mutex::new(BTreeMap::new()),
        });
        let total = endpoint.auth_frames.len();
        let mut queues: Vec<Option<mpsc::Sender<Send>>> = (0..total).map(|_| None).collect();
        let mut failures = BTreeMap::new();
        let started = Instant::now();
        let mut opened = 0usize;
        let mut attempts = futures_util::stream::iter(0..total)
            .map(|n| {
                let shared = shared.clone();
                async move { (n, open_retrying(endpoint, n, &shared).await) }
            })
            .buffer_unordered(concurrency);
        let mut last_report = Instant::now();
        while let Some((n, result)) = attempts.next().await {
            match result {
                Ok(ws) => {
                    let (queue, sends) = mpsc::channel(QUEUE);
                    shared.alive.fetch_add(1, Relaxed);
                    tokio::spawn(drive(n as u32, ws, sends, shared.clone()));
                    queues[n] = Some(queue);
                    opened += 1;
                }
                Err(reason) => *failures.entry(reason).or_default() += 1,
            }
            if last_report.elapsed() >= Duration::from_secs(2) {
                last_report = Instant::now();
                eprintln!("  {opened} of {total} connections open ({:.1}s)", started.elapsed().as_secs_f64());
            }
        }
        drop(attempts);
        Fleet { queues, shared, failures }
    }

    /// Connections open now.
    pub fn alive(&self) -> usize {
        self.shared.alive.load(Relaxed)
    }

    /// Connections that were opened.
    pub fn opened(&self) -> usize {
        self.queues.iter().filter(|q| q.is_some()).count()
    }

    /// Why connections ended before the bench closed them, by reason.
    pub fn ended(&self) -> BTreeMap<String, u64> {
        self.shared.ended.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Hands `send` to its sender's connection; false when that connection is not open or its queue is full.
    pub fn dispatch(&self, send: Send) -> bool {
        match self.queues.get(send.sender as usize) {
            Some(Some(queue)) => queue.try_send(send).is_ok(),
            _ => false,
        }
    }

    /// Closes every connection and waits (at most `wait`) until their tasks are gone.
    pub async fn close(mut self, wait: Duration) {
        self.shared.closing.store(true, Relaxed);
        self.queues.clear();
        let deadline = Instant::now() + wait;
        while self.alive() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Opens a connection of its own as user `n`, runs `trigger`, and waits (at most `wait`) until a `message`
/// frame holding `needle` arrives; then closes it. Used to learn when the server delivers live again.
pub async fn await_message(
    endpoint: &Endpoint,
    n: usize,
    needle: &str,
    wait: Duration,
    trigger: impl std::future::Future<Output = Result<(), String>>,
) -> Result<(), String> {
    let shared = Shared {
        tracker: Arc::new(Tracker::new(std::time::Instant::now(), 0, 0, 1)),
        alive: AtomicUsize::new(0),
        closing: AtomicBool::new(true),
        ended: Mutex::new(BTreeMap::new()),
    };
    let mut ws = open_retrying(endpoint, n, &shared).await.map_err(|e| format!("opening a probe connection: {e}"))?;
    trigger.await?;
    let found = tokio::time::timeout(wait, async {
        while let Some(frame) = ws.next().await {
            match frame {
                Ok(Message::Text(text)) if text.as_str().contains(needle) => return Ok(()),
                Ok(Message::Close(_)) | Err(_) => break,
                Ok(_) => {}
            }
        }
        Err("the probe connection closed".to_owned())
    })
    .await;
    let _ = ws.close(None).await;
    found.unwrap_or_else(|_| Err(format!("the probe message did not arrive within {}s", wait.as_secs())))
}

/// Opens user `n`'s connection, trying again after a failure.
async fn open_retrying(endpoint: &Endpoint, n: usize, shared: &Shared) -> Result<Ws, String> {
    let mut last = String::new();
    for attempt in 0..OPEN_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
        match tokio::time::timeout(OPEN_TIMEOUT, open(endpoint, n, shared)).await {
            Ok(Ok(ws)) => return Ok(ws),
            Ok(Err(reason)) => last = reason,
            Err(_) => last = "timeout".to_owned(),
        }
    }
    Err(last)
}

/// Opens user `n`'s connection, on its node: TCP, the WebSocket handshake, the auth frame, then waits for `ready`.
async fn open(endpoint: &Endpoint, n: usize, shared: &Shared) -> Result<Ws, String> {
    let node = endpoint.node(n);
    let tcp = TcpStream::connect(&node.addr).await.map_err(|e| format!("connect: {}", e.kind()))?;
    let _ = tcp.set_nodelay(true);
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(node.url.as_str(), tcp, Some(config))
        .await
        .map_err(|e| format!("handshake: {}", short_error(&e)))?;
    ws.send(Message::text(endpoint.auth_frames[n].clone())).await.map_err(|e| format!("auth: {}", short_error(&e)))?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                if shared.tracker.on_text(n as u32, text.as_str()) == Seen::Ready {
                    return Ok(ws);
                }
            }
            Some(Ok(Message::Close(frame))) => {
                return Err(format!("closed {}", frame.map_or(0, |f| u16::from(f.code))));
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("before ready: {}", short_error(&e))),
            None => return Err("closed before ready".to_owned()),
        }
    }
}

/// A WebSocket error named by its kind, without the details that would make every one different.
fn short_error(e: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error as E;
    match e {
        E::ConnectionClosed | E::AlreadyClosed => "closed".to_owned(),
        E::Io(io) => format!("io {}", io.kind()),
        E::Http(response) => format!("http {}", response.status().as_u16()),
        E::Protocol(_) => "protocol".to_owned(),
        other => other.to_string().chars().take(60).collect(),
    }
}

/// Runs user `me`'s connection: writes each send it is handed (stamped as it is written), reads every
/// frame, until the bench drops its queue or the socket ends.
async fn drive(me: u32, mut ws: Ws, mut sends: mpsc::Receiver<Send>, shared: Arc<Shared>) {
    let tracker = shared.tracker.clone();
    let ended = loop {
        tokio::select! {
            send = sends.recv() => {
                let Some(send) = send else { break None };
                let frame = send.frame(tracker.now_us());
                if let Err(e) = ws.send(Message::text(frame)).await {
                    break Some(format!("write: {}", short_error(&e)));
                }
            }
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    tracker.on_text(me, text.as_str());
                }
                Some(Ok(Message::Close(frame))) => break Some(format!("closed {}", frame.map_or(0, |f| u16::from(f.code)))),
                Some(Ok(_)) => {}
                Some(Err(e)) => break Some(format!("read: {}", short_error(&e))),
                None => break Some("closed".to_owned()),
            }
        }
    };
    drop(ws);
    if let Some(reason) = ended {
        if !shared.closing.load(Relaxed) {
            *shared.ended.lock().unwrap_or_else(|e| e.into_inner()).entry(reason).or_default() += 1;
        }
    }
    shared.alive.fetch_sub(1, Relaxed);
}
