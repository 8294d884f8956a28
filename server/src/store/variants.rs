//! Widget variants of an app, and the variant a session token signed in with.
//!
//! Variant ids are unique on the server (the public builder URL has no app id). Exactly one variant of an
//! app with any is its default: the first one made, then whichever is made default; deleting the default
//! makes the oldest remaining one default.

use async_trait::async_trait;
use serde_json::Value;

use super::{PageRequest, StoreResult};

/// A stored variant.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantRecord {
    /// Id (stored lower-case), unique on the server.
    pub id: String,
    /// Its app.
    pub app_id: String,
    /// Label.
    pub name: String,
    /// The app's default.
    pub is_default: bool,
    /// The builder settings, as given.
    pub settings: Value,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last change, Unix seconds.
    pub updated_at: i64,
}

/// A variant to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVariant {
    /// Id (stored lower-case).
    pub id: String,
    /// Label.
    pub name: String,
    /// The builder settings (checked by the caller).
    pub settings: Value,
    /// Creation time, Unix seconds.
    pub created_at: i64,
}

/// Changes to a variant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariantChange {
    /// New label.
    pub name: Option<String>,
    /// New settings, replacing the old whole.
    pub settings: Option<Value>,
    /// Make it the app's default (the old default stops being one).
    pub make_default: bool,
}

/// What [`VariantStore::create_variant`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum VariantCreated {
    /// Stored (the app's default when it was its first).
    Stored(VariantRecord),
    /// The app has `limit` variants already: nothing stored.
    LimitReached,
}

/// Variants, and the variant of a session token.
#[async_trait]
pub trait VariantStore: Send + Sync + 'static {
    /// Stores a variant of `app_id` unless the app has `limit` already; the app's first becomes its default.
    /// `Conflict` when the id is taken, in any app.
    async fn create_variant(&self, app_id: &str, variant: &NewVariant, limit: usize) -> StoreResult<VariantCreated>;
    /// The variant `id` of `app_id`.
    async fn variant(&self, app_id: &str, id: &str) -> StoreResult<Option<VariantRecord>>;
    /// The variant `id`, whatever its app (for the public builder URL).
    async fn variant_anywhere(&self, id: &str) -> StoreResult<Option<VariantRecord>>;
    /// A page of the app's variants, the default first, then oldest first; and how many it has.
    async fn list_variants(&self, app_id: &str, page: PageRequest) -> StoreResult<(Vec<VariantRecord>, u64)>;
    /// Applies `change` (stamped `now`); `None` when there is no such variant.
    async fn update_variant(&self, app_id: &str, id: &str, change: &VariantChange, now: i64) -> StoreResult<Option<VariantRecord>>;
    /// Makes the variant the app's default; false when there is no such variant.
    async fn set_default_variant(&self, app_id: &str, id: &str, now: i64) -> StoreResult<bool> {
        let change = VariantChange { make_default: true, ..VariantChange::default() };
        Ok(self.update_variant(app_id, id, &change, now).await?.is_some())
    }
    /// Deletes the variant; when it was the default, the oldest remaining one becomes default. Tokens that
    /// signed in with it fall back to the default. False when absent.
    async fn delete_variant(&self, app_id: &str, id: &str) -> StoreResult<bool>;
    /// The app's default variant, if it has any variant.
    async fn default_variant(&self, app_id: &str) -> StoreResult<Option<VariantRecord>>;
    /// Records the variant the token with this hash signed in with (`None`: the app's default); false when
    /// there is no such token.
    async fn set_token_variant(&self, hash: &[u8], variant_id: Option<&str>) -> StoreResult<bool>;
}
