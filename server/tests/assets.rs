//! Serving the loader, the widget frame and its files: content types, compression, caching, CSP.

mod common;

use common::{no_widget, TestServer};
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use serde_json::Value;
use std::io::Read;
use std::path::Path;

async fn get(url: &str, encoding: &str) -> reqwest::Response {
    reqwest::Client::new().get(url).header(ACCEPT_ENCODING, encoding).send().await.unwrap()
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> &str {
    response.headers().get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
}

fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "br" => brotli_decompress(body, &mut out),
        "gzip" => {
            flate2_read(body, &mut out);
        }
        _ => out.extend_from_slice(body),
    }
    out
}

fn brotli_decompress(body: &[u8], out: &mut Vec<u8>) {
    brotli::BrotliDecompress(&mut &body[..], out).expect("valid brotli");
}

fn flate2_read(body: &[u8], out: &mut Vec<u8>) {
    flate2::read::GzDecoder::new(body).read_to_end(out).expect("valid gzip");
}

fn fake_widget(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<html><head><script type=\"module\">import init from '/widget/w-0123456789abcdef.js'; init();</script></head></html>",
    )
    .unwrap();
    std::fs::write(dir.join("w-0123456789abcdef.js"), "export default function init() {}\n".repeat(50)).unwrap();
    std::fs::write(dir.join("w-0123456789abcdef_bg.wasm"), b"\0asm\x01\0\0\0".repeat(200)).unwrap();
}

#[tokio::test]
async fn loader_is_javascript_compressed_and_cached_briefly() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), &no_widget(dir.path()), &["--region", "eu-1"]);
    let plain = get(&server.url("/widget/confab.js"), "identity").await;
    assert_eq!(plain.status(), 200);
    assert_eq!(header(&plain, CONTENT_TYPE), "text/javascript; charset=utf-8");
    assert!(header(&plain, CACHE_CONTROL).contains("max-age=300"));
    let plain_body = plain.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&plain_body);
    assert!(text.contains("\"region\":\"eu-1\""), "the loader knows the server's region");
    assert!(!text.contains("__CONFAB_SPEC__"));
    for encoding in ["br", "gzip"] {
        let response = get(&server.url("/widget/confab.js"), &format!("{encoding}, deflate")).await;
        assert_eq!(header(&response, CONTENT_ENCODING), encoding);
        assert_eq!(header(&response, "vary".parse().unwrap()), "Accept-Encoding");
        let body = response.bytes().await.unwrap();
        assert!(body.len() < plain_body.len() / 2, "{encoding} is {} of {}", body.len(), plain_body.len());
        assert_eq!(decode(encoding, &body), plain_body);
    }
}

#[tokio::test]
async fn an_unchanged_asset_answers_304() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), &no_widget(dir.path()), &[]);
    let first = get(&server.url("/widget/confab.js"), "gzip").await;
    let etag = header(&first, ETAG).to_owned();
    let again = reqwest::Client::new()
        .get(server.url("/widget/confab.js"))
        .header(ACCEPT_ENCODING, "gzip")
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn widget_files_are_cached_long_and_the_frame_revalidated_under_a_strict_csp() {
    let dir = tempfile::tempdir().unwrap();
    let widget = dir.path().join("dist");
    fake_widget(&widget);
    let server = TestServer::start(&dir.path().join("data"), &widget, &[]);

    let wasm = get(&server.url("/widget/w-0123456789abcdef_bg.wasm"), "br").await;
    assert_eq!(header(&wasm, CONTENT_TYPE), "application/wasm");
    assert_eq!(header(&wasm, CACHE_CONTROL), "public, max-age=31536000, immutable");
    assert_eq!(header(&wasm, CONTENT_ENCODING), "br");

    let js = get(&server.url("/widget/w-0123456789abcdef.js"), "gzip").await;
    assert_eq!(header(&js, CONTENT_TYPE), "text/javascript; charset=utf-8");
    assert_eq!(header(&js, CONTENT_ENCODING), "gzip");

    let frame = get(&server.url("/widget/frame"), "identity").await;
    assert_eq!(frame.status(), 200);
    assert_eq!(header(&frame, CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(header(&frame, CACHE_CONTROL), "no-cache");
    let csp = header(&frame, "content-security-policy".parse().unwrap());
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"), "{csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert_eq!(header(&frame, "x-content-type-options".parse().unwrap()), "nosniff");

    let missing = get(&server.url("/widget/nope.js"), "gzip").await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn without_a_built_widget_the_frame_is_a_clear_503() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), &no_widget(dir.path()), &[]);
    let response = get(&server.url("/widget/frame"), "gzip").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ERR_UNAVAILABLE");
    assert!(body["error"]["message"].as_str().unwrap().contains("build-widget"));
    let health: Value = reqwest::get(server.url("/healthz")).await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["widget"], false);
}

#[tokio::test]
async fn unknown_paths_get_the_json_error_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), &no_widget(dir.path()), &[]);
    let response = reqwest::get(server.url("/no/such/thing")).await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(header(&response, CONTENT_TYPE).starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ERR_NOT_FOUND");
    assert!(body["error"]["message"].as_str().unwrap().contains("/no/such/thing"));
}
