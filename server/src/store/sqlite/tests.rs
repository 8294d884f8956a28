//! The SQLite backend against what the API layer cannot show quickly: a data directory made by the
//! previous schema, migrated in place, and token lifetimes at chosen times.

use confab_protocol::ids::ConversationKey;
use confab_protocol::rest::app::UidSignInPolicy;
use std::borrow::Cow;

use super::SqliteStore;
use crate::store::{Cursor, MessageFilter, MessageStore, PageRequest, TokenLifetime, UserStore};

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

/// A database at the schema before conversations were keyed by structure (migrations 1 to 3), holding
/// the colliding ids the security review used: the DM of `group` and `vip`, and the private group `user_vip`.
async fn old_database(path: &std::path::Path) {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.migrations = Cow::Owned(migrator.migrations[..3].to_vec());
    migrator.run(&pool).await.unwrap();
    for statement in [
        "INSERT INTO apps (app_id, name, region, identity_secret, created_at, enforce_identity) VALUES ('a', 'A', 'local', 's', 1, 0)",
        "INSERT INTO users (app_id, uid, name, created_at) VALUES ('a', 'group', 'G', 1), ('a', 'vip', 'V', 1), \
         ('a', 'alice', 'A', 1), ('a', 'guest-1a2b', 'Guest', 1)",
        "INSERT INTO groups (app_id, guid, name, group_type, created_at) VALUES ('a', 'user_vip', 'VIP', 'private', 1)",
        "INSERT INTO group_members (app_id, guid, uid, scope, joined_at) VALUES ('a', 'user_vip', 'alice', 'admin', 1)",
        "INSERT INTO messages (app_id, conversation_id, sender, receiver, receiver_type, category, message_type, data, sent_at) VALUES \
         ('a', 'group_user_vip', 'alice', 'user_vip', 'group', 'message', 'text', '{\"text\":\"discount code VIP-77\"}', 2), \
         ('a', 'group_user_vip', 'group', 'vip', 'user', 'message', 'text', '{\"text\":\"hello vip\"}', 3)",
        "INSERT INTO conversations (app_id, conversation_id, conversation_type, last_message_id, updated_at) VALUES \
         ('a', 'group_user_vip', 'user', 2, 3)",
        "INSERT INTO direct_conversations (app_id, uid, conversation_id, with_uid) VALUES \
         ('a', 'group', 'group_user_vip', 'vip'), ('a', 'vip', 'group_user_vip', 'group')",
        "INSERT INTO read_marks (app_id, uid, conversation_id, read_id) VALUES ('a', 'alice', 'group_user_vip', 1), \
         ('a', 'vip', 'group_user_vip', 2)",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

#[tokio::test]
async fn an_old_data_directory_is_migrated_with_its_colliding_conversations_apart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("confab.db");
    old_database(&path).await;
    let store = SqliteStore::open(&path).await.unwrap();

    let texts = |messages: Vec<confab_protocol::rest::messages::Message>| -> Vec<String> {
        messages.into_iter().filter_map(|m| m.data.text).collect()
    };
    assert_eq!(texts(store.list_messages("a", &everything_for("group")).await.unwrap()), ["hello vip"]);
    assert_eq!(texts(store.list_messages("a", &everything_for("alice")).await.unwrap()), ["discount code VIP-77"]);
    let (alice, _) = store.conversations("a", "alice", PageRequest { per_page: 10, page: 1 }).await.unwrap();
    assert_eq!(alice.len(), 1);
    assert_eq!((alice[0].key.clone(), alice[0].unread), (ConversationKey::group("user_vip"), 0));
    let (vip, _) = store.conversations("a", "vip", PageRequest { per_page: 10, page: 1 }).await.unwrap();
    assert_eq!(vip.len(), 1);
    assert_eq!(vip[0].key, ConversationKey::direct("group", "vip"));
    assert_eq!(vip[0].conversation_id, "group_user_vip");
    assert_eq!(vip[0].last_message.as_ref().and_then(|m| m.data.text.clone()).as_deref(), Some("hello vip"));

    let app = crate::store::AppStore::app(&store, "a").await.unwrap().unwrap();
    assert_eq!(app.uid_sign_in, UidSignInPolicy::Open, "an app that did not enforce identity keeps signing in as before");
    assert_eq!(store.user_origin("a", "guest-1a2b").await.unwrap(), Some(crate::store::UserOrigin::Guest));
    assert_eq!(store.user_origin("a", "alice").await.unwrap(), Some(crate::store::UserOrigin::Api), "unknown: needs a userHash");
}

#[tokio::test]
async fn tokens_end_at_their_expiry_or_after_their_idle_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("confab.db")).await.unwrap();
    let app = crate::apps::create_app(&store, "T", "local", UidSignInPolicy::Verified).await.unwrap().app_id;
    let user = crate::store::NewUser {
        uid: "ann".into(),
        origin: crate::store::UserOrigin::Guest,
        name: "Ann".into(),
        avatar: None,
        link: None,
        role: "default".into(),
        status_message: None,
        metadata: None,
        tags: Vec::new(),
        created_at: 0,
    };
    store.create_user(&app, &user, None).await.unwrap();
    let idle = TokenLifetime { expires_at: None, idle_secs: Some(10_000) };
    let fixed = TokenLifetime { expires_at: Some(50_000), idle_secs: None };
    store.create_token(&app, "ann", b"idle-token", 0, idle).await.unwrap();
    store.create_token(&app, "ann", b"fixed-token", 0, fixed).await.unwrap();

    // Used at 9,000 s: the idle clock starts again, so it still works at 15,000 s.
    assert!(store.token_owner(b"idle-token", 9_000).await.unwrap().is_some());
    assert!(store.token_owner(b"idle-token", 15_000).await.unwrap().is_some());
    // Unused from 15,000 s: gone at 25,001 s.
    assert!(store.token_owner(b"idle-token", 25_001).await.unwrap().is_none());
    assert!(store.token_owner(b"fixed-token", 49_999).await.unwrap().is_some());
    assert!(store.token_owner(b"fixed-token", 50_000).await.unwrap().is_none());
    assert_eq!(store.tokens(&app, "ann", 30_000).await.unwrap().len(), 1);
    let swept = store.delete_expired_tokens(60_000).await.unwrap();
    let mut hashes: Vec<_> = swept.iter().map(|t| t.hash.clone()).collect();
    hashes.sort();
    assert_eq!(hashes, [b"fixed-token".to_vec(), b"idle-token".to_vec()]);
}

/// A fresh, empty, migrated store, with its temporary directory (removed once the store is dropped).
async fn fresh_store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("confab.db")).await.unwrap();
    (store, dir)
}

// One test per check of the store conformance suite: `store::sqlite::tests::conformance::*`.
crate::store::conformance::conformance_tests!(fresh_store().await);
crate::store::conformance_rich::conformance_rich_tests!(fresh_store().await);
crate::store::conformance_console::conformance_console_tests!(fresh_store().await);
crate::store::conformance_variants::conformance_variants_tests!(fresh_store().await);
crate::store::conformance_media::conformance_media_tests!(fresh_store().await);
crate::media::files::conformance::file_store_tests!({
    let dir = tempfile::tempdir().unwrap();
    (std::sync::Arc::new(crate::media::files::DirFileStore::new(dir.path().join("media"))), dir)
});
