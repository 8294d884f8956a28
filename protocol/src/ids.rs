//! The identifier rule shared by users (UID) and groups (GUID).

use crate::limits::MAX_ID_LEN;

/// The sender of what the app itself does (member changes by the REST API key, tombstones).
pub const APP_SENDER_UID: &str = "app_system";
/// Guest uids start with this; only guest sign-in makes them.
pub const GUEST_UID_PREFIX: &str = "guest-";

/// Whether a uid is kept from new users: the server's own names, and the guest prefix (for all but
/// guest sign-in).
pub fn is_reserved_uid(uid: &str) -> bool {
    let uid = uid.to_ascii_lowercase();
    uid == APP_SENDER_UID || uid.starts_with(GUEST_UID_PREFIX)
}

/// True when `id` is 1 to [`MAX_ID_LEN`] characters of `a-z A-Z 0-9 _ -`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The stored form of a valid identifier: lower-cased.
pub fn normalize_id(id: &str) -> String {
    id.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_charset() {
        assert!(is_valid_id("superhero1"));
        assert!(is_valid_id("a_B-9"));
        assert!(is_valid_id(&"x".repeat(MAX_ID_LEN)));
    }

    #[test]
    fn refuses_empty_long_and_foreign_characters() {
        assert!(!is_valid_id(""));
        assert!(!is_valid_id(&"x".repeat(MAX_ID_LEN + 1)));
        for bad in ["a b", "a@b", "é", "a/b", "a.b"] {
            assert!(!is_valid_id(bad), "{bad} should be refused");
        }
    }

    #[test]
    fn normalizes_to_lower_case() {
        assert_eq!(normalize_id("SuperHero1"), "superhero1");
    }
}

/// The conversation id of two users: `uidA_user_uidB`, the stored uids in sorted order.
pub fn direct_conversation_id(a: &str, b: &str) -> String {
    ConversationKey::direct(a, b).wire_id()
}

/// The conversation id of a group: `group_GUID`.
pub fn group_conversation_id(guid: &str) -> String {
    ConversationKey::group(guid).wire_id()
}

/// A conversation by its structure: two users, or a group. Ids may contain `_`, so the wire id
/// (`a_user_b`, `group_GUID`) of one conversation can equal another's; the key never does, and the
/// server stores and looks conversations up by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConversationKey {
    /// A 1:1 conversation: the two stored uids, sorted.
    Direct(String, String),
    /// A group's conversation.
    Group(String),
}

impl ConversationKey {
    /// The conversation of users `a` and `b` (in either order).
    pub fn direct(a: &str, b: &str) -> Self {
        let (first, second) = if a <= b { (a, b) } else { (b, a) };
        Self::Direct(first.to_owned(), second.to_owned())
    }

    /// The conversation of group `guid`.
    pub fn group(guid: &str) -> Self {
        Self::Group(guid.to_owned())
    }

    /// The conversation of a message from `sender` to `receiver` (a uid, or a guid for a group).
    pub fn of_message(receiver_type: crate::rest::messages::ReceiverType, sender: &str, receiver: &str) -> Self {
        match receiver_type {
            crate::rest::messages::ReceiverType::User => Self::direct(sender, receiver),
            crate::rest::messages::ReceiverType::Group => Self::group(receiver),
        }
    }

    /// The id the wire shows: `uidA_user_uidB` or `group_GUID`.
    pub fn wire_id(&self) -> String {
        match self {
            Self::Direct(a, b) => format!("{a}_user_{b}"),
            Self::Group(guid) => format!("group_{guid}"),
        }
    }

    /// The stored key: `u:A:B` or `g:GUID` (`:` never occurs in an id, so keys never collide).
    pub fn storage_key(&self) -> String {
        match self {
            Self::Direct(a, b) => format!("u:{a}:{b}"),
            Self::Group(guid) => format!("g:{guid}"),
        }
    }

    /// The key stored as `text`, or `None` when it is not one.
    pub fn from_storage(text: &str) -> Option<Self> {
        if let Some(guid) = text.strip_prefix("g:") {
            return is_valid_id(guid).then(|| Self::Group(guid.to_owned()));
        }
        let (a, b) = text.strip_prefix("u:")?.split_once(':')?;
        (is_valid_id(a) && is_valid_id(b) && a <= b).then(|| Self::Direct(a.to_owned(), b.to_owned()))
    }

    /// The other side of a 1:1 conversation for `uid`, or the guid.
    pub fn with_id(&self, uid: &str) -> &str {
        match self {
            Self::Direct(a, b) if a == uid => b,
            Self::Direct(a, _) => a,
            Self::Group(guid) => guid,
        }
    }

    /// Whether `uid` is one of a 1:1 conversation's two users.
    pub fn has_user(&self, uid: &str) -> bool {
        matches!(self, Self::Direct(a, b) if a == uid || b == uid)
    }

    /// Every conversation whose wire id is `wire` (stored, lower-case ids): the group, and each way of
    /// splitting it at `_user_` into two sorted valid uids. Usually one; the caller picks the one it takes
    /// part in.
    pub fn parse_wire(wire: &str) -> Vec<Self> {
        let mut found = Vec::new();
        if let Some(guid) = wire.strip_prefix("group_") {
            if is_valid_id(guid) {
                found.push(Self::Group(guid.to_owned()));
            }
        }
        for (at, _) in wire.match_indices("_user_") {
            let (a, b) = (&wire[..at], &wire[at + "_user_".len()..]);
            if is_valid_id(a) && is_valid_id(b) && a <= b {
                found.push(Self::Direct(a.to_owned(), b.to_owned()));
            }
        }
        found
    }
}

#[cfg(test)]
mod conversation_tests {
    use super::*;

    #[test]
    fn direct_ids_are_the_same_from_both_sides() {
        assert_eq!(direct_conversation_id("bob", "alice"), "alice_user_bob");
        assert_eq!(direct_conversation_id("alice", "bob"), "alice_user_bob");
        assert_eq!(group_conversation_id("support"), "group_support");
    }

    #[test]
    fn colliding_wire_ids_have_different_keys() {
        let dm = ConversationKey::direct("group", "vip");
        let group = ConversationKey::group("user_vip");
        assert_eq!(dm.wire_id(), group.wire_id());
        assert_ne!(dm.storage_key(), group.storage_key());
        let both = ConversationKey::parse_wire("group_user_vip");
        assert!(both.contains(&dm) && both.contains(&group), "{both:?}");
    }

    #[test]
    fn storage_keys_round_trip() {
        for key in [ConversationKey::direct("b_user_c", "a"), ConversationKey::group("x_user_y")] {
            assert_eq!(ConversationKey::from_storage(&key.storage_key()), Some(key.clone()));
            assert!(ConversationKey::parse_wire(&key.wire_id()).contains(&key));
        }
        assert_eq!(ConversationKey::from_storage("alice_user_bob"), None);
        assert_eq!(ConversationKey::from_storage("u:b:a"), None, "unsorted");
    }
}
