//! The chat rules that REST and the WebSocket share: handlers parse requests and frames and answer; these
//! decide. Sending ([`send`]), read and delivered marks ([`mark`], [`mark_in`]), which conversation a wire id
//! names for a user ([`resolve`]), and who may see and act in a group ([`access`]; the scopes' rights are in
//! [`crate::policy`]).

mod conversations;
mod groups;
mod marks;
pub mod reactions;
pub mod references;
mod send;

pub use conversations::{conversation_not_found, resolve};
pub use groups::{access, not_joined, GroupAccess, APP_SENDER};
pub use marks::{mark, mark_in};
pub use send::{check_content, send, SentBy};
