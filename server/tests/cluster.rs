//! Three real nodes on one PostgreSQL database and one Redis server: what a user on one node does reaches
//! users on the others, and nothing is lost or repeated when a node dies or Redis restarts.

mod common;

use common::cluster::{redis_server, Cluster, PrivatePostgres, PrivateRedis};
use common::receiver::Receiver;
use common::{Creds, Device, TestApp};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn rest_send(node: &TestApp, from: &str, receiver: &str, receiver_type: &str, text: &str) -> Value {
    let body = json!({"receiver": receiver, "receiverType": receiver_type, "type": "text", "data": {"text": text}});
    node.ok("POST", "/messages", Creds::As(from), Some(body)).await["data"].clone()
}

async fn token(node: &TestApp, uid: &str) -> String {
    let answer = node.ok("POST", &format!("/users/{uid}/auth_tokens"), Creds::Admin, None).await;
    answer["data"]["authToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_rest_send_on_one_node_reaches_sockets_on_the_others() {
    let cluster = Cluster::start(3, &[]).await;
    let (n0, n1, n2) = (cluster.node(0), cluster.node(1), cluster.node(2));
    n0.user("ann").await;
    let bob = n1.user_with_token("bob").await;
    let (mut on_1, _) = Device::connect(n1, &bob, None).await;
    let (mut on_2, _) = Device::connect(n2, &token(n2, "bob").await, None).await;
    let sent = rest_send(n0, "ann", "bob", "user", "hello from node 0").await;
    for device in [&mut on_1, &mut on_2] {
        let frame = device.next_of("message").await;
        assert_eq!(frame["message"]["id"], sent["id"], "{frame}");
        assert_eq!(frame["message"]["data"]["text"], "hello from node 0");
    }
    // Any node reads what another stored.
    let listed = n2.ok("GET", "/users/ann/messages", Creds::As("bob"), None).await;
    assert_eq!(listed["data"][0]["id"], sent["id"], "{listed}");
}

#[tokio::test]
async fn typing_read_marks_and_transients_cross_nodes() {
    let cluster = Cluster::start(3, &[]).await;
    let (n0, n2) = (cluster.node(0), cluster.node(2));
    let ann = n0.user_with_token("ann").await;
    let bob = n0.user_with_token("bob").await;
    let (mut a, _) = Device::connect(n0, &ann, None).await;
    let (mut b, _) = Device::connect(n2, &bob, None).await;

    b.send(json!({"type": "typing", "receiver": "ann", "receiverType": "user", "state": "started"})).await;
    let typing = a.next_of("typing").await;
    assert_eq!((typing["sender"].as_str(), typing["state"].as_str()), (Some("bob"), Some("started")), "{typing}");

    let sent = rest_send(n0, "ann", "bob", "user", "read me").await;
    assert_eq!(b.next_of("message").await["message"]["id"], sent["id"]);
    b.send(json!({"type": "receipt", "kind": "read", "conversationId": "ann_user_bob", "messageId": sent["id"]})).await;
    let receipt = a.next_of("receipt").await;
    assert_eq!((receipt["uid"].as_str(), receipt["kind"].as_str()), (Some("bob"), Some("read")), "{receipt}");
    assert_eq!(receipt["messageId"], sent["id"]);

    b.send(json!({"type": "transient", "receiver": "ann", "receiverType": "user", "data": {"cursor": 3}})).await;
    assert_eq!(a.next_of("transient").await["data"]["cursor"], 3);
}

#[tokio::test]
async fn presence_is_cluster_wide() {
    let cluster = Cluster::start(3, &[]).await;
    let (n0, n1, n2) = (cluster.node(0), cluster.node(1), cluster.node(2));
    let ann = n0.user_with_token("ann").await;
    let bob = n0.user_with_token("bob").await;
    rest_send(n0, "ann", "bob", "user", "we share a conversation").await;
    let (mut a, _) = Device::connect(n0, &ann, None).await;

    let (b1, _) = Device::connect(n1, &bob, None).await;
    let online = a.next_of("presence").await;
    assert_eq!((online["uid"].as_str(), online["status"].as_str()), (Some("bob"), Some("online")), "{online}");
    assert_eq!(n2.ok("GET", "/users/bob", Creds::Admin, None).await["data"]["status"], "online", "node 2 sees bob online");

    // A second device on another node is not news, nor is closing the first while the second stays.
    let (b2, _) = Device::connect(n2, &token(n2, "bob").await, None).await;
    drop(b1);
    let grace = confab_server::realtime::hub::PRESENCE_GRACE;
    assert!(!a.gets_within("presence", grace + Duration::from_secs(1)).await, "bob is still online on node 2");
    assert_eq!(n0.ok("GET", "/users/bob", Creds::Admin, None).await["data"]["status"], "online");

    drop(b2);
    tokio::time::sleep(grace).await;
    let offline = a.next_of("presence").await;
    assert_eq!((offline["uid"].as_str(), offline["status"].as_str()), (Some("bob"), Some("offline")), "{offline}");
    assert!(offline["lastActiveAt"].as_i64().is_some(), "{offline}");
    assert!(!a.gets_within("presence", Duration::from_secs(1)).await, "offline is announced once, not once per node");
    assert_eq!(n1.ok("GET", "/users/bob", Creds::Admin, None).await["data"]["status"], "offline");
}

#[tokio::test]
async fn a_revoked_token_or_a_deactivated_user_is_closed_on_every_node() {
    let cluster = Cluster::start(3, &[]).await;
    let (n0, n1, n2) = (cluster.node(0), cluster.node(1), cluster.node(2));
    let bob = n0.user_with_token("bob").await;
    let (mut on_2, _) = Device::connect(n2, &bob, None).await;
    n0.ok("DELETE", &format!("/users/bob/auth_tokens/{bob}"), Creds::Admin, None).await;
    assert_eq!(on_2.closed_with(Duration::from_secs(5)).await, Some(4003), "the revoked token's socket on node 2");

    n0.user("cat").await;
    let (mut cat_1, _) = Device::connect(n1, &token(n1, "cat").await, None).await;
    n2.ok("DELETE", "/users", Creds::Admin, Some(json!({"uidsToDeactivate": ["cat"]}))).await;
    assert!(cat_1.closed_with(Duration::from_secs(5)).await.is_some(), "the deactivated user's socket on node 1");
}

/// Every message of `conversation` stored, in id order, read through `node`.
async fn stored_ids(node: &TestApp, uid: &str, path: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut after = 0i64;
    loop {
        let page = node.ok("GET", &format!("{path}?affix=append&id={after}&limit=100"), Creds::As(uid), None).await;
        let got: Vec<i64> =
            page["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().parse().unwrap()).collect();
        let Some(&last) = got.last() else { break };
        ids.extend(got.iter().copied().filter(|id| *id > after));
        if last <= after {
            break;
        }
        after = last;
    }
    ids
}

/// A device that keeps reconnecting, to a node chosen in turn, resuming from the last message it has.
async fn restless_reader(cluster: Arc<Cluster>, uid: String, start: usize, stop: Arc<AtomicBool>) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut turn = start;
    loop {
        let node = cluster.node(turn % cluster.nodes.len());
        let last = seen.last().map(|id: &i64| id.to_string());
        let (mut device, _) = Device::connect(node, &token(node, &uid).await, last.as_deref()).await;
        // Stay for a while, then leave without a word (as a phone losing its network would).
        let stay = Duration::from_millis(150 + (turn as u64 * 37) % 400);
        let until = tokio::time::Instant::now() + stay;
        let mut caught_up = false;
        loop {
            let remaining = until.saturating_duration_since(tokio::time::Instant::now());
            let finishing = stop.load(Ordering::SeqCst) && caught_up;
            if remaining.is_zero() && !stop.load(Ordering::SeqCst) || finishing {
                break;
            }
            let wait = if stop.load(Ordering::SeqCst) { Duration::from_secs(2) } else { remaining };
            let Ok(frame) = tokio::time::timeout(wait, device.next()).await else {
                caught_up |= stop.load(Ordering::SeqCst);
                continue;
            };
            match frame["type"].as_str() {
                Some("message") => seen.push(frame["message"]["id"].as_str().unwrap().parse().unwrap()),
                Some("caughtUp") => caught_up = true,
                _ => {}
            }
        }
        if stop.load(Ordering::SeqCst) && caught_up {
            return seen;
        }
        turn += 1;
    }
}

#[tokio::test]
async fn concurrent_sends_on_every_node_reach_resuming_devices_exactly_once_in_order() {
    let cluster = Arc::new(Cluster::start(3, &["--rate-limit", "0"]).await);
    let n0 = cluster.node(0);
    let members: Vec<String> = (0..6).map(|i| format!("u{i}")).collect();
    for uid in &members {
        n0.user(uid).await;
    }
    let group = json!({"guid": "crew", "name": "Crew", "type": "public", "members": {"participants": members}});
    n0.ok("POST", "/groups", Creds::Admin, Some(group)).await;

    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|i| tokio::spawn(restless_reader(cluster.clone(), format!("u{i}"), i, stop.clone())))
        .collect();
    let per_sender = 40;
    let senders: Vec<_> = (3..6)
        .map(|i| {
            let cluster = cluster.clone();
            tokio::spawn(async move {
                let node = cluster.node(i % 3);
                for n in 0..per_sender {
                    rest_send(node, &format!("u{i}"), "crew", "group", &format!("u{i} #{n}")).await;
                }
            })
        })
        .collect();
    for sender in senders {
        sender.await.unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    let stored = stored_ids(n0, "u0", "/groups/crew/messages").await;
    let sent: Vec<i64> = stored.clone();
    assert!(sent.len() >= 3 * per_sender, "stored {} messages", sent.len());
    for (i, reader) in readers.into_iter().enumerate() {
        let seen = reader.await.unwrap();
        // Action messages of the group's creation come before the first read: compare from the first text.
        let expected: Vec<i64> = sent.iter().copied().filter(|id| *id >= *seen.first().unwrap_or(&0)).collect();
        assert_eq!(seen, expected, "device of u{i}: every message exactly once, in order");
    }
}

#[tokio::test]
async fn a_killed_node_loses_nothing_and_its_devices_resume_elsewhere() {
    let receiver = Receiver::start().await;
    let mut cluster = Cluster::start(3, &["--rate-limit", "0", "--callback-allow", "127.0.0.1/32"]).await;
    let n0 = cluster.node(0);
    n0.user("ann").await;
    n0.user("helper").await;
    let bot = json!({"uid": "helper", "webhookURL": receiver.url("/bot"), "groupChatSetting": "allMessages"});
    n0.ok("POST", "/bots", Creds::Admin, Some(bot)).await;
    // The bot answers slowly, so calls are in flight on every node when one dies.
    receiver.delay(Duration::from_millis(700));
    let bob = n0.user_with_token("bob").await;
    let (mut on_1, _) = Device::connect(cluster.node(1), &bob, None).await;

    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let mut seen: Vec<i64> = Vec::new();
    for n in 0..30 {
        if n == 15 {
            cluster.kill(1);
            break;
        }
        let node = cluster.node([0, 2][n % 2]);
        let sent = rest_send(node, "ann", "bob", "user", &format!("to bob #{n}")).await;
        acknowledged.lock().unwrap().push(sent["id"].as_str().unwrap().parse::<i64>().unwrap());
        let bot_message = rest_send(node, "ann", "helper", "user", &format!("to the bot #{n}")).await;
        acknowledged.lock().unwrap().push(bot_message["id"].as_str().unwrap().parse::<i64>().unwrap());
        while let Ok(frame) = tokio::time::timeout(Duration::from_millis(100), on_1.next_of("message")).await {
            seen.push(frame["message"]["id"].as_str().unwrap().parse().unwrap());
        }
    }
    // More traffic while node 1 is dead.
    for n in 15..30 {
        let node = cluster.node([0, 2][n % 2]);
        let sent = rest_send(node, "ann", "bob", "user", &format!("to bob #{n}")).await;
        acknowledged.lock().unwrap().push(sent["id"].as_str().unwrap().parse::<i64>().unwrap());
    }
    // Bob's device reconnects to node 2 and resumes from the last message it had.
    let last = seen.last().map(|id| id.to_string());
    let (mut on_2, _) = Device::connect(cluster.node(2), &token(cluster.node(2), "bob").await, last.as_deref()).await;
    loop {
        let frame = on_2.next().await;
        match frame["type"].as_str() {
            Some("message") => seen.push(frame["message"]["id"].as_str().unwrap().parse().unwrap()),
            Some("caughtUp") => break,
            _ => {}
        }
    }
    let to_bob = stored_ids(cluster.node(0), "bob", "/users/ann/messages").await;
    assert_eq!(seen, to_bob, "bob's device: no gap and no duplicate across the node's death");
    let to_bot = stored_ids(cluster.node(2), "ann", "/users/helper/messages").await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert_eq!(acknowledged.len(), 45);
    for id in &acknowledged {
        assert!(to_bob.contains(id) || to_bot.contains(id), "acknowledged message {id} is stored");
    }
    assert_eq!((to_bob.len(), to_bot.len()), (30, 15), "nothing but what was acknowledged is stored");

    // Every bot call is made, those cut off by the kill included (after their lease), each message at least once.
    receiver.delay(Duration::ZERO);
    let calls = receiver
        .wait_for(Duration::from_secs(60), |calls| {
            let mut got: Vec<String> = calls.iter().map(|c| c.json()["data"]["id"].as_str().unwrap_or("").to_owned()).collect();
            got.sort();
            got.dedup();
            got.len() >= 15
        })
        .await;
    let mut per_message: HashMap<String, usize> = HashMap::new();
    for call in &calls {
        *per_message.entry(call.json()["data"]["id"].as_str().unwrap_or("").to_owned()).or_default() += 1;
    }
    for id in &to_bot {
        assert!(per_message.contains_key(&id.to_string()), "the bot got message {id}: {per_message:?}");
    }
}

#[tokio::test]
async fn a_redis_restart_loses_nothing_and_live_delivery_comes_back() {
    let mut redis = PrivateRedis::start();
    let cluster = Cluster::start_on(2, &redis.url(), &["--rate-limit", "0"]).await;
    let (n0, n1) = (cluster.node(0), cluster.node(1));
    let ann = n0.user_with_token("ann").await;
    let bob = n0.user_with_token("bob").await;
    let (a, _) = Device::connect(n0, &ann, None).await;
    let (mut b, _) = Device::connect(n1, &bob, None).await;
    let mut acknowledged = Vec::new();
    acknowledged.push(rest_send(n0, "ann", "bob", "user", "before").await["id"].clone());
    // Bob's device has a message to resume from.
    let first = b.next_of("message").await;
    let mut seen = vec![first["message"]["id"].clone()];
    let mut last: Option<String> = first["message"]["id"].as_str().map(str::to_owned);

    redis.stop();
    // Sends keep being accepted and stored while Redis is away.
    for n in 0..5 {
        acknowledged.push(rest_send(n0, "ann", "bob", "user", &format!("during #{n}")).await["id"].clone());
    }
    redis.up();
    acknowledged.push(rest_send(n0, "ann", "bob", "user", "after").await["id"].clone());

    // Bob's device got everything, live or by resuming after being told to.
    while seen.len() < acknowledged.len() {
        match b.next_event(Duration::from_secs(10)).await {
            Some(Ok(frame)) if frame["type"] == "message" => {
                last = frame["message"]["id"].as_str().map(str::to_owned);
                seen.push(frame["message"]["id"].clone());
            }
            Some(Ok(_)) => {}
            // Told to resume (Redis went away under the node): reconnect from the last message.
            Some(Err(_)) => b = Device::connect(n1, &bob, last.as_deref()).await.0,
            None => panic!("bob's device stopped getting messages: {seen:?} of {acknowledged:?}"),
        }
    }
    assert_eq!(seen, acknowledged);

    // Live events cross nodes again (on devices that reconnected if they were told to resume).
    drop((a, b));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (mut a, _) = Device::connect(n0, &ann, None).await;
        let (mut b, _) = Device::connect(n1, &bob, None).await;
        b.send(json!({"type": "typing", "receiver": "ann", "receiverType": "user", "state": "started"})).await;
        if a.gets_within("typing", Duration::from_secs(1)).await {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "typing does not cross nodes after Redis came back");
    }
}

#[tokio::test]
async fn with_postgresql_down_sends_get_503_and_are_never_acknowledged() {
    let postgres = PrivatePostgres::start();
    let cluster = Cluster::start_with_database(1, &postgres.url(), &redis_server(), &["--rate-limit", "0"]).await;
    let node = cluster.node(0);
    let ann = node.user_with_token("ann").await;
    node.user("bob").await;
    let (mut device, _) = Device::connect(node, &ann, None).await;
    let before = rest_send(node, "ann", "bob", "user", "stored").await;

    postgres.stop();
    let body = json!({"receiver": "bob", "receiverType": "user", "type": "text", "data": {"text": "lost?"}, "muid": "m-down"});
    let error = node.refused("POST", "/messages", Creds::As("ann"), Some(body.clone()), 503, "ERR_STORE_UNAVAILABLE").await;
    assert!(error["message"].as_str().unwrap().contains("nothing was stored"), "{error}");
    device.send(json!({"type": "send", "message": {"receiver": "bob", "receiverType": "user", "type": "text",
        "data": {"text": "over the socket"}, "muid": "m-socket"}})).await;
    let frame = device.next_of("error").await;
    assert_eq!(frame["error"]["code"], "ERR_STORE_UNAVAILABLE", "{frame}");
    assert_eq!(frame["ref"], "m-socket", "{frame}");

    // Back up: the same send (same muid) is stored once, and nothing refused was stored.
    postgres.up();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let stored = loop {
        let (status, answer) = node.call("POST", "/messages", Creds::As("ann"), Some(body.clone())).await;
        if status == 200 {
            break answer["data"].clone();
        }
        assert!(std::time::Instant::now() < deadline, "sends did not come back after PostgreSQL did: {status} {answer}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let again = node.ok("POST", "/messages", Creds::As("ann"), Some(body)).await["data"].clone();
    assert_eq!(again["id"], stored["id"], "a retried send is not stored twice");
    let listed = node.ok("GET", "/users/bob/messages", Creds::As("ann"), None).await;
    let texts: Vec<&str> = listed["data"].as_array().unwrap().iter().filter_map(|m| m["data"]["text"].as_str()).collect();
    assert_eq!(texts, ["stored", "lost?"], "{listed}");
    assert_eq!(before["data"]["text"], "stored");
}

#[tokio::test]
async fn limits_are_shared_so_more_nodes_do_not_multiply_them() {
    let cluster = Cluster::start(3, &["--rate-limit", "9", "--guests-per-address", "4"]).await;
    let token = cluster.node(0).user_with_token("ann").await;
    // A token's 9 requests a minute, spread over three nodes, are 9 in all, not 27.
    for i in 0..9 {
        cluster.node(i % 3).ok("GET", "/me", Creds::Token(&token), None).await;
    }
    for node in &cluster.nodes {
        node.refused("GET", "/me", Creds::Token(&token), None, 429, "ERR_TOO_MANY_REQUESTS").await;
    }
    // An address's 4 guests a day, made on different nodes.
    let guest = json!({});
    for i in 0..4 {
        cluster.node(i % 3).ok("POST", "/auth/guest", Creds::AuthKey, Some(guest.clone())).await;
    }
    for node in &cluster.nodes {
        node.refused("POST", "/auth/guest", Creds::AuthKey, Some(guest.clone()), 429, "ERR_GUEST_LIMIT").await;
    }
}

#[tokio::test]
async fn text_with_a_nul_character_is_refused_with_its_field_on_postgresql() {
    let cluster = Cluster::start(1, &[]).await;
    let node = cluster.node(0);
    node.user("ann").await;
    node.user("bob").await;
    let body = json!({"receiver": "bob", "receiverType": "user", "type": "text", "data": {"text": "hi"}, "tags": ["ok", "bad\u{0}"]});
    let error = node.refused("POST", "/messages", Creds::As("ann"), Some(body), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "tags[1]", "{error}");
    let status = json!({"statusMessage": "away\u{0}"});
    let error = node.refused("PUT", "/users/ann", Creds::Admin, Some(status), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "statusMessage", "{error}");
    // Text in a message's data is JSON, where a NUL is an escape: it is kept as sent.
    let body = json!({"receiver": "bob", "receiverType": "user", "type": "text", "data": {"text": "a\u{0}b"}});
    let sent = node.ok("POST", "/messages", Creds::As("ann"), Some(body)).await;
    assert_eq!(sent["data"]["data"]["text"], "a\u{0}b");
}

#[tokio::test]
async fn reactions_replies_and_searches_cross_nodes() {
    let cluster = Cluster::start(2, &[]).await;
    let (n0, n1) = (cluster.node(0), cluster.node(1));
    let ann = n0.user_with_token("ann").await;
    n0.user("bob").await;
    let (mut on_0, _) = Device::connect(n0, &ann, None).await;
    let sent = rest_send(n0, "ann", "bob", "user", "the quarterly report").await;
    on_0.next_of("message").await;

    // Bob reacts and replies in the thread through the other node; ann's device hears both.
    let path = format!("/messages/{}/reactions/%F0%9F%8E%89", sent["id"].as_str().unwrap());
    n1.ok("POST", &path, Creds::As("bob"), None).await;
    let record = on_0.next_of("message").await;
    assert_eq!(record["message"]["type"], "reaction", "{record}");
    assert_eq!(record["message"]["data"]["entities"]["extra"]["reactions"][0]["reaction"], "🎉");
    let body = json!({"receiver": "ann", "receiverType": "user", "type": "text", "data": {"text": "looks good"}, "parentId": sent["id"]});
    let reply = n1.ok("POST", "/messages", Creds::As("bob"), Some(body)).await["data"].clone();
    let live = on_0.next_of("message").await;
    assert_eq!((live["message"]["id"].clone(), live["message"]["parentId"].clone()), (reply["id"].clone(), sent["id"].clone()));

    // Either node answers with the counts and finds the words.
    let parent = n0.ok("GET", &format!("/messages/{}", sent["id"].as_str().unwrap()), Creds::As("ann"), None).await["data"].clone();
    assert_eq!((parent["replyCount"].as_u64(), parent["data"]["reactions"][0]["count"].as_u64()), (Some(1), Some(1)), "{parent}");
    let found = n1.ok("GET", "/messages?searchKey=quarter", Creds::As("ann"), None).await;
    assert_eq!(found["data"][0]["id"], sent["id"], "{found}");
}
