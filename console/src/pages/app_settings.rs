//! An app's settings: its name (console API), uid sign-in policy and visible roles (`/v3/app` through
//! the pass-through), and rotating the identity secret.

use confab_protocol::console::{ConsoleApp, IdentitySecret, RenameAppRequest, NAME_MAX_CHARS};
use confab_protocol::rest::app::{AppSettings, UidSignInPolicy, UpdateAppSettings};
use leptos::prelude::*;

use crate::api;
use crate::components::{confirm, loaded, run, Busy, ErrorBox, Notice, SecretOnce, SelectField, Submit, TextField};
use crate::state::Console;

/// Roles typed one per line or comma-separated, trimmed, without empties.
pub fn parse_roles(text: &str) -> Vec<String> {
    text.split([',', '\n']).map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned).collect()
}

/// The settings page.
#[component]
pub fn AppSettingsPage(app: String) -> impl IntoView {
    let settings_path = api::v3(&app, "/app");
    let settings = {
        let path = settings_path.clone();
        LocalResource::new(move || {
            let path = path.clone();
            async move { api::get::<AppSettings>(&path).await }
        })
    };
    view! {
        <h1>"Settings"</h1>
        <Rename app=app.clone() />
        {loaded(settings, move |s| view! { <SignInSettings path=settings_path.clone() settings=s /> })}
        <IdentitySecretSection app=app />
    }
}

#[component]
fn Rename(app: String) -> impl IntoView {
    let console = Console::get();
    let name = RwSignal::new(String::new());
    {
        let app = app.clone();
        Effect::new(move |_| {
            if let Some(found) = console.app(&app) {
                if name.get_untracked().is_empty() {
                    name.set(found.name);
                }
            }
        });
    }
    let state = Busy::new();
    let done = RwSignal::new(None::<String>);
    let path = api::app_path(&app, "");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = RenameAppRequest { name: name.get_untracked().trim().to_owned() };
        let path = path.clone();
        done.set(None);
        run(state, async move { api::put::<ConsoleApp>(&path, &body).await }, move |app| {
            done.set(Some(format!("Renamed to \u{201c}{}\u{201d}.", app.name)));
            console.reload_apps();
        });
    };
    view! {
        <section aria-labelledby="settings-name">
            <h2 id="settings-name">"Name"</h2>
            <form on:submit=submit novalidate>
                <TextField label="App name" value=name required=true maxlength={NAME_MAX_CHARS as u32} error=state.field_error("name") />
                <p class="muted">"Region: " {move || console.app(&app).map(|a| a.region).unwrap_or_default()} " (fixed when the app was made)"</p>
                <ErrorBox error=state.error />
                <Notice message=done />
                <Submit label="Rename" busy=state.busy />
            </form>
        </section>
    }
}

#[component]
fn SignInSettings(path: String, settings: AppSettings) -> impl IntoView {
    let policy = RwSignal::new(settings.uid_sign_in.as_str().to_owned());
    let roles = RwSignal::new(settings.visible_roles.join("\n"));
    let state = Busy::new();
    let done = RwSignal::new(None::<String>);
    let policies = vec![
        ("verified".to_owned(), "Verified: uid sign-in needs a userHash from your backend (recommended)".to_owned()),
        ("open".to_owned(), "Open: any uid signs in without userHash (development only!)".to_owned()),
        ("off".to_owned(), "Off: no uid sign-in (guest and authToken modes only)".to_owned()),
    ];
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = UpdateAppSettings {
            enforce_identity: None,
            uid_sign_in: UidSignInPolicy::parse(&policy.get_untracked()),
            visible_roles: Some(parse_roles(&roles.get_untracked())),
        };
        let path = path.clone();
        done.set(None);
        run(state, async move { api::put::<AppSettings>(&path, &body).await }, move |saved| {
            policy.set(saved.uid_sign_in.as_str().to_owned());
            roles.set(saved.visible_roles.join("\n"));
            done.set(Some("Saved.".into()));
        });
    };
    view! {
        <section aria-labelledby="settings-signin">
            <h2 id="settings-signin">"Sign-in and visibility"</h2>
            <form on:submit=submit novalidate>
                <SelectField label="uid sign-in" value=policy options=policies error=state.field_error("uidSignIn") />
                {move || (policy.get() == "open").then(|| view! {
                    <p class="warning">"With uid sign-in open, anyone can sign in as any of your users by typing their uid. Use it for development only."</p>
                })}
                <TextField
                    label="Roles every signed-in user sees in the user list"
                    value=roles
                    multiline=true
                    help="One role per line (or separated by commas); at most 25."
                    error=state.field_error("visibleRoles")
                />
                <ErrorBox error=state.error />
                <Notice message=done />
                <Submit label="Save" busy=state.busy />
            </form>
        </section>
    }
}

#[component]
fn IdentitySecretSection(app: String) -> impl IntoView {
    let state = Busy::new();
    let secret = RwSignal::new(None::<String>);
    let path = api::app_path(&app, "/identity-secret");
    let rotate = move |_| {
        if !confirm("Make a new identity secret? The old one stops verifying userHash at once: update your backend right after.") {
            return;
        }
        let path = path.clone();
        run(state, async move { api::post::<IdentitySecret>(&path, &serde_json::json!({})).await }, move |s| {
            secret.set(Some(s.identity_secret));
        });
    };
    view! {
        <section aria-labelledby="settings-secret">
            <h2 id="settings-secret">"Identity secret"</h2>
            <p>
                "Your backend computes each user's " <code>"userHash"</code>
                " with it (uid mode). It never goes into a web page."
            </p>
            <ErrorBox error=state.error />
            <button type="button" class="danger" on:click=rotate disabled=move || state.busy.get()>"Rotate the identity secret"</button>
            {move || secret.get().map(|s| view! { <SecretOnce label="New identity secret" value=s /> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_split_and_trimmed() {
        assert_eq!(parse_roles("admin, support\n\n vip \n"), ["admin", "support", "vip"]);
        assert!(parse_roles("  \n, ").is_empty());
    }
}
