//! The conformance suite every [`Store`] must pass: each check takes a fresh, empty, migrated store of the
//! kind under test and asserts one promise of the storage interface through the traits only (no SQL), as
//! the API's handlers rely on it. SQLite runs it in `sqlite/tests.rs`; any other backend runs it the same
//! way, with [`conformance_tests!`](crate::store::conformance::conformance_tests):
//!
//! ```ignore
//! crate::store::conformance::conformance_tests!(fresh_store().await);
//! ```
//!
//! expands to a module `conformance` holding one `#[tokio::test]` per check, each evaluating the expression
//! (inside an async fn, so it may `.await`) and handing the store it gives to the check: the expression
//! gives the store itself, or a pair `(store, guard)` whose guard lives as long as the test (a temporary
//! directory or database, dropped after the store); see [`UnderTest`].
//!
//! A new check is a `pub async fn` here taking `&dyn Store`, and a line in the macro's list.
//!
//! Times are chosen by the checks (seconds for messages and users, milliseconds for deliveries), except the
//! deliveries that sends and marks queue: those are due at once, by the real clock ([`now_ms`]), so the
//! checks that follow deliveries through claims and attempts queue theirs with `queue_presence` at chosen
//! times instead.

use confab_protocol::ids::{ConversationKey, APP_SENDER_UID};
use confab_protocol::realtime::ReceiptKind;
use confab_protocol::rest::app::UidSignInPolicy;
use confab_protocol::rest::bots::GroupChatSetting;
use confab_protocol::rest::groups::{GroupType, MemberScope};
use confab_protocol::rest::messages::{Category, Message, MessageData, ReceiverType};
use confab_protocol::rest::webhooks::{DeliveryState, TargetType, WebhookTrigger};
use serde_json::json;
use std::time::Duration;

use super::{
    App, Attempt, BasicAuth, BotChange, BotRecord, Cursor, DeliveryFilter, DeliveryRecord, GroupFilter, GroupPatch,
    GroupRecord, KeyRecord, KeyScope, MemberChange, MessageChange, MessageFilter, NewGroup, NewKey, NewMessage, NewUser,
    PageRequest, Patch, SendOutcome, SendRefusal, Store, StoreError, TokenLifetime, TokenOwner, UserFilter, UserOrigin,
    UserPatch, Viewer, WebhookChange, WebhookRecord,
};
use crate::hooks::now_ms;

/// Expands to a module `conformance` with one `#[tokio::test]` per check of the suite, each running the
/// check against the store that `$fresh` gives (evaluated in the test's async fn: a store, or a
/// `(store, guard)` pair, see [`UnderTest`]). Names in `$fresh` resolve as in the invoking module.
macro_rules! conformance_tests {
    ($fresh:expr) => {
        $crate::store::conformance::conformance_tests!(@checks conformance, $fresh;
            apps_and_keys_round_trip,
            replaced_keys_are_no_longer_found,
            app_settings_round_trip,
            users_are_created_once_with_their_origin,
            user_patches_set_keep_and_clear_fields,
            deactivated_users_are_kept_out_and_come_back,
            user_lists_page_in_name_order_and_filter,
            user_search_takes_wildcards_literally,
            viewers_see_conversations_friends_and_visible_roles,
            deleted_users_leave_tombstones_and_closed_conversations,
            tokens_sign_in_until_they_expire_or_idle_out,
            deleting_one_token_leaves_the_others,
            sweeping_expired_tokens_removes_only_those,
            a_repeated_muid_answers_the_first_message,
            sends_from_inactive_senders_or_to_missing_receivers_are_refused,
            blocks_refuse_sends_both_ways,
            group_sends_need_membership,
            message_ids_grow_and_the_log_covers_every_app,
            message_lists_page_by_cursor_both_ways,
            message_lists_filter_and_hide_deleted,
            members_read_only_their_membership_periods,
            a_user_banned_at_creation_reads_nothing,
            edits_and_deletes_store_an_action,
            conversations_list_newest_first_with_unread_counts,
            unread_counts_only_what_the_member_may_read,
            read_marks_never_move_back,
            groups_are_created_updated_and_deleted,
            group_lists_follow_viewer_search_and_tag,
            members_scopes_and_bans,
            membership_generation_moves_with_membership,
            blocks_work_one_way_and_count_both_ways,
            friends_and_presence_audience,
            bots_are_created_updated_and_deleted,
            a_direct_message_to_a_bot_queues_one_delivery,
            group_messages_reach_bots_by_their_setting,
            webhooks_are_created_updated_and_deleted,
            webhooks_get_the_events_they_subscribe_to,
            receipts_are_queued_once_per_forward_move,
            presence_reaches_subscribed_webhooks,
            claimed_deliveries_are_leased,
            attempts_record_delivered_retried_and_failed,
            old_deliveries_are_purged_and_failed_ones_retried,
            signals_wake_after_commits,
        );
    };
    // The tests of the checks of module `store::$suite` (this suite's, or another part's, such as
    // `conformance_console`), in a module of the same name.
    (@checks $suite:ident, $fresh:expr; $($check:ident),+ $(,)?) => {
        mod $suite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $check() {
                    let fresh = $fresh;
                    $crate::store::$suite::$check($crate::store::conformance::UnderTest::under_test(&fresh)).await;
                }
            )+
        }
    };
}
pub(crate) use conformance_tests;

/// What a fresh-store expression of [`conformance_tests!`] may give: a store, or a store with a guard that
/// must outlive it (a pair drops the store first).
pub(crate) trait UnderTest {
    /// The store under test.
    fn under_test(&self) -> &dyn Store;
}

impl<S: Store> UnderTest for S {
    fn under_test(&self) -> &dyn Store {
        self
    }
}

impl<S: Store, G> UnderTest for (S, G) {
    fn under_test(&self) -> &dyn Store {
        &self.0
    }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

/// The app most checks work in.
const APP: &str = "app-one";
/// Another app, to show that rows stay in theirs.
const OTHER_APP: &str = "app-two";
/// A time in milliseconds long past, for deliveries queued at chosen times.
const T0: i64 = 1_000_000;

/// An app with made-up settings (the other parts of the suite start from it too).
pub(super) fn app_record(app_id: &str) -> App {
    App {
        app_id: app_id.into(),
        name: format!("App {app_id}"),
        region: "local".into(),
        identity_secret: format!("secret-of-{app_id}"),
        enforce_identity: true,
        uid_sign_in: UidSignInPolicy::Verified,
        visible_roles: vec!["agent".into(), "bot".into()],
        created_at: 1_000,
    }
}

/// Stores [`app_record`]`(app_id)`, without keys.
pub(super) async fn with_app(store: &dyn Store, app_id: &str) {
    store.create_app(&app_record(app_id), &[]).await.expect("create the app");
}

/// A user the REST API made, named after their uid.
pub(super) fn new_user(uid: &str) -> NewUser {
    NewUser {
        uid: uid.into(),
        origin: UserOrigin::Api,
        name: uid.into(),
        avatar: None,
        link: None,
        role: "default".into(),
        status_message: None,
        metadata: None,
        tags: Vec::new(),
        created_at: 100,
    }
}

pub(super) async fn with_users(store: &dyn Store, app_id: &str, uids: &[&str]) {
    for uid in uids {
        store.create_user(app_id, &new_user(uid), None).await.expect("create a user");
    }
}

/// The app [`APP`] with these users.
pub(super) async fn app_with(store: &dyn Store, uids: &[&str]) {
    with_app(store, APP).await;
    with_users(store, APP, uids).await;
}

fn page(per_page: u32, page: u32) -> PageRequest {
    PageRequest { per_page, page }
}

fn text(value: &str) -> MessageData {
    MessageData { text: Some(value.into()), ..MessageData::default() }
}

pub(super) fn dm(sender: &str, receiver: &str, body: &str, sent_at: i64) -> NewMessage {
    NewMessage {
        sender: sender.into(),
        receiver: receiver.into(),
        receiver_type: ReceiverType::User,
        category: Category::Message,
        message_type: "text".into(),
        data: text(body),
        tags: Vec::new(),
        muid: None,
        sent_at,
        ..NewMessage::default()
    }
}

pub(super) fn to_group(sender: &str, guid: &str, body: &str, sent_at: i64) -> NewMessage {
    NewMessage { receiver_type: ReceiverType::Group, ..dm(sender, guid, body, sent_at) }
}

/// Sends `message`, which must be stored as a new message.
pub(super) async fn send(store: &dyn Store, app_id: &str, message: NewMessage) -> Message {
    match store.send_message(app_id, message).await.expect("send") {
        SendOutcome::Stored { message, created: true } => message,
        other => panic!("expected a new message, got {other:?}"),
    }
}

/// Sends `message`, which must be refused.
async fn refusal(store: &dyn Store, app_id: &str, message: NewMessage) -> SendRefusal {
    match store.send_message(app_id, message).await.expect("send") {
        SendOutcome::Refused(refusal) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

pub(super) fn id(message: &Message) -> i64 {
    message.id.parse().expect("a numeric message id")
}

pub(super) fn ids(messages: &[Message]) -> Vec<i64> {
    messages.iter().map(id).collect()
}

fn uids(users: &[confab_protocol::rest::users::User]) -> Vec<&str> {
    users.iter().map(|u| u.uid.as_str()).collect()
}

/// Everything, oldest first.
pub(super) fn everything() -> MessageFilter {
    MessageFilter {
        conversation_id: None,
        participant: None,
        category: None,
        message_type: None,
        sender: None,
        hide_deleted: false,
        cursor: Cursor::After(None),
        limit: 1000,
        ..MessageFilter::default()
    }
}

/// What `uid` may read, oldest first.
pub(super) fn readable_by(uid: &str) -> MessageFilter {
    MessageFilter { participant: Some(uid.into()), ..everything() }
}

/// One conversation, oldest first.
pub(super) fn in_conversation(key: ConversationKey) -> MessageFilter {
    MessageFilter { conversation_id: Some(key), ..everything() }
}

async fn list(store: &dyn Store, filter: MessageFilter) -> Vec<i64> {
    ids(&store.list_messages(APP, &filter).await.expect("list messages"))
}

pub(super) async fn new_group(store: &dyn Store, guid: &str, group_type: GroupType, members: &[(&str, MemberScope)]) -> GroupRecord {
    let group = NewGroup {
        guid: guid.into(),
        name: guid.into(),
        group_type,
        password_hash: None,
        icon: None,
        description: None,
        metadata: None,
        owner: None,
        tags: Vec::new(),
        created_at: 100,
    };
    let members: Vec<(String, MemberScope)> = members.iter().map(|(uid, scope)| ((*uid).to_owned(), *scope)).collect();
    store.create_group(APP, &group, &members, &[]).await.expect("create a group")
}

/// The action message the API stores with a member change (`joined`, `left`, `added`, `kicked`, `banned`,
/// `unbanned`, `scopeChanged`).
fn member_action(guid: &str, by: &str, action: &str, on: &str, sent_at: i64) -> NewMessage {
    NewMessage {
        sender: by.into(),
        receiver: guid.into(),
        receiver_type: ReceiverType::Group,
        category: Category::Action,
        message_type: "groupMember".into(),
        data: MessageData {
            action: Some(action.into()),
            entities: Some(json!({"by": {"uid": by}, "on": {"uid": on}, "for": {"guid": guid}})),
            ..MessageData::default()
        },
        tags: Vec::new(),
        muid: None,
        sent_at,
        ..NewMessage::default()
    }
}

/// Applies `change` in [`APP`]'s group `guid`, recorded as `action` by `by`; the action message.
async fn member_change(store: &dyn Store, guid: &str, change: MemberChange, by: &str, action: &str, sent_at: i64) -> Message {
    let on = match &change {
        MemberChange::Join { uid, .. }
        | MemberChange::Leave { uid }
        | MemberChange::Scope { uid, .. }
        | MemberChange::Ban { uid }
        | MemberChange::Unban { uid } => uid.clone(),
    };
    store
        .change_member(APP, guid, &change, &member_action(guid, by, action, &on, sent_at), sent_at)
        .await
        .expect("change a member")
}

fn join(uid: &str, scope: MemberScope) -> MemberChange {
    MemberChange::Join { uid: uid.into(), scope }
}

fn leave(uid: &str) -> MemberChange {
    MemberChange::Leave { uid: uid.into() }
}

/// The action message the API stores with an edit or delete of `message`.
fn message_action(message: &Message, by: &str, action: &str, sent_at: i64) -> NewMessage {
    NewMessage {
        sender: message.sender.clone(),
        receiver: message.receiver.clone(),
        receiver_type: message.receiver_type,
        category: Category::Action,
        message_type: "message".into(),
        data: MessageData {
            action: Some(action.into()),
            entities: Some(json!({"by": {"uid": by}, "on": {"id": message.id}})),
            ..MessageData::default()
        },
        tags: Vec::new(),
        muid: None,
        sent_at,
        ..NewMessage::default()
    }
}

pub(super) async fn edit(store: &dyn Store, message: &Message, body: &str, by: &str, at: i64) -> Option<Message> {
    let change = MessageChange::Edit { data: text(body), tags: None };
    store.change_message(APP, id(message), &change, by, &message_action(message, by, "edited", at), at).await.expect("edit")
}

pub(super) async fn delete(store: &dyn Store, message: &Message, by: &str, at: i64) -> Option<Message> {
    let action = message_action(message, by, "deleted", at);
    store.change_message(APP, id(message), &MessageChange::Delete, by, &action, at).await.expect("delete")
}

fn bot_record(uid: &str, setting: GroupChatSetting) -> BotRecord {
    BotRecord {
        uid: uid.into(),
        webhook_url: format!("https://bots.example.com/{uid}"),
        enabled: true,
        group_chat_setting: setting,
        basic_auth: None,
        signing_secret: format!("whsec_{uid}"),
        created_at: 100,
        updated_at: None,
    }
}

/// Makes the existing user `uid` a bot.
async fn with_bot(store: &dyn Store, uid: &str, setting: GroupChatSetting) {
    store.create_bot(APP, &bot_record(uid, setting)).await.expect("create a bot");
}

fn webhook_record(id: &str, triggers: &[WebhookTrigger]) -> WebhookRecord {
    WebhookRecord {
        id: id.into(),
        name: format!("Hook {id}"),
        url: format!("https://hooks.example.com/{id}"),
        enabled: true,
        triggers: triggers.to_vec(),
        basic_auth: None,
        signing_secret: format!("whsec_{id}"),
        created_at: 100,
        updated_at: None,
    }
}

async fn with_webhook(store: &dyn Store, id: &str, triggers: &[WebhookTrigger]) {
    assert!(store.create_webhook(APP, &webhook_record(id, triggers), 100).await.expect("create a webhook"));
}

/// A webhook with its triggers in name order, to compare regardless of the order they come in.
fn sorted(mut hook: WebhookRecord) -> WebhookRecord {
    hook.triggers.sort_by_key(|t| t.as_str());
    hook
}

/// [`APP`]'s deliveries in `state`, oldest first.
async fn deliveries_in(store: &dyn Store, state: DeliveryState) -> Vec<DeliveryRecord> {
    let (mut found, total) =
        store.deliveries(APP, &DeliveryFilter { state, target: None }, page(1000, 1)).await.expect("list deliveries");
    assert_eq!(total as usize, found.len());
    found.reverse();
    found
}

/// [`APP`]'s pending deliveries to `target`, oldest first.
async fn pending_to(store: &dyn Store, target: &str) -> Vec<DeliveryRecord> {
    let filter = DeliveryFilter { state: DeliveryState::Pending, target: Some(target.into()) };
    let (mut found, total) = store.deliveries(APP, &filter, page(1000, 1)).await.expect("list deliveries");
    assert_eq!(total as usize, found.len());
    found.reverse();
    found
}

/// (trigger, message id) of each delivery.
fn events(deliveries: &[DeliveryRecord]) -> Vec<(String, Option<i64>)> {
    deliveries.iter().map(|d| (d.trigger.clone(), d.message_id)).collect()
}

/// The delivery subscription of presence changes, and one presence change queued at `at_ms` per subject.
async fn presence_deliveries(store: &dyn Store, subjects: &[(&str, i64)]) -> Vec<DeliveryRecord> {
    with_webhook(store, "presence", &[WebhookTrigger::UserConnectionStatusChanged]).await;
    for (uid, at_ms) in subjects {
        store.queue_presence(APP, uid, &json!({"user": {"uid": uid, "status": "online"}}), *at_ms).await.expect("queue presence");
    }
    let queued = deliveries_in(store, DeliveryState::Pending).await;
    assert_eq!(queued.len(), subjects.len(), "one presence delivery per change");
    queued
}

fn delivery_ids(deliveries: &[DeliveryRecord]) -> Vec<i64> {
    deliveries.iter().map(|d| d.id).collect()
}

async fn claim(store: &dyn Store, now: i64, lease_until: i64, limit: u32) -> Vec<i64> {
    let mut claimed = delivery_ids(&store.claim_deliveries(now, lease_until, limit).await.expect("claim"));
    claimed.sort_unstable();
    claimed
}

async fn unread(store: &dyn Store, uid: &str, key: &ConversationKey) -> u64 {
    store.conversation(APP, uid, key).await.expect("conversation").expect("the user's conversation").unread
}

// ---------------------------------------------------------------------------------------------------------
// Apps and keys

/// An app reads back as stored; its keys are found by hash with their app and scope; unknown hashes and apps
/// are not found.
pub async fn apps_and_keys_round_trip(store: &dyn Store) {
    assert_eq!(store.app_count().await.unwrap(), 0);
    let app = app_record(APP);
    let keys = [
        NewKey { hash: b"auth-key-hash".to_vec(), name: "Auth Key".into(), scope: KeyScope::AuthOnly },
        NewKey { hash: b"rest-key-hash".to_vec(), name: "REST API Key".into(), scope: KeyScope::FullAccess },
    ];
    store.create_app(&app, &keys).await.unwrap();
    let other = App { uid_sign_in: UidSignInPolicy::Open, enforce_identity: false, ..app_record(OTHER_APP) };
    store.create_app(&other, &[NewKey { hash: b"other-key".to_vec(), name: "Auth Key".into(), scope: KeyScope::AuthOnly }]).await.unwrap();

    assert_eq!(store.app(APP).await.unwrap(), Some(app));
    assert_eq!(store.app(OTHER_APP).await.unwrap(), Some(other));
    assert_eq!(store.app("no-such-app").await.unwrap(), None);
    assert_eq!(store.app_count().await.unwrap(), 2);
    assert_eq!(store.key(b"auth-key-hash").await.unwrap(), Some(KeyRecord { app_id: APP.into(), scope: KeyScope::AuthOnly }));
    assert_eq!(store.key(b"rest-key-hash").await.unwrap(), Some(KeyRecord { app_id: APP.into(), scope: KeyScope::FullAccess }));
    assert_eq!(store.key(b"other-key").await.unwrap(), Some(KeyRecord { app_id: OTHER_APP.into(), scope: KeyScope::AuthOnly }));
    assert_eq!(store.key(b"no-such-key").await.unwrap(), None);
    assert_eq!(store.key(b"auth-key-has").await.unwrap(), None, "a prefix of a hash is not the key");
}

/// A key replaced by one of the same name (a rotated or revoked key) is no longer found; the new one is,
/// and the app's other keys and other apps' keys of that name stay.
pub async fn replaced_keys_are_no_longer_found(store: &dyn Store) {
    let keys = [
        NewKey { hash: b"old-auth".to_vec(), name: "Auth Key".into(), scope: KeyScope::AuthOnly },
        NewKey { hash: b"rest".to_vec(), name: "REST API Key".into(), scope: KeyScope::FullAccess },
    ];
    store.create_app(&app_record(APP), &keys).await.unwrap();
    store.create_app(&app_record(OTHER_APP), &[NewKey { hash: b"other-auth".to_vec(), name: "Auth Key".into(), scope: KeyScope::AuthOnly }]).await.unwrap();

    store.replace_key(APP, &NewKey { hash: b"new-auth".to_vec(), name: "Auth Key".into(), scope: KeyScope::AuthOnly }, 2_000).await.unwrap();
    assert_eq!(store.key(b"old-auth").await.unwrap(), None, "the replaced key stops working");
    assert_eq!(store.key(b"new-auth").await.unwrap(), Some(KeyRecord { app_id: APP.into(), scope: KeyScope::AuthOnly }));
    assert_eq!(store.key(b"rest").await.unwrap(), Some(KeyRecord { app_id: APP.into(), scope: KeyScope::FullAccess }));
    assert_eq!(store.key(b"other-auth").await.unwrap(), Some(KeyRecord { app_id: OTHER_APP.into(), scope: KeyScope::AuthOnly }));

    // A name the app had no key under: added beside the others.
    store.replace_key(APP, &NewKey { hash: b"backend-2".to_vec(), name: "Second".into(), scope: KeyScope::FullAccess }, 2_000).await.unwrap();
    assert!(store.key(b"backend-2").await.unwrap().is_some());
    assert!(store.key(b"rest").await.unwrap().is_some());
}

/// The uid sign-in policy and the visible roles are stored and read back; `enforce_identity` follows the
/// policy, and the open apps are listed.
pub async fn app_settings_round_trip(store: &dyn Store) {
    with_app(store, APP).await;
    with_app(store, OTHER_APP).await;
    assert!(store.apps_with_open_uid_sign_in().await.unwrap().is_empty());

    store.set_uid_sign_in(APP, UidSignInPolicy::Open).await.unwrap();
    let app = store.app(APP).await.unwrap().unwrap();
    assert_eq!((app.uid_sign_in, app.enforce_identity), (UidSignInPolicy::Open, false));
    assert_eq!(store.apps_with_open_uid_sign_in().await.unwrap(), [APP]);
    assert_eq!(store.app(OTHER_APP).await.unwrap().unwrap().uid_sign_in, UidSignInPolicy::Verified);

    store.set_uid_sign_in(APP, UidSignInPolicy::Off).await.unwrap();
    let app = store.app(APP).await.unwrap().unwrap();
    assert_eq!((app.uid_sign_in, app.enforce_identity), (UidSignInPolicy::Off, false));
    assert!(store.apps_with_open_uid_sign_in().await.unwrap().is_empty());

    store.set_uid_sign_in(APP, UidSignInPolicy::Verified).await.unwrap();
    let app = store.app(APP).await.unwrap().unwrap();
    assert_eq!((app.uid_sign_in, app.enforce_identity), (UidSignInPolicy::Verified, true));

    let roles = vec!["support".to_owned(), "agent".to_owned()];
    store.set_visible_roles(APP, &roles).await.unwrap();
    assert_eq!(store.app(APP).await.unwrap().unwrap().visible_roles, roles, "kept as given, in order");
    store.set_visible_roles(APP, &[]).await.unwrap();
    assert!(store.app(APP).await.unwrap().unwrap().visible_roles.is_empty());
    assert_eq!(store.app(OTHER_APP).await.unwrap().unwrap().visible_roles, ["agent", "bot"]);
}

// ---------------------------------------------------------------------------------------------------------
// Users

/// A user is stored with every field given and their origin; a second user with the same uid is a
/// `Conflict` (another app may use the uid); `user_or_create` answers an existing user untouched.
pub async fn users_are_created_once_with_their_origin(store: &dyn Store) {
    with_app(store, APP).await;
    with_app(store, OTHER_APP).await;
    let ann = NewUser {
        uid: "ann".into(),
        origin: UserOrigin::Uid,
        name: "Ann".into(),
        avatar: Some("https://example.com/ann.png".into()),
        link: Some("https://example.com/ann".into()),
        role: "agent".into(),
        status_message: Some("here".into()),
        metadata: Some(json!({"plan": "gold", "n": 1})),
        tags: vec!["vip".into(), "early".into()],
        created_at: 123,
    };
    let created = store.create_user(APP, &ann, Some(b"ann-token")).await.unwrap();
    assert_eq!(created.uid, "ann");
    assert_eq!(created.name, "Ann");
    assert_eq!(created.avatar.as_deref(), Some("https://example.com/ann.png"));
    assert_eq!(created.link.as_deref(), Some("https://example.com/ann"));
    assert_eq!(created.role, "agent");
    assert_eq!(created.status_message.as_deref(), Some("here"));
    assert_eq!(created.metadata, Some(json!({"plan": "gold", "n": 1})));
    assert_eq!(created.tags, ["vip", "early"]);
    assert_eq!(created.created_at, 123);
    assert_eq!((created.deactivated_at, created.last_active_at), (None, None));
    assert_eq!(store.user(APP, "ann").await.unwrap(), Some(created.clone()));
    assert_eq!(store.user(APP, "nobody").await.unwrap(), None);
    assert_eq!(store.user(OTHER_APP, "ann").await.unwrap(), None, "users belong to their app");

    // The token given at creation signs the user in.
    let owner = store.token_owner(b"ann-token", 200).await.unwrap();
    assert_eq!(owner, Some(TokenOwner { app_id: APP.into(), uid: "ann".into(), deactivated: false, variant_id: None }));

    let again = NewUser { name: "Another Ann".into(), ..new_user("ann") };
    assert!(matches!(store.create_user(APP, &again, None).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.user(APP, "ann").await.unwrap().unwrap().name, "Ann", "the conflict changed nothing");
    store.create_user(OTHER_APP, &new_user("ann"), None).await.expect("the same uid in another app");

    let (found, made) = store.user_or_create(APP, &again).await.unwrap();
    assert!(!made);
    assert_eq!(found, created);
    let (guest, made) = store.user_or_create(APP, &NewUser { origin: UserOrigin::Guest, ..new_user("guest-1") }).await.unwrap();
    assert!(made);
    assert_eq!(guest.uid, "guest-1");
    assert_eq!(store.user(APP, "guest-1").await.unwrap(), Some(guest));

    store.create_user(APP, &new_user("backend"), None).await.unwrap();
    assert_eq!(store.user_origin(APP, "ann").await.unwrap(), Some(UserOrigin::Uid));
    assert_eq!(store.user_origin(APP, "guest-1").await.unwrap(), Some(UserOrigin::Guest));
    assert_eq!(store.user_origin(APP, "backend").await.unwrap(), Some(UserOrigin::Api));
    assert_eq!(store.user_origin(APP, "nobody").await.unwrap(), None);

    store.touch_last_active(APP, "ann", 555).await.unwrap();
    assert_eq!(store.user(APP, "ann").await.unwrap().unwrap().last_active_at, Some(555));
}

/// A patch sets what it sets, clears what it clears (a cleared role is `default`, cleared tags are empty)
/// and keeps the rest; `updated_at` is the patch's time; no such user is `None`.
pub async fn user_patches_set_keep_and_clear_fields(store: &dyn Store) {
    with_app(store, APP).await;
    let ann = NewUser {
        avatar: Some("https://example.com/a.png".into()),
        link: Some("https://example.com/a".into()),
        role: "agent".into(),
        status_message: Some("busy".into()),
        metadata: Some(json!({"a": 1})),
        tags: vec!["one".into()],
        ..new_user("ann")
    };
    store.create_user(APP, &ann, None).await.unwrap();

    let patch = UserPatch {
        name: Some("Ann B.".into()),
        avatar: Patch::Set("https://example.com/b.png".into()),
        link: Patch::Clear,
        role: Patch::Keep,
        status_message: Patch::Keep,
        metadata: Patch::Set(json!({"b": 2})),
        tags: Patch::Set(vec!["two".into(), "three".into()]),
    };
    let patched = store.update_user(APP, "ann", &patch, 300).await.unwrap().expect("the user");
    assert_eq!(patched.name, "Ann B.");
    assert_eq!(patched.avatar.as_deref(), Some("https://example.com/b.png"));
    assert_eq!(patched.link, None);
    assert_eq!(patched.role, "agent");
    assert_eq!(patched.status_message.as_deref(), Some("busy"));
    assert_eq!(patched.metadata, Some(json!({"b": 2})));
    assert_eq!(patched.tags, ["two", "three"]);
    assert_eq!(patched.updated_at, Some(300));
    assert_eq!(patched.created_at, 100);
    assert_eq!(store.user(APP, "ann").await.unwrap(), Some(patched));

    let clear = UserPatch {
        role: Patch::Clear,
        status_message: Patch::Clear,
        metadata: Patch::Clear,
        tags: Patch::Clear,
        avatar: Patch::Clear,
        ..UserPatch::default()
    };
    let cleared = store.update_user(APP, "ann", &clear, 400).await.unwrap().expect("the user");
    assert_eq!(cleared.name, "Ann B.", "no name: kept");
    assert_eq!(cleared.role, "default");
    assert_eq!((cleared.status_message, cleared.metadata, cleared.avatar), (None, None, None));
    assert!(cleared.tags.is_empty());
    assert_eq!(cleared.updated_at, Some(400));

    assert_eq!(store.update_user(APP, "nobody", &patch, 500).await.unwrap(), None);
    assert_eq!(store.user(APP, "nobody").await.unwrap(), None, "a patch creates nobody");
}

/// Deactivation answers the uids that exist, stamps them, keeps them out of lists (unless asked for) and
/// marks their tokens' owner deactivated; reactivation undoes it.
pub async fn deactivated_users_are_kept_out_and_come_back(store: &dyn Store) {
    app_with(store, &["ann", "bob"]).await;
    store.create_token(APP, "ann", b"ann-token", 100, TokenLifetime::default()).await.unwrap();

    let changed = store.set_deactivated(APP, &["ann".into(), "ghost".into()], Some(200)).await.unwrap();
    assert_eq!(changed, ["ann"]);
    assert_eq!(store.user(APP, "ann").await.unwrap().unwrap().deactivated_at, Some(200), "still readable, deactivated");
    let (active, total) = store.list_users(APP, &UserFilter::default(), page(10, 1)).await.unwrap();
    assert_eq!((uids(&active), total), (vec!["bob"], 1));
    let with = UserFilter { with_deactivated: true, ..UserFilter::default() };
    let (everyone, total) = store.list_users(APP, &with, page(10, 1)).await.unwrap();
    assert_eq!((uids(&everyone), total), (vec!["ann", "bob"], 2));
    let owner = store.token_owner(b"ann-token", 300).await.unwrap().expect("the token still names its user");
    assert!(owner.deactivated);

    let changed = store.set_deactivated(APP, &["ann".into(), "ghost".into()], None).await.unwrap();
    assert_eq!(changed, ["ann"]);
    assert_eq!(store.user(APP, "ann").await.unwrap().unwrap().deactivated_at, None);
    let (active, _) = store.list_users(APP, &UserFilter::default(), page(10, 1)).await.unwrap();
    assert_eq!(uids(&active), ["ann", "bob"]);
    assert!(!store.token_owner(b"ann-token", 300).await.unwrap().unwrap().deactivated);
}

/// Users are listed by name (ignoring case), then uid, a page at a time with the total of all pages; role,
/// tag, `only` and `except` filter the list and its total.
pub async fn user_lists_page_in_name_order_and_filter(store: &dyn Store) {
    with_app(store, APP).await;
    with_app(store, OTHER_APP).await;
    for (uid, name, role, tags) in [
        ("u1", "erin", "default", vec![]),
        ("u2", "Carol", "agent", vec![]),
        ("u3", "alice", "default", vec!["vip"]),
        ("u4", "Bob", "default", vec![]),
        ("u5", "Dave", "default", vec!["vip", "new"]),
    ] {
        let user = NewUser { name: name.into(), role: role.into(), tags: tags.into_iter().map(String::from).collect(), ..new_user(uid) };
        store.create_user(APP, &user, None).await.unwrap();
    }
    store.create_user(OTHER_APP, &new_user("elsewhere"), None).await.unwrap();

    let all = UserFilter::default();
    let (first, total) = store.list_users(APP, &all, page(2, 1)).await.unwrap();
    assert_eq!((uids(&first), total), (vec!["u3", "u4"], 5));
    let (second, total) = store.list_users(APP, &all, page(2, 2)).await.unwrap();
    assert_eq!((uids(&second), total), (vec!["u2", "u5"], 5));
    let (third, total) = store.list_users(APP, &all, page(2, 3)).await.unwrap();
    assert_eq!((uids(&third), total), (vec!["u1"], 5));
    let (beyond, total) = store.list_users(APP, &all, page(2, 4)).await.unwrap();
    assert_eq!((beyond.len(), total), (0, 5));

    let filtered = |filter: UserFilter| async move {
        let (users, total) = store.list_users(APP, &filter, page(10, 1)).await.unwrap();
        assert_eq!(total as usize, users.len());
        users.into_iter().map(|u| u.uid).collect::<Vec<_>>()
    };
    assert_eq!(filtered(UserFilter { role: Some("agent".into()), ..UserFilter::default() }).await, ["u2"]);
    assert_eq!(filtered(UserFilter { tag: Some("vip".into()), ..UserFilter::default() }).await, ["u3", "u5"]);
    assert_eq!(filtered(UserFilter { tag: Some("vi".into()), ..UserFilter::default() }).await, Vec::<String>::new(), "tags match whole");
    let only = Some(vec!["u1".into(), "u4".into(), "ghost".into()]);
    assert_eq!(filtered(UserFilter { only, ..UserFilter::default() }).await, ["u4", "u1"]);
    assert_eq!(filtered(UserFilter { only: Some(Vec::new()), ..UserFilter::default() }).await, Vec::<String>::new(), "only nobody");
    let except = vec!["u3".into(), "u2".into()];
    assert_eq!(filtered(UserFilter { except, ..UserFilter::default() }).await, ["u4", "u5", "u1"]);
}

/// A search matches a substring of the uid or the name, ignoring case; `%`, `_` and `\` in it match only
/// themselves.
pub async fn user_search_takes_wildcards_literally(store: &dyn Store) {
    with_app(store, APP).await;
    for (uid, name) in [
        ("a_b", "Under Score"),
        ("axb", "Plain"),
        ("pct", "100% real"),
        ("thousand", "1000 real"),
        ("slash", "back\\slash"),
        ("bs", "backslash"),
    ] {
        store.create_user(APP, &NewUser { name: name.into(), ..new_user(uid) }, None).await.unwrap();
    }
    let search = |term: &str| {
        let filter = UserFilter { search: Some(term.into()), ..UserFilter::default() };
        async move {
            let (users, total) = store.list_users(APP, &filter, page(10, 1)).await.unwrap();
            assert_eq!(total as usize, users.len());
            let mut found: Vec<String> = users.into_iter().map(|u| u.uid).collect();
            found.sort();
            found
        }
    };
    assert_eq!(search("_").await, ["a_b"]);
    assert_eq!(search("a_b").await, ["a_b"]);
    assert_eq!(search("%").await, ["pct"]);
    assert_eq!(search("0%").await, ["pct"]);
    assert_eq!(search("\\").await, ["slash"]);
    assert_eq!(search("UNDER").await, ["a_b"], "names ignore case");
    assert_eq!(search("AXB").await, ["axb"], "uids ignore case");
    assert_eq!(search("real").await, ["pct", "thousand"]);
    assert_eq!(search("nothing like it").await, Vec::<String>::new());
}

/// A session's list shows the users they have a 1:1 conversation with, their friends and the visible
/// roles, never themselves; a guest never sees other guests.
pub async fn viewers_see_conversations_friends_and_visible_roles(store: &dyn Store) {
    with_app(store, APP).await;
    for (uid, origin, role) in [
        ("me", UserOrigin::Api, "default"),
        ("pal", UserOrigin::Api, "default"),
        ("talker", UserOrigin::Uid, "default"),
        ("agent1", UserOrigin::Api, "agent"),
        ("stranger", UserOrigin::Uid, "default"),
        ("guestagent", UserOrigin::Guest, "agent"),
        ("g1", UserOrigin::Guest, "default"),
        ("g2", UserOrigin::Guest, "default"),
    ] {
        store.create_user(APP, &NewUser { origin, role: role.into(), ..new_user(uid) }, None).await.unwrap();
    }
    store.add_friends(APP, "me", &["pal".into()], 100).await.unwrap();
    send(store, APP, dm("talker", "me", "hello", 100)).await;
    send(store, APP, dm("g1", "talker", "hi", 101)).await;
    send(store, APP, dm("g2", "g1", "psst", 102)).await;

    let visible = |uid: &str, is_guest: bool, search: Option<&str>| {
        let viewer = Viewer { uid: uid.into(), visible_roles: vec!["agent".into()], is_guest };
        let filter = UserFilter { viewer: Some(viewer), search: search.map(String::from), ..UserFilter::default() };
        async move {
            let (users, total) = store.list_users(APP, &filter, page(50, 1)).await.unwrap();
            assert_eq!(total as usize, users.len(), "the total counts what the viewer sees");
            users.into_iter().map(|u| u.uid).collect::<Vec<_>>()
        }
    };
    assert_eq!(visible("me", false, None).await, ["agent1", "guestagent", "pal", "talker"]);
    assert_eq!(visible("talker", false, None).await, ["agent1", "g1", "guestagent", "me"]);
    assert_eq!(visible("g1", true, None).await, ["agent1", "talker"], "a guest sees no guests, even ones they talked to");
    assert_eq!(visible("me", false, Some("agent")).await, ["agent1", "guestagent"]);
    assert_eq!(visible("stranger", false, None).await, ["agent1", "guestagent"]);
}

/// Deleting a user removes them, their tokens, memberships, blocks and friendships; what they wrote in
/// groups stays as tombstones (cleared, deleted at the deletion's time by the app); their 1:1 conversations
/// close for both sides, so a new user with the same uid reads none of them. A second delete is false.
pub async fn deleted_users_leave_tombstones_and_closed_conversations(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol"]).await;
    new_group(store, "g", GroupType::Public, &[("ann", MemberScope::Admin), ("carol", MemberScope::Participant)]).await;
    let dm1 = send(store, APP, dm("ann", "bob", "secret", 10)).await;
    let dm2 = send(store, APP, dm("bob", "ann", "reply", 20)).await;
    let said = send(store, APP, to_group("ann", "g", "hello all", 30)).await;
    let answer = send(store, APP, to_group("carol", "g", "hi ann", 40)).await;
    store.create_token(APP, "ann", b"ann-token", 100, TokenLifetime::default()).await.unwrap();
    store.add_friends(APP, "ann", &["carol".into()], 100).await.unwrap();
    store.block(APP, "bob", &["ann".into()], 100).await.unwrap();

    assert!(store.delete_user(APP, "ann", 500).await.unwrap());
    assert!(!store.delete_user(APP, "ann", 501).await.unwrap(), "already gone");
    assert_eq!(store.user(APP, "ann").await.unwrap(), None);
    assert_eq!(store.user_origin(APP, "ann").await.unwrap(), None);
    assert_eq!(store.token_owner(b"ann-token", 600).await.unwrap(), None);
    assert_eq!(store.member_uids(APP, "g").await.unwrap(), ["carol"]);
    assert_eq!(store.membership(APP, "g", "ann").await.unwrap(), None);
    assert_eq!(store.group(APP, "g").await.unwrap().unwrap().group.members_count, 1);

    let tombstone = store.message(APP, id(&said)).await.unwrap().expect("the group keeps its shape");
    assert_eq!(tombstone.data, MessageData::default());
    assert_eq!(tombstone.deleted_at, Some(500));
    assert_eq!(tombstone.deleted_by.as_deref(), Some(APP_SENDER_UID));
    assert_eq!(tombstone.sender, "ann");
    assert_eq!(store.message(APP, id(&answer)).await.unwrap(), Some(answer.clone()), "others' messages stay as they were");
    assert_eq!(list(store, readable_by("carol")).await, [id(&said), id(&answer)]);

    // The 1:1 conversation is closed for the other side.
    assert_eq!(store.message(APP, id(&dm1)).await.unwrap(), None);
    assert_eq!(store.message(APP, id(&dm2)).await.unwrap(), None);
    assert_eq!(list(store, readable_by("bob")).await, Vec::<i64>::new());
    let (bobs, total) = store.conversations(APP, "bob", page(10, 1)).await.unwrap();
    assert_eq!((bobs.len(), total), (0, 0));
    assert!(!store.conversation_exists(APP, &ConversationKey::direct("ann", "bob")).await.unwrap());
    assert_eq!(store.friends(APP, "carol", page(10, 1)).await.unwrap().1, 0);
    assert_eq!(store.blocked(APP, "bob", page(10, 1)).await.unwrap().1, 0);
    assert!(!store.blocked_either_way(APP, "ann", "bob").await.unwrap());
    assert!(store.presence_audience(APP, "bob").await.unwrap().is_empty());
    assert!(store.presence_audience(APP, "carol").await.unwrap().is_empty());

    // A new user with the same uid starts with nothing of the old one's.
    store.create_user(APP, &new_user("ann"), None).await.unwrap();
    assert_eq!(list(store, readable_by("ann")).await, Vec::<i64>::new());
    assert_eq!(store.conversations(APP, "ann", page(10, 1)).await.unwrap().1, 0);
    assert_eq!(store.conversation(APP, "ann", &ConversationKey::group("g")).await.unwrap(), None);
    assert_eq!(store.conversation(APP, "ann", &ConversationKey::direct("ann", "bob")).await.unwrap(), None);
    assert_eq!(store.membership(APP, "g", "ann").await.unwrap(), None);
    assert_eq!(store.friends(APP, "ann", page(10, 1)).await.unwrap().1, 0);
    let fresh = send(store, APP, dm("bob", "ann", "welcome", 700)).await;
    assert_eq!(list(store, in_conversation(ConversationKey::direct("ann", "bob"))).await, [id(&fresh)]);
    assert_eq!(list(store, readable_by("ann")).await, [id(&fresh)]);
    assert_eq!(list(store, readable_by("bob")).await, [id(&fresh)]);
    let row = store.conversation(APP, "ann", &ConversationKey::direct("ann", "bob")).await.unwrap().expect("the new conversation");
    assert_eq!((row.unread, row.last_message.map(|m| m.id)), (1, Some(fresh.id)));
}

// ---------------------------------------------------------------------------------------------------------
// Tokens

/// A token is found by its hash with its owner while it works: until `expires_at` (excluded), and while it
/// was used within `idle_secs` (a use is recorded at most once an hour); `tokens` lists the working ones,
/// oldest first.
pub async fn tokens_sign_in_until_they_expire_or_idle_out(store: &dyn Store) {
    app_with(store, &["ann", "bob"]).await;
    let forever = TokenLifetime::default();
    let fixed = TokenLifetime { expires_at: Some(50_000), idle_secs: None };
    let idle = TokenLifetime { expires_at: None, idle_secs: Some(10_000) };
    store.create_token(APP, "ann", b"forever", 0, forever).await.unwrap();
    store.create_token(APP, "ann", b"fixed", 1, fixed).await.unwrap();
    store.create_token(APP, "ann", b"idle", 2, idle).await.unwrap();
    store.create_token(APP, "bob", b"bobs", 3, forever).await.unwrap();

    let ann = Some(TokenOwner { app_id: APP.into(), uid: "ann".into(), deactivated: false, variant_id: None });
    assert_eq!(store.token_owner(b"forever", 1_000_000).await.unwrap(), ann);
    assert_eq!(store.token_owner(b"bobs", 10).await.unwrap().map(|o| o.uid).as_deref(), Some("bob"));
    assert_eq!(store.token_owner(b"unknown", 10).await.unwrap(), None);

    let listed = store.tokens(APP, "ann", 5).await.unwrap();
    let hashes: Vec<&[u8]> = listed.iter().map(|t| t.hash.as_slice()).collect();
    assert_eq!(hashes, [b"forever".as_slice(), b"fixed", b"idle"], "oldest first");
    assert_eq!((listed[1].created_at, listed[1].lifetime), (1, fixed));
    assert_eq!((listed[2].created_at, listed[2].lifetime), (2, idle));

    assert_eq!(store.token_owner(b"fixed", 49_999).await.unwrap(), ann);
    assert_eq!(store.token_owner(b"fixed", 50_000).await.unwrap(), None, "expired at expires_at");

    // Used at 9,000 s (over an hour after it was made): the idle clock starts again.
    assert_eq!(store.token_owner(b"idle", 9_000).await.unwrap(), ann);
    assert_eq!(store.token_owner(b"idle", 15_000).await.unwrap(), ann);
    // Last used at 15,000 s: gone 10,000 s later.
    assert_eq!(store.token_owner(b"idle", 25_001).await.unwrap(), None);
    let left: Vec<Vec<u8>> = store.tokens(APP, "ann", 60_000).await.unwrap().into_iter().map(|t| t.hash).collect();
    assert_eq!(left, [b"forever".to_vec()]);
    assert!(store.tokens(APP, "nobody", 0).await.unwrap().is_empty());
}

/// Deleting a token by its hash or a prefix of it (its id) deletes that one only; deleting all of a user's
/// deletes theirs only; the counts say how many went.
pub async fn deleting_one_token_leaves_the_others(store: &dyn Store) {
    app_with(store, &["ann", "bob"]).await;
    let lifetime = TokenLifetime::default();
    store.create_token(APP, "ann", b"aaaa-1111", 1, lifetime).await.unwrap();
    store.create_token(APP, "ann", b"bbbb-2222", 2, lifetime).await.unwrap();
    store.create_token(APP, "ann", b"cccc-3333", 3, lifetime).await.unwrap();
    store.create_token(APP, "bob", b"dddd-4444", 4, lifetime).await.unwrap();

    assert_eq!(store.delete_tokens(APP, "ann", Some(b"bbbb-2222")).await.unwrap(), 1);
    assert_eq!(store.token_owner(b"bbbb-2222", 10).await.unwrap(), None, "a deleted token stops at once");
    assert!(store.token_owner(b"aaaa-1111", 10).await.unwrap().is_some());
    assert!(store.token_owner(b"cccc-3333", 10).await.unwrap().is_some());

    assert_eq!(store.delete_tokens(APP, "ann", Some(b"cccc")).await.unwrap(), 1, "by id: a prefix of the hash");
    assert_eq!(store.token_owner(b"cccc-3333", 10).await.unwrap(), None);
    assert_eq!(store.delete_tokens(APP, "ann", Some(b"dddd")).await.unwrap(), 0, "another user's token is not theirs to delete");
    assert_eq!(store.delete_tokens(APP, "ann", Some(b"zzzz")).await.unwrap(), 0);

    assert_eq!(store.delete_tokens(APP, "ann", None).await.unwrap(), 1);
    assert!(store.tokens(APP, "ann", 10).await.unwrap().is_empty());
    assert!(store.token_owner(b"dddd-4444", 10).await.unwrap().is_some(), "bob's token stays");
}

/// The sweep deletes exactly the tokens that no longer work and answers each with its app and user.
pub async fn sweeping_expired_tokens_removes_only_those(store: &dyn Store) {
    app_with(store, &["ann", "bob"]).await;
    with_app(store, OTHER_APP).await;
    with_users(store, OTHER_APP, &["cat"]).await;
    store.create_token(APP, "ann", b"forever", 0, TokenLifetime::default()).await.unwrap();
    store.create_token(APP, "ann", b"expired", 0, TokenLifetime { expires_at: Some(900), idle_secs: None }).await.unwrap();
    store.create_token(APP, "bob", b"idle-gone", 0, TokenLifetime { expires_at: None, idle_secs: Some(500) }).await.unwrap();
    store.create_token(APP, "bob", b"later", 0, TokenLifetime { expires_at: Some(2_000), idle_secs: None }).await.unwrap();
    store.create_token(APP, "bob", b"idle-alive", 800, TokenLifetime { expires_at: None, idle_secs: Some(500) }).await.unwrap();
    store.create_token(OTHER_APP, "cat", b"other-expired", 0, TokenLifetime { expires_at: Some(10), idle_secs: None }).await.unwrap();

    let mut swept = store.delete_expired_tokens(1_000).await.unwrap();
    swept.sort_by(|a, b| a.hash.cmp(&b.hash));
    let swept: Vec<(&str, &str, &[u8])> = swept.iter().map(|t| (t.app_id.as_str(), t.uid.as_str(), t.hash.as_slice())).collect();
    assert_eq!(
        swept,
        [(APP, "ann", b"expired".as_slice()), (APP, "bob", b"idle-gone".as_slice()), (OTHER_APP, "cat", b"other-expired".as_slice())]
    );
    for working in [b"forever".as_slice(), b"later", b"idle-alive"] {
        assert!(store.token_owner(working, 1_000).await.unwrap().is_some(), "{:?} still works", String::from_utf8_lossy(working));
    }
    assert!(store.delete_expired_tokens(1_000).await.unwrap().is_empty(), "nothing left to sweep");
}

// ---------------------------------------------------------------------------------------------------------
// Sends

/// A second send with a `muid` its sender used answers the first message (`created == false`) and stores
/// nothing; another sender may use the same `muid`; sends without a `muid` are never merged.
pub async fn a_repeated_muid_answers_the_first_message(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol"]).await;
    let first = send(store, APP, NewMessage { muid: Some("m-1".into()), ..dm("ann", "bob", "first", 10) }).await;
    assert_eq!(first.muid.as_deref(), Some("m-1"));
    assert_eq!(first.data.text.as_deref(), Some("first"));
    assert_eq!(first.conversation_id, "ann_user_bob");

    let retry = store.send_message(APP, NewMessage { muid: Some("m-1".into()), ..dm("ann", "bob", "second", 11) }).await.unwrap();
    assert_eq!(retry, SendOutcome::Stored { message: first.clone(), created: false });
    // The same muid to another receiver is still the same send.
    let elsewhere = store.send_message(APP, NewMessage { muid: Some("m-1".into()), ..dm("ann", "carol", "third", 12) }).await.unwrap();
    assert_eq!(elsewhere, SendOutcome::Stored { message: first.clone(), created: false });
    assert!(!store.conversation_exists(APP, &ConversationKey::direct("ann", "carol")).await.unwrap());

    let bobs = send(store, APP, NewMessage { muid: Some("m-1".into()), ..dm("bob", "ann", "bob's own", 13) }).await;
    assert_ne!(bobs.id, first.id);
    let plain_1 = send(store, APP, dm("ann", "bob", "no muid", 14)).await;
    let plain_2 = send(store, APP, dm("ann", "bob", "no muid", 14)).await;
    assert_ne!(plain_1.id, plain_2.id);
    assert_eq!(list(store, everything()).await, [id(&first), id(&bobs), id(&plain_1), id(&plain_2)]);
    assert_eq!(store.message(APP, id(&first)).await.unwrap(), Some(first));

    with_app(store, OTHER_APP).await;
    with_users(store, OTHER_APP, &["ann", "bob"]).await;
    send(store, OTHER_APP, NewMessage { muid: Some("m-1".into()), ..dm("ann", "bob", "another app", 15) }).await;
}

/// A sender that does not exist or is deactivated, a receiver that does not exist or is deactivated, and a
/// group that does not exist are refused, and nothing is stored.
pub async fn sends_from_inactive_senders_or_to_missing_receivers_are_refused(store: &dyn Store) {
    app_with(store, &["ann", "bob", "sleepy"]).await;
    store.set_deactivated(APP, &["sleepy".into()], Some(50)).await.unwrap();

    assert_eq!(refusal(store, APP, dm("ghost", "bob", "hi", 10)).await, SendRefusal::SenderInactive);
    assert_eq!(refusal(store, APP, dm("sleepy", "bob", "hi", 10)).await, SendRefusal::SenderInactive);
    assert_eq!(refusal(store, APP, dm("ann", "ghost", "hi", 10)).await, SendRefusal::NoReceiver);
    assert_eq!(refusal(store, APP, dm("ann", "sleepy", "hi", 10)).await, SendRefusal::NoReceiver);
    assert_eq!(refusal(store, APP, to_group("ann", "no-such-group", "hi", 10)).await, SendRefusal::NoReceiver);
    assert_eq!(refusal(store, APP, to_group("ghost", "no-such-group", "hi", 10)).await, SendRefusal::SenderInactive);
    assert_eq!(store.newest_message_id().await.unwrap(), 0, "nothing stored");
    assert!(!store.conversation_exists(APP, &ConversationKey::direct("ann", "ghost")).await.unwrap());

    store.set_deactivated(APP, &["sleepy".into()], None).await.unwrap();
    send(store, APP, dm("sleepy", "bob", "back", 20)).await;
    send(store, APP, dm("ann", "sleepy", "welcome back", 21)).await;
}

/// A block refuses sends both ways (the blocker's and the blocked's), to that user only; unblocking lets
/// them through again.
pub async fn blocks_refuse_sends_both_ways(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol"]).await;
    store.block(APP, "ann", &["bob".into()], 10).await.unwrap();
    assert_eq!(refusal(store, APP, dm("ann", "bob", "hi", 10)).await, SendRefusal::Blocked, "the blocker cannot send");
    assert_eq!(refusal(store, APP, dm("bob", "ann", "hi", 10)).await, SendRefusal::Blocked, "the blocked cannot send");
    assert_eq!(store.newest_message_id().await.unwrap(), 0);
    send(store, APP, dm("carol", "bob", "hi", 11)).await;
    send(store, APP, dm("ann", "carol", "hi", 12)).await;

    store.unblock(APP, "ann", &["bob".into()]).await.unwrap();
    send(store, APP, dm("ann", "bob", "sorry", 13)).await;
    send(store, APP, dm("bob", "ann", "ok", 14)).await;
}

/// Only a member may send to a group: a non-member, a member who left and a banned user are refused; a
/// member is stored.
pub async fn group_sends_need_membership(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol"]).await;
    new_group(store, "g", GroupType::Public, &[("ann", MemberScope::Admin), ("carol", MemberScope::Participant)]).await;
    let stored = send(store, APP, to_group("ann", "g", "hello", 10)).await;
    assert_eq!((stored.conversation_id.as_str(), stored.receiver_type), ("group_g", ReceiverType::Group));
    assert_eq!(refusal(store, APP, to_group("bob", "g", "let me in", 11)).await, SendRefusal::NotMember);

    member_change(store, "g", join("bob", MemberScope::Participant), "bob", "joined", 12).await;
    send(store, APP, to_group("bob", "g", "in", 13)).await;
    member_change(store, "g", leave("bob"), "bob", "left", 14).await;
    assert_eq!(refusal(store, APP, to_group("bob", "g", "still here?", 15)).await, SendRefusal::NotMember);
    member_change(store, "g", MemberChange::Ban { uid: "carol".into() }, "ann", "banned", 16).await;
    assert_eq!(refusal(store, APP, to_group("carol", "g", "hey", 17)).await, SendRefusal::NotMember);
}

/// Message ids grow in send order across apps; the log lists every app's messages after an id, in id
/// order, with their app; the newest id is the last one (0 when there is none); a message is found only
/// in its own app.
pub async fn message_ids_grow_and_the_log_covers_every_app(store: &dyn Store) {
    assert_eq!(store.newest_message_id().await.unwrap(), 0);
    app_with(store, &["ann", "bob"]).await;
    with_app(store, OTHER_APP).await;
    with_users(store, OTHER_APP, &["cat", "dog"]).await;
    let mut sent = Vec::new();
    for n in 0..6 {
        let (app, message) = match n % 2 {
            0 => (APP, dm("ann", "bob", &format!("m{n}"), 10 + n)),
            _ => (OTHER_APP, dm("cat", "dog", &format!("m{n}"), 10 + n)),
        };
        sent.push((app.to_owned(), send(store, app, message).await));
    }
    let numbers: Vec<i64> = sent.iter().map(|(_, m)| id(m)).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "ids grow in send order: {numbers:?}");
    assert_eq!(store.newest_message_id().await.unwrap(), numbers[5]);

    let log = store.message_log(0, 100).await.unwrap();
    assert_eq!(log, sent);
    let tail = store.message_log(numbers[1], 2).await.unwrap();
    assert_eq!(tail, sent[2..4].to_vec());
    assert!(store.message_log(numbers[5], 10).await.unwrap().is_empty());

    assert_eq!(store.message(APP, numbers[0]).await.unwrap().as_ref(), Some(&sent[0].1));
    assert_eq!(store.message(APP, numbers[1]).await.unwrap(), None, "another app's message");
    assert_eq!(store.message(APP, numbers[5] + 100).await.unwrap(), None);
}

// ---------------------------------------------------------------------------------------------------------
// Message lists

/// Lists come oldest first: `After` pages forward from the oldest or an id, `Before` pages back from the
/// newest or an id (both exclusive), `AfterTime` from a send time (included), `BeforeTime` up to one
/// (excluded), each at most `limit` long; the same for one conversation, for a participant and for the app.
pub async fn message_lists_page_by_cursor_both_ways(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol"]).await;
    with_app(store, OTHER_APP).await;
    with_users(store, OTHER_APP, &["ann", "bob"]).await;
    let mut m = Vec::new();
    let mut aside = 0;
    for (n, at) in [10, 20, 30, 40, 50].into_iter().enumerate() {
        let (from, to) = if n % 2 == 0 { ("ann", "bob") } else { ("bob", "ann") };
        m.push(id(&send(store, APP, dm(from, to, &format!("m{n}"), at)).await));
        if n == 1 {
            aside = id(&send(store, APP, dm("ann", "carol", "aside", 25)).await);
            send(store, OTHER_APP, dm("ann", "bob", "other app", 25)).await;
        }
    }
    for (what, base) in [
        ("the conversation", in_conversation(ConversationKey::direct("ann", "bob"))),
        ("bob's messages", readable_by("bob")),
        ("ann and bob's conversation as ann", MessageFilter { conversation_id: Some(ConversationKey::direct("bob", "ann")), ..readable_by("ann") }),
    ] {
        let at = |cursor: Cursor, limit: u32| {
            let filter = MessageFilter { cursor, limit, ..base.clone() };
            async move { list(store, filter).await }
        };
        assert_eq!(at(Cursor::After(None), 100).await, m, "{what}: all, oldest first");
        assert_eq!(at(Cursor::After(None), 2).await, m[0..2], "{what}");
        assert_eq!(at(Cursor::After(Some(m[1])), 2).await, m[2..4], "{what}");
        assert_eq!(at(Cursor::After(Some(m[3])), 2).await, m[4..5], "{what}");
        assert_eq!(at(Cursor::After(Some(m[4])), 2).await, Vec::<i64>::new(), "{what}");
        assert_eq!(at(Cursor::Before(None), 100).await, m, "{what}");
        assert_eq!(at(Cursor::Before(None), 2).await, m[3..5], "{what}: the newest two, oldest first");
        assert_eq!(at(Cursor::Before(Some(m[3])), 2).await, m[1..3], "{what}");
        assert_eq!(at(Cursor::Before(Some(m[1])), 2).await, m[0..1], "{what}");
        assert_eq!(at(Cursor::Before(Some(m[0])), 2).await, Vec::<i64>::new(), "{what}");
        assert_eq!(at(Cursor::BeforeTime(30), 100).await, m[0..2], "{what}: sent before 30");
        assert_eq!(at(Cursor::BeforeTime(30), 1).await, m[1..2], "{what}: the newest sent before 30");
        assert_eq!(at(Cursor::AfterTime(30), 100).await, m[2..5], "{what}: sent at 30 or later");
        assert_eq!(at(Cursor::AfterTime(30), 1).await, m[2..3], "{what}: the oldest sent at 30 or later");
        assert_eq!(at(Cursor::AfterTime(51), 100).await, Vec::<i64>::new(), "{what}");
    }
    let whole_app = [m[0], m[1], aside, m[2], m[3], m[4]];
    assert_eq!(list(store, everything()).await, whole_app, "the app's messages, not the other app's");
    let app_wide = |cursor: Cursor, limit: u32| MessageFilter { cursor, limit, ..everything() };
    assert_eq!(list(store, app_wide(Cursor::Before(None), 2)).await, [m[3], m[4]]);
    assert_eq!(list(store, app_wide(Cursor::Before(Some(m[2])), 2)).await, [m[1], aside]);
    assert_eq!(list(store, app_wide(Cursor::After(Some(m[1])), 2)).await, [aside, m[2]]);
    assert_eq!(list(store, app_wide(Cursor::AfterTime(25), 2)).await, [aside, m[2]]);
    assert_eq!(list(store, app_wide(Cursor::BeforeTime(30), 2)).await, [m[1], aside]);
}

/// Category, type and sender filters pick their messages; `hide_deleted` leaves deleted ones out (they are
/// listed otherwise, cleared); the filters apply to a participant's list too.
pub async fn message_lists_filter_and_hide_deleted(store: &dyn Store) {
    app_with(store, &["ann", "bob"]).await;
    let hello = send(store, APP, dm("ann", "bob", "hello", 10)).await;
    let custom = NewMessage {
        category: Category::Custom,
        message_type: "poll".into(),
        data: MessageData { custom_data: Some(json!({"question": "tea?"})), ..MessageData::default() },
        ..dm("bob", "ann", "", 20)
    };
    let poll = send(store, APP, custom).await;
    assert_eq!(poll.category, Category::Custom);
    assert_eq!(poll.data.custom_data, Some(json!({"question": "tea?"})));
    let image = NewMessage {
        message_type: "image".into(),
        data: MessageData {
            attachments: Some(vec![confab_protocol::rest::messages::Attachment {
                url: "https://example.com/cat.png".into(),
                name: Some("cat.png".into()),
                mime_type: Some("image/png".into()),
                size: Some(1234),
                extension: Some("png".into()),
                ..Default::default()
            }]),
            ..MessageData::default()
        },
        tags: vec!["pets".into()],
        ..dm("ann", "bob", "", 30)
    };
    let picture = send(store, APP, image).await;
    assert_eq!(store.message(APP, id(&picture)).await.unwrap(), Some(picture.clone()), "attachments and tags round-trip");
    let gone = send(store, APP, dm("bob", "ann", "oops", 40)).await;
    delete(store, &gone, "bob", 50).await.expect("deleted");

    for base in [everything(), readable_by("ann")] {
        let with = |change: fn(&mut MessageFilter)| {
            let mut filter = base.clone();
            change(&mut filter);
            async move { store.list_messages(APP, &filter).await.unwrap() }
        };
        assert_eq!(ids(&with(|f| f.category = Some("custom".into())).await), [id(&poll)]);
        assert_eq!(ids(&with(|f| f.message_type = Some("image".into())).await), [id(&picture)]);
        assert_eq!(ids(&with(|f| f.sender = Some("bob".into())).await).len(), 3, "poll, oops and its delete action");
        let actions = with(|f| f.category = Some("action".into())).await;
        assert_eq!(actions.len(), 1);
        assert_eq!(actions[0].data.action.as_deref(), Some("deleted"));
        let shown = with(|f| f.category = Some("message".into())).await;
        assert_eq!(ids(&shown), [id(&hello), id(&picture), id(&gone)]);
        assert_eq!(shown[2].deleted_at, Some(50));
        assert_eq!(shown[2].data, MessageData::default());
        let hidden = with(|f| {
            f.category = Some("message".into());
            f.hide_deleted = true;
        })
        .await;
        assert_eq!(ids(&hidden), [id(&hello), id(&picture)]);
        let both = with(|f| {
            f.sender = Some("ann".into());
            f.message_type = Some("text".into());
        })
        .await;
        assert_eq!(ids(&both), [id(&hello)]);
    }
}

/// A member reads a group's messages only from the periods in which they were a member (from their
/// joining, its action included, to their leaving, kick or ban, its action included): a gap between a leave
/// and a rejoin stays unseen. Their own 1:1 conversations only, never others'.
pub async fn members_read_only_their_membership_periods(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol", "dave"]).await;
    new_group(store, "g", GroupType::Public, &[("ann", MemberScope::Admin), ("carol", MemberScope::Participant)]).await;
    let m1 = id(&send(store, APP, to_group("ann", "g", "before bob", 10)).await);
    let j1 = id(&member_change(store, "g", join("bob", MemberScope::Participant), "bob", "joined", 20).await);
    let m2 = id(&send(store, APP, to_group("ann", "g", "with bob", 30)).await);
    let l1 = id(&member_change(store, "g", leave("bob"), "bob", "left", 40).await);
    let m3 = id(&send(store, APP, to_group("ann", "g", "in the gap", 50)).await);
    let j2 = id(&member_change(store, "g", join("bob", MemberScope::Participant), "bob", "joined", 60).await);
    let m4 = id(&send(store, APP, to_group("ann", "g", "bob is back", 70)).await);
    let b1 = id(&member_change(store, "g", MemberChange::Ban { uid: "carol".into() }, "ann", "banned", 80).await);
    let m5 = id(&send(store, APP, to_group("ann", "g", "after carol", 90)).await);
    let private = id(&send(store, APP, dm("carol", "dave", "between us", 100)).await);
    let to_bob = id(&send(store, APP, dm("ann", "bob", "hi bob", 110)).await);

    assert_eq!(list(store, readable_by("bob")).await, [j1, m2, l1, j2, m4, b1, m5, to_bob]);
    assert_eq!(list(store, readable_by("carol")).await, [m1, j1, m2, l1, m3, j2, m4, b1, private]);
    assert_eq!(list(store, readable_by("ann")).await, [m1, j1, m2, l1, m3, j2, m4, b1, m5, to_bob]);
    assert_eq!(list(store, readable_by("dave")).await, [private]);
    let bobs_group = MessageFilter { conversation_id: Some(ConversationKey::group("g")), ..readable_by("bob") };
    assert_eq!(list(store, bobs_group.clone()).await, [j1, m2, l1, j2, m4, b1, m5]);
    let carols_dm = MessageFilter { conversation_id: Some(ConversationKey::direct("dave", "carol")), ..readable_by("bob") };
    assert_eq!(list(store, carols_dm).await, Vec::<i64>::new(), "not bob's conversation");

    // Cursors page over the periods as if the gap did not exist.
    let paged = |cursor: Cursor, limit: u32| MessageFilter { cursor, limit, ..bobs_group.clone() };
    assert_eq!(list(store, paged(Cursor::Before(None), 3)).await, [m4, b1, m5]);
    assert_eq!(list(store, paged(Cursor::Before(Some(j2)), 2)).await, [m2, l1]);
    assert_eq!(list(store, paged(Cursor::After(Some(m2)), 2)).await, [l1, j2]);
    assert_eq!(list(store, paged(Cursor::After(None), 3)).await, [j1, m2, l1]);
    assert_eq!(list(store, paged(Cursor::AfterTime(45), 10)).await, [j2, m4, b1, m5]);
    assert_eq!(list(store, paged(Cursor::BeforeTime(65), 2)).await, [l1, j2]);
}

/// A uid listed both as a member and as banned when a group is created is banned: not a member, and no
/// reader of what the group says afterwards.
pub async fn a_user_banned_at_creation_reads_nothing(store: &dyn Store) {
    app_with(store, &["ann", "bob"]).await;
    let group = NewGroup {
        guid: "g".into(),
        name: "g".into(),
        group_type: GroupType::Public,
        password_hash: None,
        icon: None,
        description: None,
        metadata: None,
        owner: None,
        tags: Vec::new(),
        created_at: 100,
    };
    let members = [("ann".to_owned(), MemberScope::Admin), ("bob".to_owned(), MemberScope::Participant)];
    store.create_group(APP, &group, &members, &["bob".to_owned()]).await.expect("create a group");
    assert!(store.membership(APP, "g", "bob").await.unwrap().is_none(), "bob is not a member");
    assert_eq!(store.member_uids(APP, "g").await.unwrap(), ["ann"]);
    let said = id(&send(store, APP, to_group("ann", "g", "bob may not read this", 110)).await);
    assert_eq!(list(store, readable_by("ann")).await, [said]);
    assert_eq!(list(store, readable_by("bob")).await, Vec::<i64>::new(), "bob reads nothing of the group");
}

/// An edit changes the content (and tags when given), stamps `edited_at`, `edited_by` and `updated_at`; a
/// delete clears the content and stamps `deleted_at` and `deleted_by`; each stores its action message and
/// answers the changed message. A deleted or missing message is not changed (`None`, no action stored).
pub async fn edits_and_deletes_store_an_action(store: &dyn Store) {
    app_with(store, &["ann", "bob"]).await;
    let draft = send(store, APP, NewMessage { tags: vec!["t1".into()], ..dm("ann", "bob", "draft", 10) }).await;

    let edited = edit(store, &draft, "final", "ann", 20).await.expect("edited");
    assert_eq!((edited.id.as_str(), edited.sent_at), (draft.id.as_str(), 10));
    assert_eq!(edited.data.text.as_deref(), Some("final"));
    assert_eq!(edited.tags, ["t1"], "no tags given: kept");
    assert_eq!((edited.edited_at, edited.edited_by.as_deref(), edited.updated_at), (Some(20), Some("ann"), Some(20)));
    assert_eq!(edited.deleted_at, None);
    assert_eq!(store.message(APP, id(&draft)).await.unwrap(), Some(edited.clone()));

    let retag = MessageChange::Edit { data: text("final!"), tags: Some(vec!["t2".into()]) };
    let retagged = store
        .change_message(APP, id(&draft), &retag, "app_system", &message_action(&draft, "app_system", "edited", 25), 25)
        .await
        .unwrap()
        .expect("edited");
    assert_eq!((retagged.tags.clone(), retagged.edited_by.as_deref()), (vec!["t2".to_owned()], Some("app_system")));

    let deleted = delete(store, &draft, "bob", 30).await.expect("deleted");
    assert_eq!(deleted.data, MessageData::default());
    assert_eq!((deleted.deleted_at, deleted.deleted_by.as_deref(), deleted.updated_at), (Some(30), Some("bob"), Some(30)));
    assert_eq!(store.message(APP, id(&draft)).await.unwrap(), Some(deleted.clone()));

    let all = store.list_messages(APP, &in_conversation(ConversationKey::direct("ann", "bob"))).await.unwrap();
    assert_eq!(all.len(), 4, "the message and three actions");
    let actions: Vec<(Category, &str, Option<&str>)> =
        all[1..].iter().map(|m| (m.category, m.message_type.as_str(), m.data.action.as_deref())).collect();
    assert_eq!(
        actions,
        [
            (Category::Action, "message", Some("edited")),
            (Category::Action, "message", Some("edited")),
            (Category::Action, "message", Some("deleted")),
        ]
    );
    assert_eq!(all[3].data.entities, Some(json!({"by": {"uid": "bob"}, "on": {"id": draft.id}})));
    assert!(ids(&all).windows(2).all(|w| w[0] < w[1]));
    let row = store.conversation(APP, "bob", &ConversationKey::direct("ann", "bob")).await.unwrap().unwrap();
    assert_eq!(row.last_message.map(|m| m.id), Some(all[3].id.clone()), "the newest action is the last message");

    let newest = store.newest_message_id().await.unwrap();
    assert_eq!(delete(store, &draft, "bob", 40).await, None, "deleted already");
    assert_eq!(edit(store, &draft, "again", "ann", 40).await, None, "a deleted message is not edited");
    let missing = Message { id: (newest + 1000).to_string(), ..draft.clone() };
    assert_eq!(edit(store, &missing, "x", "ann", 40).await, None);
    assert_eq!(delete(store, &missing, "ann", 40).await, None);
    assert_eq!(store.newest_message_id().await.unwrap(), newest, "no action stored for a change not made");
}

// ---------------------------------------------------------------------------------------------------------
// Conversations and marks

/// A user's conversations come newest first (by their last message, actions included) with the last message,
/// the other side and the count of unread messages from others (actions and their own do not count), a
/// page at a time with the total; one conversation reads the same; only the user's own are listed.
pub async fn conversations_list_newest_first_with_unread_counts(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol", "dave", "erin"]).await;
    new_group(store, "g", GroupType::Public, &[("ann", MemberScope::Admin), ("bob", MemberScope::Participant)]).await;
    new_group(store, "quiet", GroupType::Public, &[("ann", MemberScope::Admin)]).await;
    send(store, APP, dm("bob", "ann", "b1", 10)).await;
    let c1 = send(store, APP, dm("carol", "ann", "c1", 20)).await;
    let g1 = send(store, APP, to_group("bob", "g", "g1", 30)).await;
    let b2 = send(store, APP, dm("bob", "ann", "b2", 40)).await;
    let added = member_change(store, "g", join("dave", MemberScope::Participant), "bob", "added", 50).await;

    let (rows, total) = store.conversations(APP, "ann", page(10, 1)).await.unwrap();
    assert_eq!(total, 3, "a group without messages is no conversation yet");
    let seen: Vec<_> = rows
        .iter()
        .map(|r| (r.conversation_id.as_str(), r.conversation_type, r.with_id.as_str(), r.last_message.as_ref().map(|m| m.id.as_str()), r.unread, r.updated_at))
        .collect();
    assert_eq!(
        seen,
        [
            ("group_g", ReceiverType::Group, "g", Some(added.id.as_str()), 1, 50),
            ("ann_user_bob", ReceiverType::User, "bob", Some(b2.id.as_str()), 2, 40),
            ("ann_user_carol", ReceiverType::User, "carol", Some(c1.id.as_str()), 1, 20),
        ]
    );
    assert_eq!(rows[0].key, ConversationKey::group("g"));
    assert_eq!(rows[1].key, ConversationKey::direct("bob", "ann"));
    assert_eq!(rows[1].last_message.as_ref(), Some(&b2), "the last message in full");
    for row in &rows {
        assert_eq!(store.conversation(APP, "ann", &row.key).await.unwrap().as_ref(), Some(row), "one conversation reads as listed");
    }
    let (second, total) = store.conversations(APP, "ann", page(2, 2)).await.unwrap();
    assert_eq!((second.len(), total), (1, 3));
    assert_eq!(second[0].with_id, "carol");

    // Read marks clear unread counts; one's own messages never count.
    store.mark(APP, "ann", &ConversationKey::direct("ann", "bob"), id(&b2), ReceiptKind::Read).await.unwrap();
    store.mark(APP, "ann", &ConversationKey::group("g"), id(&g1), ReceiptKind::Read).await.unwrap();
    let a1 = send(store, APP, dm("ann", "carol", "a1", 60)).await;
    let (rows, _) = store.conversations(APP, "ann", page(10, 1)).await.unwrap();
    let unread: Vec<(&str, u64)> = rows.iter().map(|r| (r.with_id.as_str(), r.unread)).collect();
    assert_eq!(unread, [("carol", 1), ("g", 0), ("bob", 0)], "the action after the read mark does not count");

    let (carols, total) = store.conversations(APP, "carol", page(10, 1)).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!((carols[0].with_id.as_str(), carols[0].unread, carols[0].updated_at), ("ann", 1, 60));
    assert_eq!(carols[0].last_message.as_ref().map(|m| m.id.as_str()), Some(a1.id.as_str()));
    let (erins, total) = store.conversations(APP, "erin", page(10, 1)).await.unwrap();
    assert_eq!((erins.len(), total), (0, 0));

    assert_eq!(store.conversation(APP, "carol", &ConversationKey::group("g")).await.unwrap(), None, "not a member");
    assert_eq!(store.conversation(APP, "erin", &ConversationKey::direct("ann", "bob")).await.unwrap(), None, "not theirs");
    assert_eq!(store.conversation(APP, "ann", &ConversationKey::direct("ann", "erin")).await.unwrap(), None, "no such conversation");
    assert_eq!(store.conversation(APP, "ann", &ConversationKey::group("quiet")).await.unwrap(), None);

    assert!(store.conversation_exists(APP, &ConversationKey::direct("bob", "ann")).await.unwrap());
    assert!(store.conversation_exists(APP, &ConversationKey::group("g")).await.unwrap());
    assert!(!store.conversation_exists(APP, &ConversationKey::direct("ann", "erin")).await.unwrap());
    assert!(!store.conversation_exists(APP, &ConversationKey::group("quiet")).await.unwrap());
    assert!(!store.conversation_exists(OTHER_APP, &ConversationKey::group("g")).await.unwrap());
}

/// A member's unread count covers only the messages they may read: one who joins a group with history has
/// nothing unread until someone writes after they joined, and what was written while they were away does
/// not count once they rejoin.
pub async fn unread_counts_only_what_the_member_may_read(store: &dyn Store) {
    app_with(store, &["ann", "bob", "dave"]).await;
    new_group(store, "g", GroupType::Public, &[("ann", MemberScope::Admin), ("bob", MemberScope::Participant)]).await;
    for n in 0..3 {
        send(store, APP, to_group("bob", "g", &format!("old {n}"), 10 + n)).await;
    }
    member_change(store, "g", join("dave", MemberScope::Participant), "ann", "added", 20).await;
    assert_eq!(list(store, readable_by("dave")).await.len(), 1, "dave reads only the action that added him");
    assert_eq!(unread(store, "dave", &ConversationKey::group("g")).await, 0, "nothing dave may read is unread");
    let new = send(store, APP, to_group("bob", "g", "new", 30)).await;
    assert_eq!(unread(store, "dave", &ConversationKey::group("g")).await, 1);
    assert_eq!(unread(store, "ann", &ConversationKey::group("g")).await, 4);

    store.mark(APP, "dave", &ConversationKey::group("g"), id(&new), ReceiptKind::Read).await.unwrap();
    member_change(store, "g", leave("dave"), "dave", "left", 40).await;
    send(store, APP, to_group("bob", "g", "while dave is away", 50)).await;
    member_change(store, "g", join("dave", MemberScope::Participant), "dave", "joined", 60).await;
    assert_eq!(unread(store, "dave", &ConversationKey::group("g")).await, 0, "the gap is not unread");
    send(store, APP, to_group("bob", "g", "welcome back", 70)).await;
    assert_eq!(unread(store, "dave", &ConversationKey::group("g")).await, 1);
}

/// A read mark only moves forward: marking an older message changes nothing; a delivered mark does not
/// change the unread count.
pub async fn read_marks_never_move_back(store: &dyn Store) {
    app_with(store, &["ann", "bob"]).await;
    let key = ConversationKey::direct("ann", "bob");
    let mut m = Vec::new();
    for n in 0..4 {
        m.push(id(&send(store, APP, dm("bob", "ann", &format!("m{n}"), 10 + n)).await));
    }
    assert_eq!(unread(store, "ann", &key).await, 4);
    store.mark(APP, "ann", &key, m[1], ReceiptKind::Read).await.unwrap();
    assert_eq!(unread(store, "ann", &key).await, 2);
    store.mark(APP, "ann", &key, m[0], ReceiptKind::Read).await.unwrap();
    assert_eq!(unread(store, "ann", &key).await, 2, "never back");
    store.mark(APP, "ann", &key, m[3], ReceiptKind::Delivered).await.unwrap();
    assert_eq!(unread(store, "ann", &key).await, 2, "delivered is not read");
    store.mark(APP, "ann", &key, m[3], ReceiptKind::Read).await.unwrap();
    assert_eq!(unread(store, "ann", &key).await, 0);
    assert_eq!(unread(store, "bob", &key).await, 0, "marks are per user");
    send(store, APP, dm("bob", "ann", "more", 20)).await;
    assert_eq!(unread(store, "ann", &key).await, 1);
}

// ---------------------------------------------------------------------------------------------------------
// Groups and members

/// A group is stored with its fields, first members and bans (`Conflict` for a taken guid); a patch sets,
/// clears and keeps fields, and a new owner becomes an admin; deleting a group removes it and its messages.
pub async fn groups_are_created_updated_and_deleted(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol", "dave"]).await;
    with_app(store, OTHER_APP).await;
    let group = NewGroup {
        guid: "g".into(),
        name: "The Group".into(),
        group_type: GroupType::Password,
        password_hash: Some("salted-hash".into()),
        icon: Some("https://example.com/g.png".into()),
        description: Some("about".into()),
        metadata: Some(json!({"k": "v"})),
        owner: Some("ann".into()),
        tags: vec!["x".into()],
        created_at: 100,
    };
    let members = [("ann".to_owned(), MemberScope::Admin), ("bob".to_owned(), MemberScope::Participant)];
    let created = store.create_group(APP, &group, &members, &["carol".into()]).await.unwrap();
    assert_eq!(created.password_hash.as_deref(), Some("salted-hash"));
    let g = &created.group;
    assert_eq!((g.guid.as_str(), g.name.as_str(), g.group_type), ("g", "The Group", GroupType::Password));
    assert_eq!((g.icon.as_deref(), g.description.as_deref()), (Some("https://example.com/g.png"), Some("about")));
    assert_eq!((g.metadata.clone(), g.owner.as_deref(), g.tags.clone()), (Some(json!({"k": "v"})), Some("ann"), vec!["x".to_owned()]));
    assert_eq!((g.members_count, g.conversation_id.as_str(), g.created_at, g.updated_at), (2, "group_g", 100, None));
    assert_eq!((g.scope, g.has_joined, g.joined_at), (None, false, None), "no caller-specific fields");
    assert_eq!(store.group(APP, "g").await.unwrap(), Some(created.clone()));
    assert_eq!(store.group(OTHER_APP, "g").await.unwrap(), None);
    assert!(store.is_banned(APP, "g", "carol").await.unwrap());
    let again = NewGroup { name: "Another".into(), ..group.clone() };
    assert!(matches!(store.create_group(APP, &again, &[], &[]).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.group(APP, "g").await.unwrap().unwrap().group.name, "The Group");

    let patch = GroupPatch {
        name: Some("Renamed".into()),
        group_type: Some((GroupType::Public, None)),
        icon: Patch::Clear,
        description: Patch::Set("new about".into()),
        metadata: Patch::Keep,
        owner: Some("bob".into()),
        tags: Patch::Clear,
    };
    let updated = store.update_group(APP, "g", &patch, 200).await.unwrap().expect("the group");
    let g = &updated.group;
    assert_eq!((g.name.as_str(), g.group_type, updated.password_hash.as_deref()), ("Renamed", GroupType::Public, None));
    assert_eq!((g.icon.as_deref(), g.description.as_deref(), g.metadata.clone()), (None, Some("new about"), Some(json!({"k": "v"}))));
    assert_eq!((g.owner.as_deref(), g.tags.len(), g.updated_at, g.members_count), (Some("bob"), 0, Some(200), 2));
    assert_eq!(store.membership(APP, "g", "bob").await.unwrap().map(|m| m.scope), Some(MemberScope::Admin), "the owner is an admin");
    assert_eq!(store.group(APP, "g").await.unwrap(), Some(updated));
    let to_password = GroupPatch { group_type: Some((GroupType::Password, Some("other-hash".into()))), ..GroupPatch::default() };
    let locked = store.update_group(APP, "g", &to_password, 210).await.unwrap().unwrap();
    assert_eq!((locked.group.group_type, locked.password_hash.as_deref(), locked.group.name.as_str()), (GroupType::Password, Some("other-hash"), "Renamed"));
    assert_eq!(store.update_group(APP, "nope", &patch, 200).await.unwrap(), None);

    let said = send(store, APP, to_group("ann", "g", "hello", 300)).await;
    assert!(store.delete_group(APP, "g").await.unwrap());
    assert!(!store.delete_group(APP, "g").await.unwrap());
    assert_eq!(store.group(APP, "g").await.unwrap(), None);
    assert_eq!(store.membership(APP, "g", "ann").await.unwrap(), None);
    assert!(store.member_uids(APP, "g").await.unwrap().is_empty());
    assert!(!store.conversation_exists(APP, &ConversationKey::group("g")).await.unwrap());
    assert_eq!(store.message(APP, id(&said)).await.unwrap(), None, "its messages went with it");
    assert!(list(store, readable_by("ann")).await.is_empty());
    assert_eq!(store.conversations(APP, "ann", page(10, 1)).await.unwrap().1, 0);

    // The guid is free again, with nothing of the old group.
    new_group(store, "g", GroupType::Public, &[("dave", MemberScope::Admin)]).await;
    assert_eq!(store.member_uids(APP, "g").await.unwrap(), ["dave"]);
    assert!(!store.is_banned(APP, "g", "carol").await.unwrap());
    assert!(list(store, readable_by("dave")).await.is_empty());
}

/// Groups are listed by name (ignoring case), then guid, with the total; a viewer sees public and password
/// groups and the private ones they belong to, with their scope and join time; `joined_only`, search (with
/// literal wildcards) and tag filter.
pub async fn group_lists_follow_viewer_search_and_tag(store: &dyn Store) {
    app_with(store, &["ann", "bob"]).await;
    for (guid, name, group_type, members, tags) in [
        ("alpha", "Alpha", GroupType::Public, vec![("ann", MemberScope::Admin)], vec!["news"]),
        ("beta", "beta", GroupType::Password, vec![("bob", MemberScope::Admin)], vec![]),
        ("gamma", "Gamma", GroupType::Private, vec![("bob", MemberScope::Admin), ("ann", MemberScope::Participant)], vec!["news"]),
        ("delta", "Delta", GroupType::Private, vec![("bob", MemberScope::Admin)], vec![]),
        ("a_b", "Under", GroupType::Public, vec![], vec![]),
        ("axb", "Plain", GroupType::Public, vec![], vec![]),
        ("pct", "100% fun", GroupType::Public, vec![], vec![]),
    ] {
        let group = NewGroup {
            guid: guid.into(),
            name: name.into(),
            group_type,
            password_hash: None,
            icon: None,
            description: None,
            metadata: None,
            owner: None,
            tags: tags.into_iter().map(String::from).collect(),
            created_at: 100 + guid.len() as i64,
        };
        let members: Vec<(String, MemberScope)> = members.into_iter().map(|(u, s)| (u.to_owned(), s)).collect();
        store.create_group(APP, &group, &members, &[]).await.unwrap();
    }
    let listed = |filter: GroupFilter, p: PageRequest| async move {
        let (groups, total) = store.list_groups(APP, &filter, p).await.unwrap();
        (groups, total)
    };
    let guids = |groups: &[confab_protocol::rest::groups::Group]| groups.iter().map(|g| g.guid.clone()).collect::<Vec<_>>();

    let (all, total) = listed(GroupFilter::default(), page(10, 1)).await;
    assert_eq!(guids(&all), ["pct", "alpha", "beta", "delta", "gamma", "axb", "a_b"]);
    assert_eq!(total, 7);
    assert_eq!(all.iter().map(|g| g.members_count).collect::<Vec<_>>(), [0, 1, 1, 1, 2, 0, 0]);
    let (second, total) = listed(GroupFilter::default(), page(3, 2)).await;
    assert_eq!((guids(&second), total), (vec!["delta".to_owned(), "gamma".into(), "axb".into()], 7));

    let as_ann = GroupFilter { viewer: Some("ann".into()), ..GroupFilter::default() };
    let (seen, total) = listed(as_ann.clone(), page(10, 1)).await;
    assert_eq!((guids(&seen), total), (vec!["pct".to_owned(), "alpha".into(), "beta".into(), "gamma".into(), "axb".into(), "a_b".into()], 6));
    let mine: Vec<(&str, Option<MemberScope>, bool, Option<i64>)> =
        seen.iter().map(|g| (g.guid.as_str(), g.scope, g.has_joined, g.joined_at)).collect();
    assert_eq!(mine[1], ("alpha", Some(MemberScope::Admin), true, Some(105)));
    assert_eq!(mine[2], ("beta", None, false, None));
    assert_eq!(mine[3], ("gamma", Some(MemberScope::Participant), true, Some(105)));
    let (joined, total) = listed(GroupFilter { joined_only: true, ..as_ann.clone() }, page(10, 1)).await;
    assert_eq!((guids(&joined), total), (vec!["alpha".to_owned(), "gamma".into()], 2));

    let search = |term: &str, viewer: Option<&str>| {
        let filter = GroupFilter { search: Some(term.into()), viewer: viewer.map(String::from), ..GroupFilter::default() };
        async move {
            let (groups, total) = store.list_groups(APP, &filter, page(10, 1)).await.unwrap();
            assert_eq!(total as usize, groups.len());
            groups.into_iter().map(|g| g.guid).collect::<Vec<_>>()
        }
    };
    assert_eq!(search("_", None).await, ["a_b"]);
    assert_eq!(search("%", None).await, ["pct"]);
    assert_eq!(search("ALP", None).await, ["alpha"]);
    assert_eq!(search("elt", None).await, ["delta"]);
    assert_eq!(search("elt", Some("ann")).await, Vec::<String>::new(), "a private group stays hidden in a search");
    let (tagged, total) = listed(GroupFilter { tag: Some("news".into()), ..GroupFilter::default() }, page(10, 1)).await;
    assert_eq!((guids(&tagged), total), (vec!["alpha".to_owned(), "gamma".into()], 2));
}

/// Members are listed admins first, then moderators, then participants, with the total; `member_uids` has
/// each member; scope changes, kicks, leaves, bans (which remove the member) and unbans are applied, each
/// stored as the action message `change_member` answers; a join clears a ban.
pub async fn members_scopes_and_bans(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol", "dave", "erin"]).await;
    new_group(store, "g", GroupType::Public, &[("carol", MemberScope::Participant), ("ann", MemberScope::Admin), ("bob", MemberScope::Moderator)]).await;
    member_change(store, "g", join("dave", MemberScope::Participant), "dave", "joined", 300).await;

    let (members, total) = store.members(APP, "g", page(10, 1)).await.unwrap();
    let listed: Vec<(&str, MemberScope)> = members.iter().map(|m| (m.uid.as_str(), m.scope)).collect();
    assert_eq!(
        listed,
        [("ann", MemberScope::Admin), ("bob", MemberScope::Moderator), ("carol", MemberScope::Participant), ("dave", MemberScope::Participant)]
    );
    assert_eq!(total, 4);
    assert_eq!((members[0].name.as_str(), members[0].joined_at, members[3].joined_at), ("ann", 100, 300));
    let (second, total) = store.members(APP, "g", page(3, 2)).await.unwrap();
    assert_eq!((second.len(), second[0].uid.as_str(), total), (1, "dave", 4));
    let mut everyone = store.member_uids(APP, "g").await.unwrap();
    everyone.sort();
    assert_eq!(everyone, ["ann", "bob", "carol", "dave"]);
    let dave = store.membership(APP, "g", "dave").await.unwrap().expect("a member");
    assert_eq!((dave.scope, dave.joined_at), (MemberScope::Participant, 300));
    assert_eq!(store.membership(APP, "g", "erin").await.unwrap(), None);

    let action = member_change(store, "g", MemberChange::Scope { uid: "carol".into(), scope: MemberScope::Moderator }, "ann", "scopeChanged", 310).await;
    assert_eq!((action.category, action.message_type.as_str(), action.data.action.as_deref()), (Category::Action, "groupMember", Some("scopeChanged")));
    assert_eq!((action.sender.as_str(), action.receiver.as_str(), action.conversation_id.as_str()), ("ann", "g", "group_g"));
    assert_eq!(store.message(APP, id(&action)).await.unwrap(), Some(action.clone()), "the answer is the stored action");
    assert_eq!(store.membership(APP, "g", "carol").await.unwrap().map(|m| (m.scope, m.joined_at)), Some((MemberScope::Moderator, 100)));

    member_change(store, "g", leave("dave"), "ann", "kicked", 320).await;
    assert_eq!(store.membership(APP, "g", "dave").await.unwrap(), None);
    assert!(!store.is_banned(APP, "g", "dave").await.unwrap(), "a kick is no ban");

    member_change(store, "g", MemberChange::Ban { uid: "carol".into() }, "ann", "banned", 330).await;
    member_change(store, "g", MemberChange::Ban { uid: "erin".into() }, "ann", "banned", 331).await;
    assert_eq!(store.membership(APP, "g", "carol").await.unwrap(), None, "a ban removes the member");
    assert!(store.is_banned(APP, "g", "carol").await.unwrap());
    let (banned, total) = store.banned(APP, "g", page(10, 1)).await.unwrap();
    let banned: Vec<(&str, &str, i64)> = banned.iter().map(|b| (b.uid.as_str(), b.name.as_str(), b.banned_at)).collect();
    assert_eq!((banned, total), (vec![("carol", "carol", 330), ("erin", "erin", 331)], 2));
    assert_eq!(store.group(APP, "g").await.unwrap().unwrap().group.members_count, 2);

    member_change(store, "g", MemberChange::Unban { uid: "erin".into() }, "ann", "unbanned", 340).await;
    assert!(!store.is_banned(APP, "g", "erin").await.unwrap());
    assert_eq!(store.membership(APP, "g", "erin").await.unwrap(), None, "an unban does not make a member");
    member_change(store, "g", join("carol", MemberScope::Participant), "ann", "added", 350).await;
    assert!(!store.is_banned(APP, "g", "carol").await.unwrap(), "a join clears the ban");
    assert_eq!(store.banned(APP, "g", page(10, 1)).await.unwrap().1, 0);
    member_change(store, "g", leave("bob"), "bob", "left", 360).await;
    let mut left = store.member_uids(APP, "g").await.unwrap();
    left.sort();
    assert_eq!(left, ["ann", "carol"]);

    let actions = store.list_messages(APP, &MessageFilter { category: Some("action".into()), ..in_conversation(ConversationKey::group("g")) }).await.unwrap();
    let recorded: Vec<&str> = actions.iter().filter_map(|m| m.data.action.as_deref()).collect();
    assert_eq!(recorded, ["joined", "scopeChanged", "kicked", "banned", "banned", "unbanned", "added", "left"]);
}

/// The membership generation changes whenever membership changes: a group created with members, a member
/// change, a deleted group, a deleted user.
pub async fn membership_generation_moves_with_membership(store: &dyn Store) {
    app_with(store, &["ann", "bob"]).await;
    let mut last = store.membership_generation();
    let mut moved = |what: &str, store: &dyn Store| {
        let now = store.membership_generation();
        assert_ne!(now, last, "{what} moves the membership generation");
        last = now;
    };
    new_group(store, "g", GroupType::Public, &[("ann", MemberScope::Admin)]).await;
    moved("creating a group", store);
    member_change(store, "g", join("bob", MemberScope::Participant), "bob", "joined", 10).await;
    moved("a join", store);
    member_change(store, "g", MemberChange::Scope { uid: "bob".into(), scope: MemberScope::Moderator }, "ann", "scopeChanged", 11).await;
    moved("a scope change", store);
    member_change(store, "g", leave("bob"), "bob", "left", 12).await;
    moved("a leave", store);
    member_change(store, "g", MemberChange::Ban { uid: "bob".into() }, "ann", "banned", 13).await;
    moved("a ban", store);
    store.update_group(APP, "g", &GroupPatch { owner: Some("ann".into()), ..GroupPatch::default() }, 14).await.unwrap();
    moved("a change of owner", store);
    new_group(store, "h", GroupType::Public, &[("ann", MemberScope::Admin), ("bob", MemberScope::Participant)]).await;
    moved("creating another group", store);
    assert!(store.delete_user(APP, "bob", 15).await.unwrap());
    moved("deleting a member", store);
    assert!(store.delete_group(APP, "g").await.unwrap());
    moved("deleting a group", store);
}

// ---------------------------------------------------------------------------------------------------------
// Blocks and friends

/// A block is one way (`has_blocked`), counts both ways (`blocked_either_way`), is listed for the blocker
/// with the total, is idempotent, and is undone by unblocking.
pub async fn blocks_work_one_way_and_count_both_ways(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol", "dave"]).await;
    store.block(APP, "ann", &["carol".into(), "bob".into()], 10).await.unwrap();
    store.block(APP, "ann", &["bob".into()], 11).await.unwrap();
    assert!(store.has_blocked(APP, "ann", "bob").await.unwrap());
    assert!(!store.has_blocked(APP, "bob", "ann").await.unwrap());
    assert!(store.blocked_either_way(APP, "ann", "bob").await.unwrap());
    assert!(store.blocked_either_way(APP, "bob", "ann").await.unwrap());
    assert!(!store.blocked_either_way(APP, "bob", "carol").await.unwrap());
    assert!(!store.has_blocked(OTHER_APP, "ann", "bob").await.unwrap());

    let (blocked, total) = store.blocked(APP, "ann", page(10, 1)).await.unwrap();
    assert_eq!((uids(&blocked), total), (vec!["bob", "carol"], 2));
    assert_eq!(blocked[0], store.user(APP, "bob").await.unwrap().unwrap(), "listed as users");
    let (first, total) = store.blocked(APP, "ann", page(1, 2)).await.unwrap();
    assert_eq!((uids(&first), total), (vec!["carol"], 2));
    assert_eq!(store.blocked(APP, "bob", page(10, 1)).await.unwrap().1, 0);

    store.block(APP, "dave", &["ann".into()], 12).await.unwrap();
    store.unblock(APP, "ann", &["bob".into(), "dave".into()]).await.unwrap();
    assert!(!store.has_blocked(APP, "ann", "bob").await.unwrap());
    assert!(!store.blocked_either_way(APP, "bob", "ann").await.unwrap());
    assert!(store.has_blocked(APP, "dave", "ann").await.unwrap(), "ann cannot lift dave's block");
    assert!(store.blocked_either_way(APP, "ann", "dave").await.unwrap());
    let (blocked, total) = store.blocked(APP, "ann", page(10, 1)).await.unwrap();
    assert_eq!((uids(&blocked), total), (vec!["carol"], 1));
}

/// Friendships are made and ended both ways and listed with the total; a user's presence audience is their
/// friends and 1:1 partners, less anyone blocked either way.
pub async fn friends_and_presence_audience(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol", "dave", "erin"]).await;
    store.add_friends(APP, "ann", &["carol".into(), "bob".into()], 10).await.unwrap();
    store.add_friends(APP, "ann", &["bob".into()], 11).await.unwrap();
    let (friends, total) = store.friends(APP, "ann", page(10, 1)).await.unwrap();
    assert_eq!((uids(&friends), total), (vec!["bob", "carol"], 2));
    let (friends, total) = store.friends(APP, "bob", page(10, 1)).await.unwrap();
    assert_eq!((uids(&friends), total), (vec!["ann"], 1), "both ways");
    let (first, total) = store.friends(APP, "ann", page(1, 1)).await.unwrap();
    assert_eq!((uids(&first), total), (vec!["bob"], 2));

    send(store, APP, dm("dave", "ann", "hi", 12)).await;
    let audience = |uid: &'static str| async move {
        let mut found = store.presence_audience(APP, uid).await.unwrap();
        found.sort();
        found
    };
    assert_eq!(audience("ann").await, ["bob", "carol", "dave"]);
    assert_eq!(audience("dave").await, ["ann"]);
    assert!(audience("erin").await.is_empty());
    store.block(APP, "ann", &["carol".into()], 13).await.unwrap();
    store.block(APP, "dave", &["ann".into()], 13).await.unwrap();
    assert_eq!(audience("ann").await, ["bob"], "blocks count both ways");
    assert!(audience("dave").await.is_empty());

    store.remove_friends(APP, "bob", &["ann".into()]).await.unwrap();
    let (friends, total) = store.friends(APP, "ann", page(10, 1)).await.unwrap();
    assert_eq!((uids(&friends), total), (vec!["carol"], 1));
    assert_eq!(store.friends(APP, "bob", page(10, 1)).await.unwrap().1, 0);
    assert!(audience("ann").await.is_empty());
}

// ---------------------------------------------------------------------------------------------------------
// Bots, webhooks and deliveries

/// A bot is stored as given (`Conflict` when the user is a bot already), listed by uid with the total,
/// changed by a patch, and deleted while its user stays.
pub async fn bots_are_created_updated_and_deleted(store: &dyn Store) {
    app_with(store, &["zed", "helper", "ann"]).await;
    let helper = BotRecord { basic_auth: Some(BasicAuth { username: "u".into(), password: "p w".into() }), ..bot_record("helper", GroupChatSetting::MentionedMessages) };
    store.create_bot(APP, &helper).await.unwrap();
    store.create_bot(APP, &bot_record("zed", GroupChatSetting::AllMessages)).await.unwrap();
    assert_eq!(store.bot(APP, "helper").await.unwrap(), Some(helper.clone()));
    assert_eq!(store.bot(APP, "ann").await.unwrap(), None);
    assert!(matches!(store.create_bot(APP, &bot_record("helper", GroupChatSetting::None)).await, Err(StoreError::Conflict(_))));
    let (bots, total) = store.bots(APP, page(10, 1)).await.unwrap();
    assert_eq!(bots.iter().map(|b| b.uid.as_str()).collect::<Vec<_>>(), ["helper", "zed"]);
    assert_eq!(total, 2);
    let (second, total) = store.bots(APP, page(1, 2)).await.unwrap();
    assert_eq!((second.len(), second[0].uid.as_str(), total), (1, "zed", 2));

    let change = BotChange {
        webhook_url: Some("https://bots.example.com/v2".into()),
        enabled: Some(false),
        group_chat_setting: Some(GroupChatSetting::SlashedMessages),
        basic_auth: Patch::Clear,
    };
    let updated = store.update_bot(APP, "helper", &change, 200).await.unwrap().expect("the bot");
    let expected = BotRecord {
        webhook_url: "https://bots.example.com/v2".into(),
        enabled: false,
        group_chat_setting: GroupChatSetting::SlashedMessages,
        basic_auth: None,
        updated_at: Some(200),
        ..helper.clone()
    };
    assert_eq!(updated, expected);
    assert_eq!(store.bot(APP, "helper").await.unwrap(), Some(expected.clone()));
    let auth = BotChange { basic_auth: Patch::Set(BasicAuth { username: "v".into(), password: "q".into() }), ..BotChange::default() };
    let authed = store.update_bot(APP, "helper", &auth, 210).await.unwrap().unwrap();
    assert_eq!(authed, BotRecord { basic_auth: Some(BasicAuth { username: "v".into(), password: "q".into() }), updated_at: Some(210), ..expected });
    assert_eq!(store.update_bot(APP, "ann", &change, 200).await.unwrap(), None);

    assert!(store.delete_bot(APP, "helper").await.unwrap());
    assert!(!store.delete_bot(APP, "helper").await.unwrap());
    assert_eq!(store.bot(APP, "helper").await.unwrap(), None);
    assert!(store.user(APP, "helper").await.unwrap().is_some(), "the user stays");
    assert_eq!(store.bots(APP, page(10, 1)).await.unwrap().1, 1);
}

/// A 1:1 message (or custom message) to an enabled bot queues one delivery for it, in the send itself (it
/// is listed as soon as the send returns), carrying the content as sent; messages to others, messages from
/// bots, messages to disabled bots, and edits reach no bot.
pub async fn a_direct_message_to_a_bot_queues_one_delivery(store: &dyn Store) {
    app_with(store, &["ann", "bob", "helper", "echo", "sleepy"]).await;
    with_bot(store, "helper", GroupChatSetting::None).await;
    with_bot(store, "echo", GroupChatSetting::AllMessages).await;
    with_bot(store, "sleepy", GroupChatSetting::AllMessages).await;
    store.update_bot(APP, "sleepy", &BotChange { enabled: Some(false), ..BotChange::default() }, 10).await.unwrap();

    let before = now_ms();
    let hi = send(store, APP, NewMessage { tags: vec!["t".into()], ..dm("ann", "helper", "hi", 10) }).await;
    let queued = pending_to(store, "helper").await;
    assert_eq!(queued.len(), 1, "one delivery, queued with the send");
    let d = &queued[0];
    assert_eq!((d.app_id.as_str(), d.target_type, d.target.as_str(), d.trigger.as_str()), (APP, TargetType::Bot, "helper", "after_message"));
    assert_eq!((d.message_id, d.subject.as_deref(), d.conversation_id.as_deref()), (Some(id(&hi)), None, None));
    assert_eq!(d.detail, Some(json!({"data": {"text": "hi"}, "tags": ["t"]})));
    assert_eq!((d.state, d.attempts, d.last_error.as_deref(), d.last_status, d.finished_at), (DeliveryState::Pending, 0, None, None, None));
    assert!(d.created_at >= before - 1000 && d.created_at <= now_ms() + 1000, "created now (Unix ms)");
    assert!(d.next_attempt_at <= now_ms() + 1000, "due at once");

    send(store, APP, dm("ann", "bob", "not for bots", 11)).await;
    send(store, APP, dm("helper", "ann", "a bot's reply", 12)).await;
    send(store, APP, dm("helper", "echo", "bot to bot", 13)).await;
    send(store, APP, dm("ann", "sleepy", "anyone?", 14)).await;
    edit(store, &hi, "hi there", "ann", 15).await.expect("edited");
    let custom = NewMessage {
        category: Category::Custom,
        message_type: "card".into(),
        data: MessageData { custom_data: Some(json!({"k": 1})), ..MessageData::default() },
        ..dm("bob", "helper", "", 16)
    };
    let card = send(store, APP, custom).await;

    let all = deliveries_in(store, DeliveryState::Pending).await;
    let to_bots: Vec<(&str, Option<i64>)> = all.iter().map(|d| (d.target.as_str(), d.message_id)).collect();
    assert_eq!(to_bots, [("helper", Some(id(&hi))), ("helper", Some(id(&card)))]);
    assert_eq!(all[0].detail, Some(json!({"data": {"text": "hi"}, "tags": ["t"]})), "the content as sent, not as edited");
}

/// A group message reaches each enabled bot member whose setting matches: `allMessages` every one,
/// `slashedMessages` text starting with `/` (after spaces), `mentionedMessages` text holding `@uid` or
/// `<@uid:uid>` (ignoring case), `none` nothing; never a bot that is not a member, never from a bot.
pub async fn group_messages_reach_bots_by_their_setting(store: &dyn Store) {
    app_with(store, &["ann", "all", "slash", "helper", "quiet", "outsider"]).await;
    for (uid, setting) in [
        ("all", GroupChatSetting::AllMessages),
        ("slash", GroupChatSetting::SlashedMessages),
        ("helper", GroupChatSetting::MentionedMessages),
        ("quiet", GroupChatSetting::None),
        ("outsider", GroupChatSetting::AllMessages),
    ] {
        with_bot(store, uid, setting).await;
    }
    let members = [
        ("ann", MemberScope::Admin),
        ("all", MemberScope::Participant),
        ("slash", MemberScope::Participant),
        ("helper", MemberScope::Participant),
        ("quiet", MemberScope::Participant),
    ];
    new_group(store, "g", GroupType::Public, &members).await;

    let mut expected = Vec::new();
    for (n, (body, bots)) in [
        ("hello", vec!["all"]),
        ("  /help", vec!["all", "slash"]),
        ("ask @Helper please", vec!["all"]),
        ("<@uid:helper> hi", vec!["all", "helper"]),
        ("not /slashed", vec!["all"]),
    ]
    .into_iter()
    .enumerate()
    {
        // A mention is what the send stored as one (the chat layer reads `<@uid:UID>` and checks it).
        let mentions = match body.contains("<@uid:helper>") {
            true => vec![confab_protocol::rest::messages::MentionedUser { uid: "helper".into(), name: "helper".into() }],
            false => Vec::new(),
        };
        let sent = send(store, APP, NewMessage { mentions, ..to_group("ann", "g", body, 10 + n as i64) }).await;
        for bot in bots {
            expected.push((bot.to_owned(), id(&sent)));
        }
    }
    send(store, APP, to_group("all", "g", "/help @helper from a bot", 20)).await;
    store.update_bot(APP, "slash", &BotChange { enabled: Some(false), ..BotChange::default() }, 21).await.unwrap();
    let last = send(store, APP, to_group("ann", "g", "/disabled now", 22)).await;
    expected.push(("all".to_owned(), id(&last)));
    member_change(store, "g", leave("quiet"), "quiet", "left", 23).await;

    let mut got: Vec<(String, i64)> = deliveries_in(store, DeliveryState::Pending)
        .await
        .into_iter()
        .map(|d| {
            assert_eq!((d.target_type, d.trigger.as_str()), (TargetType::Bot, "after_message"));
            (d.target, d.message_id.expect("a message"))
        })
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
}

/// A webhook is stored with its triggers (`Conflict` for a taken id, `false` past the app's maximum),
/// listed by id, changed by a patch (replace, add and remove triggers) and deleted.
pub async fn webhooks_are_created_updated_and_deleted(store: &dyn Store) {
    with_app(store, APP).await;
    with_app(store, OTHER_APP).await;
    let first = WebhookRecord {
        basic_auth: Some(BasicAuth { username: "u".into(), password: "p".into() }),
        ..webhook_record("w1", &[WebhookTrigger::MessageSent, WebhookTrigger::GroupMemberJoined])
    };
    assert!(store.create_webhook(APP, &first, 2).await.unwrap());
    assert_eq!(store.webhook(APP, "w1").await.unwrap().map(sorted), Some(sorted(first.clone())));
    assert_eq!(store.webhook(OTHER_APP, "w1").await.unwrap(), None);
    assert!(matches!(store.create_webhook(APP, &webhook_record("w1", &[]), 10).await, Err(StoreError::Conflict(_))));
    assert!(store.create_webhook(APP, &webhook_record("w0", &[]), 2).await.unwrap());
    assert!(!store.create_webhook(APP, &webhook_record("w2", &[WebhookTrigger::MessageSent]), 2).await.unwrap(), "at most 2");
    assert_eq!(store.webhook(APP, "w2").await.unwrap(), None);
    assert!(store.create_webhook(OTHER_APP, &webhook_record("w2", &[]), 2).await.unwrap(), "the maximum is per app");
    let listed: Vec<String> = store.webhooks(APP).await.unwrap().into_iter().map(|w| w.id).collect();
    assert_eq!(listed, ["w0", "w1"]);

    let change = WebhookChange {
        name: Some("Renamed".into()),
        url: Some("https://hooks.example.com/new".into()),
        enabled: Some(false),
        add_triggers: vec![WebhookTrigger::MessageEdited],
        remove_triggers: vec![WebhookTrigger::GroupMemberJoined],
        basic_auth: Patch::Clear,
        ..WebhookChange::default()
    };
    let updated = store.update_webhook(APP, "w1", &change, 300).await.unwrap().expect("the webhook");
    let expected = WebhookRecord {
        name: "Renamed".into(),
        url: "https://hooks.example.com/new".into(),
        enabled: false,
        triggers: vec![WebhookTrigger::MessageEdited, WebhookTrigger::MessageSent],
        basic_auth: None,
        updated_at: Some(300),
        ..first.clone()
    };
    assert_eq!(sorted(updated), sorted(expected.clone()));
    assert_eq!(store.webhook(APP, "w1").await.unwrap().map(sorted), Some(sorted(expected.clone())));
    let replace = WebhookChange { triggers: Some(vec![WebhookTrigger::MessageReadReceipt]), enabled: Some(true), ..WebhookChange::default() };
    let replaced = store.update_webhook(APP, "w1", &replace, 310).await.unwrap().unwrap();
    assert_eq!((replaced.triggers, replaced.enabled, replaced.name.as_str()), (vec![WebhookTrigger::MessageReadReceipt], true, "Renamed"));
    assert_eq!(store.update_webhook(APP, "nope", &replace, 310).await.unwrap(), None);

    assert!(store.delete_webhook(APP, "w1").await.unwrap());
    assert!(!store.delete_webhook(APP, "w1").await.unwrap());
    assert_eq!(store.webhook(APP, "w1").await.unwrap(), None);
    assert!(store.create_webhook(APP, &webhook_record("w3", &[]), 2).await.unwrap(), "room again");
}

/// Every stored message maps to one trigger: `message_sent` (messages and custom messages, 1:1 and group),
/// `message_edited` and `message_deleted` (about their action message), `group_member_*` (about the action);
/// each enabled webhook subscribed to it gets one delivery, queued with the event; others get none.
pub async fn webhooks_get_the_events_they_subscribe_to(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol"]).await;
    new_group(store, "g", GroupType::Public, &[("ann", MemberScope::Admin)]).await;
    let mut everything_hook = vec![WebhookTrigger::MessageSent, WebhookTrigger::MessageEdited, WebhookTrigger::MessageDeleted];
    everything_hook.extend(WebhookTrigger::ALL.iter().copied().filter(|t| t.as_str().starts_with("group_member_")));
    with_webhook(store, "all", &everything_hook).await;
    with_webhook(store, "sent", &[WebhookTrigger::MessageSent]).await;
    with_webhook(store, "members", &[WebhookTrigger::GroupMemberKicked, WebhookTrigger::GroupMemberBanned]).await;
    with_webhook(store, "off", &everything_hook).await;
    store.update_webhook(APP, "off", &WebhookChange { enabled: Some(false), ..WebhookChange::default() }, 10).await.unwrap();
    with_webhook(store, "none", &[]).await;

    let hello = send(store, APP, dm("ann", "bob", "hello", 10)).await;
    assert_eq!(events(&pending_to(store, "all").await), [("message_sent".into(), Some(id(&hello)))], "queued with the send");
    assert_eq!(pending_to(store, "sent").await[0].detail, Some(json!({"data": {"text": "hello"}, "tags": []})));
    let in_group = send(store, APP, to_group("ann", "g", "hi all", 11)).await;
    let custom = NewMessage {
        category: Category::Custom,
        message_type: "card".into(),
        data: MessageData { custom_data: Some(json!({"k": 1})), ..MessageData::default() },
        ..dm("bob", "ann", "", 12)
    };
    let card = send(store, APP, custom).await;
    edit(store, &hello, "hello!", "ann", 13).await.expect("edited");
    delete(store, &card, "bob", 14).await.expect("deleted");
    member_change(store, "g", join("bob", MemberScope::Participant), "bob", "joined", 20).await;
    member_change(store, "g", join("carol", MemberScope::Participant), "ann", "added", 21).await;
    member_change(store, "g", MemberChange::Scope { uid: "carol".into(), scope: MemberScope::Moderator }, "ann", "scopeChanged", 22).await;
    member_change(store, "g", leave("bob"), "bob", "left", 23).await;
    member_change(store, "g", leave("carol"), "ann", "kicked", 24).await;
    member_change(store, "g", MemberChange::Ban { uid: "carol".into() }, "ann", "banned", 25).await;
    member_change(store, "g", MemberChange::Unban { uid: "carol".into() }, "ann", "unbanned", 26).await;

    let recorded = store.list_messages(APP, &MessageFilter { category: Some("action".into()), ..everything() }).await.unwrap();
    let action_id = |what: &str| {
        recorded.iter().find(|m| m.data.action.as_deref() == Some(what)).map(id).unwrap_or_else(|| panic!("an action {what}"))
    };
    let expected_all: Vec<(String, Option<i64>)> = [
        ("message_sent", id(&hello)),
        ("message_sent", id(&in_group)),
        ("message_sent", id(&card)),
        ("message_edited", action_id("edited")),
        ("message_deleted", action_id("deleted")),
        ("group_member_joined", action_id("joined")),
        ("group_member_added", action_id("added")),
        ("group_member_scope_changed", action_id("scopeChanged")),
        ("group_member_left", action_id("left")),
        ("group_member_kicked", action_id("kicked")),
        ("group_member_banned", action_id("banned")),
        ("group_member_unbanned", action_id("unbanned")),
    ]
    .into_iter()
    .map(|(t, m)| (t.to_owned(), Some(m)))
    .collect();
    assert_eq!(events(&pending_to(store, "all").await), expected_all);
    assert_eq!(events(&pending_to(store, "sent").await), expected_all[..3].to_vec());
    assert_eq!(events(&pending_to(store, "members").await), [expected_all[9].clone(), expected_all[10].clone()]);
    assert!(pending_to(store, "off").await.is_empty(), "a disabled webhook gets nothing");
    assert!(pending_to(store, "none").await.is_empty());
    for d in deliveries_in(store, DeliveryState::Pending).await {
        assert_eq!((d.app_id.as_str(), d.target_type, d.subject.as_deref(), d.conversation_id.as_deref()), (APP, TargetType::Webhook, None, None));
    }
}

/// A mark that moves forward queues `message_read_receipt` or `message_delivery_receipt` (a read mark
/// moves the delivered mark too, so it may queue both) for the subscribed webhooks, with the user, the
/// conversation's wire id and the message the mark moved to; a mark that would move back or stay queues
/// nothing.
pub async fn receipts_are_queued_once_per_forward_move(store: &dyn Store) {
    app_with(store, &["ann", "bob"]).await;
    new_group(store, "g", GroupType::Public, &[("ann", MemberScope::Admin), ("bob", MemberScope::Participant)]).await;
    let mut m = Vec::new();
    for n in 0..4 {
        m.push(id(&send(store, APP, dm("bob", "ann", &format!("m{n}"), 10 + n)).await));
    }
    let in_group = id(&send(store, APP, to_group("bob", "g", "g", 20)).await);
    with_webhook(store, "r", &[WebhookTrigger::MessageReadReceipt, WebhookTrigger::MessageDeliveryReceipt]).await;
    with_webhook(store, "read-only", &[WebhookTrigger::MessageReadReceipt]).await;
    with_webhook(store, "off", &[WebhookTrigger::MessageReadReceipt, WebhookTrigger::MessageDeliveryReceipt]).await;
    store.update_webhook(APP, "off", &WebhookChange { enabled: Some(false), ..WebhookChange::default() }, 10).await.unwrap();
    let key = ConversationKey::direct("ann", "bob");

    let mut seen = 0;
    let mut queued_since = |all: Vec<DeliveryRecord>| {
        let new: Vec<DeliveryRecord> = all[seen..].to_vec();
        seen = all.len();
        let mut got: Vec<(String, i64)> = new.iter().map(|d| (d.trigger.clone(), d.message_id.expect("a message"))).collect();
        got.sort();
        (got, new)
    };
    let receipt = |trigger: &str, at: i64| (trigger.to_owned(), at);

    store.mark(APP, "ann", &key, m[1], ReceiptKind::Delivered).await.unwrap();
    let (got, new) = queued_since(pending_to(store, "r").await);
    assert_eq!(got, [receipt("message_delivery_receipt", m[1])]);
    assert_eq!((new[0].subject.as_deref(), new[0].conversation_id.as_deref()), (Some("ann"), Some("ann_user_bob")));
    assert_eq!((new[0].target_type, new[0].detail.clone()), (TargetType::Webhook, None));

    store.mark(APP, "ann", &key, m[0], ReceiptKind::Delivered).await.unwrap();
    assert!(queued_since(pending_to(store, "r").await).0.is_empty(), "a delivered mark moving back queues nothing");
    store.mark(APP, "ann", &key, m[2], ReceiptKind::Read).await.unwrap();
    assert_eq!(queued_since(pending_to(store, "r").await).0, [receipt("message_delivery_receipt", m[2]), receipt("message_read_receipt", m[2])]);
    store.mark(APP, "ann", &key, m[0], ReceiptKind::Read).await.unwrap();
    store.mark(APP, "ann", &key, m[2], ReceiptKind::Read).await.unwrap();
    store.mark(APP, "ann", &key, m[2], ReceiptKind::Delivered).await.unwrap();
    assert!(queued_since(pending_to(store, "r").await).0.is_empty(), "marks moving back or staying queue nothing");
    store.mark(APP, "ann", &key, m[3], ReceiptKind::Delivered).await.unwrap();
    assert_eq!(queued_since(pending_to(store, "r").await).0, [receipt("message_delivery_receipt", m[3])]);
    store.mark(APP, "ann", &key, m[3], ReceiptKind::Read).await.unwrap();
    assert_eq!(queued_since(pending_to(store, "r").await).0, [receipt("message_read_receipt", m[3])], "delivered was there already");

    store.mark(APP, "ann", &ConversationKey::group("g"), in_group, ReceiptKind::Read).await.unwrap();
    let (got, new) = queued_since(pending_to(store, "r").await);
    assert_eq!(got, [receipt("message_delivery_receipt", in_group), receipt("message_read_receipt", in_group)]);
    assert!(new.iter().all(|d| d.conversation_id.as_deref() == Some("group_g") && d.subject.as_deref() == Some("ann")));

    let read_only: Vec<(String, Option<i64>)> = events(&pending_to(store, "read-only").await);
    let expected: Vec<(String, Option<i64>)> =
        [m[2], m[3], in_group].into_iter().map(|at| ("message_read_receipt".to_owned(), Some(at))).collect();
    assert_eq!(read_only, expected);
    assert!(pending_to(store, "off").await.is_empty());
}

/// A presence change is queued for each enabled webhook subscribed to `user_connection_status_changed`,
/// with its user, detail and time; none when no webhook wants it.
pub async fn presence_reaches_subscribed_webhooks(store: &dyn Store) {
    app_with(store, &["ann"]).await;
    let detail = json!({"user": {"uid": "ann", "status": "online", "lastActiveAt": 5}});
    store.queue_presence(APP, "ann", &detail, T0).await.unwrap();
    assert!(deliveries_in(store, DeliveryState::Pending).await.is_empty(), "nobody wants it");

    with_webhook(store, "p", &[WebhookTrigger::UserConnectionStatusChanged]).await;
    with_webhook(store, "off", &[WebhookTrigger::UserConnectionStatusChanged]).await;
    store.update_webhook(APP, "off", &WebhookChange { enabled: Some(false), ..WebhookChange::default() }, 10).await.unwrap();
    with_webhook(store, "other", &[WebhookTrigger::MessageSent]).await;
    store.queue_presence(APP, "ann", &detail, T0 + 5).await.unwrap();
    let queued = deliveries_in(store, DeliveryState::Pending).await;
    assert_eq!(queued.len(), 1);
    let d = &queued[0];
    assert_eq!((d.target_type, d.target.as_str(), d.trigger.as_str()), (TargetType::Webhook, "p", "user_connection_status_changed"));
    assert_eq!((d.subject.as_deref(), d.detail.clone(), d.message_id), (Some("ann"), Some(detail), None));
    assert_eq!((d.created_at, d.next_attempt_at, d.attempts, d.state), (T0 + 5, T0 + 5, 0, DeliveryState::Pending));
}

/// Claims take due pending deliveries (oldest due first, at most `limit`) and hold them until the lease
/// ends: not claimed again before, claimed again after; a delivery not yet due is not claimed; releasing
/// makes every claimed one due at once.
pub async fn claimed_deliveries_are_leased(store: &dyn Store) {
    app_with(store, &["u1", "u2", "u3", "u4"]).await;
    let queued = presence_deliveries(store, &[("u1", T0), ("u2", T0 + 1), ("u3", T0 + 2), ("u4", T0 + 5_000)]).await;
    let [d1, d2, d3, d4] = [0, 1, 2, 3].map(|n| queued[n].id);
    assert_eq!(store.next_delivery_at().await.unwrap(), Some(T0));

    assert_eq!(claim(store, T0 + 10, T0 + 1_000, 2).await, [d1, d2], "the oldest due first, up to the limit");
    let claimed = store.claim_deliveries(T0 + 10, T0 + 1_000, 10).await.unwrap();
    assert_eq!(delivery_ids(&claimed), [d3]);
    assert_eq!((claimed[0].subject.as_deref(), claimed[0].state, claimed[0].attempts), (Some("u3"), DeliveryState::Pending, 0));
    assert_eq!(claim(store, T0 + 999, T0 + 2_000, 10).await, Vec::<i64>::new(), "leased until T0 + 1000");
    assert_eq!(claim(store, T0 + 1_000, T0 + 2_000, 10).await, [d1, d2, d3], "claimed again once the lease ended");
    assert_eq!(claim(store, T0 + 1_999, T0 + 3_000, 10).await, Vec::<i64>::new(), "leased until T0 + 2000, and d4 is not due yet");

    assert_eq!(store.release_deliveries(T0 + 3_000).await.unwrap(), 3, "the three in flight");
    assert_eq!(claim(store, T0 + 3_000, T0 + 10_000, 10).await, [d1, d2, d3]);
    assert_eq!(claim(store, T0 + 5_000, T0 + 10_000, 10).await, [d4]);
    assert_eq!(store.release_deliveries(T0 + 20_000).await.unwrap(), 4);
    assert_eq!(store.next_delivery_at().await.unwrap(), Some(T0 + 20_000));
}

/// An attempt that delivered finishes the delivery; a failed one with a retry time counts the attempt and
/// makes it due then; a failed one without gives up; the states and counts read back in the lists.
pub async fn attempts_record_delivered_retried_and_failed(store: &dyn Store) {
    app_with(store, &["u1", "u2", "u3"]).await;
    let queued = presence_deliveries(store, &[("u1", T0), ("u2", T0), ("u3", T0)]).await;
    let [d1, d2, d3] = [0, 1, 2].map(|n| queued[n].id);
    assert_eq!(claim(store, T0, T0 + 1_000, 10).await, [d1, d2, d3]);

    store.record_attempt(d1, &Attempt::Delivered, T0 + 10).await.unwrap();
    let retry = Attempt::Failed { error: "HTTP 500".into(), status: Some(500), retry_at: Some(T0 + 5_000) };
    store.record_attempt(d2, &retry, T0 + 10).await.unwrap();
    let give_up = Attempt::Failed { error: "connection refused".into(), status: None, retry_at: None };
    store.record_attempt(d3, &give_up, T0 + 20).await.unwrap();

    let delivered = deliveries_in(store, DeliveryState::Delivered).await;
    assert_eq!(delivery_ids(&delivered), [d1]);
    assert_eq!((delivered[0].attempts, delivered[0].finished_at, delivered[0].last_error.as_deref()), (1, Some(T0 + 10), None));
    let pending = deliveries_in(store, DeliveryState::Pending).await;
    assert_eq!(delivery_ids(&pending), [d2]);
    let p = &pending[0];
    assert_eq!((p.attempts, p.next_attempt_at, p.finished_at), (1, T0 + 5_000, None));
    assert_eq!((p.last_error.as_deref(), p.last_status), (Some("HTTP 500"), Some(500)));
    let failed = deliveries_in(store, DeliveryState::Failed).await;
    assert_eq!(delivery_ids(&failed), [d3]);
    let f = &failed[0];
    assert_eq!((f.attempts, f.finished_at, f.last_error.as_deref(), f.last_status), (1, Some(T0 + 20), Some("connection refused"), None));

    let by_target = DeliveryFilter { state: DeliveryState::Failed, target: Some("presence".into()) };
    assert_eq!(store.deliveries(APP, &by_target, page(10, 1)).await.unwrap().1, 1);
    let other_target = DeliveryFilter { state: DeliveryState::Failed, target: Some("elsewhere".into()) };
    assert_eq!(store.deliveries(APP, &other_target, page(10, 1)).await.unwrap().1, 0);
    assert_eq!(store.deliveries(OTHER_APP, &DeliveryFilter { state: DeliveryState::Failed, target: None }, page(10, 1)).await.unwrap().1, 0);

    assert_eq!(store.next_delivery_at().await.unwrap(), Some(T0 + 5_000));
    assert_eq!(claim(store, T0 + 4_999, T0 + 6_000, 10).await, Vec::<i64>::new(), "not before its retry time");
    let again = store.claim_deliveries(T0 + 5_000, T0 + 6_000, 10).await.unwrap();
    assert_eq!((delivery_ids(&again), again[0].attempts), (vec![d2], 1));
    store.record_attempt(d2, &Attempt::Delivered, T0 + 5_100).await.unwrap();
    let delivered = deliveries_in(store, DeliveryState::Delivered).await;
    assert_eq!(delivery_ids(&delivered), [d1, d2]);
    assert_eq!((delivered[1].attempts, delivered[1].finished_at, delivered[1].last_error.as_deref()), (2, Some(T0 + 5_100), None));
    assert_eq!(store.next_delivery_at().await.unwrap(), None, "nothing pending");
    assert_eq!(claim(store, T0 + 100_000, T0 + 200_000, 10).await, Vec::<i64>::new(), "finished deliveries are never claimed");
}

/// Purging deletes delivered deliveries finished before one time and failed ones finished before another,
/// never pending ones; a failed delivery (and only a failed one, of its app) can be queued again with a
/// fresh count.
pub async fn old_deliveries_are_purged_and_failed_ones_retried(store: &dyn Store) {
    app_with(store, &["u1", "u2", "u3", "u4"]).await;
    with_app(store, OTHER_APP).await;
    let queued = presence_deliveries(store, &[("u1", T0), ("u2", T0), ("u3", T0), ("u4", T0 + 1_000_000)]).await;
    let [d1, d2, d3, d4] = [0, 1, 2, 3].map(|n| queued[n].id);
    assert_eq!(claim(store, T0, T0 + 1_000, 10).await, [d1, d2, d3]);
    let give_up = |error: &str| Attempt::Failed { error: error.into(), status: Some(404), retry_at: None };
    store.record_attempt(d1, &Attempt::Delivered, T0 + 10).await.unwrap();
    store.record_attempt(d2, &give_up("gone"), T0 + 20).await.unwrap();
    store.record_attempt(d3, &give_up("gone too"), T0 + 30).await.unwrap();

    assert_eq!(store.retry_delivery(APP, d1, T0 + 40).await.unwrap(), None, "delivered: nothing to retry");
    assert_eq!(store.retry_delivery(APP, d4, T0 + 40).await.unwrap(), None, "pending: nothing to retry");
    assert_eq!(store.retry_delivery(OTHER_APP, d2, T0 + 40).await.unwrap(), None, "another app's");
    assert_eq!(store.retry_delivery(APP, d4 + 1000, T0 + 40).await.unwrap(), None);
    let retried = store.retry_delivery(APP, d3, T0 + 40).await.unwrap().expect("a failed delivery");
    assert_eq!((retried.id, retried.state, retried.attempts), (d3, DeliveryState::Pending, 0));
    assert_eq!((retried.next_attempt_at, retried.finished_at), (T0 + 40, None));
    assert_eq!(claim(store, T0 + 40, T0 + 1_000, 10).await, [d3], "due again");
    store.record_attempt(d3, &Attempt::Delivered, T0 + 50).await.unwrap();

    assert_eq!(store.purge_deliveries(T0 + 10, T0 + 20).await.unwrap(), 0, "finished at the cut-offs: kept");
    assert_eq!(store.purge_deliveries(T0 + 11, 0).await.unwrap(), 1, "d1");
    assert_eq!(delivery_ids(&deliveries_in(store, DeliveryState::Delivered).await), [d3]);
    assert_eq!(delivery_ids(&deliveries_in(store, DeliveryState::Failed).await), [d2]);
    assert_eq!(store.purge_deliveries(0, T0 + 21).await.unwrap(), 1, "d2");
    assert!(deliveries_in(store, DeliveryState::Failed).await.is_empty());
    assert_eq!(store.purge_deliveries(i64::MAX, i64::MAX).await.unwrap(), 1, "d3; pending d4 stays");
    assert_eq!(delivery_ids(&deliveries_in(store, DeliveryState::Pending).await), [d4]);
}

/// The message-log signal wakes after a send is stored, and the delivery signal after a commit that queued
/// a delivery (a send to a bot, a presence change).
pub async fn signals_wake_after_commits(store: &dyn Store) {
    app_with(store, &["ann", "helper"]).await;
    with_bot(store, "helper", GroupChatSetting::None).await;
    with_webhook(store, "p", &[WebhookTrigger::UserConnectionStatusChanged]).await;
    let messages = store.message_log_signal();
    let deliveries = store.delivery_signal();
    let drain = |signal: std::sync::Arc<tokio::sync::Notify>| async move {
        let _ = tokio::time::timeout(Duration::from_millis(20), signal.notified()).await;
    };
    let woken = |signal: std::sync::Arc<tokio::sync::Notify>, what: &'static str| async move {
        tokio::time::timeout(Duration::from_secs(5), signal.notified()).await.unwrap_or_else(|_| panic!("{what} within 5 s"));
    };

    drain(messages.clone()).await;
    drain(deliveries.clone()).await;
    send(store, APP, dm("ann", "helper", "hi", 10)).await;
    woken(messages.clone(), "the message-log signal after a send").await;
    woken(deliveries.clone(), "the delivery signal after a send to a bot").await;

    drain(deliveries.clone()).await;
    store.queue_presence(APP, "ann", &json!({}), T0).await.unwrap();
    woken(deliveries, "the delivery signal after a presence change").await;
}
