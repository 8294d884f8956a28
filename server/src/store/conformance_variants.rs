//! The variants' part of the store conformance suite ([`VariantStore`], and the variant a token remembers).
//! Each check takes a fresh, empty, migrated store; every backend runs them with
//! [`conformance_variants_tests!`](crate::store::conformance_variants::conformance_variants_tests), next
//! to the main suite:
//!
//! ```ignore
//! crate::store::conformance_variants::conformance_variants_tests!(fresh_store().await);
//! ```

use serde_json::json;

use super::conformance::with_app;
use super::{
    NewUser, NewVariant, PageRequest, Store, StoreError, TokenLifetime, UserOrigin, VariantChange, VariantCreated,
    VariantRecord,
};

/// Expands to a module `conformance_variants` with one `#[tokio::test]` per check, each running it against
/// the store `$fresh` gives (a store, or a `(store, guard)` pair; see
/// [`UnderTest`](crate::store::conformance::UnderTest)).
macro_rules! conformance_variants_tests {
    ($fresh:expr) => {
        $crate::store::conformance::conformance_tests!(@checks conformance_variants, $fresh;
            variants_round_trip_with_their_settings_as_given,
            the_first_variant_is_the_default_and_one_default_stays,
            deleting_the_default_makes_the_oldest_remaining_one_default,
            variant_ids_are_unique_across_apps,
            variant_lists_page_default_first_with_their_total,
            an_app_has_at_most_its_limit_of_variants,
            tokens_remember_their_variant_until_it_goes,
        );
    };
}
pub(crate) use conformance_variants_tests;

const APP: &str = "variants-app";
const OTHER_APP: &str = "variants-other";
const LIMIT: usize = 100;

fn new_variant(id: &str, created_at: i64) -> NewVariant {
    NewVariant { id: id.into(), name: format!("Variant {id}"), settings: json!({}), created_at }
}

async fn create(store: &dyn Store, app_id: &str, variant: NewVariant) -> VariantRecord {
    match store.create_variant(app_id, &variant, LIMIT).await.unwrap() {
        VariantCreated::Stored(record) => record,
        VariantCreated::LimitReached => panic!("{} refused: limit reached", variant.id),
    }
}

/// The ids of the app's variants in list order, and which is default.
async fn listed(store: &dyn Store, app_id: &str) -> Vec<(String, bool)> {
    let (variants, _) = store.list_variants(app_id, PageRequest { per_page: 100, page: 1 }).await.unwrap();
    variants.into_iter().map(|v| (v.id, v.is_default)).collect()
}

/// A variant comes back with its settings as stored, unknown keys and all, from its app only (and from
/// anywhere by id); an update replaces the name and the whole settings and stamps `updated_at`.
pub async fn variants_round_trip_with_their_settings_as_given(store: &dyn Store) {
    with_app(store, APP).await;
    with_app(store, OTHER_APP).await;
    let settings = json!({"style": {"theme": "dark"}, "someday": {"nested": [1, "two", null]}, "texts": {"de": {"title": "Hilfe"}}});
    let stored = create(store, APP, NewVariant { settings: settings.clone(), ..new_variant("v1", 100) }).await;
    let expected = VariantRecord {
        id: "v1".into(),
        app_id: APP.into(),
        name: "Variant v1".into(),
        is_default: true,
        settings: settings.clone(),
        created_at: 100,
        updated_at: 100,
    };
    assert_eq!(stored, expected);
    assert_eq!(store.variant(APP, "v1").await.unwrap(), Some(expected.clone()));
    assert_eq!(store.variant_anywhere("v1").await.unwrap(), Some(expected.clone()));
    assert_eq!(store.variant(OTHER_APP, "v1").await.unwrap(), None, "another app's variant");
    assert_eq!(store.variant_anywhere("nope").await.unwrap(), None);

    let change = VariantChange { name: Some("Renamed".into()), settings: Some(json!({"layout": {"tabs": ["chats"]}})), make_default: false };
    let updated = store.update_variant(APP, "v1", &change, 200).await.unwrap().expect("the variant exists");
    assert_eq!((updated.name.as_str(), &updated.settings, updated.updated_at), ("Renamed", &json!({"layout": {"tabs": ["chats"]}}), 200));
    assert_eq!(updated.created_at, 100);
    assert_eq!(store.variant(APP, "v1").await.unwrap(), Some(updated.clone()));
    // A change naming nothing keeps everything but the time.
    let kept = store.update_variant(APP, "v1", &VariantChange::default(), 300).await.unwrap().unwrap();
    assert_eq!((kept.name, kept.settings, kept.updated_at), (updated.name, updated.settings, 300));
    assert_eq!(store.update_variant(OTHER_APP, "v1", &change, 300).await.unwrap(), None);
    assert_eq!(store.update_variant(APP, "nope", &change, 300).await.unwrap(), None);
}

/// The app's first variant is its default, later ones are not; making another default moves it (never two);
/// each app has its own default.
pub async fn the_first_variant_is_the_default_and_one_default_stays(store: &dyn Store) {
    with_app(store, APP).await;
    with_app(store, OTHER_APP).await;
    assert_eq!(store.default_variant(APP).await.unwrap(), None, "no variant, no default");
    assert!(create(store, APP, new_variant("a", 1)).await.is_default);
    assert!(!create(store, APP, new_variant("b", 2)).await.is_default);
    assert!(create(store, OTHER_APP, new_variant("x", 3)).await.is_default, "each app has its own first");
    assert_eq!(store.default_variant(APP).await.unwrap().map(|v| v.id).as_deref(), Some("a"));

    assert!(store.set_default_variant(APP, "b", 10).await.unwrap());
    assert_eq!(listed(store, APP).await, [("b".to_owned(), true), ("a".to_owned(), false)]);
    assert_eq!(store.default_variant(APP).await.unwrap().map(|v| v.id).as_deref(), Some("b"));
    // Again: nothing changes.
    assert!(store.set_default_variant(APP, "b", 11).await.unwrap());
    assert_eq!(listed(store, APP).await, [("b".to_owned(), true), ("a".to_owned(), false)]);
    assert!(!store.set_default_variant(APP, "x", 12).await.unwrap(), "another app's variant");
    assert_eq!(store.default_variant(OTHER_APP).await.unwrap().map(|v| v.id).as_deref(), Some("x"));
}

/// Deleting the default makes the oldest remaining variant default; deleting another leaves the default;
/// the last one gone, the app has none.
pub async fn deleting_the_default_makes_the_oldest_remaining_one_default(store: &dyn Store) {
    with_app(store, APP).await;
    for (id, at) in [("first", 1), ("second", 2), ("third", 3), ("fourth", 3)] {
        create(store, APP, new_variant(id, at)).await;
    }
    assert!(store.set_default_variant(APP, "third", 5).await.unwrap());
    assert!(store.delete_variant(APP, "second").await.unwrap());
    assert_eq!(store.default_variant(APP).await.unwrap().map(|v| v.id).as_deref(), Some("third"), "not the default: it stays");
    assert!(store.delete_variant(APP, "third").await.unwrap());
    assert_eq!(listed(store, APP).await, [("first".to_owned(), true), ("fourth".to_owned(), false)]);
    assert!(store.delete_variant(APP, "first").await.unwrap());
    // Made in the same second as the deleted `third`, and after it.
    assert_eq!(listed(store, APP).await, [("fourth".to_owned(), true)]);
    assert!(!store.delete_variant(APP, "first").await.unwrap(), "gone already");
    assert!(store.delete_variant(APP, "fourth").await.unwrap());
    assert_eq!(store.default_variant(APP).await.unwrap(), None);
    assert!(create(store, APP, new_variant("again", 9)).await.is_default, "the next one is the first again");
}

/// A variant id is taken on the whole server: another app cannot use it (`Conflict`), nor can the same
/// app twice; the first stays as it was.
pub async fn variant_ids_are_unique_across_apps(store: &dyn Store) {
    with_app(store, APP).await;
    with_app(store, OTHER_APP).await;
    let first = create(store, APP, new_variant("shared", 1)).await;
    for app_id in [APP, OTHER_APP] {
        let again = store.create_variant(app_id, &NewVariant { name: "Other".into(), ..new_variant("shared", 2) }, LIMIT).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{app_id}: {again:?}");
    }
    assert_eq!(store.variant(APP, "shared").await.unwrap(), Some(first));
    assert_eq!(store.default_variant(OTHER_APP).await.unwrap(), None, "nothing was stored for the other app");
}

/// Lists page the app's variants, default first then oldest first, and count all of them.
pub async fn variant_lists_page_default_first_with_their_total(store: &dyn Store) {
    with_app(store, APP).await;
    with_app(store, OTHER_APP).await;
    for (id, at) in [("v-a", 1), ("v-b", 2), ("v-c", 2), ("v-d", 4), ("v-e", 5)] {
        create(store, APP, new_variant(id, at)).await;
    }
    create(store, OTHER_APP, new_variant("elsewhere", 1)).await;
    assert!(store.set_default_variant(APP, "v-d", 6).await.unwrap());
    let page = |page| PageRequest { per_page: 2, page };
    let ids = |variants: Vec<VariantRecord>| variants.into_iter().map(|v| v.id).collect::<Vec<_>>();
    let (first, total) = store.list_variants(APP, page(1)).await.unwrap();
    assert_eq!((ids(first), total), (vec!["v-d".to_owned(), "v-a".to_owned()], 5));
    let (second, _) = store.list_variants(APP, page(2)).await.unwrap();
    assert_eq!(ids(second), ["v-b", "v-c"]);
    let (third, _) = store.list_variants(APP, page(3)).await.unwrap();
    assert_eq!(ids(third), ["v-e"]);
    let (past, total) = store.list_variants(APP, page(4)).await.unwrap();
    assert_eq!((past.len(), total), (0, 5));
    let (none, total) = store.list_variants("no-such-app", page(1)).await.unwrap();
    assert_eq!((none.len(), total), (0, 0));
}

/// An app at its limit stores no more (other apps still may), and stores again once one is deleted.
pub async fn an_app_has_at_most_its_limit_of_variants(store: &dyn Store) {
    with_app(store, APP).await;
    with_app(store, OTHER_APP).await;
    for (i, id) in ["l1", "l2"].iter().enumerate() {
        assert!(matches!(store.create_variant(APP, &new_variant(id, i as i64), 2).await.unwrap(), VariantCreated::Stored(_)));
    }
    assert_eq!(store.create_variant(APP, &new_variant("l3", 3), 2).await.unwrap(), VariantCreated::LimitReached);
    assert_eq!(store.variant(APP, "l3").await.unwrap(), None);
    assert!(matches!(store.create_variant(OTHER_APP, &new_variant("o1", 3), 2).await.unwrap(), VariantCreated::Stored(_)));
    assert!(store.delete_variant(APP, "l1").await.unwrap());
    assert!(matches!(store.create_variant(APP, &new_variant("l3", 4), 2).await.unwrap(), VariantCreated::Stored(_)));
}

/// A token made in a variant names it when it signs in; one made without names none; setting a token's
/// variant changes (or clears) what it names; deleting the variant makes its tokens name none, and they
/// still sign in.
pub async fn tokens_remember_their_variant_until_it_goes(store: &dyn Store) {
    with_app(store, APP).await;
    let user = NewUser {
        uid: "ann".into(),
        origin: UserOrigin::Guest,
        name: "Ann".into(),
        avatar: None,
        link: None,
        role: "default".into(),
        status_message: None,
        metadata: None,
        tags: Vec::new(),
        created_at: 1,
    };
    store.create_user(APP, &user, None).await.unwrap();
    create(store, APP, new_variant("calm", 1)).await;
    create(store, APP, new_variant("quiet", 2)).await;
    let lifetime = TokenLifetime::default();
    store.create_token_in_variant(APP, "ann", b"in-quiet", 10, lifetime, Some("quiet")).await.unwrap();
    store.create_token(APP, "ann", b"plain", 10, lifetime).await.unwrap();
    let variant_of = |hash: &'static [u8]| async move { store.token_owner(hash, 20).await.unwrap().expect("the token works").variant_id };
    assert_eq!(variant_of(b"in-quiet").await.as_deref(), Some("quiet"));
    assert_eq!(variant_of(b"plain").await, None);

    assert!(store.set_token_variant(b"plain", Some("calm")).await.unwrap());
    assert_eq!(variant_of(b"plain").await.as_deref(), Some("calm"));
    assert!(store.set_token_variant(b"plain", None).await.unwrap());
    assert_eq!(variant_of(b"plain").await, None);
    assert!(!store.set_token_variant(b"unknown", Some("calm")).await.unwrap());

    assert!(store.delete_variant(APP, "quiet").await.unwrap());
    assert_eq!(variant_of(b"in-quiet").await, None, "the deleted variant's tokens fall back to the default");
}
