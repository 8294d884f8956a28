//! The frame's connections to the Confab server it was loaded from: REST calls ([`http`]) and the realtime
//! WebSocket ([`socket`]).

pub mod http;
pub mod json;
pub mod socket;
