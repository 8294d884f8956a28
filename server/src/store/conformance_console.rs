//! The console's part of the store conformance suite ([`ConsoleStore`]): owners, sessions, the audit log,
//! keys, apps and counts. Each check takes a fresh, empty, migrated store; every backend runs them with
//! [`conformance_console_tests!`](crate::store::conformance_console::conformance_console_tests), next to
//! the main suite:
//!
//! ```ignore
//! crate::store::conformance_console::conformance_console_tests!(fresh_store().await);
//! ```

use confab_protocol::rest::messages::{Category, MessageData, ReceiverType};

use super::console::{key_id, NewAudit, NewConsoleSession, DAY_SECS};
use super::{App, KeyScope, NewKey, NewMessage, NewUser, PageRequest, SendOutcome, Store, StoreError, TokenLifetime};

/// Expands to a module `conformance_console` with one `#[tokio::test]` per check, each running it against
/// the store `$fresh` gives (a store, or a `(store, guard)` pair; see
/// [`UnderTest`](crate::store::conformance::UnderTest)).
macro_rules! conformance_console_tests {
    ($fresh:expr) => {
        $crate::store::conformance::conformance_tests!(@checks conformance_console, $fresh;
            owners_are_unique_by_email_whatever_the_case,
            a_password_change_clears_the_one_time_flag,
            sessions_end_after_idle_time_expiry_or_deletion,
            an_owners_sessions_end_together_but_the_kept_one,
            the_audit_log_pages_newest_first_per_app,
            keys_are_listed_added_and_revoked_by_id,
            apps_are_listed_renamed_and_get_new_identity_secrets,
            the_overview_counts_messages_by_utc_day_and_senders,
            user_tokens_are_the_live_ones_with_their_ends,
        );
    };
}
pub(crate) use conformance_console_tests;

const APP: &str = "console-app";
const OTHER_APP: &str = "console-other";

fn app_record(app_id: &str, created_at: i64) -> App {
    App { created_at, ..super::conformance::app_record(app_id) }
}

fn key(name: &str, secret: &str, scope: KeyScope) -> NewKey {
    NewKey { hash: crate::secrets::key_hash(secret), name: name.into(), scope }
}

fn user(uid: &str) -> NewUser {
    NewUser { created_at: 1, ..super::conformance::new_user(uid) }
}

fn session(token: &str, owner_id: i64, created_at: i64, expires_at: i64) -> NewConsoleSession {
    NewConsoleSession {
        token_hash: crate::secrets::key_hash(token),
        owner_id,
        csrf_token: format!("csrf-{token}"),
        created_at,
        expires_at,
    }
}

fn audit(app_id: &str, at: i64, action: &str) -> NewAudit {
    NewAudit {
        app_id: app_id.into(),
        at,
        actor: "owner@example.com".into(),
        action: action.into(),
        target: format!("t-{at}"),
        detail: String::new(),
    }
}

pub async fn owners_are_unique_by_email_whatever_the_case(store: &dyn Store) {
    let id = store.create_owner("Owner@Example.com", "hash-1", true, 10).await.unwrap();
    let found = store.owner_by_email("owner@EXAMPLE.com").await.unwrap().expect("found in any case");
    assert_eq!((found.id, found.email.as_str(), found.password_hash.as_str()), (id, "Owner@Example.com", "hash-1"));
    assert!(found.must_change_password);
    assert_eq!(found.created_at, 10);
    match store.create_owner("OWNER@example.COM", "hash-2", false, 11).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a second owner with the same email in another case: {other:?}"),
    }
    assert!(store.owner_by_email("someone@example.com").await.unwrap().is_none());
    let other = store.create_owner("someone@example.com", "hash-3", false, 12).await.unwrap();
    assert_ne!(other, id);
}

pub async fn a_password_change_clears_the_one_time_flag(store: &dyn Store) {
    let id = store.create_owner("o@example.com", "one-time", true, 10).await.unwrap();
    assert!(store.set_owner_password(id, "chosen", false, 20).await.unwrap());
    let owner = store.owner_by_email("o@example.com").await.unwrap().unwrap();
    assert_eq!((owner.password_hash.as_str(), owner.must_change_password), ("chosen", false));
    assert!(store.set_owner_password(id, "reset", true, 30).await.unwrap());
    assert!(store.owner_by_email("o@example.com").await.unwrap().unwrap().must_change_password);
    assert!(!store.set_owner_password(id + 1000, "x", false, 30).await.unwrap(), "no such owner");
}

pub async fn sessions_end_after_idle_time_expiry_or_deletion(store: &dyn Store) {
    let owner = store.create_owner("o@example.com", "h", false, 1).await.unwrap();
    let idle = 100;
    store.create_console_session(&session("a", owner, 1000, 5000)).await.unwrap();
    let hash = crate::secrets::key_hash("a");
    let live = store.use_console_session(&hash, 1050, idle).await.unwrap().expect("live");
    assert_eq!((live.owner_id, live.email.as_str(), live.csrf_token.as_str()), (owner, "o@example.com", "csrf-a"));
    assert!(!live.must_change_password);
    // Each use moves the idle end on: used at 1050, alive at 1149, then at 1240, ...
    assert!(store.use_console_session(&hash, 1149, idle).await.unwrap().is_some());
    assert!(store.use_console_session(&hash, 1240, idle).await.unwrap().is_some());
    // ... but not past the idle time since the last use.
    assert!(store.use_console_session(&hash, 1340, idle).await.unwrap().is_none(), "idle for 100 s");
    assert!(store.use_console_session(&hash, 1341, 10_000).await.unwrap().is_none(), "an ended session is gone");
    // The fixed end holds however often it is used.
    store.create_console_session(&session("b", owner, 1000, 1200)).await.unwrap();
    let b = crate::secrets::key_hash("b");
    for at in [1050, 1100, 1150, 1199] {
        assert!(store.use_console_session(&b, at, idle).await.unwrap().is_some());
    }
    assert!(store.use_console_session(&b, 1200, idle).await.unwrap().is_none(), "expired");
    // Deleted: gone at once.
    store.create_console_session(&session("c", owner, 1000, 5000)).await.unwrap();
    let c = crate::secrets::key_hash("c");
    assert!(store.delete_console_session(&c).await.unwrap());
    assert!(!store.delete_console_session(&c).await.unwrap());
    assert!(store.use_console_session(&c, 1001, idle).await.unwrap().is_none());
    assert!(store.use_console_session(&crate::secrets::key_hash("never"), 1001, idle).await.unwrap().is_none());
}

pub async fn an_owners_sessions_end_together_but_the_kept_one(store: &dyn Store) {
    let ann = store.create_owner("ann@example.com", "h", false, 1).await.unwrap();
    let bob = store.create_owner("bob@example.com", "h", false, 1).await.unwrap();
    for (token, owner) in [("a1", ann), ("a2", ann), ("a3", ann), ("b1", bob)] {
        store.create_console_session(&session(token, owner, 100, 10_000)).await.unwrap();
    }
    let live = |token: &'static str| async move { store.use_console_session(&crate::secrets::key_hash(token), 101, 1000).await.unwrap().is_some() };
    assert_eq!(store.delete_owner_sessions(ann, Some(&crate::secrets::key_hash("a2"))).await.unwrap(), 2);
    assert!(!live("a1").await && live("a2").await && !live("a3").await && live("b1").await);
    assert_eq!(store.delete_owner_sessions(ann, None).await.unwrap(), 1);
    assert!(!live("a2").await && live("b1").await, "another owner's session stays");
}

pub async fn the_audit_log_pages_newest_first_per_app(store: &dyn Store) {
    for at in 1..=5 {
        store.append_audit(&audit(APP, at, &format!("key.create{at}"))).await.unwrap();
    }
    store.append_audit(&audit(OTHER_APP, 6, "app.rename")).await.unwrap();
    let (first, total) = store.audit_log(APP, PageRequest { per_page: 2, page: 1 }).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(first.iter().map(|l| l.entry.at).collect::<Vec<_>>(), [5, 4]);
    assert!(first[0].id > first[1].id);
    assert_eq!(first[0].entry, audit(APP, 5, "key.create5"), "stored as given");
    let (third, _) = store.audit_log(APP, PageRequest { per_page: 2, page: 3 }).await.unwrap();
    assert_eq!(third.iter().map(|l| l.entry.at).collect::<Vec<_>>(), [1]);
    let (other, total) = store.audit_log(OTHER_APP, PageRequest { per_page: 10, page: 1 }).await.unwrap();
    assert_eq!((other.len(), total, other[0].entry.action.as_str()), (1, 1, "app.rename"));
    assert_eq!(store.audit_log("nobody", PageRequest { per_page: 10, page: 1 }).await.unwrap().1, 0);
}

pub async fn keys_are_listed_added_and_revoked_by_id(store: &dyn Store) {
    store.create_app(&app_record(APP, 100), &[key("Auth Key", "auth", KeyScope::AuthOnly)]).await.unwrap();
    store.create_app(&app_record(OTHER_APP, 100), &[key("REST API Key", "other", KeyScope::FullAccess)]).await.unwrap();
    store.add_key(APP, &key("Backend", "backend", KeyScope::FullAccess), 200).await.unwrap();
    store.add_key(APP, &key("Backend", "backend-2", KeyScope::FullAccess), 300).await.unwrap();
    let keys = store.list_keys(APP).await.unwrap();
    let listed: Vec<_> = keys.iter().map(|k| (k.name.as_str(), k.scope, k.created_at)).collect();
    assert_eq!(listed, [("Auth Key", KeyScope::AuthOnly, 100), ("Backend", KeyScope::FullAccess, 200), ("Backend", KeyScope::FullAccess, 300)]);
    let backend = key_id(&crate::secrets::key_hash("backend"));
    assert_eq!(keys[1].id, backend);
    assert_eq!(backend.len(), 16);
    assert!(store.key(&crate::secrets::key_hash("backend")).await.unwrap().is_some());
    // Another app's key id does not revoke anything here.
    let other = key_id(&crate::secrets::key_hash("other"));
    assert_eq!(store.revoke_key(APP, &other).await.unwrap(), None);
    assert!(store.key(&crate::secrets::key_hash("other")).await.unwrap().is_some());
    // The id in upper case is the same id.
    assert_eq!(store.revoke_key(APP, &backend.to_uppercase()).await.unwrap(), Some(crate::secrets::key_hash("backend")));
    assert!(store.key(&crate::secrets::key_hash("backend")).await.unwrap().is_none(), "revoked keys are gone");
    assert_eq!(store.revoke_key(APP, &backend).await.unwrap(), None, "once");
    assert_eq!(store.list_keys(APP).await.unwrap().len(), 2);
    assert!(store.key(&crate::secrets::key_hash("backend-2")).await.unwrap().is_some(), "its namesake stays");
    assert_eq!(store.revoke_key(APP, "not-hex").await.unwrap(), None);
    assert!(matches!(
        store.add_key(APP, &key("Again", "backend-2", KeyScope::AuthOnly), 400).await,
        Err(StoreError::Conflict(_))
    ));
}

pub async fn apps_are_listed_renamed_and_get_new_identity_secrets(store: &dyn Store) {
    assert!(store.list_apps().await.unwrap().is_empty());
    store.create_app(&app_record(OTHER_APP, 200), &[]).await.unwrap();
    store.create_app(&app_record(APP, 100), &[]).await.unwrap();
    let apps = store.list_apps().await.unwrap();
    assert_eq!(apps.iter().map(|a| (a.app_id.as_str(), a.created_at)).collect::<Vec<_>>(), [(APP, 100), (OTHER_APP, 200)]);
    assert_eq!((apps[0].name.as_str(), apps[0].region.as_str()), ("App console-app", "local"));
    assert!(store.rename_app(APP, "Renamed").await.unwrap());
    assert!(!store.rename_app("missing", "X").await.unwrap());
    assert!(store.set_identity_secret(APP, "new-secret").await.unwrap());
    assert!(!store.set_identity_secret("missing", "s").await.unwrap());
    let app = store.app(APP).await.unwrap().unwrap();
    assert_eq!((app.name.as_str(), app.identity_secret.as_str()), ("Renamed", "new-secret"));
    let other = store.app(OTHER_APP).await.unwrap().unwrap();
    assert_eq!((other.name.as_str(), other.identity_secret.as_str()), ("App console-other", "secret-of-console-other"));
}

pub async fn the_overview_counts_messages_by_utc_day_and_senders(store: &dyn Store) {
    store.create_app(&app_record(APP, 1), &[]).await.unwrap();
    store.create_app(&app_record(OTHER_APP, 1), &[]).await.unwrap();
    for uid in ["ann", "bob", "cat", "dan"] {
        store.create_user(APP, &user(uid), None).await.unwrap();
    }
    store.create_user(OTHER_APP, &user("ann"), None).await.unwrap();
    store.create_user(OTHER_APP, &user("zed"), None).await.unwrap();
    let today = 20_000 * DAY_SECS;
    let now = today + 3600;
    let send = |app: &'static str, sender: &'static str, receiver: &'static str, sent_at: i64| async move {
        let message = NewMessage {
            sender: sender.into(),
            receiver: receiver.into(),
            receiver_type: ReceiverType::User,
            category: Category::Message,
            message_type: "text".into(),
            data: MessageData { text: Some("hi".into()), ..MessageData::default() },
            tags: Vec::new(),
            muid: None,
            sent_at,
            ..NewMessage::default()
        };
        assert!(matches!(store.send_message(app, message).await.unwrap(), SendOutcome::Stored { .. }));
    };
    send(APP, "ann", "bob", today + 10).await;
    send(APP, "bob", "ann", today + 20).await;
    send(APP, "ann", "bob", today - 1).await; // yesterday's last second
    send(APP, "cat", "ann", today - 29 * DAY_SECS).await; // the oldest day counted
    send(APP, "dan", "ann", today - 30 * DAY_SECS + 5).await; // a day too old
    send(OTHER_APP, "ann", "zed", today + 5).await;
    let counts = store.overview(APP, now, 30).await.unwrap();
    assert_eq!(counts.per_day.len(), 30);
    assert_eq!(counts.per_day.last(), Some(&(today / DAY_SECS, 2)));
    assert_eq!(counts.per_day[28], (today / DAY_SECS - 1, 1));
    assert_eq!(counts.per_day[0], (today / DAY_SECS - 29, 1));
    assert_eq!(counts.per_day.iter().map(|(_, c)| c).sum::<u64>(), 4);
    assert_eq!(counts.today(), 2);
    assert_eq!(counts.active_users, 3, "ann, bob and cat sent in the 30 days; dan before");
    assert_eq!(counts.users_total, 4);
    let other = store.overview(OTHER_APP, now, 30).await.unwrap();
    assert_eq!((other.today(), other.active_users, other.users_total), (1, 1, 2));
    let empty = store.overview("missing", now, 30).await.unwrap();
    assert_eq!((empty.per_day.len(), empty.today(), empty.users_total), (30, 0, 0));
}

pub async fn user_tokens_are_the_live_ones_with_their_ends(store: &dyn Store) {
    store.create_app(&app_record(APP, 1), &[]).await.unwrap();
    store.create_user(APP, &user("ann"), None).await.unwrap();
    store.create_user(APP, &user("bob"), None).await.unwrap();
    let token = |name: &str| crate::secrets::key_hash(name);
    store.create_token(APP, "ann", &token("forever"), 100, TokenLifetime::default()).await.unwrap();
    store.create_token(APP, "ann", &token("fixed"), 200, TokenLifetime { expires_at: Some(5000), idle_secs: None }).await.unwrap();
    store.create_token(APP, "ann", &token("idle"), 300, TokenLifetime { expires_at: None, idle_secs: Some(1000) }).await.unwrap();
    store.create_token(APP, "ann", &token("ended"), 50, TokenLifetime { expires_at: Some(60), idle_secs: None }).await.unwrap();
    store.create_token(APP, "bob", &token("bobs"), 100, TokenLifetime::default()).await.unwrap();
    let tokens = store.user_tokens(APP, "ann", 400).await.unwrap();
    let seen: Vec<_> = tokens.iter().map(|t| (t.created_at, t.expires_at)).collect();
    assert_eq!(seen, [(100, None), (200, Some(5000)), (300, Some(1300))]);
    assert!(tokens.iter().all(|t| t.last_used_at.is_none_or(|at| at >= t.created_at)));
    assert_eq!(store.user_tokens(APP, "ann", 1400).await.unwrap().len(), 2, "the idle one ended");
    assert!(store.user_tokens(APP, "nobody", 400).await.unwrap().is_empty());
}
