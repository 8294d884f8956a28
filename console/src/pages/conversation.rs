//! A conversation, read-only, newest page first with "older messages"; a message can be deleted
//! (moderation). Nothing is sent from here.

use confab_protocol::rest::messages::{Category, Message, MessagePage};
use leptos::prelude::*;

use crate::api;
use crate::components::{confirm, run, Busy, ErrorBox, Loading};
use crate::format::{query, utc};
use crate::route::{AppPage, Route};

/// Messages per page.
const LIMIT: u32 = 50;

/// What a message says, in a line of text.
pub fn summary(m: &Message) -> String {
    if m.deleted_at.is_some() {
        return format!("(deleted by {})", m.deleted_by.as_deref().unwrap_or("someone"));
    }
    match m.category {
        Category::Action => {
            let action = m.data.action.clone().unwrap_or_default();
            let entities = m.data.entities.as_ref().map(|e| e.to_string()).unwrap_or_default();
            format!("[{action}] {entities}")
        }
        Category::Custom => format!("[custom {}] {}", m.message_type, m.data.custom_data.as_ref().map(|d| d.to_string()).unwrap_or_default()),
        Category::Call => format!("[call {}]", m.message_type),
        Category::Message => {
            let mut text = m.data.text.clone().unwrap_or_default();
            for a in m.data.attachments.iter().flatten() {
                let name = a.name.clone().unwrap_or_else(|| a.url.clone());
                text.push_str(&format!(" [{}: {name}]", m.message_type));
            }
            text
        }
    }
}

/// The conversation page.
#[component]
pub fn ConversationPage(app: String, id: String) -> impl IntoView {
    let messages = RwSignal::new(Vec::<Message>::new());
    let older = RwSignal::new(None::<String>);
    let loaded_once = RwSignal::new(false);
    let load = Busy::new();
    let fetch = {
        let (app, id) = (app.clone(), id.clone());
        move |before: Option<String>| {
            let q = query(&[
                ("conversationId", id.clone()),
                ("limit", LIMIT.to_string()),
                ("affix", "prepend".into()),
                ("id", before.unwrap_or_default()),
            ]);
            let path = api::v3(&app, &format!("/messages{q}"));
            run(load, async move { api::get_page::<MessagePage>(&path).await }, move |page| {
                older.set(page.meta.next.and_then(|n| n.id));
                messages.update(|list| {
                    let mut page = page.data;
                    page.append(list);
                    *list = page;
                });
                loaded_once.set(true);
            });
        }
    };
    fetch(None);
    let delete_state = Busy::new();
    let delete = {
        let app = app.clone();
        move |m: Message| {
            if !confirm(&format!("Delete this message from {}? Everybody in the conversation sees it deleted.", m.sender)) {
                return;
            }
            let path = api::v3(&app, &format!("/messages/{}", api::seg(&m.id)));
            run(delete_state, async move { api::send::<api::Data<Message>>("DELETE", &path, None, None).await }, move |answer| {
                let gone = answer.data;
                messages.update(|list| {
                    if let Some(slot) = list.iter_mut().find(|x| x.id == gone.id) {
                        *slot = gone;
                    }
                });
            });
        }
    };
    let back = if id.starts_with("group_") {
        Route::app(&app, AppPage::Group(id.trim_start_matches("group_").to_owned()))
    } else {
        Route::app(&app, AppPage::Users)
    };
    let back_label = if id.starts_with("group_") { "The group" } else { "Users" };
    let more = fetch.clone();

    view! {
        <p class="crumbs"><a href=back>{back_label}</a></p>
        <h1>"Conversation " <span class="mono">{id.clone()}</span></h1>
        <p class="muted">"Read-only. Deleting a message is recorded as an action in the conversation."</p>
        <ErrorBox error=load.error />
        <ErrorBox error=delete_state.error />
        {move || older.get().map(|before| {
            let more = more.clone();
            view! {
                <button type="button" on:click=move |_| more(Some(before.clone())) disabled=move || load.busy.get()>"Older messages"</button>
            }
        })}
        {move || (!loaded_once.get() && load.busy.get()).then(|| view! { <Loading /> })}
        {move || (loaded_once.get() && messages.with(Vec::is_empty)).then(|| view! { <p>"No messages."</p> })}
        <ol class="messages" aria-label="Messages, oldest first">
            {
                let delete = delete.clone();
                move || {
                    let delete = delete.clone();
                    messages
                        .get()
                        .into_iter()
                        .map(|m| {
                            let delete = delete.clone();
                            let deletable = m.deleted_at.is_none() && m.category != Category::Action;
                            let text = summary(&m);
                            let who = m.sender.clone();
                            let when = utc(m.sent_at);
                            let edited = m.edited_at.map(|_| " · edited");
                            let target = m.clone();
                            let class = if m.deleted_at.is_some() { "message deleted" } else { "message" };
                            view! {
                                <li class=class>
                                    <p class="meta small">
                                        <strong>{who}</strong>
                                        <span class="muted">{format!(" · {when}")}{edited}{format!(" · #{}", m.id)}</span>
                                    </p>
                                    <p class="body">{text}</p>
                                    {deletable.then(|| view! {
                                        <button type="button" class="danger small" on:click=move |_| delete(target.clone())>
                                            "Delete" <span class="visually-hidden">{format!(" message {}", m.id)}</span>
                                        </button>
                                    })}
                                </li>
                            }
                        })
                        .collect_view()
                }
            }
        </ol>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_protocol::rest::messages::{MessageData, ReceiverType};

    fn message(category: Category, data: MessageData) -> Message {
        Message {
            id: "1".into(),
            muid: None,
            conversation_id: "a_user_b".into(),
            sender: "a".into(),
            receiver: "b".into(),
            receiver_type: ReceiverType::User,
            category,
            message_type: "text".into(),
            data,
            tags: vec![],
            ..Default::default()
        }
    }

    #[test]
    fn summarises_each_kind() {
        let text = message(Category::Message, MessageData { text: Some("hi".into()), ..Default::default() });
        assert_eq!(summary(&text), "hi");
        let mut gone = text.clone();
        gone.deleted_at = Some(1);
        gone.deleted_by = Some("mod".into());
        assert_eq!(summary(&gone), "(deleted by mod)");
        let action = message(Category::Action, MessageData { action: Some("joined".into()), ..Default::default() });
        assert_eq!(summary(&action), "[joined] ");
    }
}
