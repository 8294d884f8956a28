//! The router: health, the loader, the widget frame and files, the demo page, and JSON errors for
//! everything else.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{middleware, Json, Router};
use serde_json::json;

use crate::demo;
use crate::error::ApiError;
use crate::state::AppState;

/// All routes, with `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/demo") }))
        .route("/healthz", get(healthz))
        .route("/demo", get(demo_page))
        .route("/widget/confab.js", get(loader))
        .route("/widget/frame", get(frame))
        .route("/widget/{*path}", get(widget_file))
        .fallback(not_found)
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    response
}

async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    state.store.app_count().await?;
    Ok(Json(json!({"status": "ok", "region": &*state.region, "widget": state.widget.frame().is_some()})))
}

async fn loader(State(state): State<AppState>, headers: HeaderMap) -> Response {
    state.loader.respond(&headers)
}

async fn frame(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let frame = state.widget.frame().ok_or_else(|| {
        ApiError::Unavailable(format!(
            "the widget is not built: no index.html in {}; run scripts/build-widget.sh",
            state.widget.dir.display()
        ))
    })?;
    Ok(frame.respond(&headers))
}

async fn widget_file(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let asset = state.widget.file(&path).ok_or_else(|| ApiError::NotFound(format!("/widget/{path}")))?;
    Ok(asset.respond(&headers))
}

async fn demo_page(State(state): State<AppState>) -> Result<Response, ApiError> {
    let demo = state.demo.as_ref().ok_or_else(|| {
        ApiError::NotFound("this data directory has no demo app (it was created with `app create`)".into())
    })?;
    let mut response = Html(demo::page(demo)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}
