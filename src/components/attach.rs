//! Handing files to the chat: the composer's attach button (a file picker whose `accept` follows the
//! variant), a paste into the message box, a drop onto the panel (a drop target shows while files are
//! dragged over it), and the voice-note button, whose recorder loads the first time it is pressed. Files
//! of a kind the variant does not allow are not sent: the composer's notice names them.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, Event, HtmlElement};

use super::dom::{append, button, el, on, set_attr, text_el};
use crate::chat::Chat;
use crate::i18n::fill;
use crate::media::js::object;
use crate::media::kinds::accept;
use crate::media::lazy;
use crate::media::picked::{drags_files, files_in, files_of, picked, Picked};

/// The attach button's picture: a paper clip (fixed markup).
const CLIP_ICON: &str = r#"<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M15 7l-6.5 6.5a2 2 0 0 0 3 3L18 10a4 4 0 0 0-6-6l-6.5 6.5a6 6 0 0 0 9 9L20 14"/></svg>"#;
/// The voice-note button's picture: a microphone (fixed markup).
const MIC_ICON: &str = r#"<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/></svg>"#;

/// The composer's notice line (`role=alert`): files refused, the microphone refused.
pub fn notice() -> Element {
    let notice = el("p", "composer-notice");
    notice.set_id("composer-notice");
    let _ = notice.set_attribute("role", "alert");
    notice
}

/// Says `text` in the composer's notice, or clears it; false when no composer is shown.
pub fn notify(text: Option<&str>) -> bool {
    let Ok(Some(notice)) = document().query_selector("#composer-notice") else { return false };
    notice.set_text_content(text);
    true
}

/// Sends `files` to the open conversation (where the visitor may write), and names those refused.
pub fn hand_over(chat: Chat, files: Vec<Picked>) {
    if files.is_empty() || chat.cannot_write().is_some() {
        return;
    }
    let refused = chat.send_files(files);
    let why = (!refused.is_empty()).then(|| fill(&chat.text.plural("refused_files", refused.len() as u64), &refused.join(", ")));
    notify(why.as_deref());
}

/// The attach button and the file picker it opens (several files at once).
pub fn attach_button(chat: Chat) -> (Element, Element) {
    let attach = button("tool attach", chat.text.attach);
    attach.set_inner_html(CLIP_ICON);
    let input = el("input", "");
    for (key, value) in [("type", "file"), ("multiple", ""), ("hidden", "")] {
        let _ = input.set_attribute(key, value);
    }
    set_attr(&input, "accept", accept(&chat.features).as_deref());
    let picker = input.clone();
    on(&attach, "click", move |_: Event| picker.unchecked_ref::<HtmlElement>().click());
    let picker = input.clone();
    on(&input, "change", move |_: Event| {
        let files = files_in(&js_sys::Reflect::get(&picker, &"files".into()).unwrap_or(JsValue::UNDEFINED));
        // Picking the same file again is a change too.
        let _ = js_sys::Reflect::set(&picker, &"value".into(), &"".into());
        hand_over(chat, files);
    });
    (attach, input)
}

/// Files pasted into `target` (the composer) are sent; a paste of text stays a paste of text.
pub fn take_pasted_files(chat: Chat, target: &Element) {
    on(target, "paste", move |event: Event| {
        let files = files_of(&event, "clipboardData");
        if !files.is_empty() {
            event.prevent_default();
            hand_over(chat, files);
        }
    });
}

/// The voice-note button: records into `slot` (the recorder, loaded on first use, shows the elapsed time,
/// Stop and Cancel there) and sends the recording as an audio message.
pub fn voice_button(chat: Chat, slot: &Element) -> Element {
    let t = chat.text;
    let voice = button("tool voice", t.voice_note);
    voice.set_inner_html(MIC_ICON);
    let (pressed, slot) = (voice.clone(), slot.clone());
    on(&voice, "click", move |_: Event| {
        let (pressed, slot) = (pressed.clone(), slot.clone());
        set_attr(&pressed, "disabled", Some(""));
        notify(None);
        leptos::task::spawn_local(async move {
            let labels = object(&[("recording", t.recording.into()), ("stop", t.send_voice_note.into()), ("cancel", t.cancel.into())]);
            let recorded = match lazy::load("recorder").await {
                Ok(record) => match record.call2(&JsValue::NULL, &slot, &labels) {
                    Ok(promise) => JsFuture::from(js_sys::Promise::from(promise)).await,
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            set_attr(&pressed, "disabled", None);
            let _ = pressed.unchecked_ref::<HtmlElement>().focus();
            match recorded {
                Ok(file) if !file.is_null() && !file.is_undefined() => hand_over(chat, vec![picked(file)]),
                Ok(_) => {}
                Err(e) => {
                    let name = js_sys::Reflect::get(&e, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
                    notify(Some(if matches!(name.as_str(), "NotAllowedError" | "SecurityError") { t.mic_denied } else { t.mic_unavailable }));
                }
            }
        });
    });
    voice
}

/// Files dropped onto `panel` are sent to the open conversation; while files are dragged over it, a drop
/// target covers it. A drop never opens the file in the frame instead.
pub fn drop_zone(chat: Chat, panel: &Element) {
    let target = text_el("div", "drop-target", chat.text.drop_files);
    let _ = target.set_attribute("hidden", "");
    append(panel, &target);
    // Enter and leave come for every element crossed: the target hides when the drag has left them all.
    let depth = StoredValue::new(0i32);
    let welcome = move || chat.features.attaches() && chat.active.get_untracked().is_some() && chat.cannot_write().is_none();
    let shown = target.clone();
    on(panel, "dragenter", move |event: Event| {
        if drags_files(&event) && welcome() {
            depth.update_value(|d| *d += 1);
            let _ = shown.remove_attribute("hidden");
        }
    });
    on(panel, "dragover", move |event: Event| {
        if drags_files(&event) {
            event.prevent_default();
        }
    });
    let shown = target.clone();
    on(panel, "dragleave", move |_: Event| {
        depth.update_value(|d| *d = (*d - 1).max(0));
        if depth.get_value() == 0 {
            let _ = shown.set_attribute("hidden", "");
        }
    });
    on(panel, "drop", move |event: Event| {
        let files = files_of(&event, "dataTransfer");
        if files.is_empty() {
            return;
        }
        event.prevent_default();
        depth.set_value(0);
        let _ = target.set_attribute("hidden", "");
        if welcome() {
            hand_over(chat, files);
        }
    });
}
