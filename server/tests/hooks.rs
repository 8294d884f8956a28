//! Bots and webhooks against a real HTTP receiver on loopback: payload shape and signature, replies reaching
//! sockets, group settings, retries while the receiver is down, deliveries surviving a SIGKILL, a slow
//! receiver not slowing sends, failed deliveries listed, and the API's refusals.

mod common;

use common::receiver::{Call, Receiver};
use common::{Creds, Device, TestApp};
use confab_protocol::signature::verify;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Serve flags for tests: loopback callbacks allowed, quick retries.
const FLAGS: &[&str] = &["--callback-allow", "127.0.0.0/8", "--callback-retry-ms", "100"];
const WAIT: Duration = Duration::from_secs(10);

fn text_to(receiver: &str, receiver_type: &str, text: &str) -> Value {
    json!({"receiver": receiver, "receiverType": receiver_type, "type": "text", "data": {"text": text}})
}

async fn send(app: &TestApp, from: &str, to: &str, receiver_type: &str, text: &str) -> Value {
    app.ok("POST", "/messages", Creds::As(from), Some(text_to(to, receiver_type, text))).await["data"].clone()
}

async fn bot(app: &TestApp, uid: &str, url: &str, setting: &str) -> Value {
    app.user(uid).await;
    let body = json!({"uid": uid, "webhookURL": url, "groupChatSetting": setting});
    app.ok("POST", "/bots", Creds::Admin, Some(body)).await["data"].clone()
}

fn signed_by(call: &Call, secret: &str) -> bool {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    verify(secret, &call.header("x-confab-signature"), &call.body, now, 300).is_ok()
}

/// The texts `path` received, sorted (calls run concurrently, so they may arrive in any order).
fn texts(calls: &[Call], path: &str) -> Vec<String> {
    let mut texts: Vec<String> =
        calls.iter().filter(|c| c.path == path).map(|c| c.json()["data"]["data"]["text"].as_str().unwrap_or_default().to_owned()).collect();
    texts.sort();
    texts
}

#[tokio::test]
async fn a_message_to_a_bot_is_posted_signed_and_its_reply_reaches_the_user_live() {
    let app = TestApp::start(FLAGS);
    let receiver = Receiver::start().await;
    let ann = app.user_with_token("ann").await;
    let created = bot(&app, "helper", &receiver.url("/bot"), "mentionedMessages").await;
    let secret = created["signingSecret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created["webhookURL"], receiver.url("/bot"));
    assert_eq!(created["enabled"], true);
    let (mut device, _) = Device::connect(&app, &ann, None).await;

    let sent = send(&app, "ann", "helper", "user", "How do I reset my password?").await;
    let calls = receiver.wait_for(WAIT, |c| !c.is_empty()).await;
    let call = &calls[0];
    assert!(signed_by(call, &secret), "signature {} does not verify", call.header("x-confab-signature"));
    assert!(!signed_by(call, "whsec_wrong"));
    assert_eq!(call.header("content-type"), "application/json");
    assert_eq!(call.header("x-confab-trigger"), "after_message");
    assert!(!call.header("x-confab-delivery").is_empty());
    let payload = call.json();
    assert_eq!(payload["trigger"], "after_message", "{payload}");
    assert_eq!(payload["appId"], app.cred("appId"));
    assert_eq!(payload["region"], app.cred("region"));
    assert_eq!(payload["chatAPIVersion"], "3.0");
    assert_eq!(payload["bot"], "helper");
    assert_eq!(payload["origin"]["platform"], "server");
    let data = &payload["data"];
    assert_eq!(data["id"], sent["id"], "{payload}");
    assert_eq!(data["conversationId"], "ann_user_helper");
    assert_eq!((data["sender"].as_str(), data["receiver"].as_str(), data["receiverType"].as_str()), (Some("ann"), Some("helper"), Some("user")));
    assert_eq!((data["category"].as_str(), data["type"].as_str()), (Some("message"), Some("text")));
    assert_eq!(data["data"]["text"], "How do I reset my password?");
    let entities = &data["data"]["entities"];
    assert_eq!(entities["sender"]["entityType"], "user", "{entities}");
    assert_eq!(entities["sender"]["entity"]["uid"], "ann");
    assert_eq!(entities["sender"]["entity"]["name"], "User ann");
    assert_eq!(entities["receiver"]["entity"]["uid"], "helper");
    assert_eq!(entities["receiver"]["entity"]["conversationId"], "ann_user_helper");
    assert!(data["sentAt"].as_i64().unwrap() > 0);

    let reply = json!({"receiver": "ann", "receiverType": "user", "type": "text", "data": {"text": "Use the link on the sign-in page."}});
    let stored = app.ok("POST", "/bots/helper/messages", Creds::Admin, Some(reply)).await["data"].clone();
    assert_eq!(stored["sender"], "helper");
    loop {
        let frame = device.next_of("message").await;
        if frame["message"]["id"] == stored["id"] {
            assert_eq!(frame["message"]["data"]["text"], "Use the link on the sign-in page.");
            break;
        }
    }
    // The bot's own reply is not sent back to it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.calls().len(), 1);
    let delivered = app.ok("GET", "/deliveries?state=delivered", Creds::Admin, None).await;
    assert_eq!(delivered["data"][0]["target"], "helper", "{delivered}");
    assert_eq!(delivered["data"][0]["attempts"], 1);
    assert_eq!(delivered["data"][0]["messageId"], sent["id"]);
}

#[tokio::test]
async fn group_messages_reach_bots_by_their_setting() {
    let app = TestApp::start(FLAGS);
    let receiver = Receiver::start().await;
    app.user("ann").await;
    for (uid, setting) in [("b-all", "allMessages"), ("b-slash", "slashedMessages"), ("b-mention", "mentionedMessages"), ("b-none", "none")] {
        bot(&app, uid, &receiver.url(&format!("/{uid}")), setting).await;
    }
    bot(&app, "b-outside", &receiver.url("/b-outside"), "allMessages").await;
    let members = json!({"participants": ["b-all", "b-slash", "b-mention", "b-none"]});
    let group = json!({"guid": "support", "name": "Support", "type": "public", "owner": "ann", "members": members});
    app.ok("POST", "/groups", Creds::Admin, Some(group)).await;

    send(&app, "ann", "support", "group", "hello everyone").await;
    send(&app, "ann", "support", "group", "/help").await;
    send(&app, "ann", "support", "group", "thanks <@uid:B-Mention>!").await;
    // Plain text that only looks like a mention is not one.
    send(&app, "ann", "support", "group", "cc @b-mention").await;
    // A bot's message goes to no bot.
    app.ok("POST", "/bots/b-all/messages", Creds::Admin, Some(text_to("support", "group", "/from a bot"))).await;
    send(&app, "ann", "support", "group", "last").await;

    receiver.wait_for(WAIT, |c| texts(c, "/b-all").len() == 5).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(texts(&receiver.calls(), "/b-all"), ["/help", "cc @b-mention", "hello everyone", "last", "thanks <@uid:B-Mention>!"]);
    assert_eq!(texts(&receiver.calls(), "/b-slash"), ["/help"]);
    assert_eq!(texts(&receiver.calls(), "/b-mention"), ["thanks <@uid:B-Mention>!"]);
    assert!(texts(&receiver.calls(), "/b-none").is_empty());
    assert!(texts(&receiver.calls(), "/b-outside").is_empty(), "a bot outside the group gets nothing");
    let group_call = receiver.calls().into_iter().find(|c| c.path == "/b-slash").unwrap().json();
    assert_eq!(group_call["data"]["data"]["entities"]["receiver"]["entityType"], "group", "{group_call}");
    assert_eq!(group_call["data"]["data"]["entities"]["receiver"]["entity"]["guid"], "support");
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_the_call_late_and_once_it_succeeds() {
    let app = TestApp::start(FLAGS);
    let receiver = Receiver::start().await;
    receiver.answer(503);
    app.user("ann").await;
    bot(&app, "helper", &receiver.url("/bot"), "none").await;
    let sent = send(&app, "ann", "helper", "user", "anyone there?").await;

    receiver.wait_for(WAIT, |c| c.len() >= 3).await;
    let pending = app.ok("GET", "/deliveries?state=pending", Creds::Admin, None).await;
    let delivery = &pending["data"][0];
    assert!(delivery["attempts"].as_u64().unwrap() >= 2, "{pending}");
    assert_eq!(delivery["lastStatus"], 503, "{pending}");
    assert!(delivery["lastError"].as_str().unwrap().contains("503"), "{pending}");
    assert!(delivery["nextAttemptAt"].as_i64().is_some(), "{pending}");

    receiver.answer(200);
    let calls = receiver.wait_for(WAIT, |c| c.iter().any(|c| c.status == 200)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let calls_after = receiver.calls();
    let ok: Vec<_> = calls_after.iter().filter(|c| c.status == 200).collect();
    assert_eq!(ok.len(), 1, "delivered once after success: {} successful calls", ok.len());
    assert!(calls.iter().all(|c| c.json()["data"]["id"] == sent["id"]));
    let ids: std::collections::HashSet<String> = calls_after.iter().map(|c| c.header("x-confab-delivery")).collect();
    assert_eq!(ids.len(), 1, "every retry carries the same delivery id");
    let delivered = app.ok("GET", "/deliveries?state=delivered", Creds::Admin, None).await;
    assert_eq!(delivered["meta"]["pagination"]["total"], 1, "{delivered}");
    assert_eq!(delivered["data"][0]["attempts"].as_u64().unwrap() as usize, calls_after.len());
}

#[tokio::test]
async fn deliveries_that_keep_failing_are_listed_with_their_error_and_can_be_retried() {
    let app = TestApp::start(&["--callback-allow", "127.0.0.0/8", "--callback-retry-ms", "50", "--callback-attempts", "3"]);
    // A port with nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/bot", closed.local_addr().unwrap());
    drop(closed);
    app.user("ann").await;
    bot(&app, "helper", &dead_url, "none").await;
    send(&app, "ann", "helper", "user", "hello?").await;

    let deadline = Instant::now() + WAIT;
    let failed = loop {
        let failed = app.ok("GET", "/deliveries", Creds::Admin, None).await;
        if failed["meta"]["pagination"]["total"] == 1 {
            break failed;
        }
        assert!(Instant::now() < deadline, "the delivery never failed: {failed}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let delivery = &failed["data"][0];
    assert_eq!(delivery["state"], "failed", "{failed}");
    assert_eq!(delivery["attempts"], 3, "{failed}");
    assert_eq!(delivery["targetType"], "bot");
    assert!(delivery["lastError"].as_str().unwrap().contains("connect"), "{failed}");
    assert!(delivery["finishedAt"].as_i64().is_some());
    let by_target = app.ok("GET", "/deliveries?state=failed&target=helper", Creds::Admin, None).await;
    assert_eq!(by_target["meta"]["pagination"]["total"], 1);
    app.refused("GET", "/deliveries?state=lost", Creds::Admin, None, 400, "ERR_BAD_REQUEST").await;

    // Point the bot at a live receiver and retry the failed delivery.
    let receiver = Receiver::start().await;
    app.ok("PUT", "/bots/helper", Creds::Admin, Some(json!({"webhookURL": receiver.url("/bot")}))).await;
    let id = delivery["id"].as_str().unwrap();
    let retried = app.ok("POST", &format!("/deliveries/{id}/retry"), Creds::Admin, None).await["data"].clone();
    assert_eq!(retried["state"], "pending");
    receiver.wait_for(WAIT, |c| c.len() == 1).await;
    app.refused("POST", &format!("/deliveries/{id}/retry"), Creds::Admin, None, 404, "ERR_DELIVERY_NOT_FOUND").await;
}

#[tokio::test]
async fn deliveries_pending_when_the_server_is_killed_are_made_after_restart() {
    let mut app = TestApp::start(FLAGS);
    let receiver = Receiver::start().await;
    app.user("ann").await;
    bot(&app, "helper", &receiver.url("/bot"), "none").await;
    // The receiver hangs: calls are in flight when the server dies.
    receiver.delay(Duration::from_secs(30));
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(send(&app, "ann", "helper", "user", &format!("message {i}")).await["id"].clone());
    }
    let deadline = Instant::now() + WAIT;
    while receiver.started() < 5 {
        assert!(Instant::now() < deadline, "calls did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // And some that were only queued.
    receiver.answer(500);
    app.restart(FLAGS);
    receiver.delay(Duration::ZERO);
    receiver.answer(200);
    let calls = receiver.wait_for(WAIT, |c| {
        sent.iter().all(|id| c.iter().any(|c| c.status == 200 && c.json()["data"]["id"] == *id))
    }).await;
    assert!(calls.iter().all(|c| c.status == 200));
}

#[tokio::test]
async fn a_slow_receiver_does_not_slow_message_sending() {
    let app = TestApp::start(FLAGS);
    let receiver = Receiver::start().await;
    receiver.delay(Duration::from_secs(3));
    app.user("ann").await;
    bot(&app, "helper", &receiver.url("/bot"), "none").await;
    let started = Instant::now();
    for i in 0..40 {
        send(&app, "ann", "helper", "user", &format!("quick {i}")).await;
    }
    let took = started.elapsed();
    // Forty sends waiting on a 3 s receiver would take two minutes.
    assert!(took < Duration::from_secs(20), "40 sends took {took:?}");
    receiver.wait_for(Duration::from_secs(20), |c| c.len() == 40).await;
}

#[tokio::test]
async fn webhooks_get_their_triggers_signed() {
    let app = TestApp::start(FLAGS);
    let receiver = Receiver::start().await;
    let ann = app.user_with_token("ann").await;
    app.user("bob").await;
    let triggers = ["message_sent", "message_edited", "message_deleted", "group_member_joined", "group_member_left",
        "message_read_receipt", "user_connection_status_changed", "message_reaction_added", "message_reaction_removed"];
    let body = json!({"id": "audit", "name": "Audit log", "url": receiver.url("/hook"), "triggers": triggers});
    let hook = app.ok("POST", "/webhooks", Creds::Admin, Some(body)).await["data"].clone();
    let secret = hook["signingSecret"].as_str().unwrap().to_owned();
    assert_eq!(hook["triggers"].as_array().unwrap().len(), triggers.len(), "{hook}");

    let sent = send(&app, "bob", "ann", "user", "first").await;
    let id = sent["id"].as_str().unwrap();
    app.ok("POST", &format!("/messages/{id}/reactions/%F0%9F%91%8D"), Creds::As("ann"), None).await;
    app.ok("DELETE", &format!("/messages/{id}/reactions/%F0%9F%91%8D"), Creds::As("ann"), None).await;
    app.ok("PUT", &format!("/messages/{id}"), Creds::As("bob"), Some(json!({"data": {"text": "first, edited"}}))).await;
    app.ok("DELETE", &format!("/messages/{id}"), Creds::As("bob"), None).await;
    app.ok("POST", "/groups", Creds::Admin, Some(json!({"guid": "lobby", "name": "Lobby", "type": "public"}))).await;
    app.ok("POST", "/groups/lobby/join", Creds::As("bob"), Some(json!({}))).await;
    app.ok("POST", "/groups/lobby/leave", Creds::As("bob"), None).await;
    app.ok("POST", "/users/bob/conversation/read", Creds::As("ann"), Some(json!({"messageId": id}))).await;
    let (device, _) = Device::connect(&app, &ann, None).await;

    let wanted = ["message_sent", "message_edited", "message_deleted", "group_member_joined", "group_member_left",
        "message_read_receipt", "user_connection_status_changed", "message_reaction_added", "message_reaction_removed"];
    let calls = receiver.wait_for(WAIT, |c| wanted.iter().all(|t| c.iter().any(|c| c.header("x-confab-trigger") == *t))).await;
    drop(device);
    for call in &calls {
        assert!(signed_by(call, &secret), "{}", call.header("x-confab-trigger"));
        let payload = call.json();
        assert_eq!(payload["webhook"], "audit");
        assert_eq!(payload["appId"], app.cred("appId"));
        assert_eq!(payload["trigger"], call.header("x-confab-trigger"));
    }
    let by = |t: &str| calls.iter().find(|c| c.header("x-confab-trigger") == t).unwrap().json()["data"].clone();
    assert_eq!(by("message_sent")["message"]["data"]["text"], "first");
    assert_eq!(by("message_sent")["message"]["data"]["entities"]["sender"]["entity"]["uid"], "bob");
    assert_eq!(by("message_edited")["action"]["data"]["action"], "edited");
    assert_eq!(by("message_edited")["message"]["id"], sent["id"]);
    assert_eq!(by("message_deleted")["action"]["data"]["action"], "deleted");
    let reacted = by("message_reaction_added");
    assert_eq!((reacted["reaction"]["reaction"].as_str(), reacted["reaction"]["uid"].as_str()), (Some("👍"), Some("ann")), "{reacted}");
    assert_eq!(reacted["reaction"]["messageId"], sent["id"]);
    assert_eq!(reacted["message"]["id"], sent["id"]);
    assert_eq!(by("message_reaction_removed")["action"]["data"]["action"], "reactionRemoved");
    assert_eq!(by("group_member_joined")["action"]["data"]["entities"]["on"]["uid"], "bob");
    assert_eq!(by("group_member_left")["action"]["receiver"], "lobby");
    let receipt = by("message_read_receipt");
    assert_eq!((receipt["receipt"]["uid"].as_str(), receipt["receipt"]["messageId"].as_str()), (Some("ann"), Some(id)), "{receipt}");
    assert_eq!(receipt["receipt"]["conversationId"], "ann_user_bob");
    let presence = by("user_connection_status_changed");
    assert_eq!((presence["user"]["uid"].as_str(), presence["user"]["status"].as_str()), (Some("ann"), Some("online")), "{presence}");

    // Triggers can be removed; a disabled webhook gets nothing.
    let changed = app.ok("DELETE", "/webhooks/audit/triggers", Creds::Admin, Some(json!({"triggers": ["message_sent"]}))).await["data"].clone();
    assert!(!changed["triggers"].as_array().unwrap().contains(&json!("message_sent")), "{changed}");
    let listed = app.ok("GET", "/webhooks/audit/triggers", Creds::Admin, None).await["data"].clone();
    assert_eq!(listed.as_array().unwrap().len(), triggers.len() - 1);
    // Calls queued before the webhook is disabled (the offline presence of the dropped device) are made
    // first; then nothing more may arrive.
    receiver.wait_for(WAIT, |c| c.iter().any(|c| c.json()["data"]["user"]["status"] == "offline")).await;
    let deadline = Instant::now() + WAIT;
    while app.ok("GET", "/deliveries?state=pending", Creds::Admin, None).await["meta"]["pagination"]["total"] != 0 {
        assert!(Instant::now() < deadline, "deliveries still pending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.ok("PUT", "/webhooks/audit", Creds::Admin, Some(json!({"enabled": false}))).await;
    let before = receiver.calls().len();
    app.ok("POST", "/groups/lobby/join", Creds::As("bob"), Some(json!({}))).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.calls().len(), before);
}

#[tokio::test]
async fn bots_and_webhooks_refuse_bad_input() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    // Without --callback-allow, loopback and private addresses are refused.
    for url in ["http://127.0.0.1:9/x", "http://10.0.0.5/hook", "http://localhost/hook", "ftp://example.com/", "not a url"] {
        let body = json!({"uid": "ann", "webhookURL": url});
        let error = app.refused("POST", "/bots", Creds::Admin, Some(body), 400, "ERR_CALLBACK_URL_REFUSED").await;
        assert_eq!(error["details"]["field"], "webhookURL", "{url}: {error}");
        let body = json!({"id": "h", "url": url});
        let error = app.refused("POST", "/webhooks", Creds::Admin, Some(body), 400, "ERR_CALLBACK_URL_REFUSED").await;
        assert_eq!(error["details"]["field"], "url");
    }
    let good = "https://bots.example.com/confab";
    app.refused("POST", "/bots", Creds::Admin, Some(json!({"uid": "nobody", "webhookURL": good})), 404, "ERR_UID_NOT_FOUND").await;
    let error = app.refused("POST", "/bots", Creds::Admin, Some(json!({"uid": "ann", "webhookURL": good, "groupChatSetting": "sometimes"})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "groupChatSetting", "{error}");
    let error = app.refused("POST", "/bots", Creds::Admin, Some(json!({"uid": "ann", "webhookURL": good, "useBasicAuth": true, "username": "u"})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "password", "{error}");
    let made = app.ok("POST", "/bots", Creds::Admin, Some(json!({"uid": "ann", "webhookURL": good, "useBasicAuth": true, "username": "u", "password": "p"}))).await["data"].clone();
    assert_eq!((made["useBasicAuth"].as_bool(), made["username"].as_str()), (Some(true), Some("u")));
    assert!(made.get("password").is_none(), "the password is never shown: {made}");
    app.refused("POST", "/bots", Creds::Admin, Some(json!({"uid": "ann", "webhookURL": good})), 409, "ERR_BOT_ALREADY_EXISTS").await;
    app.refused("GET", "/bots/nobody", Creds::Admin, None, 404, "ERR_BOT_NOT_FOUND").await;
    app.refused("POST", "/bots/nobody/messages", Creds::Admin, Some(text_to("ann", "user", "hi")), 404, "ERR_BOT_NOT_FOUND").await;
    // Only the REST API key manages bots and webhooks; another app's key sees none of them.
    app.refused("GET", "/bots", Creds::AuthKey, None, 403, "AUTH_ERR_NO_ACCESS").await;
    let token = app.user_with_token("zoe").await;
    app.refused("GET", "/deliveries", Creds::Token(&token), None, 403, "AUTH_ERR_NO_ACCESS").await;
    let listed = app.ok("GET", "/bots", Creds::Admin, None).await;
    assert_eq!(listed["meta"]["pagination"]["total"], 1);
    let updated = app.ok("PUT", "/bots/ann", Creds::Admin, Some(json!({"enabled": false, "useBasicAuth": false}))).await["data"].clone();
    assert_eq!((updated["enabled"].as_bool(), updated["useBasicAuth"].as_bool()), (Some(false), Some(false)));
    app.ok("DELETE", "/bots/ann", Creds::Admin, None).await;
    app.refused("DELETE", "/bots/ann", Creds::Admin, None, 404, "ERR_BOT_NOT_FOUND").await;

    let error = app.refused("POST", "/webhooks", Creds::Admin, Some(json!({"id": "h", "url": good, "triggers": ["message_exploded"]})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "triggers[0]", "{error}");
    app.refused("POST", "/webhooks", Creds::Admin, Some(json!({"id": "bad id!", "url": good})), 400, "ERR_BAD_REQUEST").await;
    for i in 0..25 {
        app.ok("POST", "/webhooks", Creds::Admin, Some(json!({"id": format!("h{i}"), "url": good, "triggers": ["message_sent"]}))).await;
    }
    app.refused("POST", "/webhooks", Creds::Admin, Some(json!({"id": "h0", "url": good})), 409, "ERR_WEBHOOK_ALREADY_EXISTS").await;
    let error = app.refused("POST", "/webhooks", Creds::Admin, Some(json!({"id": "h25", "url": good})), 409, "ERR_WEBHOOK_LIMIT_REACHED").await;
    assert_eq!(error["details"]["limit"], 25);
    assert_eq!(app.ok("GET", "/webhooks", Creds::Admin, None).await["data"].as_array().unwrap().len(), 25);
    app.refused("GET", "/webhooks/none", Creds::Admin, None, 404, "ERR_WEBHOOK_NOT_FOUND").await;
    app.ok("DELETE", "/webhooks/h3", Creds::Admin, None).await;
    app.refused("GET", "/webhooks/h3", Creds::Admin, None, 404, "ERR_WEBHOOK_NOT_FOUND").await;
    let other = app.other_app();
    let (status, body) = reqwest::Client::new()
        .get(app.server.url("/v3/webhooks"))
        .header("appid", other["appId"].as_str().unwrap())
        .header("apikey", other["apiKey"].as_str().unwrap())
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(status, 200);
    let body: Value = body.json().await.unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 0, "another app sees none: {body}");
}

#[tokio::test]
async fn the_demo_faq_bot_answers_and_keeps_answering_after_a_restart() {
    // No --callback-allow: the demo bot lives at the server's own address, which is always allowed.
    let mut app = TestApp::start_demo(&[]);
    let ann = app.user_with_token("ann").await;
    let bot = app.ok("GET", "/bots/faq-bot", Creds::Admin, None).await["data"].clone();
    assert_eq!(bot["webhookURL"], app.server.url("/demo/faq-bot"), "{bot}");
    let (mut device, _) = Device::connect(&app, &ann, None).await;
    let asked = send(&app, "ann", "faq-bot", "user", "How much does it cost?").await;
    let reply = loop {
        let frame = device.next_of("message").await;
        if frame["message"]["sender"] == "faq-bot" {
            break frame["message"].clone();
        }
    };
    assert!(reply["data"]["text"].as_str().unwrap().contains("free"), "{reply}");
    assert_eq!(reply["muid"], format!("faq-answer-{}", asked["id"].as_str().unwrap()));
    // A forged call is refused.
    let forged = reqwest::Client::new()
        .post(app.server.url("/demo/faq-bot"))
        .header("x-confab-signature", "t=1,v1=00")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);

    app.restart(&["--demo"]);
    let bot = app.ok("GET", "/bots/faq-bot", Creds::Admin, None).await["data"].clone();
    assert_eq!(bot["webhookURL"], app.server.url("/demo/faq-bot"), "the callback follows the new address: {bot}");
    let (mut device, _) = Device::connect(&app, &ann, None).await;
    send(&app, "ann", "faq-bot", "user", "hello").await;
    let reply = loop {
        let frame = device.next_of("message").await;
        if frame["message"]["sender"] == "faq-bot" {
            break frame["message"].clone();
        }
    };
    assert!(reply["data"]["text"].as_str().unwrap().starts_with("Hello"), "{reply}");
}
