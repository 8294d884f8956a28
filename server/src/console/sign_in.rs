//! Signing in and out of the console, and changing the password.
//!
//! A wrong email and a wrong password get the same answer (401 `ERR_BAD_CREDENTIALS`), after the same work
//! (an unknown email is checked against a stand-in hash). Wrong attempts are counted per email and per
//! client address ([`crate::attempts::Attempts::begin_sign_in`]); past the limits every attempt is refused
//! (429 `ERR_RATE_LIMITED` with `Retry-After`), the right password too, until the window frees a place.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use confab_protocol::api_error::{ApiErrorCode, ErrorDetails};
use confab_protocol::console::{ChangePasswordRequest, ConsoleSession, LoginRequest, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
use confab_protocol::rest::Data;
use std::net::IpAddr;
use std::sync::OnceLock;

use super::session::{self, SignedIn};
use crate::apps::now_secs;
use crate::client_addr::ClientAddr;
use crate::error::{ApiError, ApiResult};
use crate::secrets::{check_password_blocking, key_hash, password_hash_blocking, random_hex};
use crate::state::AppState;
use crate::store::console::{email_key, NewConsoleSession};

/// Longest password read at all (a longer one is refused before hashing).
const MAX_PASSWORD_BYTES: usize = 1024;

/// `POST /console/api/login`: a new session, in the cookie, for the right email and password.
pub async fn login(State(state): State<AppState>, ClientAddr(client): ClientAddr, parts: Parts, body: Bytes) -> ApiResult<Response> {
    require_json(&parts.headers)?;
    let request: LoginRequest = crate::json::parse(&body)?;
    if request.email.len() > super::owners::MAX_EMAIL_CHARS * 4 {
        return Err(ApiError::over_limit("email", super::owners::MAX_EMAIL_CHARS, "characters"));
    }
    if request.password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::over_limit("password", MAX_PASSWORD_BYTES, "bytes"));
    }
    let owner = check_credentials(&state, &request.email, &request.password, client).await?;
    let token = random_hex(32);
    let now = now_secs();
    let new = NewConsoleSession {
        token_hash: key_hash(&token),
        owner_id: owner.id,
        csrf_token: random_hex(32),
        created_at: now,
        expires_at: now + session::MAX_AGE_SECS,
    };
    state.store.create_console_session(&new).await?;
    let secure = session::secure_cookie(&parts, &state);
    let body = ConsoleSession { email: owner.email, csrf_token: new.csrf_token, must_change_password: owner.must_change_password };
    let mut response = Json(Data { data: body }).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session::session_cookie(&token, secure));
    Ok(response)
}

/// `POST /console/api/logout`: ends the session (CSRF checked) and clears the cookie; 204 also without one.
pub async fn logout(State(state): State<AppState>, parts: Parts) -> ApiResult<Response> {
    if let Some(signed_in) = session::current(&parts, &state).await? {
        session::check_csrf(&parts.method, &parts.headers, &signed_in.record.csrf_token)?;
        state.store.delete_console_session(&signed_in.token_hash).await?;
    }
    let secure = session::secure_cookie(&parts, &state);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, session::cleared_cookie(secure))]).into_response())
}

/// `GET /console/api/session`: who is signed in (401 `ERR_NOT_SIGNED_IN` when nobody).
pub async fn session(signed_in: SignedIn) -> Json<Data<ConsoleSession>> {
    let record = signed_in.record;
    Json(Data {
        data: ConsoleSession { email: record.email, csrf_token: record.csrf_token, must_change_password: record.must_change_password },
    })
}

/// `POST /console/api/password`: a new password, given the current one; the owner's other sessions end.
pub async fn change_password(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ClientAddr(client): ClientAddr,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let request: ChangePasswordRequest = crate::json::parse(&body)?;
    let chars = request.new_password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(ApiError::bad_field("newPassword", format!("must be at least {PASSWORD_MIN_CHARS} characters")));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(ApiError::over_limit("newPassword", PASSWORD_MAX_CHARS, "characters"));
    }
    if request.current_password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::over_limit("currentPassword", MAX_PASSWORD_BYTES, "bytes"));
    }
    let owner = check_credentials(&state, &signed_in.record.email, &request.current_password, client)
        .await
        .map_err(|e| match e.code() {
            ApiErrorCode::ErrBadCredentials => e.with_field("currentPassword"),
            _ => e,
        })?;
    if request.new_password == request.current_password {
        return Err(ApiError::bad_field("newPassword", "must differ from the current password"));
    }
    let hash = password_hash_blocking(request.new_password).await;
    state.store.set_owner_password(owner.id, &hash, false, now_secs()).await?;
    state.store.delete_owner_sessions(owner.id, Some(&signed_in.token_hash)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The owner with this email and password, counted against the sign-in limits when wrong.
async fn check_credentials(state: &AppState, email: &str, password: &str, client: IpAddr) -> ApiResult<crate::store::console::OwnerRecord> {
    let guess = state.limits.attempts.begin_sign_in(&email_key(email), client).await.map_err(|retry_after_secs| ApiError::Limited {
        code: ApiErrorCode::ErrRateLimited,
        message: format!("too many wrong sign-ins for this email or from this address; retry in {retry_after_secs} s"),
        details: ErrorDetails::default(),
        retry_after_secs,
    })?;
    let owner = state.store.owner_by_email(email).await?;
    let stored = match &owner {
        Some(owner) => owner.password_hash.clone(),
        None => stand_in_hash().await,
    };
    let right = check_password_blocking(password.to_owned(), stored).await.is_right();
    match owner {
        Some(owner) if right => {
            state.limits.attempts.forgive(guess).await;
            Ok(owner)
        }
        _ => Err(ApiError::unauthorized(ApiErrorCode::ErrBadCredentials, "the email or the password is wrong")),
    }
}

/// A hash no password is known for, checked when the email is unknown so that the answer takes as long.
async fn stand_in_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(hash) = HASH.get() {
        return hash.clone();
    }
    let hash = password_hash_blocking(random_hex(32)).await;
    HASH.get_or_init(|| hash).clone()
}

/// Refuses a body that is not declared JSON: a cross-site form cannot send one, so no page can sign a
/// visitor in to a console account of its choosing.
fn require_json(headers: &HeaderMap) -> ApiResult<()> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    match json {
        true => Ok(()),
        false => Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, ApiErrorCode::ErrBadRequest, "send the body as application/json")
            .with_field("Content-Type")),
    }
}
