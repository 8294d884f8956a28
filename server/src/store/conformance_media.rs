//! The uploads' part of the store conformance suite ([`MediaStore`]). Each check takes a fresh, empty,
//! migrated store; every backend runs them with
//! [`conformance_media_tests!`](crate::store::conformance_media::conformance_media_tests), next to the main
//! suite. The file stores have their own suite (`media::files::conformance`).

use confab_protocol::rest::media::MediaKind;

use super::conformance::{dm, send, with_app, with_users};
use super::{Claimant, MediaAdded, MediaRecord, NewMessage, Store};

/// Expands to a module `conformance_media` with one `#[tokio::test]` per check.
macro_rules! conformance_media_tests {
    ($fresh:expr) => {
        $crate::store::conformance::conformance_tests!(@checks conformance_media, $fresh;
            uploads_round_trip,
            the_quota_counts_each_apps_uploads_and_thumbnails,
            a_send_claims_only_its_senders_unused_uploads,
            a_retried_send_claims_again_and_a_refused_one_releases,
            linked_uploads_are_found_by_message_and_uploader,
            unused_uploads_are_listed_after_their_time_unless_their_message_came,
            the_first_node_decides_a_server_secret,
        );
    };
}
pub(crate) use conformance_media_tests;

const APP: &str = "media-app";
const OTHER_APP: &str = "media-other";
const QUOTA: u64 = 1_000_000;

fn upload(id: &str, app_id: &str, uploader: Option<&str>, size: u64, created_at: i64) -> MediaRecord {
    MediaRecord {
        id: id.into(),
        app_id: app_id.into(),
        uploader: uploader.map(str::to_owned),
        kind: MediaKind::Image,
        mime_type: "image/png".into(),
        extension: "png".into(),
        name: format!("{id}.png"),
        size,
        width: Some(640),
        height: Some(480),
        thumb_size: Some(10),
        created_at,
        message_id: None,
    }
}

async fn add(store: &dyn Store, record: &MediaRecord) {
    assert_eq!(store.add_media(record, QUOTA).await.unwrap(), MediaAdded::Stored, "{}", record.id);
}

async fn setup(store: &dyn Store) {
    with_app(store, APP).await;
    with_users(store, APP, &["ann", "bob"]).await;
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn ann(muid: &str) -> Claimant<'_> {
    Claimant { sender: "ann", muid, app_key: false }
}

/// What was recorded reads back by id, from any app; an unknown id is none.
pub async fn uploads_round_trip(store: &dyn Store) {
    setup(store).await;
    let record = upload("md_one", APP, Some("ann"), 1234, 100);
    add(store, &record).await;
    assert_eq!(store.media("md_one").await.unwrap(), Some(record));
    let by_key = MediaRecord { kind: MediaKind::File, width: None, height: None, thumb_size: None, ..upload("md_key", APP, None, 5, 100) };
    add(store, &by_key).await;
    assert_eq!(store.media("md_key").await.unwrap(), Some(by_key));
    assert_eq!(store.media("md_none").await.unwrap(), None);
}

/// An upload that would take the app past its quota (files and thumbnails together) is not recorded;
/// other apps' uploads do not count.
pub async fn the_quota_counts_each_apps_uploads_and_thumbnails(store: &dyn Store) {
    setup(store).await;
    with_app(store, OTHER_APP).await;
    add(store, &upload("md_a", APP, Some("ann"), 600_000, 100)).await;
    add(store, &upload("md_other", OTHER_APP, None, 900_000, 100)).await;
    let too_much = upload("md_b", APP, Some("ann"), 399_991, 100);
    assert_eq!(store.add_media(&too_much, QUOTA).await.unwrap(), MediaAdded::OverQuota, "600,010 + 400,001 > 1,000,000");
    assert_eq!(store.media("md_b").await.unwrap(), None);
    add(store, &upload("md_c", APP, Some("ann"), 399_980, 100)).await;
}

/// A send claims only uploads its sender made (the REST API key also its own), that no message uses and
/// no other send claimed; all or none, naming the first refused one.
pub async fn a_send_claims_only_its_senders_unused_uploads(store: &dyn Store) {
    setup(store).await;
    with_app(store, OTHER_APP).await;
    add(store, &upload("md_ann", APP, Some("ann"), 10, 100)).await;
    add(store, &upload("md_bob", APP, Some("bob"), 10, 100)).await;
    add(store, &upload("md_app", APP, None, 10, 100)).await;
    add(store, &upload("md_elsewhere", OTHER_APP, Some("ann"), 10, 100)).await;

    assert_eq!(store.claim_media(APP, &ids(&["md_ann", "md_bob"]), ann("m1")).await.unwrap(), Err(1), "bob's upload");
    assert_eq!(store.claim_media(APP, &ids(&["md_app"]), ann("m1")).await.unwrap(), Err(0), "the key's, by a session");
    assert_eq!(store.claim_media(APP, &ids(&["md_elsewhere"]), ann("m1")).await.unwrap(), Err(0), "another app's");
    assert_eq!(store.claim_media(APP, &ids(&["md_never"]), ann("m1")).await.unwrap(), Err(0));
    assert_eq!(store.claim_media(APP, &ids(&["md_ann", "md_ann"]), ann("m1")).await.unwrap(), Err(1), "named twice");

    let claimed = store.claim_media(APP, &ids(&["md_ann"]), ann("m1")).await.unwrap().expect("ann's own");
    assert_eq!(claimed[0].id, "md_ann");
    assert_eq!(store.claim_media(APP, &ids(&["md_ann"]), ann("m2")).await.unwrap(), Err(0), "claimed by another send");
    let by_key = Claimant { sender: "ann", muid: "k1", app_key: true };
    assert!(store.claim_media(APP, &ids(&["md_app"]), by_key).await.unwrap().is_ok(), "the key's own");
}

/// The same (sender, muid) claims again (a retry, also once its message is stored); a released claim frees
/// the uploads for another send, and a linked upload is never claimed by another send.
pub async fn a_retried_send_claims_again_and_a_refused_one_releases(store: &dyn Store) {
    setup(store).await;
    add(store, &upload("md_1", APP, Some("ann"), 10, 100)).await;
    assert!(store.claim_media(APP, &ids(&["md_1"]), ann("m1")).await.unwrap().is_ok());
    assert!(store.claim_media(APP, &ids(&["md_1"]), ann("m1")).await.unwrap().is_ok(), "a retry");
    store.release_media(APP, &ids(&["md_1"]), ann("other")).await.unwrap();
    assert_eq!(store.claim_media(APP, &ids(&["md_1"]), ann("m2")).await.unwrap(), Err(0), "only the claimant releases");
    store.release_media(APP, &ids(&["md_1"]), ann("m1")).await.unwrap();
    assert!(store.claim_media(APP, &ids(&["md_1"]), ann("m2")).await.unwrap().is_ok(), "released");
    store.link_media(APP, &ids(&["md_1"]), 77).await.unwrap();
    store.release_media(APP, &ids(&["md_1"]), ann("m2")).await.unwrap();
    assert!(store.claim_media(APP, &ids(&["md_1"]), ann("m2")).await.unwrap().is_ok(), "a retry of the stored send");
    assert_eq!(store.claim_media(APP, &ids(&["md_1"]), ann("m3")).await.unwrap(), Err(0), "used by a message");
}

/// A message's uploads, and a user's, are found (for deleting them with the message or the user); a
/// forgotten upload is gone.
pub async fn linked_uploads_are_found_by_message_and_uploader(store: &dyn Store) {
    setup(store).await;
    for id in ["md_1", "md_2", "md_3"] {
        add(store, &upload(id, APP, Some("ann"), 10, 100)).await;
    }
    add(store, &upload("md_bob", APP, Some("bob"), 10, 100)).await;
    store.link_media(APP, &ids(&["md_1", "md_2"]), 5).await.unwrap();
    let of_message: Vec<_> = store.media_of_message(APP, 5).await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(of_message, ["md_1", "md_2"]);
    assert_eq!(store.media("md_1").await.unwrap().unwrap().message_id, Some(5));
    let of_ann: Vec<_> = store.media_of_uploader(APP, "ann").await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(of_ann, ["md_1", "md_2", "md_3"]);
    store.forget_media("md_1").await.unwrap();
    assert_eq!(store.media("md_1").await.unwrap(), None);
    assert_eq!(store.media_of_message(APP, 5).await.unwrap().len(), 1);
}

/// Uploads no message uses are listed once older than the cut-off, oldest first; one claimed by a send
/// whose message was stored (the link was lost) is linked instead of listed.
pub async fn unused_uploads_are_listed_after_their_time_unless_their_message_came(store: &dyn Store) {
    setup(store).await;
    add(store, &upload("md_old", APP, Some("ann"), 10, 100)).await;
    add(store, &upload("md_older", APP, Some("ann"), 10, 50)).await;
    add(store, &upload("md_new", APP, Some("ann"), 10, 1_000)).await;
    add(store, &upload("md_used", APP, Some("ann"), 10, 100)).await;
    add(store, &upload("md_sent", APP, Some("ann"), 10, 100)).await;
    add(store, &upload("md_lost", APP, Some("ann"), 10, 100)).await;
    store.link_media(APP, &ids(&["md_used"]), 9).await.unwrap();
    store.claim_media(APP, &ids(&["md_sent"]), ann("m-sent")).await.unwrap().unwrap();
    store.claim_media(APP, &ids(&["md_lost"]), ann("m-lost")).await.unwrap().unwrap();
    let message = send(store, APP, NewMessage { muid: Some("m-sent".into()), ..dm("ann", "bob", "photo", 100) }).await;

    let unused: Vec<_> = store.unused_media(500, 10).await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(unused, ["md_older", "md_old", "md_lost"]);
    let sent = store.media("md_sent").await.unwrap().unwrap();
    assert_eq!(sent.message_id, Some(message.id.parse().unwrap()), "linked to the message its claim stored");
    assert_eq!(store.unused_media(500, 1).await.unwrap().len(), 1, "at most the limit");
}

/// The first value given for a secret is kept; later nodes get it instead of their own.
pub async fn the_first_node_decides_a_server_secret(store: &dyn Store) {
    assert_eq!(store.server_secret("media-url", b"first").await.unwrap(), b"first");
    assert_eq!(store.server_secret("media-url", b"second").await.unwrap(), b"first");
    assert_eq!(store.server_secret("other", b"x").await.unwrap(), b"x");
}
