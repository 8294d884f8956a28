//! The demo app: created on the first start with an empty data directory, and the `/demo` host page that
//! pastes the README's snippet with its credentials.
//!
//! Keys are stored hashed, so the demo app's auth-only key (the one key meant for web pages) is also kept
//! in `demo-app.json` in the data directory for the demo page to use. The full-access key is shown once.
//!
//! The demo app also has a bot, `faq-bot`: the example FAQ bot (`confab-faq-bot`), served by this server
//! at `/demo/faq-bot` and called like any bot, over HTTP with signed calls.

use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::apps::{create_app, now_secs, AppCredentials};
use crate::secrets::{key_hash, random_hex};
use crate::store::{BotChange, BotRecord, KeyScope, NewKey, NewUser, Store, StoreError, TokenLifetime, UserOrigin};
use confab_faq_bot::{BotConfig, FaqBot};
use confab_protocol::rest::bots::GroupChatSetting;

/// The snippet a site owner pastes, as the README shows it.
pub const SNIPPET: &str = include_str!("../../snippet/snippet.html");
const PAGE: &str = include_str!("../../snippet/demo.html");
const AGENT_PAGE: &str = include_str!("../../snippet/agent.html");
const FILE_NAME: &str = "demo-app.json";
const NAME: &str = "Confab demo";

/// What the demo page needs: the app and its auth-only key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoApp {
    /// The demo app's id.
    pub app_id: String,
    /// Its region.
    pub region: String,
    /// Its auth-only key.
    pub auth_key: String,
    /// A session token of the support agent for the agent page, issued at each start (never stored in
    /// the file).
    #[serde(skip)]
    pub agent_token: String,
}

/// Errors setting up the demo app.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `demo-app.json` could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The demo app for `data_dir`: created with its credentials (returned once) when the store has no app
/// yet, read from `demo-app.json` otherwise, `None` when the directory's apps were made another way.
pub async fn ensure_demo_app(
    store: &dyn Store,
    data_dir: &Path,
    region: &str,
) -> Result<(Option<DemoApp>, Option<AppCredentials>), DemoError> {
    let path = data_dir.join(FILE_NAME);
    let file_err = |source| DemoError::File { path: path.display().to_string(), source };
    if store.app_count().await? == 0 {
        // The demo's visitors pick their own uids on the e2e pages: open, and said so at every start.
        let credentials = create_app(store, NAME, region, confab_protocol::rest::app::UidSignInPolicy::Open).await?;
        let demo = DemoApp {
            app_id: credentials.app_id.clone(),
            region: credentials.region.clone(),
            auth_key: credentials.auth_key.clone(),
            agent_token: String::new(),
        };
        let json = serde_json::to_vec_pretty(&demo).expect("DemoApp serialises");
        write_private(&path, &json).map_err(file_err)?;
        return Ok((Some(demo), Some(credentials)));
    }
    match std::fs::read(&path) {
        Ok(bytes) => match serde_json::from_slice::<DemoApp>(&bytes) {
            Ok(demo) if store.app(&demo.app_id).await?.is_some() => Ok((Some(demo), None)),
            _ => Ok((None, None)),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((None, None)),
        Err(e) => Err(file_err(e)),
    }
}

/// The demo's support agent's uid (the agent page signs in as this user).
pub const AGENT_UID: &str = "support";

/// How long the agent page's token works (a new one is issued at each start).
const AGENT_TOKEN_LIFETIME_SECS: i64 = 7 * 24 * 3600;

/// The demo FAQ bot's uid.
pub const FAQ_BOT_UID: &str = "faq-bot";
/// Where this server serves the demo FAQ bot's callback.
pub const FAQ_BOT_PATH: &str = "/demo/faq-bot";
const FAQ_BOT_KEY_NAME: &str = "Demo FAQ bot";

/// Sets up the demo app's support agent user and FAQ bot for a server reachable at `base`: the bot's user
/// (created once), a REST API key
/// for its replies (made afresh on each start, replacing the last one, and kept only in memory), and its
/// registration with the callback at `base` + [`FAQ_BOT_PATH`]. Returns the bot to serve there, and a
/// session token of the support agent (valid a week) for the agent page.
pub async fn ensure_demo_bot(store: &dyn Store, demo: &DemoApp, base: &str) -> Result<(FaqBot, String), DemoError> {
    let app_id = demo.app_id.as_str();
    let now = now_secs();
    let user = NewUser {
        uid: FAQ_BOT_UID.into(),
        origin: UserOrigin::Api,
        name: "Confab FAQ bot".into(),
        avatar: None,
        link: None,
        role: "bot".into(),
        status_message: Some("Ask me about Confab".into()),
        metadata: None,
        tags: Vec::new(),
        created_at: now,
    };
    store.user_or_create(app_id, &user).await?;
    let agent = NewUser { uid: AGENT_UID.into(), name: "Support agent".into(), role: "agent".into(), status_message: None, ..user };
    store.user_or_create(app_id, &agent).await?;
    let agent_token = random_hex(24);
    let lifetime = TokenLifetime { expires_at: Some(now + AGENT_TOKEN_LIFETIME_SECS), idle_secs: None };
    store.create_token(app_id, AGENT_UID, &key_hash(&agent_token), now, lifetime).await?;
    let api_key = random_hex(24);
    let key = NewKey { hash: key_hash(&api_key), name: FAQ_BOT_KEY_NAME.into(), scope: KeyScope::FullAccess };
    store.replace_key(app_id, &key, now).await?;
    let webhook_url = format!("{base}{FAQ_BOT_PATH}");
    let signing_secret = match store.bot(app_id, FAQ_BOT_UID).await? {
        Some(bot) => {
            let change = BotChange { webhook_url: Some(webhook_url), enabled: Some(true), ..BotChange::default() };
            store.update_bot(app_id, FAQ_BOT_UID, &change, now).await?;
            bot.signing_secret
        }
        None => {
            let bot = BotRecord {
                uid: FAQ_BOT_UID.into(),
                webhook_url,
                enabled: true,
                group_chat_setting: GroupChatSetting::MentionedMessages,
                basic_auth: None,
                signing_secret: format!("whsec_{}", random_hex(24)),
                created_at: now,
                updated_at: None,
            };
            store.create_bot(app_id, &bot).await?;
            bot.signing_secret
        }
    };
    let bot = FaqBot::new(BotConfig { api_base: base.to_owned(), app_id: app_id.to_owned(), api_key, uid: FAQ_BOT_UID.into(), signing_secret });
    Ok((bot, agent_token))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// The README's snippet filled in for `demo`, loading the widget from this server (`chat_origin`, or the
/// page's own origin when empty).
pub fn snippet_for(demo: &DemoApp, chat_origin: &str) -> String {
    SNIPPET
        .replace("https://CHAT_HOST", chat_origin)
        .replace("APP_ID", &demo.app_id)
        .replace("REGION", &demo.region)
        .replace("AUTH_KEY", &demo.auth_key)
}

/// The demo host page: a plain page with the snippet pasted in, served by this server, opening the chat
/// with the FAQ bot.
pub fn page(demo: &DemoApp) -> String {
    let snippet = snippet_for(demo, "").replace(
        "mode: \"guest\",",
        &format!("mode: \"guest\",\n      chatType: \"user\",\n      defaultChatID: \"{FAQ_BOT_UID}\","),
    );
    PAGE.replace("<!-- CONFAB SNIPPET -->", &snippet)
        .replace("APP_ID", &demo.app_id)
        .replace("REGION", &demo.region)
}

/// The demo's agent page: the snippet in authToken mode with the support agent's server-issued token,
/// embedded in the page, so a newcomer can chat with themselves from the demo page in a second window.
pub fn agent_page(demo: &DemoApp) -> String {
    let snippet = snippet_for(demo, "")
        .replace("mode: \"guest\",", &format!("mode: \"authToken\",\n      authToken: \"{}\",", demo.agent_token))
        .replace("      authKey: \"{}\",\n".replace("{}", &demo.auth_key).as_str(), "")
        .replace("width: \"400px\",", "width: \"100%\",")
        .replace("height: \"600px\",", "height: \"70vh\",")
        .replace("isDocked: true,", "isDocked: false,\n      mount: \"#confab-chat\",");
    AGENT_PAGE.replace("<!-- CONFAB SNIPPET -->", &snippet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_shows_the_snippet_the_demo_uses() {
        let readme = include_str!("../../README.md");
        assert!(readme.contains(SNIPPET.trim_end()), "README.md must contain snippet/snippet.html verbatim");
    }

    #[test]
    fn page_fills_in_every_placeholder() {
        let demo = DemoApp { app_id: "abc".into(), region: "local".into(), auth_key: "k123".into(), agent_token: "t456".into() };
        let html = page(&demo);
        for placeholder in ["APP_ID", "AUTH_KEY", "CHAT_HOST", "REGION\"", "CONFAB SNIPPET"] {
            assert!(!html.contains(placeholder), "{placeholder} left in the page");
        }
        assert!(html.contains("src=\"/widget/confab.js\""));
        assert!(html.contains("authKey: \"k123\""));
        let agent = agent_page(&demo);
        for wanted in ["mode: \"authToken\"", "authToken: \"t456\"", "isDocked: false", "mount: \"#confab-chat\""] {
            assert!(agent.contains(wanted), "{wanted} missing from the agent page");
        }
        assert!(!agent.contains("k123") && !agent.contains("mode: \"uid\""), "the agent page signs in by token only");
    }
}
