//! Random credentials and the hashes they are stored as.

use sha2::{Digest, Sha256};

/// A new random credential: `bytes` random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    buf.iter().map(|b| format!("{b:02x}")).collect()
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
