//! The audit log: who changed an app's configuration, when, and what.
//!
//! Console changes (apps, keys, the identity secret) are recorded by their handlers ([`record`]). The
//! mutating `/v3` calls on the configuration — POST, PUT, PATCH and DELETE on `/app`, `/variants`, `/bots`
//! (not a bot's messages), `/webhooks` and `/deliveries/{id}/retry` — are recorded by [`record_v3`], a
//! middleware on the `/v3` router, once they succeeded, whether made with a REST API key (actor
//! `apikey:<key id>`) or through the console's pass-through (the owner's email).
//!
//! A line never holds a secret: the detail of a call names the body's fields, not their values.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::limits::MAX_BODY_BYTES;

use super::ConsoleGrant;
use crate::apps::now_secs;
use crate::error::ApiError;
use crate::secrets::key_hash;
use crate::state::AppState;
use crate::store::console::{key_id, NewAudit};

/// Longest detail kept, in characters.
pub const MAX_DETAIL_CHARS: usize = 300;
/// Largest answer read to find the id of what a call made.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// Adds a line to `app_id`'s log. A failure is logged, not answered: the change it tells of was made.
pub async fn record(state: &AppState, app_id: &str, actor: &str, action: &str, target: &str, detail: &str) {
    let entry = NewAudit {
        app_id: app_id.to_owned(),
        at: now_secs(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        target: target.to_owned(),
        detail: truncate(detail, MAX_DETAIL_CHARS),
    };
    if let Err(err) = state.store.append_audit(&entry).await {
        tracing::error!(error = %err, app_id, action, "cannot record an audit log line");
    }
}

/// The audited call a request is: its action and the target named in its path (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditedCall {
    /// Like `variant.update`.
    pub action: String,
    /// The id in the path, when there is one.
    pub target: Option<String>,
}

/// The audited call `method path` is, or `None` when it is not audited.
pub fn audited_call(method: &Method, path: &str) -> Option<AuditedCall> {
    let verb = match *method {
        Method::POST => "create",
        Method::PUT | Method::PATCH => "update",
        Method::DELETE => "delete",
        _ => return None,
    };
    let rest = path.strip_prefix("/v3/")?;
    let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let resource = match segments[0] {
        "app" if segments.len() == 1 => "app",
        "variants" => "variant",
        "bots" => "bot",
        "webhooks" => "webhook",
        "deliveries" => "delivery",
        _ => return None,
    };
    let target = segments.get(1).map(|id| percent_decoded(id));
    let action = match (resource, &segments[..]) {
        ("app", _) => "app.update".to_owned(),
        ("delivery", [_, _, "retry"]) if *method == Method::POST => "delivery.retry".to_owned(),
        ("delivery", _) => return None,
        // A bot's messages are chat, not configuration.
        ("bot", [_, _, "messages"]) => return None,
        (_, [_]) | (_, [_, _]) => format!("{resource}.{verb}"),
        (_, [_, _, sub]) => {
            let verb = match *method {
                Method::POST => "add",
                Method::DELETE => "remove",
                _ => "update",
            };
            format!("{resource}.{sub}.{verb}")
        }
        _ => format!("{resource}.{verb}"),
    };
    Some(AuditedCall { action, target })
}

/// A path segment with its `%XX` escapes decoded (a broken escape is kept as is).
fn percent_decoded(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Who made a `/v3` call: the owner of a console grant, else `apikey:<key id>` of its key, else
/// `session` (a user's token; the handlers refuse those calls anyway).
fn actor(request: &Request) -> (Option<String>, String) {
    if let Some(grant) = request.extensions().get::<ConsoleGrant>() {
        return (Some(grant.app_id.clone()), grant.actor.clone());
    }
    let headers = request.headers();
    let app_id = header(headers, "appid").map(str::to_owned);
    match header(headers, "apikey").or_else(|| header(headers, "authkey")) {
        Some(key) => (app_id, format!("apikey:{}", key_id(&key_hash(key)))),
        None => (app_id, "session".to_owned()),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// Records the audited `/v3` calls that succeed (see the module docs); other calls pass untouched.
pub async fn record_v3(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(call) = audited_call(request.method(), request.uri().path()) else { return next.run(request).await };
    let (app_id, actor) = actor(&request);
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ApiErrorCode::ErrPayloadTooLarge, format!("the body must be at most {MAX_BODY_BYTES} bytes"))
            .into_response();
    };
    let detail = fields_of(&body);
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let Some(app_id) = app_id.filter(|_| response.status().is_success()) else { return response };
    let (parts, body) = response.into_parts();
    let answer = to_bytes(body, MAX_ANSWER_BYTES).await.unwrap_or_default();
    let target = call.target.or_else(|| id_in_answer(&answer)).unwrap_or_default();
    record(&state, &app_id, &actor, &call.action, &target, &detail).await;
    Response::from_parts(parts, Body::from(answer))
}

/// `fields: a, b` for a JSON object body: the top-level fields it sets (names only: values may be
/// secrets; a field sent as `null` sets nothing).
fn fields_of(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) if !map.is_empty() => {
            format!("fields: {}", map.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", "))
        }
        _ => String::new(),
    }
}

/// `data.id` (or `data.uid`) of a JSON answer.
fn id_in_answer(answer: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(answer).ok()?;
    let data = value.get("data")?;
    data.get("id").or_else(|| data.get("uid")).and_then(|id| id.as_str()).map(str::to_owned)
}

fn truncate(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(method: Method, path: &str) -> Option<(String, Option<String>)> {
        audited_call(&method, path).map(|c| (c.action, c.target))
    }

    #[test]
    fn configuration_changes_are_audited_and_nothing_else() {
        assert_eq!(action(Method::PUT, "/v3/app"), Some(("app.update".into(), None)));
        assert_eq!(action(Method::POST, "/v3/variants"), Some(("variant.create".into(), None)));
        assert_eq!(action(Method::PUT, "/v3/variants/v_1"), Some(("variant.update".into(), Some("v_1".into()))));
        assert_eq!(action(Method::DELETE, "/v3/webhooks/hook%2D1"), Some(("webhook.delete".into(), Some("hook-1".into()))));
        assert_eq!(action(Method::POST, "/v3/webhooks/h/triggers"), Some(("webhook.triggers.add".into(), Some("h".into()))));
        assert_eq!(action(Method::DELETE, "/v3/webhooks/h/triggers"), Some(("webhook.triggers.remove".into(), Some("h".into()))));
        assert_eq!(action(Method::POST, "/v3/deliveries/42/retry"), Some(("delivery.retry".into(), Some("42".into()))));
        assert_eq!(action(Method::POST, "/v3/bots"), Some(("bot.create".into(), None)));
        for (method, path) in [
            (Method::GET, "/v3/app"),
            (Method::GET, "/v3/variants"),
            (Method::POST, "/v3/bots/helper/messages"),
            (Method::POST, "/v3/users"),
            (Method::DELETE, "/v3/users/ann"),
            (Method::POST, "/v3/messages"),
            (Method::POST, "/v3/deliveries"),
            (Method::PUT, "/v3/apps"),
            (Method::PUT, "/v3/app/extra"),
        ] {
            assert_eq!(action(method.clone(), path), None, "{method} {path}");
        }
    }

    #[test]
    fn details_name_fields_never_values() {
        let detail = fields_of(br#"{"url":"https://x.test/hook?token=s3cret","password":"hunter2"}"#);
        assert!(detail == "fields: password, url" || detail == "fields: url, password", "{detail}");
        assert!(!detail.contains("s3cret") && !detail.contains("hunter2"));
        assert_eq!(fields_of(br#"{"name":"n","password":null}"#), "fields: name");
        assert_eq!(fields_of(b""), "");
        assert_eq!(fields_of(b"[1]"), "");
        assert_eq!(truncate("abcdef", 3), "abc…");
    }

    #[test]
    fn created_ids_are_read_from_the_answer() {
        assert_eq!(id_in_answer(br#"{"data":{"id":"v_1","name":"x"}}"#), Some("v_1".into()));
        assert_eq!(id_in_answer(br#"{"data":{"uid":"helper"}}"#), Some("helper".into()));
        assert_eq!(id_in_answer(b"nope"), None);
    }
}
