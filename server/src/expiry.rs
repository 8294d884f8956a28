//! Session tokens with a lifetime: REST and socket sign-in refuse an expired token at once (the store
//! checks it on every lookup); this task deletes expired tokens and closes the sockets signed in with
//! them, as for a deleted token (close code 4003).

use std::sync::Arc;
use std::time::Duration;

use crate::apps::now_secs;
use crate::realtime::Realtime;
use crate::store::Store;

/// How often expired tokens are looked for.
pub const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// Deletes expired tokens every [`SWEEP_EVERY`] and closes their sockets on every node.
pub async fn run(store: Arc<dyn Store>, realtime: Realtime) {
    let mut ticks = tokio::time::interval(SWEEP_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match store.delete_expired_tokens(now_secs()).await {
            Ok(expired) => {
                for token in expired {
                    realtime.revoke(&token.app_id, &token.uid, Some(token.hash));
                }
            }
            Err(err) => tracing::warn!(%err, "cannot look for expired session tokens"),
        }
    }
}
