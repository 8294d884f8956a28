//! The message box: multi-line; Enter sends, Shift+Enter starts a new line; typing is announced to the
//! other side at most every few seconds. Disabled, with the reason shown, where the visitor cannot write:
//! the session has ended, the group is for members only, or one side blocked the other.

use leptos::html::Textarea;
use leptos::prelude::*;
use web_sys::KeyboardEvent;

use crate::chat::Chat;

/// Least time between two "typing started" frames, in ms.
const TYPING_EVERY_MS: f64 = 3000.0;

/// The composer for the open conversation.
#[component]
pub fn Composer(chat: Chat) -> impl IntoView {
    let t = chat.text;
    let input = NodeRef::<Textarea>::new();
    let draft = RwSignal::new(String::new());
    let last_typing = StoredValue::new(0.0f64);
    let reason = move || chat.cannot_write();
    let disabled = move || reason().is_some();
    // Opening a conversation on screen puts the cursor in its message box.
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            if chat.visible.get_untracked() {
                let _ = el.focus();
            }
        }
    });

    let send = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() || disabled() {
            return;
        }
        chat.send_text(&text);
        draft.set(String::new());
        last_typing.set_value(0.0);
        if let Some(el) = input.get() {
            el.set_value("");
            let _ = el.focus();
        }
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    let on_input = move |ev| {
        draft.set(event_target_value(&ev));
        let now = js_sys::Date::now();
        if now - last_typing.get_value() > TYPING_EVERY_MS {
            last_typing.set_value(now);
            chat.typing(true);
        }
    };

    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
            {move || reason().map(|why| view! { <p class="composer-reason" id="composer-reason">{why}</p> })}
            <textarea node_ref=input rows="1" aria-label=t.message placeholder=t.placeholder
                prop:disabled=disabled
                aria-describedby=move || disabled().then_some("composer-reason")
                on:keydown=on_keydown on:input=on_input on:blur=move |_| chat.typing(false)></textarea>
            <button type="submit" class="send" aria-label=t.send prop:disabled=disabled>
                <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M3 20l18-8L3 4v6l12 2-12 2z"/></svg>
            </button>
        </form>
    }
}
