//! Serving the loader, the widget frame and its files: content types, compression, caching, CSP.

mod common;

use common::{no_widget, run_cli, TestServer};
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

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

    let wasm = get(&server.url("/widget/w-0123456789abcdef_bg.wasm"), "gzip").await;
    assert_eq!(header(&wasm, CONTENT_TYPE), "application/wasm");
    assert_eq!(header(&wasm, CACHE_CONTROL), "public, max-age=31536000, immutable");
    assert_eq!(header(&wasm, CONTENT_ENCODING), "gzip");

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

/// The files of `fake_widget` that get precompressed siblings.
const FAKE_FILES: [&str; 3] = ["index.html", "w-0123456789abcdef.js", "w-0123456789abcdef_bg.wasm"];

/// Paths under `/widget/` of the fake widget's files (the frame is `/widget/frame`).
fn url_path(name: &str) -> String {
    match name {
        "index.html" => "/widget/frame".into(),
        _ => format!("/widget/{name}"),
    }
}

fn sibling(dir: &Path, name: &str, encoding: &str) -> PathBuf {
    dir.join(format!("{name}.{}", if encoding == "br" { "br" } else { "gz" }))
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

async fn health(server: &TestServer) -> Value {
    reqwest::get(server.url("/healthz")).await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn precompressed_siblings_are_served_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let widget = dir.path().join("dist");
    fake_widget(&widget);
    // Made by hand, at other settings than `widget compress` uses: what is served is the file, byte for byte.
    for name in FAKE_FILES {
        let source = std::fs::read(widget.join(name)).unwrap();
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams { quality: 7, ..Default::default() };
        brotli::BrotliCompress(&mut &source[..], &mut br, &params).unwrap();
        std::fs::write(sibling(&widget, name, "br"), br).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(3));
        gz.write_all(&source).unwrap();
        std::fs::write(sibling(&widget, name, "gzip"), gz.finish().unwrap()).unwrap();
    }
    let server = TestServer::start(&dir.path().join("data"), &widget, &[]);
    assert_eq!(health(&server).await["compressed"], true);
    for name in FAKE_FILES {
        let source = std::fs::read(widget.join(name)).unwrap();
        for encoding in ["br", "gzip"] {
            let response = get(&server.url(&url_path(name)), &format!("{encoding}, deflate")).await;
            assert_eq!(response.status(), 200, "{name}");
            assert_eq!(header(&response, CONTENT_ENCODING), encoding, "{name}");
            assert!(header(&response, ETAG).ends_with(&format!("-{encoding}\"")), "{name}: {}", header(&response, ETAG));
            let body = response.bytes().await.unwrap();
            assert_eq!(body, std::fs::read(sibling(&widget, name, encoding)).unwrap(), "{name} {encoding}");
            assert_eq!(decode(encoding, &body), source);
        }
        let plain = get(&server.url(&url_path(name)), "identity").await;
        assert_eq!(header(&plain, CONTENT_ENCODING), "");
        assert_eq!(plain.bytes().await.unwrap(), source);
    }
    // The siblings are not files of their own.
    assert_eq!(get(&server.url("/widget/w-0123456789abcdef.js.br"), "br").await.status(), 404);
}

#[tokio::test]
async fn a_stale_sibling_is_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let widget = dir.path().join("dist");
    fake_widget(&widget);
    // A sibling of an older build: newer than its file, but of other content.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"export default function old() {}").unwrap();
    let stale = gz.finish().unwrap();
    std::fs::write(sibling(&widget, "w-0123456789abcdef.js", "gzip"), &stale).unwrap();
    let server = TestServer::start(&dir.path().join("data"), &widget, &[]);
    let response = get(&server.url("/widget/w-0123456789abcdef.js"), "gzip").await;
    assert_eq!(header(&response, CONTENT_ENCODING), "gzip");
    let body = response.bytes().await.unwrap();
    assert_ne!(body, stale);
    assert_eq!(decode("gzip", &body), std::fs::read(widget.join("w-0123456789abcdef.js")).unwrap());
    assert_eq!(health(&server).await["compressed"], false);
}

#[tokio::test]
async fn widget_compress_writes_the_siblings_once() {
    let dir = tempfile::tempdir().unwrap();
    let widget = dir.path().join("dist");
    fake_widget(&widget);
    // Small files: zopfli's 1,000 rounds take seconds on the repetitive ones of `fake_widget`.
    std::fs::write(widget.join("w-0123456789abcdef.js"), "export default function init() { return 1 }\n").unwrap();
    std::fs::write(widget.join("w-0123456789abcdef_bg.wasm"), b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0").unwrap();
    std::fs::write(widget.join("logo.png"), b"\x89PNG not worth compressing").unwrap();
    // The minified loader: its siblings hold it rendered for the region given.
    std::fs::write(widget.join("confab.js"), "var S=__CONFAB_SPEC__;window.Confab={start(){return S}};").unwrap();
    let widget_arg = widget.to_str().unwrap();

    let (ok, stdout, stderr) = run_cli(&["widget", "compress", "--widget-dir", widget_arg]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("8 written, 0 up to date"), "{stdout}");
    let mut siblings = Vec::new();
    for name in FAKE_FILES {
        let source = std::fs::read(widget.join(name)).unwrap();
        for encoding in ["br", "gzip"] {
            let path = sibling(&widget, name, encoding);
            assert_eq!(decode(encoding, &std::fs::read(&path).unwrap()), source, "{}", path.display());
            siblings.push(path);
        }
    }
    siblings.extend(["br", "gzip"].map(|encoding| sibling(&widget, "confab.js", encoding)));
    assert!(!widget.join("logo.png.br").exists() && !widget.join("logo.png.gz").exists());
    let names: Vec<String> = std::fs::read_dir(&widget).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(!names.iter().any(|n| n.contains(".tmp")), "temporary files left: {names:?}");

    // A second run finds them up to date and rewrites none.
    let before: Vec<SystemTime> = siblings.iter().map(|p| modified(p)).collect();
    let (ok, stdout, stderr) = run_cli(&["widget", "compress", "--widget-dir", widget_arg]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("0 written, 8 up to date"), "{stdout}");
    assert_eq!(siblings.iter().map(|p| modified(p)).collect::<Vec<_>>(), before);

    // A changed file gets new siblings; the others are left alone.
    std::fs::write(widget.join("w-0123456789abcdef.js"), "export default function init() { go() }\n").unwrap();
    let (ok, stdout, stderr) = run_cli(&["widget", "compress", "--widget-dir", widget_arg]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("2 written, 6 up to date"), "{stdout}");
    let js = std::fs::read(widget.join("w-0123456789abcdef.js")).unwrap();
    assert_eq!(decode("br", &std::fs::read(sibling(&widget, "w-0123456789abcdef.js", "br")).unwrap()), js);
    assert_eq!(modified(&siblings[0]), before[0], "index.html.br untouched");

    // A server of the default region serves them all, the rendered loader's included.
    let server = TestServer::start(&dir.path().join("data"), &widget, &[]);
    assert_eq!(health(&server).await["compressed"], true);
    for encoding in ["br", "gzip"] {
        let loader = get(&server.url("/widget/confab.js"), encoding).await;
        assert_eq!(header(&loader, CONTENT_ENCODING), encoding);
        assert_eq!(loader.bytes().await.unwrap(), std::fs::read(sibling(&widget, "confab.js", encoding)).unwrap());
    }
    // One of another region compresses its own rendering, quickly.
    let other = TestServer::start(&dir.path().join("data-eu"), &widget, &["--region", "eu-1"]);
    let loader = get(&other.url("/widget/confab.js"), "gzip").await;
    assert!(header(&loader, ETAG).ends_with("-gzip-q\""), "{}", header(&loader, ETAG));
    let text = String::from_utf8(decode("gzip", &loader.bytes().await.unwrap())).unwrap();
    assert!(text.contains("\"region\":\"eu-1\""), "{text}");
}

#[tokio::test]
async fn without_siblings_the_widget_is_served_with_a_quick_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let widget = dir.path().join("dist");
    fake_widget(&widget);
    let server = TestServer::start(&dir.path().join("data"), &widget, &[]);
    assert_eq!(health(&server).await["compressed"], false);
    for name in FAKE_FILES {
        let source = std::fs::read(widget.join(name)).unwrap();
        let response = get(&server.url(&url_path(name)), "gzip, deflate, br").await;
        assert_eq!(header(&response, CONTENT_ENCODING), "gzip", "{name}: no brotli made at start");
        assert!(header(&response, ETAG).ends_with("-gzip-q\""), "{name}: {}", header(&response, ETAG));
        let body = response.bytes().await.unwrap();
        assert!(body.len() < source.len() || source.len() < 200, "{name}: {} of {}", body.len(), source.len());
        assert_eq!(decode("gzip", &body), source);
        // A client that takes only brotli gets the file as is.
        let br_only = get(&server.url(&url_path(name)), "br").await;
        assert_eq!(header(&br_only, CONTENT_ENCODING), "");
        assert_eq!(br_only.bytes().await.unwrap(), source);
    }
}
