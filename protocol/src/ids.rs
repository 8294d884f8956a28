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
