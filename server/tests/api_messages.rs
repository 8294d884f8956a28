//! REST API v3 messages against a real server: sending (users and groups, `muid` retries, validation,
//! blocks, media and custom messages, size limits), listing with cursors, reach, editing and deleting,
//! conversations with unread counts and read marks, revoked session tokens, and friends.

mod common;

use common::{Creds, TestApp};
use serde_json::{json, Value};

/// Creates each of `uids`.
async fn users(app: &TestApp, uids: &[&str]) {
    for uid in uids {
        app.user(uid).await;
    }
}

/// The body of a text message to user `to`.
fn text_to(to: &str, text: &str) -> Value {
    json!({"receiver": to, "receiverType": "user", "type": "text", "data": {"text": text}})
}

/// Sends `text` from `from` to user `to` with the REST API key on their behalf; returns the message.
async fn send(app: &TestApp, from: &str, to: &str, text: &str) -> Value {
    app.ok("POST", "/messages", Creds::As(from), Some(text_to(to, text))).await["data"].clone()
}

/// The `data` array of a list answer.
fn items(list: &Value) -> &Vec<Value> {
    list["data"].as_array().unwrap()
}

/// The texts of a message list, in order.
fn texts(list: &Value) -> Vec<String> {
    items(list).iter().map(|m| m["data"]["text"].as_str().unwrap_or("").to_owned()).collect()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn send_a_text_message_on_behalf_of_a_user() {
    let app = TestApp::start(&[]);
    users(&app, &["bob", "alice"]).await;
    let message = send(&app, "bob", "alice", "Hi Alice").await;
    assert!(!message["id"].as_str().unwrap().is_empty(), "{message}");
    assert_eq!(message["conversationId"], "alice_user_bob", "uids in sorted order");
    assert_eq!(message["sender"], "bob");
    assert_eq!(message["receiver"], "alice");
    assert_eq!(message["receiverType"], "user");
    assert_eq!(message["category"], "message");
    assert_eq!(message["type"], "text");
    assert_eq!(message["data"]["text"], "Hi Alice");
    assert!(message["sentAt"].as_i64().unwrap() > 0);
    // The reply lands in the same conversation, and both sides can read the message.
    let reply = send(&app, "alice", "bob", "Hi Bob").await;
    assert_eq!(reply["conversationId"], "alice_user_bob");
    let id = message["id"].as_str().unwrap();
    let got = app.ok("GET", &format!("/messages/{id}"), Creds::As("alice"), None).await["data"].clone();
    assert_eq!(got, message);
}

#[tokio::test]
async fn send_a_text_message_with_a_session_token() {
    let app = TestApp::start(&[]);
    let token = app.user_with_token("zed").await;
    users(&app, &["amy"]).await;
    let message = app.ok("POST", "/messages", Creds::Token(&token), Some(text_to("amy", "Hello"))).await["data"].clone();
    assert!(!message["id"].as_str().unwrap().is_empty());
    assert_eq!(message["conversationId"], "amy_user_zed");
    assert_eq!(message["sender"], "zed");
    assert_eq!(message["receiver"], "amy");
    assert!(message["sentAt"].as_i64().unwrap() > 0);
    // A session cannot speak for someone else.
    let (status, json) = app
        .call("POST", "/messages", Creds::Token(&token), Some(text_to("zed", "spoof")))
        .await;
    assert_eq!(status, 400, "{json}");
}

#[tokio::test]
async fn same_muid_twice_stores_one_message() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b"]).await;
    let mut body = text_to("b", "once");
    body["muid"] = json!("client-1");
    let first = app.ok("POST", "/messages", Creds::As("a"), Some(body.clone())).await["data"].clone();
    assert_eq!(first["muid"], "client-1");
    body["data"]["text"] = json!("retry");
    let second = app.ok("POST", "/messages", Creds::As("a"), Some(body)).await["data"].clone();
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["data"]["text"], "once", "the first message is answered");
    let list = app.ok("GET", "/users/b/messages", Creds::As("a"), None).await;
    assert_eq!(items(&list).len(), 1, "{list}");
    assert_eq!(texts(&list), ["once"]);
    // Retries racing each other still store one message.
    let mut body = text_to("b", "raced");
    body["muid"] = json!("client-2");
    let (one, two, three) = tokio::join!(
        app.call("POST", "/messages", Creds::As("a"), Some(body.clone())),
        app.call("POST", "/messages", Creds::As("a"), Some(body.clone())),
        app.call("POST", "/messages", Creds::As("a"), Some(body)),
    );
    for (status, json) in [&one, &two, &three] {
        assert_eq!(*status, 200, "{json}");
    }
    assert_eq!(one.1["data"]["id"], two.1["data"]["id"]);
    assert_eq!(one.1["data"]["id"], three.1["data"]["id"]);
    let list = app.ok("GET", "/users/b/messages", Creds::As("a"), None).await;
    assert_eq!(texts(&list), ["once", "raced"]);
    // Another sender may use the same muid.
    let mut other = text_to("a", "from b");
    other["muid"] = json!("client-1");
    let theirs = app.ok("POST", "/messages", Creds::As("b"), Some(other)).await["data"].clone();
    assert_ne!(theirs["id"], first["id"]);
}

#[tokio::test]
async fn rest_key_without_on_behalf_of_cannot_send() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b"]).await;
    app.refused("POST", "/messages", Creds::Admin, Some(text_to("b", "hi")), 400, "ERR_ON_BEHALF_OF_REQUIRED").await;
    let list = app.ok("GET", "/messages", Creds::Admin, None).await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn receiver_is_checked() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b"]).await;
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(text_to("bad uid", "hi")), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "receiver");
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(text_to("ghost", "hi")), 404, "ERR_UID_NOT_FOUND").await;
    assert_eq!(error["details"]["field"], "receiver");
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(text_to("a", "me")), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "receiver");
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(text_to("A", "me")), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "receiver", "uids compare case-insensitively");
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(text_to("b", "  ")), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "data.text");
    let list = app.ok("GET", "/messages", Creds::Admin, None).await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn only_members_post_to_a_group() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob"]).await;
    app.ok("POST", "/groups", Creds::Admin, Some(json!({"guid": "lobby", "name": "Lobby", "type": "public", "owner": "alice"}))).await;
    let body = json!({"receiver": "lobby", "receiverType": "group", "type": "text", "data": {"text": "hello"}});
    app.refused("POST", "/messages", Creds::As("bob"), Some(body.clone()), 403, "ERR_GROUP_NOT_JOINED").await;
    app.ok("POST", "/groups/lobby/join", Creds::As("bob"), None).await;
    let message = app.ok("POST", "/messages", Creds::As("bob"), Some(body.clone())).await["data"].clone();
    assert_eq!(message["conversationId"], "group_lobby");
    assert_eq!(message["receiver"], "lobby");
    assert_eq!(message["receiverType"], "group");
    assert_eq!(message["sender"], "bob");
    let owner = app.ok("POST", "/messages", Creds::As("alice"), Some(body)).await["data"].clone();
    assert_eq!(owner["sender"], "alice");
    let list = app.ok("GET", "/groups/lobby/messages?category=message", Creds::As("alice"), None).await;
    assert_eq!(texts(&list), ["hello", "hello"]);
    let nowhere = json!({"receiver": "nowhere", "receiverType": "group", "type": "text", "data": {"text": "x"}});
    app.refused("POST", "/messages", Creds::As("bob"), Some(nowhere), 404, "ERR_GUID_NOT_FOUND").await;
}

#[tokio::test]
async fn blocks_stop_messages_both_ways_until_unblocked() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b"]).await;
    send(&app, "a", "b", "before").await;
    let results = app
        .ok("POST", "/users/b/blockedusers", Creds::As("b"), Some(json!({"blockedUids": ["a"]})))
        .await["data"]
        .clone();
    assert_eq!(results["a"]["status"], "success");
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(text_to("b", "hey")), 403, "ERR_BLOCKED_RECEIVER").await;
    assert_eq!(error["details"]["field"], "receiver");
    app.refused("POST", "/messages", Creds::As("b"), Some(text_to("a", "hey")), 403, "ERR_BLOCKED_RECEIVER").await;
    let blocked = app.ok("GET", "/users/b/blockedusers", Creds::As("b"), None).await;
    assert_eq!(items(&blocked).iter().map(|u| u["uid"].clone()).collect::<Vec<_>>(), [json!("a")]);
    // Nobody else manages b's blocks.
    app.refused("GET", "/users/b/blockedusers", Creds::As("a"), None, 403, "AUTH_ERR_NO_ACCESS").await;
    app.refused("DELETE", "/users/b/blockedusers", Creds::As("a"), Some(json!({"blockedUids": ["a"]})), 403, "AUTH_ERR_NO_ACCESS")
        .await;

    let results = app
        .ok("DELETE", "/users/b/blockedusers", Creds::As("b"), Some(json!({"blockedUids": ["a"]})))
        .await["data"]
        .clone();
    assert_eq!(results["a"]["status"], "success");
    assert_eq!(app.ok("GET", "/users/b/blockedusers", Creds::As("b"), None).await["data"], json!([]));
    send(&app, "a", "b", "after").await;
    send(&app, "b", "a", "welcome back").await;
    let list = app.ok("GET", "/users/a/messages", Creds::As("b"), None).await;
    assert_eq!(texts(&list), ["before", "after", "welcome back"]);
}

#[tokio::test]
async fn media_messages_need_http_attachments() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b"]).await;
    let image = |data: Value| json!({"receiver": "b", "receiverType": "user", "type": "image", "data": data});
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(image(json!({"text": "caption"}))), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "data.attachments");
    let error = app
        .refused("POST", "/messages", Creds::As("a"), Some(image(json!({"attachments": []}))), 400, "ERR_BAD_REQUEST")
        .await;
    assert_eq!(error["details"]["field"], "data.attachments");
    for url in ["ftp://files.example.com/cat.png", "javascript:alert(1)", "cat.png"] {
        let body = image(json!({"attachments": [{"url": url}]}));
        let error = app.refused("POST", "/messages", Creds::As("a"), Some(body), 400, "ERR_BAD_REQUEST").await;
        assert_eq!(error["details"]["field"], "data.attachments[0].url", "{url}");
    }
    let attachment = json!({"url": "https://files.example.com/cat.png", "name": "cat.png", "mimeType": "image/png", "size": 2048, "extension": "png"});
    let body = image(json!({"text": "my cat", "attachments": [attachment.clone()]}));
    let message = app.ok("POST", "/messages", Creds::As("a"), Some(body)).await["data"].clone();
    assert_eq!(message["type"], "image");
    assert_eq!(message["category"], "message");
    assert_eq!(message["data"]["attachments"], json!([attachment]));
    let unknown = json!({"receiver": "b", "receiverType": "user", "type": "sticker", "data": {"text": "x"}});
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(unknown), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "type");
}

#[tokio::test]
async fn custom_messages_carry_custom_data_and_action_is_refused() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b"]).await;
    let body = json!({
        "receiver": "b", "receiverType": "user", "category": "custom", "type": "location",
        "data": {"customData": {"lat": 52.37, "lng": 4.89}, "metadata": {"pin": true}}
    });
    let message = app.ok("POST", "/messages", Creds::As("a"), Some(body)).await["data"].clone();
    assert_eq!(message["category"], "custom");
    assert_eq!(message["type"], "location");
    assert_eq!(message["data"]["customData"], json!({"lat": 52.37, "lng": 4.89}));
    assert_eq!(message["data"]["metadata"], json!({"pin": true}));

    let body = json!({"receiver": "b", "receiverType": "user", "category": "custom", "type": "location", "data": {"customData": [1, 2]}});
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(body), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "data.customData");
    let body = json!({"receiver": "b", "receiverType": "user", "type": "text", "data": {"text": "x", "customData": {"a": 1}}});
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(body), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "data.customData");

    let body = json!({"receiver": "b", "receiverType": "user", "category": "action", "type": "groupMember", "data": {"text": "x"}});
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(body), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "category");
    let body = json!({"receiver": "b", "receiverType": "user", "type": "text", "data": {"text": "x", "action": "kicked"}});
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(body), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "data.action");
    let list = app.ok("GET", "/users/b/messages", Creds::As("a"), None).await;
    assert_eq!(items(&list).len(), 1);
}

#[tokio::test]
async fn oversized_text_and_metadata_are_refused() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b"]).await;
    let long = "x".repeat(70 * 1024);
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(text_to("b", &long)), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["limit"], 65 * 1024);
    assert_eq!(error["details"]["field"], "data");
    // Just under the limit is fine.
    let fits = "y".repeat(60 * 1024);
    let message = send(&app, "a", "b", &fits).await;
    assert_eq!(message["data"]["text"].as_str().unwrap().len(), fits.len());

    let mut body = text_to("b", "with metadata");
    body["data"]["metadata"] = json!({"blob": "z".repeat(6 * 1024)});
    let error = app.refused("POST", "/messages", Creds::As("a"), Some(body), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "data.metadata");
    assert_eq!(error["details"]["limit"], 5 * 1024);
    let mut body = text_to("b", "with metadata");
    body["data"]["metadata"] = json!({"blob": "z".repeat(4 * 1024)});
    app.ok("POST", "/messages", Creds::As("a"), Some(body)).await;
}

#[tokio::test]
async fn list_pages_through_a_conversation_with_cursors() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b", "c"]).await;
    let mut ids = Vec::new();
    for i in 1..=25 {
        let message = send(&app, "a", "b", &format!("m{i}")).await;
        ids.push(message["id"].as_str().unwrap().to_owned());
    }
    send(&app, "a", "c", "elsewhere").await;
    let numbers: Vec<i64> = ids.iter().map(|id| id.parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "ids increase in send order: {ids:?}");
    let range = |from: usize, to: usize| (from..=to).map(|i| format!("m{i}")).collect::<Vec<_>>();

    // Newest ten, oldest first, with the cursor for the previous page.
    let page = app.ok("GET", "/users/b/messages?limit=10", Creds::As("a"), None).await;
    assert_eq!(texts(&page), range(16, 25));
    assert_eq!(page["meta"]["current"]["count"], 10);
    assert_eq!(page["meta"]["next"]["id"], ids[15].as_str());
    assert_eq!(page["meta"]["next"]["affix"], "prepend");
    let page_ids: Vec<i64> = items(&page).iter().map(|m| m["id"].as_str().unwrap().parse().unwrap()).collect();
    assert!(page_ids.windows(2).all(|w| w[0] < w[1]));

    let next = page["meta"]["next"]["id"].as_str().unwrap().to_owned();
    let page = app.ok("GET", &format!("/users/b/messages?limit=10&id={next}"), Creds::As("a"), None).await;
    assert_eq!(texts(&page), range(6, 15));
    assert_eq!(page["meta"]["next"]["id"], ids[5].as_str());
    let next = page["meta"]["next"]["id"].as_str().unwrap().to_owned();
    let page = app.ok("GET", &format!("/users/b/messages?limit=10&id={next}"), Creds::As("a"), None).await;
    assert_eq!(texts(&page), range(1, 5));
    assert_eq!(page["meta"]["current"]["count"], 5);
    assert!(page["meta"].get("next").is_none(), "no page before the first: {}", page["meta"]);

    // `append` pages forward from the start.
    let page = app.ok("GET", "/users/b/messages?limit=10&affix=append", Creds::As("a"), None).await;
    assert_eq!(texts(&page), range(1, 10));
    assert_eq!(page["meta"]["next"]["affix"], "append");
    assert_eq!(page["meta"]["next"]["id"], ids[9].as_str());
    let next = page["meta"]["next"]["id"].as_str().unwrap().to_owned();
    let page = app.ok("GET", &format!("/users/b/messages?limit=10&affix=append&id={next}"), Creds::As("a"), None).await;
    assert_eq!(texts(&page), range(11, 20));

    // The other side sees the same conversation.
    let page = app.ok("GET", "/users/a/messages?limit=3", Creds::As("b"), None).await;
    assert_eq!(texts(&page), range(23, 25));
    let error = app.refused("GET", "/users/b/messages?limit=0", Creds::As("a"), None, 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "limit");
    let error = app.refused("GET", "/users/b/messages?affix=sideways", Creds::As("a"), None, 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "affix");
}

#[tokio::test]
async fn a_user_cannot_get_another_conversations_message() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b", "c"]).await;
    let message = send(&app, "a", "b", "private").await;
    let path = format!("/messages/{}", message["id"].as_str().unwrap());
    app.refused("GET", &path, Creds::As("c"), None, 404, "ERR_MESSAGE_NOT_FOUND").await;
    assert_eq!(app.ok("GET", &path, Creds::As("b"), None).await["data"]["data"]["text"], "private");
    assert_eq!(app.ok("GET", &path, Creds::As("a"), None).await["data"]["id"], message["id"]);
    assert_eq!(app.ok("GET", &path, Creds::Admin, None).await["data"]["id"], message["id"]);
    app.refused("GET", "/messages/999999", Creds::As("a"), None, 404, "ERR_MESSAGE_NOT_FOUND").await;
    // c cannot change it either, nor list it.
    app.refused("PUT", &path, Creds::As("c"), Some(json!({"data": {"text": "mine"}})), 404, "ERR_MESSAGE_NOT_FOUND").await;
    app.refused("DELETE", &path, Creds::As("c"), None, 404, "ERR_MESSAGE_NOT_FOUND").await;
    let list = app.ok("GET", "/messages", Creds::As("c"), None).await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn the_sender_edits_a_message_and_the_edit_is_recorded() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b"]).await;
    let message = send(&app, "a", "b", "helo").await;
    let id = message["id"].as_str().unwrap();
    let path = format!("/messages/{id}");
    let edited = app.ok("PUT", &path, Creds::As("a"), Some(json!({"data": {"text": "hello"}}))).await["data"].clone();
    assert_eq!(edited["id"], id);
    assert_eq!(edited["data"]["text"], "hello");
    assert!(edited["editedAt"].as_i64().unwrap() > 0, "{edited}");
    assert_eq!(edited["editedBy"], "a");
    assert!(edited.get("deletedAt").is_none());
    assert_eq!(app.ok("GET", &path, Creds::As("b"), None).await["data"]["data"]["text"], "hello");

    let list = app.ok("GET", "/users/b/messages?category=action", Creds::As("a"), None).await;
    let actions = items(&list);
    assert_eq!(actions.len(), 1, "{list}");
    assert_eq!(actions[0]["category"], "action");
    assert_eq!(actions[0]["data"]["action"], "edited");
    assert_eq!(actions[0]["data"]["entities"]["on"]["id"], id);
    assert_eq!(actions[0]["data"]["entities"]["by"]["uid"], "a");
    assert_eq!(actions[0]["conversationId"], "a_user_b");
    // Action messages themselves cannot be edited.
    let action_path = format!("/messages/{}", actions[0]["id"].as_str().unwrap());
    app.refused("PUT", &action_path, Creds::Admin, Some(json!({"data": {"text": "x"}})), 404, "ERR_MESSAGE_NOT_FOUND").await;
    // The edit must still be valid content.
    let error = app.refused("PUT", &path, Creds::As("a"), Some(json!({"data": {"text": ""}})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "data.text");
}

#[tokio::test]
async fn the_receiver_cannot_edit_a_message() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b"]).await;
    let message = send(&app, "a", "b", "original").await;
    let path = format!("/messages/{}", message["id"].as_str().unwrap());
    app.refused("PUT", &path, Creds::As("b"), Some(json!({"data": {"text": "forged"}})), 403, "ERR_MESSAGE_NO_CLEARANCE").await;
    let got = app.ok("GET", &path, Creds::As("a"), None).await["data"].clone();
    assert_eq!(got["data"]["text"], "original");
    assert!(got.get("editedAt").is_none());
}

#[tokio::test]
async fn the_sender_deletes_a_message() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b"]).await;
    let message = send(&app, "a", "b", "oops").await;
    let id = message["id"].as_str().unwrap();
    let path = format!("/messages/{id}");
    app.refused("DELETE", &path, Creds::As("b"), None, 403, "ERR_MESSAGE_NO_CLEARANCE").await;
    let deleted = app.ok("DELETE", &path, Creds::As("a"), None).await["data"].clone();
    assert!(deleted["deletedAt"].as_i64().unwrap() > 0, "{deleted}");
    assert_eq!(deleted["deletedBy"], "a");
    assert_eq!(deleted["data"], json!({}), "the content is cleared");
    let got = app.ok("GET", &path, Creds::As("b"), None).await["data"].clone();
    assert_eq!(got["data"], json!({}));
    assert!(!got.to_string().contains("oops"));
    app.refused("DELETE", &path, Creds::As("a"), None, 404, "ERR_MESSAGE_NOT_FOUND").await;
    app.refused("PUT", &path, Creds::As("a"), Some(json!({"data": {"text": "back"}})), 404, "ERR_MESSAGE_NOT_FOUND").await;

    let list = app.ok("GET", "/users/b/messages", Creds::As("a"), None).await;
    let kinds: Vec<(Value, Value)> = items(&list).iter().map(|m| (m["category"].clone(), m["data"]["action"].clone())).collect();
    assert_eq!(kinds, [(json!("message"), Value::Null), (json!("action"), json!("deleted"))]);
    let list = app.ok("GET", "/users/b/messages?hideDeleted=true&category=message", Creds::As("a"), None).await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn a_group_moderator_deletes_a_participants_message() {
    let app = TestApp::start(&[]);
    users(&app, &["owner", "mod", "pat", "pat2"]).await;
    let body = json!({"guid": "club", "name": "Club", "type": "public", "owner": "owner",
        "members": {"moderators": ["mod"], "participants": ["pat", "pat2"]}});
    app.ok("POST", "/groups", Creds::Admin, Some(body)).await;
    let post = json!({"receiver": "club", "receiverType": "group", "type": "text", "data": {"text": "spam"}});
    let message = app.ok("POST", "/messages", Creds::As("pat"), Some(post)).await["data"].clone();
    let path = format!("/messages/{}", message["id"].as_str().unwrap());
    app.refused("DELETE", &path, Creds::As("pat2"), None, 403, "ERR_MESSAGE_NO_CLEARANCE").await;
    app.refused("PUT", &path, Creds::As("mod"), Some(json!({"data": {"text": "edited"}})), 403, "ERR_MESSAGE_NO_CLEARANCE").await;
    let deleted = app.ok("DELETE", &path, Creds::As("mod"), None).await["data"].clone();
    assert_eq!(deleted["deletedBy"], "mod");
    assert_eq!(deleted["data"], json!({}));
    let got = app.ok("GET", &path, Creds::As("pat2"), None).await["data"].clone();
    assert!(got["deletedAt"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn conversations_count_unread_messages_until_read() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b"]).await;
    for text in ["one", "two", "three"] {
        send(&app, "a", "b", text).await;
    }
    let list = app.ok("GET", "/conversations", Creds::As("b"), None).await;
    assert_eq!(items(&list).len(), 1, "{list}");
    let conversation = &items(&list)[0];
    assert_eq!(conversation["conversationId"], "a_user_b");
    assert_eq!(conversation["conversationType"], "user");
    assert_eq!(conversation["unreadMessageCount"], 3);
    assert_eq!(conversation["lastMessage"]["data"]["text"], "three");
    assert_eq!(conversation["conversationWith"]["uid"], "a");
    assert!(conversation["updatedAt"].as_i64().unwrap() > 0);
    // The sender has nothing unread.
    let theirs = app.ok("GET", "/conversations", Creds::As("a"), None).await;
    assert_eq!(items(&theirs)[0]["unreadMessageCount"], 0);
    assert_eq!(items(&theirs)[0]["conversationWith"]["uid"], "b");

    let marked = app.ok("POST", "/users/a/conversation/read", Creds::As("b"), None).await;
    assert_eq!(marked["data"]["success"], true);
    let list = app.ok("GET", "/conversations", Creds::As("b"), None).await;
    assert_eq!(items(&list)[0]["unreadMessageCount"], 0);
    let one = app.ok("GET", "/users/a/conversation", Creds::As("b"), None).await;
    assert_eq!(one["data"]["unreadMessageCount"], 0);
    send(&app, "a", "b", "four").await;
    let one = app.ok("GET", "/conversations/a_user_b", Creds::As("b"), None).await;
    assert_eq!(one["data"]["unreadMessageCount"], 1);
    assert_eq!(one["data"]["lastMessage"]["data"]["text"], "four");
}

#[tokio::test]
async fn marking_read_with_another_conversations_message_is_refused() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b", "c"]).await;
    let ours = send(&app, "a", "b", "for b").await;
    let theirs = send(&app, "c", "a", "for a").await;
    let body = json!({"messageId": theirs["id"]});
    let (status, json) = app.call("POST", "/users/a/conversation/read", Creds::As("b"), Some(body)).await;
    assert_eq!((status, json["error"]["code"].as_str()), (404, Some("ERR_MESSAGE_NOT_FOUND")), "{json}");
    assert_eq!(json["error"]["details"]["field"], "messageId");
    let list = app.ok("GET", "/conversations", Creds::As("b"), None).await;
    assert_eq!(items(&list)[0]["unreadMessageCount"], 1, "the mark did not move");
    // Its own message is fine.
    app.ok("POST", "/users/a/conversation/read", Creds::As("b"), Some(json!({"messageId": ours["id"]}))).await;
    let list = app.ok("GET", "/conversations", Creds::As("b"), None).await;
    assert_eq!(items(&list)[0]["unreadMessageCount"], 0);
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once() {
    let app = TestApp::start(&[]);
    let token = app.user_with_token("a").await;
    users(&app, &["b"]).await;
    app.ok("GET", "/conversations", Creds::Token(&token), None).await;
    app.ok("POST", "/messages", Creds::Token(&token), Some(text_to("b", "still here"))).await;
    let revoked = app.ok("DELETE", &format!("/users/a/auth_tokens/{token}"), Creds::Admin, None).await;
    assert_eq!(revoked["data"]["success"], true);
    let error = app
        .refused("POST", "/messages", Creds::Token(&token), Some(text_to("b", "gone")), 401, "AUTH_ERR_AUTH_TOKEN_NOT_FOUND")
        .await;
    assert_eq!(error["details"]["field"], "authtoken");
    app.refused("GET", "/conversations", Creds::Token(&token), None, 401, "AUTH_ERR_AUTH_TOKEN_NOT_FOUND").await;
    app.refused("DELETE", &format!("/users/a/auth_tokens/{token}"), Creds::Admin, None, 404, "ERR_AUTH_TOKEN_NOT_FOUND").await;
    let list = app.ok("GET", "/users/b/messages", Creds::As("a"), None).await;
    assert_eq!(texts(&list), ["still here"]);
}

#[tokio::test]
async fn friends_are_added_listed_and_removed() {
    let app = TestApp::start(&[]);
    let token = app.user_with_token("a").await;
    users(&app, &["b", "c"]).await;
    let results = app
        .ok("POST", "/users/a/friends", Creds::Admin, Some(json!({"accepted": ["b", "c", "ghost"]})))
        .await["data"]
        .clone();
    assert_eq!(results["b"]["status"], "success");
    assert_eq!(results["c"]["status"], "success");
    assert_eq!(results["ghost"]["status"], "error");
    assert_eq!(results["ghost"]["error"]["code"], "ERR_UID_NOT_FOUND");

    let uids = |list: &Value| items(list).iter().map(|u| u["uid"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    let mine = app.ok("GET", "/users/a/friends", Creds::Token(&token), None).await;
    assert_eq!(uids(&mine), strings(&["b", "c"]));
    assert_eq!(mine["meta"]["pagination"]["total"], 2);
    assert_eq!(uids(&app.ok("GET", "/users/b/friends", Creds::As("b"), None).await), strings(&["a"]), "friends both ways");
    app.refused("GET", "/users/b/friends", Creds::Token(&token), None, 403, "AUTH_ERR_NO_ACCESS").await;
    // Friendships are made by the app, not by a session.
    app.refused("POST", "/users/a/friends", Creds::Token(&token), Some(json!({"accepted": ["b"]})), 403, "AUTH_ERR_NO_ACCESS").await;

    let results = app
        .ok("DELETE", "/users/a/friends", Creds::Admin, Some(json!({"friends": ["b"]})))
        .await["data"]
        .clone();
    assert_eq!(results["b"]["status"], "success");
    assert_eq!(uids(&app.ok("GET", "/users/a/friends", Creds::Admin, None).await), strings(&["c"]));
    assert_eq!(app.ok("GET", "/users/b/friends", Creds::Admin, None).await["data"], json!([]));
    let error = app
        .refused("POST", "/users/a/friends", Creds::Admin, Some(json!({"accepted": []})), 400, "ERR_BAD_REQUEST")
        .await;
    assert_eq!(error["details"]["field"], "accepted");
}

#[tokio::test]
async fn edits_and_deletes_do_not_count_as_unread() {
    let app = TestApp::start(&[]);
    users(&app, &["a", "b"]).await;
    let first = send(&app, "a", "b", "hello").await;
    let id = first["id"].as_str().unwrap();
    app.ok("PUT", &format!("/messages/{id}"), Creds::As("a"), Some(json!({"data": {"text": "hello!"}}))).await;
    let list = app.ok("GET", "/conversations", Creds::As("b"), None).await;
    assert_eq!(items(&list)[0]["unreadMessageCount"], 1, "the edit is recorded but is not a new unread message");
    app.ok("DELETE", &format!("/messages/{id}"), Creds::As("a"), None).await;
    let list = app.ok("GET", "/conversations", Creds::As("b"), None).await;
    assert_eq!(items(&list)[0]["unreadMessageCount"], 0, "a deleted message is no longer unread");
}
