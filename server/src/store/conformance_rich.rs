//! The rich-messaging part of the store conformance suite: thread replies, quoted replies, mentions,
//! reactions, search and marking unread. Every backend runs it with
//! [`conformance_rich_tests!`](crate::store::conformance_rich::conformance_rich_tests), next to the main suite.

use confab_protocol::ids::ConversationKey;
use confab_protocol::limits::{MAX_REACTIONS_PER_MESSAGE, MAX_REACTIONS_PER_USER};
use confab_protocol::realtime::ReceiptKind;
use confab_protocol::rest::groups::{GroupType, MemberScope};
use confab_protocol::rest::messages::{Category, MentionedUser, ReactionCount};

use super::conformance::{app_with, delete, dm, edit, everything, id, ids, in_conversation, new_group, readable_by, send, to_group};
use super::{Cursor, MessageFilter, NewMessage, ReactionChange, ReactionOutcome, Store, REACTION_ADDED, REACTION_TYPE};

/// Expands to a module `conformance_rich` with one `#[tokio::test]` per check.
macro_rules! conformance_rich_tests {
    ($fresh:expr) => {
        $crate::store::conformance::conformance_tests!(@checks conformance_rich, $fresh;
            thread_replies_count_on_their_parent_and_list_by_thread,
            quotes_and_mentions_are_kept_and_mentions_count_unread,
            reactions_count_per_emoji_with_limits_and_a_record,
            reaction_lists_page_and_deletes_clear_them,
            search_finds_every_word_only_within_reach,
            marking_unread_moves_the_read_mark_back,
        );
    };
}
pub(crate) use conformance_rich_tests;

const APP: &str = "app-one";

fn reply(message: NewMessage, parent: i64) -> NewMessage {
    NewMessage { parent_id: Some(parent), ..message }
}

fn filter_with(base: MessageFilter, change: impl FnOnce(&mut MessageFilter)) -> MessageFilter {
    let mut filter = base;
    change(&mut filter);
    filter
}

/// A reply names its parent; the parent counts its replies and knows the newest one's time; a thread lists
/// its replies only, and the main list can leave replies out. A reply is its conversation's newest message.
pub async fn thread_replies_count_on_their_parent_and_list_by_thread(store: &dyn Store) {
    app_with(store, &["ann", "bob"]).await;
    let parent = send(store, APP, dm("ann", "bob", "question", 10)).await;
    let r1 = send(store, APP, reply(dm("bob", "ann", "answer one", 20), id(&parent))).await;
    assert_eq!(r1.parent_id.as_deref(), Some(parent.id.as_str()));
    let after = send(store, APP, dm("ann", "bob", "meanwhile", 25)).await;
    let r2 = send(store, APP, reply(dm("ann", "bob", "answer two", 30), id(&parent))).await;

    let parent_now = store.message(APP, id(&parent)).await.unwrap().unwrap();
    assert_eq!((parent_now.reply_count, parent_now.last_reply_at), (Some(2), Some(30)));
    assert_eq!(store.message(APP, id(&after)).await.unwrap().unwrap().reply_count, None, "no replies: absent");

    let key = ConversationKey::direct("ann", "bob");
    let thread = filter_with(readable_by("bob"), |f| {
        f.conversation_id = Some(key.clone());
        f.parent_id = Some(id(&parent));
    });
    assert_eq!(ids(&store.list_messages(APP, &thread).await.unwrap()), [id(&r1), id(&r2)]);
    let main = filter_with(in_conversation(key.clone()), |f| f.hide_replies = true);
    assert_eq!(ids(&store.list_messages(APP, &main).await.unwrap()), [id(&parent), id(&after)]);
    let all = store.list_messages(APP, &in_conversation(key.clone())).await.unwrap();
    assert_eq!(all.len(), 4, "replies are in the whole list");
    let row = store.conversation(APP, "bob", &key).await.unwrap().unwrap();
    assert_eq!(row.last_message.map(|m| m.id), Some(r2.id.clone()));
    assert_eq!(row.unread, 3, "bob's unread: ann's three, her reply among them");
}

/// A quoted reply keeps the id of what it quotes; mentions are kept as sent; a user's conversation counts
/// the unread messages that mention them; messages are read by id, in id order, skipping ones not there.
pub async fn quotes_and_mentions_are_kept_and_mentions_count_unread(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol"]).await;
    new_group(store, "g", GroupType::Public, &[("ann", MemberScope::Admin), ("bob", MemberScope::Participant), ("carol", MemberScope::Participant)]).await;
    let first = send(store, APP, to_group("ann", "g", "lunch?", 10)).await;
    let bob = MentionedUser { uid: "bob".into(), name: "Bob".into() };
    let quoting = NewMessage { quoted_id: Some(id(&first)), mentions: vec![bob.clone()], ..to_group("carol", "g", "<@uid:bob> yes", 20) };
    let quoting = send(store, APP, quoting).await;
    assert_eq!(quoting.quoted_message_id.as_deref(), Some(first.id.as_str()));
    assert_eq!(quoting.mentioned_users, [bob.clone()]);
    let read = store.message(APP, id(&quoting)).await.unwrap().unwrap();
    assert_eq!((read.quoted_message_id.as_deref(), read.mentioned_users.clone()), (Some(first.id.as_str()), vec![bob.clone()]));
    send(store, APP, to_group("ann", "g", "plain", 30)).await;

    let key = ConversationKey::group("g");
    let bobs = store.conversation(APP, "bob", &key).await.unwrap().unwrap();
    assert_eq!((bobs.unread, bobs.unread_mentions), (3, 1));
    let carols = store.conversation(APP, "carol", &key).await.unwrap().unwrap();
    assert_eq!(carols.unread_mentions, 0, "her own mention of bob is not hers");
    store.mark(APP, "bob", &key, id(&quoting), ReceiptKind::Read).await.unwrap();
    let bobs = store.conversation(APP, "bob", &key).await.unwrap().unwrap();
    assert_eq!((bobs.unread, bobs.unread_mentions), (1, 0), "read: the mention is no longer unread");

    let newest = store.newest_message_id().await.unwrap();
    let by_id = store.messages_by_id(APP, &[id(&quoting), newest + 100, id(&first)]).await.unwrap();
    assert_eq!(ids(&by_id), [id(&first), id(&quoting)]);
    assert!(store.messages_by_id("app-two", &[id(&first)]).await.unwrap().is_empty(), "another app's ids name nothing");
    assert!(store.messages_by_id(APP, &[]).await.unwrap().is_empty());
}

fn give<'a>(message: i64, uid: &'a str, reaction: &'a str, now: i64) -> ReactionChange<'a> {
    ReactionChange { message_id: message, uid, reaction, add: true, now }
}

fn take<'a>(message: i64, uid: &'a str, reaction: &'a str, now: i64) -> ReactionChange<'a> {
    ReactionChange { add: false, ..give(message, uid, reaction, now) }
}


async fn react(store: &dyn Store, message: &confab_protocol::rest::messages::Message, change: ReactionChange<'_>) -> ReactionOutcome {
    store.change_reaction(APP, &change, &NewMessage::reaction_record(message, &change)).await.unwrap()
}

fn counts(outcome: &ReactionOutcome) -> Vec<(String, u32, Vec<String>)> {
    let message = match outcome {
        ReactionOutcome::Changed(m) | ReactionOutcome::Unchanged(m) => m,
        other => panic!("expected a message, got {other:?}"),
    };
    message.data.reactions.clone().unwrap_or_default().into_iter().map(|c| (c.reaction, c.count, c.uids)).collect()
}

fn count(reaction: &str, n: u32, uids: &[&str]) -> (String, u32, Vec<String>) {
    (reaction.into(), n, uids.iter().map(|u| (*u).to_owned()).collect())
}

/// Reactions count per emoji in the order first given, naming who gave them; giving one again changes
/// nothing; taking back one not given is refused; each change stores an action message carrying the
/// counts after it, which moves neither the conversation nor its unread count and which lists can leave
/// out; a user gives a message at most [`MAX_REACTIONS_PER_USER`], a message has at most
/// [`MAX_REACTIONS_PER_MESSAGE`] different ones.
pub async fn reactions_count_per_emoji_with_limits_and_a_record(store: &dyn Store) {
    let users: Vec<String> = (0..MAX_REACTIONS_PER_MESSAGE + 2).map(|n| format!("u{n}")).collect();
    let mut all: Vec<&str> = vec!["ann", "bob"];
    all.extend(users.iter().map(String::as_str));
    app_with(store, &all).await;
    let message = send(store, APP, dm("ann", "bob", "nice", 10)).await;
    let n = id(&message);

    let first = react(store, &message, give(n, "bob", "👍", 20)).await;
    assert!(matches!(first, ReactionOutcome::Changed(_)));
    assert_eq!(counts(&first), [count("👍", 1, &["bob"])]);
    let again = react(store, &message, give(n, "bob", "👍", 21)).await;
    assert!(matches!(again, ReactionOutcome::Unchanged(_)), "given already: {again:?}");
    react(store, &message, give(n, "ann", "🎉", 22)).await;
    let both = react(store, &message, give(n, "ann", "👍", 23)).await;
    assert_eq!(counts(&both), [count("👍", 2, &["bob", "ann"]), count("🎉", 1, &["ann"])]);
    assert_eq!(react(store, &message, take(n, "bob", "🎉", 24)).await, ReactionOutcome::NotGiven);
    let taken = react(store, &message, take(n, "ann", "🎉", 25)).await;
    assert_eq!(counts(&taken), [count("👍", 2, &["bob", "ann"])]);
    let stored = store.message(APP, n).await.unwrap().unwrap();
    assert_eq!(stored.data.reactions.as_ref().map(Vec::len), Some(1), "kept on the message");
    assert_eq!(stored.data.text.as_deref(), Some("nice"));

    let key = ConversationKey::direct("ann", "bob");
    let records: Vec<_> = store.list_messages(APP, &in_conversation(key.clone())).await.unwrap().into_iter().filter(|m| m.message_type == REACTION_TYPE).collect();
    assert_eq!(records.iter().map(|m| (m.sender.as_str(), m.data.action.as_deref().unwrap_or_default())).collect::<Vec<_>>(), [("bob", REACTION_ADDED), ("ann", REACTION_ADDED), ("ann", REACTION_ADDED), ("ann", super::REACTION_REMOVED)], "one record per change made");
    let last = records.last().unwrap();
    assert_eq!(last.category, Category::Action);
    assert_eq!(last.data.action.as_deref(), Some(super::REACTION_REMOVED));
    let after: Vec<ReactionCount> = serde_json::from_value(last.data.entities.as_ref().unwrap()["extra"]["reactions"].clone()).unwrap();
    assert_eq!(after.iter().map(|c| (c.reaction.as_str(), c.count)).collect::<Vec<_>>(), [("👍", 2)]);
    let hidden = filter_with(in_conversation(key.clone()), |f| f.hide_reaction_records = true);
    assert_eq!(ids(&store.list_messages(APP, &hidden).await.unwrap()), [n]);
    let row = store.conversation(APP, "bob", &key).await.unwrap().unwrap();
    assert_eq!((row.last_message.map(|m| m.id), row.updated_at, row.unread), (Some(message.id.clone()), 10, 1));
    let log = store.message_log(n, 100).await.unwrap();
    assert_eq!(log.len(), 4, "the records are in the log, for devices to hear of");
    let resumed = filter_with(readable_by("bob"), |f| f.cursor = Cursor::After(Some(n)));
    assert_eq!(store.list_messages(APP, &resumed).await.unwrap().len(), 4, "and a device resuming after the message reads them");

    // Limits.
    let emoji = ["😀", "😁", "😂", "🤣", "😃", "😄"];
    for (k, e) in emoji.iter().take(MAX_REACTIONS_PER_USER - 1).enumerate() {
        react(store, &message, give(n, "bob", e, 30 + k as i64)).await;
    }
    assert_eq!(react(store, &message, give(n, "bob", emoji[MAX_REACTIONS_PER_USER - 1], 40)).await, ReactionOutcome::TooManyByUser);
    let mut distinct = MAX_REACTIONS_PER_USER; // 👍 and bob's others
    let mut k = 0;
    while distinct < MAX_REACTIONS_PER_MESSAGE {
        let e = format!("e{k}");
        assert!(matches!(react(store, &message, give(n, &users[k], &e, 50)).await, ReactionOutcome::Changed(_)));
        distinct += 1;
        k += 1;
    }
    assert_eq!(react(store, &message, give(n, &users[k], "one-more", 60)).await, ReactionOutcome::TooManyOnMessage);
    assert!(matches!(react(store, &message, give(n, &users[k], "👍", 61)).await, ReactionOutcome::Changed(_)), "an emoji there already may be given");
}

/// The reactions of a message list earliest first, by emoji and after a reaction id; a user's own are found
/// by message; deleting the message takes its reactions, and a deleted, missing or action message takes none.
pub async fn reaction_lists_page_and_deletes_clear_them(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol"]).await;
    let message = send(store, APP, dm("ann", "bob", "hi", 10)).await;
    let other = send(store, APP, dm("bob", "ann", "hello", 11)).await;
    let n = id(&message);
    for (uid, e, at) in [("bob", "👍", 20), ("ann", "👍", 21), ("bob", "❤️", 22)] {
        react(store, &message, give(n, uid, e, at)).await;
    }
    react(store, &other, give(id(&other), "ann", "❤️", 23)).await;
    let listed = store.reactions(APP, n, None, 0, 100).await.unwrap();
    assert_eq!(listed.iter().map(|r| (r.uid.as_str(), r.reaction.as_str(), r.reacted_at)).collect::<Vec<_>>(), [("bob", "👍", 20), ("ann", "👍", 21), ("bob", "❤️", 22)]);
    assert!(listed.windows(2).all(|w| w[0].id < w[1].id));
    let hearts = store.reactions(APP, n, Some("❤️"), 0, 100).await.unwrap();
    assert_eq!(hearts.len(), 1);
    let page = store.reactions(APP, n, None, listed[0].id, 1).await.unwrap();
    assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), [listed[1].id]);
    let mut own = store.reactions_by(APP, "ann", &[n, id(&other)]).await.unwrap();
    own.sort();
    assert_eq!(own, [(n, "👍".to_owned()), (id(&other), "❤️".to_owned())]);
    assert!(store.reactions_by(APP, "carol", &[n]).await.unwrap().is_empty());

    let deleted = delete(store, &message, "ann", 30).await.expect("deleted");
    assert_eq!(deleted.data.reactions, None);
    assert!(store.reactions(APP, n, None, 0, 100).await.unwrap().is_empty());
    assert_eq!(react(store, &message, give(n, "bob", "👍", 31)).await, ReactionOutcome::NoMessage);
    let newest = store.newest_message_id().await.unwrap();
    assert_eq!(react(store, &message, give(newest + 100, "bob", "👍", 32)).await, ReactionOutcome::NoMessage);
    assert_eq!(react(store, &message, give(newest, "bob", "👍", 33)).await, ReactionOutcome::NoMessage, "an action message takes none");
}

fn search(base: MessageFilter, words: &[&str]) -> MessageFilter {
    filter_with(base, |f| f.search = Some(words.iter().map(|w| (*w).to_owned()).collect()))
}

/// A search finds the messages whose text holds every word (any case, each as a word's start), only
/// among what the reader may read; an edit is found by its new words, a deleted message not at all; query
/// syntax in the words is taken as text.
pub async fn search_finds_every_word_only_within_reach(store: &dyn Store) {
    app_with(store, &["ann", "bob", "carol"]).await;
    new_group(store, "g", GroupType::Public, &[("ann", MemberScope::Admin), ("bob", MemberScope::Participant)]).await;
    let invoice = send(store, APP, dm("ann", "bob", "The Invoice for March is attached", 10)).await;
    let other = send(store, APP, dm("ann", "carol", "an invoice for carol", 11)).await;
    let group = send(store, APP, to_group("bob", "g", "invoice reminder for the group", 12)).await;
    send(store, APP, dm("bob", "ann", "nothing to see", 13)).await;

    let found = |filter| async move { ids(&store.list_messages(APP, &filter).await.unwrap()) };
    assert_eq!(found(search(readable_by("ann"), &["invoice"])).await, [id(&invoice), id(&other), id(&group)]);
    assert_eq!(found(search(readable_by("bob"), &["INVOICE"])).await, [id(&invoice), id(&group)], "not carol's");
    assert_eq!(found(search(readable_by("carol"), &["invoice"])).await, [id(&other)]);
    assert_eq!(found(search(readable_by("ann"), &["invoice", "mar"])).await, [id(&invoice)], "every word, each as a word's start");
    assert!(found(search(readable_by("ann"), &["invoice", "april"])).await.is_empty());
    let in_dm = filter_with(search(readable_by("ann"), &["invoice"]), |f| f.conversation_id = Some(ConversationKey::direct("ann", "bob")));
    assert_eq!(found(in_dm).await, [id(&invoice)]);
    assert_eq!(found(search(everything(), &["invoice"])).await.len(), 3, "the app's whole history for the REST API key");
    for odd in ["\"", "in*", "a OR b", "NEAR(x", "(", "-", "^inv", "col:x"] {
        store.list_messages(APP, &search(readable_by("ann"), &[odd])).await.unwrap_or_else(|e| panic!("{odd}: {e}"));
    }
    let newest_first = filter_with(search(readable_by("ann"), &["invoice"]), |f| {
        f.cursor = Cursor::Before(None);
        f.limit = 2;
    });
    assert_eq!(found(newest_first).await, [id(&other), id(&group)], "pages like any list");

    edit(store, &invoice, "The bill for March", "ann", 20).await.expect("edited");
    assert_eq!(found(search(readable_by("ann"), &["invoice"])).await, [id(&other), id(&group)]);
    assert_eq!(found(search(readable_by("ann"), &["bill"])).await, [id(&invoice)]);
    delete(store, &other, "ann", 21).await.expect("deleted");
    assert_eq!(found(search(readable_by("ann"), &["invoice"])).await, [id(&group)]);
    let odd_text = send(store, APP, dm("ann", "bob", "zero\u{0}width receipt", 22)).await;
    assert_eq!(found(search(readable_by("ann"), &["receipt"])).await, [id(&odd_text)], "a text holding NUL is stored and found");
}

/// Marking unread moves the read mark back (never forward), so the unread count grows again; the delivered
/// mark stays.
pub async fn marking_unread_moves_the_read_mark_back(store: &dyn Store) {
    app_with(store, &["ann", "bob"]).await;
    let m1 = send(store, APP, dm("ann", "bob", "one", 10)).await;
    let m2 = send(store, APP, dm("ann", "bob", "two", 11)).await;
    let m3 = send(store, APP, dm("ann", "bob", "three", 12)).await;
    let key = ConversationKey::direct("ann", "bob");
    store.mark(APP, "bob", &key, id(&m3), ReceiptKind::Read).await.unwrap();
    assert_eq!(store.conversation(APP, "bob", &key).await.unwrap().unwrap().unread, 0);
    store.mark_unread(APP, "bob", &key, id(&m2) - 1).await.unwrap();
    assert_eq!(store.conversation(APP, "bob", &key).await.unwrap().unwrap().unread, 2);
    store.mark_unread(APP, "bob", &key, id(&m3)).await.unwrap();
    assert_eq!(store.conversation(APP, "bob", &key).await.unwrap().unwrap().unread, 2, "never forward");
    store.mark_unread(APP, "bob", &key, id(&m1) - 1).await.unwrap();
    assert_eq!(store.conversation(APP, "bob", &key).await.unwrap().unwrap().unread, 3);
    store.mark_unread(APP, "ann", &key, 0).await.unwrap();
    assert_eq!(store.conversation(APP, "ann", &key).await.unwrap().unwrap().unread, 0, "no mark yet: nothing of others' to count");
}
