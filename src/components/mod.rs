//! The panel's parts.
//!
//! - [`panel`]: the frame of the panel: header, connection banner, list and conversation panes.
//! - [`conversations`]: the conversation list and the new-conversation picker.
//! - [`messages`]: the message log of the open conversation.
//! - [`composer`]: the message box.
//! - [`avatar`]: a picture or initials.
//! - [`rich_text`]: message text with links, always as text.
//! - [`dom`]: plain DOM building and keyed patching for the message log.

pub mod avatar;
pub mod composer;
pub mod conversations;
pub mod dom;
pub mod messages;
pub mod panel;
pub mod rich_text;
