//! Webhooks: the app's events POSTed to a URL. Create, edit (URL, triggers, basic auth), enable or
//! disable, the signing secret, delete, and a link to the delivery log.

use confab_protocol::rest::webhooks::{CreateWebhook, UpdateWebhook, Webhook, WebhookTrigger};
use leptos::prelude::*;

use crate::api;
use crate::components::{confirm, loaded, run, Busy, Checkbox, ErrorBox, Notice, RevealSecret, Submit, TextField};
use crate::components::form::next_id;
use crate::format::utc;
use crate::pages::bots::filled;
use crate::route::{AppPage, Route};

/// The triggers checked in a set of checkboxes.
fn chosen(boxes: &[(WebhookTrigger, RwSignal<bool>)]) -> Vec<WebhookTrigger> {
    boxes.iter().filter(|(_, on)| on.get_untracked()).map(|(t, _)| *t).collect()
}

/// A checkbox per trigger, in a fieldset.
#[component]
fn TriggerBoxes(boxes: Vec<(WebhookTrigger, RwSignal<bool>)>) -> impl IntoView {
    view! {
        <fieldset class="sub triggers">
            <legend>"Events to send"</legend>
            {boxes.into_iter().map(|(trigger, on)| {
                let id = next_id("trigger");
                view! {
                    <div class="field check">
                        <input type="checkbox" id=id.clone() prop:checked=move || on.get() on:change=move |ev| on.set(event_target_checked(&ev)) />
                        <label for=id class="mono">{trigger.as_str()}</label>
                    </div>
                }
            }).collect_view()}
        </fieldset>
    }
}

fn trigger_boxes(on: &[WebhookTrigger]) -> Vec<(WebhookTrigger, RwSignal<bool>)> {
    WebhookTrigger::ALL.iter().map(|t| (*t, RwSignal::new(on.contains(t)))).collect()
}

/// The webhooks page.
#[component]
pub fn WebhooksPage(app: String) -> impl IntoView {
    let path = api::v3(&app, "/webhooks");
    // Bumped by every change made on the page: the list reloads.
    let changed = RwSignal::new(0u32);
    let hooks = LocalResource::new(move || {
        changed.track();
        let path = path.clone();
        async move { api::get::<Vec<Webhook>>(&path).await }
    });
    view! {
        <h1>"Webhooks"</h1>
        <p>"A webhook receives the app's events (messages, receipts, group changes, presence) as signed POSTs."</p>
        <section aria-labelledby="hooks-list">
            <h2 id="hooks-list">"Webhooks of this app"</h2>
            {
                let app = app.clone();
                loaded(hooks, move |list: Vec<Webhook>| {
                    if list.is_empty() {
                        return view! { <p>"No webhook yet."</p> }.into_any();
                    }
                    let app = app.clone();
                    view! {
                        <ul class="cards">
                            {list.into_iter().map(|h| view! { <HookCard app=app.clone() hook=h changed=changed /> }).collect_view()}
                        </ul>
                    }
                    .into_any()
                })
            }
        </section>
        <CreateHookForm app=app changed=changed />
    }
}

#[component]
fn HookCard(app: String, hook: Webhook, changed: RwSignal<u32>) -> impl IntoView {
    let path = api::v3(&app, &format!("/webhooks/{}", api::seg(&hook.id)));
    let name = RwSignal::new(hook.name.clone());
    let url = RwSignal::new(hook.url.clone());
    let enabled = RwSignal::new(hook.enabled);
    let basic = RwSignal::new(hook.use_basic_auth);
    let username = RwSignal::new(hook.username.clone().unwrap_or_default());
    let password = RwSignal::new(String::new());
    let boxes = trigger_boxes(&hook.triggers);
    let state = Busy::new();
    let done = RwSignal::new(None::<String>);
    let save = {
        let (path, boxes) = (path.clone(), boxes.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let with_basic = basic.get_untracked();
            let body = UpdateWebhook {
                name: filled(&name.get_untracked()),
                url: Some(url.get_untracked().trim().to_owned()),
                enabled: Some(enabled.get_untracked()),
                triggers: Some(chosen(&boxes)),
                use_basic_auth: Some(with_basic),
                username: if with_basic { filled(&username.get_untracked()) } else { None },
                password: if with_basic { filled(&password.get_untracked()) } else { None },
            };
            let path = path.clone();
            done.set(None);
            run(state, async move { api::put::<Webhook>(&path, &body).await }, move |_| {
                password.set(String::new());
                done.set(Some("Saved.".into()));
                changed.update(|n| *n += 1);
            });
        }
    };
    let remove = {
        let (path, id) = (path.clone(), hook.id.clone());
        move |_| {
            if !confirm(&format!("Delete the webhook {id}? Its pending deliveries are dropped.")) {
                return;
            }
            let path = path.clone();
            run(state, async move { api::delete(&path, None).await }, move |_| changed.update(|n| *n += 1));
        }
    };
    let log = Route::app(&app, AppPage::Deliveries(Some(hook.id.clone())));
    let triggers = if hook.triggers.is_empty() {
        "no events yet".to_owned()
    } else {
        hook.triggers.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
    };
    view! {
        <li class="card">
            <h3>{hook.name.clone()}{(!hook.enabled).then(|| view! { <span class="badge muted">"disabled"</span> })}</h3>
            <dl class="facts">
                <dt>"Id"</dt><dd class="mono">{hook.id.clone()}</dd>
                <dt>"URL"</dt><dd class="wrap">{hook.url.clone()}</dd>
                <dt>"Events"</dt><dd class="wrap">{triggers}</dd>
                <dt>"Made"</dt><dd>{utc(hook.created_at)}</dd>
            </dl>
            <RevealSecret label="Signing secret" value=hook.signing_secret.clone() />
            <details>
                <summary>{format!("Edit {}", hook.name)}</summary>
                <form on:submit=save novalidate>
                    <TextField label="Name" value=name error=state.field_error("name") />
                    <TextField label="URL" value=url input_type="url" required=true error=state.field_error("url") />
                    <Checkbox label="Enabled (send events)" checked=enabled />
                    <TriggerBoxes boxes=boxes />
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
                <button type="button" class="danger" on:click=remove>"Delete" <span class="visually-hidden">{format!(" webhook {}", hook.id)}</span></button>
            </div>
        </li>
    }
}

#[component]
fn CreateHookForm(app: String, changed: RwSignal<u32>) -> impl IntoView {
    let id = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let enabled = RwSignal::new(true);
    let basic = RwSignal::new(false);
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let boxes = trigger_boxes(&[WebhookTrigger::MessageSent]);
    let state = Busy::new();
    let path = api::v3(&app, "/webhooks");
    let submit = {
        let boxes = boxes.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let with_basic = basic.get_untracked();
            let body = CreateWebhook {
                id: id.get_untracked().trim().to_owned(),
                name: filled(&name.get_untracked()),
                url: url.get_untracked().trim().to_owned(),
                enabled: Some(enabled.get_untracked()),
                triggers: chosen(&boxes),
                use_basic_auth: Some(with_basic),
                username: if with_basic { filled(&username.get_untracked()) } else { None },
                password: if with_basic { filled(&password.get_untracked()) } else { None },
            };
            let path = path.clone();
            run(state, async move { api::post::<Webhook>(&path, &body).await }, move |_| {
                for field in [id, name, url, username, password] {
                    field.set(String::new());
                }
                changed.update(|n| *n += 1);
            });
        }
    };
    view! {
        <section aria-labelledby="hooks-create">
            <h2 id="hooks-create">"Create a webhook"</h2>
            <form on:submit=submit novalidate>
                <TextField label="Id" value=id required=true help="Letters, digits, _ and -; unique in the app." error=state.field_error("id") />
                <TextField label="Name" value=name help="Defaults to the id." error=state.field_error("name") />
                <TextField label="URL" value=url input_type="url" required=true placeholder="https://example.com/confab-events" error=state.field_error("url") />
                <Checkbox label="Enabled (send events)" checked=enabled />
                <TriggerBoxes boxes=boxes />
                <Checkbox label="Send HTTP basic auth" checked=basic />
                {move || basic.get().then(|| view! {
                    <TextField label="Basic-auth user name" value=username error=state.field_error("username") />
                    <TextField label="Basic-auth password" value=password input_type="password" autocomplete="new-password" error=state.field_error("password") />
                })}
                <ErrorBox error=state.error />
                <Submit label="Create the webhook" busy=state.busy />
            </form>
        </section>
    }
}
