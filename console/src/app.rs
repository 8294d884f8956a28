//! The root: checks the session, then shows the sign-in, the forced password change, or the console
//! with its header, the app's navigation and the page of the route.

use leptos::prelude::*;

use confab_protocol::console::ConsoleSession;

use crate::api;
use crate::components::Loading;
use crate::pages;
use crate::route::{AppPage, Route};
use crate::state::{current_hash, navigate, Console, SignIn};

/// The whole console.
#[component]
pub fn App() -> impl IntoView {
    let hash = RwSignal::new(current_hash());
    let handle = window_event_listener(leptos::ev::hashchange, move |_| hash.set(current_hash()));
    on_cleanup(move || handle.remove());
    let route = Memo::new(move |_| Route::parse(&hash.get()));
    let console = Console {
        sign_in: RwSignal::new(SignIn::Checking),
        route,
        apps: RwSignal::new(None),
        fresh_auth_keys: RwSignal::new(Default::default()),
    };
    provide_context(console);
    api::on_signed_out(move || console.signed_out());
    check_session(console);

    view! {
        {move || match console.sign_in.get() {
            SignIn::Checking => view! { <main id="main" class="narrow"><Loading /></main> }.into_any(),
            SignIn::Unreachable(error) => {
                view! {
                    <main id="main" class="narrow">
                        <h1>"Confab console"</h1>
                        <crate::components::LoadError error=error />
                        <button type="button" on:click=move |_| check_session(console)>"Try again"</button>
                    </main>
                }
                    .into_any()
            }
            SignIn::SignedOut => view! { <pages::sign_in::SignInPage /> }.into_any(),
            SignIn::SignedIn(session) if session.must_change_password => {
                view! { <pages::sign_in::PasswordPage forced=true /> }.into_any()
            }
            SignIn::SignedIn(session) => view! { <Shell session=session /> }.into_any(),
        }}
    }
}

/// Asks the server whether there is a session.
fn check_session(console: Console) {
    console.sign_in.set(SignIn::Checking);
    leptos::task::spawn_local(async move {
        match api::get::<ConsoleSession>("/session").await {
            Ok(session) => console.signed_in(session),
            Err(e) if e.status == 401 => console.signed_out(),
            Err(e) => console.sign_in.set(SignIn::Unreachable(e)),
        }
    });
}

/// Moves the focus to the page's main region (after a navigation, and for the skip link).
fn focus_main() {
    use wasm_bindgen::JsCast;
    let main = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("main"));
    if let Some(main) = main.and_then(|m| m.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = main.focus();
    }
}

/// Sets the document's title.
fn set_title(title: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&format!("{title} · Confab console"));
    }
}

/// The signed-in console: header, navigation, page.
#[component]
fn Shell(session: ConsoleSession) -> impl IntoView {
    let console = Console::get();
    console.reload_apps();
    let route = console.route;

    // A new page: its title (again once the app names are in), and the focus on it (not on the first
    // load: the browser starts there anyway).
    Effect::new(move |_| {
        let title = match route.get() {
            Route::Apps => "Apps".to_owned(),
            Route::Password => "Change password".to_owned(),
            Route::NotFound => "Not found".to_owned(),
            Route::App { app, page } => {
                let name = console.app(&app).map(|a| a.name).unwrap_or(app);
                format!("{} · {name}", page.title())
            }
        };
        set_title(&title);
    });
    Effect::new(move |previous: Option<Route>| {
        let now = route.get();
        if previous.is_some_and(|p| p != now) {
            focus_main();
        }
        now
    });

    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::call::<()>("POST", "/logout", None).await;
            console.signed_out();
            navigate("#/");
        });
    };

    view! {
        <header class="top">
            <a class="skip-link" href="#/" on:click=move |ev| { ev.prevent_default(); focus_main(); }>"Skip to content"</a>
            <a class="brand" href="#/">"Confab console"</a>
            <div class="who">
                <span class="muted small">"Signed in as " {session.email.clone()}</span>
                <a href="#/password">"Change password"</a>
                <button type="button" on:click=sign_out>"Sign out"</button>
            </div>
        </header>
        <div class="layout">
            {move || match route.get() {
                Route::App { app, page } => Some(view! { <AppNav app=app page=page /> }),
                _ => None,
            }}
            <main id="main" tabindex="-1">
                {move || page_view(route.get())}
            </main>
        </div>
    }
}

/// The navigation between one app's pages.
#[component]
fn AppNav(app: String, page: AppPage) -> impl IntoView {
    let console = Console::get();
    let section = page.section();
    let name = {
        let app = app.clone();
        move || console.app(&app).map(|a| a.name).unwrap_or_else(|| app.clone())
    };
    view! {
        <nav class="app-nav" aria-label="App">
            <p class="app-name">
                <a href="#/">"Apps"</a>
                " / "
                <strong>{name}</strong>
            </p>
            <ul>
                {AppPage::NAV
                    .iter()
                    .map(|(label, target)| {
                        let current = (*target == section).then_some("page");
                        view! {
                            <li>
                                <a href=Route::app(&app, target.clone()) aria-current=current>
                                    {*label}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

/// The page of `route`.
fn page_view(route: Route) -> AnyView {
    use pages::*;
    match route {
        Route::Apps => view! { <apps::AppsPage /> }.into_any(),
        Route::Password => view! { <sign_in::PasswordPage forced=false /> }.into_any(),
        Route::NotFound => view! {
            <h1>"Not found"</h1>
            <p>"There is no page at this address. " <a href="#/">"Back to the apps"</a></p>
        }
        .into_any(),
        Route::App { app, page } => match page {
            AppPage::Overview => view! { <overview::OverviewPage app=app /> }.into_any(),
            AppPage::Paste => view! { <paste::PastePage app=app /> }.into_any(),
            AppPage::Keys => view! { <keys::KeysPage app=app /> }.into_any(),
            AppPage::Settings => view! { <app_settings::AppSettingsPage app=app /> }.into_any(),
            AppPage::Variants => view! { <variants::VariantsPage app=app /> }.into_any(),
            AppPage::Variant(id) => view! { <variant_editor::VariantEditorPage app=app id=id /> }.into_any(),
            AppPage::Users => view! { <users::UsersPage app=app /> }.into_any(),
            AppPage::User(uid) => view! { <user::UserPage app=app uid=uid /> }.into_any(),
            AppPage::Groups => view! { <groups::GroupsPage app=app /> }.into_any(),
            AppPage::Group(guid) => view! { <group::GroupPage app=app guid=guid /> }.into_any(),
            AppPage::Conversation(id) => view! { <conversation::ConversationPage app=app id=id /> }.into_any(),
            AppPage::Bots => view! { <bots::BotsPage app=app /> }.into_any(),
            AppPage::Webhooks => view! { <webhooks::WebhooksPage app=app /> }.into_any(),
            AppPage::Deliveries(target) => view! { <deliveries::DeliveriesPage app=app target=target /> }.into_any(),
            AppPage::Audit => view! { <audit::AuditPage app=app /> }.into_any(),
        },
    }
}
