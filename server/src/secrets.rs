//! Random credentials and the hashes they are stored as: SHA-256 for keys and tokens, argon2id for group
//! passwords (older salted SHA-256 password hashes still verify).

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

/// Argon2id memory cost of new group password hashes, in KiB (19 MiB: OWASP's minimum for argon2id).
pub const PASSWORD_M_COST_KIB: u32 = 19 * 1024;
/// Argon2id passes over that memory (OWASP's minimum with 19 MiB).
pub const PASSWORD_T_COST: u32 = 2;
/// Argon2id lanes.
pub const PASSWORD_P_COST: u32 = 1;
/// Password hashes computed at once on this node, at most: each takes [`PASSWORD_M_COST_KIB`] of memory,
/// so a burst of joins or group changes waits for a permit instead of taking the node's memory.
pub const MAX_CONCURRENT_PASSWORD_HASHES: usize = 4;
/// The prefix of the PHC strings [`password_hash`] makes.
pub const ARGON2ID_PREFIX: &str = "$argon2id$";

fn argon2() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(PASSWORD_M_COST_KIB, PASSWORD_T_COST, PASSWORD_P_COST, None)
        .expect("the password hash parameters are valid");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// The stored form of a group password: an argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`)
/// with a random 16-byte salt. Slow on purpose (tens of milliseconds): call it through
/// [`password_hash_blocking`] from async code.
pub fn password_hash(password: &str) -> String {
    use argon2::password_hash::PasswordHasher;
    let mut salt = [0u8; argon2::RECOMMENDED_SALT_LEN];
    getrandom::fill(&mut salt).expect("the operating system's random source is available");
    argon2().hash_password_with_salt(password.as_bytes(), &salt).expect("argon2id hashes any password").to_string()
}

/// The stored form of a password in the format before argon2id: `salt$sha256(salt + password)`, both hex.
/// Only tests make these now; [`check_password`] still accepts them.
#[cfg(test)]
pub fn legacy_password_hash(password: &str) -> String {
    let salt = random_hex(16);
    format!("{salt}${}", hex(&Sha256::digest(format!("{salt}{password}").as_bytes())))
}

/// What a password guess against a stored hash came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password does not match (or nothing usable is stored).
    Wrong,
    /// It matches an argon2id hash.
    Right,
    /// It matches a hash in the old salted SHA-256 format: store a new [`password_hash`] of it.
    RightButRehash,
}

impl PasswordCheck {
    /// Whether the password matched.
    pub fn is_right(self) -> bool {
        self != Self::Wrong
    }
}

/// Checks `password` against `stored`: an argon2id PHC string from [`password_hash`], or a salted SHA-256
/// `salt$digest` from before (compared in constant time). Slow for argon2id: call it through
/// [`check_password_blocking`] from async code.
pub fn check_password(password: &str, stored: &str) -> PasswordCheck {
    use argon2::password_hash::PasswordVerifier;
    if stored.starts_with('$') {
        // A PHC string: its own parameters are used, so hashes made with other costs still verify.
        return match stored.starts_with(ARGON2ID_PREFIX) && argon2().verify_password(password.as_bytes(), stored).is_ok() {
            true => PasswordCheck::Right,
            false => PasswordCheck::Wrong,
        };
    }
    use subtle::ConstantTimeEq;
    let Some((salt, digest)) = stored.split_once('$') else { return PasswordCheck::Wrong };
    if salt.is_empty() || digest.len() != 64 {
        return PasswordCheck::Wrong;
    }
    let candidate = hex(&Sha256::digest(format!("{salt}{password}").as_bytes()));
    match bool::from(candidate.as_bytes().ct_eq(digest.as_bytes())) {
        true => PasswordCheck::RightButRehash,
        false => PasswordCheck::Wrong,
    }
}

/// Whether `password` matches `stored` (see [`check_password`]).
pub fn password_matches(password: &str, stored: &str) -> bool {
    check_password(password, stored).is_right()
}

fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(MAX_CONCURRENT_PASSWORD_HASHES))
}

/// Runs `work` on Tokio's blocking pool, at most [`MAX_CONCURRENT_PASSWORD_HASHES`] at once.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let _permit = hashing_permits().acquire().await.expect("the hashing semaphore is never closed");
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(err) => std::panic::resume_unwind(err.into_panic()),
    }
}

/// [`password_hash`] on the blocking pool.
pub async fn password_hash_blocking(password: String) -> String {
    hashing(move || password_hash(&password)).await
}

/// [`check_password`] on the blocking pool.
pub async fn check_password_blocking(password: String, stored: String) -> PasswordCheck {
    hashing(move || check_password(&password, &stored)).await
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
    fn passwords_are_salted_argon2id_and_checked() {
        let a = password_hash("s3cret");
        assert!(a.starts_with(ARGON2ID_PREFIX), "{a}");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert!(!a.contains("s3cret"));
        assert_ne!(a, password_hash("s3cret"), "salted");
        assert_eq!(check_password("s3cret", &a), PasswordCheck::Right);
        assert!(password_matches("s3cret", &a));
        assert!(!password_matches("S3cret", &a));
        assert!(!password_matches("", &a));
        assert!(!password_matches("s3cret", "garbage"));
        assert!(!password_matches("s3cret", ""));
        assert!(!password_matches("s3cret", "$argon2id$v=19$m=19456,t=2,p=1$broken"));
    }

    #[test]
    fn other_phc_algorithms_are_not_accepted() {
        // An argon2i (or any non-argon2id) string never matches, even with the right password.
        let id = password_hash("pw");
        let i = id.replacen("$argon2id$", "$argon2i$", 1);
        assert!(!password_matches("pw", &i));
    }

    #[test]
    fn legacy_sha256_hashes_still_verify_and_ask_for_a_rehash() {
        let old = legacy_password_hash("s3cret");
        assert!(!old.starts_with('$'));
        assert_eq!(check_password("s3cret", &old), PasswordCheck::RightButRehash);
        assert_eq!(check_password("S3cret", &old), PasswordCheck::Wrong);
        assert_eq!(check_password("s3cret", "$"), PasswordCheck::Wrong);
        assert_eq!(check_password("s3cret", "salt$short"), PasswordCheck::Wrong);
    }

    #[tokio::test]
    async fn hashing_runs_off_the_async_threads() {
        let stored = password_hash_blocking("pw".into()).await;
        assert!(stored.starts_with(ARGON2ID_PREFIX));
        assert_eq!(check_password_blocking("pw".into(), stored.clone()).await, PasswordCheck::Right);
        assert_eq!(check_password_blocking("nope".into(), stored).await, PasswordCheck::Wrong);
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
