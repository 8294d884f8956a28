//! Signing in from the config, in its mode: guest (a new guest user, or the one this device remembers),
//! uid (created on first sight; `userHash` passed through), or authToken.
//!
//! A guest is remembered on this device only once they have sent a message; nothing is stored before that.
//! The loader keeps the token in the host site's storage (see `confab_protocol::bridge`) and hands it back
//! with the config; `logout()` forgets it.

use confab_protocol::rest::auth::{GuestSignIn, Profile, Session, TokenSignIn, UidSignIn};
use confab_protocol::rest::Data;
use confab_protocol::widget_config::WidgetConfig;

use crate::net::http::{Api, CallError, Credential};
use crate::net::http::body as json_body;

fn profile(config: &WidgetConfig) -> Option<Profile> {
    config.user.as_ref().map(|u| Profile { name: u.name.clone(), avatar: u.avatar.clone(), link: u.link.clone() })
}

/// Signs in as `config` says (a guest with `remembered`, the token the loader kept, when it still works);
/// the session, and whether it is a new guest (to remember after a send).
pub async fn sign_in(api: &Api, config: &WidgetConfig, remembered: Option<String>) -> Result<(Session, bool), CallError> {
    let key = Credential::AuthKey(config.auth_key.clone().unwrap_or_default());
    match config.mode.as_str() {
        "uid" => {
            let body = UidSignIn { uid: config.uid.clone().unwrap_or_default(), user_hash: config.user_hash.clone(), user: profile(config), variant_id: config.variant_id.clone() };
            Ok((api.call::<Data<Session>>("POST", "/auth/uid", &key, json_body(&body)).await?.data, false))
        }
        "authToken" => {
            let body = TokenSignIn { auth_token: config.auth_token.clone().unwrap_or_default(), variant_id: config.variant_id.clone() };
            Ok((api.call::<Data<Session>>("POST", "/auth/token", &Credential::None, json_body(&body)).await?.data, false))
        }
        _ => {
            if let Some(token) = remembered.filter(|t| !t.is_empty()) {
                let body = TokenSignIn { auth_token: token, variant_id: config.variant_id.clone() };
                match api.call::<Data<Session>>("POST", "/auth/token", &Credential::None, json_body(&body)).await {
                    Ok(session) => return Ok((session.data, false)),
                    // Revoked or deleted: a new guest, remembered in its place once they write.
                    Err(CallError::Refused { .. }) => {}
                    Err(other) => return Err(other),
                }
            }
            let body = GuestSignIn { user: profile(config), variant_id: config.variant_id.clone() };
            Ok((api.call::<Data<Session>>("POST", "/auth/guest", &key, json_body(&body)).await?.data, true))
        }
    }
}
