//! The panel's parts: plain DOM, built once and kept up to date by Leptos effects (signals drive them; no
//! view macros, whose generated code was most of the download).
//!
//! - [`panel`]: the frame of the panel: header, connection banner, list and conversation panes.
//! - [`conversations`]: the conversation list and the new-conversation picker.
//! - [`messages`]: the message log of the open conversation.
//! - [`message_menu`]: a message's actions (react, reply, edit, delete).
//! - [`reactions`]: a message's reaction counts.
//! - [`quote`]: quoted replies and one-line summaries of messages.
//! - [`thread`]: reply counts and the open thread's bar.
//! - [`search`]: the message search, opened from the panel's header.
//! - [`composer`]: the message box.
//! - [`mentions`]: the member picker of `@` in the message box.
//! - [`attach`]: attaching files (button, paste, drop) and recording voice notes.
//! - [`attachments`]: uploaded files in the log, and the progress of those being sent.
//! - [`avatar`]: a picture or initials.
//! - [`rich_text`]: message text with links, always as text.
//! - [`dom`]: building and keyed patching of plain DOM, which every part uses.
//! - [`reactive`]: the effects that keep it up to date.

pub mod attach;
pub mod attachments;
pub mod avatar;
pub mod composer;
pub mod conversations;
pub mod dom;
pub mod mentions;
pub mod message_menu;
pub mod messages;
pub mod panel;
pub mod quote;
pub mod reactions;
pub mod reactive;
pub mod rich_text;
pub mod thread;
pub mod search;
