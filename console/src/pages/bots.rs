//! Bots: a user whose messages are POSTed to a callback URL. Create, edit, enable or disable, the signing
//! secret, delete, and a link to the delivery log.

use confab_protocol::rest::bots::{Bot, CreateBot, GroupChatSetting, UpdateBot};
use confab_protocol::rest::Page;
use leptos::prelude::*;

use crate::api;
use crate::components::{confirm, loaded, run, Busy, Checkbox, ErrorBox, Notice, RevealSecret, SelectField, Submit, TextField};
use crate::format::utc;
use crate::route::{AppPage, Route};

/// For people.
fn group_setting_label(setting: GroupChatSetting) -> &'static str {
    match setting {
        GroupChatSetting::AllMessages => "Every message in its groups",
        GroupChatSetting::SlashedMessages => "Messages starting with /",
        GroupChatSetting::MentionedMessages => "Messages that mention it (@uid)",
        GroupChatSetting::None => "No group messages",
    }
}

fn group_settings() -> Vec<(String, String)> {
    GroupChatSetting::ALL.iter().map(|s| (s.as_str().to_owned(), group_setting_label(*s).to_owned())).collect()
}

/// Some(text) for a filled-in field, None for an empty one (an update leaves it as it is).
pub fn filled(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The bots page.
#[component]
pub fn BotsPage(app: String) -> impl IntoView {
    let path = api::v3(&app, "/bots?perPage=100");
    // Bumped by every change made on the page: the list reloads.
    let changed = RwSignal::new(0u32);
    let bots = LocalResource::new(move || {
        changed.track();
        let path = path.clone();
        async move { api::get_page::<Page<Bot>>(&path).await }
    });
    view! {
        <h1>"Bots"</h1>
        <p>"A bot is a user of the app whose messages Confab POSTs to your callback URL, signed with the bot's signing secret; it answers through the REST API."</p>
        <section aria-labelledby="bots-list">
            <h2 id="bots-list">"Bots of this app"</h2>
            {
                let app = app.clone();
                loaded(bots, move |page: Page<Bot>| {
                    if page.data.is_empty() {
                        return view! { <p>"No bot yet."</p> }.into_any();
                    }
                    let app = app.clone();
                    view! {
                        <ul class="cards">
                            {page.data.into_iter().map(|b| view! { <BotCard app=app.clone() bot=b changed=changed /> }).collect_view()}
                        </ul>
                    }
                    .into_any()
                })
            }
        </section>
        <CreateBotForm app=app changed=changed />
    }
}

#[component]
fn BotCard(app: String, bot: Bot, changed: RwSignal<u32>) -> impl IntoView {
    let path = api::v3(&app, &format!("/bots/{}", api::seg(&bot.uid)));
    let url = RwSignal::new(bot.webhook_url.clone());
    let enabled = RwSignal::new(bot.enabled);
    let setting = RwSignal::new(bot.group_chat_setting.as_str().to_owned());
    let basic = RwSignal::new(bot.use_basic_auth);
    let username = RwSignal::new(bot.username.clone().unwrap_or_default());
    let password = RwSignal::new(String::new());
    let state = Busy::new();
    let done = RwSignal::new(None::<String>);
    let save = {
        let path = path.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = UpdateBot {
                webhook_url: Some(url.get_untracked().trim().to_owned()),
                enabled: Some(enabled.get_untracked()),
                group_chat_setting: GroupChatSetting::parse(&setting.get_untracked()),
                use_basic_auth: Some(basic.get_untracked()),
                username: if basic.get_untracked() { filled(&username.get_untracked()) } else { None },
                password: if basic.get_untracked() { filled(&password.get_untracked()) } else { None },
            };
            let path = path.clone();
            done.set(None);
            run(state, async move { api::put::<Bot>(&path, &body).await }, move |_| {
                password.set(String::new());
                done.set(Some("Saved.".into()));
                changed.update(|n| *n += 1);
            });
        }
    };
    let remove = {
        let (path, uid) = (path.clone(), bot.uid.clone());
        move |_| {
            if !confirm(&format!("Stop {uid} being a bot? The user stays; messages to it are no longer forwarded.")) {
                return;
            }
            let path = path.clone();
            run(state, async move { api::delete(&path, None).await }, move |_| changed.update(|n| *n += 1));
        }
    };
    let log = Route::app(&app, AppPage::Deliveries(Some(bot.uid.clone())));
    view! {
        <li class="card">
            <h3>{bot.uid.clone()}{(!bot.enabled).then(|| view! { <span class="badge muted">"disabled"</span> })}</h3>
            <p class="muted small">{format!("Made {}", utc(bot.created_at))}</p>
            <RevealSecret label="Signing secret" value=bot.signing_secret.clone() />
            <details>
                <summary>{format!("Edit {}", bot.uid)}</summary>
                <form on:submit=save novalidate>
                    <TextField label="Callback URL" value=url input_type="url" required=true error=state.field_error("webhookURL") />
                    <Checkbox label="Enabled (forward messages)" checked=enabled />
                    <SelectField label="Group messages it receives" value=setting options=group_settings() />
                    <Checkbox label="Send HTTP basic auth" checked=basic />
                    {move || basic.get().then(|| view! {
                        <TextField label="Basic-auth user name" value=username error=state.field_error("username") />
                        <TextField label="Basic-auth password" value=password input_type="password" autocomplete="new-password" help="Leave empty to keep the current one." error=state.field_error("password") />
                    })}
                    <ErrorBox error=state.error />
                    <Notice message=done />
                    <Submit label="Save" busy=state.busy />
                </form>
            </details>
            <div class="actions">
                <a href=log>"Delivery log"</a>
                <button type="button" class="danger" on:click=remove>"Remove the bot" <span class="visually-hidden">{format!(" {}", bot.uid)}</span></button>
            </div>
        </li>
    }
}

#[component]
fn CreateBotForm(app: String, changed: RwSignal<u32>) -> impl IntoView {
    let uid = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let enabled = RwSignal::new(true);
    let setting = RwSignal::new(GroupChatSetting::default().as_str().to_owned());
    let basic = RwSignal::new(false);
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let state = Busy::new();
    let path = api::v3(&app, "/bots");
    let users = Route::app(&app, AppPage::Users);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let with_basic = basic.get_untracked();
        let body = CreateBot {
            uid: uid.get_untracked().trim().to_owned(),
            webhook_url: url.get_untracked().trim().to_owned(),
            enabled: Some(enabled.get_untracked()),
            group_chat_setting: GroupChatSetting::parse(&setting.get_untracked()),
            use_basic_auth: Some(with_basic),
            username: if with_basic { filled(&username.get_untracked()) } else { None },
            password: if with_basic { filled(&password.get_untracked()) } else { None },
        };
        let path = path.clone();
        run(state, async move { api::post::<Bot>(&path, &body).await }, move |_| {
            for field in [uid, url, username, password] {
                field.set(String::new());
            }
            changed.update(|n| *n += 1);
        });
    };
    view! {
        <section aria-labelledby="bots-create">
            <h2 id="bots-create">"Make a user a bot"</h2>
            <form on:submit=submit novalidate>
                <TextField label="uid of an existing user" value=uid required=true error=state.field_error("uid") />
                <p class="help">"Create the user first on the " <a href=users>"Users"</a> " page or with the REST API."</p>
                <TextField label="Callback URL" value=url input_type="url" required=true placeholder="https://example.com/bot" error=state.field_error("webhookURL") />
                <Checkbox label="Enabled (forward messages)" checked=enabled />
                <SelectField label="Group messages it receives" value=setting options=group_settings() />
                <Checkbox label="Send HTTP basic auth" checked=basic />
                {move || basic.get().then(|| view! {
                    <TextField label="Basic-auth user name" value=username error=state.field_error("username") />
                    <TextField label="Basic-auth password" value=password input_type="password" autocomplete="new-password" error=state.field_error("password") />
                })}
                <ErrorBox error=state.error />
                <Submit label="Create the bot" busy=state.busy />
            </form>
        </section>
    }
}
