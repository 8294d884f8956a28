//! REST calls to `/v3` on the frame's own origin (the server that served it), with `fetch`.

use confab_protocol::api_error::ApiErrorEnvelope;
use confab_protocol::decode::Decode;

use super::json::JsJson;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// The credential a call carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The app's auth-only key (sign-in).
    AuthKey(String),
    /// A signed-in user's session token.
    Token(String),
    /// Only `appid`.
    None,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// The server answered with an error envelope.
    Refused {
        /// HTTP status.
        status: u16,
        /// The stable code.
        code: String,
        /// The server's sentence.
        message: String,
    },
    /// No answer (offline, server down) or an unreadable one.
    Network(String),
}

impl CallError {
    /// A sentence for the console and `onError`.
    pub fn message(&self) -> String {
        match self {
            Self::Refused { code, message, .. } => format!("{code}: {message}"),
            Self::Network(why) => why.clone(),
        }
    }
}

/// The REST API of the frame's server, for one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    /// `https://chat.example.com`
    pub origin: String,
    /// The app.
    pub app_id: String,
}

fn js_error(value: JsValue) -> CallError {
    CallError::Network(value.as_string().or_else(|| js_sys::JSON::stringify(&value).ok().map(String::from)).unwrap_or_else(|| "network error".into()))
}

impl Api {
    /// The API on the frame's own origin.
    pub fn here(app_id: &str) -> Self {
        let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
        Self { origin, app_id: app_id.to_owned() }
    }

    /// `method /v3{path}` with `credential` and an optional JSON `body` (see [`body`]); the answer read
    /// as `T`.
    pub async fn call<T: Decode>(&self, method: &str, path: &str, credential: &Credential, body: Option<String>) -> Result<T, CallError> {
        let answer = self.fetch(method, path, credential, body).await?;
        T::decode(&answer).map_err(|e| CallError::Network(format!("unreadable answer: bad field {}", e.0)))
    }

    /// The call itself, the same code for every answer type: the parsed answer, or why there is none.
    async fn fetch(&self, method: &str, path: &str, credential: &Credential, body: Option<String>) -> Result<JsJson, CallError> {
        let init = RequestInit::new();
        init.set_method(method);
        let headers = web_sys::Headers::new().map_err(js_error)?;
        headers.set("appid", &self.app_id).map_err(js_error)?;
        match credential {
            Credential::AuthKey(key) => headers.set("apikey", key).map_err(js_error)?,
            Credential::Token(token) => headers.set("authtoken", token).map_err(js_error)?,
            Credential::None => {}
        }
        if let Some(body) = body {
            headers.set("content-type", "application/json").map_err(js_error)?;
            init.set_body(&JsValue::from_str(&body));
        }
        init.set_headers(&headers);
        let request = Request::new_with_str_and_init(&format!("{}/v3{path}", self.origin), &init).map_err(js_error)?;
        let window = web_sys::window().ok_or_else(|| CallError::Network("no window".into()))?;
        let response: Response = JsFuture::from(window.fetch_with_request(&request)).await.map_err(js_error)?.unchecked_into();
        let text = JsFuture::from(response.text().map_err(js_error)?).await.map_err(js_error)?.as_string().unwrap_or_default();
        let parsed = js_sys::JSON::parse(&text).map(JsJson);
        if response.ok() {
            return parsed.map_err(|_| CallError::Network("unreadable answer: not JSON".into()));
        }
        Err(match parsed.ok().map(|answer| ApiErrorEnvelope::decode(&answer)) {
            Some(Ok(envelope)) => CallError::Refused {
                status: response.status(),
                code: envelope.error.code.as_str().to_owned(),
                message: envelope.error.message,
            },
            _ => CallError::Network(format!("HTTP {}", response.status())),
        })
    }

    /// A JSON file the server serves at `path` (no credentials), parsed.
    pub async fn file(&self, path: &str) -> Result<JsJson, CallError> {
        let window = web_sys::window().ok_or_else(|| CallError::Network("no window".into()))?;
        let response: Response = JsFuture::from(window.fetch_with_str(&format!("{}{path}", self.origin))).await.map_err(js_error)?.unchecked_into();
        if !response.ok() {
            return Err(CallError::Network(format!("HTTP {}", response.status())));
        }
        let json = JsFuture::from(response.json().map_err(js_error)?).await.map_err(|_| CallError::Network("unreadable answer: not JSON".into()))?;
        Ok(JsJson(json))
    }

    /// `GET /v3{path}` with a session token.
    pub async fn get<T: Decode>(&self, path: &str, token: &str) -> Result<T, CallError> {
        self.call("GET", path, &Credential::Token(token.to_owned()), None).await
    }
}

/// `value` as a request body.
pub fn body(value: &impl Serialize) -> Option<String> {
    super::json::to_text(value).ok()
}

/// `value` escaped for a URL path segment or query value.
pub fn encode(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}
