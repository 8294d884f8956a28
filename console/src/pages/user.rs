//! One user: profile, sign-in tokens, devices online now, conversations; deactivate, reactivate, delete.

use confab_protocol::console::UserDevices;
use confab_protocol::rest::conversations::{Conversation, ConversationWith};
use confab_protocol::rest::users::{AuthToken, User};
use confab_protocol::rest::Page;
use leptos::prelude::*;
use serde_json::{json, Value};

use crate::api;
use crate::components::{confirm, loaded, run, Busy, ErrorBox, Notice};
use crate::format::{utc, utc_opt};
use crate::route::{AppPage, Route};
use crate::state::navigate;

/// The user page.
#[component]
pub fn UserPage(app: String, uid: String) -> impl IntoView {
    let user_path = api::v3(&app, &format!("/users/{}", api::seg(&uid)));
    // Bumped by each change to the user: the profile reloads.
    let changed = RwSignal::new(0u32);
    let user = {
        let path = user_path.clone();
        LocalResource::new(move || {
            changed.track();
            let path = path.clone();
            async move { api::get::<User>(&path).await }
        })
    };
    let back = Route::app(&app, AppPage::Users);
    view! {
        <p class="crumbs"><a href=back>"Users"</a></p>
        {loaded(user, move |u| view! { <Profile app=app.clone() user=u on_change=changed /> })}
    }
}

#[component]
fn Profile(app: String, user: User, on_change: RwSignal<u32>) -> impl IntoView {
    let uid = user.uid.clone();
    let state = Busy::new();
    let done = RwSignal::new(None::<String>);
    let deactivated = user.deactivated_at.is_some();
    let toggle = {
        let (app, uid) = (app.clone(), uid.clone());
        move |_| {
            let path = api::v3(&app, "/users");
            let uid = uid.clone();
            if deactivated {
                run(state, async move { api::put::<Value>(&path, &json!({ "uidsToActivate": [uid] })).await }, move |_| {
                    done.set(Some("Reactivated.".into()));
                    on_change.update(|n| *n += 1);
                });
            } else {
                if !confirm(&format!("Deactivate {uid}? They are signed out everywhere and can no longer sign in or be messaged.")) {
                    return;
                }
                let body = json!({ "uidsToDeactivate": [uid] });
                run(state, async move { api::send::<Value>("DELETE", &path, Some(body), None).await }, move |_| {
                    done.set(Some("Deactivated.".into()));
                    on_change.update(|n| *n += 1);
                });
            }
        }
    };
    let delete = {
        let (app, uid) = (app.clone(), uid.clone());
        move |_| {
            if !confirm(&format!("Delete {uid} for good? Their tokens, memberships and friends go; what they wrote becomes tombstones.")) {
                return;
            }
            let path = api::v3(&app, &format!("/users/{}", api::seg(&uid)));
            let app = app.clone();
            run(state, async move { api::delete(&path, Some(&json!({ "permanent": true }))).await }, move |_| {
                navigate(&Route::app(&app, AppPage::Users));
            });
        }
    };
    let facts = [
        ("uid", user.uid.clone()),
        ("Role", user.role.clone()),
        ("Status", if deactivated { format!("deactivated {}", utc_opt(user.deactivated_at)) } else { user.status.clone() }),
        ("Last active", utc_opt(user.last_active_at)),
        ("Created", utc(user.created_at)),
        ("Avatar", user.avatar.clone().unwrap_or_else(|| "—".into())),
        ("Profile link", user.link.clone().unwrap_or_else(|| "—".into())),
        ("Tags", if user.tags.is_empty() { "—".into() } else { user.tags.join(", ") }),
        ("Metadata", user.metadata.as_ref().map(|m| m.to_string()).unwrap_or_else(|| "—".into())),
    ];
    view! {
        <h1>{user.name.clone()}</h1>
        <section aria-labelledby="user-profile">
            <h2 id="user-profile">"Profile"</h2>
            <dl class="facts wide">
                {facts.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd class="wrap">{v}</dd> }).collect_view()}
            </dl>
            <ErrorBox error=state.error />
            <Notice message=done />
            <div class="actions">
                <button type="button" on:click=toggle disabled=move || state.busy.get()>
                    {if deactivated { "Reactivate" } else { "Deactivate" }}
                </button>
                <button type="button" class="danger" on:click=delete disabled=move || state.busy.get()>"Delete the user"</button>
            </div>
        </section>
        <Devices app=app.clone() uid=uid.clone() />
        <Conversations app=app uid=uid />
    }
}

/// Tokens (from `/v3`, with their ids, revocable) and devices (from the console API: last use, online).
#[component]
fn Devices(app: String, uid: String) -> impl IntoView {
    let devices_path = api::app_path(&app, &format!("/users/{}/devices", api::seg(&uid)));
    let tokens_path = api::v3(&app, &format!("/users/{}/auth_tokens", api::seg(&uid)));
    let devices = LocalResource::new(move || {
        let path = devices_path.clone();
        async move { api::get::<UserDevices>(&path).await }
    });
    let tokens = {
        let path = tokens_path.clone();
        LocalResource::new(move || {
            let path = path.clone();
            async move { api::get::<Vec<AuthToken>>(&path).await }
        })
    };
    let state = Busy::new();
    let revoke = move |id: String| {
        if !confirm("Revoke this token? The device using it is signed out at once.") {
            return;
        }
        let path = format!("{tokens_path}/{}", api::seg(&id));
        run(state, async move { api::delete(&path, None).await }, move |_| {
            tokens.refetch();
            devices.refetch();
        });
    };
    view! {
        <section aria-labelledby="user-devices">
            <h2 id="user-devices">"Devices and tokens"</h2>
            {loaded(devices, |d: UserDevices| view! {
                <p>{format!("Sockets open now: {}.", d.online)}</p>
                {(!d.tokens.is_empty()).then(|| view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label="Sign-in devices">
                        <table>
                            <thead><tr><th scope="col">"Signed in"</th><th scope="col">"Last used"</th><th scope="col">"Expires"</th></tr></thead>
                            <tbody>
                                {d.tokens.into_iter().map(|t| view! {
                                    <tr><td>{utc(t.created_at)}</td><td>{utc_opt(t.last_used_at)}</td><td>{t.expires_at.map(utc).unwrap_or_else(|| "never".into())}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                })}
            })}
            <h3>"Tokens made with the REST API"</h3>
            <ErrorBox error=state.error />
            {loaded(tokens, move |list: Vec<AuthToken>| {
                let revoke = revoke.clone();
                if list.is_empty() {
                    return view! { <p>"None."</p> }.into_any();
                }
                view! {
                    <ul class="plain">
                        {list.into_iter().map(|t| {
                            let revoke = revoke.clone();
                            let id = t.id.clone();
                            view! {
                                <li>
                                    <span class="mono">{t.id.clone()}</span>
                                    {format!(" · made {} · expires {}", utc(t.created_at), t.expires_at.map(utc).unwrap_or_else(|| "never".into()))}
                                    " "
                                    <button type="button" class="danger small" on:click=move |_| revoke(id.clone())>
                                        "Revoke" <span class="visually-hidden">{format!(" token {}", t.id)}</span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            })}
        </section>
    }
}

/// The conversation's other side, for a link text.
fn other_side(c: &Conversation) -> String {
    match &c.conversation_with {
        ConversationWith::User(u) => format!("{} ({})", u.name, u.uid),
        ConversationWith::Group(g) => format!("Group {} ({})", g.name, g.guid),
    }
}

/// The user's conversations (the list they see), each linking to the viewer.
#[component]
fn Conversations(app: String, uid: String) -> impl IntoView {
    let path = api::v3(&app, "/conversations?perPage=50");
    let list = LocalResource::new(move || {
        let (path, uid) = (path.clone(), uid.clone());
        async move { api::send::<Page<Conversation>>("GET", &path, None, Some(&uid)).await }
    });
    view! {
        <section aria-labelledby="user-conversations">
            <h2 id="user-conversations">"Conversations"</h2>
            {loaded(list, move |page: Page<Conversation>| {
                if page.data.is_empty() {
                    return view! { <p>"None yet."</p> }.into_any();
                }
                let app = app.clone();
                view! {
                    <ul class="plain">
                        {page.data.into_iter().map(|c| {
                            let href = Route::app(&app, AppPage::Conversation(c.conversation_id.clone()));
                            let last = c.last_message.as_ref().and_then(|m| m.data.text.clone()).unwrap_or_default();
                            view! {
                                <li>
                                    <a href=href>{other_side(&c)}</a>
                                    <span class="muted small">{format!(" · {} · {}", utc(c.updated_at), crate::pages::clip(&last, 80))}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            })}
        </section>
    }
}
