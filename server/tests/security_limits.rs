//! The per-client limits, each test written as the attack it stops (security review findings 8, 12, 13):
//! the public auth-only key's rate limit is per client address and endpoint and refused calls cost nothing;
//! guests are limited per address and per app a day; `X-Forwarded-For` counts only from `--trusted-proxy`;
//! socket frames are capped before sign-in too, unauthenticated sockets per address are capped, socket
//! sign-ins take from the token's rate limit, and presence is debounced.

mod common;

use common::receiver::Receiver;
use common::{Creds, Device, TestApp};
use confab_protocol::limits::MAX_BODY_BYTES;
use confab_server::realtime::hub::PRESENCE_GRACE;
use confab_server::realtime::socket::CLOSE_RATE_LIMITED;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// One call with the app's auth-only key, from the client `forwarded_for` says (when given).
async fn public_call(app: &TestApp, method: &str, path: &str, forwarded_for: Option<&str>, body: Option<Value>) -> (u16, Value, Option<u64>) {
    public_call_with(app, "authKey", method, path, forwarded_for, body).await
}

async fn public_call_with(app: &TestApp, key: &str, method: &str, path: &str, forwarded_for: Option<&str>, body: Option<Value>) -> (u16, Value, Option<u64>) {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client
        .request(method, app.server.url(&format!("/v3{path}")))
        .header("appid", app.cred("appId"))
        .header("apikey", app.cred(key));
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let json = response.json().await.unwrap_or(Value::Null);
    (status, json, retry_after)
}

async fn guest(app: &TestApp, forwarded_for: Option<&str>) -> (u16, Value, Option<u64>) {
    public_call(app, "POST", "/auth/guest", forwarded_for, Some(json!({}))).await
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/v3/ws` (from the client `forwarded_for` says); the HTTP status when the upgrade is refused.
async fn open_socket(app: &TestApp, forwarded_for: Option<&str>) -> Result<Socket, u16> {
    let url = app.server.url("/v3/ws").replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().unwrap();
    if let Some(address) = forwarded_for {
        request.headers_mut().insert("x-forwarded-for", address.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("the WebSocket did not open: {e}"),
    }
}

/// What the server sends next within `wait`: a JSON frame, or `Err(close code)` when the socket closed
/// (`None` for no close frame); `None` on time-out.
async fn next_event(socket: &mut Socket, wait: Duration) -> Option<Result<Value, Option<u16>>> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let message = match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return None,
            Ok(None) | Ok(Some(Err(_))) => return Some(Err(None)),
            Ok(Some(Ok(message))) => message,
        };
        match message {
            Message::Text(text) => return Some(Ok(serde_json::from_str(&text).unwrap())),
            Message::Close(frame) => return Some(Err(frame.map(|f| u16::from(f.code)))),
            _ => continue,
        }
    }
}

fn auth_frame(app: &TestApp, token: &str) -> Message {
    Message::Text(json!({"type": "auth", "v": 1, "appId": app.cred("appId"), "authToken": token}).to_string().into())
}

/// Signs in on a new socket: `Ok` with the socket after `ready`, or the close code and reason.
async fn sign_in(app: &TestApp, token: &str) -> Result<Socket, (Option<u16>, String)> {
    let mut socket = open_socket(app, None).await.expect("the socket opens");
    socket.send(auth_frame(app, token)).await.unwrap();
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(frame["type"], "ready", "{frame}");
                return Ok(socket);
            }
            Some(Ok(Message::Close(frame))) => {
                return Err((frame.as_ref().map(|f| u16::from(f.code)), frame.map(|f| f.reason.to_string()).unwrap_or_default()))
            }
            Some(Ok(_)) => continue,
            None | Some(Err(_)) => return Err((None, String::new())),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Finding 8: the public key's rate limit and guest creation.

#[tokio::test]
async fn refused_calls_with_the_public_key_cannot_lock_other_visitors_out() {
    let app = TestApp::start(&["--public-key-rate-limit", "20", "--trusted-proxy", "127.0.0.1"]);
    let (a, b) = (Some("10.0.0.1"), Some("10.0.0.2"));
    // Client A hammers a call the key may not make: each is refused, none is rate limited or counted.
    for _ in 0..100 {
        let (status, json, _) = public_call(&app, "GET", "/app", a, None).await;
        assert_eq!(status, 403, "{json}");
    }
    // A's own 20 guest sign-ins a minute still work; the 21st waits.
    for i in 0..25 {
        let (status, json, retry_after) = guest(&app, a).await;
        if i < 20 {
            assert_eq!(status, 200, "guest {i}: {json}");
        } else {
            assert_eq!((status, json["error"]["code"].as_str()), (429, Some("ERR_TOO_MANY_REQUESTS")), "guest {i}: {json}");
            assert!(retry_after.is_some_and(|s| (1..=60).contains(&s)), "Retry-After: {retry_after:?}");
        }
    }
    // Another visitor is not affected, and neither is A's bucket for another endpoint.
    let (status, json, _) = guest(&app, b).await;
    assert_eq!(status, 200, "{json}");
    let (status, json, _) = public_call(&app, "POST", "/auth/uid", a, Some(json!({"uid": "alice"}))).await;
    assert_ne!(status, 429, "{json}");
}

#[tokio::test]
async fn forwarded_for_is_ignored_without_a_trusted_proxy() {
    let app = TestApp::start(&["--public-key-rate-limit", "5"]);
    for i in 1..=5 {
        let (status, json, _) = guest(&app, Some(&format!("10.0.0.{i}"))).await;
        assert_eq!(status, 200, "{json}");
    }
    // A new "client" per call does not help: every call counts as 127.0.0.1.
    let (status, json, retry_after) = guest(&app, Some("10.0.0.99")).await;
    assert_eq!((status, json["error"]["code"].as_str()), (429, Some("ERR_TOO_MANY_REQUESTS")), "{json}");
    assert!(retry_after.is_some());
}

#[tokio::test]
async fn guests_are_capped_per_address_and_per_app_a_day() {
    let app = TestApp::start(&["--guests-per-address", "5", "--guests-per-app", "8", "--trusted-proxy", "127.0.0.1"]);
    let (a, b, c) = (Some("10.0.0.1"), Some("10.0.0.2"), Some("10.0.0.3"));
    for _ in 0..5 {
        assert_eq!(guest(&app, a).await.0, 200);
    }
    // The sixth from one address waits a day (until the first of its guests leaves the 24-hour window).
    let (status, json, retry_after) = guest(&app, a).await;
    assert_eq!((status, json["error"]["code"].as_str()), (429, Some("ERR_GUEST_LIMIT")), "{json}");
    assert_eq!(json["error"]["details"]["limit"], 5, "{json}");
    assert!(retry_after.is_some_and(|s| s > 24 * 3600 - 120 && s <= 24 * 3600), "Retry-After: {retry_after:?}");
    // Another address still gets in, until the app has its 8.
    for _ in 0..3 {
        assert_eq!(guest(&app, b).await.0, 200);
    }
    for client in [b, c] {
        let (status, json, retry_after) = guest(&app, client).await;
        assert_eq!((status, json["error"]["code"].as_str()), (429, Some("ERR_GUEST_LIMIT")), "{json}");
        assert_eq!(json["error"]["details"]["limit"], 8, "{json}");
        assert!(retry_after.is_some());
    }
    // The app's backend (REST API key) is not limited.
    let (status, json, _) = public_call_with(&app, "apiKey", "POST", "/auth/guest", c, Some(json!({}))).await;
    assert_eq!(status, 200, "{json}");
    let users = app.ok("GET", "/users?perPage=100", Creds::Admin, None).await;
    assert_eq!(users["meta"]["pagination"]["total"], 9, "{users}");
}

// ---------------------------------------------------------------------------------------------------------
// Finding 12: frame size and unauthenticated sockets.

#[tokio::test]
async fn a_large_first_frame_closes_the_socket_before_sign_in() {
    let app = TestApp::start(&[]);
    let mut socket = open_socket(&app, None).await.unwrap();
    let big = "x".repeat(1024 * 1024);
    let started = Instant::now();
    // The server may cut the connection while the frame is still being written.
    let _ = socket.send(Message::Text(big.into())).await;
    match next_event(&mut socket, Duration::from_secs(5)).await {
        Some(Err(_)) => {}
        other => panic!("the socket stayed open: {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));

    // After sign-in, a frame of exactly the cap is read (and answered); one byte more drops the socket.
    let token = app.user_with_token("ann").await;
    let mut socket = sign_in(&app, &token).await.unwrap();
    let frame = |size: usize| {
        let head = r#"{"type":"ping","pad":""#;
        let pad = "x".repeat(size - head.len() - 2);
        Message::Text(format!("{head}{pad}\"}}").into())
    };
    assert!(matches!(&frame(MAX_BODY_BYTES), Message::Text(t) if t.len() == MAX_BODY_BYTES));
    socket.send(frame(MAX_BODY_BYTES)).await.unwrap();
    match next_event(&mut socket, Duration::from_secs(5)).await {
        Some(Ok(reply)) => assert!(reply["type"] == "pong" || reply["type"] == "error", "{reply}"),
        other => panic!("a frame at the cap was not answered: {other:?}"),
    }
    let _ = socket.send(frame(MAX_BODY_BYTES + 1)).await;
    assert!(matches!(next_event(&mut socket, Duration::from_secs(5)).await, Some(Err(_))), "a frame over the cap was read");
}

#[tokio::test]
async fn unauthenticated_sockets_are_capped_per_address() {
    let app = TestApp::start(&["--unauthenticated-sockets", "3", "--trusted-proxy", "127.0.0.1"]);
    let token = app.user_with_token("ann").await;
    let mut waiting = Vec::new();
    for _ in 0..3 {
        waiting.push(open_socket(&app, None).await.expect("within the cap"));
    }
    assert_eq!(open_socket(&app, None).await.err(), Some(429), "a fourth socket waiting for sign-in");
    // Another client is not affected.
    let other = open_socket(&app, Some("10.0.0.7")).await;
    assert!(other.is_ok());
    // A socket that signs in gives its place up.
    let mut first = waiting.remove(0);
    first.send(auth_frame(&app, &token)).await.unwrap();
    let ready = next_event(&mut first, Duration::from_secs(5)).await;
    assert!(matches!(&ready, Some(Ok(frame)) if frame["type"] == "ready"), "{ready:?}");
    let again = open_socket(&app, None).await;
    assert!(again.is_ok(), "the signed-in socket still counted");
    assert_eq!(open_socket(&app, None).await.err(), Some(429));
    // A closed one gives its place up too.
    drop((waiting, again));
    let deadline = Instant::now() + Duration::from_secs(5);
    while open_socket(&app, None).await.is_err() {
        assert!(Instant::now() < deadline, "closed sockets still counted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------------------
// Finding 13: socket sign-ins and presence.

#[tokio::test]
async fn socket_sign_ins_take_from_the_tokens_rate_limit() {
    let app = TestApp::start(&["--rate-limit", "60"]);
    let token = app.user_with_token("ann").await;
    let (mut signed_in, mut refused) = (0, 0);
    for _ in 0..300 {
        match sign_in(&app, &token).await {
            Ok(socket) => {
                signed_in += 1;
                drop(socket);
            }
            Err((code, reason)) => {
                assert_eq!(code, Some(CLOSE_RATE_LIMITED), "{reason}");
                assert!(reason.contains("retry in"), "{reason}");
                refused += 1;
            }
        }
    }
    // A minute's worth (60), plus the refill while the test runs (1 a second).
    assert!((60..=75).contains(&signed_in), "{signed_in} sign-ins of 300");
    assert_eq!(signed_in + refused, 300);
    // The same bucket as the token's REST calls.
    app.refused("GET", "/me", Creds::Token(&token), None, 429, "ERR_TOO_MANY_REQUESTS").await;
}

#[tokio::test]
async fn a_flapping_device_fires_at_most_two_presence_frames_and_webhook_calls() {
    let app = TestApp::start(&["--callback-allow", "127.0.0.0/8", "--callback-retry-ms", "100"]);
    let receiver = Receiver::start().await;
    let body = json!({"id": "presence", "name": "Presence", "url": receiver.url("/hook"), "triggers": ["user_connection_status_changed"]});
    app.ok("POST", "/webhooks", Creds::Admin, Some(body)).await;
    let ann = app.user_with_token("ann").await;
    let bob = app.user_with_token("bob").await;
    // Ann is bob's friend, so she is in the audience of his presence.
    app.ok("POST", "/users/bob/friends", Creds::Admin, Some(json!({"accepted": ["ann"]}))).await;
    let mut watcher = sign_in(&app, &ann).await.unwrap();

    let started = Instant::now();
    for _ in 0..20 {
        let (device, _) = Device::connect(&app, &bob, None).await;
        drop(device);
    }
    let flapped = started.elapsed();
    assert!(flapped < PRESENCE_GRACE, "20 connects took {flapped:?}");

    // Online once; offline once, after the grace.
    let mut frames = Vec::new();
    let deadline = tokio::time::Instant::now() + PRESENCE_GRACE + Duration::from_secs(4);
    while let Some(Ok(frame)) = next_event(&mut watcher, deadline - tokio::time::Instant::now()).await {
        if frame["type"] == "presence" {
            assert_eq!(frame["uid"], "bob", "{frame}");
            frames.push(frame);
        }
    }
    let statuses: Vec<_> = frames.iter().map(|f| f["status"].as_str().unwrap().to_owned()).collect();
    assert_eq!(statuses, ["online", "offline"], "{frames:?}");

    let about_bob = |calls: &[common::receiver::Call]| {
        calls.iter().filter(|c| c.json()["data"]["user"]["uid"] == "bob").map(|c| c.json()["data"]["user"]["status"].clone()).collect::<Vec<_>>()
    };
    receiver.wait_for(Duration::from_secs(10), |calls| about_bob(calls).contains(&json!("offline"))).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(about_bob(&receiver.calls()), [json!("online"), json!("offline")]);
    let user = app.ok("GET", "/users/bob", Creds::Admin, None).await;
    assert_eq!(user["data"]["status"], "offline", "{user}");
    assert!(user["data"]["lastActiveAt"].is_i64(), "{user}");
}
