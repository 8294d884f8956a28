//! What every page can reach through the context: the signed-in owner, the current route, the apps, and
//! the auth-only keys created in this session (so "paste this" can fill the snippet in with one).

use std::collections::HashMap;

use confab_protocol::console::{ConsoleApp, ConsoleSession};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::route::Route;

/// Where the sign-in stands.
#[derive(Debug, Clone, PartialEq)]
pub enum SignIn {
    /// Asking the server for the session.
    Checking,
    /// No session: the sign-in page.
    SignedOut,
    /// The server cannot be reached.
    Unreachable(ApiError),
    /// Signed in.
    SignedIn(ConsoleSession),
}

/// The console's shared state.
#[derive(Clone, Copy)]
pub struct Console {
    /// The sign-in.
    pub sign_in: RwSignal<SignIn>,
    /// The page shown.
    pub route: Memo<Route>,
    /// The apps, once loaded.
    pub apps: RwSignal<Option<Result<Vec<ConsoleApp>, ApiError>>>,
    /// Auth-only keys made in this session, by app id.
    pub fresh_auth_keys: RwSignal<HashMap<String, String>>,
}

impl Console {
    /// The console of the context.
    pub fn get() -> Self {
        expect_context()
    }

    /// The app with id `app`, once the apps are loaded.
    pub fn app(self, app: &str) -> Option<ConsoleApp> {
        self.apps.with(|apps| apps.as_ref().and_then(|a| a.as_ref().ok()).and_then(|a| a.iter().find(|x| x.app_id == app).cloned()))
    }

    /// Loads (or reloads) the apps.
    pub fn reload_apps(self) {
        leptos::task::spawn_local(async move {
            let answer = api::get::<Vec<ConsoleApp>>("/apps").await;
            self.apps.set(Some(answer));
        });
    }

    /// Signed in as `session` (from sign-in, the session check, or a password change).
    pub fn signed_in(self, session: ConsoleSession) {
        api::set_csrf(&session.csrf_token);
        self.sign_in.set(SignIn::SignedIn(session));
    }

    /// Forgets the session and everything loaded with it.
    pub fn signed_out(self) {
        api::set_csrf("");
        self.apps.set(None);
        self.fresh_auth_keys.set(HashMap::new());
        self.sign_in.set(SignIn::SignedOut);
    }

    /// Remembers an auth-only key just made for `app`.
    pub fn remember_auth_key(self, app: &str, key: &str) {
        self.fresh_auth_keys.update(|keys| {
            keys.insert(app.to_owned(), key.to_owned());
        });
    }
}

/// Goes to `href` (`#/...`).
pub fn navigate(href: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_hash(href.trim_start_matches('#'));
    }
}

/// The `location.hash` now.
pub fn current_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// The console's own origin (`https://chat.example.com`).
pub fn origin() -> String {
    web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
}
