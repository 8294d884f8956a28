//! The message box: multi-line; Enter sends, Shift+Enter starts a new line; typing is announced to the
//! other side at most every few seconds. Disabled, with the reason shown, where the visitor cannot write:
//! the session has ended, the group is for members only, or one side blocked the other. Beside the box:
//! attaching files and recording a voice note, where the variant allows them (see [`super::attach`]).
//!
//! Above the box, while the visitor replies to a message or edits one of theirs, a line says which (with
//! the quoted excerpt) and offers Cancel; Escape cancels too. Up in an empty box edits the visitor's last
//! message. In a group, `@` offers its members to mention (see [`super::mentions`]).

use leptos::prelude::*;
use crate::components::reactive::effect;
use wasm_bindgen::JsCast;
use web_sys::{Event, HtmlElement, HtmlTextAreaElement, KeyboardEvent};

use super::attach::{attach_button, notice, take_pasted_files, voice_button};
use super::dom::{append, el, on, set_attr};
use super::mentions::mention_picker;
use super::quote::excerpt;
use crate::chat::{Chat, Compose};
use crate::i18n::fill;

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
    let (context, context_text, cancel_button) = context_line(chat);
    append(&form, &reason);
    append(&form, &notice);
    append(&form, &context);
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

    let mentions = mention_picker(chat, &form, &input);
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

    // Replying or editing: the line says so; an edit starts from the message's text.
    {
        let input = input.clone();
        effect(move || {
            let composing = chat.composing.get();
            let said = match &composing {
                Compose::New => None,
                Compose::Reply(message) => Some(fill(t.replying_to, &format!("{}: {}", chat.name_of(&message.sender), excerpt(chat, message)))),
                Compose::Edit(_) => Some(t.editing.to_owned()),
            };
            set_attr(&context, "hidden", said.is_none().then_some(""));
            context_text.set_text_content(said.as_deref());
            if let Compose::Edit(message) = &composing {
                mentions.clear();
                input.set_value(&mentions.decode(chat, message.data.text.as_deref().unwrap_or_default()));
            }
            if !matches!(composing, Compose::New) {
                let _ = input.focus();
            }
        });
    }

    let send = {
        let input = input.clone();
        move || {
            let text = mentions.encode(input.value().trim());
            if let Compose::Edit(message) = chat.composing.get_untracked() {
                if !text.is_empty() && Some(text.as_str()) != message.data.text.as_deref() {
                    chat.edit(&message.id, &text);
                }
                chat.composing.set(Compose::New);
                input.set_value("");
                mentions.clear();
                return;
            }
            if text.is_empty() || chat.cannot_write().is_some() {
                return;
            }
            chat.send_text(&text);
            input.set_value("");
            mentions.clear();
            last_typing.set_value(0.0);
            let _ = input.unchecked_ref::<HtmlElement>().focus();
        }
    };
    let submit = send.clone();
    on(&form, "submit", move |event: Event| {
        event.prevent_default();
        submit();
    });
    let keys = input.clone();
    on(&input, "keydown", move |event: KeyboardEvent| {
        if event.is_composing() {
            return;
        }
        match event.key().as_str() {
            "Enter" if !event.shift_key() => {
                event.prevent_default();
                send();
            }
            "Escape" if chat.composing.get_untracked() != Compose::New => {
                // Handled here: the docked panel would close on Escape.
                event.prevent_default();
                event.stop_propagation();
                cancel(chat, &keys);
            }
            "ArrowUp" if keys.value().is_empty() => {
                if let Some(message) = chat.last_editable() {
                    event.prevent_default();
                    chat.composing.set(Compose::Edit(message));
                }
            }
            _ => {}
        }
    });
    let input_box = input.clone();
    on(&cancel_button, "click", move |_: Event| cancel(chat, &input_box));
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

/// Gives the keyboard focus to the open conversation's message box (after the control that had it went).
pub fn focus_message_box() {
    if let Ok(Some(input)) = document().query_selector(".composer textarea") {
        let _ = input.unchecked_into::<HtmlElement>().focus();
    }
}

/// Ends a reply or an edit: the box is empty again after an edit, and keeps the focus.
fn cancel(chat: Chat, input: &HtmlTextAreaElement) {
    if matches!(chat.composing.get_untracked(), Compose::Edit(_)) {
        input.set_value("");
    }
    chat.composing.set(Compose::New);
    let _ = input.focus();
}

/// The line above the box while replying or editing (hidden otherwise), the element of its words, and its
/// Cancel button.
fn context_line(chat: Chat) -> (web_sys::Element, web_sys::Element, web_sys::Element) {
    let line = el("div", "composer-context");
    let _ = line.set_attribute("hidden", "");
    let words = el("span", "context-text");
    let cancel = super::dom::button("context-cancel", chat.text.cancel);
    cancel.set_inner_html(r#"<span aria-hidden="true">×</span>"#);
    append(&line, &words);
    append(&line, &cancel);
    (line, words, cancel)
}
