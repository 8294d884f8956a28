//! The console API client: JSON calls to `/console/api` on the console's own origin with the session
//! cookie (`credentials: same-origin`) and, on every non-GET call, the session's CSRF token. The `/v3`
//! REST API of an app is reached through the console's pass-through, [`v3`].
//!
//! Every failure is an [`ApiError`] carrying the server's code, sentence and field, so pages show what the
//! server said. A call answered `ERR_NOT_SIGNED_IN` (the session expired) also tells the app, which then
//! shows the sign-in page.

use std::cell::RefCell;
use std::rc::Rc;

use confab_protocol::console::CSRF_HEADER;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::format::percent_encode;

/// Where the console API is.
pub const BASE: &str = "/console/api";

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status; 0 when there was no answer or the check was made here.
    pub status: u16,
    /// The server's stable code (`ERR_BAD_REQUEST`...), `NETWORK` without an answer, `INVALID` for a
    /// check made in the browser.
    pub code: String,
    /// The server's sentence.
    pub message: String,
    /// The request field at fault, when the server named one.
    pub field: Option<String>,
}

impl ApiError {
    /// No (readable) answer.
    pub fn network(why: impl Into<String>) -> Self {
        Self { status: 0, code: "NETWORK".into(), message: why.into(), field: None }
    }

    /// A problem found before sending.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { status: 0, code: "INVALID".into(), message: message.into(), field: Some(field.into()) }
    }

    /// Whether the server answered `code`.
    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }

    /// Whether the error is about `field` (or a field inside it: `settings` covers `settings.style`).
    pub fn about(&self, field: &str) -> bool {
        self.field.as_deref().is_some_and(|f| f == field || f.starts_with(&format!("{field}.")))
    }
}

/// The error envelope, read leniently (a code this build does not know is still shown).
#[derive(Deserialize)]
struct Envelope {
    error: Body,
}

#[derive(Deserialize)]
struct Body {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Details,
}

#[derive(Deserialize, Default)]
struct Details {
    field: Option<String>,
    limit: Option<u64>,
}

/// The error of a non-2xx answer with body `text`.
pub fn parse_error(status: u16, text: &str) -> ApiError {
    match serde_json::from_str::<Envelope>(text) {
        Ok(Envelope { error }) => {
            let mut message = error.message;
            if let Some(limit) = error.details.limit {
                message = format!("{message} (limit {limit})");
            }
            ApiError { status, code: error.code, message, field: error.details.field }
        }
        Err(_) => ApiError { status, code: format!("HTTP_{status}"), message: format!("the server answered HTTP {status}"), field: None },
    }
}

/// The answer `text` of a 2xx call as `T`; an empty body (204) reads as `null`.
pub fn parse_answer<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let text = if text.trim().is_empty() { "null" } else { text };
    serde_json::from_str(text).map_err(|e| ApiError::network(format!("unreadable answer: {e}")))
}

thread_local! {
    static CSRF: RefCell<String> = const { RefCell::new(String::new()) };
    static SIGNED_OUT: RefCell<Option<Rc<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Remembers the session's CSRF token for the calls that follow.
pub fn set_csrf(token: &str) {
    CSRF.with(|t| *t.borrow_mut() = token.to_owned());
}

/// Runs `hook` whenever a call finds the session gone.
pub fn on_signed_out(hook: impl Fn() + 'static) {
    SIGNED_OUT.with(|h| *h.borrow_mut() = Some(Rc::new(hook)));
}

/// The pass-through path of `/v3{path}` for `app`.
pub fn v3(app: &str, path: &str) -> String {
    format!("/apps/{}/v3{path}", percent_encode(app))
}

/// A console API path for `app`: `/apps/APP{path}`.
pub fn app_path(app: &str, path: &str) -> String {
    format!("/apps/{}{path}", percent_encode(app))
}

/// A path segment, encoded.
pub fn seg(value: &str) -> String {
    percent_encode(value)
}

/// `{"data": T}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Data<T> {
    /// The answer.
    pub data: T,
}

/// One call: `method BASE{path}` with an optional JSON body and an optional `onbehalfof` user.
pub async fn send<T: DeserializeOwned>(method: &str, path: &str, body: Option<Value>, on_behalf_of: Option<&str>) -> Result<T, ApiError> {
    let (status, text) = fetch(method, path, body, on_behalf_of).await?;
    if (200..300).contains(&status) {
        return parse_answer(&text);
    }
    let error = parse_error(status, &text);
    if error.is("ERR_NOT_SIGNED_IN") && path != "/session" && path != "/login" {
        if let Some(hook) = SIGNED_OUT.with(|h| h.borrow().clone()) {
            hook();
        }
    }
    Err(error)
}

/// `GET`, the answer's `data`.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    send::<Data<T>>("GET", path, None, None).await.map(|d| d.data)
}

/// `GET` as user `uid` (the `onbehalfof` header), the answer's `data`.
pub async fn get_as<T: DeserializeOwned>(path: &str, uid: &str) -> Result<T, ApiError> {
    send::<Data<T>>("GET", path, None, Some(uid)).await.map(|d| d.data)
}

/// `GET`, the whole answer (lists with `meta`).
pub async fn get_page<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    send::<T>("GET", path, None, None).await
}

fn json(body: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(body).map_err(|e| ApiError::network(format!("cannot write the request: {e}")))
}

/// `POST` with a JSON body, the answer's `data`.
pub async fn post<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> Result<T, ApiError> {
    send::<Data<T>>("POST", path, Some(json(body)?), None).await.map(|d| d.data)
}

/// `PUT` with a JSON body, the answer's `data`.
pub async fn put<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> Result<T, ApiError> {
    send::<Data<T>>("PUT", path, Some(json(body)?), None).await.map(|d| d.data)
}

/// `DELETE` with an optional JSON body; the answer is dropped.
pub async fn delete(path: &str, body: Option<&Value>) -> Result<(), ApiError> {
    send::<Value>("DELETE", path, body.cloned(), None).await.map(|_| ())
}

/// A call whose answer does not matter (204s of the console API).
pub async fn call<B: Serialize>(method: &str, path: &str, body: Option<&B>) -> Result<(), ApiError> {
    let body = body.map(json).transpose()?;
    send::<Value>(method, path, body, None).await.map(|_| ())
}

#[cfg(target_arch = "wasm32")]
async fn fetch(method: &str, path: &str, body: Option<Value>, on_behalf_of: Option<&str>) -> Result<(u16, String), ApiError> {
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Headers, Request, RequestCredentials, RequestInit, Response};

    let js = |e: JsValue| ApiError::network(e.as_string().unwrap_or_else(|| "the server cannot be reached".into()));
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    let headers = Headers::new().map_err(js)?;
    headers.set("accept", "application/json").map_err(js)?;
    if method != "GET" {
        headers.set(CSRF_HEADER, &CSRF.with(|t| t.borrow().clone())).map_err(js)?;
    }
    if let Some(uid) = on_behalf_of {
        headers.set("onbehalfof", uid).map_err(js)?;
    }
    if let Some(body) = body {
        headers.set("content-type", "application/json").map_err(js)?;
        init.set_body(&JsValue::from_str(&body.to_string()));
    }
    init.set_headers(&headers);
    let request = Request::new_with_str_and_init(&format!("{BASE}{path}"), &init).map_err(js)?;
    let window = web_sys::window().ok_or_else(|| ApiError::network("no window"))?;
    let answer = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| ApiError::network("the server cannot be reached; check your connection and try again"))?;
    let response: Response = answer.unchecked_into();
    let text = JsFuture::from(response.text().map_err(js)?).await.map_err(js)?.as_string().unwrap_or_default();
    Ok((response.status(), text))
}

/// Off the browser (the native test build) there is nothing to call.
#[cfg(not(target_arch = "wasm32"))]
async fn fetch(_method: &str, _path: &str, _body: Option<Value>, _on_behalf_of: Option<&str>) -> Result<(u16, String), ApiError> {
    let _ = CSRF_HEADER;
    Err(ApiError::network("no browser"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_error_envelope_with_its_field() {
        let e = parse_error(400, r#"{"error":{"code":"ERR_BAD_REQUEST","message":"must be a hex colour","details":{"field":"settings.style.color.brandColor"}}}"#);
        assert_eq!(e.status, 400);
        assert_eq!(e.code, "ERR_BAD_REQUEST");
        assert_eq!(e.field.as_deref(), Some("settings.style.color.brandColor"));
        assert!(e.about("settings.style.color.brandColor"));
        assert!(e.about("settings"));
        assert!(!e.about("settings.style.theme"));
        let limited = parse_error(400, r#"{"error":{"code":"ERR_WEBHOOK_LIMIT_REACHED","message":"too many","details":{"limit":25}}}"#);
        assert_eq!(limited.message, "too many (limit 25)");
        let unknown = parse_error(403, r#"{"error":{"code":"ERR_SOMETHING_NEW","message":"no"}}"#);
        assert_eq!(unknown.code, "ERR_SOMETHING_NEW");
        let html = parse_error(502, "<html>bad gateway</html>");
        assert_eq!(html.code, "HTTP_502");
    }

    #[test]
    fn reads_answers_and_empty_bodies() {
        let d: Data<Vec<u32>> = parse_answer(r#"{"data":[1,2]}"#).unwrap();
        assert_eq!(d.data, [1, 2]);
        let none: Value = parse_answer("").unwrap();
        assert_eq!(none, Value::Null);
        assert!(parse_answer::<Data<u32>>("{").is_err());
    }

    #[test]
    fn builds_pass_through_paths() {
        assert_eq!(v3("app 1", "/users?perPage=5"), "/apps/app%201/v3/users?perPage=5");
        assert_eq!(app_path("a", "/keys"), "/apps/a/keys");
    }
}
