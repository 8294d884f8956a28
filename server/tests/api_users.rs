//! The REST API v3 for users, auth tokens, widget sign-in, keys and scopes, limits, rate limits and the
//! OpenAPI document, against the real server on a temporary SQLite file.

mod common;

use common::{Creds, TestApp};
use serde_json::{json, Value};

#[tokio::test]
async fn users_are_created_read_updated_and_deleted() {
    let app = TestApp::start(&[]);
    let body = json!({"uid": "SuperHero1", "name": "Iron Man", "avatar": "https://example.com/a.png",
        "role": "vip", "metadata": {"plan": "pro"}, "tags": ["a", "b"]});
    let created = app.ok("POST", "/users", Creds::Admin, Some(body)).await["data"].clone();
    assert_eq!(created["uid"], "superhero1", "uids are stored lower-cased");
    assert_eq!(created["role"], "vip");
    assert_eq!(created["status"], "offline");
    assert!(created.get("authToken").is_none());

    let got = app.ok("GET", "/users/SUPERHERO1", Creds::Admin, None).await["data"].clone();
    assert_eq!(got["name"], "Iron Man");
    assert_eq!(got["metadata"]["plan"], "pro");

    let update = json!({"name": "Tony", "unset": ["avatar", "tags"]});
    let updated = app.ok("PUT", "/users/superhero1", Creds::Admin, Some(update)).await["data"].clone();
    assert_eq!(updated["name"], "Tony");
    assert!(updated.get("avatar").is_none());
    assert!(updated.get("tags").is_none());
    assert!(updated["updatedAt"].is_i64());

    app.ok("DELETE", "/users/superhero1", Creds::Admin, None).await;
    app.refused("GET", "/users/superhero1", Creds::Admin, None, 404, "ERR_UID_NOT_FOUND").await;
    app.refused("DELETE", "/users/superhero1", Creds::Admin, None, 404, "ERR_UID_NOT_FOUND").await;
}

#[tokio::test]
async fn bad_user_fields_are_refused_naming_the_field() {
    let app = TestApp::start(&[]);
    let cases = [
        (json!({"uid": "bad uid", "name": "x"}), "uid", None),
        (json!({"uid": "x".repeat(101), "name": "x"}), "uid", None),
        (json!({"uid": "ok", "name": "n".repeat(101)}), "name", Some(100)),
        (json!({"uid": "ok", "name": ""}), "name", None),
        (json!({"uid": "ok", "name": "x", "metadata": {"big": "m".repeat(5200)}}), "metadata", Some(5120)),
        (json!({"uid": "ok", "name": "x", "metadata": [1]}), "metadata", None),
        (json!({"uid": "ok", "name": "x", "tags": (0..26).map(|i| i.to_string()).collect::<Vec<_>>()}), "tags", Some(25)),
        (json!({"uid": "ok", "name": "x", "avatar": "javascript:alert(1)"}), "avatar", None),
        (json!({"uid": "ok", "name": "x", "nmae": "typo"}), "nmae", None),
        (json!({"uid": 7, "name": "x"}), "uid", None),
        (json!({"name": "x"}), "uid", None),
    ];
    for (body, field, limit) in cases {
        let error = app.refused("POST", "/users", Creds::Admin, Some(body.clone()), 400, "ERR_BAD_REQUEST").await;
        assert_eq!(error["details"]["field"], field, "{body}");
        if let Some(limit) = limit {
            assert_eq!(error["details"]["limit"], limit, "{body}");
        }
    }
    app.user("dup").await;
    let error = app.refused("POST", "/users", Creds::Admin, Some(json!({"uid": "DUP", "name": "x"})), 409, "ERR_UID_ALREADY_EXISTS").await;
    assert_eq!(error["details"]["field"], "uid");
}

#[tokio::test]
async fn users_are_listed_with_search_role_tags_and_pages() {
    let app = TestApp::start(&[]);
    for i in 0..7 {
        let role = if i % 2 == 0 { "even" } else { "odd" };
        let body = json!({"uid": format!("user{i}"), "name": format!("Person {i}"), "role": role, "tags": [format!("t{}", i % 3)]});
        app.ok("POST", "/users", Creds::Admin, Some(body)).await;
    }
    let page = app.ok("GET", "/users?perPage=3&page=2", Creds::Admin, None).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 3);
    assert_eq!(page["data"][0]["uid"], "user3");
    let pagination = &page["meta"]["pagination"];
    assert_eq!((pagination["total"].as_u64(), pagination["totalPages"].as_u64()), (Some(7), Some(3)));
    assert_eq!((pagination["currentPage"].as_u64(), pagination["perPage"].as_u64()), (Some(2), Some(3)));

    let found = app.ok("GET", "/users?searchKey=person%205", Creds::Admin, None).await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    let odd = app.ok("GET", "/users?role=odd", Creds::Admin, None).await;
    assert_eq!(odd["meta"]["pagination"]["total"], 3);
    let tagged = app.ok("GET", "/users?tags=t0", Creds::Admin, None).await;
    assert_eq!(tagged["meta"]["pagination"]["total"], 3);
    app.refused("GET", "/users?perPage=1001", Creds::Admin, None, 400, "ERR_BAD_REQUEST").await;
    app.refused("GET", "/users?page=0", Creds::Admin, None, 400, "ERR_BAD_REQUEST").await;
}

#[tokio::test]
async fn deactivated_users_cannot_sign_in_or_be_messaged_until_reactivated() {
    let app = TestApp::start(&[]);
    let token = app.user_with_token("ann").await;
    app.user("bob").await;
    let changed = app.ok("DELETE", "/users", Creds::Admin, Some(json!({"uidsToDeactivate": ["ann", "nobody"]}))).await;
    assert_eq!(changed["data"], json!(["ann"]));
    app.refused("GET", "/me", Creds::Token(&token), None, 403, "ERR_USER_DEACTIVATED").await;
    let listed = app.ok("GET", "/users", Creds::Admin, None).await;
    assert_eq!(listed["meta"]["pagination"]["total"], 1, "deactivated users are left out of lists");
    let message = json!({"receiver": "ann", "receiverType": "user", "type": "text", "data": {"text": "hi"}});
    app.refused("POST", "/messages", Creds::As("bob"), Some(message), 404, "ERR_UID_NOT_FOUND").await;
    app.ok("PUT", "/users", Creds::Admin, Some(json!({"uidsToActivate": ["ann"]}))).await;
    app.ok("GET", "/me", Creds::Token(&token), None).await;
}

#[tokio::test]
async fn auth_tokens_are_created_listed_and_revoked_at_once() {
    let app = TestApp::start(&[]);
    let first = app.user_with_token("ann").await;
    let second = app.ok("POST", "/users/ann/auth_tokens", Creds::Admin, None).await["data"].clone();
    let second_token = second["authToken"].as_str().unwrap().to_owned();
    assert_ne!(first, second_token);
    let listed = app.ok("GET", "/users/ann/auth_tokens", Creds::Admin, None).await["data"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(listed.as_array().unwrap().iter().all(|t| t.get("authToken").is_none()), "tokens are shown only once");
    let id = second["id"].as_str().unwrap();
    assert_eq!(app.ok("GET", &format!("/users/ann/auth_tokens/{id}"), Creds::Admin, None).await["data"]["id"], id);
    assert_eq!(app.ok("GET", &format!("/users/ann/auth_tokens/{second_token}"), Creds::Admin, None).await["data"]["id"], id);

    assert_eq!(app.ok("GET", "/me", Creds::Token(&second_token), None).await["data"]["uid"], "ann");
    app.ok("DELETE", &format!("/users/ann/auth_tokens/{second_token}"), Creds::Admin, None).await;
    app.refused("GET", "/me", Creds::Token(&second_token), None, 401, "AUTH_ERR_AUTH_TOKEN_NOT_FOUND").await;
    app.ok("GET", "/me", Creds::Token(&first), None).await;
    app.refused("DELETE", &format!("/users/ann/auth_tokens/{second_token}"), Creds::Admin, None, 404, "ERR_AUTH_TOKEN_NOT_FOUND").await;

    app.ok("DELETE", "/users/ann/auth_tokens", Creds::Admin, None).await;
    app.refused("GET", "/me", Creds::Token(&first), None, 401, "AUTH_ERR_AUTH_TOKEN_NOT_FOUND").await;
    app.refused("POST", "/users/nobody/auth_tokens", Creds::Admin, None, 404, "ERR_UID_NOT_FOUND").await;
}

#[tokio::test]
async fn the_widget_signs_in_as_a_guest_by_uid_or_by_token() {
    let app = TestApp::start(&[]);
    app.ok("PUT", "/app", Creds::Admin, Some(json!({"uidSignIn": "open"}))).await;
    let guest = app.ok("POST", "/auth/guest", Creds::AuthKey, Some(json!({"user": {"name": "Visitor"}}))).await["data"].clone();
    assert_eq!(guest["user"]["name"], "Visitor");
    assert!(guest["user"]["uid"].as_str().unwrap().starts_with("guest-"));
    let token = guest["authToken"].as_str().unwrap();
    assert_eq!(app.ok("GET", "/me", Creds::Token(token), None).await["data"]["uid"], guest["user"]["uid"]);
    let other = app.ok("POST", "/auth/guest", Creds::AuthKey, None).await["data"].clone();
    assert_ne!(other["user"]["uid"], guest["user"]["uid"], "each guest is a new user");

    let first = app.ok("POST", "/auth/uid", Creds::AuthKey, Some(json!({"uid": "Shopper7", "user": {"name": "Sam"}}))).await["data"].clone();
    assert_eq!(first["user"]["uid"], "shopper7");
    assert_eq!(first["user"]["name"], "Sam");
    let again = app.ok("POST", "/auth/uid", Creds::AuthKey, Some(json!({"uid": "shopper7"}))).await["data"].clone();
    assert_eq!(again["user"]["createdAt"], first["user"]["createdAt"], "the same user, created on first sight only");
    assert_ne!(again["authToken"], first["authToken"], "one session token per device");

    let issued = app.user_with_token("member1").await;
    let session = app.call("POST", "/auth/token", Creds::None, Some(json!({"authToken": issued}))).await;
    assert_eq!(session.0, 200, "{}", session.1);
    assert_eq!(session.1["data"]["user"]["uid"], "member1");
    let (status, error) = app.call("POST", "/auth/token", Creds::None, Some(json!({"authToken": "nope"}))).await;
    assert_eq!((status, error["error"]["code"].as_str()), (401, Some("AUTH_ERR_AUTH_TOKEN_NOT_FOUND")));

    let error = app.refused("POST", "/auth/uid", Creds::AuthKey, Some(json!({"uid": "bad uid"})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "uid");
    let error = app.refused("POST", "/auth/guest", Creds::AuthKey, Some(json!({"user": {"avatar": "ftp://x"}})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "user.avatar");
    let token = first["authToken"].as_str().unwrap();
    app.refused("POST", "/auth/guest", Creds::Token(token), None, 403, "AUTH_ERR_NO_ACCESS").await;
}

fn user_hash(secret: &str, uid: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(uid.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn identity_verification_requires_a_valid_user_hash() {
    let app = TestApp::start(&[]);
    let secret = app.cred("identitySecret");
    let settings = app.ok("PUT", "/app", Creds::Admin, Some(json!({"enforceIdentity": true}))).await;
    assert_eq!(settings["data"]["enforceIdentity"], true);
    let error = app.refused("POST", "/auth/uid", Creds::AuthKey, Some(json!({"uid": "ann"})), 401, "AUTH_ERR_USER_HASH_INVALID").await;
    assert_eq!(error["details"]["field"], "userHash");
    let wrong = json!({"uid": "ann", "userHash": user_hash(&secret, "bob")});
    app.refused("POST", "/auth/uid", Creds::AuthKey, Some(wrong), 401, "AUTH_ERR_USER_HASH_INVALID").await;
    let right = json!({"uid": "ann", "userHash": user_hash(&secret, "ann")});
    let session = app.ok("POST", "/auth/uid", Creds::AuthKey, Some(right)).await;
    assert_eq!(session["data"]["user"]["uid"], "ann");
    app.ok("PUT", "/app", Creds::Admin, Some(json!({"enforceIdentity": false}))).await;
    app.ok("POST", "/auth/uid", Creds::AuthKey, Some(json!({"uid": "bob"}))).await;
}

#[tokio::test]
async fn keys_are_checked_against_their_app_and_scope() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    let other = app.other_app();
    let other_key = other["apiKey"].as_str().unwrap();
    app.refused("GET", "/users", Creds::Key(other_key), None, 401, "AUTH_ERR_APIKEY_NOT_FOUND").await;
    app.refused("GET", "/users", Creds::Key("made-up"), None, 401, "AUTH_ERR_APIKEY_NOT_FOUND").await;
    app.refused("GET", "/users", Creds::None, None, 401, "AUTH_ERR_APIKEY_NOT_FOUND").await;
    let (status, body) = app.call("GET", "/users/ann", Creds::Key(other_key), None).await;
    assert_eq!(status, 401, "another app's key reads nothing: {body}");

    // The auth-only key creates users (where uid sign-in is open) and signs them in, nothing else.
    app.ok("PUT", "/app", Creds::Admin, Some(json!({"uidSignIn": "open"}))).await;
    app.ok("POST", "/users", Creds::AuthKey, Some(json!({"uid": "bob", "name": "Bob"}))).await;
    for (method, path) in [("GET", "/users"), ("GET", "/users/ann"), ("DELETE", "/users/ann"), ("GET", "/users/ann/auth_tokens"), ("GET", "/app")] {
        app.refused(method, path, Creds::AuthKey, None, 403, "AUTH_ERR_NO_ACCESS").await;
    }

    // A session acts as its user only.
    let token = app.user_with_token("carl").await;
    app.refused("DELETE", "/users/ann", Creds::Token(&token), None, 403, "AUTH_ERR_NO_ACCESS").await;
    app.refused("PUT", "/users/carl", Creds::Token(&token), Some(json!({"name": "x"})), 403, "AUTH_ERR_NO_ACCESS").await;
    app.refused("POST", "/users/carl/auth_tokens", Creds::Token(&token), None, 403, "AUTH_ERR_NO_ACCESS").await;
    app.refused("GET", "/users/ann/blockedusers", Creds::Token(&token), None, 403, "AUTH_ERR_NO_ACCESS").await;
    app.ok("GET", "/users", Creds::Token(&token), None).await;
    let (status, _) = app.call("GET", "/me", Creds::Token(&token), None).await;
    assert_eq!(status, 200);

    // onBehalfOf must name a user of this app.
    app.refused("GET", "/me", Creds::As("ghost"), None, 404, "ERR_UID_NOT_FOUND").await;
    app.refused("GET", "/me", Creds::Admin, None, 400, "ERR_ON_BEHALF_OF_REQUIRED").await;
}

#[tokio::test]
async fn the_current_user_updates_their_profile_but_not_their_role() {
    let app = TestApp::start(&[]);
    let token = app.user_with_token("ann").await;
    let me = app.ok("PUT", "/me", Creds::Token(&token), Some(json!({"name": "Ann B", "statusMessage": "away"}))).await;
    assert_eq!(me["data"]["name"], "Ann B");
    assert_eq!(me["data"]["statusMessage"], "away");
    let error = app.refused("PUT", "/me", Creds::Token(&token), Some(json!({"role": "admin"})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "role");
    app.refused("PUT", "/me", Creds::Token(&token), Some(json!({"unset": ["role"]})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(app.ok("GET", "/users/ann", Creds::Admin, None).await["data"]["role"], "default");
}

#[tokio::test]
async fn requests_over_the_rate_limit_get_429_with_retry_after() {
    let app = TestApp::start(&["--rate-limit", "5"]);
    for _ in 0..5 {
        app.ok("GET", "/users", Creds::Admin, None).await;
    }
    let response = reqwest::Client::new()
        .get(app.server.url("/v3/users"))
        .header("appid", app.cred("appId"))
        .header("apikey", app.cred("apiKey"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ERR_TOO_MANY_REQUESTS");
    // Another credential has its own budget.
    app.ok("POST", "/auth/guest", Creds::AuthKey, None).await;
}

#[tokio::test]
async fn malformed_requests_get_specific_errors() {
    let app = TestApp::start(&[]);
    let response = reqwest::Client::new()
        .post(app.server.url("/v3/users"))
        .header("appid", app.cred("appId"))
        .header("apikey", app.cred("apiKey"))
        .header("content-type", "application/json")
        .body("{\"uid\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ERR_BAD_REQUEST");

    let big = json!({"uid": "x", "name": "y", "metadata": {"a": "z".repeat(200_000)}});
    app.refused("POST", "/users", Creds::Admin, Some(big), 413, "ERR_PAYLOAD_TOO_LARGE").await;
    app.refused("PATCH", "/users", Creds::Admin, None, 405, "ERR_METHOD_NOT_ALLOWED").await;
    app.refused("GET", "/nothing-here", Creds::Admin, None, 404, "ERR_NOT_FOUND").await;
    let (status, body) = app.call("GET", "/users", Creds::None, None).await;
    assert_eq!(status, 401, "{body}");
    let wrong_app = reqwest::Client::new()
        .get(app.server.url("/v3/users"))
        .header("appid", "nosuchapp")
        .header("apikey", app.cred("apiKey"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_app.status(), 401);
    let body: Value = wrong_app.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ERR_APP_NOT_FOUND");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = TestApp::start(&[]);
    let doc: Value = reqwest::get(app.server.url("/v3/openapi.json")).await.unwrap().json().await.unwrap();
    assert_eq!(doc["info"]["title"], "Confab REST API");
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v3/users", "/v3/users/{uid}", "/v3/me", "/v3/users/{uid}/auth_tokens", "/v3/users/{uid}/auth_tokens/{token}",
        "/v3/auth/guest", "/v3/auth/uid", "/v3/auth/token", "/v3/groups", "/v3/groups/{guid}",
        "/v3/groups/{guid}/members", "/v3/groups/{guid}/members/{uid}", "/v3/groups/{guid}/join",
        "/v3/groups/{guid}/leave", "/v3/groups/{guid}/bannedusers", "/v3/groups/{guid}/bannedusers/{uid}",
        "/v3/messages", "/v3/messages/{id}", "/v3/users/{uid}/messages", "/v3/groups/{guid}/messages",
        "/v3/conversations", "/v3/conversations/{conversationId}", "/v3/users/{uid}/conversation/read",
        "/v3/users/{uid}/blockedusers", "/v3/users/{uid}/friends", "/v3/app",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the OpenAPI document");
    }
    assert!(doc["components"]["schemas"]["User"].is_object());
    assert!(doc["components"]["schemas"]["ApiErrorEnvelope"].is_object());
}

#[tokio::test]
async fn status_is_online_while_a_device_is_connected() {
    let app = TestApp::start(&[]);
    let token = app.user_with_token("ann").await;
    app.user("bob").await;
    assert_eq!(app.ok("GET", "/users/ann", Creds::Admin, None).await["data"]["status"], "offline");
    let (device, _) = common::Device::connect(&app, &token, None).await;
    assert_eq!(app.ok("GET", "/users/ann", Creds::Admin, None).await["data"]["status"], "online");
    let online = app.ok("GET", "/users?status=online", Creds::Admin, None).await;
    assert_eq!(online["meta"]["pagination"]["total"], 1);
    assert_eq!(online["data"][0]["uid"], "ann");
    let offline = app.ok("GET", "/users?status=offline", Creds::Admin, None).await;
    assert_eq!(offline["data"][0]["uid"], "bob");
    app.refused("GET", "/users?status=away", Creds::Admin, None, 400, "ERR_BAD_REQUEST").await;
    drop(device);
    // Offline once the device stayed away for the presence grace (5 s), with the time it was last active
    // (written as the change to offline is announced, a moment after the status turns).
    let mut user = Value::Null;
    for _ in 0..200 {
        user = app.ok("GET", "/users/ann", Creds::Admin, None).await["data"].clone();
        if user["status"] == "offline" && user["lastActiveAt"].is_i64() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(user["status"], "offline", "{user}");
    assert!(user["lastActiveAt"].is_i64(), "{user}");
}
