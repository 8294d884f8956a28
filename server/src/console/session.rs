//! Console sessions: the `confab_console` cookie, the CSRF check, and the extractors of the API's calls.
//!
//! - [`SignedIn`]: a live session (401 `ERR_NOT_SIGNED_IN`), and on every call but GET and HEAD the
//!   session's CSRF token in `x-csrf-token` (403 `ERR_CSRF`). The sign-in call itself has no session.
//! - [`Owner`]: the same, with a password that is not a one-time one (403 `ERR_PASSWORD_CHANGE_REQUIRED`).

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::console::{CSRF_HEADER, SESSION_COOKIE};
use std::net::SocketAddr;

use crate::apps::now_secs;
use crate::error::ApiError;
use crate::secrets::key_hash;
use crate::state::AppState;
use crate::store::console::ConsoleSessionRecord;

/// A session ends after this long without use: 12 hours.
pub const IDLE_SECS: i64 = 12 * 3600;
/// A session ends this long after sign-in, however much it is used: 7 days.
pub const MAX_AGE_SECS: i64 = 7 * 24 * 3600;
/// Cookies named [`SESSION_COOKIE`] tried per request, at most (a sibling site may have set more).
const MAX_SESSION_COOKIES: usize = 4;

/// A live session, its CSRF token checked for anything but GET and HEAD.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The session and its owner.
    pub record: ConsoleSessionRecord,
    /// The SHA-256 of the cookie's token.
    pub token_hash: Vec<u8>,
}

/// A signed-in owner whose password is not a one-time one.
#[derive(Debug, Clone)]
pub struct Owner(pub SignedIn);

impl Owner {
    /// The owner's email: the actor of what they change.
    pub fn email(&self) -> &str {
        &self.0.record.email
    }
}

/// 401 `ERR_NOT_SIGNED_IN`.
pub fn not_signed_in() -> ApiError {
    ApiError::unauthorized(ApiErrorCode::ErrNotSignedIn, "sign in to the console first")
}

/// The values of the session cookies the request carries, first first.
pub fn session_tokens(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.trim_matches('"'))
        .take(MAX_SESSION_COOKIES)
        .collect()
}

/// The live session of the request, if any: the first of its session cookies that names one.
pub async fn current(parts: &Parts, state: &AppState) -> Result<Option<SignedIn>, ApiError> {
    let now = now_secs();
    for token in session_tokens(&parts.headers) {
        let token_hash = key_hash(token);
        if let Some(record) = state.store.use_console_session(&token_hash, now, IDLE_SECS).await? {
            return Ok(Some(SignedIn { record, token_hash }));
        }
    }
    Ok(None)
}

/// Refuses a call that changes something without the session's CSRF token (compared in constant time).
pub fn check_csrf(method: &Method, headers: &HeaderMap, expected: &str) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD) {
        return Ok(());
    }
    use subtle::ConstantTimeEq;
    let sent = headers.get(CSRF_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    match !expected.is_empty() && bool::from(sent.ct_eq(expected.as_bytes())) {
        true => Ok(()),
        false => Err(ApiError::forbidden(
            ApiErrorCode::ErrCsrf,
            format!("send the session's csrfToken in the {CSRF_HEADER} header"),
        )
        .with_field(CSRF_HEADER)),
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let signed_in = current(parts, state).await?.ok_or_else(not_signed_in)?;
        check_csrf(&parts.method, &parts.headers, &signed_in.record.csrf_token)?;
        Ok(signed_in)
    }
}

impl FromRequestParts<AppState> for Owner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if signed_in.record.must_change_password {
            return Err(ApiError::forbidden(
                ApiErrorCode::ErrPasswordChangeRequired,
                "the password is a one-time one: set a new one with POST /console/api/password first",
            ));
        }
        Ok(Owner(signed_in))
    }
}

/// Whether the console's cookie gets `Secure`: the public URL is https, or a trusted proxy says the
/// request came over https (`X-Forwarded-Proto`).
pub fn secure_cookie(parts: &Parts, state: &AppState) -> bool {
    if state.settings.public_url.as_deref().is_some_and(|url| url.starts_with("https://")) {
        return true;
    }
    if parts.uri.scheme_str() == Some("https") {
        return true;
    }
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip().to_canonical());
    let trusted = peer.is_some_and(|ip| state.settings.trusted_proxies.iter().any(|net| net.contains(ip)));
    trusted
        && parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// The `Set-Cookie` value of a new session.
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/console{secure}"))
        .expect("a hex token makes a valid header")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0{secure}"))
        .expect("a valid header")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; confab_console=abc; b=2"));
        headers.append(header::COOKIE, HeaderValue::from_static("confab_console=def"));
        headers.append(header::COOKIE, HeaderValue::from_static("confab_console_x=no; xconfab_console=no; confab_console="));
        assert_eq!(session_tokens(&headers), ["abc", "def"]);
    }

    #[test]
    fn csrf_is_needed_for_changes_only_and_must_match() {
        let mut headers = HeaderMap::new();
        assert!(check_csrf(&Method::GET, &headers, "t").is_ok());
        assert!(check_csrf(&Method::HEAD, &headers, "t").is_ok());
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH, Method::OPTIONS] {
            assert_eq!(check_csrf(&method, &headers, "t").unwrap_err().code(), ApiErrorCode::ErrCsrf);
        }
        headers.insert(CSRF_HEADER, HeaderValue::from_static("wrong"));
        assert!(check_csrf(&Method::POST, &headers, "t").is_err());
        headers.insert(CSRF_HEADER, HeaderValue::from_static("t"));
        assert!(check_csrf(&Method::POST, &headers, "t").is_ok());
        assert!(check_csrf(&Method::POST, &HeaderMap::new(), "").is_err(), "an empty token never matches");
    }

    #[test]
    fn cookies_have_the_flags() {
        let cookie = session_cookie("abc", false);
        assert_eq!(cookie, "confab_console=abc; HttpOnly; SameSite=Strict; Path=/console");
        assert!(session_cookie("abc", true).to_str().unwrap().ends_with("; Secure"));
        assert!(cleared_cookie(false).to_str().unwrap().contains("Max-Age=0"));
    }
}
