//! Media messages' files: uploads ([`upload`]), where their bytes are kept ([`files`]), what they are
//! ([`inspect`]), signed download URLs ([`urls`], [`download`]), the attachments a send names
//! ([`attach`]), and removal: with their message, with their uploader, or after a day unused ([`sweep`]).

pub mod attach;
pub mod download;
pub mod files;
pub mod inspect;
pub mod range;
pub mod spool;
pub mod sweep;
pub mod upload;
pub mod urls;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
use crate::store::{MediaRecord, Store, StoreResult};
use files::FileStore;

/// `POST /media` and the downloads, for the `/v3` router.
pub fn routes(settings: &crate::settings::MediaSettings) -> OpenApiRouter<AppState> {
    // The multipart framing and a poster come on top of the file itself.
    let body_limit = settings.max_bytes.largest() + upload::MAX_POSTER_BYTES + 64 * 1024;
    OpenApiRouter::new()
        .routes(routes!(upload::upload))
        .layer(DefaultBodyLimit::max(usize::try_from(body_limit).unwrap_or(usize::MAX)))
        .routes(routes!(download::download))
}

/// Deletes the bytes of `record` and its thumbnail, logging what fails (the record goes regardless; a file
/// left behind is only disk space).
pub async fn remove_files(files: &dyn FileStore, record: &MediaRecord) {
    for key in [record.file_key(), record.thumb_key()] {
        if let Err(err) = files.delete(&key).await {
            tracing::warn!(%key, error = %err, "could not delete an upload's file");
        }
    }
}

/// Removes the uploads in `records`: their bytes, then their records.
pub async fn remove(store: &dyn Store, records: &[MediaRecord]) -> StoreResult<()> {
    let files = store.files();
    for record in records {
        remove_files(files.as_ref(), record).await;
        store.forget_media(&record.id).await?;
    }
    Ok(())
}

/// Removes the uploads message `message_id` uses (it was deleted).
pub async fn remove_of_message(store: &dyn Store, app_id: &str, message_id: i64) -> StoreResult<()> {
    remove(store, &store.media_of_message(app_id, message_id).await?).await
}

/// Removes the uploads user `uid` made (they were deleted for good).
pub async fn remove_of_uploader(store: &dyn Store, app_id: &str, uid: &str) -> StoreResult<()> {
    remove(store, &store.media_of_uploader(app_id, uid).await?).await
}
