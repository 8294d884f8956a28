//! The Confab chat API server.
//!
//! - [`cli`]: the `confab-server` command line (`serve`, `app create`, `owner create`, `widget compress`).
//! - [`store`]: the storage interface and its SQLite backend.
//! - [`apps`]: creating apps and their credentials.
//! - [`secrets`]: random keys and their stored hashes.
//! - [`assets`]: compressed, cache-aware responses for static files; [`compress`]: their brotli and gzip,
//!   made by `widget compress` when the widget is built.
//! - [`widget`]: the built widget (the chat frame and its hashed files).
//! - [`loader`]: `confab.js` and `confab-host.js`, the scripts a site's page runs.
//! - [`demo`]: the demo app and its host page.
//! - [`error`]: the API error type and its JSON envelope; [`json`]: the body extractor.
//! - [`auth`]: who is calling (keys, tokens, `onBehalfOf`); [`credentials`]: their cache;
//!   [`rate_limit`]: requests per minute per credential, and the per-client limits (auth-only key calls,
//!   guests, unauthenticated sockets); [`client_addr`]: the client's address (`--trusted-proxy`).
//! - [`expiry`]: ends expired session tokens and closes their sockets.
//! - [`hooks`]: bot and webhook calls: callback rules, bodies, the dispatcher.
//! - [`realtime`]: the WebSocket gateway at `/v3/ws`: hub, broker, message tailer; [`cluster`]: what a
//!   node shares with the others through Redis (events, presence, limits).
//! - [`api`]: the REST API v3, one module per resource; [`chat`]: the rules REST and the WebSocket share
//!   (sending, marks, conversation ids, group access); [`policy`]: who may do what in a group;
//!   [`attempts`]: group password guesses and the users a session adds to groups a day;
//!   [`validate`]: field checks against the limits.
//! - [`settings`]: what `serve`'s flags decide; [`tasks`]: the background tasks, stopped at shutdown.
//! - [`console`]: the site owner's console at `/console`: owners, sessions, its JSON API, the audit log.
//! - [`builders`]: the public, read-only `/v1` builder settings of widget variants; [`variant_features`]:
//!   the feature switches of a session's variant that the server enforces, and their cache.
//! - [`http`]: the router that ties them together; [`serve`] runs it on a listener.

pub mod apps;
pub mod attempts;
pub mod api;
pub mod assets;
pub mod auth;
pub mod builders;
pub mod chat;
pub mod cli;
pub mod cluster;
pub mod compress;
pub mod console;
pub mod client_addr;
pub mod credentials;
pub mod demo;
pub mod error;
pub mod expiry;
pub mod hooks;
pub mod http;
pub mod policy;
pub mod loader;
pub mod media;
pub mod secrets;
pub mod settings;
pub mod json;
pub mod launcher;
pub mod rate_limit;
pub mod realtime;
pub mod state;
pub mod validate;
pub mod variant_features;
pub mod store;
pub mod tasks;
pub mod ttl_cache;
pub mod widget;

pub use state::AppState;

use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Serves the API on `listener` until `shutdown` resolves, then finishes in-flight requests. Each request
/// carries its peer's address (`ConnectInfo<SocketAddr>`), from which [`client_addr`] takes the client's.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let tasks = state.tasks.clone();
    let app = http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    // Small frames (a socket's `caughtUp` after `ready`) go out at once, not after the peer's delayed ACK.
    let listener = listener.tap_io(|stream| {
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%err, "cannot set TCP_NODELAY");
        }
    });
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    tasks.shutdown().await;
    served
}
