//! Quoted replies: the one-line summary of a message (its text, or what kind of file it carries), and the
//! quote at the top of a reply's bubble, a button that brings the quoted message into view.

use confab_protocol::rest::messages::{Category, Message};

use super::dom::{append, text_el};
use crate::chat::Chat;

/// Characters of a quoted text shown before it is cut with "…".
const EXCERPT_CHARS: usize = 90;

/// What `message` says in one line: its text, "Deleted message", an action's sentence, or the kind of its
/// file.
pub fn summary(chat: &Chat, message: &Message) -> String {
    let t = chat.text;
    if message.deleted_at.is_some() {
        return t.deleted.to_owned();
    }
    if message.category == Category::Action {
        return super::messages::action_text(chat, message);
    }
    message.data.text.clone().unwrap_or_else(|| match message.message_type.as_str() {
        "image" => t.photo.to_owned(),
        "video" => t.video.to_owned(),
        "audio" => t.audio.to_owned(),
        "file" => t.file.to_owned(),
        other => format!("[{other}]"),
    })
}

/// [`summary`] on one line, cut after [`EXCERPT_CHARS`] characters.
pub fn excerpt(chat: Chat, message: &Message) -> String {
    let line = summary(&chat, message).split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(EXCERPT_CHARS) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}

/// The quote of `quoted` at the top of a reply: its sender and excerpt (its name), a button carrying
/// `data-quote` (the quoted message's id) for the log's click handler, described as showing the quoted
/// message.
pub fn quote_block(chat: Chat, quoted: &Message) -> web_sys::Element {
    let name = chat.name_of(&quoted.sender);
    let block = super::dom::el("button", "quote");
    let _ = block.set_attribute("type", "button");
    let _ = block.set_attribute("data-quote", &quoted.id);
    let _ = block.set_attribute("title", chat.text.show_quoted);
    append(&block, &text_el("span", "quote-sender", &name));
    append(&block, &text_el("span", "quote-text", &excerpt(chat, quoted)));
    block
}
