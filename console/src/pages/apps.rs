//! The apps of this server (every owner administers every app) and creating one.

use confab_protocol::console::{ConsoleApp, CreateAppRequest, CreatedApp, NAME_MAX_CHARS};
use leptos::prelude::*;

use crate::api;
use crate::components::{run, Busy, ErrorBox, LoadError, Loading, SecretOnce, Submit, TextField};
use crate::format::utc;
use crate::route::{AppPage, Route};
use crate::state::Console;

/// The list of apps and the create form.
#[component]
pub fn AppsPage() -> impl IntoView {
    let console = Console::get();
    let name = RwSignal::new(String::new());
    let state = Busy::new();
    let created = RwSignal::new(None::<CreatedApp>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateAppRequest { name: name.get_untracked().trim().to_owned() };
        run(state, async move { api::post::<CreatedApp>("/apps", &body).await }, move |answer| {
            console.remember_auth_key(&answer.app.app_id, &answer.auth_key);
            name.set(String::new());
            created.set(Some(answer));
            console.reload_apps();
        });
    };

    view! {
        <h1>"Apps"</h1>
        <p class="muted">"Every owner account of this server administers every app on it."</p>
        <section aria-labelledby="apps-list">
            <h2 id="apps-list">"Your apps"</h2>
            {move || match console.apps.get() {
                None => view! { <Loading /> }.into_any(),
                Some(Err(error)) => view! { <LoadError error=error /> }.into_any(),
                Some(Ok(apps)) if apps.is_empty() => view! { <p>"No app yet: create the first one below."</p> }.into_any(),
                Some(Ok(apps)) => view! { <AppList apps=apps /> }.into_any(),
            }}
        </section>
        <section aria-labelledby="apps-create">
            <h2 id="apps-create">"Create an app"</h2>
            <form on:submit=submit novalidate>
                <TextField label="Name" value=name required=true maxlength={NAME_MAX_CHARS as u32} error=state.field_error("name") />
                <ErrorBox error=state.error />
                <Submit label="Create the app" busy=state.busy />
            </form>
            {move || created.get().map(|c| view! { <Created created=c /> })}
        </section>
    }
}

/// The apps as cards.
#[component]
fn AppList(apps: Vec<ConsoleApp>) -> impl IntoView {
    view! {
        <ul class="cards">
            {apps
                .into_iter()
                .map(|app| {
                    let href = Route::app(&app.app_id, AppPage::Overview);
                    view! {
                        <li class="card">
                            <h3><a href=href>{app.name.clone()}</a></h3>
                            <dl class="facts">
                                <dt>"App ID"</dt>
                                <dd class="mono">{app.app_id.clone()}</dd>
                                <dt>"Region"</dt>
                                <dd>{app.region.clone()}</dd>
                                <dt>"Created"</dt>
                                <dd>{utc(app.created_at)}</dd>
                            </dl>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// The keys of a new app, shown this once.
#[component]
fn Created(created: CreatedApp) -> impl IntoView {
    let paste = Route::app(&created.app.app_id, AppPage::Paste);
    view! {
        <div class="panel" role="region" aria-label="The new app's keys">
            <h3>{format!("{} is ready", created.app.name)}</h3>
            <SecretOnce label="REST API key (full access: your backend only)" value=created.rest_api_key.clone() />
            <SecretOnce label="Auth key (auth only: safe in web pages)" value=created.auth_key.clone() />
            <p>
                <a href=paste>"Paste the snippet into your site"</a>
                " — it is filled in with this auth key for as long as you stay signed in."
            </p>
        </div>
    }
}
