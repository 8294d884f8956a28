//! Signing in from the config, in its mode: guest (a new guest user, or the one this device remembers),
//! uid (created on first sight; `userHash` passed through), or authToken.
//!
//! A guest is remembered on this device (the token in the frame's `localStorage`, per app) only once they
//! have sent a message; nothing is stored before that. `logout()` forgets it.

use confab_protocol::rest::auth::{GuestSignIn, Profile, Session, TokenSignIn, UidSignIn};
use confab_protocol::rest::Data;
use confab_protocol::widget_config::WidgetConfig;

use crate::net::http::{Api, CallError, Credential};

fn storage_key(app_id: &str) -> String {
    format!("confab:guest:{app_id}")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The token of the guest this device remembers for `app_id`.
pub fn remembered_guest(app_id: &str) -> Option<String> {
    storage()?.get_item(&storage_key(app_id)).ok()?
}

/// Remembers the guest's `token` on this device.
pub fn remember_guest(app_id: &str, token: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(&storage_key(app_id), token);
    }
}

/// Forgets the remembered guest.
pub fn forget_guest(app_id: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&storage_key(app_id));
    }
}

fn profile(config: &WidgetConfig) -> Option<Profile> {
    config.user.as_ref().map(|u| Profile { name: u.name.clone(), avatar: u.avatar.clone(), link: u.link.clone() })
}

/// Signs in as `config` says; the session, and whether it is a new guest (to remember after a send).
pub async fn sign_in(api: &Api, config: &WidgetConfig) -> Result<(Session, bool), CallError> {
    let key = Credential::AuthKey(config.auth_key.clone().unwrap_or_default());
    match config.mode.as_str() {
        "uid" => {
            let body = UidSignIn { uid: config.uid.clone().unwrap_or_default(), user_hash: config.user_hash.clone(), user: profile(config) };
            Ok((api.call::<Data<Session>>("POST", "/auth/uid", &key, Some(&body)).await?.data, false))
        }
        "authToken" => {
            let body = TokenSignIn { auth_token: config.auth_token.clone().unwrap_or_default() };
            Ok((api.call::<Data<Session>>("POST", "/auth/token", &Credential::None, Some(&body)).await?.data, false))
        }
        _ => {
            if let Some(token) = remembered_guest(&config.app_id) {
                let body = TokenSignIn { auth_token: token };
                match api.call::<Data<Session>>("POST", "/auth/token", &Credential::None, Some(&body)).await {
                    Ok(session) => return Ok((session.data, false)),
                    Err(CallError::Refused { .. }) => forget_guest(&config.app_id),
                    Err(other) => return Err(other),
                }
            }
            let body = GuestSignIn { user: profile(config) };
            Ok((api.call::<Data<Session>>("POST", "/auth/guest", &key, Some(&body)).await?.data, true))
        }
    }
}
