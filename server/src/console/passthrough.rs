//! `ANY /console/api/apps/{appId}/v3/{*path}`: the REST API as that app, with the REST API key's rights,
//! for a signed-in owner (CSRF checked on changes). The call goes to the `/v3` router itself with a
//! [`ConsoleGrant`] extension, so every resource (users, groups, members, messages, bots, webhooks,
//! deliveries, variants) has one implementation. The credential headers a browser could send (`apikey`,
//! `authkey`, `authtoken`, `appid`) are dropped, as are the cookie and the CSRF token; `onBehalfOf` passes.

use axum::extract::{ConnectInfo, Path, Request};
use axum::http::Extensions;
use std::net::SocketAddr;
use axum::response::{IntoResponse, Response};
use axum::Router;
use confab_protocol::console::CSRF_HEADER;
use tower::ServiceExt;

use super::session::Owner;
use super::ConsoleGrant;
use crate::error::ApiError;

/// Headers not passed to the `/v3` call.
const DROPPED: [&str; 6] = ["apikey", "authkey", "authtoken", "appid", "cookie", CSRF_HEADER];

/// Calls `v3` with the request, its path moved under `/v3`, as the REST API key of the app.
pub async fn forward(v3: Router, owner: Owner, Path((app_id, _path)): Path<(String, String)>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    // The path as sent (still percent-encoded): /console/api/apps/{appId}/v3/{rest}.
    let rest = parts.uri.path().splitn(7, '/').nth(6).unwrap_or("").to_owned();
    let target = match parts.uri.query() {
        Some(query) => format!("/v3/{rest}?{query}"),
        None => format!("/v3/{rest}"),
    };
    parts.uri = match target.parse() {
        Ok(uri) => uri,
        Err(_) => return ApiError::bad_field("path", "not a valid path").into_response(),
    };
    for name in DROPPED {
        parts.headers.remove(name);
    }
    // Fresh extensions: the console route's own (its path parameters among them) must not reach the
    // `/v3` handlers. The client's address goes along (per-client limits).
    let connect_info = parts.extensions.get::<ConnectInfo<SocketAddr>>().cloned();
    parts.extensions = Extensions::new();
    if let Some(connect_info) = connect_info {
        parts.extensions.insert(connect_info);
    }
    parts.extensions.insert(ConsoleGrant {
        app_id,
        actor: owner.email().to_owned(),
        credential: [b"console:".as_slice(), &owner.0.token_hash].concat(),
    });
    match v3.oneshot(Request::from_parts(parts, body)).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
