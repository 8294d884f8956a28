//! An app's keys: the list (by id and name, never the secret), creating one (its secret shown once) and
//! revoking one (it stops working at once).

use confab_protocol::console::{ApiKeyInfo, CreateKeyRequest, CreatedKey, KeyScope, NAME_MAX_CHARS};
use leptos::prelude::*;

use crate::api;
use crate::components::{confirm, loaded, run, Busy, ErrorBox, Notice, SecretOnce, SelectField, Submit, TextField};
use crate::format::utc;
use crate::state::Console;

/// A scope for people.
fn scope_label(scope: KeyScope) -> &'static str {
    match scope {
        KeyScope::AuthOnly => "Auth only (sign-in; safe in web pages)",
        KeyScope::FullAccess => "Full access (REST API; your backend only)",
    }
}

/// The keys page.
#[component]
pub fn KeysPage(app: String) -> impl IntoView {
    let console = Console::get();
    let path = api::app_path(&app, "/keys");
    let keys = {
        let path = path.clone();
        LocalResource::new(move || {
            let path = path.clone();
            async move { api::get::<Vec<ApiKeyInfo>>(&path).await }
        })
    };
    let name = RwSignal::new(String::new());
    let scope = RwSignal::new(KeyScope::AuthOnly.as_str().to_owned());
    let state = Busy::new();
    let created = RwSignal::new(None::<CreatedKey>);
    let submit = {
        let path = path.clone();
        let app = app.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = CreateKeyRequest {
                name: name.get_untracked().trim().to_owned(),
                scope: KeyScope::parse(&scope.get_untracked()).unwrap_or(KeyScope::AuthOnly),
            };
            let path = path.clone();
            let app = app.clone();
            run(state, async move { api::post::<CreatedKey>(&path, &body).await }, move |answer| {
                if answer.key.scope == KeyScope::AuthOnly {
                    console.remember_auth_key(&app, &answer.secret);
                }
                name.set(String::new());
                created.set(Some(answer));
                keys.refetch();
            });
        }
    };
    let revoke_state = Busy::new();
    let revoked = RwSignal::new(None::<String>);
    let revoke = {
        let path = path.clone();
        move |key: ApiKeyInfo| {
            if !confirm(&format!("Revoke the key \u{201c}{}\u{201d}? Everything that uses it stops working at once.", key.name)) {
                return;
            }
            let target = format!("{path}/{}", api::seg(&key.id));
            run(revoke_state, async move { api::delete(&target, None).await }, move |_| {
                revoked.set(Some(format!("The key \u{201c}{}\u{201d} is revoked.", key.name)));
                keys.refetch();
            });
        }
    };
    let scopes = [KeyScope::AuthOnly, KeyScope::FullAccess].map(|s| (s.as_str().to_owned(), scope_label(s).to_owned())).to_vec();

    view! {
        <h1>"Keys"</h1>
        <section aria-labelledby="keys-list">
            <h2 id="keys-list">"Keys of this app"</h2>
            <ErrorBox error=revoke_state.error />
            <Notice message=revoked />
            {loaded(keys, move |list: Vec<ApiKeyInfo>| {
                let revoke = revoke.clone();
                if list.is_empty() {
                    return view! { <p>"No key: create one below."</p> }.into_any();
                }
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label="Keys">
                        <table>
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Scope"</th>
                                    <th scope="col">"Id"</th>
                                    <th scope="col">"Created"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {list
                                    .into_iter()
                                    .map(|key| {
                                        let revoke = revoke.clone();
                                        let k = key.clone();
                                        view! {
                                            <tr>
                                                <td>{key.name.clone()}</td>
                                                <td>{scope_label(key.scope)}</td>
                                                <td class="mono">{key.id.clone()}</td>
                                                <td>{utc(key.created_at)}</td>
                                                <td>
                                                    <button type="button" class="danger" on:click=move |_| revoke(k.clone())>
                                                        "Revoke" <span class="visually-hidden">{format!(" {}", key.name)}</span>
                                                    </button>
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            })}
        </section>
        <section aria-labelledby="keys-create">
            <h2 id="keys-create">"Create a key"</h2>
            <form on:submit=submit novalidate>
                <TextField
                    label="Name"
                    value=name
                    required=true
                    maxlength={NAME_MAX_CHARS as u32}
                    help="A key of this app with the same name is replaced (and stops working)."
                    error=state.field_error("name")
                />
                <SelectField label="Scope" value=scope options=scopes error=state.field_error("scope") />
                <ErrorBox error=state.error />
                <Submit label="Create the key" busy=state.busy />
            </form>
            {move || created.get().map(|c| view! {
                <div class="panel" role="region" aria-label="The new key">
                    <SecretOnce label=format!("{} ({})", c.key.name, c.key.scope.as_str()) value=c.secret.clone() />
                </div>
            })}
        </section>
    }
}
