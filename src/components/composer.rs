//! The message box: multi-line; Enter sends, Shift+Enter starts a new line; typing is announced to the
//! other side at most every few seconds. Disabled, with the reason shown, where the visitor cannot write:
//! the session has ended, the group is for members only, or one side blocked the other. Beside the box:
//! attaching files and recording a voice note, where the variant allows them (see [`super::attach`]).

use leptos::prelude::*;
use crate::components::reactive::effect;
use wasm_bindgen::JsCast;
use web_sys::{Event, HtmlElement, HtmlTextAreaElement, KeyboardEvent};

use super::attach::{attach_button, notice, take_pasted_files, voice_button};
use super::dom::{append, el, on, set_attr};
use crate::chat::Chat;

/// Least time between two "typing started" frames, in ms.
const TYPING_EVERY_MS: f64 = 3000.0;

/// The send button's picture (fixed markup).
const SEND_ICON: &str = r#"<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M3 20l18-8L3 4v6l12 2-12 2z"/></svg>"#;

/// The composer for the open conversation.
pub fn composer(chat: Chat) -> web_sys::Element {
    let t = chat.text;
    let form = el("form", "composer");
    let reason = el("p", "composer-reason");
    reason.set_id("composer-reason");
    let input: HtmlTextAreaElement = el("textarea", "").unchecked_into();
    input.set_rows(1);
    let _ = input.set_attribute("aria-label", t.message);
    input.set_placeholder(t.placeholder);
    let send_button = el("button", "send");
    let _ = send_button.set_attribute("type", "submit");
    let _ = send_button.set_attribute("aria-label", t.send);
    send_button.set_inner_html(SEND_ICON);
    let notice = notice();
    // Where the voice recorder shows while it records.
    let recorder = el("div", "recorder");
    let _ = recorder.set_attribute("hidden", "");
    append(&form, &reason);
    append(&form, &notice);
    append(&form, &recorder);
    let mut tools = Vec::new();
    if chat.features.attaches() {
        let (attach, picker) = attach_button(chat);
        append(&form, &attach);
        append(&form, &picker);
        tools.push(attach);
        take_pasted_files(chat, &form);
    }
    if chat.features.voice_notes && chat.features.audio {
        let voice = voice_button(chat, &recorder);
        append(&form, &voice);
        tools.push(voice);
    }
    append(&form, &input);
    append(&form, &send_button);

    let last_typing = StoredValue::new(0.0f64);
    {
        let (input, send_button) = (input.clone(), send_button.clone());
        effect(move || {
            let why = chat.cannot_write();
            reason.set_text_content(why);
            set_attr(&reason, "hidden", why.is_none().then_some(""));
            input.set_disabled(why.is_some());
            set_attr(&send_button, "disabled", why.is_some().then_some(""));
            for tool in &tools {
                set_attr(tool, "disabled", why.is_some().then_some(""));
            }
            set_attr(&input, "aria-describedby", why.is_some().then_some("composer-reason"));
        });
    }
    // Opening a conversation on screen puts the cursor in its message box.
    {
        let input = input.clone();
        effect(move || {
            chat.active.with(|a| a.as_ref().map(|p| p.conversation_id.clone()));
            notice.set_text_content(None);
            if chat.visible.get_untracked() {
                let input = input.clone();
                request_animation_frame(move || {
                    let _ = input.focus();
                });
            }
        });
    }

    let send = {
        let input = input.clone();
        move || {
            let text = input.value();
            if text.trim().is_empty() || chat.cannot_write().is_some() {
                return;
            }
            chat.send_text(&text);
            input.set_value("");
            last_typing.set_value(0.0);
            let _ = input.unchecked_ref::<HtmlElement>().focus();
        }
    };
    let submit = send.clone();
    on(&form, "submit", move |event: Event| {
        event.prevent_default();
        submit();
    });
    on(&input, "keydown", move |event: KeyboardEvent| {
        if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
            event.prevent_default();
            send();
        }
    });
    on(&input, "input", move |_: Event| {
        let now = js_sys::Date::now();
        if now - last_typing.get_value() > TYPING_EVERY_MS {
            last_typing.set_value(now);
            chat.typing(true);
        }
    });
    on(&input, "blur", move |_: Event| chat.typing(false));
    form
}
