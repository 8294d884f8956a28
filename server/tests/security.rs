//! The security review's attacks on sign-in, conversations, visibility, history and deletion, each run
//! against a real server and expected to fail. One test per finding; each asserts the refusal and its code.

mod common;

use common::{Creds, Device, TestApp};
use serde_json::{json, Value};

fn user_hash(secret: &str, uid: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(uid.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

async fn guest(app: &TestApp) -> (String, String) {
    let session = app.ok("POST", "/auth/guest", Creds::AuthKey, None).await["data"].clone();
    (session["user"]["uid"].as_str().unwrap().to_owned(), session["authToken"].as_str().unwrap().to_owned())
}

async fn send(app: &TestApp, token: &str, receiver: &str, receiver_type: &str, text: &str) -> Value {
    let body = json!({"receiver": receiver, "receiverType": receiver_type, "category": "message", "type": "text", "data": {"text": text}});
    app.ok("POST", "/messages", Creds::Token(token), Some(body)).await["data"].clone()
}

fn texts(page: &Value) -> Vec<String> {
    page["data"].as_array().unwrap().iter().filter_map(|m| m["data"]["text"].as_str().map(str::to_owned)).collect()
}

// Point 1: sign-in is never a way into someone else's account.

#[tokio::test]
async fn a_new_app_signs_a_uid_in_only_with_a_user_hash_over_the_stored_uid() {
    let app = TestApp::start(&[]);
    let secret = app.cred("identitySecret");
    assert_eq!(app.ok("GET", "/app", Creds::Admin, None).await["data"]["uidSignIn"], "verified");
    app.user("alice").await;
    let error = app.refused("POST", "/auth/uid", Creds::AuthKey, Some(json!({"uid": "alice"})), 401, "AUTH_ERR_USER_HASH_INVALID").await;
    assert_eq!(error["details"]["field"], "userHash");
    // The hash is over the stored (lower-case) uid: a hash of another spelling is no key to it.
    let upper = json!({"uid": "ALICE", "userHash": user_hash(&secret, "ALICE")});
    app.refused("POST", "/auth/uid", Creds::AuthKey, Some(upper), 401, "AUTH_ERR_USER_HASH_INVALID").await;
    let canonical = json!({"uid": "ALICE", "userHash": user_hash(&secret, "alice")});
    let session = app.ok("POST", "/auth/uid", Creds::AuthKey, Some(canonical)).await;
    assert_eq!(session["data"]["user"]["uid"], "alice");

    app.ok("PUT", "/app", Creds::Admin, Some(json!({"uidSignIn": "off"}))).await;
    let signed = json!({"uid": "alice", "userHash": user_hash(&secret, "alice")});
    app.refused("POST", "/auth/uid", Creds::AuthKey, Some(signed), 403, "AUTH_ERR_UID_SIGN_IN_OFF").await;
}

#[tokio::test]
async fn open_uid_sign_in_never_reaches_guests_bots_or_users_the_backend_made() {
    let app = TestApp::start(&[]);
    let secret = app.cred("identitySecret");
    app.ok("PUT", "/app", Creds::Admin, Some(json!({"uidSignIn": "open"}))).await;
    app.user("alice").await;
    app.user("helper-bot").await;
    app.ok("POST", "/bots", Creds::Admin, Some(json!({"uid": "helper-bot", "webhookURL": "https://bots.example.com/hook"}))).await;
    let (guest_uid, guest_token) = guest(&app).await;
    send(&app, &guest_token, "alice", "user", "my order is #1234, email g1@example.com").await;
    for uid in ["alice", "helper-bot", guest_uid.as_str()] {
        let error = app.refused("POST", "/auth/uid", Creds::AuthKey, Some(json!({"uid": uid})), 401, "AUTH_ERR_USER_HASH_INVALID").await;
        assert_eq!(error["details"]["field"], "userHash", "{uid}");
    }
    // A uid that open sign-in made itself comes back without a hash; the backend can still vouch for any.
    app.ok("POST", "/auth/uid", Creds::AuthKey, Some(json!({"uid": "shopper"}))).await;
    app.ok("POST", "/auth/uid", Creds::AuthKey, Some(json!({"uid": "shopper"}))).await;
    let vouched = json!({"uid": "alice", "userHash": user_hash(&secret, "alice")});
    app.ok("POST", "/auth/uid", Creds::AuthKey, Some(vouched)).await;
}

#[tokio::test]
async fn the_public_key_cannot_preregister_escalate_or_take_reserved_uids() {
    let app = TestApp::start(&[]);
    let secret = app.cred("identitySecret");
    // Under verified sign-in the page's key makes no users at all: no account can be pre-registered.
    app.refused("POST", "/users", Creds::AuthKey, Some(json!({"uid": "future-customer-42", "name": "F"})), 403, "AUTH_ERR_NO_ACCESS").await;
    let real = json!({"uid": "future-customer-42", "userHash": user_hash(&secret, "future-customer-42")});
    let session = app.ok("POST", "/auth/uid", Creds::AuthKey, Some(real)).await;
    assert!(session["data"]["user"]["createdAt"].is_i64());

    app.ok("PUT", "/app", Creds::Admin, Some(json!({"uidSignIn": "open"}))).await;
    let escalations = [
        ("role", json!({"uid": "mallory-admin", "name": "Support (official)", "role": "admin"})),
        ("metadata", json!({"uid": "mallory-admin", "name": "M", "metadata": {"verified": true}})),
        ("tags", json!({"uid": "mallory-admin", "name": "M", "tags": ["staff"]})),
        ("withAuthToken", json!({"uid": "mallory-admin", "name": "M", "withAuthToken": true})),
    ];
    for (field, body) in escalations {
        let error = app.refused("POST", "/users", Creds::AuthKey, Some(body), 403, "AUTH_ERR_NO_ACCESS").await;
        assert_eq!(error["details"]["field"], field);
    }
    for uid in ["app_system", "APP_SYSTEM", "guest-abc123"] {
        let body = json!({"uid": uid, "name": "Official"});
        app.refused("POST", "/users", Creds::AuthKey, Some(body.clone()), 400, "ERR_UID_RESERVED").await;
        app.refused("POST", "/users", Creds::Admin, Some(body), 400, "ERR_UID_RESERVED").await;
        app.refused("POST", "/auth/uid", Creds::AuthKey, Some(json!({"uid": uid})), 400, "ERR_UID_RESERVED").await;
    }
    let made = app.ok("POST", "/users", Creds::AuthKey, Some(json!({"uid": "plain", "name": "Plain"}))).await;
    assert!(made["data"].get("authToken").is_none_or(Value::is_null), "no token from the public key: {made}");
}

#[tokio::test]
async fn app_create_says_loudly_when_uid_sign_in_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (ok, stdout, stderr) = common::run_cli(&["app", "create", "--name", "Dev", "--uid-sign-in", "open", "--data-dir", data]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("WARNING") && stderr.contains("ANY uid"), "{stderr}");
    let app: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(app["appId"].is_string());
    let (ok, _, stderr) = common::run_cli(&["app", "create", "--name", "Dev", "--uid-sign-in", "sometimes", "--data-dir", data]);
    assert!(!ok && stderr.contains("verified, open or off"), "{stderr}");
}

#[tokio::test]
async fn an_expired_token_is_refused_on_rest_and_its_socket_closes() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    let error = app.refused("POST", "/users/ann/auth_tokens", Creds::Admin, Some(json!({"lifetime": 5})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "lifetime");
    let short = app.ok("POST", "/users/ann/auth_tokens", Creds::Admin, Some(json!({"lifetime": 60}))).await["data"].clone();
    let lasting = app.ok("POST", "/users/ann/auth_tokens", Creds::Admin, None).await["data"].clone();
    assert_eq!(short["expiresAt"].as_i64().unwrap() - short["createdAt"].as_i64().unwrap(), 60);
    assert!(lasting.get("expiresAt").is_none());
    let (short, lasting) = (short["authToken"].as_str().unwrap().to_owned(), lasting["authToken"].as_str().unwrap().to_owned());
    let (mut device, _) = Device::connect(&app, &short, None).await;
    let (mut other, _) = Device::connect(&app, &lasting, None).await;
    app.ok("GET", "/me", Creds::Token(&short), None).await;
    tokio::time::sleep(std::time::Duration::from_secs(61)).await;
    app.refused("GET", "/me", Creds::Token(&short), None, 401, "AUTH_ERR_AUTH_TOKEN_NOT_FOUND").await;
    assert_eq!(device.closed_with(std::time::Duration::from_secs(20)).await, Some(4003), "the expired token's socket closes");
    other.send(json!({"type": "ping"})).await;
    assert_eq!(other.next_of("pong").await["type"], "pong", "the user's other socket stays up");
}

// Point 2: a conversation is what its members think it is.

#[tokio::test]
async fn a_uid_named_group_reads_and_writes_no_group_whose_id_collides() {
    let app = TestApp::start(&[]);
    let alice = app.user_with_token("alice").await;
    let attacker = app.user_with_token("group").await;
    let vip = app.user_with_token("vip").await;
    app.ok("POST", "/groups", Creds::As("alice"), Some(json!({"guid": "user_vip", "name": "VIP", "type": "private"}))).await;
    send(&app, &alice, "user_vip", "group", "discount code VIP-77").await;

    let read = app.ok("GET", "/users/vip/messages", Creds::Token(&attacker), None).await;
    assert!(texts(&read).is_empty(), "the DM group-vip is not the group user_vip: {read}");
    send(&app, &attacker, "vip", "user", "hello vip").await;
    let group = app.ok("GET", "/groups/user_vip/messages", Creds::Token(&alice), None).await;
    assert_eq!(texts(&group), ["discount code VIP-77"], "the DM does not land in the group");
    let all = app.ok("GET", "/messages?affix=append&id=0", Creds::Token(&attacker), None).await;
    assert_eq!(texts(&all), ["hello vip"]);
    let dm = app.ok("GET", "/conversations/group_user_vip", Creds::Token(&vip), None).await["data"].clone();
    assert_eq!((dm["conversationType"].as_str(), dm["conversationWith"]["uid"].as_str()), (Some("user"), Some("group")));
    let (mut device, _) = Device::connect(&app, &attacker, Some("0")).await;
    let mut resumed = Vec::new();
    loop {
        let frame = device.next().await;
        match frame["type"].as_str() {
            Some("caughtUp") => break,
            Some("message") => resumed.push(frame["message"]["data"]["text"].as_str().unwrap_or("").to_owned()),
            _ => {}
        }
    }
    assert_eq!(resumed, ["hello vip"]);
}

#[tokio::test]
async fn a_group_named_after_someones_conversation_cannot_break_their_list() {
    let app = TestApp::start(&[]);
    let victim = app.user_with_token("victim").await;
    let attacker = app.user_with_token("group_x").await;
    app.ok("POST", "/groups", Creds::Token(&attacker), Some(json!({"guid": "x_user_victim", "name": "Trap", "type": "public"}))).await;
    send(&app, &attacker, "x_user_victim", "group", "bait").await;
    send(&app, &attacker, "victim", "user", "hi").await;
    let list = app.ok("GET", "/conversations", Creds::Token(&victim), None).await;
    let ids: Vec<&str> = list["data"].as_array().unwrap().iter().map(|c| c["conversationId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["group_x_user_victim"], "the victim's DM with group_x, listed once: {list}");
    assert_eq!(list["data"][0]["conversationWith"]["uid"], "group_x");
    assert_eq!(list["data"][0]["lastMessage"]["data"]["text"], "hi");
}

// Point 3: visitors don't see everyone.

#[tokio::test]
async fn a_visitor_lists_only_agents_bots_and_the_people_they_talk_to() {
    let app = TestApp::start(&[]);
    app.ok("POST", "/users", Creds::Admin, Some(json!({"uid": "ann", "name": "Ann", "role": "agent", "metadata": {"phone": "555"}, "tags": ["vip"]}))).await;
    app.ok("POST", "/users", Creds::Admin, Some(json!({"uid": "faq", "name": "FAQ", "role": "bot"}))).await;
    let sam = app.user_with_token("sam").await;
    app.user("secret-sam").await;
    let (other_guest, _) = guest(&app).await;
    let (_, visitor) = guest(&app).await;
    let listed = |page: Value| -> Vec<String> {
        page["data"].as_array().unwrap().iter().map(|u| u["uid"].as_str().unwrap().to_owned()).collect()
    };
    let seen = listed(app.ok("GET", "/users?perPage=1000", Creds::Token(&visitor), None).await);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, ["ann", "faq"], "no other guest ({other_guest}), no plain user");
    // Someone who wrote to the visitor is listed from then on.
    let visitor_uid = app.ok("GET", "/me", Creds::Token(&visitor), None).await["data"]["uid"].as_str().unwrap().to_owned();
    send(&app, &sam, &visitor_uid, "user", "hello").await;
    let mut seen = listed(app.ok("GET", "/users", Creds::Token(&visitor), None).await);
    seen.sort();
    assert_eq!(seen, ["ann", "faq", "sam"]);
    // Other users' metadata and tags are for the REST API key only.
    let ann = app.ok("GET", "/users/ann", Creds::Token(&visitor), None).await["data"].clone();
    assert!(ann.get("metadata").is_none_or(Value::is_null) && ann["tags"].as_array().is_none_or(Vec::is_empty), "{ann}");
    let ann = app.ok("GET", "/users/ann", Creds::Admin, None).await["data"].clone();
    assert_eq!((ann["metadata"]["phone"].as_str(), ann["tags"][0].as_str()), (Some("555"), Some("vip")));
    // The roles are the app's to choose.
    app.ok("PUT", "/app", Creds::Admin, Some(json!({"visibleRoles": ["bot"]}))).await;
    let mut seen = listed(app.ok("GET", "/users", Creds::Token(&visitor), None).await);
    seen.sort();
    assert_eq!(seen, ["faq", "sam"]);
}

// Point 4: history follows membership.

#[tokio::test]
async fn history_follows_membership_and_a_ban_from_outside_gives_nothing() {
    let app = TestApp::start(&[]);
    let alice = app.user_with_token("alice").await;
    let dave = app.user_with_token("dave").await;
    let bea = app.user_with_token("bea").await;
    app.ok("POST", "/groups", Creds::As("alice"), Some(json!({"guid": "secret2", "name": "S", "type": "private"}))).await;
    for i in 0..3 {
        send(&app, &alice, "secret2", "group", &format!("secret2 history {i}")).await;
    }
    app.ok("POST", "/groups/secret2/bannedusers/dave", Creds::As("alice"), None).await;
    let page = app.ok("GET", "/messages?affix=append&id=0", Creds::Token(&dave), None).await;
    assert!(texts(&page).is_empty(), "banned without ever joining: nothing of the group: {page}");

    // bea joins after three messages, sees from her join, leaves, and sees nothing after.
    app.ok("POST", "/groups/secret2/members", Creds::As("alice"), Some(json!({"participants": ["bea"]}))).await;
    send(&app, &alice, "secret2", "group", "while bea is in").await;
    app.ok("DELETE", "/groups/secret2/members/bea", Creds::As("alice"), None).await;
    send(&app, &alice, "secret2", "group", "after bea left").await;
    let page = app.ok("GET", "/messages?affix=append&id=0", Creds::Token(&bea), None).await;
    assert_eq!(texts(&page), ["while bea is in"]);
    let actions: Vec<&str> = page["data"].as_array().unwrap().iter().filter_map(|m| m["data"]["action"].as_str()).collect();
    assert_eq!(actions, ["added", "kicked"], "she sees her own arrival and removal");
}

// Point 5: deleting a user deletes them.

#[tokio::test]
async fn a_recreated_uid_reads_nothing_of_the_deleted_user() {
    let app = TestApp::start(&[]);
    let alice = app.user_with_token("alice").await;
    let erin = app.user_with_token("erin").await;
    app.ok("POST", "/groups", Creds::As("alice"), Some(json!({"guid": "team", "name": "Team", "type": "public", "members": {"participants": ["erin"]}}))).await;
    let dm = send(&app, &alice, "erin", "user", "alice->erin: the contract draft").await;
    let said = send(&app, &erin, "team", "group", "erin's secret plan").await;
    app.ok("DELETE", "/users/erin", Creds::Admin, Some(json!({"permanent": true}))).await;

    let reborn = app.user_with_token("erin").await;
    let page = app.ok("GET", "/users/alice/messages", Creds::Token(&reborn), None).await;
    assert!(texts(&page).is_empty(), "{page}");
    let page = app.ok("GET", "/messages?affix=append&id=0", Creds::Token(&reborn), None).await;
    assert!(texts(&page).is_empty(), "{page}");
    let id = dm["id"].as_str().unwrap();
    app.refused("GET", &format!("/messages/{id}"), Creds::Token(&reborn), None, 404, "ERR_MESSAGE_NOT_FOUND").await;
    let list = app.ok("GET", "/conversations", Creds::Token(&reborn), None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "{list}");
    // In the group, what erin wrote is a tombstone; the conversation keeps its shape.
    let group = app.ok("GET", "/groups/team/messages", Creds::Token(&alice), None).await;
    let tomb = group["data"].as_array().unwrap().iter().find(|m| m["id"] == said["id"]).expect("the message stays").clone();
    assert!(tomb["deletedAt"].is_i64() && tomb["data"]["text"].is_null(), "{tomb}");
}
