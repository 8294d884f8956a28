//! `POST /v3/media`: a `multipart/form-data` body with the file in the part `file` (and, for a video, an
//! optional poster image in `thumbnail`), written to the spool folder as it arrives. The type is read from
//! the content; images are re-encoded without their metadata and get a thumbnail; then the bytes go to the
//! deployment's file store and the upload is recorded against the app's quota.

use std::path::Path;

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, State};
use axum::Json;
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::rest::media::{Media, MediaKind};
use confab_protocol::rest::variants::switches;
use confab_protocol::rest::Data;

use super::inspect::{self, ImageError, ImageLimits};
use super::spool::{self, SpoolError, Spooled};
use crate::apps::now_secs;
use crate::auth::{Actor, Caller};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{MediaAdded, MediaRecord};

/// Largest video poster, in bytes.
pub const MAX_POSTER_BYTES: u64 = 2 * 1024 * 1024;
/// Longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 255;

/// What was read from the parts.
#[derive(Default)]
struct Parts {
    file: Option<(Spooled, String)>,
    poster: Option<Spooled>,
}

/// The switch that allows uploads of `kind`.
fn switch_for(kind: MediaKind) -> confab_protocol::rest::variants::Switch {
    switches::for_media_type(kind.as_str()).expect("every kind is a media type")
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        ApiErrorCode::ErrFileTooLarge,
        format!("the file is larger than the {limit} bytes this server takes for its kind"),
    )
    .with_field("file")
    .with_limit(limit)
}

fn bad_body(err: MultipartError) -> ApiError {
    ApiError::bad_field("file", format!("the multipart body is unreadable: {}", err.body_text()))
}

fn spool_error(err: SpoolError<MultipartError>) -> ApiError {
    match err {
        SpoolError::TooLarge(limit) => too_large(limit),
        SpoolError::Body(err) => bad_body(err),
        SpoolError::Io(err) => ApiError::internal(format!("spooling an upload: {err}")),
    }
}

/// The name to keep: the last path segment of what the client sent, without control characters, at most
/// [`MAX_NAME_CHARS`]; `upload.{ext}` when nothing is left.
fn clean_name(given: Option<&str>, extension: &str) -> String {
    let last = given.unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect();
    match name.trim() {
        "" | "." | ".." => format!("upload.{extension}"),
        trimmed => trimmed.to_owned(),
    }
}

/// Writes `field` to the spool folder, within the limit for the kind its first bytes show.
async fn spool_file(state: &AppState, field: Field<'_>) -> ApiResult<Spooled> {
    let limits = state.settings.media.max_bytes;
    let largest = limits.largest();
    let limit_for = |head: &[u8]| match head.len() < spool::HEAD_BYTES {
        // Until the head is full, only the largest limit is known to apply.
        true => largest,
        false => limits.of(inspect::sniff(head).kind),
    };
    spool::spool(&state.settings.media.spool_dir, field, limit_for).await.map_err(spool_error)
}

async fn read_parts(state: &AppState, mut multipart: Multipart) -> ApiResult<Parts> {
    let mut parts = Parts::default();
    while let Some(field) = multipart.next_field().await.map_err(bad_body)? {
        match field.name() {
            Some("file") if parts.file.is_none() => {
                let name = field.file_name().map(str::to_owned).unwrap_or_default();
                parts.file = Some((spool_file(state, field).await?, name));
            }
            Some("thumbnail") if parts.poster.is_none() => {
                let spooled = spool::spool(&state.settings.media.spool_dir, field, |_| MAX_POSTER_BYTES).await;
                parts.poster = Some(spooled.map_err(|e| spool_error(e).with_field("thumbnail"))?);
            }
            Some(name @ ("file" | "thumbnail")) => return Err(ApiError::bad_field(name, "give this part once")),
            other => {
                let name = other.unwrap_or_default().to_owned();
                return Err(ApiError::bad_field(&name, "unknown part: send the file in `file` (and a video's poster in `thumbnail`)"));
            }
        }
    }
    Ok(parts)
}

/// What processing made of a spooled file: the file others download and the thumbnail, with the facts.
struct Processed {
    kind: MediaKind,
    mime: String,
    extension: String,
    width: Option<u32>,
    height: Option<u32>,
    file: std::path::PathBuf,
    thumb: Option<std::path::PathBuf>,
}

/// Reads the type from the content, checks it may be uploaded, and re-encodes images.
async fn process(state: &AppState, caller: &Caller, file: &Spooled, poster: Option<&Spooled>, work: &Path) -> ApiResult<Processed> {
    let sniffed = inspect::sniff(&file.head);
    let path = file.path.clone();
    let probed = tokio::task::spawn_blocking(move || inspect::probe(&path, sniffed))
        .await
        .map_err(|e| ApiError::internal(format!("probe task: {e}")))?
        .map_err(|e| ApiError::internal(format!("probing an upload: {e}")))?;
    let kind = probed.sniffed.kind;
    let limit = state.settings.media.max_bytes.of(kind);
    if file.size > limit {
        return Err(too_large(limit));
    }
    crate::variant_features::require(state, caller, switch_for(kind)).await.map_err(|e| e.with_field("file"))?;
    let mut processed = Processed {
        kind,
        mime: probed.sniffed.mime.to_owned(),
        extension: probed.sniffed.extension.to_owned(),
        width: probed.width,
        height: probed.height,
        file: file.path.clone(),
        thumb: None,
    };
    let thumb_out = spool::new_path(work, ".thumb");
    if kind == MediaKind::Image {
        let (src, out, thumb) = (file.path.clone(), spool::new_path(work, ".clean"), thumb_out.clone());
        let facts = blocking(move || inspect::process_image(&src, &out, &thumb, ImageLimits::default()).map(|facts| (facts, out))).await?;
        let (facts, out) = facts.map_err(|e| image_refusal(e, "file"))?;
        processed.width = Some(facts.width);
        processed.height = Some(facts.height);
        processed.mime = facts.mime.to_owned();
        processed.extension = facts.extension.to_owned();
        processed.file = out;
        processed.thumb = Some(thumb_out);
    } else if let (MediaKind::Video, Some(poster)) = (kind, poster) {
        let (src, thumb) = (poster.path.clone(), thumb_out.clone());
        blocking(move || inspect::thumbnail_from_image(&src, &thumb)).await?.map_err(|e| image_refusal(e, "thumbnail"))?;
        processed.thumb = Some(thumb_out);
    }
    Ok(processed)
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::internal(format!("image task: {e}")))
}

fn image_refusal(err: ImageError, field: &str) -> ApiError {
    match err {
        ImageError::TooLarge { .. } => ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            ApiErrorCode::ErrFileTooLarge,
            format!("the image has more pixels than this server decodes: {err}"),
        )
        .with_field(field),
        other => ApiError::bad_field(field, format!("the image cannot be read: {other}")),
    }
}

/// A new upload id: `md_` and 26 base-36 characters (about 134 random bits).
pub fn new_media_id() -> String {
    let mut bytes = [0u8; 26];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    let alphabet = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let tail: String = bytes.iter().map(|b| alphabet[(*b as usize) % 36] as char).collect();
    format!("md_{tail}")
}

/// Uploads a file for a message: a photo, video, audio file or any other file, in the multipart part
/// `file`. The type is read from the content; images are re-encoded without their metadata (location
/// included) and get a JPEG thumbnail. Refused past the size limit of the file's kind (413), past the app's
/// quota (403 `ERR_MEDIA_QUOTA_EXCEEDED`), or when the session's variant turns that kind of sharing off.
#[utoipa::path(post, path = "/media", tag = "media",
    request_body(content_type = "multipart/form-data", description = "The file in the part `file`; for a video, an optional poster image (PNG, JPEG or WebP, at most 2 MB) in `thumbnail`."),
    responses((status = 200, body = Data<Media>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
pub async fn upload(caller: Caller, State(state): State<AppState>, multipart: Multipart) -> ApiResult<Json<Data<Media>>> {
    let uploader = match caller.actor()? {
        Actor::User(uid) => Some(uid),
        Actor::App => None,
    };
    let parts = read_parts(&state, multipart).await?;
    let Some((file, given_name)) = parts.file else {
        return Err(ApiError::bad_field("file", "send the file in the multipart part `file`"));
    };
    if file.size == 0 {
        return Err(ApiError::bad_field("file", "the file is empty"));
    }
    let work = state.settings.media.spool_dir.clone();
    let processed = process(&state, &caller, &file, parts.poster.as_ref(), &work).await;
    let processed = processed?;
    let _cleanup = Cleanup(vec![processed.file.clone(), processed.thumb.clone().unwrap_or_default()]);
    let mut record = MediaRecord {
        id: new_media_id(),
        app_id: caller.app_id().to_owned(),
        uploader,
        kind: processed.kind,
        mime_type: processed.mime,
        extension: processed.extension.clone(),
        name: clean_name(Some(&given_name), &processed.extension),
        size: 0,
        width: processed.width,
        height: processed.height,
        thumb_size: None,
        created_at: now_secs(),
        message_id: None,
    };
    let files = state.store.files();
    record.size = files.put(&record.file_key(), &processed.file).await.map_err(|e| ApiError::internal(format!("storing an upload: {e}")))?;
    if let Some(thumb) = &processed.thumb {
        let size = files.put(&record.thumb_key(), thumb).await.map_err(|e| ApiError::internal(format!("storing a thumbnail: {e}")))?;
        record.thumb_size = Some(size);
    }
    let quota = state.settings.media.quota_bytes;
    if state.store.add_media(&record, quota).await? == MediaAdded::OverQuota {
        super::remove_files(files.as_ref(), &record).await;
        return Err(ApiError::forbidden(ApiErrorCode::ErrMediaQuotaExceeded, format!("the app's uploads would pass its quota of {quota} bytes"))
            .with_field("file")
            .with_limit(quota));
    }
    Ok(Json(Data { data: state.media_urls.media(&record, now_secs()) }))
}

/// Removes the files it names when dropped (what processing wrote, once stored or refused).
struct Cleanup(Vec<std::path::PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for path in self.0.iter().filter(|p| !p.as_os_str().is_empty()) {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_only_their_last_segment_and_printable_characters() {
        assert_eq!(clean_name(Some("C:\\Users\\ann\\photo.png"), "png"), "photo.png");
        assert_eq!(clean_name(Some("../../etc/passwd"), "txt"), "passwd");
        assert_eq!(clean_name(Some("a\u{0}b\nc.pdf"), "pdf"), "abc.pdf");
        assert_eq!(clean_name(Some("folder/"), "pdf"), "upload.pdf");
        assert_eq!(clean_name(None, "bin"), "upload.bin");
        assert_eq!(clean_name(Some(&"x".repeat(400)), "bin").chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn media_ids_are_long_random_and_of_their_shape() {
        let (a, b) = (new_media_id(), new_media_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 29);
        assert!(a.starts_with("md_") && a[3..].bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    }
}
