//! Uploaded files in the log: images as thumbnails (a button each, opening the full-size viewer), video and
//! audio players, and file cards that download on click; the progress bar and Cancel of a file being sent;
//! and fresh signed URLs for a picture or player whose URL has expired.

use confab_protocol::rest::messages::{Attachment, Message};
use confab_protocol::rest::Data;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use super::dom::{append, el, set_attr, text_el};
use crate::bridge::console_error;
use crate::chat::{Chat, Item};
use crate::i18n::fill;
use crate::media::js::object;
use crate::media::lazy;
use crate::media::sizes::size_label;

/// The box a thumbnail or player is fitted in, in CSS pixels.
const BOX: f64 = 240.0;

/// `width` × `height` scaled down to fit [`BOX`], to reserve the space before the picture loads.
fn fitted(width: u32, height: u32) -> (u32, u32) {
    let scale = (BOX / f64::from(width.max(1))).min(BOX / f64::from(height.max(1))).min(1.0);
    ((f64::from(width) * scale).round().max(1.0) as u32, (f64::from(height) * scale).round().max(1.0) as u32)
}

/// Sets `element`'s `width` and `height` from the attachment's, fitted, when it has them.
fn reserve(element: &web_sys::Element, file: &Attachment) {
    if let (Some(w), Some(h)) = (file.width, file.height) {
        let (w, h) = fitted(w, h);
        let _ = element.set_attribute("width", &w.to_string());
        let _ = element.set_attribute("height", &h.to_string());
    }
}

/// Marks `element` as showing attachment `index` of stored message `message` through its `field` (`url`
/// or `thumbnail`), for [`refresh_expired`].
fn mark_source(element: &web_sys::Element, message: &Message, index: usize, field: &str) {
    if !message.id.is_empty() {
        let _ = element.set_attribute("data-mid", &message.id);
        let _ = element.set_attribute("data-att", &index.to_string());
        let _ = element.set_attribute("data-field", field);
    }
}

/// `<tag controls preload=metadata>` for a player of `file`.
fn player(tag: &str, file: &Attachment, name: &str) -> web_sys::Element {
    let player = el(tag, "player");
    for (key, value) in [("controls", ""), ("preload", "metadata"), ("src", file.url.as_str()), ("aria-label", name)] {
        let _ = player.set_attribute(key, value);
    }
    player
}

/// A file's card: name, then type and size; a download link once the file is stored.
fn file_card(chat: &Chat, file: &Attachment, name: &str) -> web_sys::Element {
    let card = el(if file.url.is_empty() { "span" } else { "a" }, "file-card");
    if !file.url.is_empty() {
        let _ = card.set_attribute("href", &file.url);
        let _ = card.set_attribute("download", name);
    }
    let kind = file.extension.as_deref().map(str::to_ascii_uppercase).or_else(|| file.mime_type.clone()).unwrap_or_else(|| chat.text.file.to_owned());
    let facts = match file.size {
        Some(size) => format!("{kind} · {}", size_label(chat.text.tag, size)),
        None => kind,
    };
    append(&card, &text_el("span", "file-name", name));
    append(&card, &text_el("span", "file-facts", &facts));
    card
}

/// Shows `item`'s uploaded files (or, while it is being sent, its local ones) in `bubble`; false when it
/// has none (a message without attachments, or one linking files hosted elsewhere).
pub fn append_attachments(chat: &Chat, bubble: &web_sys::Element, item: &Item) -> bool {
    let message = &item.message;
    let Some(files) = message.data.attachments.as_ref() else { return false };
    let outgoing = item.is_outgoing_file();
    let mut shown = false;
    for (index, file) in files.iter().enumerate().filter(|(_, f)| f.id.is_some() || outgoing) {
        shown = true;
        let name = file.name.as_deref().unwrap_or(chat.text.file);
        let part = match message.message_type.as_str() {
            "image" if !file.url.is_empty() => {
                let button = el("button", "thumb");
                let _ = button.set_attribute("type", "button");
                let _ = button.set_attribute("data-view", &format!("{}:{index}", item.key));
                let img = el("img", "");
                let (src, field) = match &file.thumbnail {
                    Some(thumbnail) => (thumbnail, "thumbnail"),
                    None => (&file.url, "url"),
                };
                let _ = img.set_attribute("src", src);
                let _ = img.set_attribute("alt", name);
                // Only the pictures scrolled into view are fetched.
                let _ = img.set_attribute("loading", "lazy");
                reserve(&img, file);
                mark_source(&img, message, index, field);
                append(&button, &img);
                button
            }
            "video" if !file.url.is_empty() => {
                let video = player("video", file, name);
                set_attr(&video, "poster", file.thumbnail.as_deref());
                reserve(&video, file);
                mark_source(&video, message, index, "url");
                video
            }
            "audio" if !file.url.is_empty() => {
                let audio = player("audio", file, name);
                mark_source(&audio, message, index, "url");
                audio
            }
            _ => file_card(chat, file, name),
        };
        append(bubble, &part);
    }
    shown
}

/// The progress bar (`role=progressbar`, 0-100) and Cancel of `item`, a file being sent.
pub fn upload_progress(chat: &Chat, item: &Item) -> web_sys::Element {
    let t = chat.text;
    let name = item.message.data.attachments.iter().flatten().find_map(|a| a.name.clone()).unwrap_or_default();
    let block = el("div", "upload");
    let bar = el("div", "progress");
    for (key, value) in [("role", "progressbar"), ("aria-valuemin", "0"), ("aria-valuemax", "100"), ("aria-valuenow", "0"), ("data-upload", item.key.as_str())] {
        let _ = bar.set_attribute(key, value);
    }
    let _ = bar.set_attribute("aria-label", &fill(t.uploading, &name));
    append(&bar, &el("span", "progress-done"));
    let cancel = text_el("button", "link-button", t.cancel);
    let _ = cancel.set_attribute("type", "button");
    let _ = cancel.set_attribute("data-discard", &item.key);
    let _ = cancel.set_attribute("aria-label", &fill(t.cancel_upload, &name));
    append(&block, &bar);
    append(&block, &cancel);
    block
}

/// Moves the progress bar of the file being sent under `key` to `share` percent.
pub fn show_progress(key: &str, share: u8) {
    let Ok(Some(bar)) = document().query_selector(&format!("[data-upload=\"{key}\"]")) else { return };
    let _ = bar.set_attribute("aria-valuenow", &share.to_string());
    if let Some(done) = bar.first_element_child() {
        let _ = done.set_attribute("style", &format!("width:{share}%"));
    }
}

/// Reads message `id` again: its signed URLs are fresh. The open conversation's copy is brought up to
/// date (its rows stay as they are).
async fn fresh_message(chat: Chat, id: &str) -> Option<Message> {
    let (api, token) = chat.rest();
    let message = api.get::<Data<Message>>(&format!("/messages/{id}"), &token).await.ok()?.data;
    chat.messages.update(|list| {
        if let Some(item) = list.iter_mut().find(|i| i.message.id == message.id) {
            item.message = message.clone();
        }
    });
    Some(message)
}

/// A picture or player in the log failed to load (the `error` event, caught on the log): its signed URL
/// may have expired. The message is read again and the element given its fresh URLs, once.
pub fn refresh_expired(chat: Chat, event: web_sys::Event) {
    let Some(element) = event.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
    let Some(id) = element.get_attribute("data-mid") else { return };
    if element.has_attribute("data-refreshed") {
        return;
    }
    let _ = element.set_attribute("data-refreshed", "");
    leptos::task::spawn_local(async move {
        let Some(message) = fresh_message(chat, &id).await else { return };
        let index: usize = element.get_attribute("data-att").and_then(|i| i.parse().ok()).unwrap_or(0);
        let Some(file) = message.data.attachments.as_ref().and_then(|a| a.get(index)) else { return };
        let src = match element.get_attribute("data-field").as_deref() {
            Some("thumbnail") => file.thumbnail.as_deref().unwrap_or(&file.url),
            _ => &file.url,
        };
        let _ = element.set_attribute("src", src);
        set_attr(&element, "poster", file.thumbnail.as_deref().filter(|_| element.has_attribute("poster")));
    });
}

/// Whether the signed `url` has expired, or will within a minute (its `exp`, Unix seconds).
fn expires_soon(url: &str, now: u64) -> bool {
    let exp = url.split(['?', '&']).find_map(|part| part.strip_prefix("exp=")).and_then(|e| e.parse::<u64>().ok());
    exp.is_some_and(|exp| exp < now + 60)
}

/// Opens the viewer (loaded the first time) on image `view` (`<key>:<index>`), with the open
/// conversation's other images a Left or Right away. An expired image is read again first.
pub fn open_viewer(chat: Chat, view: String) {
    leptos::task::spawn_local(async move {
        let (key, _) = view.rsplit_once(':').unwrap_or_default();
        let stale = chat.messages.with_untracked(|list| {
            let item = list.iter().find(|i| i.key == key)?;
            let urls = item.message.data.attachments.iter().flatten();
            urls.clone().any(|a| expires_soon(&a.url, (js_sys::Date::now() / 1000.0) as u64)).then(|| item.message.id.clone())
        });
        if let Some(id) = stale {
            fresh_message(chat, &id).await;
        }
        let open = match lazy::load("viewer").await {
            Ok(open) => open,
            Err(_) => return console_error("Confab: the image viewer could not be loaded"),
        };
        let images = js_sys::Array::new();
        let mut index = 0;
        chat.messages.with_untracked(|list| {
            for item in list.iter().filter(|i| i.message.message_type == "image" && i.message.deleted_at.is_none()) {
                for (i, file) in item.message.data.attachments.iter().flatten().enumerate().filter(|(_, f)| !f.url.is_empty()) {
                    let this = format!("{}:{i}", item.key);
                    if this == view {
                        index = images.length();
                    }
                    let name = file.name.as_deref().unwrap_or(chat.text.file);
                    images.push(&object(&[("src", file.url.as_str().into()), ("name", name.into()), ("view", this.into())]));
                }
            }
        });
        let t = chat.text;
        let labels = object(&[("close", t.close.into()), ("previous", t.previous_image.into()), ("next", t.next_image.into()), ("position", t.image_position.into())]);
        let options = object(&[("images", images.into()), ("index", index.into()), ("labels", labels)]);
        let _ = open.call1(&JsValue::NULL, &options);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_keep_their_shape_within_the_box() {
        assert_eq!(fitted(800, 600), (240, 180));
        assert_eq!(fitted(300, 1200), (60, 240));
        assert_eq!(fitted(100, 50), (100, 50), "small pictures are not blown up");
    }

    #[test]
    fn an_expiring_signed_url_is_seen_before_it_fails() {
        let url = "https://chat.example/v3/media/md_1/content?exp=1000&sig=abc";
        assert!(expires_soon(url, 990));
        assert!(!expires_soon(url, 900));
        assert!(!expires_soon("blob:https://chat.example/1f2e", 0), "a local preview never expires");
    }
}
