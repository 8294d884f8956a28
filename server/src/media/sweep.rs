//! Uploads no message used are removed once [`UNUSED_UPLOAD_TTL_SECS`] old, by a task on every node (each
//! removal is idempotent, so nodes sweeping at once do no harm).

use std::sync::Arc;
use std::time::Duration;

use confab_protocol::limits::UNUSED_UPLOAD_TTL_SECS;

use crate::apps::now_secs;
use crate::store::{Store, StoreResult};

/// How often a node sweeps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(600);
/// Uploads removed per round at most (the next round takes the rest).
const BATCH: u32 = 500;

/// Removes the uploads unused since before `before` (Unix seconds); how many.
pub async fn sweep(store: &dyn Store, before: i64) -> StoreResult<usize> {
    let mut removed = 0;
    loop {
        let unused = store.unused_media(before, BATCH).await?;
        super::remove(store, &unused).await?;
        removed += unused.len();
        if unused.len() < BATCH as usize {
            return Ok(removed);
        }
    }
}

/// Sweeps every [`SWEEP_EVERY`] for as long as the server runs.
pub async fn run(store: Arc<dyn Store>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        every.tick().await;
        match sweep(store.as_ref(), now_secs() - UNUSED_UPLOAD_TTL_SECS as i64).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "removed unused uploads"),
            Err(err) => tracing::warn!(error = %err, "sweeping unused uploads failed"),
        }
    }
}
