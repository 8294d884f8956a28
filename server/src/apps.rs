//! Creating an app: its id, keys and identity secret. The plain keys exist only in the returned
//! [`AppCredentials`]; the store keeps their hashes.

use confab_protocol::rest::app::UidSignInPolicy;
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::secrets::{key_hash, random_hex};
use crate::store::{App, KeyScope, NewKey, Store, StoreError};

/// What a new app's owner needs, shown once: `confab-server app create` prints it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppCredentials {
    /// The `appID` for the snippet and the `appid` header.
    pub app_id: String,
    /// The app's region.
    pub region: String,
    /// Auth-only key: may create users and sign them in. Goes into web pages.
    pub auth_key: String,
    /// Full-access REST API key. Stays on the site's backend.
    pub api_key: String,
    /// Secret for `userHash = HMAC-SHA256(uid, identitySecret)`. Stays on the site's backend.
    pub identity_secret: String,
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Roles every session of a new app sees in the user list.
pub const DEFAULT_VISIBLE_ROLES: [&str; 2] = ["agent", "bot"];

/// Creates an app named `name` in `region` with one auth-only key and one REST API key, signing uids in by
/// `uid_sign_in` (`Verified` unless the owner asks otherwise).
pub async fn create_app(store: &dyn Store, name: &str, region: &str, uid_sign_in: UidSignInPolicy) -> Result<AppCredentials, StoreError> {
    let credentials = AppCredentials {
        app_id: random_hex(8),
        region: region.to_owned(),
        auth_key: random_hex(20),
        api_key: random_hex(24),
        identity_secret: random_hex(32),
    };
    let app = App {
        app_id: credentials.app_id.clone(),
        name: name.to_owned(),
        region: region.to_owned(),
        identity_secret: credentials.identity_secret.clone(),
        enforce_identity: uid_sign_in == UidSignInPolicy::Verified,
        uid_sign_in,
        visible_roles: DEFAULT_VISIBLE_ROLES.map(String::from).to_vec(),
        created_at: now_secs(),
    };
    let keys = [
        NewKey { hash: key_hash(&credentials.auth_key), name: "Auth Key".into(), scope: KeyScope::AuthOnly },
        NewKey { hash: key_hash(&credentials.api_key), name: "REST API Key".into(), scope: KeyScope::FullAccess },
    ];
    store.create_app(&app, &keys).await?;
    Ok(credentials)
}
