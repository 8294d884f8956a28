//! An example Confab bot that answers questions from a short FAQ.
//!
//! It shows everything a bot does: it receives Confab's `after_message` calls at its callback URL,
//! refuses any call whose `X-Confab-Signature` does not verify with its signing secret, picks an answer
//! ([`faq::answer`]), and replies through `POST /v3/bots/{uid}/messages` with the REST API key. The reply's
//! `muid` is derived from the message it answers, so a call delivered twice (delivery is at least once)
//! still gets one reply.
//!
//! Run it on its own with the `confab-faq-bot` binary, or mount [`router`] in another server (the Confab
//! demo does, at `/demo/faq-bot`).

pub mod faq;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use confab_protocol::rest::bots::BotPayload;
use confab_protocol::rest::messages::{MessageData, ReceiverType, SendMessage};
use confab_protocol::signature::{verify, DEFAULT_TOLERANCE_SECS, SIGNATURE_HEADER};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// How the bot reaches its Confab server.
#[derive(Debug, Clone)]
pub struct BotConfig {
    /// The server's base URL, such as `http://127.0.0.1:8080`.
    pub api_base: String,
    /// The app's id.
    pub app_id: String,
    /// The app's REST API key (full access), for replies.
    pub api_key: String,
    /// The bot's uid.
    pub uid: String,
    /// The bot's signing secret, from `POST /v3/bots`.
    pub signing_secret: String,
}

/// The bot: its settings and an HTTP client for replies.
#[derive(Debug, Clone)]
pub struct FaqBot {
    config: BotConfig,
    client: reqwest::Client,
}

impl FaqBot {
    /// A bot with `config`.
    pub fn new(config: BotConfig) -> Self {
        Self { config, client: reqwest::Client::new() }
    }

    /// Sends `text` as the bot to the conversation `payload` came from, once per message answered.
    async fn reply(&self, payload: &BotPayload, text: &str) -> Result<(), String> {
        let message = &payload.data;
        let receiver = match message.receiver_type {
            ReceiverType::User => message.sender.clone(),
            ReceiverType::Group => message.receiver.clone(),
        };
        let body = SendMessage {
            receiver,
            receiver_type: message.receiver_type,
            category: None,
            message_type: "text".into(),
            data: MessageData { text: Some(text.to_owned()), ..MessageData::default() },
            muid: Some(format!("faq-answer-{}", message.id)),
            tags: None,
            parent_id: None,
            quoted_message_id: None,
        };
        let url = format!("{}/v3/bots/{}/messages", self.config.api_base.trim_end_matches('/'), self.config.uid);
        let response = self
            .client
            .post(url)
            .header("appid", &self.config.app_id)
            .header("apikey", &self.config.api_key)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("reply failed: {}", e.without_url()))?;
        match response.status().is_success() {
            true => Ok(()),
            false => Err(format!("reply refused: {}", response.status())),
        }
    }
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// One call from Confab: 401 when the signature does not verify, 400 for a body that is not a bot payload,
/// 502 when the reply could not be sent (Confab retries the call), else 200 once the reply is stored.
async fn handle(State(bot): State<Arc<FaqBot>>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if let Err(e) = verify(&bot.config.signing_secret, signature, &body, now_secs(), DEFAULT_TOLERANCE_SECS) {
        return (StatusCode::UNAUTHORIZED, e.to_string());
    }
    let payload: BotPayload = match serde_json::from_slice(&body) {
        Ok(payload) => payload,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("not a bot payload: {e}")),
    };
    let question = payload.data.data.text.clone().unwrap_or_default();
    match bot.reply(&payload, faq::answer(&question)).await {
        Ok(()) => (StatusCode::OK, "answered".into()),
        Err(e) => {
            tracing::warn!(error = %e, "FAQ bot could not reply");
            (StatusCode::BAD_GATEWAY, e)
        }
    }
}

/// The bot's callback endpoint, answering `POST /`.
pub fn router(bot: FaqBot) -> Router {
    Router::new().route("/", post(handle)).with_state(Arc::new(bot))
}
