//! Blocks and friends.

use async_trait::async_trait;
use confab_protocol::rest::users::User;

use super::{PageRequest, StoreResult};

/// Blocks and friends.
#[async_trait]
pub trait SocialStore: Send + Sync + 'static {
    /// `blocker` blocks each of `uids`.
    async fn block(&self, app_id: &str, blocker: &str, uids: &[String], now: i64) -> StoreResult<()>;
    /// `blocker` unblocks each of `uids`.
    async fn unblock(&self, app_id: &str, blocker: &str, uids: &[String]) -> StoreResult<()>;
    /// The users `blocker` blocked, and the total.
    async fn blocked(&self, app_id: &str, blocker: &str, page: PageRequest) -> StoreResult<(Vec<User>, u64)>;
    /// Whether `blocker` blocked `blocked`.
    async fn has_blocked(&self, app_id: &str, blocker: &str, blocked: &str) -> StoreResult<bool>;
    /// Whether `a` blocked `b` or `b` blocked `a`.
    async fn blocked_either_way(&self, app_id: &str, a: &str, b: &str) -> StoreResult<bool>;
    /// Makes `uid` and each of `friends` friends both ways.
    async fn add_friends(&self, app_id: &str, uid: &str, friends: &[String], now: i64) -> StoreResult<()>;
    /// Ends these friendships both ways.
    async fn remove_friends(&self, app_id: &str, uid: &str, friends: &[String]) -> StoreResult<()>;
    /// `uid`'s friends, and the total.
    async fn friends(&self, app_id: &str, uid: &str, page: PageRequest) -> StoreResult<(Vec<User>, u64)>;
}
