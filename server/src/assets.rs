//! Static files served compressed and cacheable: each [`Asset`] keeps its bytes and their brotli and
//! gzip forms (precompressed when the widget was built, see [`crate::compress`], else made quickly when
//! the server loads), and answers with the encoding the client accepts, an `ETag`, and the cache policy its
//! kind calls for. Nothing is compressed while a request waits.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::path::Path;

use crate::compress;

/// How long browsers and proxies may keep a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// Content-hashed file: its name changes with its content, so it is kept for a year.
    Immutable,
    /// The loader: kept briefly, so a site picks up a new release within minutes.
    Brief,
    /// Revalidated on every use (the frame page, which names the current hashed files).
    Revalidate,
}

impl CachePolicy {
    fn header(self) -> &'static str {
        match self {
            Self::Immutable => "public, max-age=31536000, immutable",
            Self::Brief => "public, max-age=300, stale-while-revalidate=60",
            Self::Revalidate => "no-cache",
        }
    }
}

/// A content encoding the server can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Brotli.
    Brotli,
    /// Gzip.
    Gzip,
    /// As stored.
    Identity,
}

impl Encoding {
    /// The best encoding `accept_encoding` allows, brotli first.
    pub fn negotiate(accept_encoding: Option<&str>) -> Self {
        Self::negotiate_among(accept_encoding, true, true)
    }

    /// The best encoding `accept_encoding` allows among those the asset has (`brotli`, `gzip`), brotli
    /// first; identity when none fits.
    pub fn negotiate_among(accept_encoding: Option<&str>, brotli: bool, gzip: bool) -> Self {
        let accepts = |name: &str| {
            accept_encoding.is_some_and(|value| {
                value.split(',').any(|item| {
                    let mut parts = item.split(';');
                    let coding = parts.next().unwrap_or("").trim();
                    let refused = parts.any(|p| {
                        p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()) == Some(0.0)
                    });
                    coding.eq_ignore_ascii_case(name) && !refused
                })
            })
        };
        if brotli && accepts("br") {
            Self::Brotli
        } else if gzip && accepts("gzip") {
            Self::Gzip
        } else {
            Self::Identity
        }
    }

    fn token(self) -> Option<&'static str> {
        match self {
            Self::Brotli => Some("br"),
            Self::Gzip => Some("gzip"),
            Self::Identity => None,
        }
    }
}

/// How a compressed form was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    /// At the best settings, when the widget was built (`widget compress`).
    Best,
    /// Quickly, when the server loaded (the precompressed form was missing or stale).
    Quick,
}

/// A compressed form of an asset.
#[derive(Debug)]
struct Encoded {
    bytes: Bytes,
    quality: Quality,
}

/// One static file.
#[derive(Debug)]
pub struct Asset {
    body: Bytes,
    content_type: &'static str,
    cache: CachePolicy,
    etag: String,
    extra_headers: Vec<(header::HeaderName, HeaderValue)>,
    brotli: Option<Encoded>,
    gzip: Option<Encoded>,
}

impl Asset {
    /// An asset of `content_type` with `body`, cached per `cache`, served as is until compressed forms are
    /// added.
    pub fn new(body: Vec<u8>, content_type: &'static str, cache: CachePolicy) -> Self {
        let digest = Sha256::digest(&body);
        let etag = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            body: body.into(),
            content_type,
            cache,
            etag,
            extra_headers: Vec::new(),
            brotli: None,
            gzip: None,
        }
    }

    /// Adds a header sent with every response for this asset.
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.extra_headers.push((name, value));
        self
    }

    /// Adds the body's `encoding` form, `bytes`, made with `quality`.
    pub fn with_encoded(mut self, encoding: Encoding, bytes: Vec<u8>, quality: Quality) -> Self {
        let form = Some(Encoded { bytes: bytes.into(), quality });
        match encoding {
            Encoding::Brotli => self.brotli = form,
            Encoding::Gzip => self.gzip = form,
            Encoding::Identity => {}
        }
        self
    }

    /// Adds the compressed forms: each precompressed sibling of `path` that holds this body (see
    /// [`compress`]), and for those missing, a quick form of each encoding in `quick` (none for the
    /// others). A type not worth compressing gets none.
    pub fn with_precompressed(mut self, path: &Path, quick: &[Encoding]) -> Self {
        if !compress::compressible(self.content_type) {
            return self;
        }
        for encoding in compress::PRECOMPRESSED {
            self = match compress::read_fresh(path, encoding, &self.body) {
                Some(bytes) => self.with_encoded(encoding, bytes, Quality::Best),
                None if quick.contains(&encoding) => {
                    let bytes = compress::quick(encoding, &self.body);
                    self.with_encoded(encoding, bytes, Quality::Quick)
                }
                None => self,
            };
        }
        self
    }

    /// Whether the asset has its brotli and gzip forms at the best settings (or is not worth compressing).
    pub fn fully_compressed(&self) -> bool {
        !compress::compressible(self.content_type)
            || [&self.brotli, &self.gzip].iter().all(|form| form.as_ref().is_some_and(|f| f.quality == Quality::Best))
    }

    /// The uncompressed bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The bytes in `encoding`, if the asset has that form.
    pub fn encoded(&self, encoding: Encoding) -> Option<&Bytes> {
        match encoding {
            Encoding::Identity => Some(&self.body),
            Encoding::Brotli => self.brotli.as_ref().map(|form| &form.bytes),
            Encoding::Gzip => self.gzip.as_ref().map(|form| &form.bytes),
        }
    }

    /// Answers a GET for this asset given the request's headers.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let accept = request.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok());
        let encoding = Encoding::negotiate_among(accept, self.brotli.is_some(), self.gzip.is_some());
        let form = match encoding {
            Encoding::Brotli => self.brotli.as_ref(),
            Encoding::Gzip => self.gzip.as_ref(),
            Encoding::Identity => None,
        };
        // A quick form is other bytes than the precompressed one (served after the next build): another tag.
        let etag = match (encoding.token(), form.map(|f| f.quality)) {
            (Some(token), Some(Quality::Quick)) => format!("\"{}-{token}-q\"", self.etag),
            (Some(token), _) => format!("\"{}-{token}\"", self.etag),
            (None, _) => format!("\"{}\"", self.etag),
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(self.cache.header()));
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex etag is a valid header"));
        for (name, value) in &self.extra_headers {
            headers.insert(name.clone(), value.clone());
        }
        let not_modified = request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
        if not_modified {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if let Some(token) = encoding.token() {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
        }
        let body = form.map_or_else(|| self.body.clone(), |f| f.bytes.clone());
        (headers, Body::from(body)).into_response()
    }
}

/// The content type for a file name, by extension.
pub fn content_type_for(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_prefers_brotli_and_honours_q_zero() {
        assert_eq!(Encoding::negotiate(Some("gzip, deflate, br, zstd")), Encoding::Brotli);
        assert_eq!(Encoding::negotiate(Some("gzip, br;q=0")), Encoding::Gzip);
        assert_eq!(Encoding::negotiate(Some("identity")), Encoding::Identity);
        assert_eq!(Encoding::negotiate(None), Encoding::Identity);
    }

    #[test]
    fn negotiation_picks_among_the_forms_the_asset_has() {
        assert_eq!(Encoding::negotiate_among(Some("gzip, deflate, br"), false, true), Encoding::Gzip);
        assert_eq!(Encoding::negotiate_among(Some("br"), false, true), Encoding::Identity);
        assert_eq!(Encoding::negotiate_among(Some("gzip, br"), true, false), Encoding::Brotli);
        assert_eq!(Encoding::negotiate_among(Some("gzip"), false, false), Encoding::Identity);
    }

    #[test]
    fn a_quick_form_has_another_tag_than_the_precompressed_one() {
        let data = b"let a = 1; ".repeat(100);
        let mut request = HeaderMap::new();
        request.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let tag = |asset: &Asset| asset.respond(&request).headers()[header::ETAG].to_str().unwrap().to_owned();
        let new = || Asset::new(data.clone(), "text/javascript; charset=utf-8", CachePolicy::Brief);
        let quick = new().with_encoded(Encoding::Gzip, compress::gzip_quick(&data), Quality::Quick);
        let best = new().with_encoded(Encoding::Gzip, compress::gzip_best(&data), Quality::Best);
        assert_ne!(tag(&quick), tag(&best));
        assert!(tag(&best).ends_with("-gzip\""), "{}", tag(&best));
        assert!(!quick.fully_compressed());
        let both = best.with_encoded(Encoding::Brotli, compress::brotli_best(&data), Quality::Best);
        assert!(both.fully_compressed());
        assert!(Asset::new(vec![1, 2], "image/png", CachePolicy::Immutable).fully_compressed(), "nothing to compress");
    }
}
