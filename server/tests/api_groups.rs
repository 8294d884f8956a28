//! REST API v3 groups against a real server: creating (public, password, private; REST API key and session
//! token), get/update/delete, listing, joining and leaving, members and their scopes, bans, the action
//! messages member changes leave in the group's conversation, and refused credentials.

mod common;

use common::{Creds, TestApp};
use serde_json::{json, Value};

/// Creates each of `uids`.
async fn users(app: &TestApp, uids: &[&str]) {
    for uid in uids {
        app.user(uid).await;
    }
}

/// Creates a group with the REST API key from `body`; returns `data`.
async fn create(app: &TestApp, body: Value) -> Value {
    app.ok("POST", "/groups", Creds::Admin, Some(body)).await["data"].clone()
}

/// A group `guid` of `kind` owned by `owner` with `members` lists, created with the REST API key.
async fn group(app: &TestApp, guid: &str, kind: &str, owner: &str, members: Value) -> Value {
    let mut body = json!({"guid": guid, "name": format!("Group {guid}"), "type": kind, "owner": owner, "members": members});
    if kind == "password" {
        body["password"] = json!("open-sesame");
    }
    create(app, body).await
}

/// The uids of a list answer's `data`, in order.
fn uids(list: &Value, key: &str) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|item| item[key].as_str().unwrap().to_owned()).collect()
}

/// `(uid, scope)` of each member of `guid`, as the REST API key sees them: admins first, then moderators,
/// then participants (the order the server answers; within a scope it follows join times, which share a
/// second in these tests, so they are compared by uid).
async fn members(app: &TestApp, guid: &str) -> Vec<(String, String)> {
    let list = app.ok("GET", &format!("/groups/{guid}/members"), Creds::Admin, None).await;
    let rank = |scope: &str| ["admin", "moderator", "participant"].iter().position(|s| *s == scope).unwrap();
    let answered: Vec<(String, String)> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["uid"].as_str().unwrap().to_owned(), m["scope"].as_str().unwrap().to_owned()))
        .collect();
    let ranks: Vec<usize> = answered.iter().map(|(_, scope)| rank(scope)).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "admins, moderators, then participants: {answered:?}");
    let mut sorted = answered;
    sorted.sort_by(|a, b| (rank(&a.1), &a.0).cmp(&(rank(&b.1), &b.0)));
    sorted
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// The `data.action` of every action message in `guid`'s conversation, oldest first.
async fn actions(app: &TestApp, guid: &str) -> Vec<Value> {
    let list = app.ok("GET", &format!("/groups/{guid}/messages"), Creds::Admin, None).await;
    list["data"].as_array().unwrap().iter().filter(|m| m["category"] == "action").cloned().collect()
}

#[tokio::test]
async fn rest_key_creates_a_public_group_with_owner_and_members() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob", "carol", "dave"]).await;
    let body = json!({
        "guid": "Town-Square",
        "name": "Town square",
        "type": "public",
        "owner": "alice",
        "description": "Everyone's welcome",
        "tags": ["general"],
        "members": {"moderators": ["bob"], "participants": ["carol", "dave"]}
    });
    let group = create(&app, body).await;
    assert_eq!(group["guid"], "town-square", "guids are stored lower-cased");
    assert_eq!(group["name"], "Town square");
    assert_eq!(group["type"], "public");
    assert_eq!(group["owner"], "alice");
    assert_eq!(group["description"], "Everyone's welcome");
    assert_eq!(group["tags"], json!(["general"]));
    assert_eq!(group["membersCount"], 4);
    assert_eq!(group["conversationId"], "group_town-square");
    assert!(group["createdAt"].as_i64().unwrap() > 0);
    // The app itself is not a member.
    assert_eq!(group["hasJoined"], false);
    assert!(group.get("scope").is_none(), "{group}");

    assert_eq!(
        members(&app, "town-square").await,
        pairs(&[("alice", "admin"), ("bob", "moderator"), ("carol", "participant"), ("dave", "participant")])
    );
    // Members see their own scope.
    let seen = app.ok("GET", "/groups/town-square", Creds::As("bob"), None).await["data"].clone();
    assert_eq!((seen["hasJoined"].clone(), seen["scope"].clone()), (json!(true), json!("moderator")));
    // An unknown initial member refuses the whole creation.
    let body = json!({"guid": "other", "name": "Other", "type": "public", "members": {"participants": ["ghost"]}});
    let error = app.refused("POST", "/groups", Creds::Admin, Some(body), 404, "ERR_UID_NOT_FOUND").await;
    assert_eq!(error["details"]["field"], "members");
    app.refused("GET", "/groups/other", Creds::Admin, None, 404, "ERR_GUID_NOT_FOUND").await;
}

#[tokio::test]
async fn password_group_never_echoes_its_password() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob"]).await;
    let secret = "Very-s3cret-passw0rd";
    let mut bodies = Vec::new();

    let body = json!({"guid": "vault", "name": "Vault", "type": "password", "password": secret, "owner": "alice"});
    let created = app.ok("POST", "/groups", Creds::Admin, Some(body)).await;
    assert_eq!(created["data"]["type"], "password");
    assert!(created["data"].get("password").is_none(), "{created}");
    bodies.push(created);
    bodies.push(app.ok("GET", "/groups/vault", Creds::Admin, None).await);
    bodies.push(app.ok("GET", "/groups/vault", Creds::As("bob"), None).await);
    bodies.push(app.ok("GET", "/groups", Creds::Admin, None).await);
    bodies.push(app.ok("GET", "/groups", Creds::As("bob"), None).await);
    let update = json!({"description": "Locked", "password": secret});
    bodies.push(app.ok("PUT", "/groups/vault", Creds::As("alice"), Some(update)).await);
    let (status, wrong) = app.call("POST", "/groups/vault/join", Creds::As("bob"), Some(json!({"password": "nope"}))).await;
    assert_eq!(status, 403);
    bodies.push(wrong);
    bodies.push(app.ok("POST", "/groups/vault/join", Creds::As("bob"), Some(json!({"password": secret}))).await);
    bodies.push(app.ok("GET", "/groups/vault/members", Creds::Admin, None).await);
    bodies.push(app.ok("GET", "/groups/vault/messages", Creds::Admin, None).await);
    for body in &bodies {
        assert!(!body.to_string().contains(secret), "the password leaked: {body}");
        assert!(!body.to_string().contains("\"password\":"), "a password field is answered: {body}");
    }

    // A password group needs a password, and only password groups take one.
    let body = json!({"guid": "nopass", "name": "No pass", "type": "password"});
    let error = app.refused("POST", "/groups", Creds::Admin, Some(body), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "password");
    let body = json!({"guid": "pubpass", "name": "Pub", "type": "public", "password": "x"});
    let error = app.refused("POST", "/groups", Creds::Admin, Some(body), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "password");
}

#[tokio::test]
async fn rest_key_creates_a_private_group_only_its_members_see() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob", "carol"]).await;
    let group = group(&app, "hush", "private", "alice", json!({"participants": ["bob"]})).await;
    assert_eq!(group["type"], "private");
    assert_eq!(group["membersCount"], 2);
    let seen = app.ok("GET", "/groups/hush", Creds::As("bob"), None).await["data"].clone();
    assert_eq!((seen["hasJoined"].clone(), seen["scope"].clone()), (json!(true), json!("participant")));
    let seen = app.ok("GET", "/groups/hush", Creds::As("alice"), None).await["data"].clone();
    assert_eq!(seen["scope"], "admin");
    app.refused("GET", "/groups/hush", Creds::As("carol"), None, 404, "ERR_GUID_NOT_FOUND").await;
    assert_eq!(app.ok("GET", "/groups/hush", Creds::Admin, None).await["data"]["guid"], "hush");
}

#[tokio::test]
async fn session_token_creates_a_group_the_caller_owns_as_admin() {
    let app = TestApp::start(&[]);
    let token = app.user_with_token("alice").await;
    users(&app, &["bob"]).await;
    let body = json!({"guid": "book-club", "name": "Book club", "type": "public", "members": {"participants": ["bob"]}});
    let group = app.ok("POST", "/groups", Creds::Token(&token), Some(body)).await["data"].clone();
    assert_eq!(group["owner"], "alice");
    assert_eq!(group["hasJoined"], true);
    assert_eq!(group["scope"], "admin");
    assert!(group["joinedAt"].as_i64().unwrap() > 0);
    assert_eq!(group["membersCount"], 2);
    assert_eq!(members(&app, "book-club").await, pairs(&[("alice", "admin"), ("bob", "participant")]));

    // The owner of a user's group is that user; naming it explicitly is fine.
    let body = json!({"guid": "mine", "name": "Mine", "type": "private", "owner": "alice"});
    assert_eq!(app.ok("POST", "/groups", Creds::Token(&token), Some(body)).await["data"]["scope"], "admin");
    let body = json!({"guid": "theirs", "name": "Theirs", "type": "public", "owner": "bob"});
    app.refused("POST", "/groups", Creds::Token(&token), Some(body), 403, "AUTH_ERR_NO_ACCESS").await;
}

#[tokio::test]
async fn duplicate_guid_is_a_conflict() {
    let app = TestApp::start(&[]);
    create(&app, json!({"guid": "dup", "name": "First", "type": "public"})).await;
    let body = json!({"guid": "dup", "name": "Second", "type": "public"});
    let error = app.refused("POST", "/groups", Creds::Admin, Some(body), 409, "ERR_GUID_ALREADY_EXISTS").await;
    assert_eq!(error["details"]["field"], "guid");
    // Guids are case-insensitive.
    let body = json!({"guid": "DUP", "name": "Third", "type": "private"});
    app.refused("POST", "/groups", Creds::Admin, Some(body), 409, "ERR_GUID_ALREADY_EXISTS").await;
    assert_eq!(app.ok("GET", "/groups/dup", Creds::Admin, None).await["data"]["name"], "First");
}

#[tokio::test]
async fn bad_guid_is_refused_naming_the_field() {
    let app = TestApp::start(&[]);
    let body = json!({"guid": "bad guid", "name": "Bad", "type": "public"});
    let error = app.refused("POST", "/groups", Creds::Admin, Some(body), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "guid");
    let list = app.ok("GET", "/groups", Creds::Admin, None).await;
    assert_eq!(list["meta"]["pagination"]["total"], 0);
}

#[tokio::test]
async fn get_update_with_unset_and_delete_a_group() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob"]).await;
    let body = json!({
        "guid": "garden", "name": "Garden", "type": "public", "owner": "alice",
        "icon": "https://example.com/garden.png", "description": "Plants", "metadata": {"floor": 2},
        "tags": ["green"], "members": {"participants": ["bob"]}
    });
    create(&app, body).await;
    let group = app.ok("GET", "/groups/garden", Creds::Admin, None).await["data"].clone();
    assert_eq!(group["icon"], "https://example.com/garden.png");
    assert_eq!(group["metadata"], json!({"floor": 2}));
    assert!(group.get("updatedAt").is_none());

    let update = json!({"name": "Roof garden", "description": "More plants", "unset": ["icon", "metadata"]});
    let updated = app.ok("PUT", "/groups/garden", Creds::Admin, Some(update)).await["data"].clone();
    assert_eq!(updated["name"], "Roof garden");
    assert_eq!(updated["description"], "More plants");
    assert!(updated.get("icon").is_none(), "{updated}");
    assert!(updated.get("metadata").is_none(), "{updated}");
    assert_eq!(updated["tags"], json!(["green"]), "fields not named are kept");
    assert!(updated["updatedAt"].as_i64().unwrap() > 0);
    let again = app.ok("GET", "/groups/garden", Creds::As("bob"), None).await["data"].clone();
    assert_eq!(again["name"], "Roof garden");
    assert!(again.get("icon").is_none());

    // The owner (an admin) may update; a participant may not; only some fields can be unset.
    let update = json!({"tags": ["green", "roof"]});
    assert_eq!(app.ok("PUT", "/groups/garden", Creds::As("alice"), Some(update)).await["data"]["tags"], json!(["green", "roof"]));
    let update = json!({"name": "Bob's"});
    app.refused("PUT", "/groups/garden", Creds::As("bob"), Some(update), 403, "ERR_GROUP_NO_CLEARANCE").await;
    let error = app.refused("PUT", "/groups/garden", Creds::Admin, Some(json!({"unset": ["name"]})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "unset[0]");

    // A participant cannot delete; the app can.
    app.refused("DELETE", "/groups/garden", Creds::As("bob"), None, 403, "ERR_GROUP_NO_CLEARANCE").await;
    let deleted = app.ok("DELETE", "/groups/garden", Creds::Admin, None).await;
    assert_eq!(deleted["data"]["success"], true);
    app.refused("GET", "/groups/garden", Creds::Admin, None, 404, "ERR_GUID_NOT_FOUND").await;
    app.refused("GET", "/groups/garden", Creds::As("bob"), None, 404, "ERR_GUID_NOT_FOUND").await;
    app.refused("DELETE", "/groups/garden", Creds::Admin, None, 404, "ERR_GUID_NOT_FOUND").await;
    let list = app.ok("GET", "/groups", Creds::As("alice"), None).await;
    assert_eq!(list["meta"]["pagination"]["total"], 0);
    // Nothing of the deleted group survives into a new group with the same guid.
    let recreated = create(&app, json!({"guid": "garden", "name": "New garden", "type": "public"})).await;
    assert_eq!(recreated["membersCount"], 0);
    assert!(recreated.get("owner").is_none());
    assert_eq!(app.ok("GET", "/groups/garden", Creds::As("bob"), None).await["data"]["hasJoined"], false);
    assert_eq!(app.ok("GET", "/groups/garden/messages", Creds::Admin, None).await["data"], json!([]));
}

#[tokio::test]
async fn listing_groups_as_admin_and_as_a_user() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob", "carol"]).await;
    group(&app, "a-public", "public", "alice", json!({})).await;
    group(&app, "b-password", "password", "alice", json!({})).await;
    group(&app, "c-private-bob", "private", "alice", json!({"participants": ["bob"]})).await;
    group(&app, "d-private-other", "private", "alice", json!({})).await;

    let all = app.ok("GET", "/groups", Creds::Admin, None).await;
    assert_eq!(uids(&all, "guid"), ["a-public", "b-password", "c-private-bob", "d-private-other"]);
    assert_eq!(all["meta"]["pagination"]["total"], 4);

    let bobs = app.ok("GET", "/groups", Creds::As("bob"), None).await;
    assert_eq!(uids(&bobs, "guid"), ["a-public", "b-password", "c-private-bob"], "no private group bob is not in");
    assert_eq!(bobs["meta"]["pagination"]["total"], 3);
    let joined: Vec<bool> = bobs["data"].as_array().unwrap().iter().map(|g| g["hasJoined"].as_bool().unwrap()).collect();
    assert_eq!(joined, [false, false, true]);

    let carols = app.ok("GET", "/groups", Creds::As("carol"), None).await;
    assert_eq!(uids(&carols, "guid"), ["a-public", "b-password"]);

    app.ok("POST", "/groups/a-public/join", Creds::As("bob"), None).await;
    let bobs = app.ok("GET", "/groups?hasJoined=true", Creds::As("bob"), None).await;
    assert_eq!(uids(&bobs, "guid"), ["a-public", "c-private-bob"]);
    assert!(bobs["data"].as_array().unwrap().iter().all(|g| g["hasJoined"] == true && g["scope"] == "participant"));
    let carols = app.ok("GET", "/groups?hasJoined=true", Creds::As("carol"), None).await;
    assert_eq!(carols["data"], json!([]));
    let alices = app.ok("GET", "/groups?hasJoined=true", Creds::As("alice"), None).await;
    assert_eq!(alices["meta"]["pagination"]["total"], 4);

    let page = app.ok("GET", "/groups?perPage=2&page=2", Creds::Admin, None).await;
    assert_eq!(uids(&page, "guid"), ["c-private-bob", "d-private-other"]);
    assert_eq!(page["meta"]["pagination"]["totalPages"], 2);
    let found = app.ok("GET", "/groups?searchKey=PASSWORD", Creds::As("carol"), None).await;
    assert_eq!(uids(&found, "guid"), ["b-password"]);
}

#[tokio::test]
async fn join_a_public_group() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob"]).await;
    let token = app.user_with_token("carol").await;
    group(&app, "lobby", "public", "alice", json!({})).await;
    let joined = app.ok("POST", "/groups/lobby/join", Creds::As("bob"), None).await["data"].clone();
    assert_eq!(joined["guid"], "lobby");
    assert_eq!(joined["hasJoined"], true);
    assert_eq!(joined["scope"], "participant");
    assert_eq!(joined["membersCount"], 2);
    let joined = app.ok("POST", "/groups/lobby/join", Creds::Token(&token), Some(json!({}))).await["data"].clone();
    assert_eq!((joined["hasJoined"].clone(), joined["membersCount"].clone()), (json!(true), json!(3)));
    assert_eq!(
        members(&app, "lobby").await,
        pairs(&[("alice", "admin"), ("bob", "participant"), ("carol", "participant")])
    );
    // Joining acts as a user: the app itself cannot join.
    app.refused("POST", "/groups/lobby/join", Creds::Admin, None, 400, "ERR_ON_BEHALF_OF_REQUIRED").await;
    app.refused("POST", "/groups/nowhere/join", Creds::As("bob"), None, 404, "ERR_GUID_NOT_FOUND").await;
}

#[tokio::test]
async fn join_a_password_group_needs_the_right_password() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob"]).await;
    group(&app, "vault", "password", "alice", json!({})).await;
    let error = app
        .refused("POST", "/groups/vault/join", Creds::As("bob"), Some(json!({"password": "wrong"})), 403, "ERR_GROUP_WRONG_PASSWORD")
        .await;
    assert_eq!(error["details"]["field"], "password");
    app.refused("POST", "/groups/vault/join", Creds::As("bob"), None, 403, "ERR_GROUP_WRONG_PASSWORD").await;
    assert_eq!(members(&app, "vault").await, pairs(&[("alice", "admin")]));
    let joined = app.ok("POST", "/groups/vault/join", Creds::As("bob"), Some(json!({"password": "open-sesame"}))).await;
    assert_eq!(joined["data"]["scope"], "participant");
    assert_eq!(members(&app, "vault").await, pairs(&[("alice", "admin"), ("bob", "participant")]));
}

#[tokio::test]
async fn join_a_private_group_is_not_allowed() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob"]).await;
    group(&app, "hush", "private", "alice", json!({})).await;
    app.refused("POST", "/groups/hush/join", Creds::As("bob"), None, 403, "ERR_GROUP_JOIN_NOT_ALLOWED").await;
    assert_eq!(members(&app, "hush").await, pairs(&[("alice", "admin")]));
}

#[tokio::test]
async fn joining_twice_is_a_conflict() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob"]).await;
    group(&app, "lobby", "public", "alice", json!({})).await;
    app.ok("POST", "/groups/lobby/join", Creds::As("bob"), None).await;
    app.refused("POST", "/groups/lobby/join", Creds::As("bob"), None, 409, "ERR_GROUP_ALREADY_JOINED").await;
    app.refused("POST", "/groups/lobby/join", Creds::As("alice"), None, 409, "ERR_GROUP_ALREADY_JOINED").await;
    assert_eq!(app.ok("GET", "/groups/lobby", Creds::Admin, None).await["data"]["membersCount"], 2);
}

#[tokio::test]
async fn leave_a_group() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob"]).await;
    group(&app, "lobby", "public", "alice", json!({})).await;
    app.ok("POST", "/groups/lobby/join", Creds::As("bob"), None).await;
    let left = app.ok("POST", "/groups/lobby/leave", Creds::As("bob"), None).await["data"].clone();
    assert_eq!(left["category"], "action");
    assert_eq!(left["data"]["action"], "left");
    let seen = app.ok("GET", "/groups/lobby", Creds::As("bob"), None).await["data"].clone();
    assert_eq!(seen["hasJoined"], false);
    assert!(seen.get("scope").is_none());
    assert_eq!(seen["membersCount"], 1);
    app.refused("POST", "/groups/lobby/leave", Creds::As("bob"), None, 403, "ERR_GROUP_NOT_JOINED").await;
    // Having left, bob may come back.
    app.ok("POST", "/groups/lobby/join", Creds::As("bob"), None).await;
}

#[tokio::test]
async fn add_members_answers_a_result_per_uid() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob", "carol", "dave", "eve", "frank"]).await;
    group(&app, "team", "private", "alice", json!({"participants": ["frank"]})).await;
    let body = json!({"admins": ["bob"], "moderators": ["carol"], "participants": ["dave", "ghost", "frank"], "usersToBan": ["eve"]});
    let results = app.ok("POST", "/groups/team/members", Creds::As("alice"), Some(body)).await["data"].clone();
    for uid in ["bob", "carol", "dave", "eve"] {
        assert_eq!(results[uid]["status"], "success", "{uid}: {results}");
        assert!(results[uid].get("error").is_none());
    }
    assert_eq!(results["ghost"]["status"], "error");
    assert_eq!(results["ghost"]["error"]["code"], "ERR_UID_NOT_FOUND");
    assert_eq!(results["frank"]["status"], "error");
    assert_eq!(results["frank"]["error"]["code"], "ERR_GROUP_ALREADY_JOINED");
    assert_eq!(results.as_object().unwrap().len(), 6);

    assert_eq!(
        members(&app, "team").await,
        pairs(&[("alice", "admin"), ("bob", "admin"), ("carol", "moderator"), ("dave", "participant"), ("frank", "participant")])
    );
    let banned = app.ok("GET", "/groups/team/bannedusers", Creds::As("alice"), None).await;
    assert_eq!(uids(&banned, "uid"), ["eve"]);

    // A moderator may add participants but not admins; the refusal is per uid.
    let body = json!({"admins": ["eve"], "participants": ["ghost"]});
    let results = app.ok("POST", "/groups/team/members", Creds::As("carol"), Some(body)).await["data"].clone();
    assert_eq!(results["eve"]["error"]["code"], "ERR_GROUP_NO_CLEARANCE");
    assert_eq!(results["ghost"]["error"]["code"], "ERR_UID_NOT_FOUND");
    // A bad uid refuses the call, naming the entry.
    let error = app
        .refused("POST", "/groups/team/members", Creds::Admin, Some(json!({"participants": ["x y"]})), 400, "ERR_BAD_REQUEST")
        .await;
    assert_eq!(error["details"]["field"], "participants[0]");
    app.refused("POST", "/groups/team/members", Creds::Admin, Some(json!({})), 400, "ERR_BAD_REQUEST").await;
}

#[tokio::test]
async fn adding_more_than_25_members_at_once_is_refused() {
    let app = TestApp::start(&[]);
    users(&app, &["alice"]).await;
    group(&app, "crowd", "public", "alice", json!({})).await;
    let many: Vec<String> = (0..26).map(|i| format!("user{i}")).collect();
    let error = app
        .refused("POST", "/groups/crowd/members", Creds::Admin, Some(json!({"participants": many})), 400, "ERR_BAD_REQUEST")
        .await;
    assert_eq!(error["details"]["limit"], 25);
    // The limit counts the four lists together.
    let body = json!({"admins": &many[..13], "participants": &many[13..]});
    let error = app.refused("POST", "/groups/crowd/members", Creds::Admin, Some(body), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["limit"], 25);
    // Same at creation.
    let body = json!({"guid": "crowd2", "name": "Crowd", "type": "public", "members": {"participants": many}});
    let error = app.refused("POST", "/groups", Creds::Admin, Some(body), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["limit"], 25);
    assert_eq!(members(&app, "crowd").await, pairs(&[("alice", "admin")]));
}

#[tokio::test]
async fn participant_cannot_kick_an_admin() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob", "carol", "dave"]).await;
    group(&app, "team", "public", "alice", json!({"admins": ["bob"], "participants": ["carol", "dave"]})).await;
    app.refused("DELETE", "/groups/team/members/bob", Creds::As("carol"), None, 403, "ERR_GROUP_NO_CLEARANCE").await;
    app.refused("DELETE", "/groups/team/members/dave", Creds::As("carol"), None, 403, "ERR_GROUP_NO_CLEARANCE").await;
    app.refused("DELETE", "/groups/team/members/alice", Creds::As("carol"), None, 403, "ERR_GROUP_NO_CLEARANCE").await;
    assert_eq!(members(&app, "team").await.len(), 4);
}

#[tokio::test]
async fn moderator_kicks_a_participant_but_not_another_moderator() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob", "mia", "carol"]).await;
    group(&app, "team", "public", "alice", json!({"moderators": ["bob", "mia"], "participants": ["carol"]})).await;
    let kicked = app.ok("DELETE", "/groups/team/members/carol", Creds::As("bob"), None).await["data"].clone();
    assert_eq!(kicked["category"], "action");
    assert_eq!(kicked["data"]["action"], "kicked");
    app.refused("DELETE", "/groups/team/members/mia", Creds::As("bob"), None, 403, "ERR_GROUP_NO_CLEARANCE").await;
    app.refused("DELETE", "/groups/team/members/alice", Creds::As("bob"), None, 403, "ERR_GROUP_NO_CLEARANCE").await;
    assert_eq!(members(&app, "team").await, pairs(&[("alice", "admin"), ("bob", "moderator"), ("mia", "moderator")]));
    // Carol is out: she no longer sees the members, and kicking her again finds nobody.
    app.refused("GET", "/groups/team/members", Creds::As("carol"), None, 403, "ERR_GROUP_NOT_JOINED").await;
    app.refused("DELETE", "/groups/team/members/carol", Creds::As("bob"), None, 404, "ERR_GROUP_NOT_JOINED").await;
}

#[tokio::test]
async fn moderator_cannot_promote_to_admin() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob", "carol", "mia"]).await;
    group(&app, "team", "public", "alice", json!({"moderators": ["bob", "mia"], "participants": ["carol"]})).await;
    let body = Some(json!({"scope": "admin"}));
    app.refused("PUT", "/groups/team/members/carol", Creds::As("bob"), body.clone(), 403, "ERR_GROUP_NO_CLEARANCE").await;
    app.refused("PUT", "/groups/team/members/bob", Creds::As("bob"), body, 403, "ERR_GROUP_NO_CLEARANCE").await;
    let demote = Some(json!({"scope": "participant"}));
    app.refused("PUT", "/groups/team/members/mia", Creds::As("bob"), demote, 403, "ERR_GROUP_NO_CLEARANCE").await;
    // A moderator may make a participant a moderator.
    let changed = app.ok("PUT", "/groups/team/members/carol", Creds::As("bob"), Some(json!({"scope": "moderator"}))).await;
    assert_eq!(changed["data"]["data"]["action"], "scopeChanged");
    assert_eq!(
        members(&app, "team").await,
        pairs(&[("alice", "admin"), ("bob", "moderator"), ("carol", "moderator"), ("mia", "moderator")])
    );
}

#[tokio::test]
async fn admin_changes_a_members_scope() {
    let app = TestApp::start(&[]);
    let token = app.user_with_token("alice").await;
    users(&app, &["bob", "carol"]).await;
    group(&app, "team", "public", "alice", json!({"participants": ["bob", "carol"]})).await;
    let changed = app.ok("PUT", "/groups/team/members/bob", Creds::Token(&token), Some(json!({"scope": "admin"}))).await;
    let action = &changed["data"];
    assert_eq!(action["category"], "action");
    assert_eq!(action["data"]["action"], "scopeChanged");
    assert_eq!(action["data"]["entities"]["on"]["uid"], "bob");
    assert_eq!(action["data"]["entities"]["by"]["uid"], "alice");
    app.ok("PUT", "/groups/team/members/carol", Creds::As("alice"), Some(json!({"scope": "moderator"}))).await;
    assert_eq!(app.ok("GET", "/groups/team", Creds::As("carol"), None).await["data"]["scope"], "moderator");
    assert_eq!(
        members(&app, "team").await,
        pairs(&[("alice", "admin"), ("bob", "admin"), ("carol", "moderator")])
    );
    // The new admin may demote the moderator.
    app.ok("PUT", "/groups/team/members/carol", Creds::As("bob"), Some(json!({"scope": "participant"}))).await;
    assert_eq!(app.ok("GET", "/groups/team", Creds::As("carol"), None).await["data"]["scope"], "participant");
    let error = app
        .refused("PUT", "/groups/team/members/carol", Creds::As("alice"), Some(json!({"scope": "boss"})), 400, "ERR_BAD_REQUEST")
        .await;
    assert_eq!(error["details"]["field"], "scope");
}

#[tokio::test]
async fn owner_cannot_be_kicked_by_another_admin() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob"]).await;
    group(&app, "team", "public", "alice", json!({"admins": ["bob"]})).await;
    app.refused("DELETE", "/groups/team/members/alice", Creds::As("bob"), None, 403, "ERR_GROUP_NO_CLEARANCE").await;
    app.refused("POST", "/groups/team/bannedusers/alice", Creds::As("bob"), None, 403, "ERR_GROUP_NO_CLEARANCE").await;
    let demote = Some(json!({"scope": "participant"}));
    app.refused("PUT", "/groups/team/members/alice", Creds::As("bob"), demote, 403, "ERR_GROUP_NO_CLEARANCE").await;
    assert_eq!(members(&app, "team").await, pairs(&[("alice", "admin"), ("bob", "admin")]));
    // The owner may remove another admin.
    app.ok("DELETE", "/groups/team/members/bob", Creds::As("alice"), None).await;
    assert_eq!(members(&app, "team").await, pairs(&[("alice", "admin")]));
}

#[tokio::test]
async fn ban_removes_the_member_and_keeps_them_out_until_unbanned() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "carol", "dave"]).await;
    group(&app, "lobby", "public", "alice", json!({"participants": ["dave"]})).await;
    app.ok("POST", "/groups/lobby/join", Creds::As("carol"), None).await;
    let banned = app.ok("POST", "/groups/lobby/bannedusers/carol", Creds::As("alice"), None).await["data"].clone();
    assert_eq!(banned["data"]["action"], "banned");
    assert_eq!(members(&app, "lobby").await, pairs(&[("alice", "admin"), ("dave", "participant")]));
    assert_eq!(app.ok("GET", "/groups/lobby", Creds::As("carol"), None).await["data"]["hasJoined"], false);
    app.refused("POST", "/groups/lobby/join", Creds::As("carol"), None, 403, "ERR_GROUP_MEMBER_BANNED").await;

    let list = app.ok("GET", "/groups/lobby/bannedusers", Creds::As("alice"), None).await;
    assert_eq!(uids(&list, "uid"), ["carol"]);
    assert!(list["data"][0]["bannedAt"].as_i64().unwrap() > 0);
    assert_eq!(list["meta"]["pagination"]["total"], 1);
    app.refused("GET", "/groups/lobby/bannedusers", Creds::As("dave"), None, 403, "ERR_GROUP_NO_CLEARANCE").await;
    app.refused("DELETE", "/groups/lobby/bannedusers/carol", Creds::As("dave"), None, 403, "ERR_GROUP_NO_CLEARANCE").await;

    let unbanned = app.ok("DELETE", "/groups/lobby/bannedusers/carol", Creds::As("alice"), None).await["data"].clone();
    assert_eq!(unbanned["data"]["action"], "unbanned");
    let list = app.ok("GET", "/groups/lobby/bannedusers", Creds::Admin, None).await;
    assert_eq!(list["data"], json!([]));
    app.refused("DELETE", "/groups/lobby/bannedusers/carol", Creds::As("alice"), None, 404, "ERR_UID_NOT_FOUND").await;
    let joined = app.ok("POST", "/groups/lobby/join", Creds::As("carol"), None).await;
    assert_eq!(joined["data"]["hasJoined"], true);
}

#[tokio::test]
async fn non_member_cannot_list_members() {
    let app = TestApp::start(&[]);
    users(&app, &["alice", "bob", "carol"]).await;
    group(&app, "lobby", "public", "alice", json!({"participants": ["bob"]})).await;
    app.refused("GET", "/groups/lobby/members", Creds::As("carol"), None, 403, "ERR_GROUP_NOT_JOINED").await;
    app.refused("GET", "/groups/lobby/messages", Creds::As("carol"), None, 403, "ERR_GROUP_NOT_JOINED").await;
    let list = app.ok("GET", "/groups/lobby/members", Creds::As("bob"), None).await;
    assert_eq!(uids(&list, "uid"), ["alice", "bob"]);
    assert_eq!(list["data"][0]["name"], "User alice");
    assert_eq!(list["meta"]["pagination"]["total"], 2);
}

#[tokio::test]
async fn member_changes_are_recorded_as_action_messages() {
    let app = TestApp::start(&[]);
    let token = app.user_with_token("alice").await;
    users(&app, &["bob", "carol", "dave"]).await;
    group(&app, "lobby", "public", "alice", json!({})).await;
    app.ok("POST", "/groups/lobby/join", Creds::As("bob"), None).await;
    app.ok("POST", "/groups/lobby/members", Creds::As("alice"), Some(json!({"participants": ["carol"]}))).await;
    app.ok("PUT", "/groups/lobby/members/carol", Creds::As("alice"), Some(json!({"scope": "moderator"}))).await;
    app.ok("DELETE", "/groups/lobby/members/bob", Creds::As("carol"), None).await;
    app.ok("POST", "/groups/lobby/bannedusers/bob", Creds::As("alice"), None).await;
    app.ok("DELETE", "/groups/lobby/bannedusers/bob", Creds::Admin, None).await;
    app.ok("POST", "/groups/lobby/join", Creds::As("dave"), None).await;
    app.ok("POST", "/groups/lobby/leave", Creds::As("dave"), None).await;

    let recorded = actions(&app, "lobby").await;
    let summary: Vec<(String, String, String)> = recorded
        .iter()
        .map(|m| {
            (
                m["data"]["action"].as_str().unwrap().to_owned(),
                m["data"]["entities"]["by"]["uid"].as_str().unwrap().to_owned(),
                m["data"]["entities"]["on"]["uid"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("joined", "bob", "bob"),
        ("added", "alice", "carol"),
        ("scopeChanged", "alice", "carol"),
        ("kicked", "carol", "bob"),
        ("banned", "alice", "bob"),
        ("unbanned", "app_system", "bob"),
        ("joined", "dave", "dave"),
        ("left", "dave", "dave"),
    ];
    let expected: Vec<(String, String, String)> =
        expected.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(summary, expected);
    for message in &recorded {
        assert_eq!(message["receiver"], "lobby");
        assert_eq!(message["receiverType"], "group");
        assert_eq!(message["conversationId"], "group_lobby");
        assert_eq!(message["data"]["entities"]["for"]["guid"], "lobby");
    }
    let ids: Vec<i64> = recorded.iter().map(|m| m["id"].as_str().unwrap().parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first: {ids:?}");
    // Members see the same history; the category filter selects it.
    let seen = app.ok("GET", "/groups/lobby/messages?category=action", Creds::Token(&token), None).await;
    assert_eq!(seen["data"].as_array().unwrap().len(), expected.len());
}

#[tokio::test]
async fn unknown_keys_and_the_auth_only_key_are_refused() {
    let app = TestApp::start(&[]);
    let other = TestApp::start(&[]);
    let body = json!({"guid": "g", "name": "G", "type": "public"});
    let error = app
        .refused("POST", "/groups", Creds::Key("not-a-key"), Some(body.clone()), 401, "AUTH_ERR_APIKEY_NOT_FOUND")
        .await;
    assert_eq!(error["details"]["field"], "apikey");
    // Another app's REST API key is not a key of this app.
    let foreign = other.cred("apiKey");
    app.refused("POST", "/groups", Creds::Key(&foreign), Some(body.clone()), 401, "AUTH_ERR_APIKEY_NOT_FOUND").await;
    app.refused("GET", "/groups", Creds::Key(&foreign), None, 401, "AUTH_ERR_APIKEY_NOT_FOUND").await;
    app.refused("POST", "/groups", Creds::None, Some(body.clone()), 401, "AUTH_ERR_APIKEY_NOT_FOUND").await;
    // The auth-only key creates users and signs them in, nothing else.
    app.refused("POST", "/groups", Creds::AuthKey, Some(body.clone()), 403, "AUTH_ERR_NO_ACCESS").await;
    app.refused("GET", "/groups", Creds::AuthKey, None, 403, "AUTH_ERR_NO_ACCESS").await;
    let list = app.ok("GET", "/groups", Creds::Admin, None).await;
    assert_eq!(list["meta"]["pagination"]["total"], 0, "nothing was created");
    // The key works on its own app.
    other.ok("POST", "/groups", Creds::Admin, Some(body)).await;
}
