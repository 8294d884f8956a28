//! The built console (`console/dist`, made by `scripts/build-console.sh`) at `/console`: read into memory
//! at start like the widget ([`crate::widget`]), served compressed and cacheable ([`Asset`]). A path that
//! names no file and looks like a page (no extension) gets `index.html`: the console routes on the client.
//! Every answer carries the console's Content-Security-Policy and may not be framed. Without a build,
//! `/console` answers 503 with a page (or JSON, for clients that do not ask for HTML) saying how to build it.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Router};
use confab_protocol::api_error::ApiErrorCode;
use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use crate::assets::{content_type_for, Asset, CachePolicy, Encoding};
use crate::error::ApiError;
use crate::state::AppState;

/// The console's policy: its own scripts and WebAssembly, inline styles, frames from anywhere (the live
/// preview embeds the widget), images from anywhere, and no page may frame the console.
pub const CONSOLE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
                               frame-src *; img-src * data:; frame-ancestors 'none'";

/// The preview page's policy: the console's, except that the console itself may frame it (the variant
/// editor shows it beside the form); no other page may.
pub const PREVIEW_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
                               frame-src *; img-src * data:; frame-ancestors 'self'";
/// The live preview's page (see `console/preview.html`).
const PREVIEW_PAGE: &str = "preview.html";

/// The console's files, ready to serve.
#[derive(Debug, Default)]
pub struct ConsoleFiles {
    dir: PathBuf,
    index: Option<Asset>,
    files: HashMap<String, Asset>,
}

impl ConsoleFiles {
    /// Reads every file under `dir`; a missing or unreadable directory gives none (503 until built).
    pub fn load(dir: &FsPath) -> Self {
        let mut files = Self { dir: dir.to_owned(), ..Self::default() };
        if !dir.is_dir() {
            return files;
        }
        let listed = match crate::widget::served_files(dir) {
            Ok(listed) => listed,
            Err(err) => {
                tracing::warn!(dir = %dir.display(), error = %err, "cannot read the console's files");
                return files;
            }
        };
        for (name, path) in listed {
            let body = match std::fs::read(&path) {
                Ok(body) => body,
                Err(err) => {
                    tracing::warn!(file = %path.display(), error = %err, "cannot read a console file");
                    continue;
                }
            };
            let cache = match name.as_str() {
                "index.html" => CachePolicy::Revalidate,
                _ if crate::widget::is_content_hashed(&name) => CachePolicy::Immutable,
                _ => CachePolicy::Brief,
            };
            let mut asset = Asset::new(body, content_type_for(&name), cache).with_precompressed(&path, &[Encoding::Gzip]);
            if name == PREVIEW_PAGE {
                asset = asset
                    .with_header(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PREVIEW_CSP))
                    .with_header(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
            }
            match name.as_str() {
                "index.html" => files.index = Some(asset),
                _ => {
                    files.files.insert(name, asset);
                }
            }
        }
        files
    }

    /// The page, if the console was built.
    pub fn index(&self) -> Option<&Asset> {
        self.index.as_ref()
    }

    /// The answer for `/console/{path}`.
    fn respond(&self, path: &str, headers: &HeaderMap) -> Response {
        if path == "api" || path.starts_with("api/") {
            return ApiError::not_found(ApiErrorCode::ErrNotFound, format!("no route for /console/{path}")).into_response();
        }
        let Some(index) = &self.index else { return self.not_built(headers) };
        if let Some(asset) = self.files.get(path) {
            return asset.respond(headers);
        }
        let last = path.rsplit('/').next().unwrap_or(path);
        if path.is_empty() || path == "index.html" || !last.contains('.') {
            return index.respond(headers);
        }
        ApiError::not_found(ApiErrorCode::ErrNotFound, format!("no file /console/{path}")).into_response()
    }

    fn not_built(&self, headers: &HeaderMap) -> Response {
        let message = format!("the console is not built: no index.html in {}; run scripts/build-console.sh", self.dir.display());
        let wants_html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
        if !wants_html {
            return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ApiErrorCode::ErrUnavailable, message).into_response();
        }
        let page = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Console not built</title></head>\
             <body><main><h1>The console is not built</h1><p>{}</p></main></body></html>",
            escape(&message)
        );
        (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `/console`, `/console/` and `/console/{*path}`.
pub fn routes(files: ConsoleFiles) -> Router<AppState> {
    let files = Arc::new(files);
    let (root, nested) = (files.clone(), files);
    Router::new()
        .route("/console", get(move |headers: HeaderMap| async move { root.respond("", &headers) }))
        .route(
            "/console/",
            get({
                let files = nested.clone();
                move |headers: HeaderMap| async move { files.respond("", &headers) }
            }),
        )
        .route(
            "/console/{*path}",
            get(move |Path(path): Path<String>, headers: HeaderMap| async move { nested.respond(&path, &headers) }),
        )
        .layer(middleware::map_response(file_headers))
}

async fn file_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    // The preview page brings its own (it may be framed by the console).
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(CONSOLE_CSP));
    headers.entry(header::X_FRAME_OPTIONS).or_insert(HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built() -> (tempfile::TempDir, ConsoleFiles) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<!doctype html><title>Console</title>").unwrap();
        std::fs::write(dir.path().join("confab-console-0123456789abcdef.js"), "boot()").unwrap();
        let files = ConsoleFiles::load(dir.path());
        (dir, files)
    }

    #[test]
    fn files_pages_and_missing_assets() {
        let (_dir, files) = built();
        let headers = HeaderMap::new();
        let asset = files.respond("confab-console-0123456789abcdef.js", &headers);
        assert_eq!(asset.status(), StatusCode::OK);
        assert!(asset.headers()[header::CACHE_CONTROL].to_str().unwrap().contains("immutable"));
        for page in ["", "apps/abc/keys", "index.html", "sign-in"] {
            let response = files.respond(page, &headers);
            assert_eq!(response.status(), StatusCode::OK, "{page}");
            assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "{page}");
        }
        assert_eq!(files.respond("missing.js", &headers).status(), StatusCode::NOT_FOUND);
        assert_eq!(files.respond("api", &headers).status(), StatusCode::NOT_FOUND, "the API is never the page");
    }

    /// Only the console itself may frame the preview page; no page may frame the console.
    #[tokio::test]
    async fn the_preview_page_may_be_framed_by_the_console_only() {
        let (dir, _) = built();
        std::fs::write(dir.path().join(PREVIEW_PAGE), "<!doctype html><title>Preview</title>").unwrap();
        let files = ConsoleFiles::load(dir.path());
        let preview = file_headers(files.respond(PREVIEW_PAGE, &HeaderMap::new())).await;
        assert_eq!(preview.headers()[header::X_FRAME_OPTIONS], "SAMEORIGIN");
        assert!(preview.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().ends_with("frame-ancestors 'self'"));
        let page = file_headers(files.respond("apps", &HeaderMap::new())).await;
        assert_eq!(page.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert!(page.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().ends_with("frame-ancestors 'none'"));
    }

    #[test]
    fn without_a_build_the_answer_says_how_to_make_one() {
        let files = ConsoleFiles::load(FsPath::new("/nonexistent/console/dist"));
        assert!(files.index().is_none());
        assert_eq!(files.respond("", &HeaderMap::new()).status(), StatusCode::SERVICE_UNAVAILABLE);
        let mut html = HeaderMap::new();
        html.insert(header::ACCEPT, HeaderValue::from_static("text/html,application/xhtml+xml"));
        let page = files.respond("apps", &html);
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(page.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    }
}
