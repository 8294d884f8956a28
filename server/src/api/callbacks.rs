//! What bots and webhooks share in the API: callback URL and basic-auth checks, and signing secrets.

use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::limits::MAX_BASIC_AUTH_LEN;

use crate::error::{ApiError, ApiResult};
use crate::secrets::random_hex;
use crate::state::AppState;
use crate::store::{BasicAuth, Patch};
use crate::validate;

/// A new signing secret.
pub(super) fn signing_secret() -> String {
    format!("whsec_{}", random_hex(24))
}

/// `url` if the server may call it, else 400 `ERR_CALLBACK_URL_REFUSED` on `field`.
pub(super) fn callback_url(state: &AppState, field: &str, url: &str) -> ApiResult<String> {
    let url = url.trim();
    state.callbacks.check(url).map_err(|why| {
        ApiError::new(axum::http::StatusCode::BAD_REQUEST, ApiErrorCode::ErrCallbackUrlRefused, format!("{field}: {why}"))
            .with_field(field)
    })?;
    Ok(url.to_owned())
}

/// The basic-auth change the `useBasicAuth`, `username` and `password` fields ask for.
pub(super) fn basic_auth(use_basic_auth: Option<bool>, username: Option<String>, password: Option<String>) -> ApiResult<Patch<BasicAuth>> {
    for (field, value) in [("username", &username), ("password", &password)] {
        if let Some(value) = value {
            validate::max_chars(field, value, MAX_BASIC_AUTH_LEN)?;
        }
    }
    match (use_basic_auth, username, password) {
        (Some(false), None, None) => Ok(Patch::Clear),
        (Some(false), ..) => Err(ApiError::bad_field("useBasicAuth", "username and password need useBasicAuth true")),
        (Some(true), Some(username), Some(password)) if !username.is_empty() && !username.contains(':') => {
            Ok(Patch::Set(BasicAuth { username, password }))
        }
        (Some(true), Some(_), Some(_)) => Err(ApiError::bad_field("username", "must be 1 or more characters without ':'")),
        (Some(true), None, _) => Err(ApiError::bad_field("username", "basic auth needs a username")),
        (Some(true), Some(_), None) => Err(ApiError::bad_field("password", "basic auth needs a password")),
        (None, None, None) => Ok(Patch::Keep),
        (None, ..) => Err(ApiError::bad_field("useBasicAuth", "set useBasicAuth true to send username and password")),
    }
}
