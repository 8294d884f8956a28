//! The few REST v3 calls the bench makes, with the REST API key, and how a failed call is named in the figures.

use crate::server::AppCredentials;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// A failed call, named for the `errors` figure: `"<status> <code>"` (`"500 ERR_INTERNAL"`), just the status
/// when the body carries no error code, or `"transport <kind>"` when no answer came (`"transport timeout"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl Failure {
    /// True when no complete answer came, so there is no latency to record.
    pub fn is_transport(&self) -> bool {
        self.0.starts_with("transport ")
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message as the send and list calls return it (the fields the bench checks).
#[derive(Debug, Clone, Deserialize)]
pub struct MessageRef {
    /// Server-assigned id, a numeric string.
    pub id: String,
}

/// One page of a conversation, oldest first.
#[derive(Debug, Clone)]
pub struct MessagePage {
    /// The messages on the page.
    pub messages: Vec<MessageRef>,
    /// The id to continue from; `None` at the end.
    pub next: Option<String>,
}

/// A client for one app's `/v3` API, shared by every sender (one connection pool).
#[derive(Debug, Clone)]
pub struct Api {
    client: Client,
    base: String,
    credentials: AppCredentials,
}

impl Api {
    /// A client for the server at `base` (`http://127.0.0.1:PORT`) keeping up to `connections` idle
    /// connections, giving up on a request after `timeout`.
    pub fn new(base: &str, credentials: AppCredentials, connections: usize, timeout: Duration) -> Result<Self, String> {
        let client = Client::builder()
            .pool_max_idle_per_host(connections)
            .timeout(timeout)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { client, base: base.to_owned(), credentials })
    }

    /// The same client pointed at another server (after a restart on a new port).
    pub fn with_base(&self, base: &str) -> Self {
        Self { base: base.to_owned(), ..self.clone() }
    }

    /// A request to `/v3{path}` with the app's headers, acting as `on_behalf_of` when given.
    fn request(&self, method: reqwest::Method, path: &str, on_behalf_of: Option<&str>) -> RequestBuilder {
        let request = self
            .client
            .request(method, format!("{}/v3{path}", self.base))
            .header("appid", &self.credentials.app_id)
            .header("apikey", &self.credentials.api_key);
        match on_behalf_of {
            Some(uid) => request.header("onBehalfOf", uid),
            None => request,
        }
    }

    /// `POST /v3/users`: creates user `uid` named `name`.
    pub async fn create_user(&self, uid: &str, name: &str) -> Result<(), Failure> {
        let request = self.request(reqwest::Method::POST, "/users", None).json(&json!({"uid": uid, "name": name}));
        call::<serde_json::Value>(request).await.map(drop)
    }

    /// `POST /v3/users` with `withAuthToken`: creates user `uid` named `name` and returns its session token.
    pub async fn create_user_with_token(&self, uid: &str, name: &str) -> Result<String, Failure> {
        let body = json!({"uid": uid, "name": name, "withAuthToken": true});
        let request = self.request(reqwest::Method::POST, "/users", None).json(&body);
        let user: CreatedUser = call(request).await?;
        user.auth_token.ok_or_else(|| Failure("200 without authToken".into()))
    }

    /// `POST /v3/groups`: creates public group `guid` owned by `owner`, with `participants` (at most 25).
    pub async fn create_group(&self, guid: &str, name: &str, owner: &str, participants: &[String]) -> Result<(), Failure> {
        let body = json!({
            "guid": guid,
            "name": name,
            "type": "public",
            "owner": owner,
            "members": {"participants": participants},
        });
        let request = self.request(reqwest::Method::POST, "/groups", None).json(&body);
        call::<serde_json::Value>(request).await.map(drop)
    }

    /// `POST /v3/groups/{guid}/members`: adds `participants` (at most 25). Every uid must be added: an
    /// answer naming a uid that was not is a failure.
    pub async fn add_members(&self, guid: &str, participants: &[String]) -> Result<(), Failure> {
        let body = json!({"participants": participants});
        let request = self.request(reqwest::Method::POST, &format!("/groups/{guid}/members"), None).json(&body);
        let results: serde_json::Map<String, serde_json::Value> = call(request).await?;
        for uid in participants {
            match results.get(uid) {
                Some(result) if result.get("status").and_then(|s| s.as_str()) == Some("success") => {}
                Some(result) => {
                    let code = result.pointer("/error/code").and_then(|c| c.as_str()).unwrap_or("no status");
                    return Err(Failure(format!("200 but {uid} was not added: {code}")));
                }
                None => return Err(Failure(format!("200 but the answer does not name {uid}"))),
            }
        }
        Ok(())
    }

    /// `POST /v3/messages` as `sender`: a text message to user `receiver` with client id `muid`. Returns the
    /// message id, on HTTP 200 only.
    pub async fn send_text(&self, sender: &str, receiver: &str, text: &str, muid: &str) -> Result<String, Failure> {
        self.send_text_to(sender, receiver, "user", text, muid).await
    }

    /// `POST /v3/messages` as `sender`: a text message to group `guid` with client id `muid`. Returns the
    /// message id, on HTTP 200 only.
    pub async fn send_group_text(&self, sender: &str, guid: &str, text: &str, muid: &str) -> Result<String, Failure> {
        self.send_text_to(sender, guid, "group", text, muid).await
    }

    /// `POST /v3/messages` as `sender` to `receiver` of `receiver_type` (`user` or `group`).
    async fn send_text_to(
        &self,
        sender: &str,
        receiver: &str,
        receiver_type: &str,
        text: &str,
        muid: &str,
    ) -> Result<String, Failure> {
        let body = json!({
            "receiver": receiver,
            "receiverType": receiver_type,
            "category": "message",
            "type": "text",
            "data": {"text": text},
            "muid": muid,
        });
        let request = self.request(reqwest::Method::POST, "/messages", Some(sender)).json(&body);
        call::<MessageRef>(request).await.map(|message| message.id)
    }

    /// `POST /v3/auth/guest` with the auth-only key: signs in a new guest and returns its session token.
    pub async fn guest(&self) -> Result<String, Failure> {
        let request = self
            .client
            .post(format!("{}/v3/auth/guest", self.base))
            .header("appid", &self.credentials.app_id)
            .header("apikey", &self.credentials.auth_key)
            .json(&json!({}));
        let session: CreatedUser = call(request).await?;
        session.auth_token.ok_or_else(|| Failure("200 without authToken".into()))
    }

    /// `GET /v3/messages?affix=append&id={after}&limit={limit}` with the session token `token`: the user's
    /// messages after `after`, oldest first.
    pub async fn messages_after(&self, token: &str, after: &str, limit: u32) -> Result<Vec<MessageRef>, Failure> {
        let query = [("affix", "append".to_owned()), ("id", after.to_owned()), ("limit", limit.to_string())];
        let request = self
            .client
            .get(format!("{}/v3/messages", self.base))
            .header("appid", &self.credentials.app_id)
            .header("authtoken", token)
            .query(&query);
        let (status, body) = exchange(request).await?;
        parse::<PageBody>(status, &body).map(|page| page.data)
    }

    /// `GET /v3/users/{other}/messages` as `me`: up to `limit` messages of the 1:1 conversation after message
    /// `after` (from the oldest when `None`), oldest first.
    pub async fn conversation_page(
        &self,
        me: &str,
        other: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<MessagePage, Failure> {
        let mut query = vec![("limit", limit.to_string()), ("affix", "append".to_owned())];
        if let Some(id) = after {
            query.push(("id", id.to_owned()));
        }
        let request = self.request(reqwest::Method::GET, &format!("/users/{other}/messages"), Some(me)).query(&query);
        let (status, body) = exchange(request).await?;
        let page: PageBody = parse(status, &body)?;
        Ok(MessagePage { messages: page.data, next: page.meta.next.and_then(|cursor| cursor.id) })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatedUser {
    auth_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DataBody<T> {
    data: T,
}

#[derive(Debug, Deserialize)]
struct PageBody {
    data: Vec<MessageRef>,
    meta: PageMeta,
}

#[derive(Debug, Deserialize)]
struct PageMeta {
    next: Option<Cursor>,
}

#[derive(Debug, Deserialize)]
struct Cursor {
    id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    code: String,
}

/// Sends `request` and returns `data` of a 200 answer.
async fn call<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, Failure> {
    let (status, body) = exchange(request).await?;
    parse::<DataBody<T>>(status, &body).map(|body| body.data)
}

/// Sends `request` and reads the whole answer.
async fn exchange(request: RequestBuilder) -> Result<(StatusCode, Vec<u8>), Failure> {
    let response = request.send().await.map_err(transport)?;
    let status = response.status();
    let body = response.bytes().await.map_err(transport)?;
    Ok((status, body.to_vec()))
}

/// The body of a 200 answer as `T`; any other status is a failure named by its error code.
fn parse<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T, Failure> {
    if status != StatusCode::OK {
        let code = serde_json::from_slice::<ErrorBody>(body).map(|body| body.error.code).ok();
        return Err(Failure(match code {
            Some(code) => format!("{} {code}", status.as_u16()),
            None => status.as_u16().to_string(),
        }));
    }
    serde_json::from_slice(body).map_err(|_| Failure("200 unreadable body".into()))
}

/// Names a request that got no (complete) answer.
fn transport(err: reqwest::Error) -> Failure {
    let kind = if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connect"
    } else if err.is_body() || err.is_decode() {
        "body"
    } else {
        "other"
    };
    Failure(format!("transport {kind}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_named_by_status_and_code() {
        let body = br#"{"error": {"code": "ERR_TOO_MANY_REQUESTS", "message": "slow down", "details": {}}}"#;
        let err = parse::<serde_json::Value>(StatusCode::TOO_MANY_REQUESTS, body).unwrap_err();
        assert_eq!(err, Failure("429 ERR_TOO_MANY_REQUESTS".into()));
        let err = parse::<serde_json::Value>(StatusCode::BAD_GATEWAY, b"<html>").unwrap_err();
        assert_eq!(err, Failure("502".into()));
        let err = parse::<DataBody<MessageRef>>(StatusCode::OK, b"{}").unwrap_err();
        assert_eq!(err, Failure("200 unreadable body".into()));
    }

    #[test]
    fn reads_sent_messages_and_pages() {
        let body = br#"{"data": {"id": "42", "muid": "m", "conversationId": "a_user_b", "sender": "a"}}"#;
        let sent = parse::<DataBody<MessageRef>>(StatusCode::OK, body).unwrap();
        assert_eq!(sent.data.id, "42");
        let body = br#"{"data": [{"id": "1"}, {"id": "2"}],
            "meta": {"current": {"limit": 2, "count": 2, "affix": "append"}, "next": {"limit": 2, "affix": "append", "id": "2"}}}"#;
        let page = parse::<PageBody>(StatusCode::OK, body).unwrap();
        assert_eq!(page.data.len(), 2);
        assert_eq!(page.meta.next.and_then(|c| c.id).as_deref(), Some("2"));
        let body = br#"{"data": [], "meta": {"current": {"limit": 2, "count": 0, "affix": "append"}}}"#;
        assert!(parse::<PageBody>(StatusCode::OK, body).unwrap().meta.next.is_none());
    }
}
