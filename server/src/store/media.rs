//! What the server knows of each upload (`POST /v3/media`): its kind, size and name, who uploaded it, and
//! the message that uses it. The bytes are kept by a [`FileStore`](crate::media::files::FileStore); each
//! backend gives the one its deployment shares ([`MediaStore::files`]).
//!
//! An upload is used by one message at most. A send first claims its uploads under its (sender, muid), then
//! the message is stored, then the uploads are linked to it; a claim whose message never came is released by
//! the send, or found by the sweep of unused uploads.

use std::sync::Arc;

use async_trait::async_trait;
use confab_protocol::rest::media::MediaKind;

use super::StoreResult;
use crate::media::files::FileStore;

/// A stored upload.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaRecord {
    /// `md_` and 26 letters and digits, unique on the server.
    pub id: String,
    /// Its app.
    pub app_id: String,
    /// The user who uploaded it; `None`: the REST API key without `onBehalfOf`.
    pub uploader: Option<String>,
    /// What the content is.
    pub kind: MediaKind,
    /// The MIME type read from the content.
    pub mime_type: String,
    /// The extension that goes with it.
    pub extension: String,
    /// The file name, as uploaded.
    pub name: String,
    /// Bytes, as others download them.
    pub size: u64,
    /// Width in pixels, when known.
    pub width: Option<u32>,
    /// Height in pixels, when known.
    pub height: Option<u32>,
    /// The thumbnail's size in bytes; `None`: there is none.
    pub thumb_size: Option<u64>,
    /// Upload time, Unix seconds.
    pub created_at: i64,
    /// The message that uses it.
    pub message_id: Option<i64>,
}

impl MediaRecord {
    /// The file store key of the file.
    pub fn file_key(&self) -> String {
        format!("{}/{}", self.app_id, self.id)
    }

    /// The file store key of its thumbnail.
    pub fn thumb_key(&self) -> String {
        format!("{}/{}.thumb", self.app_id, self.id)
    }
}

/// Who a send acts for, when it claims uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimant<'a> {
    /// The sender.
    pub sender: &'a str,
    /// The send's muid (the claim's key with the sender).
    pub muid: &'a str,
    /// The REST API key sends: uploads it made without `onBehalfOf` are its own too.
    pub app_key: bool,
}

/// What [`MediaStore::add_media`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaAdded {
    /// Recorded.
    Stored,
    /// The app's uploads would pass the quota: nothing recorded.
    OverQuota,
}

/// Uploads' records.
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// The store every node of this deployment keeps uploads' bytes in.
    fn files(&self) -> Arc<dyn FileStore>;

    /// Records an upload unless the app's uploads (with its own and its thumbnail's bytes) would then pass
    /// `quota` bytes.
    async fn add_media(&self, record: &MediaRecord, quota: u64) -> StoreResult<MediaAdded>;

    /// The upload `id` (of any app).
    async fn media(&self, id: &str) -> StoreResult<Option<MediaRecord>>;

    /// Claims the uploads `ids` of `app_id` for a send, all or none: each must be the claimant's own, and
    /// unclaimed and unused, or claimed by the same (sender, muid) already (a retried send, whose message may
    /// be stored). The records in the order asked, or the index of the first that may not be used.
    async fn claim_media(&self, app_id: &str, ids: &[String], claimant: Claimant<'_>) -> StoreResult<Result<Vec<MediaRecord>, usize>>;

    /// Releases the claim of `claimant` on `ids` (its send was refused), unless a message uses them.
    async fn release_media(&self, app_id: &str, ids: &[String], claimant: Claimant<'_>) -> StoreResult<()>;

    /// Marks `ids` as used by message `message_id`.
    async fn link_media(&self, app_id: &str, ids: &[String], message_id: i64) -> StoreResult<()>;

    /// The uploads message `message_id` uses.
    async fn media_of_message(&self, app_id: &str, message_id: i64) -> StoreResult<Vec<MediaRecord>>;

    /// The uploads user `uid` made.
    async fn media_of_uploader(&self, app_id: &str, uid: &str) -> StoreResult<Vec<MediaRecord>>;

    /// Uploads no message uses, made before `before` (Unix seconds), at most `limit`, oldest first. Claimed
    /// ones whose message was stored after all are linked to it first and not listed.
    async fn unused_media(&self, before: i64, limit: u32) -> StoreResult<Vec<MediaRecord>>;

    /// Forgets the upload `id` (its bytes must be deleted from the file store by the caller).
    async fn forget_media(&self, id: &str) -> StoreResult<()>;

    /// The deployment's shared secret `name`, made from `fresh` by the first node that asks.
    async fn server_secret(&self, name: &str, fresh: &[u8]) -> StoreResult<Vec<u8>>;
}
