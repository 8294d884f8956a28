//! The router: health, the loader, the widget frame and files, the demo page, the API (`/v3`, audited) and
//! the console ([`crate::console`]), and JSON errors for everything else.

use axum::extract::{DefaultBodyLimit, Path, State};
use confab_protocol::limits::MAX_BODY_BYTES;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use confab_protocol::api_error::ApiErrorCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{middleware, Json, Router};
use serde_json::json;

use crate::api;
use crate::realtime;
use crate::demo;
use crate::error::ApiError;
use crate::state::AppState;

/// All routes, with `state`.
pub fn router(state: AppState) -> Router {
    let routes = match state.demo_bot.clone() {
        Some(bot) => Router::new().nest_service(demo::FAQ_BOT_PATH, confab_faq_bot::router(bot)),
        None => Router::new(),
    };
    routes
        .route("/", get(|| async { Redirect::temporary("/demo") }))
        .route("/healthz", get(healthz))
        .route("/demo", get(demo_page))
        .route("/demo/agent", get(agent_page))
        .route("/widget/confab.js", get(loader))
        .route("/widget/confab-host.js", get(host_script))
        .route("/widget/frame", get(frame))
        .route("/widget/{*path}", get(widget_file))
        .route("/v3/ws", get(realtime::socket::upgrade))
        .merge(crate::console::with_v3(&state, api::router(&state.settings.media)))
        .merge(crate::builders::router())
        .merge(crate::launcher::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
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
    Ok(Json(json!({"status": "ok", "region": &*state.region, "widget": state.widget.frame().is_some(), "compressed": state.widget.compressed()})))
}

async fn loader(State(state): State<AppState>, headers: HeaderMap) -> Response {
    state.loader.respond(&headers)
}

async fn host_script(State(state): State<AppState>, headers: HeaderMap) -> Response {
    state.host_script.respond(&headers)
}

async fn frame(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let frame = state.widget.frame().ok_or_else(|| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ApiErrorCode::ErrUnavailable, format!(
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
    let asset = state
        .widget
        .file(&path)
        .ok_or_else(|| ApiError::not_found(ApiErrorCode::ErrNotFound, format!("no file /widget/{path}")))?;
    Ok(asset.respond(&headers))
}

async fn demo_page(State(state): State<AppState>) -> Result<Response, ApiError> {
    demo_html(&state, demo::page)
}

async fn agent_page(State(state): State<AppState>) -> Result<Response, ApiError> {
    demo_html(&state, demo::agent_page)
}

/// A demo page for the demo app, or 404 when this data directory has none.
fn demo_html(state: &AppState, render: fn(&demo::DemoApp) -> String) -> Result<Response, ApiError> {
    let demo = state.demo.as_ref().ok_or_else(|| {
        ApiError::not_found(
            ApiErrorCode::ErrNotFound,
            "this data directory has no demo app (its apps were made with `app create`)",
        )
    })?;
    let mut response = Html(render(demo)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ApiErrorCode::ErrMethodNotAllowed,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(ApiErrorCode::ErrNotFound, format!("no route for {}", uri.path()))
}
