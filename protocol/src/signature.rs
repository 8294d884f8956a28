//! The signature on every bot and webhook call, so a receiver can tell the call came from its Confab server.
//!
//! The `X-Confab-Signature` header is `t=<unix seconds>,v1=<hex HMAC-SHA256>`, the HMAC keyed with the bot's
//! or webhook's `signingSecret` over `"<t>.<body>"`. A receiver recomputes it over the raw body, compares in
//! constant time, and refuses stale timestamps so a captured call cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-confab-signature";
/// The header carrying the delivery id: the same on every retry of one delivery.
pub const DELIVERY_HEADER: &str = "x-confab-delivery";
/// The header carrying the trigger (`after_message`, or a webhook trigger).
pub const TRIGGER_HEADER: &str = "x-confab-trigger";
/// How far a signature's timestamp may be from the receiver's clock, in seconds, by default.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// The header is not `t=...,v1=...`.
    Malformed,
    /// The timestamp is further from now than the tolerance.
    Stale,
    /// The HMAC does not match the body.
    Mismatch,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Malformed => "the signature header is malformed",
            Self::Stale => "the signature's timestamp is too old or too far ahead",
            Self::Mismatch => "the signature does not match the body",
        })
    }
}

impl std::error::Error for SignatureError {}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-Confab-Signature` value for `body` sent at `timestamp` (Unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        hex.push(char::from_digit(u32::from(byte >> 4), 16).expect("nibble"));
        hex.push(char::from_digit(u32::from(byte & 0xf), 16).expect("nibble"));
    }
    format!("t={timestamp},v1={hex}")
}

/// Checks `header` against `body` at `now` (Unix seconds), allowing `tolerance_secs` of clock difference.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signature = decode_hex(v),
            _ => {}
        }
    }
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureError::Malformed);
    };
    if (now - timestamp).abs() > tolerance_secs {
        return Err(SignatureError::Stale);
    }
    mac(secret, timestamp, body).verify_slice(&signature).map_err(|_| SignatureError::Mismatch)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_body_verifies_and_a_changed_one_does_not() {
        let header = sign("whsec_test", 1_700_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert_eq!(verify("whsec_test", &header, b"{\"a\":1}", 1_700_000_010, 300), Ok(()));
        assert_eq!(verify("whsec_test", &header, b"{\"a\":2}", 1_700_000_010, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify("other", &header, b"{\"a\":1}", 1_700_000_010, 300), Err(SignatureError::Mismatch));
    }

    #[test]
    fn stale_and_malformed_headers_are_refused() {
        let header = sign("s", 1_700_000_000, b"x");
        assert_eq!(verify("s", &header, b"x", 1_700_000_301, 300), Err(SignatureError::Stale));
        assert_eq!(verify("s", "v1=00", b"x", 1_700_000_000, 300), Err(SignatureError::Malformed));
        assert_eq!(verify("s", "t=1,v1=zz", b"x", 1, 300), Err(SignatureError::Malformed));
    }
}
