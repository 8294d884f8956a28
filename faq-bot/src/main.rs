//! `confab-faq-bot`: runs the example FAQ bot as its own server. Register its URL with `POST /v3/bots`
//! first and pass the signing secret that call returns.

use clap::Parser;
use confab_faq_bot::{router, BotConfig, FaqBot};
use std::net::SocketAddr;

/// Answers Confab messages from a short FAQ.
#[derive(Debug, Parser)]
#[command(name = "confab-faq-bot", version, about)]
struct Args {
    /// Address to listen on; the bot's callback URL is `http://ADDRESS/`.
    #[arg(long, env = "FAQ_BOT_LISTEN", default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// The Confab server's base URL.
    #[arg(long, env = "CONFAB_API", default_value = "http://127.0.0.1:8080")]
    api: String,
    /// The app's id.
    #[arg(long, env = "CONFAB_APP_ID")]
    app_id: String,
    /// The app's REST API key.
    #[arg(long, env = "CONFAB_API_KEY", hide_env_values = true)]
    api_key: String,
    /// The bot's uid.
    #[arg(long, env = "FAQ_BOT_UID", default_value = "faq-bot")]
    uid: String,
    /// The bot's signing secret.
    #[arg(long, env = "FAQ_BOT_SECRET", hide_env_values = true)]
    secret: String,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let bot = FaqBot::new(BotConfig { api_base: args.api, app_id: args.app_id, api_key: args.api_key, uid: args.uid, signing_secret: args.secret });
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("FAQ bot listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, router(bot)).await
}
