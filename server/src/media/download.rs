//! `GET /v3/media/{id}/{content|thumbnail}?exp&sig`: an upload's bytes, by signed URL, with no other
//! credential. Served so that nothing in it runs: `X-Content-Type-Options: nosniff` and
//! `Content-Security-Policy: sandbox` always, and `Content-Disposition: attachment` for everything but
//! PNG, JPEG, GIF and WebP images, audio and video (so an uploaded HTML or SVG file is downloaded, never
//! opened as a page). Single byte ranges are served (206) for players.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::rest::media::MediaKind;
use serde::Deserialize;

use super::range::{asked, Asked};
use super::urls::{Part, UrlRefusal};
use crate::apps::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::MediaRecord;

/// The signature of a media URL.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Signature {
    /// Expiry, Unix seconds.
    exp: Option<i64>,
    /// The URL's signature.
    sig: Option<String>,
}

/// Types a browser may show inline: they cannot carry script.
const INLINE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

fn inline(record: &MediaRecord, part: Part) -> bool {
    part == Part::Thumbnail
        || matches!(record.kind, MediaKind::Audio | MediaKind::Video)
        || (record.kind == MediaKind::Image && INLINE_TYPES.contains(&record.mime_type.as_str()))
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded`.
fn attachment_disposition(name: &str) -> String {
    let ascii: String = name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20");
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

fn url_refused(refusal: UrlRefusal) -> ApiError {
    match refusal {
        UrlRefusal::Expired => ApiError::forbidden(ApiErrorCode::ErrMediaUrlExpired, "this media URL has expired: read the message again for a fresh one"),
        UrlRefusal::Invalid => ApiError::forbidden(ApiErrorCode::ErrMediaUrlInvalid, "this media URL's signature does not match").with_field("sig"),
    }
}

/// Downloads an upload (`content`) or its thumbnail (`thumbnail`) by the signed URL a message or an upload
/// answer gave; no headers needed. Answers 403 `ERR_MEDIA_URL_EXPIRED` past the URL's expiry and 403
/// `ERR_MEDIA_URL_INVALID` when it was changed; `Range: bytes=...` gives 206.
#[utoipa::path(get, path = "/media/{id}/{part}", tag = "media",
    params(("id" = String, Path, description = "The upload's id"), ("part" = String, Path, description = "`content` or `thumbnail`"), Signature),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 206, description = "The asked range"),
        (status = 416, description = "The range lies outside the file"), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
pub async fn download(
    State(state): State<AppState>,
    Path((id, part)): Path<(String, String)>,
    Query(signature): Query<Signature>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let part = Part::parse(&part).ok_or_else(|| ApiError::not_found(ApiErrorCode::ErrNotFound, "use /content or /thumbnail"))?;
    let exp = signature.exp.ok_or_else(|| ApiError::bad_field("exp", "a media URL carries exp and sig"))?;
    let sig = signature.sig.ok_or_else(|| ApiError::bad_field("sig", "a media URL carries exp and sig"))?;
    state.media_urls.check(&id, part, exp, &sig, now_secs()).map_err(url_refused)?;
    let gone = || ApiError::not_found(ApiErrorCode::ErrMediaNotFound, format!("no upload {id}"));
    let record = state.store.media(&id).await?.ok_or_else(gone)?;
    let (key, size, mime) = match part {
        Part::Content => (record.file_key(), record.size, record.mime_type.clone()),
        Part::Thumbnail => (record.thumb_key(), record.thumb_size.ok_or_else(gone)?, "image/jpeg".to_owned()),
    };
    let range = asked(headers.get(header::RANGE).and_then(|v| v.to_str().ok()), size);
    let (status, start, end) = match range {
        Asked::Whole => (StatusCode::OK, 0, size),
        Asked::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        Asked::Unsatisfiable => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            response.headers_mut().insert(header::CONTENT_RANGE, HeaderValue::from_str(&format!("bytes */{size}")).expect("ASCII"));
            return Ok(response);
        }
    };
    let files = state.store.files();
    let bytes = files.read(&key, start, end).await.map_err(|e| match e {
        super::files::FileError::NotFound(_) => gone(),
        other => ApiError::internal(format!("reading {key}: {other}")),
    })?;
    let mut response = Response::new(Body::from_stream(bytes));
    *response.status_mut() = status;
    let out = response.headers_mut();
    let value = |text: &str| HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    out.insert(header::CONTENT_TYPE, value(&mime));
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'; img-src 'self'; media-src 'self'"));
    out.insert(
        header::CONTENT_DISPOSITION,
        match inline(&record, part) {
            true => HeaderValue::from_static("inline"),
            false => value(&attachment_disposition(&record.name)),
        },
    );
    let max_age = (exp - now_secs()).max(0);
    out.insert(header::CACHE_CONTROL, value(&format!("private, max-age={max_age}, immutable")));
    if status == StatusCode::PARTIAL_CONTENT {
        out.insert(header::CONTENT_RANGE, value(&format!("bytes {start}-{}/{size}", end - 1)));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_names_survive_quotes_and_other_scripts() {
        assert_eq!(attachment_disposition("report.pdf"), "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
        let tricky = attachment_disposition("a\"b;c é.pdf");
        assert!(tricky.starts_with("attachment; filename=\"a_b;c _.pdf\""), "{tricky}");
        assert!(tricky.ends_with("filename*=UTF-8''a%22b%3Bc%20%C3%A9.pdf"), "{tricky}");
    }
}
