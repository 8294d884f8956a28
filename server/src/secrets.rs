//! Random credentials and the hashes they are stored as.

use sha2::{Digest, Sha256};

/// A new random credential: `bytes` random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    hex(&buf)
}

/// The stored form of a key or token: its SHA-256. Keys are 128+ random bits, so a fast hash is enough.
pub fn key_hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_hex_has_the_asked_length_and_differs() {
        let a = random_hex(20);
        assert_eq!(a.len(), 40);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, random_hex(20));
    }

    #[test]
    fn key_hash_is_stable_and_not_the_key() {
        assert_eq!(key_hash("k"), key_hash("k"));
        assert_ne!(key_hash("k"), b"k".to_vec());
        assert_eq!(key_hash("k").len(), 32);
    }
}

/// A salted hash of a group password: `salt$sha256(salt + password)`, both hex.
pub fn password_hash(password: &str) -> String {
    let salt = random_hex(16);
    format!("{salt}${}", hex(&Sha256::digest(format!("{salt}{password}").as_bytes())))
}

/// Whether `password` matches `stored` (from [`password_hash`]), in constant time.
pub fn password_matches(password: &str, stored: &str) -> bool {
    use subtle::ConstantTimeEq;
    let Some((salt, digest)) = stored.split_once('$') else { return false };
    let candidate = hex(&Sha256::digest(format!("{salt}{password}").as_bytes()));
    candidate.as_bytes().ct_eq(digest.as_bytes()).into()
}

/// Whether `user_hash` is the hex HMAC-SHA256 of `uid` keyed with `secret`, in constant time.
pub fn user_hash_matches(secret: &str, uid: &str, user_hash: &str) -> bool {
    use hmac::{Hmac, Mac};
    let Some(expected) = decode_hex(user_hash.trim()) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(uid.as_bytes());
    mac.verify_slice(&expected).is_ok()
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of a hex string, `None` when it is not one.
pub fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod password_tests {
    use super::*;

    #[test]
    fn passwords_are_salted_and_checked() {
        let a = password_hash("s3cret");
        assert_ne!(a, password_hash("s3cret"), "salted");
        assert!(password_matches("s3cret", &a));
        assert!(!password_matches("S3cret", &a));
        assert!(!password_matches("s3cret", "garbage"));
    }

    #[test]
    fn user_hash_is_hmac_sha256_hex() {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"superhero1");
        let good = hex(&mac.finalize().into_bytes());
        assert!(user_hash_matches("secret", "superhero1", &good));
        assert!(user_hash_matches("secret", "superhero1", &good.to_uppercase()));
        assert!(!user_hash_matches("secret", "superhero2", &good));
        assert!(!user_hash_matches("other", "superhero1", &good));
        assert!(!user_hash_matches("secret", "superhero1", "zz"));
    }
}
