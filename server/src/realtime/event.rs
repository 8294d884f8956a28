//! What travels through the broker: frames for users' devices, and orders to close sockets.

use confab_protocol::realtime::ServerFrame;
use serde::{Deserialize, Serialize};

/// One broker event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Event {
    /// Send `frame` to every connected device of `recipients` in `app_id`.
    #[serde(rename_all = "camelCase")]
    Deliver {
        /// The app.
        app_id: String,
        /// The users whose devices get the frame.
        recipients: Vec<String>,
        /// The frame.
        frame: ServerFrame,
    },
    /// Close `uid`'s sockets whose token hash starts with `token_prefix` (all when `None`).
    #[serde(rename_all = "camelCase")]
    Revoke {
        /// The app.
        app_id: String,
        /// The user.
        uid: String,
        /// The start of the token's hash.
        token_prefix: Option<Vec<u8>>,
    },
}
