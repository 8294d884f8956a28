//! Rich messaging against a real server: reactions, thread replies, quoted replies, mentions, search and
//! marking unread, over REST and the WebSocket, with their limits, their refusals (reach, membership, blocks)
//! and the variant switches that turn them off.

mod common;

use common::{Creds, Device, TestApp};
use serde_json::{json, Value};

async fn users(app: &TestApp, uids: &[&str]) {
    for uid in uids {
        app.user(uid).await;
    }
}

fn text_to(to: &str, text: &str) -> Value {
    json!({"receiver": to, "receiverType": "user", "type": "text", "data": {"text": text}})
}

fn text_in(guid: &str, text: &str) -> Value {
    json!({"receiver": guid, "receiverType": "group", "type": "text", "data": {"text": text}})
}

async fn send(app: &TestApp, from: &str, body: Value) -> Value {
    app.ok("POST", "/messages", Creds::As(from), Some(body)).await["data"].clone()
}

fn id(message: &Value) -> &str {
    message["id"].as_str().unwrap()
}

/// `reaction` percent-encoded for a path.
fn encoded(reaction: &str) -> String {
    reaction.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn reaction_path(message: &Value, reaction: &str) -> String {
    format!("/messages/{}/reactions/{}", id(message), encoded(reaction))
}

/// (emoji, count, reactedByMe) of a message's reactions.
fn counts(message: &Value) -> Vec<(String, u64, Option<bool>)> {
    message["data"]["reactions"]
        .as_array()
        .map(|list| list.iter().map(|c| (c["reaction"].as_str().unwrap().to_owned(), c["count"].as_u64().unwrap(), c["reactedByMe"].as_bool())).collect())
        .unwrap_or_default()
}

fn texts(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|m| m["data"]["text"].as_str().unwrap_or("").to_owned()).collect()
}

async fn group(app: &TestApp, guid: &str, owner: &str, participants: &[&str]) {
    let body = json!({"guid": guid, "name": guid, "type": "public", "owner": owner, "members": {"participants": participants}});
    app.ok("POST", "/groups", Creds::Admin, Some(body)).await;
}

#[tokio::test]
async fn reactions_count_per_emoji_live_for_everyone_and_only_in_reach() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let bob = app.user_with_token("bob").await;
    users(&app, &["eve"]).await;
    let message = send(&app, "ann", text_to("bob", "Lunch at noon?")).await;
    let (mut anns_device, _) = Device::connect(&app, &ann, None).await;

    let given = app.ok("POST", &reaction_path(&message, "👍"), Creds::Token(&bob), None).await["data"].clone();
    assert_eq!(counts(&given), [("👍".to_owned(), 1, Some(true))]);
    assert_eq!(given["data"]["reactions"][0]["uids"], json!(["bob"]));
    let again = app.ok("POST", &reaction_path(&message, "👍"), Creds::Token(&bob), None).await["data"].clone();
    assert_eq!(counts(&again), [("👍".to_owned(), 1, Some(true))], "giving it again changes nothing");
    let both = app.ok("POST", &reaction_path(&message, "👍"), Creds::Token(&ann), None).await["data"].clone();
    assert_eq!(counts(&both), [("👍".to_owned(), 2, Some(true))]);

    // Ann's device hears of each change as an action message of type `reaction` with the counts after it.
    let record = loop {
        let frame = anns_device.next_of("message").await;
        if frame["message"]["type"] == "reaction" && frame["message"]["sender"] == "ann" {
            break frame["message"].clone();
        }
    };
    assert_eq!(record["category"], "action");
    assert_eq!(record["data"]["action"], "reactionAdded");
    assert_eq!(record["data"]["entities"]["on"]["id"], message["id"]);
    assert_eq!(record["data"]["entities"]["extra"]["reaction"], "👍");
    assert_eq!(record["data"]["entities"]["extra"]["reactions"][0]["count"], 2);

    // Each reader sees their own marked; lists leave the records out; the conversation did not move.
    let seen_by_bob = app.ok("GET", &format!("/messages/{}", id(&message)), Creds::Token(&bob), None).await["data"].clone();
    assert_eq!(counts(&seen_by_bob), [("👍".to_owned(), 2, Some(true))]);
    let list = app.ok("GET", "/users/bob/messages", Creds::Token(&ann), None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    let conversation = app.ok("GET", "/users/ann/conversation", Creds::Token(&bob), None).await["data"].clone();
    assert_eq!(conversation["lastMessage"]["id"], message["id"]);
    assert_eq!(conversation["unreadMessageCount"], 1);

    let listed = app.ok("GET", &format!("/messages/{}/reactions", id(&message)), Creds::Token(&ann), None).await;
    let who: Vec<(&str, &str)> = listed["data"].as_array().unwrap().iter().map(|r| (r["uid"].as_str().unwrap(), r["reactedBy"]["name"].as_str().unwrap())).collect();
    assert_eq!(who, [("bob", "User bob"), ("ann", "User ann")]);

    let taken = app.ok("DELETE", &reaction_path(&message, "👍"), Creds::Token(&bob), None).await["data"].clone();
    assert_eq!(counts(&taken), [("👍".to_owned(), 1, Some(false))]);
    let err = app.refused("DELETE", &reaction_path(&message, "👍"), Creds::Token(&bob), None, 404, "ERR_REACTION_NOT_FOUND").await;
    assert_eq!(err["details"]["field"], "reaction");

    // Bad reactions, and messages out of reach.
    for bad in ["a b", "x".repeat(21).as_str()] {
        let err = app.refused("POST", &reaction_path(&message, bad), Creds::Token(&bob), None, 400, "ERR_BAD_REQUEST").await;
        assert_eq!(err["details"]["field"], "reaction");
    }
    app.refused("POST", &reaction_path(&message, "👍"), Creds::As("eve"), None, 404, "ERR_MESSAGE_NOT_FOUND").await;
    app.refused("POST", &reaction_path(&message, "👍"), Creds::Admin, None, 400, "ERR_ON_BEHALF_OF_REQUIRED").await;
    app.ok("POST", "/users/ann/blockedusers", Creds::Admin, Some(json!({"blockedUids": ["bob"]}))).await;
    app.refused("POST", &reaction_path(&message, "🎉"), Creds::Token(&bob), None, 403, "ERR_BLOCKED_RECEIVER").await;
}

#[tokio::test]
async fn reaction_limits_and_group_membership_apply() {
    let app = TestApp::start(&[]);
    users(&app, &["ann", "bob", "carl"]).await;
    group(&app, "team", "ann", &["bob", "carl"]).await;
    let message = send(&app, "ann", text_in("team", "Ship it?")).await;
    for e in ["😀", "😁", "😂", "🤣", "😃"] {
        app.ok("POST", &reaction_path(&message, e), Creds::As("bob"), None).await;
    }
    let err = app.refused("POST", &reaction_path(&message, "😄"), Creds::As("bob"), None, 400, "ERR_BAD_REQUEST").await;
    assert_eq!((err["details"]["field"].as_str(), err["details"]["limit"].as_u64()), (Some("reaction"), Some(5)));
    app.ok("POST", &reaction_path(&message, "😀"), Creds::As("carl"), None).await;
    app.ok("POST", "/groups/team/leave", Creds::As("carl"), None).await;
    app.refused("POST", &reaction_path(&message, "😁"), Creds::As("carl"), None, 404, "ERR_MESSAGE_NOT_FOUND").await;
    app.refused("DELETE", &reaction_path(&message, "😀"), Creds::As("carl"), None, 404, "ERR_MESSAGE_NOT_FOUND").await;
    // A deleted message takes no reaction, and an action message none either.
    app.ok("DELETE", &format!("/messages/{}", id(&message)), Creds::As("ann"), None).await;
    app.refused("POST", &reaction_path(&message, "😀"), Creds::As("bob"), None, 404, "ERR_MESSAGE_NOT_FOUND").await;
}

#[tokio::test]
async fn a_device_back_from_away_hears_of_the_reactions_it_missed() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    users(&app, &["bob"]).await;
    let message = send(&app, "ann", text_to("bob", "hello")).await;
    app.ok("POST", &reaction_path(&message, "❤️"), Creds::As("bob"), None).await;
    let (mut device, _) = Device::connect(&app, &ann, Some(id(&message))).await;
    let replayed = device.next_of("message").await;
    assert_eq!(replayed["message"]["type"], "reaction");
    assert_eq!(replayed["message"]["data"]["entities"]["extra"]["reactions"][0]["reaction"], "❤️");
    device.next_of("caughtUp").await;
}

#[tokio::test]
async fn thread_replies_count_on_their_parent_and_are_one_level_deep() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    users(&app, &["bob", "carl"]).await;
    let parent = send(&app, "ann", text_to("bob", "Which plan?")).await;
    let mut body = text_to("ann", "The yearly one");
    body["parentId"] = json!(parent["id"]);
    let reply = send(&app, "bob", body).await;
    assert_eq!(reply["parentId"], parent["id"]);
    let second = app.ok("POST", &format!("/messages/{}/thread", id(&parent)), Creds::Token(&ann), Some(text_to("bob", "Agreed"))).await["data"].clone();
    assert_eq!(second["parentId"], parent["id"]);
    send(&app, "ann", text_to("bob", "Unrelated")).await;

    let parent_now = app.ok("GET", &format!("/messages/{}", id(&parent)), Creds::Token(&ann), None).await["data"].clone();
    assert_eq!(parent_now["replyCount"], 2);
    assert_eq!(parent_now["lastReplyAt"], second["sentAt"]);
    let thread = app.ok("GET", &format!("/messages/{}/thread", id(&parent)), Creds::Token(&ann), None).await;
    assert_eq!(texts(&thread), ["The yearly one", "Agreed"]);
    let main = app.ok("GET", "/users/bob/messages?hideReplies=true", Creds::Token(&ann), None).await;
    assert_eq!(texts(&main), ["Which plan?", "Unrelated"]);

    // One level deep, in the same conversation, to a message that is there.
    let mut nested = text_to("ann", "deeper");
    nested["parentId"] = json!(reply["id"]);
    let err = app.refused("POST", "/messages", Creds::As("bob"), Some(nested), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(err["details"]["field"], "parentId");
    let elsewhere = send(&app, "bob", text_to("carl", "hi carl")).await;
    let mut across = text_to("bob", "sneaky");
    across["parentId"] = json!(elsewhere["id"]);
    let err = app.refused("POST", "/messages", Creds::Token(&ann), Some(across), 404, "ERR_MESSAGE_NOT_FOUND").await;
    assert_eq!(err["details"]["field"], "parentId");
    app.refused("GET", &format!("/messages/{}/thread", id(&elsewhere)), Creds::Token(&ann), None, 404, "ERR_MESSAGE_NOT_FOUND").await;
    let mut junk = text_to("bob", "x");
    junk["parentId"] = json!("nope");
    app.refused("POST", "/messages", Creds::Token(&ann), Some(junk), 400, "ERR_BAD_REQUEST").await;
}

#[tokio::test]
async fn a_quoted_reply_carries_the_message_it_quotes_everywhere() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let bob = app.user_with_token("bob").await;
    users(&app, &["carl"]).await;
    let original = send(&app, "ann", text_to("bob", "Is the invoice paid?")).await;
    let (mut anns_device, _) = Device::connect(&app, &ann, None).await;
    let mut body = text_to("ann", "Yes, yesterday");
    body["quotedMessageId"] = json!(original["id"]);
    let quoting = app.ok("POST", "/messages", Creds::Token(&bob), Some(body)).await["data"].clone();
    assert_eq!(quoting["quotedMessageId"], original["id"]);
    assert_eq!(quoting["quotedMessage"]["data"]["text"], "Is the invoice paid?");
    let live = anns_device.next_of("message").await;
    assert_eq!(live["message"]["quotedMessage"]["id"], original["id"]);
    let list = app.ok("GET", "/users/bob/messages", Creds::Token(&ann), None).await;
    assert_eq!(list["data"][1]["quotedMessage"]["data"]["text"], "Is the invoice paid?");

    // Deleted later: the quote shows it deleted, without its text.
    app.ok("DELETE", &format!("/messages/{}", id(&original)), Creds::Token(&ann), None).await;
    let now = app.ok("GET", &format!("/messages/{}", id(&quoting)), Creds::Token(&ann), None).await["data"].clone();
    assert!(now["quotedMessage"]["deletedAt"].as_i64().is_some(), "{now}");
    assert!(now["quotedMessage"]["data"]["text"].is_null());

    let elsewhere = send(&app, "carl", text_to("bob", "private")).await;
    let mut across = text_to("bob", "quote");
    across["quotedMessageId"] = json!(elsewhere["id"]);
    let err = app.refused("POST", "/messages", Creds::Token(&ann), Some(across), 404, "ERR_MESSAGE_NOT_FOUND").await;
    assert_eq!(err["details"]["field"], "quotedMessageId");
}

#[tokio::test]
async fn mentions_name_only_members_who_may_be_told_and_count_as_unread_mentions() {
    let app = TestApp::start(&[]);
    users(&app, &["ann", "bob", "carl", "dora", "zed"]).await;
    group(&app, "team", "ann", &["bob", "carl", "dora"]).await;
    app.ok("POST", "/users/dora/blockedusers", Creds::Admin, Some(json!({"blockedUids": ["ann"]}))).await;
    let sent = send(&app, "ann", text_in("team", "<@uid:bob> and <@uid:CARL>, see <@uid:zed> and <@uid:dora> <@uid:nobody>")).await;
    let named: Vec<(&str, &str)> = sent["mentionedUsers"].as_array().unwrap().iter().map(|u| (u["uid"].as_str().unwrap(), u["name"].as_str().unwrap())).collect();
    assert_eq!(named, [("bob", "User bob"), ("carl", "User carl")], "not a non-member, not someone who blocked ann, not a stranger");
    let bobs = app.ok("GET", "/groups/team/conversation", Creds::As("bob"), None).await["data"].clone();
    assert_eq!((bobs["unreadMessageCount"].as_u64(), bobs["unreadMentionsCount"].as_u64()), (Some(1), Some(1)));
    let doras = app.ok("GET", "/groups/team/conversation", Creds::As("dora"), None).await["data"].clone();
    assert_eq!(doras["unreadMentionsCount"], 0);

    let many: String = (0..11).map(|n| format!("<@uid:u{n}> ")).collect();
    let err = app.refused("POST", "/messages", Creds::As("ann"), Some(text_in("team", &many)), 400, "ERR_BAD_REQUEST").await;
    assert_eq!((err["details"]["field"].as_str(), err["details"]["limit"].as_u64()), (Some("data.text"), Some(10)));
    let direct = send(&app, "bob", text_to("ann", "thanks <@uid:ann>, cc <@uid:carl>")).await;
    let direct_named: Vec<&str> = direct["mentionedUsers"].as_array().unwrap().iter().map(|u| u["uid"].as_str().unwrap()).collect();
    assert_eq!(direct_named, ["ann"], "a 1:1 message mentions only who reads it");
}

#[tokio::test]
async fn search_finds_words_only_in_what_the_user_may_read() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let carl = app.user_with_token("carl").await;
    users(&app, &["bob"]).await;
    group(&app, "team", "ann", &["bob"]).await;
    send(&app, "bob", text_to("ann", "The shipping invoice is late")).await;
    send(&app, "ann", text_in("team", "Invoices are due Friday")).await;
    send(&app, "bob", text_to("carl", "carl's invoice")).await;
    send(&app, "bob", text_to("ann", "nothing here")).await;

    let everywhere = app.ok("GET", "/messages?searchKey=invoice", Creds::Token(&ann), None).await;
    assert_eq!(texts(&everywhere), ["The shipping invoice is late", "Invoices are due Friday"]);
    let in_dm = app.ok("GET", "/users/bob/messages?searchKey=ship%20inv", Creds::Token(&ann), None).await;
    assert_eq!(texts(&in_dm), ["The shipping invoice is late"]);
    let in_group = app.ok("GET", "/groups/team/messages?searchKey=friday", Creds::Token(&ann), None).await;
    assert_eq!(texts(&in_group), ["Invoices are due Friday"]);
    let carls = app.ok("GET", "/messages?searchKey=invoice", Creds::Token(&carl), None).await;
    assert_eq!(texts(&carls), ["carl's invoice"]);
    app.refused("GET", "/groups/team/messages?searchKey=friday", Creds::Token(&carl), None, 403, "ERR_GROUP_NOT_JOINED").await;
    let odd = app.ok("GET", "/messages?searchKey=%22NEAR(%20OR%20*", Creds::Token(&ann), None).await;
    assert!(odd["data"].as_array().unwrap().is_empty(), "query syntax is text: {odd}");

    let long = "a".repeat(101);
    let err = app.refused("GET", &format!("/messages?searchKey={long}"), Creds::Token(&ann), None, 400, "ERR_BAD_REQUEST").await;
    assert_eq!(err["details"]["field"], "searchKey");
    let err = app.refused("GET", "/messages?searchKey=invoice&limit=101", Creds::Token(&ann), None, 400, "ERR_BAD_REQUEST").await;
    assert_eq!(err["details"]["field"], "limit");
    app.refused("GET", "/messages?searchKey=%20%20", Creds::Token(&ann), None, 400, "ERR_BAD_REQUEST").await;
}

#[tokio::test]
async fn a_conversation_can_be_marked_unread_again() {
    let app = TestApp::start(&[]);
    let bob = app.user_with_token("bob").await;
    users(&app, &["ann"]).await;
    let first = send(&app, "ann", text_to("bob", "one")).await;
    send(&app, "ann", text_to("bob", "two")).await;
    app.ok("POST", "/users/ann/conversation/read", Creds::Token(&bob), Some(json!({}))).await;
    assert_eq!(app.ok("GET", "/users/ann/conversation", Creds::Token(&bob), None).await["data"]["unreadMessageCount"], 0);
    let unread = app.ok("DELETE", "/users/ann/conversation/read", Creds::Token(&bob), None).await["data"].clone();
    assert_eq!(unread["unreadMessageCount"], 1, "from the newest message from ann");
    let from_first = app.ok("DELETE", &format!("/users/ann/conversation/read?messageId={}", id(&first)), Creds::Token(&bob), None).await["data"].clone();
    assert_eq!(from_first["unreadMessageCount"], 2);
    let err = app.refused("DELETE", "/users/ann/conversation/read?messageId=999999", Creds::Token(&bob), None, 404, "ERR_MESSAGE_NOT_FOUND").await;
    assert_eq!(err["details"]["field"], "messageId");
    app.refused("DELETE", "/users/nobody/conversation/read", Creds::Token(&bob), None, 404, "ERR_CONVERSATION_NOT_FOUND").await;
}

#[tokio::test]
async fn a_variant_that_turns_rich_features_off_refuses_them_to_its_sessions() {
    let app = TestApp::start(&[]);
    users(&app, &["ann", "bob"]).await;
    let off = json!({"chatFeatures": {
        "coreMessagingExperience": {"threadConversationAndReplies": false, "quotedReplies": false,
                                     "conversationAndAdvancedSearch": false, "markAsUnread": false},
        "deeperUserEngagement": {"reactions": false, "mentions": false}}});
    app.ok("POST", "/variants", Creds::Admin, Some(json!({"id": "plain", "name": "Plain", "settings": off}))).await;
    let signed_in = app.ok("POST", "/auth/uid", Creds::Admin, Some(json!({"uid": "ann", "variantID": "plain"}))).await;
    let ann = signed_in["data"]["authToken"].as_str().unwrap().to_owned();
    let message = send(&app, "bob", text_to("ann", "hello")).await;

    let refused = |method: &'static str, path: String, body: Option<Value>, field: &'static str| {
        let app = &app;
        let ann = ann.clone();
        async move {
            let err = app.refused(method, &path, Creds::Token(&ann), body, 403, "ERR_FEATURE_DISABLED").await;
            assert_eq!(err["details"]["field"], field, "{method} {path}");
        }
    };
    refused("POST", reaction_path(&message, "👍"), None, "chatFeatures.deeperUserEngagement.reactions").await;
    let mut reply = text_to("bob", "r");
    reply["parentId"] = json!(message["id"]);
    refused("POST", "/messages".into(), Some(reply), "chatFeatures.coreMessagingExperience.threadConversationAndReplies").await;
    let mut quote = text_to("bob", "q");
    quote["quotedMessageId"] = json!(message["id"]);
    refused("POST", "/messages".into(), Some(quote), "chatFeatures.coreMessagingExperience.quotedReplies").await;
    refused("POST", "/messages".into(), Some(text_to("bob", "hi <@uid:bob>")), "chatFeatures.deeperUserEngagement.mentions").await;
    refused("GET", "/messages?searchKey=hello".into(), None, "chatFeatures.coreMessagingExperience.conversationAndAdvancedSearch").await;
    refused("DELETE", "/users/bob/conversation/read".into(), None, "chatFeatures.coreMessagingExperience.markAsUnread").await;

    // The REST API key is never restricted, and the session's plain sends still go.
    app.ok("POST", &reaction_path(&message, "👍"), Creds::As("ann"), None).await;
    app.ok("POST", "/messages", Creds::Token(&ann), Some(text_to("bob", "plain text is fine"))).await;
}
