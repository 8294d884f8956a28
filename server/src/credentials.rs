//! An in-memory cache of apps, API keys and active users, which every `/v3` request looks up. Keys are
//! found by their hash; a key or app not found is looked up again next time. An app or key found is kept
//! for [`CACHE_TTL`]: a key revoked (or an identity secret rotated) on another node stops working within
//! that time, and at once on the node that revoked it ([`CredentialCache::forget_key`],
//! [`CredentialCache::forget_app`]). A user named by `onBehalfOf`
//! is remembered as active for [`ACTIVE_USER_TTL`] (and forgotten at once when deactivated or deleted on
//! this node); sends check the sender again in their own transaction. Session tokens are not cached, so a
//! deleted token stops working at once.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::store::{App, KeyRecord, Store, StoreResult};
use crate::ttl_cache::TtlCache;

/// How long an app or key read from the store is used before it is read again.
pub const CACHE_TTL: Duration = Duration::from_secs(2);
/// How long a user looked up as active is taken to stay active.
pub const ACTIVE_USER_TTL: Duration = Duration::from_secs(2);
/// Most apps, and most keys, remembered at once (past it, the expired ones are dropped).
const MAX_CACHED: usize = 100_000;
/// Most users remembered as active at once.
const MAX_ACTIVE_USERS: usize = 100_000;

/// Whether a user can act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserState {
    /// Exists and is active.
    Active,
    /// Exists but is deactivated.
    Deactivated,
    /// No such user.
    Missing,
}

/// Apps, keys and active users seen so far.
#[derive(Debug)]
pub struct CredentialCache {
    apps: TtlCache<String, Arc<App>>,
    keys: TtlCache<Vec<u8>, KeyRecord>,
    active_users: RwLock<HashMap<(String, String), Instant>>,
}

impl Default for CredentialCache {
    fn default() -> Self {
        Self { apps: TtlCache::new(CACHE_TTL, MAX_CACHED), keys: TtlCache::new(CACHE_TTL, MAX_CACHED), active_users: RwLock::default() }
    }
}

impl CredentialCache {
    /// The app with this id.
    pub async fn app(&self, store: &dyn Store, app_id: &str) -> StoreResult<Option<Arc<App>>> {
        self.apps.get_or_load(app_id, || async { Ok(store.app(app_id).await?.map(Arc::new)) }).await
    }

    /// The key with this hash.
    pub async fn key(&self, store: &dyn Store, hash: &[u8]) -> StoreResult<Option<KeyRecord>> {
        self.keys.get_or_load(hash, || store.key(hash)).await
    }

    /// Whether `uid` of `app_id` exists and is active.
    pub async fn user_state(&self, store: &dyn Store, app_id: &str, uid: &str) -> StoreResult<UserState> {
        let key = (app_id.to_owned(), uid.to_owned());
        let now = Instant::now();
        if self.active_users.read().unwrap_or_else(|e| e.into_inner()).get(&key).is_some_and(|until| *until > now) {
            return Ok(UserState::Active);
        }
        let state = match store.user(app_id, uid).await? {
            None => UserState::Missing,
            Some(user) if user.deactivated_at.is_some() => UserState::Deactivated,
            Some(_) => UserState::Active,
        };
        let mut active = self.active_users.write().unwrap_or_else(|e| e.into_inner());
        if active.len() >= MAX_ACTIVE_USERS {
            active.retain(|_, until| *until > now);
        }
        match state {
            UserState::Active => active.insert(key, now + ACTIVE_USER_TTL),
            _ => active.remove(&key),
        };
        Ok(state)
    }

    /// Forgets that `uid` was active (it was deactivated or deleted).
    pub fn forget_user(&self, app_id: &str, uid: &str) {
        self.active_users.write().unwrap_or_else(|e| e.into_inner()).remove(&(app_id.to_owned(), uid.to_owned()));
    }

    /// Drops the cached key with this hash (it was revoked) so it stops working on this node at once.
    pub fn forget_key(&self, hash: &[u8]) {
        self.keys.forget(hash);
    }

    /// Drops the cached app so its next use reads the store.
    pub fn forget_app(&self, app_id: &str) {
        self.apps.forget(app_id);
    }
}
