//! The feature switches of a session's variant, which the server enforces (`switches::ENFORCED`): typing
//! frames, creating groups, joining and leaving them, editing and deleting messages, reactions, threads,
//! quoted replies, mentions, search, marking unread, and the kinds of files.
//!
//! A session's variant is the one its token signed in with, else the app's default at the time of use; with
//! no variant at all every feature is on. The switches are cached per (app, variant) for at most
//! [`FEATURES_TTL`]: a change made on this node applies at once ([`FeatureCache::forget_app`]), one made
//! on another node within that time. The REST API key is never restricted by a variant.

use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::rest::variants::Switch;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::{Caller, Principal};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{Store, StoreError, StoreResult};
use crate::ttl_cache::TtlCache;

/// How long the switches read for an (app, variant) are used before they are read again.
pub const FEATURES_TTL: Duration = Duration::from_secs(2);
/// Most (app, variant) pairs remembered at once.
const MAX_ENTRIES: usize = 10_000;

/// An app and the variant a session named (`None`: the default).
type Key = (String, Option<String>);

/// The `chatFeatures` of the variants sessions use, by (app, variant).
#[derive(Debug)]
pub struct FeatureCache(TtlCache<Key, Arc<Value>>);

impl Default for FeatureCache {
    fn default() -> Self {
        Self(TtlCache::new(FEATURES_TTL, MAX_ENTRIES))
    }
}

impl FeatureCache {
    /// `{"chatFeatures": ...}` of the variant `variant_id` of `app_id` (a deleted one, or `None`: the app's
    /// default); `{}` when the app has no variant.
    pub async fn features(&self, store: &dyn Store, app_id: &str, variant_id: Option<&str>) -> StoreResult<Arc<Value>> {
        let key = (app_id.to_owned(), variant_id.map(str::to_owned));
        let features = self.0.get_or_load(&key, || async {
            let named = match variant_id {
                Some(id) => store.variant(app_id, id).await?,
                None => None,
            };
            let variant = match named {
                Some(variant) => Some(variant),
                None => store.default_variant(app_id).await?,
            };
            Ok::<_, StoreError>(Some(Arc::new(match variant.and_then(|v| v.settings.get("chatFeatures").cloned()) {
                Some(switches) => serde_json::json!({ "chatFeatures": switches }),
                None => serde_json::json!({}),
            })))
        });
        Ok(features.await?.unwrap_or_default())
    }

    /// Whether `switch` is on for sessions of `app_id` in `variant_id`.
    pub async fn enabled(&self, store: &dyn Store, app_id: &str, variant_id: Option<&str>, switch: Switch) -> StoreResult<bool> {
        Ok(switch.enabled_in(&*self.features(store, app_id, variant_id).await?))
    }

    /// Forgets the app's entries (one of its variants changed), so this node applies the change at once.
    pub fn forget_app(&self, app_id: &str) {
        self.0.forget_where(|(app, _)| app == app_id);
    }
}

/// 403 `ERR_FEATURE_DISABLED` on `field`.
pub fn disabled(field: &str) -> ApiError {
    ApiError::forbidden(ApiErrorCode::ErrFeatureDisabled, format!("this session's widget variant turns {field} off")).with_field(field)
}

/// Refuses the call (403 `ERR_FEATURE_DISABLED`, the switch's path as the field) when it comes from a session
/// whose variant turns `switch` off. The REST API key, with or without `onBehalfOf`, is never refused.
pub async fn require(state: &AppState, caller: &Caller, switch: Switch) -> ApiResult<()> {
    if !matches!(caller.principal, Principal::User(_)) {
        return Ok(());
    }
    match state.variant_features.enabled(state.store.as_ref(), caller.app_id(), caller.variant_id.as_deref(), switch).await? {
        true => Ok(()),
        false => Err(disabled(&switch.path())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewVariant, SqliteStore, VariantChange, VariantStore};
    use confab_protocol::rest::app::UidSignInPolicy;
    use confab_protocol::rest::variants::switches::{CREATE_GROUP, TYPING_INDICATOR};
    use serde_json::json;

    #[tokio::test]
    async fn switches_follow_the_variant_then_the_default_and_forgets_apply_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("confab.db")).await.unwrap();
        let app = crate::apps::create_app(&store, "T", "local", UidSignInPolicy::Verified).await.unwrap().app_id;
        let cache = FeatureCache::default();
        assert!(cache.enabled(&store, &app, None, TYPING_INDICATOR).await.unwrap(), "no variant: every feature is on");

        let quiet = json!({"chatFeatures": {"coreMessagingExperience": {"typingIndicator": false}}});
        let variant = |id: &str, settings: Value| NewVariant { id: id.into(), name: id.into(), settings, created_at: 1 };
        store.create_variant(&app, &variant("plain", json!({})), 10).await.unwrap();
        store.create_variant(&app, &variant("quiet", quiet.clone()), 10).await.unwrap();
        assert!(!cache.enabled(&store, &app, Some("quiet"), TYPING_INDICATOR).await.unwrap());
        assert!(cache.enabled(&store, &app, Some("quiet"), CREATE_GROUP).await.unwrap());
        assert!(cache.enabled(&store, &app, Some("gone"), TYPING_INDICATOR).await.unwrap(), "an unknown variant: the default's");

        // Cached: a change is not seen until forgotten (or the TTL passes).
        let change = VariantChange { make_default: true, ..VariantChange::default() };
        store.update_variant(&app, "quiet", &change, 2).await.unwrap();
        assert!(cache.enabled(&store, &app, None, TYPING_INDICATOR).await.unwrap());
        cache.forget_app(&app);
        assert!(!cache.enabled(&store, &app, None, TYPING_INDICATOR).await.unwrap(), "the default is now quiet");
        assert!(!cache.enabled(&store, &app, Some("gone"), TYPING_INDICATOR).await.unwrap());
    }
}
