//! The identifier rule shared by users (UID) and groups (GUID).

use crate::limits::MAX_ID_LEN;

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
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    format!("{first}_user_{second}")
}

/// The conversation id of a group: `group_GUID`.
pub fn group_conversation_id(guid: &str) -> String {
    format!("group_{guid}")
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
}
