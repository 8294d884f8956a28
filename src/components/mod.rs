//! The panel's parts.
//!
//! - [`panel`]: the frame of the panel: header, connection banner, list and conversation panes.
//! - [`conversations`]: the conversation list and the new-conversation picker.
//! - [`messages`]: the message log of the open conversation.
//! - [`composer`]: the message box.
//! - [`avatar`]: a picture or initials.
//! - [`rich_text`]: message text with links, always as text.

pub mod avatar;
pub mod composer;
pub mod conversations;
pub mod messages;
pub mod panel;
pub mod rich_text;
