//! Sign-in, and setting a new password (forced after a one-time password, or asked for).

use confab_protocol::console::{ChangePasswordRequest, ConsoleSession, LoginRequest, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{run, Busy, ErrorBox, Notice, Submit, TextField};
use crate::state::{navigate, Console};

/// The sign-in form.
#[component]
pub fn SignInPage() -> impl IntoView {
    let console = Console::get();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let state = Busy::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = LoginRequest { email: email.get_untracked().trim().to_owned(), password: password.get_untracked() };
        run(state, async move { api::post::<ConsoleSession>("/login", &body).await }, move |session| {
            password.set(String::new());
            console.signed_in(session);
        });
    };
    view! {
        <main id="main" class="narrow">
            <h1>"Sign in to the Confab console"</h1>
            <form on:submit=submit novalidate>
                <TextField label="Email" value=email input_type="email" autocomplete="username" required=true error=state.field_error("email") />
                <TextField label="Password" value=password input_type="password" autocomplete="current-password" required=true error=state.field_error("password") />
                <ErrorBox error=state.error />
                <Submit label="Sign in" busy=state.busy />
            </form>
            <p class="help">
                "No account yet? The server's operator makes one with "
                <code>"confab-server owner create --email you@example.com"</code>
                ", which prints a one-time password."
            </p>
        </main>
    }
}

/// The problem with a new password and its confirmation, if any.
pub fn check_new_password(new: &str, again: &str) -> Option<ApiError> {
    let chars = new.chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&chars) {
        return Some(ApiError::invalid("newPassword", format!("The new password must be {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters long.")));
    }
    if new != again {
        return Some(ApiError::invalid("confirmPassword", "The two new passwords differ."));
    }
    None
}

/// Setting a new password. `forced`: right after signing in with a one-time password, before anything else.
#[component]
pub fn PasswordPage(forced: bool) -> impl IntoView {
    let console = Console::get();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let state = Busy::new();
    let done = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        done.set(None);
        if let Some(problem) = check_new_password(&new.get_untracked(), &again.get_untracked()) {
            state.error.set(Some(problem));
            return;
        }
        let body = ChangePasswordRequest { current_password: current.get_untracked(), new_password: new.get_untracked() };
        run(
            state,
            async move {
                api::call("POST", "/password", Some(&body)).await?;
                api::get::<ConsoleSession>("/session").await
            },
            move |session| {
                for field in [current, new, again] {
                    field.set(String::new());
                }
                done.set(Some("Your password is changed.".into()));
                console.signed_in(session);
                if forced {
                    navigate("#/");
                }
            },
        );
    };
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::call::<()>("POST", "/logout", None).await;
            console.signed_out();
        });
    };
    let current_label = if forced { "One-time password" } else { "Current password" };
    let length_help = format!("{PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters.");
    let body = view! {
        <h1>{if forced { "Choose your password" } else { "Change password" }}</h1>
        {forced.then(|| view! {
            <p>"You signed in with a one-time password. Choose your own password to go on."</p>
        })}
        <form on:submit=submit novalidate>
            <TextField
                label=current_label
                value=current
                input_type="password"
                autocomplete="current-password"
                required=true
                error=state.field_error("currentPassword")
            />
            <TextField
                label="New password"
                value=new
                input_type="password"
                autocomplete="new-password"
                required=true
                help=length_help
                error=state.field_error("newPassword")
            />
            <TextField
                label="New password again"
                value=again
                input_type="password"
                autocomplete="new-password"
                required=true
                error=state.field_error("confirmPassword")
            />
            <ErrorBox error=state.error />
            <Notice message=done />
            <Submit label="Save the new password" busy=state.busy />
        </form>
        {forced.then(|| view! { <p><button type="button" on:click=sign_out>"Sign out"</button></p> })}
    };
    // Forced, this is the whole page (no header); otherwise it sits in the console's main region.
    if forced {
        view! { <main id="main" class="narrow">{body}</main> }.into_any()
    } else {
        view! { <div class="narrow">{body}</div> }.into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_are_checked_before_sending() {
        assert_eq!(check_new_password("short", "short").unwrap().field.as_deref(), Some("newPassword"));
        assert_eq!(check_new_password(&"x".repeat(201), &"x".repeat(201)).unwrap().field.as_deref(), Some("newPassword"));
        assert_eq!(check_new_password("long enough pass", "long enough pasS").unwrap().field.as_deref(), Some("confirmPassword"));
        assert!(check_new_password("long enough pass", "long enough pass").is_none());
    }
}
