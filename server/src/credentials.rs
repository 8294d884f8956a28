//! An in-memory cache of apps and API keys, which every `/v3` request looks up. Keys are found by their
//! hash; a key or app not found is looked up again next time. Session tokens are not cached, so a deleted
//! token stops working at once.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::store::{App, KeyRecord, Store, StoreResult};

/// Apps and keys seen so far.
#[derive(Debug, Default)]
pub struct CredentialCache {
    apps: RwLock<HashMap<String, Arc<App>>>,
    keys: RwLock<HashMap<Vec<u8>, KeyRecord>>,
}

impl CredentialCache {
    /// The app with this id.
    pub async fn app(&self, store: &dyn Store, app_id: &str) -> StoreResult<Option<Arc<App>>> {
        if let Some(app) = self.apps.read().unwrap_or_else(|e| e.into_inner()).get(app_id) {
            return Ok(Some(app.clone()));
        }
        let Some(app) = store.app(app_id).await? else { return Ok(None) };
        let app = Arc::new(app);
        self.apps.write().unwrap_or_else(|e| e.into_inner()).insert(app_id.to_owned(), app.clone());
        Ok(Some(app))
    }

    /// The key with this hash.
    pub async fn key(&self, store: &dyn Store, hash: &[u8]) -> StoreResult<Option<KeyRecord>> {
        if let Some(key) = self.keys.read().unwrap_or_else(|e| e.into_inner()).get(hash) {
            return Ok(Some(key.clone()));
        }
        let Some(key) = store.key(hash).await? else { return Ok(None) };
        self.keys.write().unwrap_or_else(|e| e.into_inner()).insert(hash.to_vec(), key.clone());
        Ok(Some(key))
    }

    /// Drops the cached app so its next use reads the store.
    pub fn forget_app(&self, app_id: &str) {
        self.apps.write().unwrap_or_else(|e| e.into_inner()).remove(app_id);
    }
}
