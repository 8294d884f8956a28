//! Confab's wire types, shared by the widget (wasm32) and the server (native).
//!
//! - [`limits`]: every size and length limit, defined once.
//! - [`ids`]: the UID/GUID rule.
//! - [`widget_config`]: the config object a site passes to `Confab.start`, its rules and its checks.
//! - [`bridge`]: the messages the loader and the chat iframe exchange with `postMessage`.
//! - [`api_error`]: the REST error envelope and its stable codes.
//! - [`rest`]: the REST API's request and response bodies.
//! - [`console`]: the site owner's console API (`/console/api`).
//! - [`realtime`]: the WebSocket frames and close codes.
//! - [`decode`]: reading the JSON the widget receives into these types, without serde's derived decoders.
//! - `signature` (feature `signing`): the HMAC header on bot and webhook calls.
//!
//! Nothing here depends on the server or the browser.

#[macro_use]
mod wire_enum;
pub mod api_error;
pub mod bridge;
pub mod console;
pub mod decode;
pub mod ids;
pub mod limits;
pub mod panel_variant;
pub mod realtime;
pub mod rest;
#[cfg(feature = "signing")]
pub mod signature;
pub mod widget_config;
