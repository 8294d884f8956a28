//! The chat panel: a header (back, title, new conversation, and — docked — close), the connection banner,
//! the conversation list, and the open conversation. A narrow panel shows one pane at a time; a wide one
//! (600 px and more) shows both.

use confab_protocol::widget_config::WidgetConfig;
use leptos::prelude::*;

use super::composer::Composer;
use super::conversations::{ConversationList, NewConversation};
use super::messages::MessageLog;
use crate::chat::{Chat, Link};

/// The panel of a signed-in visitor. `on_close` asks the loader to close a docked panel.
#[component]
pub fn Panel(config: WidgetConfig, chat: Chat, on_close: Callback<()>) -> impl IntoView {
    let t = chat.text;
    let picking = RwSignal::new(false);
    let title = move || {
        if picking.get() {
            t.new_conversation.to_owned()
        } else {
            chat.active.get().map(|p| p.name).unwrap_or_else(|| t.chat.to_owned())
        }
    };
    let banner = move || match chat.link.get() {
        Link::Offline => Some((t.offline, "banner offline")),
        Link::Restored => Some((t.back_online, "banner restored")),
        Link::Ended => Some((t.sign_in_failed, "banner offline")),
        _ => None,
    };
    view! {
        <section class="panel" class:docked=config.is_docked class:has-active=move || chat.active.with(Option::is_some) && !picking.get()
            aria-label=t.chat>
            <header class="panel-header">
                <Show when=move || chat.active.with(Option::is_some) || picking.get()>
                    <button type="button" class="icon back" aria-label=t.back
                        on:click=move |_| { picking.set(false); chat.active.set(None); }>
                        <span aria-hidden="true">"‹"</span>
                    </button>
                </Show>
                <h1 class="panel-title">{title}</h1>
                <button type="button" class="icon new" aria-label=t.new_conversation aria-pressed=move || picking.get().to_string()
                    on:click=move |_| picking.update(|p| *p = !*p)>
                    <span aria-hidden="true">"+"</span>
                </button>
                {config.is_docked.then(|| view! {
                    <button class="icon panel-close" type="button" aria-label=t.close_chat on:click=move |_| on_close.run(())>
                        <span aria-hidden="true">"×"</span>
                    </button>
                })}
            </header>
            <p class="banner-slot" role="status">
                {move || banner().map(|(text, class)| view! { <span class=class>{text}</span> })}
            </p>
            <div class="panes">
                <div class="list-pane">
                    {move || if picking.get() {
                        view! { <NewConversation chat=chat on_done=Callback::new(move |()| picking.set(false)) /> }.into_any()
                    } else {
                        view! { <ConversationList chat=chat /> }.into_any()
                    }}
                </div>
                <div class="chat-pane">
                    <Show when=move || chat.active.with(Option::is_some) fallback=move || view! { <p class="empty">{t.no_conversations}</p> }>
                        <MessageLog chat=chat />
                        <Composer chat=chat />
                    </Show>
                </div>
            </div>
        </section>
    }
}
