//! Hash routing: every page has an address after `#` (`#/apps/APP/users/UID`), so the server only ever
//! serves `index.html` and a reload or a shared link lands on the same page. [`Route::parse`] and
//! [`Route::href`] are inverses; path segments are percent-encoded.

use crate::format::{percent_decode, percent_encode};

/// A page of the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The list of apps, and creating one (also the start page).
    Apps,
    /// Changing the owner's password.
    Password,
    /// A page of one app.
    App {
        /// The app's id.
        app: String,
        /// Which page.
        page: AppPage,
    },
    /// An address no page has.
    NotFound,
}

/// The pages of one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppPage {
    /// Counts and the 30-day chart.
    Overview,
    /// The snippet to paste, per sign-in mode.
    Paste,
    /// REST API and auth-only keys.
    Keys,
    /// Name, uid sign-in policy, visible roles, identity secret.
    Settings,
    /// The list of variants.
    Variants,
    /// One variant's editor.
    Variant(String),
    /// User search.
    Users,
    /// One user.
    User(String),
    /// Group search.
    Groups,
    /// One group and its members.
    Group(String),
    /// A conversation's messages (`uidA_user_uidB` or `group_GUID`).
    Conversation(String),
    /// Bots.
    Bots,
    /// Webhooks.
    Webhooks,
    /// The delivery log, optionally of one bot or webhook.
    Deliveries(Option<String>),
    /// The audit log.
    Audit,
}

impl AppPage {
    /// The pages in the app's navigation, with their link text.
    pub const NAV: &'static [(&'static str, AppPage)] = &[
        ("Overview", AppPage::Overview),
        ("Paste this", AppPage::Paste),
        ("Keys", AppPage::Keys),
        ("Settings", AppPage::Settings),
        ("Variants", AppPage::Variants),
        ("Users", AppPage::Users),
        ("Groups", AppPage::Groups),
        ("Bots", AppPage::Bots),
        ("Webhooks", AppPage::Webhooks),
        ("Deliveries", AppPage::Deliveries(None)),
        ("Audit log", AppPage::Audit),
    ];

    /// The navigation entry this page belongs under (a user's page under Users...).
    pub fn section(&self) -> AppPage {
        match self {
            AppPage::Variant(_) => AppPage::Variants,
            AppPage::User(_) => AppPage::Users,
            AppPage::Group(_) | AppPage::Conversation(_) => AppPage::Groups,
            AppPage::Deliveries(_) => AppPage::Deliveries(None),
            other => other.clone(),
        }
    }

    /// The page's title (for the document title).
    pub fn title(&self) -> String {
        match self {
            AppPage::Variant(id) => format!("Variant {id}"),
            AppPage::User(uid) => format!("User {uid}"),
            AppPage::Group(guid) => format!("Group {guid}"),
            AppPage::Conversation(id) => format!("Conversation {id}"),
            AppPage::Deliveries(Some(target)) => format!("Deliveries of {target}"),
            other => AppPage::NAV.iter().find(|(_, p)| p == other).map(|(name, _)| (*name).to_owned()).unwrap_or_default(),
        }
    }
}

impl Route {
    /// The route of a `location.hash` (with or without the leading `#`).
    pub fn parse(hash: &str) -> Route {
        let path = hash.trim_start_matches('#');
        let path = path.split('?').next().unwrap_or_default();
        let segments: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        match segments.as_slice() {
            [] | ["apps"] => Route::Apps,
            ["password"] => Route::Password,
            ["apps", app, rest @ ..] => match app_page(rest) {
                Some(page) => Route::App { app: (*app).to_owned(), page },
                None => Route::NotFound,
            },
            _ => Route::NotFound,
        }
    }

    /// The address of the route, `#/...`.
    pub fn href(&self) -> String {
        match self {
            Route::Apps => "#/".into(),
            Route::Password => "#/password".into(),
            Route::NotFound => "#/not-found".into(),
            Route::App { app, page } => {
                let base = format!("#/apps/{}", percent_encode(app));
                let tail = |name: &str, id: &str| format!("{base}/{name}/{}", percent_encode(id));
                match page {
                    AppPage::Overview => base,
                    AppPage::Paste => format!("{base}/paste"),
                    AppPage::Keys => format!("{base}/keys"),
                    AppPage::Settings => format!("{base}/settings"),
                    AppPage::Variants => format!("{base}/variants"),
                    AppPage::Variant(id) => tail("variants", id),
                    AppPage::Users => format!("{base}/users"),
                    AppPage::User(uid) => tail("users", uid),
                    AppPage::Groups => format!("{base}/groups"),
                    AppPage::Group(guid) => tail("groups", guid),
                    AppPage::Conversation(id) => tail("conversations", id),
                    AppPage::Bots => format!("{base}/bots"),
                    AppPage::Webhooks => format!("{base}/webhooks"),
                    AppPage::Deliveries(None) => format!("{base}/deliveries"),
                    AppPage::Deliveries(Some(target)) => tail("deliveries", target),
                    AppPage::Audit => format!("{base}/audit"),
                }
            }
        }
    }

    /// The address of `page` of `app`.
    pub fn app(app: &str, page: AppPage) -> String {
        Route::App { app: app.to_owned(), page }.href()
    }
}

/// The app page of the segments after `apps/APP`.
fn app_page(rest: &[&str]) -> Option<AppPage> {
    let id = |s: &str| s.to_owned();
    Some(match rest {
        [] | ["overview"] => AppPage::Overview,
        ["paste"] => AppPage::Paste,
        ["keys"] => AppPage::Keys,
        ["settings"] => AppPage::Settings,
        ["variants"] => AppPage::Variants,
        ["variants", v] => AppPage::Variant(id(v)),
        ["users"] => AppPage::Users,
        ["users", u] => AppPage::User(id(u)),
        ["groups"] => AppPage::Groups,
        ["groups", g] => AppPage::Group(id(g)),
        ["conversations", c] => AppPage::Conversation(id(c)),
        ["bots"] => AppPage::Bots,
        ["webhooks"] => AppPage::Webhooks,
        ["deliveries"] => AppPage::Deliveries(None),
        ["deliveries", t] => AppPage::Deliveries(Some(id(t))),
        ["audit"] => AppPage::Audit,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(page: AppPage) -> Route {
        Route::App { app: "app-1".into(), page }
    }

    #[test]
    fn parses_every_page() {
        assert_eq!(Route::parse(""), Route::Apps);
        assert_eq!(Route::parse("#"), Route::Apps);
        assert_eq!(Route::parse("#/"), Route::Apps);
        assert_eq!(Route::parse("#/password"), Route::Password);
        assert_eq!(Route::parse("#/apps/app-1"), app(AppPage::Overview));
        assert_eq!(Route::parse("#/apps/app-1/"), app(AppPage::Overview));
        assert_eq!(Route::parse("#/apps/app-1/variants/v_1"), app(AppPage::Variant("v_1".into())));
        assert_eq!(Route::parse("#/apps/app-1/users/alice"), app(AppPage::User("alice".into())));
        assert_eq!(Route::parse("#/apps/app-1/deliveries"), app(AppPage::Deliveries(None)));
        assert_eq!(Route::parse("#/apps/app-1/deliveries/bot-1"), app(AppPage::Deliveries(Some("bot-1".into()))));
        assert_eq!(Route::parse("#/apps/app-1/audit?page=2"), app(AppPage::Audit));
    }

    #[test]
    fn unknown_addresses_are_not_found() {
        assert_eq!(Route::parse("#/nothing"), Route::NotFound);
        assert_eq!(Route::parse("#/apps/app-1/users/a/b"), Route::NotFound);
        assert_eq!(Route::parse("#/apps/app-1/secrets"), Route::NotFound);
    }

    #[test]
    fn href_and_parse_are_inverses_even_for_odd_ids() {
        let routes = [
            Route::Apps,
            Route::Password,
            app(AppPage::Overview),
            app(AppPage::Paste),
            app(AppPage::Conversation("alice_user_bob".into())),
            app(AppPage::User("a b/c?d#e%".into())),
            app(AppPage::Group("grüße".into())),
            app(AppPage::Deliveries(Some("hook-1".into()))),
        ];
        for route in routes {
            assert_eq!(Route::parse(&route.href()), route, "{}", route.href());
        }
        assert_eq!(app(AppPage::User("a b/c".into())).href(), "#/apps/app-1/users/a%20b%2Fc");
    }

    #[test]
    fn detail_pages_sit_under_their_section() {
        assert_eq!(AppPage::User("x".into()).section(), AppPage::Users);
        assert_eq!(AppPage::Conversation("group_x".into()).section(), AppPage::Groups);
        assert_eq!(AppPage::Deliveries(Some("x".into())).section(), AppPage::Deliveries(None));
        assert_eq!(AppPage::Keys.title(), "Keys");
    }
}
