//! The realtime gateway with real WebSocket clients against the real server: delivery to every device,
//! acknowledgements, resume without loss, and the close codes.

mod common;

use common::{Creds, Device, TestApp};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn text_to(receiver: &str, text: &str, muid: &str) -> serde_json::Value {
    json!({"type": "send", "message": {"receiver": receiver, "receiverType": "user", "type": "text", "data": {"text": text}, "muid": muid}})
}

#[tokio::test]
async fn a_message_reaches_every_device_of_both_users() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let ann2 = app.ok("POST", "/users/ann/auth_tokens", Creds::Admin, None).await["data"]["authToken"].as_str().unwrap().to_owned();
    let bob = app.user_with_token("bob").await;
    let bob2 = app.ok("POST", "/users/bob/auth_tokens", Creds::Admin, None).await["data"]["authToken"].as_str().unwrap().to_owned();
    let (mut a1, ready) = Device::connect(&app, &ann, None).await;
    assert_eq!(ready["user"]["uid"], "ann");
    let (mut a2, _) = Device::connect(&app, &ann2, None).await;
    let (mut b1, _) = Device::connect(&app, &bob, None).await;
    let (mut b2, _) = Device::connect(&app, &bob2, None).await;

    a1.send(text_to("bob", "hello", "m-1")).await;
    let ack = a1.next_of("ack").await;
    assert_eq!(ack["muid"], "m-1");
    let id = ack["message"]["id"].clone();
    for device in [&mut a1, &mut a2, &mut b1, &mut b2] {
        let frame = device.next_of("message").await;
        assert_eq!(frame["message"]["id"], id);
        assert_eq!(frame["message"]["data"]["text"], "hello");
    }

    // A send over REST reaches the sockets too, and a retried muid is acknowledged with the first message.
    let body = json!({"receiver": "ann", "receiverType": "user", "type": "text", "data": {"text": "hi ann"}});
    app.ok("POST", "/messages", Creds::As("bob"), Some(body)).await;
    assert_eq!(a2.next_of("message").await["message"]["data"]["text"], "hi ann");
    a1.send(text_to("bob", "hello again", "m-1")).await;
    assert_eq!(a1.next_of("ack").await["message"]["id"], id);
}

// ---------------------------------------------------------------------------------------------------------
// Helpers for the tests below.

/// A REST body of a text message to user `to`, with an optional muid.
fn rest_text(to: &str, text: &str, muid: Option<&str>) -> serde_json::Value {
    let mut body = json!({"receiver": to, "receiverType": "user", "type": "text", "data": {"text": text}});
    if let Some(muid) = muid {
        body["muid"] = json!(muid);
    }
    body
}

/// Sends `text` from `from` to user `to` over REST; returns the stored message.
async fn rest_send(app: &TestApp, from: &str, to: &str, text: &str) -> serde_json::Value {
    app.ok("POST", "/messages", Creds::As(from), Some(rest_text(to, text, None))).await["data"].clone()
}

/// Another session token for `uid`.
async fn another_token(app: &TestApp, uid: &str) -> String {
    app.ok("POST", &format!("/users/{uid}/auth_tokens"), Creds::Admin, None).await["data"]["authToken"].as_str().unwrap().to_owned()
}

/// A message id as a number.
fn num(id: &serde_json::Value) -> i64 {
    id.as_str().unwrap_or_else(|| panic!("a string id, got {id}")).parse().unwrap()
}

/// Asserts `ids` strictly increase (so each appears once).
fn assert_increasing(ids: &[i64], what: &str) {
    for pair in ids.windows(2) {
        assert!(pair[0] < pair[1], "{what}: ids must strictly increase, got {} then {} in {ids:?}", pair[0], pair[1]);
    }
}

/// A REST client that does not borrow the [`TestApp`], for sender tasks.
#[derive(Clone)]
struct RestSender {
    client: reqwest::Client,
    base: String,
    app_id: String,
    api_key: String,
}

impl RestSender {
    fn new(app: &TestApp) -> Self {
        Self { client: reqwest::Client::new(), base: app.server.base.clone(), app_id: app.cred("appId"), api_key: app.cred("apiKey") }
    }

    /// Sends `body` as `from`; the stored message, or why not.
    async fn send(&self, from: &str, body: serde_json::Value) -> Result<serde_json::Value, String> {
        let response = self
            .client
            .post(format!("{}/v3/messages", self.base))
            .header("appid", &self.app_id)
            .header("apikey", &self.api_key)
            .header("onBehalfOf", from)
            .timeout(Duration::from_secs(10))
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let json: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
        if status != 200 {
            return Err(format!("{status}: {json}"));
        }
        Ok(json["data"].clone())
    }
}

/// Reads (and skips) whatever arrives for a moment: the server's first heartbeat ping comes right after
/// `ready`, and the client answers it while reading. Done before the server closes a socket, so that the
/// test reads only what it provokes.
async fn settle(device: &mut Device) {
    assert!(!device.gets_within("nothing-expected", Duration::from_millis(150)).await);
}

type RawSocket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket signed in with `token`, read by hand (for a task that reads until the server dies).
async fn raw_connect(app: &TestApp, token: &str) -> RawSocket {
    use futures_util::SinkExt;
    let url = app.server.url("/v3/ws").replacen("http://", "ws://", 1);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("the WebSocket opens");
    let auth = json!({"type": "auth", "v": 1, "appId": app.cred("appId"), "authToken": token});
    socket.send(tokio_tungstenite::tungstenite::Message::Text(auth.to_string().into())).await.unwrap();
    socket
}

/// Every JSON frame until the socket ends (or `limit` passes).
async fn frames_until_closed(mut socket: RawSocket, limit: Duration) -> Vec<serde_json::Value> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + limit;
    let mut frames = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => frames.push(serde_json::from_str(&text).expect("frames are JSON")),
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => return frames,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// 1. Typing.

#[tokio::test]
async fn typing_is_relayed_ends_by_itself_and_is_never_stored() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let bob = app.user_with_token("bob").await;
    let (mut a, _) = Device::connect(&app, &ann, None).await;
    let (mut b, _) = Device::connect(&app, &bob, None).await;

    let typing = |state: &str| json!({"type": "typing", "receiver": "bob", "receiverType": "user", "state": state});
    a.send(typing("started")).await;
    let frame = b.next_of("typing").await;
    assert_eq!(frame["sender"], "ann", "{frame}");
    assert_eq!(frame["receiver"], "bob", "{frame}");
    assert_eq!(frame["receiverType"], "user", "{frame}");
    assert_eq!(frame["state"], "started", "{frame}");
    a.send(typing("ended")).await;
    let frame = b.next_of("typing").await;
    assert_eq!((frame["sender"].as_str(), frame["state"].as_str()), (Some("ann"), Some("ended")), "{frame}");

    // A "started" with no follow-up ends by itself after TYPING_TTL (5 s), not much earlier or later.
    let started = Instant::now();
    a.send(typing("started")).await;
    assert_eq!(b.next_of("typing").await["state"], "started");
    assert!(!b.gets_within("typing", Duration::from_millis(3500)).await, "typing ended well before its 5 s TTL");
    let frame = b.next_of("typing").await;
    assert_eq!((frame["sender"].as_str(), frame["state"].as_str()), (Some("ann"), Some("ended")), "{frame}");
    assert!(started.elapsed() < Duration::from_millis(7500), "typing ended only after {:?}", started.elapsed());
    // The typer does not hear their own typing.
    assert!(!a.gets_within("typing", Duration::from_millis(200)).await);

    // A typer whose socket goes away stops typing at once, not after the TTL.
    let ann2 = another_token(&app, "ann").await;
    let (mut a2, _) = Device::connect(&app, &ann2, None).await;
    a2.send(typing("started")).await;
    assert_eq!(b.next_of("typing").await["state"], "started");
    drop(a2);
    assert!(b.gets_within("typing", Duration::from_millis(1500)).await, "typing did not end when the typer's socket closed");

    // Typing is never stored.
    let list = app.ok("GET", "/users/ann/messages", Creds::As("bob"), None).await;
    assert_eq!(list["data"], json!([]), "typing must not be stored: {list}");
    let conversations = app.ok("GET", "/conversations", Creds::As("bob"), None).await;
    assert_eq!(conversations["data"], json!([]), "typing must not create a conversation: {conversations}");

    // In a group, typing reaches the other members but not the typer.
    app.user_with_token("cat").await;
    let cat = another_token(&app, "cat").await;
    let (mut c, _) = Device::connect(&app, &cat, None).await;
    let group = json!({"guid": "crew", "name": "Crew", "type": "private", "owner": "ann", "members": {"participants": ["bob", "cat"]}});
    app.ok("POST", "/groups", Creds::Admin, Some(group)).await;
    a.send(json!({"type": "typing", "receiver": "crew", "receiverType": "group", "state": "started"})).await;
    for device in [&mut b, &mut c] {
        let frame = device.next_of("typing").await;
        assert_eq!(frame["sender"], "ann", "{frame}");
        assert_eq!(frame["receiver"], "crew", "{frame}");
        assert_eq!(frame["receiverType"], "group", "{frame}");
        assert_eq!(frame["state"], "started", "{frame}");
    }
    assert!(!a.gets_within("typing", Duration::from_millis(300)).await, "the typer got their own group typing");
    let list = app.ok("GET", "/groups/crew/messages", Creds::As("bob"), None).await;
    assert!(
        list["data"].as_array().unwrap().iter().all(|m| m["category"] == "action"),
        "group typing must not be stored: {list}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// 2. Receipts.

#[tokio::test]
async fn read_receipts_reach_the_sender_over_the_socket_and_over_rest() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let bob = app.user_with_token("bob").await;
    let (mut a, _) = Device::connect(&app, &ann, None).await;
    let (mut b, _) = Device::connect(&app, &bob, None).await;

    let first = rest_send(&app, "ann", "bob", "read me").await;
    let message = b.next_of("message").await;
    assert_eq!(message["message"]["id"], first["id"]);
    let conversation_id = message["message"]["conversationId"].as_str().unwrap().to_owned();
    assert_eq!(conversation_id, "ann_user_bob");
    let conversations = app.ok("GET", "/conversations", Creds::As("bob"), None).await;
    assert_eq!(conversations["data"][0]["unreadMessageCount"], 1, "{conversations}");

    b.send(json!({"type": "receipt", "kind": "read", "conversationId": conversation_id, "messageId": first["id"]})).await;
    let receipt = a.next_of("receipt").await;
    assert_eq!(receipt["kind"], "read", "{receipt}");
    assert_eq!(receipt["uid"], "bob", "{receipt}");
    assert_eq!(receipt["conversationId"], "ann_user_bob", "{receipt}");
    assert_eq!(receipt["messageId"], first["id"], "{receipt}");
    assert!(receipt["at"].as_i64().unwrap() > 0, "{receipt}");
    let conversations = app.ok("GET", "/conversations", Creds::As("bob"), None).await;
    assert_eq!(conversations["data"][0]["unreadMessageCount"], 0, "{conversations}");
    // The reader does not get their own receipt.
    assert!(!b.gets_within("receipt", Duration::from_millis(300)).await);

    // A read mark moved over REST also reaches the sender's socket.
    let second = rest_send(&app, "ann", "bob", "and me").await;
    assert_eq!(b.next_of("message").await["message"]["id"], second["id"]);
    let conversations = app.ok("GET", "/conversations", Creds::As("bob"), None).await;
    assert_eq!(conversations["data"][0]["unreadMessageCount"], 1, "{conversations}");
    app.ok("POST", "/users/ann/conversation/read", Creds::As("bob"), Some(json!({"messageId": second["id"]}))).await;
    let receipt = a.next_of("receipt").await;
    assert_eq!(receipt["kind"], "read", "{receipt}");
    assert_eq!(receipt["uid"], "bob", "{receipt}");
    assert_eq!(receipt["conversationId"], "ann_user_bob", "{receipt}");
    assert_eq!(receipt["messageId"], second["id"], "{receipt}");
    let conversations = app.ok("GET", "/conversations", Creds::As("bob"), None).await;
    assert_eq!(conversations["data"][0]["conversationId"], "ann_user_bob", "{conversations}");
    assert_eq!(conversations["data"][0]["unreadMessageCount"], 0, "{conversations}");

    // In a group, a receipt goes to the message's sender only.
    let cat = app.user_with_token("cat").await;
    let (mut c, _) = Device::connect(&app, &cat, None).await;
    let group = json!({"guid": "crew", "name": "Crew", "type": "private", "owner": "ann", "members": {"participants": ["bob", "cat"]}});
    app.ok("POST", "/groups", Creds::Admin, Some(group)).await;
    let body = json!({"receiver": "crew", "receiverType": "group", "type": "text", "data": {"text": "to the crew"}});
    let in_group = app.ok("POST", "/messages", Creds::As("ann"), Some(body)).await["data"]["id"].clone();
    assert_eq!(b.next_of("message").await["message"]["id"], in_group);
    b.send(json!({"type": "receipt", "kind": "read", "conversationId": "group_crew", "messageId": in_group})).await;
    let receipt = a.next_of("receipt").await;
    assert_eq!((receipt["uid"].as_str(), receipt["conversationId"].as_str()), (Some("bob"), Some("group_crew")), "{receipt}");
    assert_eq!(receipt["messageId"], in_group, "{receipt}");
    assert!(!c.gets_within("receipt", Duration::from_millis(300)).await, "another member got a group receipt");

    // A receipt for a message outside the conversation is refused with an error frame.
    b.send(json!({"type": "receipt", "kind": "read", "conversationId": "ann_user_bob", "messageId": "999999"})).await;
    let error = b.next_of("error").await;
    assert_eq!(error["error"]["code"], "ERR_MESSAGE_NOT_FOUND", "{error}");
}

// ---------------------------------------------------------------------------------------------------------
// 3. Presence.

#[tokio::test]
async fn presence_follows_the_first_and_last_device() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let bob = app.user_with_token("bob").await;
    let bob2 = another_token(&app, "bob").await;
    rest_send(&app, "ann", "bob", "we share a conversation").await;
    let (mut a, _) = Device::connect(&app, &ann, None).await;

    let (b1, _) = Device::connect(&app, &bob, None).await;
    let online = a.next_of("presence").await;
    assert_eq!(online["uid"], "bob", "{online}");
    assert_eq!(online["status"], "online", "{online}");

    // A second device is not news; closing one of two is not "offline".
    let (b2, _) = Device::connect(&app, &bob2, None).await;
    assert!(!a.gets_within("presence", Duration::from_millis(500)).await, "a second device announced presence again");
    drop(b2);
    assert!(!a.gets_within("presence", Duration::from_millis(800)).await, "closing one of two devices sent presence");

    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    drop(b1);
    // Offline is announced once the last device stayed away for the presence grace.
    tokio::time::sleep(confab_server::realtime::hub::PRESENCE_GRACE).await;
    let offline = a.next_of("presence").await;
    assert_eq!(offline["uid"], "bob", "{offline}");
    assert_eq!(offline["status"], "offline", "{offline}");
    let last_active = offline["lastActiveAt"].as_i64().unwrap_or_else(|| panic!("lastActiveAt: {offline}"));
    assert!(last_active >= before - 1, "{offline}");
    let user = app.ok("GET", "/users/bob", Creds::Admin, None).await;
    assert!(user["data"]["lastActiveAt"].as_i64().is_some_and(|t| t >= before - 1), "{user}");

    // Friends get presence without a conversation; a blocked user does not, despite the conversation.
    let cat = app.user_with_token("cat").await;
    let dan = app.user_with_token("dan").await;
    app.ok("POST", "/users/bob/friends", Creds::Admin, Some(json!({"accepted": ["cat"]}))).await;
    rest_send(&app, "dan", "bob", "hello bob").await;
    app.ok("POST", "/users/bob/blockedusers", Creds::As("bob"), Some(json!({"blockedUids": ["dan"]}))).await;
    let (mut c, _) = Device::connect(&app, &cat, None).await;
    let (mut d, _) = Device::connect(&app, &dan, None).await;
    let (b1, _) = Device::connect(&app, &bob, None).await;
    let online = c.next_of("presence").await;
    assert_eq!((online["uid"].as_str(), online["status"].as_str()), (Some("bob"), Some("online")), "{online}");
    assert_eq!(a.next_of("presence").await["status"], "online");
    assert!(!d.gets_within("presence", Duration::from_millis(500)).await, "a blocked user got presence");
    drop(b1);
    tokio::time::sleep(confab_server::realtime::hub::PRESENCE_GRACE).await;
    assert_eq!(c.next_of("presence").await["status"], "offline");
    assert!(!d.gets_within("presence", Duration::from_millis(500)).await, "a blocked user got presence");
}

// ---------------------------------------------------------------------------------------------------------
// 4. Group fan-out.

#[tokio::test]
async fn group_messages_and_member_changes_reach_every_member() {
    let app = TestApp::start(&[]);
    let mut devices = Vec::new();
    for uid in ["own", "m1", "m2", "m3"] {
        let token = app.user_with_token(uid).await;
        devices.push(Device::connect(&app, &token, None).await.0);
    }
    let outsider = app.user_with_token("outsider").await;
    let (mut x, _) = Device::connect(&app, &outsider, None).await;
    let newbie = app.user_with_token("newbie").await;
    let (mut n, _) = Device::connect(&app, &newbie, None).await;
    let group = json!({"guid": "team", "name": "Team", "type": "public", "owner": "own", "members": {"participants": ["m1", "m2", "m3"]}});
    app.ok("POST", "/groups", Creds::Admin, Some(group)).await;

    let to_team = |text: &str, muid: &str| {
        json!({"type": "send", "message": {"receiver": "team", "receiverType": "group", "type": "text", "data": {"text": text}, "muid": muid}})
    };
    devices[1].send(to_team("hi team", "g-1")).await;
    let ack = devices[1].next_of("ack").await;
    assert_eq!(ack["muid"], "g-1", "{ack}");
    let id = ack["message"]["id"].clone();
    for (device, uid) in devices.iter_mut().zip(["own", "m1", "m2", "m3"]) {
        let frame = device.next_of("message").await;
        assert_eq!(frame["message"]["id"], id, "{uid}: {frame}");
        assert_eq!(frame["message"]["receiver"], "team", "{uid}: {frame}");
        assert_eq!(frame["message"]["data"]["text"], "hi team", "{uid}: {frame}");
    }
    assert!(!n.gets_within("message", Duration::from_millis(300)).await, "a non-member got a group message");

    // A non-member's send is refused with the muid as ref.
    x.send(to_team("let me in", "x-1")).await;
    let error = x.next_of("error").await;
    assert_eq!(error["error"]["code"], "ERR_GROUP_NOT_JOINED", "{error}");
    assert_eq!(error["ref"], "x-1", "{error}");
    assert!(!x.gets_within("message", Duration::from_millis(300)).await);

    // A REST join is announced to the members (and the joiner).
    app.ok("POST", "/groups/team/join", Creds::As("newbie"), Some(json!({}))).await;
    for (device, uid) in devices.iter_mut().chain(std::iter::once(&mut n)).zip(["own", "m1", "m2", "m3", "newbie"]) {
        let frame = device.next_of("groupMember").await;
        assert_eq!(frame["guid"], "team", "{uid}: {frame}");
        assert_eq!(frame["action"], "joined", "{uid}: {frame}");
        assert_eq!(frame["uid"], "newbie", "{uid}: {frame}");
        assert_eq!(frame["by"], "newbie", "{uid}: {frame}");
    }

    // A kick is announced to the members and to the kicked user, who then gets no more group messages.
    app.ok("DELETE", "/groups/team/members/m3", Creds::As("own"), None).await;
    for (device, uid) in devices.iter_mut().chain(std::iter::once(&mut n)).zip(["own", "m1", "m2", "m3", "newbie"]) {
        let frame = device.next_of("groupMember").await;
        assert_eq!(frame["action"], "kicked", "{uid}: {frame}");
        assert_eq!(frame["uid"], "m3", "{uid}: {frame}");
        assert_eq!(frame["by"], "own", "{uid}: {frame}");
    }
    devices[2].send(to_team("m3 is gone", "g-2")).await;
    let id = devices[2].next_of("ack").await["message"]["id"].clone();
    for device in [&mut devices[0], &mut n] {
        assert_eq!(device.next_of("message").await["message"]["id"], id);
    }
    assert!(!devices[3].gets_within("message", Duration::from_millis(500)).await, "a kicked member still gets group messages");
}

// ---------------------------------------------------------------------------------------------------------
// 5. Edits and deletes.

#[tokio::test]
async fn edits_and_deletes_reach_both_users() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let bob = app.user_with_token("bob").await;
    let (mut a, _) = Device::connect(&app, &ann, None).await;
    let (mut b, _) = Device::connect(&app, &bob, None).await;
    let sent = rest_send(&app, "ann", "bob", "tpyo").await;
    let id = sent["id"].as_str().unwrap().to_owned();
    for device in [&mut a, &mut b] {
        assert_eq!(device.next_of("message").await["message"]["id"], sent["id"]);
    }

    app.ok("PUT", &format!("/messages/{id}"), Creds::As("ann"), Some(json!({"data": {"text": "typo"}}))).await;
    for device in [&mut a, &mut b] {
        let frame = device.next_of("messageEdited").await;
        assert_eq!(frame["message"]["id"], sent["id"], "{frame}");
        assert_eq!(frame["message"]["data"]["text"], "typo", "{frame}");
        assert_eq!(frame["message"]["editedBy"], "ann", "{frame}");
        assert!(frame["message"]["editedAt"].as_i64().is_some(), "{frame}");
    }

    app.ok("DELETE", &format!("/messages/{id}"), Creds::As("ann"), None).await;
    for device in [&mut a, &mut b] {
        let frame = device.next_of("messageDeleted").await;
        assert_eq!(frame["message"]["id"], sent["id"], "{frame}");
        assert!(frame["message"]["deletedAt"].as_i64().is_some(), "{frame}");
        assert_eq!(frame["message"]["deletedBy"], "ann", "{frame}");
        assert!(frame["message"]["data"].get("text").is_none_or(|t| t.is_null()), "deleted content is cleared: {frame}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// 6. Resume.

#[tokio::test]
async fn resume_sends_exactly_the_missed_messages_then_live_ones_once() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    let bob = app.user_with_token("bob").await;
    let (mut b, _) = Device::connect(&app, &bob, None).await;
    let last_seen = rest_send(&app, "ann", "bob", "before").await["id"].clone();
    assert_eq!(b.next_of("message").await["message"]["id"], last_seen);
    drop(b);

    let mut missed = Vec::new();
    for i in 0..30 {
        missed.push(rest_send(&app, "ann", "bob", &format!("missed {i}")).await["id"].clone());
    }
    let (mut b, _) = Device::connect(&app, &bob, last_seen.as_str()).await;
    for (i, id) in missed.iter().enumerate() {
        let frame = b.next().await;
        assert_eq!(frame["type"], "message", "frame {i} of the replay: {frame}");
        assert_eq!(&frame["message"]["id"], id, "frame {i} of the replay: {frame}");
        assert_eq!(frame["message"]["data"]["text"], format!("missed {i}"), "{frame}");
    }
    let caught_up = b.next().await;
    assert_eq!(caught_up["type"], "caughtUp", "{caught_up}");
    assert_eq!(caught_up["lastMessageId"], missed[29], "{caught_up}");

    let live = rest_send(&app, "ann", "bob", "live").await["id"].clone();
    let frame = b.next_of("message").await;
    assert_eq!(frame["message"]["id"], live, "{frame}");
    assert!(!b.gets_within("message", Duration::from_millis(700)).await, "a message arrived twice after resuming");

    // Resuming with nothing missed: caughtUp at once, and no message.
    let (mut b2, _) = Device::connect(&app, &bob, live.as_str()).await;
    let caught_up = b2.next().await;
    assert_eq!(caught_up["type"], "caughtUp", "{caught_up}");
    assert!(caught_up.get("lastMessageId").is_none_or(|v| v.is_null() || *v == live), "{caught_up}");
    assert!(!b2.gets_within("message", Duration::from_millis(300)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn messages_sent_during_a_replay_are_neither_lost_nor_doubled() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    app.user("carl").await;
    let bob = app.user_with_token("bob").await;
    let baseline = rest_send(&app, "ann", "bob", "baseline").await["id"].clone();
    // A backlog of more than one replay page (500 messages), so the replay takes a while.
    let rest = RestSender::new(&app);
    let mut backlog = Vec::new();
    for chunk in 0..4 {
        let rest = rest.clone();
        backlog.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..150 {
                ids.push(num(&rest.send("ann", rest_text("bob", &format!("backlog {chunk}-{i}"), None)).await.unwrap()["id"]));
            }
            ids
        }));
    }
    let mut expected: HashSet<i64> = HashSet::new();
    for task in backlog {
        expected.extend(task.await.unwrap());
    }

    // Carl sends while bob's device connects and replays; then a marker.
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = {
        let rest = rest.clone();
        let sent = sent.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..150 {
                ids.push(num(&rest.send("carl", rest_text("bob", &format!("during {i}"), Some(&format!("c-{i}")))).await.unwrap()["id"]));
                sent.fetch_add(1, Ordering::SeqCst);
            }
            let marker = num(&rest.send("carl", rest_text("bob", "marker", Some("c-marker"))).await.unwrap()["id"]);
            (ids, marker)
        })
    };
    while sent.load(Ordering::SeqCst) < 10 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let (mut b, _) = Device::connect(&app, &bob, baseline.as_str()).await;
    let mut received = Vec::new();
    let mut caught_up = None;
    let mut replayed = 0;
    loop {
        let frame = b.next().await;
        match frame["type"].as_str() {
            Some("message") => {
                received.push(num(&frame["message"]["id"]));
                if frame["message"]["data"]["text"] == "marker" {
                    break;
                }
            }
            Some("caughtUp") => {
                assert!(caught_up.is_none(), "caughtUp twice");
                replayed = received.len();
                caught_up = Some(frame);
            }
            _ => {}
        }
    }
    let (carl_ids, marker) = sender.await.unwrap();
    let caught_up = caught_up.expect("a caughtUp frame before the marker");
    assert!(replayed >= 600, "the backlog is replayed before caughtUp ({replayed} messages)");
    assert_eq!(caught_up["lastMessageId"], json!(received[replayed - 1].to_string()), "caughtUp names the newest replayed id");
    expected.extend(carl_ids);
    expected.insert(marker);
    assert_increasing(&received, "replay then live");
    let got: HashSet<i64> = received.iter().copied().collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}, extra {extra:?}");
    assert!(!b.gets_within("message", Duration::from_millis(500)).await, "a message arrived after the marker");
}

// ---------------------------------------------------------------------------------------------------------
// 7. SIGKILL mid-traffic.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sigkill_mid_traffic_loses_and_doubles_nothing() {
    const TOTAL: usize = 200;
    const SENDERS: usize = 4;
    let mut app = TestApp::start(&[]);
    app.user("ann").await;
    let bob = app.user_with_token("bob").await;

    // Bob's device is signed in (it gets what is stored from then on) and reads until the server dies.
    let mut live_socket = raw_connect(&app, &bob).await;
    let ready = {
        use futures_util::StreamExt;
        let first = tokio::time::timeout(Duration::from_secs(5), live_socket.next()).await.expect("ready within 5 s");
        match first {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) => serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            other => panic!("expected ready, got {other:?}"),
        }
    };
    let live_reader = tokio::spawn(async move {
        let mut frames = vec![ready];
        frames.extend(frames_until_closed(live_socket, Duration::from_secs(60)).await);
        frames
    });

    // Senders with muids; each stops at its first failure.
    let acked: Arc<Mutex<HashMap<usize, i64>>> = Arc::default();
    let rest = RestSender::new(&app);
    let mut senders = Vec::new();
    for s in 0..SENDERS {
        let rest = rest.clone();
        let acked = acked.clone();
        senders.push(tokio::spawn(async move {
            for i in (s..TOTAL).step_by(SENDERS) {
                match rest.send("ann", rest_text("bob", &format!("kill {i}"), Some(&format!("k-{i}")))).await {
                    Ok(message) => {
                        acked.lock().unwrap().insert(i, num(&message["id"]));
                    }
                    Err(_) => return,
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().unwrap().len() < TOTAL / 2 {
        assert!(Instant::now() < deadline, "the senders stalled");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    app.restart(&[]);
    for sender in senders {
        sender.await.unwrap();
    }
    let acked_before: BTreeMap<usize, i64> = acked.lock().unwrap().clone().into_iter().collect();
    assert!(acked_before.len() >= TOTAL / 2 && acked_before.len() < TOTAL, "killed mid-traffic: {} acknowledged", acked_before.len());

    let frames = tokio::time::timeout(Duration::from_secs(10), live_reader).await.expect("the socket ends with the server").unwrap();
    assert_eq!(frames.first().map(|f| f["type"].clone()), Some(json!("ready")));
    let live: Vec<i64> = frames.iter().filter(|f| f["type"] == "message").map(|f| num(&f["message"]["id"])).collect();
    assert_increasing(&live, "live before the kill");
    let last_live = live.last().copied();
    // Live delivery has no gaps: every acknowledged id up to the newest received one was received.
    if let Some(last) = last_live {
        let live_set: HashSet<i64> = live.iter().copied().collect();
        let gaps: Vec<_> = acked_before.values().filter(|id| **id <= last && !live_set.contains(id)).collect();
        assert!(gaps.is_empty(), "acknowledged but skipped live: {gaps:?}");
    }

    // Bob reconnects to the new server from the last id he has.
    let resume_from = last_live.map_or("0".to_owned(), |id| id.to_string());
    let (mut b, _) = Device::connect(&app, &bob, Some(resume_from.as_str())).await;
    let mut resumed = Vec::new();
    let mut by_muid: HashMap<String, i64> = HashMap::new();
    for frame in frames.iter().filter(|f| f["type"] == "message") {
        by_muid.insert(frame["message"]["muid"].as_str().unwrap().to_owned(), num(&frame["message"]["id"]));
    }
    loop {
        let frame = b.next().await;
        match frame["type"].as_str() {
            Some("message") => {
                resumed.push(num(&frame["message"]["id"]));
                let muid = frame["message"]["muid"].as_str().unwrap().to_owned();
                assert!(by_muid.insert(muid.clone(), num(&frame["message"]["id"])).is_none(), "{muid} delivered twice: {frame}");
            }
            Some("caughtUp") => break,
            _ => {}
        }
    }
    // Every message acknowledged before the kill that bob lacked is resumed.
    let have: HashSet<i64> = live.iter().chain(&resumed).copied().collect();
    let lost: Vec<_> = acked_before.iter().filter(|(_, id)| !have.contains(id)).collect();
    assert!(lost.is_empty(), "acknowledged before the kill but never delivered (index, id): {lost:?}");

    // The client retries every send it has no acknowledgement for, with the same muid.
    let mut acked_all = acked_before.clone();
    for i in (0..TOTAL).filter(|i| !acked_before.contains_key(i)) {
        let muid = format!("k-{i}");
        let message = app.ok("POST", "/messages", Creds::As("ann"), Some(rest_text("bob", &format!("kill {i}"), Some(&muid)))).await;
        acked_all.insert(i, num(&message["data"]["id"]));
    }
    let mut after = Vec::new();
    while by_muid.len() < TOTAL {
        let frame = b.next_of("message").await;
        after.push(num(&frame["message"]["id"]));
        let muid = frame["message"]["muid"].as_str().unwrap().to_owned();
        assert!(by_muid.insert(muid.clone(), num(&frame["message"]["id"])).is_none(), "{muid} delivered twice: {frame}");
    }
    assert!(!b.gets_within("message", Duration::from_millis(500)).await, "more messages than sends");

    let all: Vec<i64> = live.iter().chain(&resumed).chain(&after).copied().collect();
    assert_increasing(&all, "live, resumed, then live again");
    let ids: HashSet<i64> = acked_all.values().copied().collect();
    assert_eq!(ids.len(), TOTAL, "each muid has its own message");
    assert_eq!(all.iter().copied().collect::<HashSet<_>>(), ids, "bob got exactly the acknowledged messages");
    for (i, id) in &acked_all {
        assert_eq!(by_muid.get(&format!("k-{i}")), Some(id), "muid k-{i}");
    }

    // Storage agrees: one message per muid.
    let list = app.ok("GET", "/users/ann/messages?limit=1000&affix=append", Creds::As("bob"), None).await;
    let stored = list["data"].as_array().unwrap();
    let muids: HashSet<&str> = stored.iter().map(|m| m["muid"].as_str().unwrap()).collect();
    assert_eq!((stored.len(), muids.len()), (TOTAL, TOTAL), "stored messages and distinct muids");
}

// ---------------------------------------------------------------------------------------------------------
// 8. Revocation.

#[tokio::test]
async fn deleting_a_token_or_deactivating_the_user_closes_their_sockets() {
    let app = TestApp::start(&[]);
    let ann1 = app.user_with_token("ann").await;
    let ann2 = another_token(&app, "ann").await;
    let bob = app.user_with_token("bob").await;
    let (mut a1, _) = Device::connect(&app, &ann1, None).await;
    let (mut a2, _) = Device::connect(&app, &ann2, None).await;
    let (mut b, _) = Device::connect(&app, &bob, None).await;
    for device in [&mut a1, &mut a2, &mut b] {
        settle(device).await;
    }

    app.ok("DELETE", &format!("/users/ann/auth_tokens/{ann1}"), Creds::Admin, None).await;
    assert_eq!(a1.closed_with(Duration::from_secs(2)).await, Some(4003), "the revoked token's socket closes with 4003");
    a2.send(json!({"type": "ping"})).await;
    assert_eq!(a2.next_of("pong").await["type"], "pong", "the other token's socket stays open");
    // The deleted token no longer signs in.
    let mut again = Device::open(&app).await;
    again.send(json!({"type": "auth", "v": 1, "appId": app.cred("appId"), "authToken": ann1})).await;
    assert_eq!(again.closed_with(Duration::from_secs(2)).await, Some(4001));

    // Deleting by token id (as GET /users/{uid}/auth_tokens lists them) closes that token's sockets too.
    let created = app.ok("POST", "/users/ann/auth_tokens", Creds::Admin, None).await["data"].clone();
    let ann3 = created["authToken"].as_str().unwrap().to_owned();
    let ann3_id = created["id"].as_str().unwrap().to_owned();
    let ann4 = another_token(&app, "ann").await;
    let (mut a3, _) = Device::connect(&app, &ann3, None).await;
    let (mut a4, _) = Device::connect(&app, &ann4, None).await;
    settle(&mut a3).await;
    settle(&mut a4).await;
    app.ok("DELETE", &format!("/users/ann/auth_tokens/{ann3_id}"), Creds::Admin, None).await;
    assert_eq!(a3.closed_with(Duration::from_secs(2)).await, Some(4003), "deleting a token by id closes its socket");
    a4.send(json!({"type": "ping"})).await;
    assert_eq!(a4.next_of("pong").await["type"], "pong");

    // Deactivating the user closes every socket of theirs, and only theirs.
    app.ok("DELETE", "/users", Creds::Admin, Some(json!({"uidsToDeactivate": ["ann"]}))).await;
    assert_eq!(a2.closed_with(Duration::from_secs(2)).await, Some(4003), "deactivation closes the user's sockets with 4003");
    assert_eq!(a4.closed_with(Duration::from_secs(2)).await, Some(4003), "deactivation closes the user's sockets with 4003");
    b.send(json!({"type": "ping"})).await;
    assert_eq!(b.next_of("pong").await["type"], "pong", "another user's socket stays open");
    let mut again = Device::open(&app).await;
    again.send(json!({"type": "auth", "v": 1, "appId": app.cred("appId"), "authToken": ann2})).await;
    assert_eq!(again.closed_with(Duration::from_secs(2)).await, Some(4001), "a deactivated user cannot sign in");

    // Deleting a user closes their sockets too.
    app.ok("DELETE", "/users/bob", Creds::Admin, Some(json!({}))).await;
    assert_eq!(b.closed_with(Duration::from_secs(2)).await, Some(4003), "deleting the user closes their sockets with 4003");
}

// ---------------------------------------------------------------------------------------------------------
// 9. Sign-in failures.

#[tokio::test]
async fn sign_in_failures_close_with_4001_and_bad_frames_get_errors() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let app_id = app.cred("appId");

    let mut bad_token = Device::open(&app).await;
    bad_token.send(json!({"type": "auth", "v": 1, "appId": app_id, "authToken": "not-a-token"})).await;
    assert_eq!(bad_token.closed_with(Duration::from_secs(2)).await, Some(4001), "unknown token");

    let mut not_auth = Device::open(&app).await;
    not_auth.send(json!({"type": "ping"})).await;
    assert_eq!(not_auth.closed_with(Duration::from_secs(2)).await, Some(4001), "first frame not auth");

    let mut wrong_version = Device::open(&app).await;
    wrong_version.send(json!({"type": "auth", "v": 99, "appId": app_id, "authToken": ann})).await;
    assert_eq!(wrong_version.closed_with(Duration::from_secs(2)).await, Some(4001), "protocol version 99");

    let mut wrong_app = Device::open(&app).await;
    wrong_app.send(json!({"type": "auth", "v": 1, "appId": "someone-else", "authToken": ann})).await;
    assert_eq!(wrong_app.closed_with(Duration::from_secs(2)).await, Some(4001), "another app's id");

    let mut bad_resume = Device::open(&app).await;
    bad_resume.send(json!({"type": "auth", "v": 1, "appId": app_id, "authToken": ann, "lastMessageId": "latest"})).await;
    assert_eq!(bad_resume.closed_with(Duration::from_secs(2)).await, Some(4001), "a lastMessageId that is not an id");

    let mut not_json = Device::open(&app).await;
    not_json.send(json!("auth please")).await;
    assert_eq!(not_json.closed_with(Duration::from_secs(2)).await, Some(4001), "an unreadable first frame");

    let (mut a, ready) = Device::connect(&app, &ann, None).await;
    assert_eq!(ready["v"], 1, "{ready}");
    assert_eq!(ready["user"]["uid"], "ann", "{ready}");
    a.send(json!({"type": "auth", "v": 1, "appId": app_id, "authToken": ann})).await;
    let error = a.next_of("error").await;
    assert_eq!(error["error"]["code"], "ERR_BAD_REQUEST", "{error}");

    for unreadable in [json!({"type": "explode"}), json!("not an object"), json!({"type": "typing", "receiver": "bob"})] {
        a.send(unreadable.clone()).await;
        let error = a.next_of("error").await;
        assert_eq!(error["error"]["code"], "ERR_BAD_REQUEST", "{unreadable}: {error}");
    }
    a.send(json!({"type": "ping"})).await;
    assert_eq!(a.next().await["type"], "pong", "the socket stays usable after unreadable frames");

    // Unreadable frames again and again (more than 20) close the socket with 4010.
    let (mut spammer, _) = Device::connect(&app, &ann, None).await;
    settle(&mut spammer).await;
    for _ in 0..21 {
        spammer.send(json!({"type": "explode"})).await;
    }
    assert_eq!(spammer.closed_with(Duration::from_secs(2)).await, Some(4010));
}

// ---------------------------------------------------------------------------------------------------------
// 10. Blocks.

#[tokio::test]
async fn a_block_refuses_messages_and_typing_both_ways() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let bob = app.user_with_token("bob").await;
    let (mut a, _) = Device::connect(&app, &ann, None).await;
    let (mut b, _) = Device::connect(&app, &bob, None).await;
    app.ok("POST", "/users/bob/blockedusers", Creds::As("bob"), Some(json!({"blockedUids": ["ann"]}))).await;

    a.send(text_to("bob", "let me talk", "blk-1")).await;
    let error = a.next_of("error").await;
    assert_eq!(error["error"]["code"], "ERR_BLOCKED_RECEIVER", "{error}");
    assert_eq!(error["ref"], "blk-1", "{error}");

    a.send(json!({"type": "typing", "receiver": "bob", "receiverType": "user", "state": "started"})).await;
    let error = a.next_of("error").await;
    assert_eq!(error["error"]["code"], "ERR_BLOCKED_RECEIVER", "{error}");
    assert!(!b.gets_within("typing", Duration::from_millis(700)).await, "the blocker received typing from the blocked user");

    // The blocker cannot type to the blocked user either, nor send transients.
    b.send(json!({"type": "typing", "receiver": "ann", "receiverType": "user", "state": "started"})).await;
    assert_eq!(b.next_of("error").await["error"]["code"], "ERR_BLOCKED_RECEIVER");
    a.send(json!({"type": "transient", "receiver": "bob", "receiverType": "user", "data": {"kind": "reaction"}})).await;
    assert_eq!(a.next_of("error").await["error"]["code"], "ERR_BLOCKED_RECEIVER");
    assert!(!b.gets_within("transient", Duration::from_millis(300)).await);
    assert!(!a.gets_within("typing", Duration::from_millis(300)).await);
    assert!(!b.gets_within("message", Duration::from_millis(100)).await);
}

// ---------------------------------------------------------------------------------------------------------
// 11. Transient.

#[tokio::test]
async fn transients_are_relayed_and_never_stored() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let bob = app.user_with_token("bob").await;
    let (mut a, _) = Device::connect(&app, &ann, None).await;
    let (mut b, _) = Device::connect(&app, &bob, None).await;

    a.send(json!({"type": "transient", "receiver": "bob", "receiverType": "user", "data": {"kind": "reaction"}})).await;
    let frame = b.next_of("transient").await;
    assert_eq!(frame["sender"], "ann", "{frame}");
    assert_eq!(frame["receiver"], "bob", "{frame}");
    assert_eq!(frame["receiverType"], "user", "{frame}");
    assert_eq!(frame["data"], json!({"kind": "reaction"}), "{frame}");
    assert!(!a.gets_within("error", Duration::from_millis(200)).await);

    // Data that is not an object is refused.
    a.send(json!({"type": "transient", "receiver": "bob", "receiverType": "user", "data": "nope"})).await;
    assert_eq!(a.next_of("error").await["error"]["code"], "ERR_BAD_REQUEST");

    // In a group, a transient reaches the other online members but not the sender.
    let cat = app.user_with_token("cat").await;
    let (mut c, _) = Device::connect(&app, &cat, None).await;
    let group = json!({"guid": "crew", "name": "Crew", "type": "private", "owner": "ann", "members": {"participants": ["bob", "cat"]}});
    app.ok("POST", "/groups", Creds::Admin, Some(group)).await;
    b.send(json!({"type": "transient", "receiver": "crew", "receiverType": "group", "data": {"kind": "wave"}})).await;
    for device in [&mut a, &mut c] {
        let frame = device.next_of("transient").await;
        assert_eq!((frame["sender"].as_str(), frame["receiver"].as_str()), (Some("bob"), Some("crew")), "{frame}");
        assert_eq!(frame["receiverType"], "group", "{frame}");
        assert_eq!(frame["data"], json!({"kind": "wave"}), "{frame}");
    }
    assert!(!b.gets_within("transient", Duration::from_millis(300)).await, "the sender got their own transient");

    let list = app.ok("GET", "/users/ann/messages", Creds::As("bob"), None).await;
    assert_eq!(list["data"], json!([]), "transients must not be stored: {list}");
    let group_list = app.ok("GET", "/groups/crew/messages", Creds::As("bob"), None).await;
    assert_eq!(group_list["data"], json!([]), "transients must not be stored: {group_list}");
    let all = app.ok("GET", "/messages", Creds::Admin, None).await;
    assert_eq!(all["data"], json!([]), "transients must not be stored: {all}");
    assert!(!b.gets_within("message", Duration::from_millis(200)).await);
}

// ---------------------------------------------------------------------------------------------------------
// Cases found while writing the tests above, each once a bug.

// Resume covers the groups the user left or was removed from after the resume point: an offline device gets
// the messages sent while its user was still a member, and the `kicked` action itself.
#[tokio::test]
async fn a_member_kicked_while_offline_resumes_what_was_sent_before_the_kick() {
    let app = TestApp::start(&[]);
    app.user("own").await;
    let m3 = app.user_with_token("m3").await;
    let group = json!({"guid": "team", "name": "Team", "type": "public", "owner": "own", "members": {"participants": ["m3"]}});
    app.ok("POST", "/groups", Creds::Admin, Some(group)).await;
    let to_team = |text: &str| json!({"receiver": "team", "receiverType": "group", "type": "text", "data": {"text": text}});
    let (mut d, _) = Device::connect(&app, &m3, None).await;
    let seen = app.ok("POST", "/messages", Creds::As("own"), Some(to_team("seen live"))).await["data"]["id"].clone();
    assert_eq!(d.next_of("message").await["message"]["id"], seen);
    drop(d);

    // While m3's only device is offline: a message to the group m3 is still in, then the kick.
    let missed = app.ok("POST", "/messages", Creds::As("own"), Some(to_team("sent while m3 was a member"))).await["data"]["id"].clone();
    let kick = app.ok("DELETE", "/groups/team/members/m3", Creds::As("own"), None).await["data"]["id"].clone();

    let (mut d, _) = Device::connect(&app, &m3, seen.as_str()).await;
    let mut replayed = Vec::new();
    loop {
        let frame = d.next().await;
        match frame["type"].as_str() {
            Some("message") => replayed.push(frame["message"]["id"].clone()),
            Some("caughtUp") => break,
            _ => {}
        }
    }
    assert_eq!(replayed, vec![missed, kick], "m3 resumes the message sent while a member, then the kick");
}

// A group deleted and re-created under the same guid delivers live messages to its new members only.
#[tokio::test]
async fn a_recreated_group_delivers_live_messages_to_its_new_members_only() {
    let app = TestApp::start(&[]);
    let a = app.user_with_token("a").await;
    let b = app.user_with_token("b").await;
    let c = app.user_with_token("c").await;
    let (_da, _) = Device::connect(&app, &a, None).await;
    let (mut db, _) = Device::connect(&app, &b, None).await;
    let (mut dc, _) = Device::connect(&app, &c, None).await;
    let to_g = |text: &str| json!({"receiver": "g", "receiverType": "group", "type": "text", "data": {"text": text}});

    let group = json!({"guid": "g", "name": "G", "type": "private", "owner": "a", "members": {"participants": ["b"]}});
    app.ok("POST", "/groups", Creds::Admin, Some(group)).await;
    app.ok("POST", "/messages", Creds::As("a"), Some(to_g("old group"))).await;
    assert_eq!(db.next_of("message").await["message"]["data"]["text"], "old group");

    app.ok("DELETE", "/groups/g", Creds::Admin, None).await;
    let group = json!({"guid": "g", "name": "G again", "type": "private", "owner": "a", "members": {"participants": ["c"]}});
    app.ok("POST", "/groups", Creds::Admin, Some(group)).await;
    let secret = app.ok("POST", "/messages", Creds::As("a"), Some(to_g("new group only"))).await["data"]["id"].clone();

    assert!(!db.gets_within("message", Duration::from_millis(1000)).await, "a user outside the re-created private group got its message");
    let got_by_c = dc.next_of("message").await;
    assert_eq!(got_by_c["message"]["id"], secret, "the new member gets the new group's message");
}

// A new user created under a deleted user's uid gets none of the deleted user's group messages.
#[tokio::test]
async fn a_recreated_user_does_not_get_the_deleted_users_group_messages() {
    let app = TestApp::start(&[]);
    let a = app.user_with_token("a").await;
    app.user("b").await;
    let (mut da, _) = Device::connect(&app, &a, None).await;
    let group = json!({"guid": "g", "name": "G", "type": "private", "owner": "a", "members": {"participants": ["b"]}});
    app.ok("POST", "/groups", Creds::Admin, Some(group)).await;
    let to_g = |text: &str| json!({"receiver": "g", "receiverType": "group", "type": "text", "data": {"text": text}});
    app.ok("POST", "/messages", Creds::As("a"), Some(to_g("for the old b"))).await;
    // Once it is delivered, the server has read the group's members (with b) to deliver it.
    assert_eq!(da.next_of("message").await["message"]["data"]["text"], "for the old b");

    app.ok("DELETE", "/users/b", Creds::Admin, Some(json!({}))).await;
    let new_b = app.user_with_token("b").await;
    let (mut d, _) = Device::connect(&app, &new_b, None).await;
    let members = app.ok("GET", "/groups/g/members", Creds::Admin, None).await;
    assert!(members["data"].as_array().unwrap().iter().all(|m| m["uid"] != "b"), "{members}");
    app.ok("POST", "/messages", Creds::As("a"), Some(to_g("private"))).await;
    assert!(!d.gets_within("message", Duration::from_millis(1000)).await, "a new user got a private group's message");
}

// A `joined` frame carries the joiner's scope.
#[tokio::test]
async fn a_joined_frame_carries_the_joiners_scope() {
    let app = TestApp::start(&[]);
    let own = app.user_with_token("own").await;
    app.user("newbie").await;
    let (mut d, _) = Device::connect(&app, &own, None).await;
    app.ok("POST", "/groups", Creds::Admin, Some(json!({"guid": "team", "name": "Team", "type": "public", "owner": "own"}))).await;
    app.ok("POST", "/groups/team/join", Creds::As("newbie"), Some(json!({}))).await;
    let frame = d.next_of("groupMember").await;
    assert_eq!((frame["action"].as_str(), frame["uid"].as_str()), (Some("joined"), Some("newbie")), "{frame}");
    assert_eq!(frame["scope"], "participant", "{frame}");
}

// The server completes the closing handshake (it reads on until the device's close reply), so frames the device
// pipelined before seeing the close do not turn the close code into a connection reset.
#[tokio::test]
async fn the_close_code_survives_frames_the_device_sent_before_seeing_it() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let mut socket = raw_connect(&app, &ann).await;
    // Take `ready` and the first heartbeat ping (answering it) before the test starts.
    let _ = tokio::time::timeout(Duration::from_millis(200), async { while socket.next().await.is_some() {} }).await;
    // One burst: 21 unreadable frames (one more than tolerated), then a large frame the server never reads.
    for _ in 0..21 {
        socket.feed(Message::Text(json!({"type": "explode"}).to_string().into())).await.unwrap();
    }
    let large = json!({"type": "transient", "receiver": "ann", "receiverType": "user", "data": {"pad": "x".repeat(60_000)}});
    socket.feed(Message::Text(large.to_string().into())).await.unwrap();
    socket.flush().await.unwrap();

    let mut errors = 0;
    let end = loop {
        match tokio::time::timeout(Duration::from_secs(3), socket.next()).await {
            Err(_) => break "no close within 3 s".to_owned(),
            Ok(None) => break "the stream ended without a close frame".to_owned(),
            Ok(Some(Err(e))) => break format!("socket error: {e}"),
            Ok(Some(Ok(Message::Text(text)))) => {
                let frame: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(frame["type"], "error", "{frame}");
                errors += 1;
            }
            Ok(Some(Ok(Message::Close(frame)))) => break format!("close {:?}", frame.map(|f| u16::from(f.code))),
            Ok(Some(Ok(_))) => {}
        }
    };
    assert_eq!((errors, end.as_str()), (20, "close Some(4010)"), "20 error frames, then the close code");
}
