//! "Paste this": the snippet per sign-in mode, filled in with the app's id, region and this server's
//! origin, and the recipes for the site's backend.

use leptos::prelude::*;

use crate::components::{CodeBlock, Loading};
use crate::route::{AppPage, Route};
use crate::snippet::{auth_token_recipe, snippet, user_hash_recipes, SnippetValues, AUTH_KEY_PLACEHOLDER, MODES};
use crate::state::{origin, Console};

/// The paste page.
#[component]
pub fn PastePage(app: String) -> impl IntoView {
    let console = Console::get();
    let values = {
        let app = app.clone();
        Memo::new(move |_| {
            let found = console.app(&app)?;
            let auth_key = console.fresh_auth_keys.with(|k| k.get(&app).cloned()).unwrap_or_else(|| AUTH_KEY_PLACEHOLDER.to_owned());
            Some(SnippetValues { origin: origin(), app_id: found.app_id, region: found.region, auth_key })
        })
    };
    let mode = RwSignal::new("guest".to_owned());
    let keys = Route::app(&app, AppPage::Keys);
    let settings = Route::app(&app, AppPage::Settings);

    view! {
        <h1>"Paste this into your site"</h1>
        {move || values.get().is_none().then(|| view! { <Loading /> })}
        {move || values.get().map(|v| {
            let keyed = v.auth_key != AUTH_KEY_PLACEHOLDER;
            view! {
                <p>
                    {if keyed {
                        "The snippets carry the auth key you created in this session."
                    } else {
                        "Replace AUTH_KEY with an auth-only key of this app: create one on the Keys page and it is filled in here."
                    }}
                    " "
                    <a href=keys.clone()>"Keys"</a>
                </p>
            }
        })}
        <fieldset class="modes">
            <legend>"How visitors sign in"</legend>
            {MODES
                .iter()
                .map(|(value, label, about)| {
                    let id = format!("mode-{value}");
                    view! {
                        <div class="radio">
                            <input
                                type="radio"
                                name="mode"
                                id=id.clone()
                                value=*value
                                prop:checked=move || mode.get() == *value
                                on:change=move |_| mode.set((*value).to_owned())
                            />
                            <label for=id>{*label}<span class="help">" — "{*about}</span></label>
                        </div>
                    }
                })
                .collect_view()}
        </fieldset>
        <section aria-labelledby="paste-snippet">
            <h2 id="paste-snippet">"The snippet"</h2>
            <p class="muted">"Paste the first line into your page's head and the rest into its body."</p>
            <CodeBlock
                what=Signal::derive(move || format!("the {} snippet", mode.get()))
                code=Signal::derive(move || values.get().map(|v| snippet(&mode.get(), &v)).unwrap_or_default())
            />
        </section>
        {move || match mode.get().as_str() {
            "uid" => view! {
                <section aria-labelledby="paste-hash">
                    <h2 id="paste-hash">"userHash, on your backend"</h2>
                    <p>
                        "userHash is the hex HMAC-SHA256 of the lower-cased uid, keyed with the app's identity secret "
                        "(rotate it on the " <a href=settings.clone()>"Settings"</a> " page to see a new one). "
                        "Compute it on your server and put it in the page; never put the secret in a page."
                    </p>
                    {user_hash_recipes()
                        .into_iter()
                        .map(|(language, code)| view! {
                            <h3>{language}</h3>
                            <CodeBlock what=format!("the {language} userHash recipe") code=Signal::derive(move || code.to_owned()) />
                        })
                        .collect_view()}
                </section>
            }
            .into_any(),
            "authToken" => view! {
                <section aria-labelledby="paste-token">
                    <h2 id="paste-token">"The auth token, from your backend"</h2>
                    <p>"Your backend creates a token for the signed-in user with a full-access key and puts it in the page."</p>
                    <CodeBlock
                        what="the auth token recipe"
                        code=Signal::derive(move || values.get().map(|v| auth_token_recipe(&v)).unwrap_or_default())
                    />
                </section>
            }
            .into_any(),
            _ => view! {
                <section aria-labelledby="paste-guest">
                    <h2 id="paste-guest">"Guests"</h2>
                    <p>"Each browser gets its own guest user; the auth-only key in the page can do nothing but sign in."</p>
                </section>
            }
            .into_any(),
        }}
    }
}
