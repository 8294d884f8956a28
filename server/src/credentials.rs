//! An in-memory cache of apps, API keys and active users, which every `/v3` request looks up. Keys are
//! found by their hash; a key or app not found is looked up again next time. An app or key found is kept
//! for [`CACHE_TTL`]: a key revoked (or an identity secret rotated) on another node stops working within
//! that time, and at once on the node that revoked it ([`CredentialCache::forget_key`],
//! [`CredentialCache::forget_app`]). A user named by `onBehalfOf`
//! is remembered as active for [`ACTIVE_USER_TTL`] (and forgotten at once when deactivated or deleted on
//! this node); sends check the sender again in their own transaction. Session tokens are not cached, so a
//! deleted token stops working at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::store::{App, KeyRecord, Store, StoreResult};

/// How long an app or key read from the store is used before it is read again.
pub const CACHE_TTL: Duration = Duration::from_secs(2);
/// How long a user looked up as active is taken to stay active.
pub const ACTIVE_USER_TTL: Duration = Duration::from_secs(2);
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
#[derive(Debug, Default)]
pub struct CredentialCache {
    apps: RwLock<HashMap<String, (Arc<App>, Instant)>>,
    keys: RwLock<HashMap<Vec<u8>, (KeyRecord, Instant)>>,
    active_users: RwLock<HashMap<(String, String), Instant>>,
    /// Moves on each forget: a lookup that read the store before a forget does not cache what it read (it
    /// may be what was just revoked).
    forgets: AtomicU64,
}

impl CredentialCache {
    /// The app with this id.
    pub async fn app(&self, store: &dyn Store, app_id: &str) -> StoreResult<Option<Arc<App>>> {
        let now = Instant::now();
        if let Some((app, until)) = self.apps.read().unwrap_or_else(|e| e.into_inner()).get(app_id) {
            if *until > now {
                return Ok(Some(app.clone()));
            }
        }
        let forgets = self.forgets.load(Ordering::SeqCst);
        let Some(app) = store.app(app_id).await? else {
            self.apps.write().unwrap_or_else(|e| e.into_inner()).remove(app_id);
            return Ok(None);
        };
        let app = Arc::new(app);
        let mut apps = self.apps.write().unwrap_or_else(|e| e.into_inner());
        if self.forgets.load(Ordering::SeqCst) == forgets {
            apps.insert(app_id.to_owned(), (app.clone(), now + CACHE_TTL));
        }
        Ok(Some(app))
    }

    /// The key with this hash.
    pub async fn key(&self, store: &dyn Store, hash: &[u8]) -> StoreResult<Option<KeyRecord>> {
        let now = Instant::now();
        if let Some((key, until)) = self.keys.read().unwrap_or_else(|e| e.into_inner()).get(hash) {
            if *until > now {
                return Ok(Some(key.clone()));
            }
        }
        let forgets = self.forgets.load(Ordering::SeqCst);
        let Some(key) = store.key(hash).await? else {
            self.keys.write().unwrap_or_else(|e| e.into_inner()).remove(hash);
            return Ok(None);
        };
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        if self.forgets.load(Ordering::SeqCst) == forgets {
            keys.insert(hash.to_vec(), (key.clone(), now + CACHE_TTL));
        }
        Ok(Some(key))
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
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        self.forgets.fetch_add(1, Ordering::SeqCst);
        keys.remove(hash);
    }

    /// Drops the cached app so its next use reads the store.
    pub fn forget_app(&self, app_id: &str) {
        let mut apps = self.apps.write().unwrap_or_else(|e| e.into_inner());
        self.forgets.fetch_add(1, Ordering::SeqCst);
        apps.remove(app_id);
    }
}
