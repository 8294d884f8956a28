//! Widget variants against a real server: the `/v3/variants` REST calls, their checks, the public `/v1`
//! builder answers, sign-in with a variant, and the features a variant turns off refused to its sessions.

mod common;

use common::{Creds, Device, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

/// Creates a variant with the REST API key; its `data`.
async fn variant(app: &TestApp, body: Value) -> Value {
    app.ok("POST", "/variants", Creds::Admin, Some(body)).await["data"].clone()
}

/// A session token for `uid` signed in by uid with `variant` (`None`: no variantID).
async fn session(app: &TestApp, uid: &str, variant: Option<&str>) -> String {
    let mut body = json!({"uid": uid});
    if let Some(id) = variant {
        body["variantID"] = json!(id);
    }
    let signed_in = app.ok("POST", "/auth/uid", Creds::Admin, Some(body)).await;
    signed_in["data"]["authToken"].as_str().unwrap().to_owned()
}

/// Settings with these `chatFeatures` switches off.
fn switched_off(switches: &[(&str, &str)]) -> Value {
    let mut features = json!({});
    for (section, name) in switches {
        features[section][name] = json!(false);
    }
    json!({"chatFeatures": features})
}

/// Calls another app's `/v3` API with its REST API key.
async fn other_app_call(app: &TestApp, other: &Value, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .request(method, app.server.url(&format!("/v3{path}")))
        .header("appid", other["appId"].as_str().unwrap())
        .header("apikey", other["apiKey"].as_str().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn variants_are_created_listed_changed_and_deleted_with_one_default() {
    let app = TestApp::start(&[]);
    let settings = json!({
        "style": {"theme": "dark", "color": {"brandColor": "#e5484d"}},
        "agent": {"chatHistory": true},
        "chatFeatures": {"coreMessagingExperience": {"someFutureSwitch": "kept as given"}},
        "someday": {"nested": [1, "two", null, {"deep": true}]}
    });
    let first = variant(&app, json!({"name": "Support", "settings": settings})).await;
    let first_id = first["id"].as_str().unwrap().to_owned();
    assert!(first_id.starts_with("v_") && first_id.len() == 18, "a generated id: {first_id}");
    assert_eq!(first["isDefault"], true, "the app's first variant is its default");
    assert_eq!(first["settings"], settings, "unknown keys are kept as given");
    assert!(first["createdAt"].is_i64() && first["updatedAt"].is_i64());
    let second = variant(&app, json!({"id": "Sales", "name": "Sales"})).await;
    assert_eq!((second["id"].as_str(), &second["isDefault"], &second["settings"]), (Some("sales"), &json!(false), &json!({})));

    let list = app.ok("GET", "/variants", Creds::Admin, None).await;
    assert_eq!(list["meta"]["pagination"]["total"], 2);
    let ids: Vec<&str> = list["data"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first_id.as_str(), "sales"]);
    let paged = app.ok("GET", "/variants?perPage=1&page=2", Creds::Admin, None).await;
    assert_eq!((paged["data"][0]["id"].as_str(), &paged["meta"]["pagination"]["totalPages"]), (Some("sales"), &json!(2)));
    assert_eq!(app.ok("GET", &format!("/variants/{first_id}"), Creds::Admin, None).await["data"], first);
    assert_eq!(app.ok("GET", "/variants/SALES", Creds::Admin, None).await["data"]["id"], "sales", "ids are case-insensitive");

    // Settings are replaced whole; the name stays unless given.
    let replaced = json!({"layout": {"tabs": ["chats", "users"]}});
    let changed = app.ok("PUT", "/variants/sales", Creds::Admin, Some(json!({"settings": replaced}))).await["data"].clone();
    assert_eq!((&changed["settings"], &changed["name"]), (&replaced, &json!("Sales")));
    let renamed = app.ok("PUT", "/variants/sales", Creds::Admin, Some(json!({"name": "Sales desk"}))).await["data"].clone();
    assert_eq!((&renamed["settings"], &renamed["name"]), (&replaced, &json!("Sales desk")));

    // Making one default takes it from the other.
    let made_default = app.ok("PUT", "/variants/sales", Creds::Admin, Some(json!({"isDefault": true}))).await["data"].clone();
    assert_eq!(made_default["isDefault"], true);
    assert_eq!(app.ok("GET", &format!("/variants/{first_id}"), Creds::Admin, None).await["data"]["isDefault"], false);
    let list = app.ok("GET", "/variants", Creds::Admin, None).await;
    assert_eq!(list["data"][0]["id"], "sales", "the default is listed first");
    let refused = app.refused("PUT", "/variants/sales", Creds::Admin, Some(json!({"isDefault": false})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(refused["details"]["field"], "isDefault");

    // Deleting the default makes the oldest remaining one default.
    let third = variant(&app, json!({"id": "third", "name": "Third"})).await;
    assert_eq!(third["isDefault"], false);
    let deleted = app.ok("DELETE", "/variants/sales", Creds::Admin, None).await;
    assert_eq!(deleted["data"]["success"], true);
    assert_eq!(app.ok("GET", &format!("/variants/{first_id}"), Creds::Admin, None).await["data"]["isDefault"], true);
    assert_eq!(app.ok("GET", "/variants/third", Creds::Admin, None).await["data"]["isDefault"], false);

    // Gone, unknown or malformed ids: 404 naming the id.
    for (method, path, body) in [
        ("GET", "/variants/sales", None),
        ("PUT", "/variants/sales", Some(json!({"name": "x"}))),
        ("DELETE", "/variants/sales", None),
        ("GET", "/variants/not%20an%20id", None),
    ] {
        let err = app.refused(method, path, Creds::Admin, body, 404, "ERR_VARIANT_NOT_FOUND").await;
        assert_eq!(err["details"]["field"], "id", "{method} {path}");
    }
    let taken = app.refused("POST", "/variants", Creds::Admin, Some(json!({"id": "THIRD", "name": "Again"})), 409, "ERR_VARIANT_ALREADY_EXISTS").await;
    assert_eq!(taken["details"]["field"], "id");
}

#[tokio::test]
async fn variant_ids_are_unique_on_the_server_and_variants_stay_in_their_app() {
    let app = TestApp::start(&[]);
    let other = app.other_app();
    variant(&app, json!({"id": "shared", "name": "Mine"})).await;
    let (status, body) = other_app_call(&app, &other, reqwest::Method::POST, "/variants", json!({"id": "shared", "name": "Theirs"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("ERR_VARIANT_ALREADY_EXISTS")), "{body}");
    let (status, body) = other_app_call(&app, &other, reqwest::Method::GET, "/variants/shared", json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("ERR_VARIANT_NOT_FOUND")), "another app's variant");
    let (status, body) = other_app_call(&app, &other, reqwest::Method::DELETE, "/variants/shared", json!({})).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(app.ok("GET", "/variants/shared", Creds::Admin, None).await["data"]["name"], "Mine");
}

#[tokio::test]
async fn only_the_rest_api_key_manages_variants() {
    let app = TestApp::start(&[]);
    variant(&app, json!({"id": "v1", "name": "One"})).await;
    let token = app.user_with_token("ann").await;
    for creds in [Creds::AuthKey, Creds::Token(&token)] {
        app.refused("GET", "/variants", creds, None, 403, "AUTH_ERR_NO_ACCESS").await;
        app.refused("POST", "/variants", creds, Some(json!({"name": "x"})), 403, "AUTH_ERR_NO_ACCESS").await;
        app.refused("PUT", "/variants/v1", creds, Some(json!({"name": "x"})), 403, "AUTH_ERR_NO_ACCESS").await;
        app.refused("DELETE", "/variants/v1", creds, None, 403, "AUTH_ERR_NO_ACCESS").await;
    }
    app.refused("GET", "/variants", Creds::None, None, 401, "AUTH_ERR_APIKEY_NOT_FOUND").await;
    assert_eq!(app.ok("GET", "/variants/v1", Creds::Admin, None).await["data"]["name"], "One");
}

#[tokio::test]
async fn settings_are_checked_with_the_path_of_the_field_at_fault() {
    let app = TestApp::start(&[]);
    let cases = [
        (json!({"style": {"color": {"brandColor": "red"}}}), "settings.style.color.brandColor"),
        (json!({"style": {"theme": "neon"}}), "settings.style.theme"),
        (json!({"style": {"typography": {"font": "x;}body{color:red"}}}), "settings.style.typography.font"),
        (json!({"layout": {"tabs": ["chats", "inbox"]}}), "settings.layout.tabs[1]"),
        (json!({"layout": {"tabs": ["users", "users"]}}), "settings.layout.tabs[1]"),
        (json!({"layout": {"compactMessageComposer": "yes"}}), "settings.layout.compactMessageComposer"),
        (json!({"chatFeatures": {"coreMessagingExperience": {"typingIndicator": "off"}}}), "settings.chatFeatures.coreMessagingExperience.typingIndicator"),
        (json!({"noCode": {"styles": {"openIcon": "javascript:alert(1)"}}}), "settings.noCode.styles.openIcon"),
        (json!({"noCode": {"styles": {"closeIcon": "<svg onload=alert(1)></svg>"}}}), "settings.noCode.styles.closeIcon"),
        (json!({"noCode": {"styles": {"buttonShape": "blob"}}}), "settings.noCode.styles.buttonShape"),
        (json!({"texts": {"de": {"title": 42}}}), "settings.texts.de.title"),
        (json!({"texts": {"not a language": {"title": "x"}}}), "settings.texts.not a language"),
        (json!({"texts": {"de": {"welcome": "x".repeat(501)}}}), "settings.texts.de.welcome"),
        (json!(["not", "an", "object"]), "settings"),
    ];
    for (settings, field) in cases {
        let err = app.refused("POST", "/variants", Creds::Admin, Some(json!({"name": "Bad", "settings": settings})), 400, "ERR_BAD_REQUEST").await;
        assert_eq!(err["details"]["field"], field, "{settings}");
    }
    let big = json!({"unknownButHuge": "x".repeat(70 * 1024)});
    let err = app.refused("POST", "/variants", Creds::Admin, Some(json!({"name": "Big", "settings": big})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!((&err["details"]["field"], &err["details"]["limit"]), (&json!("settings"), &json!(64 * 1024)));
    let err = app.refused("POST", "/variants", Creds::Admin, Some(json!({"name": " "})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(err["details"]["field"], "name");
    let err = app.refused("POST", "/variants", Creds::Admin, Some(json!({"name": "x", "id": "a b"})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(err["details"]["field"], "id");
    let err = app.refused("POST", "/variants", Creds::Admin, Some(json!({"name": "x", "colour": "red"})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(err["details"]["field"], "colour", "unknown fields of the body itself are refused");
    assert_eq!(app.ok("GET", "/variants", Creds::Admin, None).await["meta"]["pagination"]["total"], 0, "nothing was stored");

    // An update is checked the same way and changes nothing when refused.
    variant(&app, json!({"id": "v1", "name": "One", "settings": {"style": {"theme": "light"}}})).await;
    let err = app.refused("PUT", "/variants/v1", Creds::Admin, Some(json!({"settings": {"style": {"theme": 1}}})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(err["details"]["field"], "settings.style.theme");
    assert_eq!(app.ok("GET", "/variants/v1", Creds::Admin, None).await["data"]["settings"], json!({"style": {"theme": "light"}}));
    // customJs and customCss are kept as strings (never run).
    let kept = json!({"noCode": {"styles": {"customJs": "alert(1)", "customCss": "body{display:none}"}}});
    let stored = app.ok("PUT", "/variants/v1", Creds::Admin, Some(json!({"settings": kept}))).await;
    assert_eq!(stored["data"]["settings"], kept);
}

/// A public GET of `path` on the server (no credentials), with `if_none_match` when given.
async fn public_get(app: &TestApp, path: &str, if_none_match: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(app.server.url(path)).header("origin", "https://shop.example");
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    request.send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn builders_are_served_without_credentials_with_cors_and_etags() {
    let app = TestApp::start(&[]);
    let settings = json!({"style": {"theme": "dark"}, "noCode": {"docked": true}, "someday": 1});
    variant(&app, json!({"id": "main", "name": "Main", "settings": settings})).await;
    variant(&app, json!({"id": "alt", "name": "Alt"})).await;

    let response = public_get(&app, "/v1/builders/main", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "access-control-allow-origin"), "*");
    assert_eq!(header(&response, "cache-control"), "no-cache");
    let etag = header(&response, "etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"data": {"type": "chat", "variantID": "main", "settings": settings}}));

    // The same answer again: 304 without a body, with the same headers.
    let again = public_get(&app, "/v1/builders/main", Some(&etag)).await;
    assert_eq!(again.status(), 304);
    assert_eq!((header(&again, "etag"), header(&again, "access-control-allow-origin")), (etag.as_str(), "*"));
    assert!(again.bytes().await.unwrap().is_empty());
    // Once the settings change, the old tag no longer matches.
    app.ok("PUT", "/variants/main", Creds::Admin, Some(json!({"settings": {"style": {"theme": "light"}}}))).await;
    let changed = public_get(&app, "/v1/builders/main", Some(&etag)).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(header(&changed, "etag"), etag);
    assert_eq!(changed.json::<Value>().await.unwrap()["data"]["settings"], json!({"style": {"theme": "light"}}));

    let missing = public_get(&app, "/v1/builders/nope", None).await;
    assert_eq!((missing.status().as_u16(), header(&missing, "access-control-allow-origin")), (404, "*"));
    assert_eq!(missing.json::<Value>().await.unwrap()["error"]["code"], "ERR_BUILDER_NOT_FOUND");
    let malformed = public_get(&app, "/v1/builders/a%20b", None).await;
    assert_eq!(malformed.json::<Value>().await.unwrap()["error"]["code"], "ERR_BUILDER_NOT_FOUND");

    // The app's list: the default first.
    app.ok("PUT", "/variants/alt", Creds::Admin, Some(json!({"isDefault": true}))).await;
    let app_id = app.cred("appId");
    let list = public_get(&app, &format!("/v1/apps/{app_id}/builders?type=low-code"), None).await;
    assert_eq!((list.status().as_u16(), header(&list, "access-control-allow-origin")), (200, "*"));
    let list_tag = header(&list, "etag").to_owned();
    let body: Value = list.json().await.unwrap();
    assert_eq!(body, json!({"data": [{"variantID": "alt", "settings": {}}, {"variantID": "main", "settings": {"style": {"theme": "light"}}}]}));
    assert_eq!(public_get(&app, &format!("/v1/apps/{app_id}/builders?type=low-code"), Some(&list_tag)).await.status(), 304);

    let other = app.other_app();
    let empty = public_get(&app, &format!("/v1/apps/{}/builders?type=low-code", other["appId"].as_str().unwrap()), None).await;
    assert_eq!(empty.json::<Value>().await.unwrap(), json!({"data": []}), "an app without variants lists none");
    let unknown = public_get(&app, "/v1/apps/no-such-app/builders?type=low-code", None).await;
    assert_eq!((unknown.status().as_u16(), header(&unknown, "access-control-allow-origin")), (404, "*"));
    assert_eq!(unknown.json::<Value>().await.unwrap()["error"]["code"], "ERR_APP_NOT_FOUND");
    let wrong_type = public_get(&app, &format!("/v1/apps/{app_id}/builders?type=agent"), None).await;
    assert_eq!(wrong_type.status(), 400);
}

#[tokio::test]
async fn sign_in_takes_only_a_variant_of_the_app() {
    let app = TestApp::start(&[]);
    let other = app.other_app();
    variant(&app, json!({"id": "mine", "name": "Mine"})).await;
    let (status, _) = other_app_call(&app, &other, reqwest::Method::POST, "/variants", json!({"id": "theirs", "name": "Theirs"})).await;
    assert_eq!(status, 200);

    for (path, body) in [
        ("/auth/guest", json!({"variantID": "theirs"})),
        ("/auth/uid", json!({"uid": "ann", "variantID": "theirs"})),
        ("/auth/guest", json!({"variantID": "nope"})),
    ] {
        let err = app.refused("POST", path, Creds::AuthKey, Some(body), 404, "ERR_VARIANT_NOT_FOUND").await;
        assert_eq!(err["details"]["field"], "variantID", "{path}");
    }
    let users = app.ok("GET", "/users", Creds::Admin, None).await;
    assert_eq!(users["meta"]["pagination"]["total"], 0, "a refused sign-in makes no user: {users}");

    let guest = app.ok("POST", "/auth/guest", Creds::AuthKey, Some(json!({"variantID": "MINE"}))).await;
    assert!(guest["data"]["authToken"].is_string());
    // A token from the REST API signs in with a variant too; another app's is refused.
    let token = app.user_with_token("bob").await;
    let err = app.refused("POST", "/auth/token", Creds::None, Some(json!({"authToken": token, "variantID": "theirs"})), 404, "ERR_VARIANT_NOT_FOUND").await;
    assert_eq!(err["details"]["field"], "variantID");
    let signed_in = app.ok("POST", "/auth/token", Creds::None, Some(json!({"authToken": token, "variantID": "mine"}))).await;
    assert_eq!(signed_in["data"]["user"]["uid"], "bob");
}

#[tokio::test]
async fn typing_from_a_session_whose_variant_turns_it_off_is_refused_and_never_relayed() {
    let app = TestApp::start(&[]);
    variant(&app, json!({"id": "chatty", "name": "Chatty"})).await;
    let quiet = switched_off(&[("coreMessagingExperience", "typingIndicator")]);
    variant(&app, json!({"id": "quiet", "name": "Quiet", "settings": quiet})).await;
    let ann = session(&app, "ann", Some("quiet")).await;
    let bob = session(&app, "bob", None).await;
    let (mut ann_device, _) = Device::connect(&app, &ann, None).await;
    let (mut bob_device, _) = Device::connect(&app, &bob, None).await;
    let typing = |to: &str| json!({"type": "typing", "receiver": to, "receiverType": "user", "state": "started"});

    ann_device.send(typing("bob")).await;
    let refused = ann_device.next_of("error").await;
    assert_eq!(refused["error"]["code"], "ERR_FEATURE_DISABLED", "{refused}");
    assert_eq!(refused["error"]["details"]["field"], "typing");
    assert!(!bob_device.gets_within("typing", Duration::from_millis(1200)).await, "a refused typing frame must not be relayed");

    // Bob's session has the default variant (chatty): his typing is relayed.
    bob_device.send(typing("ann")).await;
    let relayed = ann_device.next_of("typing").await;
    assert_eq!((relayed["sender"].as_str(), relayed["state"].as_str()), (Some("bob"), Some("started")));

    // Once the variant turns typing back on, a new frame is relayed (this node forgets its cache at once).
    app.ok("PUT", "/variants/quiet", Creds::Admin, Some(json!({"settings": {}}))).await;
    ann_device.send(typing("bob")).await;
    assert_eq!(bob_device.next_of("typing").await["sender"], "ann");
}

#[tokio::test]
async fn a_default_variant_that_turns_typing_off_applies_to_sessions_without_one() {
    let app = TestApp::start(&[]);
    let quiet = switched_off(&[("coreMessagingExperience", "typingIndicator")]);
    variant(&app, json!({"id": "quiet", "name": "Quiet", "settings": quiet})).await;
    let ann = session(&app, "ann", None).await;
    session(&app, "bob", None).await;
    let (mut device, _) = Device::connect(&app, &ann, None).await;
    device.send(json!({"type": "typing", "receiver": "bob", "receiverType": "user", "state": "started"})).await;
    assert_eq!(device.next_of("error").await["error"]["code"], "ERR_FEATURE_DISABLED");
}

#[tokio::test]
async fn group_and_message_features_a_variant_turns_off_are_refused_to_its_sessions_only() {
    let app = TestApp::start(&[]);
    variant(&app, json!({"id": "full", "name": "Full"})).await;
    let locked = switched_off(&[
        ("groupManagement", "createGroup"),
        ("groupManagement", "joinLeaveGroup"),
        ("coreMessagingExperience", "editMessage"),
        ("coreMessagingExperience", "deleteMessage"),
    ]);
    variant(&app, json!({"id": "locked", "name": "Locked", "settings": locked})).await;
    let ann = session(&app, "ann", Some("locked")).await;
    let bob = session(&app, "bob", Some("full")).await;
    let group = |guid: &str| json!({"guid": guid, "name": guid, "type": "public"});

    let err = app.refused("POST", "/groups", Creds::Token(&ann), Some(group("anns")), 403, "ERR_FEATURE_DISABLED").await;
    assert_eq!(err["details"]["field"], "chatFeatures.groupManagement.createGroup");
    app.ok("POST", "/groups", Creds::Token(&bob), Some(group("bobs"))).await;
    // The REST API key is never restricted by a variant, not even acting as the session's user.
    app.ok("POST", "/groups", Creds::As("ann"), Some(group("made-for-ann"))).await;

    let err = app.refused("POST", "/groups/bobs/join", Creds::Token(&ann), None, 403, "ERR_FEATURE_DISABLED").await;
    assert_eq!(err["details"]["field"], "chatFeatures.groupManagement.joinLeaveGroup");
    let err = app.refused("POST", "/groups/made-for-ann/leave", Creds::Token(&ann), None, 403, "ERR_FEATURE_DISABLED").await;
    assert_eq!(err["details"]["field"], "chatFeatures.groupManagement.joinLeaveGroup");

    let sent = app.ok("POST", "/messages", Creds::Token(&ann), Some(json!({"receiver": "bob", "receiverType": "user", "category": "message", "type": "text", "data": {"text": "hi"}}))).await;
    let id = sent["data"]["id"].as_str().unwrap().to_owned();
    let err = app.refused("PUT", &format!("/messages/{id}"), Creds::Token(&ann), Some(json!({"data": {"text": "edited"}})), 403, "ERR_FEATURE_DISABLED").await;
    assert_eq!(err["details"]["field"], "chatFeatures.coreMessagingExperience.editMessage");
    let err = app.refused("DELETE", &format!("/messages/{id}"), Creds::Token(&ann), None, 403, "ERR_FEATURE_DISABLED").await;
    assert_eq!(err["details"]["field"], "chatFeatures.coreMessagingExperience.deleteMessage");
    let message = app.ok("GET", &format!("/messages/{id}"), Creds::Admin, None).await;
    assert_eq!(message["data"]["data"]["text"], "hi", "nothing changed");

    // The variant deleted, ann's session falls back to the default (full), which allows it all.
    app.ok("DELETE", "/variants/locked", Creds::Admin, None).await;
    app.ok("POST", "/groups", Creds::Token(&ann), Some(group("anns"))).await;
    app.ok("PUT", &format!("/messages/{id}"), Creds::Token(&ann), Some(json!({"data": {"text": "edited"}}))).await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_variant_routes() {
    let app = TestApp::start(&[]);
    let doc: Value = reqwest::get(app.server.url("/v3/openapi.json")).await.unwrap().json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for path in ["/v3/variants", "/v3/variants/{id}"] {
        assert!(paths.contains_key(path), "{path} missing from the OpenAPI document");
    }
    for method in ["get", "post"] {
        assert!(paths["/v3/variants"][method].is_object(), "{method} /v3/variants");
    }
    for method in ["get", "put", "delete"] {
        assert!(paths["/v3/variants/{id}"][method].is_object(), "{method} /v3/variants/{{id}}");
    }
    for schema in ["Variant", "CreateVariant", "UpdateVariant"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    assert!(doc["components"]["schemas"]["GuestSignIn"]["properties"]["variantID"].is_object());
}
