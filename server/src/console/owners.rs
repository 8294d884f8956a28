//! Owner accounts: made (and their passwords reset) from the command line, each time with a one-time
//! password that the first sign-in must replace.

use crate::apps::now_secs;
use crate::secrets::password_hash_blocking;
use crate::store::{Store, StoreError};

/// Characters of one-time passwords: letters and digits without the look-alikes (0/O, 1/l/I).
const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Length of one-time passwords: 24 characters of 57, about 140 bits.
pub const ONE_TIME_PASSWORD_CHARS: usize = 24;
/// Longest email accepted.
pub const MAX_EMAIL_CHARS: usize = 254;

/// What went wrong making or resetting an owner.
#[derive(Debug, thiserror::Error)]
pub enum OwnerError {
    /// The email is not one.
    #[error("--email {0:?}: use an email address like owner@example.com (at most 254 characters)")]
    BadEmail(String),
    /// An owner with this email exists (in any case).
    #[error("an owner with the email {0} exists already (use `owner reset-password` for a new password)")]
    Exists(String),
    /// No owner with this email.
    #[error("no owner with the email {0}")]
    Missing(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new random one-time password.
pub fn one_time_password() -> String {
    let mut out = String::with_capacity(ONE_TIME_PASSWORD_CHARS);
    let mut byte = [0u8; 1];
    // Rejection sampling: no character is likelier than another.
    let limit = 256 - 256 % ALPHABET.len();
    while out.len() < ONE_TIME_PASSWORD_CHARS {
        getrandom::fill(&mut byte).expect("the operating system's random source is available");
        if usize::from(byte[0]) < limit {
            out.push(char::from(ALPHABET[usize::from(byte[0]) % ALPHABET.len()]));
        }
    }
    out
}

/// Whether `email` looks like an email address: one `@` with text on both sides, a dot in the domain,
/// no spaces or control characters, at most [`MAX_EMAIL_CHARS`].
pub fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    email.chars().count() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Makes an owner with email `email`; gives their one-time password.
pub async fn create(store: &dyn Store, email: &str) -> Result<String, OwnerError> {
    let email = email.trim();
    if !is_email(email) {
        return Err(OwnerError::BadEmail(email.to_owned()));
    }
    let password = one_time_password();
    let hash = password_hash_blocking(password.clone()).await;
    store.create_owner(email, &hash, true, now_secs()).await.map_err(|e| match e {
        StoreError::Conflict(_) => OwnerError::Exists(email.to_owned()),
        other => other.into(),
    })?;
    Ok(password)
}

/// Gives the owner with email `email` a new one-time password and ends their sessions; gives the password.
pub async fn reset_password(store: &dyn Store, email: &str) -> Result<String, OwnerError> {
    let email = email.trim();
    let owner = store.owner_by_email(email).await?.ok_or_else(|| OwnerError::Missing(email.to_owned()))?;
    let password = one_time_password();
    let hash = password_hash_blocking(password.clone()).await;
    store.set_owner_password(owner.id, &hash, true, now_secs()).await?;
    store.delete_owner_sessions(owner.id, None).await?;
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_passwords_are_long_random_and_unambiguous() {
        let a = one_time_password();
        assert_eq!(a.len(), ONE_TIME_PASSWORD_CHARS);
        assert!(a.bytes().all(|b| ALPHABET.contains(&b)), "{a}");
        assert_ne!(a, one_time_password());
    }

    #[test]
    fn emails_are_checked() {
        for good in ["owner@example.com", "a.b+c@sub.example.org"] {
            assert!(is_email(good), "{good}");
        }
        for bad in ["", "owner", "@example.com", "owner@", "owner@example", "a b@example.com", "a@b@example.com", "a@.com", "a@example.com."] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(!is_email(&format!("{}@example.com", "a".repeat(250))));
    }
}
