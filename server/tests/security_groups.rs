//! Groups can't be abused (security review findings 10, 11 and 20), each test written as the attack:
//! guessing a group's password (limited per user and per group: 429 with `Retry-After`, the right password
//! too), the password never coming back, adding a user who blocked you (or whom you blocked) to a group,
//! a session adding more users a day than it may, and a moderator opening a private group.

mod common;

use common::{Creds, TestApp};
use serde_json::{json, Value};

/// Per (group, user) and per group wrong-guess limits of the server (`attempts.rs`).
const GUESSES_PER_USER: usize = 5;
const GUESSES_PER_GROUP: usize = 50;

/// Calls like `TestApp::call`, and also returns the `Retry-After` header.
async fn call_with_retry_after(app: &TestApp, method: &str, path: &str, creds: Creds<'_>, body: Option<Value>) -> (u16, Option<u64>, Value) {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client.request(method, app.server.url(&format!("/v3{path}"))).header("appid", app.cred("appId"));
    request = match creds {
        Creds::Admin => request.header("apikey", app.cred("apiKey")),
        Creds::As(uid) => request.header("apikey", app.cred("apiKey")).header("onBehalfOf", uid),
        Creds::Token(token) => request.header("authtoken", token),
        other => panic!("not used here: {other:?}"),
    };
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
    let text = response.text().await.unwrap();
    (status, retry_after, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Creates each of `uids` with the REST API key.
async fn users(app: &TestApp, uids: &[&str]) {
    for uid in uids {
        app.user(uid).await;
    }
}

/// Creates a group with the REST API key.
async fn group(app: &TestApp, body: Value) -> Value {
    app.ok("POST", "/groups", Creds::Admin, Some(body)).await["data"].clone()
}

/// The uids of `guid`'s members (the first 100), as the REST API key sees them.
async fn member_uids(app: &TestApp, guid: &str) -> Vec<String> {
    let list = app.ok("GET", &format!("/groups/{guid}/members?perPage=100"), Creds::Admin, None).await;
    list["data"].as_array().unwrap().iter().map(|m| m["uid"].as_str().unwrap().to_owned()).collect()
}

/// How many members `guid` has.
async fn member_count(app: &TestApp, guid: &str) -> u64 {
    app.ok("GET", &format!("/groups/{guid}"), Creds::Admin, None).await["data"]["membersCount"].as_u64().unwrap()
}

/// The conversation ids in `token`'s user's conversation list.
async fn conversation_ids(app: &TestApp, token: &str) -> Vec<String> {
    let list = app.ok("GET", "/conversations", Creds::Token(token), None).await;
    list["data"].as_array().unwrap().iter().map(|c| c["conversationId"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn guessing_a_group_password_is_cut_off_per_user_before_the_right_one_gets_in() {
    let app = TestApp::start(&[]);
    users(&app, &["alice"]).await;
    let mallory = app.user_with_token("mallory").await;
    group(&app, json!({"guid": "vault", "name": "Vault", "type": "password", "password": "correct horse", "owner": "alice"})).await;

    // The attack: 20 wrong guesses, then the right password, from one session.
    let mut refusals = Vec::new();
    for i in 0..20 {
        let body = json!({"password": format!("guess-{i}")});
        let (status, retry_after, answer) = call_with_retry_after(&app, "POST", "/groups/vault/join", Creds::Token(&mallory), Some(body)).await;
        refusals.push((status, answer["error"]["code"].as_str().unwrap().to_owned(), retry_after));
    }
    for (i, (status, code, retry_after)) in refusals.iter().enumerate() {
        if i < GUESSES_PER_USER {
            assert_eq!((*status, code.as_str(), *retry_after), (403, "ERR_GROUP_WRONG_PASSWORD", None), "guess {i}");
        } else {
            assert_eq!((*status, code.as_str()), (429, "ERR_TOO_MANY_REQUESTS"), "guess {i}");
            let secs = retry_after.expect("a Retry-After header");
            assert!((1..=15 * 60).contains(&secs), "guess {i}: Retry-After {secs}");
        }
    }
    let right = json!({"password": "correct horse"});
    let (status, retry_after, answer) = call_with_retry_after(&app, "POST", "/groups/vault/join", Creds::Token(&mallory), Some(right.clone())).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (429, Some("ERR_TOO_MANY_REQUESTS")), "{answer}");
    assert_eq!(answer["error"]["details"]["field"], "password");
    assert!(retry_after.is_some_and(|s| s > 0));
    assert_eq!(member_uids(&app, "vault").await, ["alice"], "the right password did not get in while limited");

    // Only that user on that group is limited: another user with the right password joins at once, and
    // mallory's guesses on another group are counted apart.
    let bob = app.user_with_token("bob").await;
    app.ok("POST", "/groups/vault/join", Creds::Token(&bob), Some(right)).await;
    group(&app, json!({"guid": "vault2", "name": "Vault 2", "type": "password", "password": "other", "owner": "alice"})).await;
    app.refused("POST", "/groups/vault2/join", Creds::Token(&mallory), Some(json!({"password": "x"})), 403, "ERR_GROUP_WRONG_PASSWORD").await;
    app.ok("POST", "/groups/vault2/join", Creds::Token(&mallory), Some(json!({"password": "other"}))).await;
}

#[tokio::test]
async fn guessing_from_many_accounts_is_cut_off_per_group() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "latecomer"]).await;
    group(&app, json!({"guid": "vault", "name": "Vault", "type": "password", "password": "correct horse", "owner": "alice"})).await;

    // The attack: uids are free, so spread the guesses over many of them, each under the per-user limit.
    let socks: Vec<String> = (0..GUESSES_PER_GROUP / GUESSES_PER_USER).map(|i| format!("sock{i}")).collect();
    for sock in &socks {
        app.user(sock).await;
    }
    let guesses = socks.iter().flat_map(|sock| (0..GUESSES_PER_USER).map(move |i| (sock.clone(), i))).map(|(sock, i)| {
        let app = &app;
        async move {
            let body = json!({"password": format!("{sock}-guess-{i}")});
            app.call("POST", "/groups/vault/join", Creds::As(&sock), Some(body)).await
        }
    });
    let answers = futures_util::future::join_all(guesses).await;
    assert_eq!(answers.len(), GUESSES_PER_GROUP);
    for (status, answer) in &answers {
        assert_eq!((*status, answer["error"]["code"].as_str()), (403, Some("ERR_GROUP_WRONG_PASSWORD")), "{answer}");
    }

    // Now the group takes no more password joins for anyone, not even the right password from a user who
    // never guessed.
    let right = json!({"password": "correct horse"});
    let (status, retry_after, answer) = call_with_retry_after(&app, "POST", "/groups/vault/join", Creds::As("latecomer"), Some(right.clone())).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (429, Some("ERR_TOO_MANY_REQUESTS")), "{answer}");
    assert!(retry_after.is_some_and(|s| (1..=15 * 60).contains(&s)), "{retry_after:?}");
    assert_eq!(member_uids(&app, "vault").await, ["alice"]);
    // The app itself still adds members (the REST API key is not guessing).
    let added = app.ok("POST", "/groups/vault/members", Creds::Admin, Some(json!({"participants": ["latecomer"]}))).await;
    assert_eq!(added["data"]["latecomer"]["status"], "success");
}

#[tokio::test]
async fn a_group_password_is_never_answered_and_a_right_guess_does_not_count() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob"]).await;
    let secret = "Very-s3cret-passw0rd";
    let created = group(&app, json!({"guid": "vault", "name": "Vault", "type": "password", "password": secret, "owner": "alice"})).await;
    let mut bodies = vec![created];
    bodies.push(app.ok("GET", "/groups/vault", Creds::Admin, None).await);
    bodies.push(app.ok("GET", "/groups/vault", Creds::As("bob"), None).await);
    bodies.push(app.ok("GET", "/groups", Creds::As("bob"), None).await);
    // Wrong guesses, then the right one: bob gets in, and the right one is not counted.
    for i in 0..GUESSES_PER_USER - 2 {
        let (status, answer) = app.call("POST", "/groups/vault/join", Creds::As("bob"), Some(json!({"password": format!("no-{i}")}))).await;
        assert_eq!(status, 403);
        bodies.push(answer);
    }
    bodies.push(app.ok("POST", "/groups/vault/join", Creds::As("bob"), Some(json!({"password": secret}))).await);
    for body in &bodies {
        let text = body.to_string();
        assert!(!text.contains(secret) && !text.contains("argon2") && !text.contains("\"password\":"), "leaked: {text}");
    }
    // Changing the password takes a new argon2id hash: the old password stops working, the new one works.
    app.ok("PUT", "/groups/vault", Creds::As("alice"), Some(json!({"password": "new-passw0rd"}))).await;
    app.ok("POST", "/groups/vault/leave", Creds::As("bob"), None).await;
    app.refused("POST", "/groups/vault/join", Creds::As("bob"), Some(json!({"password": secret})), 403, "ERR_GROUP_WRONG_PASSWORD").await;
    app.ok("POST", "/groups/vault/join", Creds::As("bob"), Some(json!({"password": "new-passw0rd"}))).await;
    // Bob's wrong guesses were 4 (under the limit of 5); one more wrong one and he would be cut off.
    app.ok("POST", "/groups/vault/leave", Creds::As("bob"), None).await;
    app.refused("POST", "/groups/vault/join", Creds::As("bob"), Some(json!({"password": "no-more"})), 403, "ERR_GROUP_WRONG_PASSWORD").await;
    app.refused("POST", "/groups/vault/join", Creds::As("bob"), Some(json!({"password": "new-passw0rd"})), 429, "ERR_TOO_MANY_REQUESTS").await;
}

#[tokio::test]
async fn a_user_who_blocked_you_cannot_be_put_into_your_groups() {
    let app = TestApp::start(&[]);
    let alice = app.user_with_token("alice").await;
    let carol = app.user_with_token("carol").await;
    users(&app, &["bob", "dave"]).await;
    app.ok("POST", "/users/carol/blockedusers", Creds::Token(&carol), Some(json!({"blockedUids": ["alice"]}))).await;
    app.ok("POST", "/users/alice/blockedusers", Creds::Token(&alice), Some(json!({"blockedUids": ["dave"]}))).await;

    // The attack: alice's DM to carol is refused, so she makes a group with carol in it...
    let dm = json!({"receiver": "carol", "receiverType": "user", "type": "text", "data": {"text": "hi"}});
    app.refused("POST", "/messages", Creds::Token(&alice), Some(dm), 403, "ERR_BLOCKED_RECEIVER").await;
    let body = json!({"guid": "spam", "name": "Spam", "type": "private", "members": {"participants": ["bob", "carol"]}});
    let error = app.refused("POST", "/groups", Creds::Token(&alice), Some(body), 403, "ERR_BLOCKED_RECEIVER").await;
    assert_eq!(error["details"]["field"], "members");
    assert!(error["message"].as_str().unwrap().contains("carol"), "{error}");
    app.refused("GET", "/groups/spam", Creds::Admin, None, 404, "ERR_GUID_NOT_FOUND").await;
    // ... or the same with a user she blocked herself ...
    let body = json!({"guid": "spam", "name": "Spam", "type": "private", "members": {"moderators": ["dave"]}});
    app.refused("POST", "/groups", Creds::Token(&alice), Some(body), 403, "ERR_BLOCKED_RECEIVER").await;

    // ... or adds carol to a group she has: a per-uid refusal, and bob is still added.
    app.ok("POST", "/groups", Creds::Token(&alice), Some(json!({"guid": "spam2", "name": "Spam 2", "type": "public"}))).await;
    let body = json!({"participants": ["bob", "carol"], "moderators": ["dave"]});
    let results = app.ok("POST", "/groups/spam2/members", Creds::Token(&alice), Some(body)).await["data"].clone();
    assert_eq!(results["bob"]["status"], "success");
    for uid in ["carol", "dave"] {
        assert_eq!(results[uid]["status"], "error", "{results}");
        assert_eq!(results[uid]["error"]["code"], "ERR_BLOCKED_RECEIVER", "{results}");
    }
    // The same through the REST API key acting as alice.
    let results = app.ok("POST", "/groups/spam2/members", Creds::As("alice"), Some(json!({"admins": ["carol"]}))).await["data"].clone();
    assert_eq!(results["carol"]["error"]["code"], "ERR_BLOCKED_RECEIVER");
    assert_eq!(member_uids(&app, "spam2").await, ["alice", "bob"]);

    // A post in the group never reaches carol: the group is not in her conversations or her groups.
    let post = json!({"receiver": "spam2", "receiverType": "group", "type": "text", "data": {"text": "https://phish.example/login"}});
    app.ok("POST", "/messages", Creds::Token(&alice), Some(post)).await;
    let ids = conversation_ids(&app, &carol).await;
    assert!(!ids.iter().any(|id| id.starts_with("group_spam")), "{ids:?}");
    let joined = app.ok("GET", "/groups?hasJoined=true", Creds::Token(&carol), None).await;
    assert_eq!(joined["data"], json!([]), "{joined}");

    // The app itself (the REST API key without onBehalfOf) is not a user and may add anyone.
    let results = app.ok("POST", "/groups/spam2/members", Creds::Admin, Some(json!({"participants": ["carol"]}))).await["data"].clone();
    assert_eq!(results["carol"]["status"], "success");
}

/// Creates `count` users `prefix0..` with the REST API key.
async fn many_users(app: &TestApp, prefix: &str, count: usize) -> Vec<String> {
    let uids: Vec<String> = (0..count).map(|i| format!("{prefix}{i}")).collect();
    for uid in &uids {
        app.user(uid).await;
    }
    uids
}

#[tokio::test]
async fn a_session_adds_at_most_the_daily_allowance_by_default_100() {
    let app = TestApp::start(&[]);
    let alice = app.user_with_token("alice").await;
    let targets = many_users(&app, "u", 101).await;
    app.ok("POST", "/groups", Creds::Token(&alice), Some(json!({"guid": "blast", "name": "Blast", "type": "public"}))).await;

    // The attack: one session puts 101 users into a group in a day, 25 a call (the most a call takes).
    for chunk in targets[..100].chunks(25) {
        let results = app.ok("POST", "/groups/blast/members", Creds::Token(&alice), Some(json!({"participants": chunk}))).await;
        assert!(results["data"].as_object().unwrap().values().all(|r| r["status"] == "success"), "{results}");
    }
    let body = json!({"participants": [&targets[100]]});
    let (status, retry_after, answer) = call_with_retry_after(&app, "POST", "/groups/blast/members", Creds::Token(&alice), Some(body)).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (429, Some("ERR_GROUP_ADD_LIMIT_REACHED")), "{answer}");
    assert_eq!(answer["error"]["details"]["limit"], 100);
    assert!(retry_after.is_some_and(|s| s > 0 && s <= 24 * 3600), "{retry_after:?}");
    assert_eq!(member_count(&app, "blast").await, 101, "alice and the first 100");
}

#[tokio::test]
async fn a_session_adding_past_its_daily_allowance_is_refused_per_uid() {
    let app = TestApp::start(&["--group-adds-per-day", "30"]);
    let alice = app.user_with_token("alice").await;
    let bob = app.user_with_token("bob").await;
    let targets = many_users(&app, "u", 60).await;
    app.ok("POST", "/groups", Creds::Token(&alice), Some(json!({"guid": "blast", "name": "Blast", "type": "public"}))).await;

    // A uid that is not added (unknown) does not use the allowance: 24 added.
    let mut first: Vec<String> = targets[..24].to_vec();
    first.push("ghost".into());
    let results = app.ok("POST", "/groups/blast/members", Creds::Token(&alice), Some(json!({"participants": first}))).await["data"].clone();
    assert_eq!(results["ghost"]["error"]["code"], "ERR_UID_NOT_FOUND");
    // The next 25: 6 fit, the other 19 are refused with the code.
    let second = &targets[24..49];
    let results = app.ok("POST", "/groups/blast/members", Creds::Token(&alice), Some(json!({"participants": second}))).await["data"].clone();
    let added: Vec<&String> = second.iter().filter(|uid| results[uid.as_str()]["status"] == "success").collect();
    let refused: Vec<&Value> = second.iter().map(|uid| &results[uid.as_str()]).filter(|r| r["status"] == "error").collect();
    assert_eq!((added.len(), refused.len()), (6, 19), "{results}");
    for r in refused {
        assert_eq!(r["error"]["code"], "ERR_GROUP_ADD_LIMIT_REACHED", "{r}");
        assert_eq!(r["error"]["details"]["limit"], 30, "{r}");
    }
    assert_eq!(member_count(&app, "blast").await, 31);

    // Nothing left: another call is refused as a whole, and so is a new group with members (the owner is
    // not counted: a group without members is still made).
    let body = json!({"participants": [&targets[50]], "usersToBan": [&targets[51]]});
    let (status, retry_after, answer) = call_with_retry_after(&app, "POST", "/groups/blast/members", Creds::Token(&alice), Some(body)).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (429, Some("ERR_GROUP_ADD_LIMIT_REACHED")), "{answer}");
    assert!(retry_after.is_some());
    let banned = app.ok("GET", "/groups/blast/bannedusers", Creds::Admin, None).await;
    assert_eq!(banned["data"], json!([]), "nothing of a refused call is done");
    let body = json!({"guid": "blast2", "name": "Blast 2", "type": "public", "members": {"participants": [&targets[50]]}});
    let (status, retry_after, answer) = call_with_retry_after(&app, "POST", "/groups", Creds::Token(&alice), Some(body)).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (429, Some("ERR_GROUP_ADD_LIMIT_REACHED")), "{answer}");
    assert!(retry_after.is_some());
    app.refused("GET", "/groups/blast2", Creds::Admin, None, 404, "ERR_GUID_NOT_FOUND").await;
    app.ok("POST", "/groups", Creds::Token(&alice), Some(json!({"guid": "empty", "name": "Empty", "type": "public"}))).await;

    // Another session has its own allowance; the REST API key (also with onBehalfOf) has none.
    let body = json!({"guid": "bobs", "name": "Bob's", "type": "public", "members": {"participants": &targets[50..55]}});
    app.ok("POST", "/groups", Creds::Token(&bob), Some(body)).await;
    let results = app.ok("POST", "/groups/blast/members", Creds::As("alice"), Some(json!({"participants": &targets[49..55]}))).await;
    assert!(results["data"].as_object().unwrap().values().all(|r| r["status"] == "success"), "{results}");
    let results = app.ok("POST", "/groups/blast/members", Creds::Admin, Some(json!({"participants": &targets[55..60]}))).await;
    assert!(results["data"].as_object().unwrap().values().all(|r| r["status"] == "success"), "{results}");
}

#[tokio::test]
async fn a_moderator_cannot_open_a_private_group() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob", "carol", "eve"]).await;
    group(&app, json!({"guid": "secret", "name": "Secret", "type": "private", "owner": "alice", "members": {"moderators": ["bob"], "participants": ["carol"]}})).await;
    app.refused("GET", "/groups/secret", Creds::As("eve"), None, 404, "ERR_GUID_NOT_FOUND").await;

    // The attack: a moderator makes the private group public, opening its history to everyone.
    let error = app.refused("PUT", "/groups/secret", Creds::As("bob"), Some(json!({"type": "public"})), 403, "ERR_GROUP_NO_CLEARANCE").await;
    assert_eq!(error["details"]["field"], "type");
    let body = json!({"type": "password", "password": "known-to-all"});
    app.refused("PUT", "/groups/secret", Creds::As("bob"), Some(body), 403, "ERR_GROUP_NO_CLEARANCE").await;
    app.refused("PUT", "/groups/secret", Creds::As("carol"), Some(json!({"type": "public"})), 403, "ERR_GROUP_NO_CLEARANCE").await;
    assert_eq!(app.ok("GET", "/groups/secret", Creds::Admin, None).await["data"]["type"], "private");
    app.refused("GET", "/groups/secret", Creds::As("eve"), None, 404, "ERR_GUID_NOT_FOUND").await;
    // The moderator still updates the other fields, and naming the type the group has is no change.
    let renamed = app.ok("PUT", "/groups/secret", Creds::As("bob"), Some(json!({"name": "Still secret", "type": "private"}))).await;
    assert_eq!((renamed["data"]["name"].as_str(), renamed["data"]["type"].as_str()), (Some("Still secret"), Some("private")));

    // An admin may, and so may the app.
    let opened = app.ok("PUT", "/groups/secret", Creds::As("alice"), Some(json!({"type": "public"}))).await;
    assert_eq!(opened["data"]["type"], "public");
    app.ok("GET", "/groups/secret", Creds::As("eve"), None).await;
    let body = json!({"type": "password", "password": "s3cret"});
    assert_eq!(app.ok("PUT", "/groups/secret", Creds::Admin, Some(body)).await["data"]["type"], "password");
    // A moderator does not change a password group's password either.
    let error = app.refused("PUT", "/groups/secret", Creds::As("bob"), Some(json!({"password": "mine"})), 403, "ERR_GROUP_NO_CLEARANCE").await;
    assert_eq!(error["details"]["field"], "password");
}
