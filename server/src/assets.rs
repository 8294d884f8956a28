//! Static files served compressed and cacheable: each [`Asset`] keeps its bytes, compresses itself to
//! brotli and gzip on first demand, and answers with the encoding the client accepts, an `ETag`, and the
//! cache policy its kind calls for.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::sync::OnceLock;

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
    /// The best encoding `accept_encoding` allows, brotli first; with `brotli_ready` false, gzip before
    /// brotli (a large file's brotli is still being made: nobody waits for it).
    pub fn negotiate_ready(accept_encoding: Option<&str>, brotli_ready: bool) -> Self {
        match Self::negotiate(accept_encoding) {
            Self::Brotli if !brotli_ready => match Self::negotiate(accept_encoding.map(|v| v.replace("br", "x-none")).as_deref()) {
                Self::Identity => Self::Brotli,
                other => other,
            },
            chosen => chosen,
        }
    }

    /// The best encoding `accept_encoding` allows, brotli first.
    pub fn negotiate(accept_encoding: Option<&str>) -> Self {
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
        if accepts("br") {
            Self::Brotli
        } else if accepts("gzip") {
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

/// Files at least this large are not brotli-compressed while a request waits.
const LARGE_BYTES: usize = 64 * 1024;

/// One static file.
#[derive(Debug)]
pub struct Asset {
    body: Bytes,
    content_type: &'static str,
    cache: CachePolicy,
    etag: String,
    extra_headers: Vec<(header::HeaderName, HeaderValue)>,
    brotli: OnceLock<Bytes>,
    gzip: OnceLock<Bytes>,
    /// A large file's zopfli gzip, made after the rest (seconds); served instead of `gzip` once ready.
    gzip_best: OnceLock<Bytes>,
}

impl Asset {
    /// An asset of `content_type` with `body`, cached per `cache`.
    pub fn new(body: Vec<u8>, content_type: &'static str, cache: CachePolicy) -> Self {
        let digest = Sha256::digest(&body);
        let etag = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            body: body.into(),
            content_type,
            cache,
            etag,
            extra_headers: Vec::new(),
            brotli: OnceLock::new(),
            gzip: OnceLock::new(),
            gzip_best: OnceLock::new(),
        }
    }

    /// Adds a header sent with every response for this asset.
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.extra_headers.push((name, value));
        self
    }

    /// The uncompressed bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The bytes in `encoding`, compressing (once) on first demand.
    pub fn encoded(&self, encoding: Encoding) -> Bytes {
        match encoding {
            Encoding::Identity => self.body.clone(),
            Encoding::Brotli => self.brotli.get_or_init(|| brotli_compress(&self.body).into()).clone(),
            Encoding::Gzip => match self.gzip_best.get() {
                Some(best) => best.clone(),
                None => self.gzip.get_or_init(|| gzip_compress(&self.body).into()).clone(),
            },
        }
    }

    /// Makes a large file's zopfli gzip (small files get it at once, see [`gzip_compress`]).
    pub fn precompress_best(&self) {
        if compressible(self.content_type) && self.body.len() >= LARGE_BYTES {
            self.gzip_best.get_or_init(|| zopfli_compress(&self.body).into());
        }
    }

    /// Compresses the asset with gzip now (fast), or with brotli (slow on large files).
    pub fn precompress(&self, encoding: Encoding) {
        if compressible(self.content_type) {
            self.encoded(encoding);
        }
    }

    /// Answers a GET for this asset given the request's headers.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let encoding = if compressible(self.content_type) {
            // Small files are compressed on demand; a large one is served gzip until its brotli is ready.
            let brotli_ready = self.body.len() < LARGE_BYTES || self.brotli.get().is_some();
            Encoding::negotiate_ready(request.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()), brotli_ready)
        } else {
            Encoding::Identity
        };
        // The zopfli gzip of a large file is other bytes than its first gzip: another tag.
        let best = if encoding == Encoding::Gzip && self.gzip_best.get().is_some() { "z" } else { "" };
        let etag = match encoding.token() {
            Some(token) => format!("\"{}-{token}{best}\"", self.etag),
            None => format!("\"{}\"", self.etag),
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
        let body = self.encoded(encoding);
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

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || matches!(content_type, "application/wasm" | "application/json" | "image/svg+xml")
}

/// Brotli at its best quality: assets are compressed once and served many times.
pub fn brotli_compress(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 3);
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("compressing to memory cannot fail");
    out
}

/// Gzip: zopfli's for a file under [`LARGE_BYTES`] (the loader every page fetches), else flate2's best
/// level (quick; [`Asset::precompress_best`] replaces it later).
pub fn gzip_compress(data: &[u8]) -> Vec<u8> {
    if data.len() < LARGE_BYTES {
        return zopfli_with(data, SMALL_FILE_ITERATIONS);
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("compressing to memory cannot fail");
    encoder.finish().expect("compressing to memory cannot fail")
}

/// Gzip by zopfli's exhaustive search: the same format, about 4 % smaller than the best level of the
/// usual deflaters, and some 100 times slower; for files compressed once and fetched by every visitor.
pub fn zopfli_compress(data: &[u8]) -> Vec<u8> {
    zopfli_with(data, zopfli::Options::default().iteration_count)
}

/// Zopfli's search rounds for a small file: many more than its default (15), since each round on a few
/// kilobytes takes well under a millisecond and the loader, fetched by every page, is kept to the byte.
const SMALL_FILE_ITERATIONS: std::num::NonZeroU64 = std::num::NonZeroU64::new(1000).unwrap();

fn zopfli_with(data: &[u8], iteration_count: std::num::NonZeroU64) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 3);
    let options = zopfli::Options { iteration_count, ..Default::default() };
    zopfli::compress(options, zopfli::Format::Gzip, data, &mut out).expect("compressing to memory cannot fail");
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_large_file_is_served_gzip_while_its_brotli_is_being_made() {
        assert_eq!(Encoding::negotiate_ready(Some("gzip, deflate, br"), false), Encoding::Gzip);
        assert_eq!(Encoding::negotiate_ready(Some("gzip, deflate, br"), true), Encoding::Brotli);
        // A client that takes only brotli waits for it.
        assert_eq!(Encoding::negotiate_ready(Some("br"), false), Encoding::Brotli);
        assert_eq!(Encoding::negotiate_ready(None, false), Encoding::Identity);
    }

    use super::*;

    #[test]
    fn negotiation_prefers_brotli_and_honours_q_zero() {
        assert_eq!(Encoding::negotiate(Some("gzip, deflate, br, zstd")), Encoding::Brotli);
        assert_eq!(Encoding::negotiate(Some("gzip, br;q=0")), Encoding::Gzip);
        assert_eq!(Encoding::negotiate(Some("identity")), Encoding::Identity);
        assert_eq!(Encoding::negotiate(None), Encoding::Identity);
    }

    #[test]
    fn compressed_forms_round_trip() {
        let data = b"hello hello hello hello hello".repeat(50);
        let gz = gzip_compress(&data);
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back).unwrap();
        assert_eq!(back, data);
        let br = brotli_compress(&data);
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut back).unwrap();
        assert_eq!(back, data);
        assert!(br.len() < data.len() / 5);
    }

    #[test]
    fn a_large_file_gets_its_smaller_gzip_later_under_another_tag() {
        let data: Vec<u8> = (0..LARGE_BYTES as u32 / 2).flat_map(|i| format!("{} ", i.wrapping_mul(2_654_435_761) % 997).into_bytes()).collect();
        let asset = Asset::new(data.clone(), "application/wasm", CachePolicy::Immutable);
        let mut request = HeaderMap::new();
        request.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let tag = |response: &Response| response.headers()[header::ETAG].to_str().unwrap().to_owned();
        let first = asset.encoded(Encoding::Gzip);
        let first_tag = tag(&asset.respond(&request));
        asset.precompress_best();
        let best = asset.encoded(Encoding::Gzip);
        assert!(best.len() < first.len(), "{} vs {}", best.len(), first.len());
        assert_ne!(tag(&asset.respond(&request)), first_tag);
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&best[..]), &mut back).unwrap();
        assert_eq!(back, data);
    }
}
