//! The PostgreSQL backend against a real server: what several nodes on one database rely on (ids commit in
//! id order, deliveries claimed once, leases that end, notifications between stores), and the behaviour
//! it shares with SQLite.
//!
//! They need a PostgreSQL server: `bash scripts/services.sh start && source /tmp/confab-services/env`
//! (which sets `CONFAB_TEST_DATABASE_URL`). Each test makes a database of its own on it.

use confab_protocol::rest::app::UidSignInPolicy;
use confab_protocol::rest::bots::GroupChatSetting;
use confab_protocol::rest::groups::{GroupType, MemberScope};
use confab_protocol::rest::messages::{Category, MessageData, ReceiverType};
use confab_protocol::rest::webhooks::{DeliveryState, WebhookTrigger};
use sqlx::{Connection, Executor, PgConnection};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::PostgresStore;
use crate::store::{
    Attempt, BotRecord, Cursor, DeliveryFilter, GroupStore, HookStore, MemberChange, MessageFilter, MessageStore,
    NewGroup, NewMessage, NewUser, PageRequest, SendOutcome, SendRefusal, SocialStore, Store, TokenLifetime, UserStore,
    WebhookRecord,
};

/// The server the tests use (`CONFAB_TEST_DATABASE_URL`).
fn server_url() -> String {
    std::env::var("CONFAB_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "CONFAB_TEST_DATABASE_URL is not set: the PostgreSQL tests need a server. Start one with \
             `bash scripts/services.sh start` and `source /tmp/confab-services/env`."
        )
    })
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

const TEST_DATABASE_PREFIX: &str = "confab_test_";

/// Drops the test databases of processes that are gone (once per process, on a thread of its own: a drop
/// waits for a checkpoint, about a second each), so runs do not pile up.
fn drop_stale_databases(url: &str) {
    static STARTED: AtomicBool = AtomicBool::new(false);
    if STARTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let url = url.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async move {
            let Ok(mut admin) = PgConnection::connect(&url).await else { return };
            let names: Vec<String> =
                sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'confab\\_test\\_%'")
                    .fetch_all(&mut admin)
                    .await
                    .unwrap_or_default();
            for name in names {
                let pid = name
                    .strip_prefix(TEST_DATABASE_PREFIX)
                    .and_then(|rest| rest.split('_').next())
                    .and_then(|p| p.parse::<u32>().ok());
                let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
                if !alive {
                    let _ = admin.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str()).await;
                }
            }
        });
    });
}

/// A new, empty database on the test server; its URL.
pub(crate) async fn fresh_database() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let url = server_url();
    let mut admin = PgConnection::connect(&url).await.unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    drop_stale_databases(&url);
    let name = format!(
        "{TEST_DATABASE_PREFIX}{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst),
        crate::secrets::random_hex(4)
    );
    admin.execute(format!("CREATE DATABASE \"{name}\"").as_str()).await.expect("create a test database");
    let _ = admin.close().await;
    with_database(&url, &name)
}

/// A store on a new, empty database of the test server (`CONFAB_TEST_DATABASE_URL`; panics when unset).
pub(crate) async fn fresh_store() -> PostgresStore {
    let url = fresh_database().await;
    PostgresStore::open(&url).await.expect("open the store on a fresh database")
}

fn new_user(uid: &str) -> NewUser {
    NewUser {
        uid: uid.into(),
        origin: crate::store::UserOrigin::Api,
        name: uid.into(),
        avatar: None,
        link: None,
        role: "default".into(),
        status_message: None,
        metadata: None,
        tags: Vec::new(),
        created_at: 1,
    }
}

fn text(sender: &str, receiver: &str, receiver_type: ReceiverType, body: &str) -> NewMessage {
    NewMessage {
        sender: sender.into(),
        receiver: receiver.into(),
        receiver_type,
        category: Category::Message,
        message_type: "text".into(),
        data: MessageData { text: Some(body.into()), ..MessageData::default() },
        tags: Vec::new(),
        muid: None,
        sent_at: 1,
        ..NewMessage::default()
    }
}

async fn app_with_users(store: &dyn Store, uids: &[&str]) -> String {
    let app = crate::apps::create_app(store, "Test", "local", UidSignInPolicy::Verified).await.unwrap().app_id;
    for uid in uids {
        store.create_user(&app, &new_user(uid), None).await.unwrap();
    }
    app
}

fn bot_record(uid: &str, setting: GroupChatSetting) -> BotRecord {
    BotRecord {
        uid: uid.into(),
        webhook_url: "https://bots.example.com/".into(),
        enabled: true,
        group_chat_setting: setting,
        basic_auth: None,
        signing_secret: "whsec_x".into(),
        created_at: 1,
        updated_at: None,
    }
}

fn id_of(outcome: &SendOutcome) -> i64 {
    match outcome {
        SendOutcome::Stored { message, .. } => message.id.parse().unwrap(),
        SendOutcome::Refused(r) => panic!("refused: {r:?}"),
    }
}

fn everything_for(uid: &str) -> MessageFilter {
    MessageFilter {
        conversation_id: None,
        participant: Some(uid.into()),
        category: None,
        message_type: None,
        sender: None,
        hide_deleted: false,
        cursor: Cursor::After(Some(0)),
        limit: 100,
        ..MessageFilter::default()
    }
}

const PAGE: PageRequest = PageRequest { per_page: 50, page: 1 };

#[test]
fn urls_get_their_database_replaced() {
    assert_eq!(with_database("postgres://confab@127.0.0.1:55432/postgres", "x"), "postgres://confab@127.0.0.1:55432/x");
    assert_eq!(with_database("postgres://u:p@h/db?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
    assert_eq!(with_database("postgres://h:5432", "x"), "postgres://h:5432/x");
}

/// The core flows, as the SQLite backend behaves: checks, muid, conversations, marks, membership periods,
/// deletion, tokens.
#[tokio::test]
async fn sends_conversations_marks_and_membership_behave_as_on_sqlite() {
    let store = fresh_store().await;
    let app = app_with_users(&store, &["ann", "bob", "cat"]).await;

    // Checks.
    let to_bob = store.send_message(&app, text("ann", "bob", ReceiverType::User, "hi bob")).await.unwrap();
    let first = id_of(&to_bob);
    assert!(matches!(
        store.send_message(&app, text("ann", "nobody", ReceiverType::User, "x")).await.unwrap(),
        SendOutcome::Refused(SendRefusal::NoReceiver)
    ));
    assert!(matches!(
        store.send_message(&app, text("nobody", "bob", ReceiverType::User, "x")).await.unwrap(),
        SendOutcome::Refused(SendRefusal::SenderInactive)
    ));
    store.block(&app, "bob", &["cat".into()], 2).await.unwrap();
    assert!(matches!(
        store.send_message(&app, text("cat", "bob", ReceiverType::User, "x")).await.unwrap(),
        SendOutcome::Refused(SendRefusal::Blocked)
    ));
    assert!(store.blocked_either_way(&app, "cat", "bob").await.unwrap());
    store.unblock(&app, "bob", &["cat".into()]).await.unwrap();
    assert!(!store.has_blocked(&app, "bob", "cat").await.unwrap());

    // Idempotent muid per sender.
    let mut with_muid = text("bob", "ann", ReceiverType::User, "once");
    with_muid.muid = Some("m-1".into());
    let stored = store.send_message(&app, with_muid.clone()).await.unwrap();
    let again = store.send_message(&app, with_muid.clone()).await.unwrap();
    assert!(matches!(stored, SendOutcome::Stored { created: true, .. }));
    assert!(matches!(again, SendOutcome::Stored { created: false, .. }));
    assert_eq!(id_of(&stored), id_of(&again));

    // Conversations, unread and marks (never back).
    let (list, total) = store.conversations(&app, "ann", PAGE).await.unwrap();
    assert_eq!((list.len(), total), (1, 1));
    assert_eq!(list[0].with_id, "bob");
    assert_eq!(list[0].unread, 1);
    assert_eq!(list[0].conversation_id, "ann_user_bob");
    let key = list[0].key.clone();
    store.mark(&app, "ann", &key, id_of(&stored), confab_protocol::realtime::ReceiptKind::Read).await.unwrap();
    store.mark(&app, "ann", &key, first, confab_protocol::realtime::ReceiptKind::Read).await.unwrap();
    assert_eq!(store.conversation(&app, "ann", &key).await.unwrap().unwrap().unread, 0);
    assert!(store.conversation_exists(&app, &key).await.unwrap());

    // Groups: members read from their join on; a leaver keeps what they could read, up to their leave.
    let group = NewGroup {
        guid: "g1".into(),
        name: "Group".into(),
        group_type: GroupType::Public,
        password_hash: None,
        icon: None,
        description: None,
        metadata: Some(serde_json::json!({"k": [1, 2.5, "\u{0}"]})),
        owner: Some("ann".into()),
        tags: vec!["t1".into()],
        created_at: 3,
    };
    let created = store.create_group(&app, &group, &[("ann".into(), MemberScope::Admin)], &[]).await.unwrap();
    assert_eq!(created.group.metadata, group.metadata);
    assert_eq!(created.group.members_count, 1);
    let before_join = id_of(&store.send_message(&app, text("ann", "g1", ReceiverType::Group, "before cat")).await.unwrap());
    assert!(matches!(
        store.send_message(&app, text("cat", "g1", ReceiverType::Group, "x")).await.unwrap(),
        SendOutcome::Refused(SendRefusal::NotMember)
    ));
    let generation = store.membership_generation();
    let join = NewMessage {
        category: Category::Action,
        message_type: "groupMember".into(),
        data: MessageData { action: Some("joined".into()), ..MessageData::default() },
        ..text("cat", "g1", ReceiverType::Group, "")
    };
    store.change_member(&app, "g1", &MemberChange::Join { uid: "cat".into(), scope: MemberScope::Participant }, &join, 4).await.unwrap();
    assert!(store.membership_generation() > generation);
    let after_join = id_of(&store.send_message(&app, text("ann", "g1", ReceiverType::Group, "after cat")).await.unwrap());
    let leave = NewMessage { data: MessageData { action: Some("left".into()), ..MessageData::default() }, ..join.clone() };
    let left = store.change_member(&app, "g1", &MemberChange::Leave { uid: "cat".into() }, &leave, 5).await.unwrap();
    store.send_message(&app, text("ann", "g1", ReceiverType::Group, "after leave")).await.unwrap();
    let seen: Vec<String> =
        store.list_messages(&app, &everything_for("cat")).await.unwrap().into_iter().map(|m| m.id).collect();
    assert!(!seen.contains(&before_join.to_string()));
    assert!(seen.contains(&after_join.to_string()));
    assert_eq!(seen.last(), Some(&left.id), "the leaver sees their leave, nothing after");
    let (groups, _) = store
        .list_groups(&app, &crate::store::GroupFilter { tag: Some("t1".into()), viewer: Some("ann".into()), ..Default::default() }, PAGE)
        .await
        .unwrap();
    assert_eq!(groups.len(), 1);
    assert!(groups[0].has_joined);

    // Newest first with a limit: the newest page, oldest first.
    let newest = MessageFilter { cursor: Cursor::Before(None), limit: 2, ..everything_for("ann") };
    let page = store.list_messages(&app, &newest).await.unwrap();
    assert_eq!(page.len(), 2);
    assert!(page[0].id.parse::<i64>().unwrap() < page[1].id.parse::<i64>().unwrap());

    // Search escapes LIKE's wildcards and folds ASCII case.
    store.create_user(&app, &NewUser { name: "Dora_Explorer".into(), ..new_user("dora") }, None).await.unwrap();
    let search = |s: &str| crate::store::UserFilter { search: Some(s.into()), ..Default::default() };
    assert_eq!(store.list_users(&app, &search("A_E"), PAGE).await.unwrap().1, 1);
    assert_eq!(store.list_users(&app, &search("a%"), PAGE).await.unwrap().1, 0);
    assert_eq!(store.list_users(&app, &search("ANN"), PAGE).await.unwrap().1, 1);

    // Deleting a user closes their 1:1 conversations and tombstones what they wrote.
    assert!(store.delete_user(&app, "bob", 9).await.unwrap());
    assert_eq!(store.conversations(&app, "ann", PAGE).await.unwrap().1, 1, "only the group is left");
    assert!(store.message(&app, first).await.unwrap().is_none());
    store.create_user(&app, &new_user("bob"), None).await.unwrap();
    assert!(store.list_messages(&app, &everything_for("bob")).await.unwrap().is_empty());
    assert!(!store.delete_user(&app, "nobody", 9).await.unwrap());

    // Deactivated senders are refused.
    assert_eq!(store.set_deactivated(&app, &["ann".into(), "ghost".into()], Some(10)).await.unwrap(), ["ann"]);
    assert!(matches!(
        store.send_message(&app, text("ann", "g1", ReceiverType::Group, "x")).await.unwrap(),
        SendOutcome::Refused(SendRefusal::SenderInactive)
    ));
    assert!(store.delete_group(&app, "g1").await.unwrap());
    assert!(store.group(&app, "g1").await.unwrap().is_none());
}

#[tokio::test]
async fn tokens_end_at_their_expiry_or_after_their_idle_time() {
    let store = fresh_store().await;
    let app = app_with_users(&store, &["ann"]).await;
    let idle = TokenLifetime { expires_at: None, idle_secs: Some(10_000) };
    let fixed = TokenLifetime { expires_at: Some(50_000), idle_secs: None };
    store.create_token(&app, "ann", b"idle-token", 0, idle).await.unwrap();
    store.create_token(&app, "ann", b"fixed-token", 0, fixed).await.unwrap();
    assert_eq!(store.tokens(&app, "ann", 1).await.unwrap().iter().map(|t| t.hash.clone()).collect::<Vec<_>>(), [
        b"idle-token".to_vec(),
        b"fixed-token".to_vec()
    ]);
    assert!(store.token_owner(b"idle-token", 9_000).await.unwrap().is_some());
    assert!(store.token_owner(b"idle-token", 15_000).await.unwrap().is_some());
    assert!(store.token_owner(b"idle-token", 25_001).await.unwrap().is_none());
    assert!(store.token_owner(b"fixed-token", 49_999).await.unwrap().is_some());
    assert!(store.token_owner(b"fixed-token", 50_000).await.unwrap().is_none());
    assert_eq!(store.tokens(&app, "ann", 30_000).await.unwrap().len(), 1);
    let swept = store.delete_expired_tokens(60_000).await.unwrap();
    let mut hashes: Vec<_> = swept.iter().map(|t| t.hash.clone()).collect();
    hashes.sort();
    assert_eq!(hashes, [b"fixed-token".to_vec(), b"idle-token".to_vec()]);
    store.create_token(&app, "ann", b"abcdef", 0, TokenLifetime::default()).await.unwrap();
    assert_eq!(store.delete_tokens(&app, "ann", Some(b"abc")).await.unwrap(), 1);
}

/// Bot and webhook deliveries are queued with the event, in its transaction, by the routing rules.
#[tokio::test]
async fn messages_and_marks_queue_their_deliveries() {
    let store = fresh_store().await;
    let app = app_with_users(&store, &["ann", "helper", "quiet"]).await;
    store.create_bot(&app, &bot_record("helper", GroupChatSetting::MentionedMessages)).await.unwrap();
    store.create_bot(&app, &bot_record("quiet", GroupChatSetting::None)).await.unwrap();
    let hook = WebhookRecord {
        id: "w1".into(),
        name: "W".into(),
        url: "https://hooks.example.com/".into(),
        enabled: true,
        triggers: vec![WebhookTrigger::MessageReadReceipt, WebhookTrigger::MessageSent],
        basic_auth: None,
        signing_secret: "whsec_y".into(),
        created_at: 1,
        updated_at: None,
    };
    assert!(store.create_webhook(&app, &hook, 5).await.unwrap());
    assert_eq!(store.webhooks(&app).await.unwrap(), std::slice::from_ref(&hook));

    let to_bot = store.send_message(&app, text("ann", "helper", ReceiverType::User, "hi")).await.unwrap();
    let group = NewGroup {
        guid: "g".into(),
        name: "G".into(),
        group_type: GroupType::Public,
        password_hash: None,
        icon: None,
        description: None,
        metadata: None,
        owner: None,
        tags: vec![],
        created_at: 1,
    };
    let members = [("ann".into(), MemberScope::Admin), ("helper".into(), MemberScope::Participant), ("quiet".into(), MemberScope::Participant)];
    store.create_group(&app, &group, &members, &[]).await.unwrap();
    let mention = vec![confab_protocol::rest::messages::MentionedUser { uid: "helper".into(), name: "Helper".into() }];
    store.send_message(&app, NewMessage { mentions: mention, ..text("ann", "g", ReceiverType::Group, "ask <@uid:helper>") }).await.unwrap();
    // A bot's message reaches no bot.
    store.send_message(&app, text("helper", "g", ReceiverType::Group, "@quiet @helper")).await.unwrap();

    let now = crate::hooks::now_ms();
    let claimed = store.claim_deliveries(now + 1000, now + 60_000, 100).await.unwrap();
    let mut got: Vec<(String, String)> = claimed.iter().map(|d| (d.target.clone(), d.trigger.clone())).collect();
    got.sort();
    assert_eq!(got, [
        ("helper".to_owned(), "after_message".to_owned()),
        ("helper".to_owned(), "after_message".to_owned()),
        ("w1".to_owned(), "message_sent".to_owned()),
        ("w1".to_owned(), "message_sent".to_owned()),
        ("w1".to_owned(), "message_sent".to_owned()),
    ]);
    assert_eq!(claimed[0].message_id, Some(id_of(&to_bot)));
    assert_eq!(claimed[0].detail, Some(serde_json::json!({"data": {"text": "hi"}, "tags": []})));

    // A read mark that moves queues a read receipt; one that does not, nothing.
    let key = confab_protocol::ids::ConversationKey::direct("ann", "helper");
    store.mark(&app, "helper", &key, id_of(&to_bot), confab_protocol::realtime::ReceiptKind::Read).await.unwrap();
    store.mark(&app, "helper", &key, id_of(&to_bot), confab_protocol::realtime::ReceiptKind::Read).await.unwrap();
    let receipts = store.claim_deliveries(now + 2000, now + 60_000, 100).await.unwrap();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].trigger, "message_read_receipt");
    assert_eq!(receipts[0].subject.as_deref(), Some("helper"));
    assert_eq!(receipts[0].conversation_id.as_deref(), Some("ann_user_helper"));

    for d in claimed.iter().chain(&receipts) {
        store.record_attempt(d.id, &Attempt::Delivered, now).await.unwrap();
    }
    let delivered = DeliveryFilter { state: DeliveryState::Delivered, target: Some("w1".into()) };
    assert_eq!(store.deliveries(&app, &delivered, PAGE).await.unwrap().1, 4);
    assert_eq!(store.purge_deliveries(now + 1, now - 1).await.unwrap(), 6);
    assert_eq!(store.next_delivery_at().await.unwrap(), None);
}

/// One bad send in a batch fails alone; the others are stored.
#[tokio::test]
async fn a_bad_send_fails_alone_and_as_an_error() {
    let store = fresh_store().await;
    let app = app_with_users(&store, &["ann", "bob"]).await;
    let mut bad = text("ann", "bob", ReceiverType::User, "bad");
    // PostgreSQL text cannot hold NUL: the insert fails.
    bad.muid = Some("nul\u{0}muid".into());
    let sends = (0..20).map(|i| {
        let message = if i == 7 { bad.clone() } else { text("ann", "bob", ReceiverType::User, &format!("m{i}")) };
        let store = store.clone();
        let app = app.clone();
        async move { store.send_message(&app, message).await }
    });
    let outcomes = futures_util::future::join_all(sends).await;
    for (i, outcome) in outcomes.iter().enumerate() {
        match i {
            7 => assert!(outcome.is_err(), "the bad send fails"),
            _ => assert!(matches!(outcome, Ok(SendOutcome::Stored { created: true, .. })), "send {i}: {outcome:?}"),
        }
    }
    assert_eq!(store.message_log(0, 100).await.unwrap().len(), 19);
}

/// When PostgreSQL fails the sends, they come back as errors, never as stored messages; sends work again
/// once it does.
#[tokio::test]
async fn a_database_failure_is_an_error_not_an_acknowledgement() {
    let url = fresh_database().await;
    let store = PostgresStore::open(&url).await.unwrap();
    let app = app_with_users(&store, &["ann", "bob"]).await;
    let mut admin = PgConnection::connect(&url).await.unwrap();
    admin.execute("ALTER TABLE messages RENAME TO messages_away").await.unwrap();
    let sends = (0..5).map(|i| store.send_message(&app, text("ann", "bob", ReceiverType::User, &format!("m{i}"))));
    for outcome in futures_util::future::join_all(sends).await {
        assert!(outcome.is_err(), "{outcome:?}");
    }
    admin.execute("ALTER TABLE messages_away RENAME TO messages").await.unwrap();
    assert!(store.message_log(0, 10).await.unwrap().is_empty());
    assert!(matches!(store.send_message(&app, text("ann", "bob", ReceiverType::User, "ok")).await, Ok(SendOutcome::Stored { .. })));
}

/// The resume promise across nodes: many senders on several stores (nodes) of one database, and a reader
/// that tails `message_log(after = last)` never skips an id (a lower id committing after it passed).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn message_ids_commit_in_id_order_across_nodes() {
    let url = fresh_database().await;
    let mut stores = Vec::new();
    for _ in 0..3 {
        stores.push(PostgresStore::open(&url).await.unwrap());
    }
    let uids: Vec<String> = (0..6).map(|i| format!("u{i}")).collect();
    let app = app_with_users(&stores[0], &uids.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let group = NewGroup {
        guid: "room".into(),
        name: "Room".into(),
        group_type: GroupType::Public,
        password_hash: None,
        icon: None,
        description: None,
        metadata: None,
        owner: None,
        tags: vec![],
        created_at: 1,
    };
    let members: Vec<_> = uids.iter().map(|u| (u.clone(), MemberScope::Participant)).collect();
    stores[0].create_group(&app, &group, &members, &[]).await.unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let store = stores[1].clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut last = 0;
            let mut seen = BTreeSet::new();
            loop {
                let finished = done.load(Ordering::SeqCst);
                for (_, message) in store.message_log(last, 1000).await.unwrap() {
                    let id: i64 = message.id.parse().unwrap();
                    assert!(id > last, "ids come in order");
                    last = id;
                    seen.insert(id);
                }
                if finished {
                    return seen;
                }
            }
        })
    };
    let mut senders = Vec::new();
    for (n, store) in stores.iter().enumerate() {
        for s in 0..8 {
            let (store, app) = (store.clone(), app.clone());
            let sender = uids[(n * 8 + s) % uids.len()].clone();
            senders.push(tokio::spawn(async move {
                for i in 0..60 {
                    let message = match i % 3 {
                        0 => text(&sender, "room", ReceiverType::Group, "hello room"),
                        _ => text(&sender, if sender == "u0" { "u1" } else { "u0" }, ReceiverType::User, "hi"),
                    };
                    let outcome = store.send_message(&app, message).await.unwrap();
                    assert!(matches!(outcome, SendOutcome::Stored { created: true, .. }));
                }
            }));
        }
    }
    // Action messages take the same path (and lock) from another node meanwhile.
    let actions = {
        let (store, app) = (stores[2].clone(), app.clone());
        tokio::spawn(async move {
            for i in 0..20 {
                let id = {
                    let sent = store.send_message(&app, text("u5", "u4", ReceiverType::User, "to edit")).await.unwrap();
                    id_of(&sent)
                };
                let action = NewMessage {
                    category: Category::Action,
                    message_type: "message".into(),
                    data: MessageData { action: Some("edited".into()), ..MessageData::default() },
                    ..text("u5", "u4", ReceiverType::User, "")
                };
                let change = crate::store::MessageChange::Edit { data: MessageData { text: Some(format!("e{i}")), ..Default::default() }, tags: None };
                store.change_message(&app, id, &change, "u5", &action, 2).await.unwrap().unwrap();
            }
        })
    };
    for sender in senders {
        sender.await.unwrap();
    }
    actions.await.unwrap();
    done.store(true, Ordering::SeqCst);
    let seen = reader.await.unwrap();
    let all: BTreeSet<i64> =
        stores[0].message_log(0, 100_000).await.unwrap().into_iter().map(|(_, m)| m.id.parse().unwrap()).collect();
    assert_eq!(all.len(), 3 * 8 * 60 + 20 * 2);
    let skipped: Vec<_> = all.difference(&seen).collect();
    assert!(skipped.is_empty(), "the tailing reader skipped ids that committed after it passed them: {skipped:?}");
}

/// Two nodes claiming at once never claim the same delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_never_claim_the_same_delivery() {
    let url = fresh_database().await;
    let a = PostgresStore::open(&url).await.unwrap();
    let b = PostgresStore::open(&url).await.unwrap();
    let app = app_with_users(&a, &["ann", "helper"]).await;
    a.create_bot(&app, &bot_record("helper", GroupChatSetting::None)).await.unwrap();
    let sends = (0..300).map(|_| a.send_message(&app, text("ann", "helper", ReceiverType::User, "hi")));
    for outcome in futures_util::future::join_all(sends).await {
        outcome.unwrap();
    }
    let now = crate::hooks::now_ms();
    let claim = |store: PostgresStore| {
        tokio::spawn(async move {
            let mut ids = Vec::new();
            loop {
                let claimed = store.claim_deliveries(now + 1000, now + 600_000, 7).await.unwrap();
                if claimed.is_empty() {
                    return ids;
                }
                ids.extend(claimed.iter().map(|d| d.id));
            }
        })
    };
    let (from_a, from_b) = (claim(a.clone()), claim(b.clone()));
    let (from_a, from_b) = (from_a.await.unwrap(), from_b.await.unwrap());
    let mut all: Vec<i64> = from_a.iter().chain(&from_b).copied().collect();
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), total, "a delivery was claimed twice");
    assert_eq!(total, 300);
    assert!(!from_a.is_empty() && !from_b.is_empty(), "both nodes claimed some ({} and {})", from_a.len(), from_b.len());
}

/// A lease that ends (its node died) is claimed again; releasing at start leaves live leases alone.
#[tokio::test]
async fn an_expired_lease_is_claimed_again() {
    let url = fresh_database().await;
    let a = PostgresStore::open(&url).await.unwrap();
    let b = PostgresStore::open(&url).await.unwrap();
    let app = app_with_users(&a, &["ann", "helper"]).await;
    a.create_bot(&app, &bot_record("helper", GroupChatSetting::None)).await.unwrap();
    a.send_message(&app, text("ann", "helper", ReceiverType::User, "hi")).await.unwrap();
    let now = crate::hooks::now_ms() + 1000;
    let claimed = a.claim_deliveries(now, now + 10_000, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    // A is "killed": its lease runs.
    assert!(b.claim_deliveries(now + 5_000, now + 15_000, 10).await.unwrap().is_empty());
    assert_eq!(b.next_delivery_at().await.unwrap(), Some(now + 10_000), "a dispatcher wakes when the lease ends");
    assert_eq!(b.release_deliveries(now + 5_000).await.unwrap(), 0, "a live lease is not released");
    assert!(b.claim_deliveries(now + 5_000, now + 15_000, 10).await.unwrap().is_empty());
    // Past the lease: claimed again, by the other node.
    let again = b.claim_deliveries(now + 10_000, now + 20_000, 10).await.unwrap();
    assert_eq!(again.iter().map(|d| d.id).collect::<Vec<_>>(), [claimed[0].id]);
    b.record_attempt(again[0].id, &Attempt::Failed { error: "503".into(), status: Some(503), retry_at: Some(now + 30_000) }, now + 11_000)
        .await
        .unwrap();
    assert_eq!(b.next_delivery_at().await.unwrap(), Some(now + 30_000));
    // An ended lease is released at start.
    let third = a.claim_deliveries(now + 30_000, now + 40_000, 10).await.unwrap();
    assert_eq!(third.len(), 1);
    assert_eq!(a.release_deliveries(now + 40_000).await.unwrap(), 1);
    assert_eq!(b.claim_deliveries(now + 40_000, now + 50_000, 10).await.unwrap().len(), 1);
}

/// A commit on one node wakes the waiters of another: messages, deliveries, membership.
#[tokio::test]
async fn a_commit_on_one_store_wakes_another() {
    let url = fresh_database().await;
    let a = PostgresStore::open(&url).await.unwrap();
    let b = PostgresStore::open(&url).await.unwrap();
    let app = app_with_users(&a, &["ann", "bob", "helper"]).await;
    a.create_bot(&app, &bot_record("helper", GroupChatSetting::None)).await.unwrap();

    let messages = b.message_log_signal();
    let woken = messages.notified();
    tokio::pin!(woken);
    woken.as_mut().enable();
    a.send_message(&app, text("ann", "bob", ReceiverType::User, "hi")).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), woken).await.expect("B's message log signal wakes on A's commit");

    let deliveries = b.delivery_signal();
    let woken = deliveries.notified();
    tokio::pin!(woken);
    woken.as_mut().enable();
    a.send_message(&app, text("ann", "helper", ReceiverType::User, "hi")).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), woken).await.expect("B's delivery signal wakes on A's commit");

    let generation = b.membership_generation();
    let group = NewGroup {
        guid: "g".into(),
        name: "G".into(),
        group_type: GroupType::Public,
        password_hash: None,
        icon: None,
        description: None,
        metadata: None,
        owner: None,
        tags: vec![],
        created_at: 1,
    };
    a.create_group(&app, &group, &[("ann".into(), MemberScope::Admin)], &[]).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while b.membership_generation() == generation {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("B's membership generation moves on A's commit");
}

/// Nodes starting at once on a new database all open it (the migrator's advisory lock lets one migrate
/// while the others wait), and every pool connection has the statement time-out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_at_once_migrate_once() {
    let url = fresh_database().await;
    let opens = (0..4).map(|_| PostgresStore::open(&url));
    let stores: Vec<PostgresStore> = futures_util::future::join_all(opens).await.into_iter().map(|s| s.unwrap()).collect();
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&stores[0].pool).await.unwrap();
    assert_eq!(applied as usize, sqlx::migrate!("./migrations-postgres").migrations.len(), "each migration applied once");
    for pool in [&stores[1].pool, &stores[2].priority] {
        let timeout: String = sqlx::query_scalar("SHOW statement_timeout").fetch_one(pool).await.unwrap();
        assert_eq!(timeout, "5s");
    }
    // A statement past the time-out fails, as an error.
    let slow = sqlx::query("SELECT pg_sleep(6)").execute(&stores[3].pool).await;
    assert!(slow.is_err());
}

// One test per check of the store conformance suite: `store::postgres::tests::conformance::*`, each on a
// database of its own.
crate::store::conformance::conformance_tests!(fresh_store().await);
crate::store::conformance_rich::conformance_rich_tests!(fresh_store().await);
crate::store::conformance_console::conformance_console_tests!(fresh_store().await);
crate::store::conformance_variants::conformance_variants_tests!(fresh_store().await);
crate::store::conformance_media::conformance_media_tests!(fresh_store().await);
crate::media::files::conformance::file_store_tests!({
    let store = fresh_store().await;
    (crate::store::MediaStore::files(&store), store)
});

/// Sends committed together (one batch): the same `muid` sent many times at once is stored once and every
/// send answers that message; other sends of the batch, to 1:1 and group conversations, are all stored,
/// each conversation ending at its newest message.
#[tokio::test]
async fn a_batch_of_sends_stores_each_muid_once() {
    let store = Arc::new(fresh_store().await);
    let app = app_with_users(store.as_ref(), &["ann", "bob", "cat"]).await;
    let sends: Vec<_> = (0..60)
        .map(|n| {
            let (store, app) = (store.clone(), app.clone());
            tokio::spawn(async move {
                let mut message = text("ann", if n % 2 == 0 { "bob" } else { "cat" }, ReceiverType::User, &format!("#{n}"));
                if n % 3 == 0 {
                    message.muid = Some("same".into());
                }
                match store.send_message(&app, message).await.unwrap() {
                    SendOutcome::Stored { message, created } => (n, message.id.parse::<i64>().unwrap(), created),
                    other => panic!("refused: {other:?}"),
                }
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for send in sends {
        outcomes.push(send.await.unwrap());
    }
    let with_muid: Vec<_> = outcomes.iter().filter(|(n, _, _)| n % 3 == 0).collect();
    let first = with_muid.iter().find(|(_, _, created)| *created).expect("one send of the muid stored it");
    assert_eq!(with_muid.iter().filter(|(_, _, created)| *created).count(), 1, "{with_muid:?}");
    assert!(with_muid.iter().all(|(_, id, _)| *id == first.1), "every send of the muid answers its message");
    let others: Vec<i64> = outcomes.iter().filter(|(n, _, _)| n % 3 != 0).map(|(_, id, _)| *id).collect();
    assert_eq!(others.len(), 40);
    assert!(outcomes.iter().filter(|(n, _, _)| n % 3 != 0).all(|(_, _, created)| *created));
    let newest_with = |uid: &'static str| {
        let store = store.clone();
        let app = app.clone();
        async move {
            let key = confab_protocol::ids::ConversationKey::direct("ann", uid);
            let row = store.conversation(&app, "ann", &key).await.unwrap().expect("the conversation exists");
            row.last_message.expect("a last message").id.parse::<i64>().unwrap()
        }
    };
    let newest = outcomes.iter().filter(|(_, _, created)| *created).map(|(n, id, _)| (n % 2, *id));
    let (to_bob, to_cat): (Vec<_>, Vec<_>) = newest.partition(|(side, _)| *side == 0);
    assert_eq!(newest_with("bob").await, to_bob.iter().map(|(_, id)| *id).max().unwrap());
    assert_eq!(newest_with("cat").await, to_cat.iter().map(|(_, id)| *id).max().unwrap());
    let listed = store
        .conversations(&app, "bob", crate::store::PageRequest { per_page: 10, page: 1 })
        .await
        .unwrap();
    assert_eq!(listed.1, 1, "bob has his conversation with ann, recorded for both of them");
}
