//! The site owner's console on a real server: sign-in, the one-time password, the cookie, CSRF, sign-in
//! limits, apps and keys, the identity secret, the pass-through to `/v3`, the audit log, the overview, and
//! the built console's files. Written as an owner would use it and as an attacker would try it.

mod common;

use common::{run_cli, TestServer};
use futures_util::{SinkExt, StreamExt};
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{json, Value};
use std::path::Path;

const OWNER: &str = "owner@example.com";
const NEW_PASSWORD: &str = "correct horse battery staple";

/// A server with one app and one owner (whose one-time password is still to be changed).
struct Console {
    server: TestServer,
    /// `app create` output of the first app.
    app: Value,
    /// The owner's one-time password.
    one_time: String,
    client: reqwest::Client,
    dir: tempfile::TempDir,
}

/// A signed-in browser: its cookie and the session's CSRF token.
#[derive(Debug, Clone)]
struct Browser {
    cookie: String,
    csrf: String,
}

/// What a call sends as `x-csrf-token`.
#[derive(Debug, Clone, Copy)]
enum Csrf<'a> {
    /// The session's own token.
    Right,
    /// None.
    Missing,
    /// This value.
    Is(&'a str),
}

/// An answer: status, headers, JSON body (or the text as a JSON string).
struct Answer {
    status: u16,
    headers: HeaderMap,
    json: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }
}

fn user_hash(secret: &str, uid: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(uid.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes an owner with the CLI in `dir`; gives the one-time password.
fn create_owner(dir: &Path, email: &str) -> String {
    let (ok, stdout, stderr) = run_cli(&["owner", "create", "--email", email, "--data-dir", dir.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let password = stdout.trim().to_owned();
    assert!(password.len() >= 20 && !password.contains(char::is_whitespace), "one line, 20+ characters: {stdout:?}");
    password
}

impl Console {
    /// A server with the console built in `console_dir` (a missing directory: not built).
    fn start_with(console_dir: Option<&Path>, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap().to_owned();
        let (ok, stdout, stderr) = run_cli(&["app", "create", "--name", "First app", "--data-dir", &data]);
        assert!(ok, "{stderr}");
        let app: Value = serde_json::from_str(stdout.trim()).unwrap();
        let one_time = create_owner(dir.path(), OWNER);
        let missing = dir.path().join("no-console");
        let console_dir = console_dir.unwrap_or(&missing).to_str().unwrap().to_owned();
        let mut args = vec!["--console-dir", console_dir.as_str()];
        args.extend_from_slice(extra);
        let server = TestServer::start(dir.path(), &common::no_widget(dir.path()), &args);
        Self { server, app, one_time, client: reqwest::Client::new(), dir }
    }

    fn start() -> Self {
        Self::start_with(None, &[])
    }

    fn app_id(&self) -> String {
        self.app["appId"].as_str().unwrap().to_owned()
    }

    fn cred(&self, name: &str) -> String {
        self.app[name].as_str().unwrap().to_owned()
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, headers, json }
    }

    /// `POST /console/api/login`.
    async fn login(&self, email: &str, password: &str) -> Answer {
        let response = self
            .client
            .post(self.server.url("/console/api/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        Self::answer(response).await
    }

    /// Signs in with `password`, which must be right; gives the browser.
    async fn browser(&self, password: &str) -> Browser {
        let answer = self.login(OWNER, password).await;
        assert_eq!(answer.status, 200, "{}", answer.json);
        let cookie = answer.headers.get(SET_COOKIE).expect("a session cookie").to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        Browser { cookie, csrf: answer.json["data"]["csrfToken"].as_str().unwrap().to_owned() }
    }

    /// A browser signed in with a password of the owner's choosing (the one-time one changed).
    async fn owner(&self) -> Browser {
        let browser = self.browser(&self.one_time).await;
        let body = json!({"currentPassword": self.one_time, "newPassword": NEW_PASSWORD});
        let changed = self.call(Some(&browser), "POST", "/password", Some(body), Csrf::Right).await;
        assert_eq!(changed.status, 204, "{}", changed.json);
        browser
    }

    /// `method /console/api{path}` as `browser` (no cookie when `None`).
    async fn call(&self, browser: Option<&Browser>, method: &str, path: &str, body: Option<Value>, csrf: Csrf<'_>) -> Answer {
        self.call_with(browser, method, path, body, csrf, &[]).await
    }

    async fn call_with(&self, browser: Option<&Browser>, method: &str, path: &str, body: Option<Value>, csrf: Csrf<'_>, headers: &[(&str, &str)]) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, self.server.url(&format!("/console/api{path}")));
        if let Some(browser) = browser {
            request = request.header("cookie", &browser.cookie);
            match csrf {
                Csrf::Right => request = request.header("x-csrf-token", &browser.csrf),
                Csrf::Is(value) => request = request.header("x-csrf-token", value),
                Csrf::Missing => {}
            }
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::answer(request.send().await.unwrap()).await
    }

    /// `method /console/api{path}` as `browser`, with the right CSRF token; asserts 200 and gives the JSON.
    async fn ok(&self, browser: &Browser, method: &str, path: &str, body: Option<Value>) -> Value {
        let answer = self.call(Some(browser), method, path, body, Csrf::Right).await;
        assert_eq!(answer.status, 200, "{method} {path}: {}", answer.json);
        answer.json
    }

    /// `method /v3{path}` with these headers (`appid` of the first app unless given).
    async fn v3(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, self.server.url(&format!("/v3{path}")));
        if !headers.iter().any(|(name, _)| *name == "appid") {
            request = request.header("appid", self.app_id());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::answer(request.send().await.unwrap()).await
    }

    /// `method /v3{path}` with the first app's REST API key; asserts 200.
    async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let key = self.cred("apiKey");
        let answer = self.v3(method, path, &[("apikey", &key)], body).await;
        assert_eq!(answer.status, 200, "{method} {path}: {}", answer.json);
        answer.json
    }

    /// The first app's audit log, newest first.
    async fn audit(&self, browser: &Browser) -> Vec<Value> {
        let log = self.ok(browser, "GET", &format!("/apps/{}/audit?per_page=100", self.app_id()), None).await;
        log["data"].as_array().unwrap().clone()
    }
}

fn text_to(to: &str, text: &str) -> Value {
    json!({"receiver": to, "receiverType": "user", "type": "text", "data": {"text": text}})
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let console = Console::start();
    let wrong = console.login(OWNER, "not the password").await;
    let unknown = console.login("nobody@example.com", &console.one_time).await;
    for answer in [&wrong, &unknown] {
        assert_eq!((answer.status, answer.code()), (401, "ERR_BAD_CREDENTIALS"), "{}", answer.json);
        assert!(answer.headers.get(SET_COOKIE).is_none(), "no cookie for a failed sign-in");
    }
    assert_eq!(wrong.json, unknown.json, "nothing tells a wrong email from a wrong password");
    // The email's case does not matter; the password's does.
    assert_eq!(console.login("OWNER@Example.COM", &console.one_time).await.status, 200);
    assert_eq!(console.login(OWNER, &console.one_time.to_uppercase()).await.status, 401);
    // A cross-site form cannot sign anyone in: the body must be declared JSON.
    let form = console
        .client
        .post(console.server.url("/console/api/login"))
        .header("content-type", "text/plain")
        .body(json!({"email": OWNER, "password": console.one_time}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 415);
    assert!(form.headers().get(SET_COOKIE).is_none());
}

#[tokio::test]
async fn the_one_time_password_must_be_changed_before_anything_else() {
    let console = Console::start();
    let signed_in = console.login(OWNER, &console.one_time).await;
    assert_eq!(signed_in.json["data"]["mustChangePassword"], true, "{}", signed_in.json);
    assert_eq!(signed_in.json["data"]["email"], OWNER);
    let browser = console.browser(&console.one_time).await;
    let other_browser = console.browser(&console.one_time).await;
    let app = console.app_id();
    for (method, path) in [
        ("GET", "/apps".to_owned()),
        ("POST", "/apps".to_owned()),
        ("GET", format!("/apps/{app}/keys")),
        ("GET", format!("/apps/{app}/v3/users")),
        ("POST", format!("/apps/{app}/identity-secret")),
    ] {
        let answer = console.call(Some(&browser), method, &path, Some(json!({"name": "x"})), Csrf::Right).await;
        assert_eq!((answer.status, answer.code()), (403, "ERR_PASSWORD_CHANGE_REQUIRED"), "{method} {path}: {}", answer.json);
    }
    let session = console.ok(&browser, "GET", "/session", None).await;
    assert_eq!(session["data"]["mustChangePassword"], true);

    let change = |current: &str, new: &str| json!({"currentPassword": current, "newPassword": new});
    let short = console.call(Some(&browser), "POST", "/password", Some(change(&console.one_time, "too short")), Csrf::Right).await;
    assert_eq!((short.status, short.code(), short.json["error"]["details"]["field"].as_str()), (400, "ERR_BAD_REQUEST", Some("newPassword")));
    let long = console.call(Some(&browser), "POST", "/password", Some(change(&console.one_time, &"x".repeat(201))), Csrf::Right).await;
    assert_eq!(long.status, 400);
    let same = console.call(Some(&browser), "POST", "/password", Some(change(&console.one_time, &console.one_time)), Csrf::Right).await;
    assert_eq!(same.status, 400, "{}", same.json);
    let wrong = console.call(Some(&browser), "POST", "/password", Some(change("guess", NEW_PASSWORD)), Csrf::Right).await;
    assert_eq!((wrong.status, wrong.code()), (401, "ERR_BAD_CREDENTIALS"));
    let changed = console.call(Some(&browser), "POST", "/password", Some(change(&console.one_time, NEW_PASSWORD)), Csrf::Right).await;
    assert_eq!(changed.status, 204, "{}", changed.json);

    // Now everything is open to this session; the other one (signed in with the old password) has ended.
    assert_eq!(console.ok(&browser, "GET", "/session", None).await["data"]["mustChangePassword"], false);
    assert_eq!(console.ok(&browser, "GET", "/apps", None).await["data"][0]["appId"], app);
    let stale = console.call(Some(&other_browser), "GET", "/session", None, Csrf::Right).await;
    assert_eq!((stale.status, stale.code()), (401, "ERR_NOT_SIGNED_IN"));
    // The one-time password is spent; the new one signs in without a change.
    assert_eq!(console.login(OWNER, &console.one_time).await.status, 401);
    let again = console.login(OWNER, NEW_PASSWORD).await;
    assert_eq!((again.status, &again.json["data"]["mustChangePassword"]), (200, &json!(false)));

    // `owner reset-password` gives a new one-time password and ends the sessions.
    let (ok, stdout, stderr) = run_cli(&["owner", "reset-password", "--email", "Owner@example.com", "--data-dir", console.dir.path().to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let reset = stdout.trim();
    assert_eq!(console.call(Some(&browser), "GET", "/apps", None, Csrf::Right).await.status, 401, "sessions end on reset");
    assert_eq!(console.login(OWNER, NEW_PASSWORD).await.status, 401);
    assert_eq!(console.login(OWNER, reset).await.json["data"]["mustChangePassword"], true);
    let (ok, _, stderr) = run_cli(&["owner", "reset-password", "--email", "nobody@example.com", "--data-dir", console.dir.path().to_str().unwrap()]);
    assert!(!ok && stderr.contains("no owner"), "{stderr}");
    let (ok, _, stderr) = run_cli(&["owner", "create", "--email", "OWNER@example.com", "--data-dir", console.dir.path().to_str().unwrap()]);
    assert!(!ok && stderr.contains("exists"), "one owner per email, whatever the case: {stderr}");
    let (ok, _, _) = run_cli(&["owner", "create", "--email", "not an email", "--data-dir", console.dir.path().to_str().unwrap()]);
    assert!(!ok);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_and_scoped_to_the_console() {
    let console = Console::start();
    let answer = console.login(OWNER, &console.one_time).await;
    let cookie = answer.headers[SET_COOKIE].to_str().unwrap().to_owned();
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    let token = attributes[0].strip_prefix("confab_console=").expect("named confab_console");
    assert!(token.len() >= 64 && token.bytes().all(|b| b.is_ascii_hexdigit()), "32 random bytes: {token}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(attributes.contains(&flag), "{flag} in {cookie}");
    }
    assert!(!attributes.contains(&"Secure"), "plain http here: {cookie}");
    let csrf = answer.json["data"]["csrfToken"].as_str().unwrap();
    assert!(csrf.len() >= 32 && csrf != token, "the CSRF token is not the session token");
    assert_eq!(answer.headers["cache-control"], "no-store");
    // Behind an https address the cookie is Secure.
    let public = Console::start_with(None, &["--public-url", "https://chat.example.com"]);
    let cookie = public.login(OWNER, &public.one_time).await.headers[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.split(';').any(|a| a.trim() == "Secure"), "{cookie}");
}

#[tokio::test]
async fn changes_without_the_csrf_token_are_refused_and_change_nothing() {
    let console = Console::start();
    let browser = console.owner().await;
    let other = console.browser(NEW_PASSWORD).await;
    let app = console.app_id();
    let admin_key = console.cred("apiKey");
    console.admin("POST", "/users", Some(json!({"uid": "ann", "name": "Ann"}))).await;
    console.admin("POST", "/users", Some(json!({"uid": "bob", "name": "Bob"}))).await;
    let sent = console.v3("POST", "/messages", &[("apikey", &admin_key), ("onBehalfOf", "ann")], Some(text_to("bob", "keep me"))).await;
    let message_id = sent.json["data"]["id"].as_str().unwrap().to_owned();
    let keys = console.ok(&browser, "GET", &format!("/apps/{app}/keys"), None).await["data"].clone();
    let rest_key_id = keys.as_array().unwrap().iter().find(|k| k["scope"] == "fullAccess").unwrap()["id"].as_str().unwrap().to_owned();

    let attempts: Vec<(&str, String, Value)> = vec![
        ("POST", "/apps".into(), json!({"name": "Sneaky"})),
        ("PUT", format!("/apps/{app}"), json!({"name": "Renamed"})),
        ("POST", format!("/apps/{app}/keys"), json!({"name": "Mine", "scope": "fullAccess"})),
        ("DELETE", format!("/apps/{app}/keys/{rest_key_id}"), json!({})),
        ("POST", format!("/apps/{app}/identity-secret"), json!({})),
        ("DELETE", format!("/apps/{app}/v3/messages/{message_id}"), json!({})),
        ("POST", format!("/apps/{app}/v3/users"), json!({"uid": "mallory", "name": "M"})),
        ("POST", "/password".into(), json!({"currentPassword": NEW_PASSWORD, "newPassword": "attacker's choice!"})),
    ];
    for (method, path, body) in &attempts {
        for csrf in [Csrf::Missing, Csrf::Is("0000"), Csrf::Is(""), Csrf::Is(other.csrf.as_str())] {
            let answer = console.call(Some(&browser), method, path, Some(body.clone()), csrf).await;
            assert_eq!((answer.status, answer.code()), (403, "ERR_CSRF"), "{method} {path} with {csrf:?}: {}", answer.json);
        }
    }
    // Nothing changed.
    let apps = console.ok(&browser, "GET", "/apps", None).await["data"].clone();
    assert_eq!(apps.as_array().unwrap().len(), 1);
    assert_eq!(apps[0]["name"], "First app");
    assert_eq!(console.ok(&browser, "GET", &format!("/apps/{app}/keys"), None).await["data"], keys);
    assert_eq!(console.admin("GET", &format!("/messages/{message_id}"), None).await["data"]["data"]["text"], "keep me");
    let ann = json!({"uid": "ann", "userHash": user_hash(&console.cred("identitySecret"), "ann")});
    assert_eq!(console.v3("POST", "/auth/uid", &[("apikey", &console.cred("authKey"))], Some(ann)).await.status, 200, "the identity secret is the same");
    assert_eq!(console.v3("GET", "/users/mallory", &[("apikey", &admin_key)], None).await.status, 404);
    assert!(console.audit(&browser).await.is_empty(), "no change, no audit line");
    assert_eq!(console.login(OWNER, NEW_PASSWORD).await.status, 200, "the password is the same");
    // Signing out needs it too, so a page cannot sign the owner out either.
    let logout = console.call(Some(&browser), "POST", "/logout", None, Csrf::Missing).await;
    assert_eq!((logout.status, logout.code()), (403, "ERR_CSRF"));
    assert_eq!(console.call(Some(&browser), "GET", "/session", None, Csrf::Missing).await.status, 200, "GETs need no token");
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_email_and_per_address() {
    let console = Console::start();
    for _ in 0..5 {
        assert_eq!(console.login(OWNER, "guess").await.status, 401);
    }
    // The email has had its wrong guesses: refused, even with the right password.
    let limited = console.login(OWNER, &console.one_time).await;
    assert_eq!((limited.status, limited.code()), (429, "ERR_RATE_LIMITED"), "{}", limited.json);
    let retry: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    assert!(limited.headers.get(SET_COOKIE).is_none());
    // Another owner still signs in from here; then this address tries many emails and runs out too.
    let second = create_owner(console.dir.path(), "second@example.com");
    assert_eq!(console.login("second@example.com", &second).await.status, 200);
    let mut refused_at = None;
    for i in 0..20 {
        let answer = console.login(&format!("spray{i}@example.com"), "Winter2024!").await;
        if answer.status == 429 {
            refused_at = Some(i);
            break;
        }
        assert_eq!(answer.status, 401);
    }
    assert_eq!(refused_at, Some(15), "20 wrong sign-ins from one address: 5 before, 15 now");
    let third = create_owner(console.dir.path(), "third@example.com");
    assert_eq!(console.login("third@example.com", &third).await.code(), "ERR_RATE_LIMITED", "the address is limited whatever the email");
}

#[tokio::test]
async fn a_new_app_comes_with_keys_that_work() {
    let console = Console::start();
    let browser = console.owner().await;
    let created = console.ok(&browser, "POST", "/apps", Some(json!({"name": "  Shop  "}))).await["data"].clone();
    let app_id = created["app"]["appId"].as_str().unwrap().to_owned();
    assert_eq!(created["app"]["name"], "Shop");
    assert_eq!(created["app"]["region"], "local");
    let (rest, auth, secret) = (
        created["restApiKey"].as_str().unwrap().to_owned(),
        created["authKey"].as_str().unwrap().to_owned(),
        created["identitySecret"].as_str().unwrap().to_owned(),
    );
    let apps = console.ok(&browser, "GET", "/apps", None).await["data"].clone();
    assert_eq!(apps.as_array().unwrap().len(), 2);
    assert!(apps.as_array().unwrap().iter().all(|a| a.get("restApiKey").is_none()), "keys are shown once");
    let made = console.v3("POST", "/users", &[("appid", &app_id), ("apikey", &rest)], Some(json!({"uid": "ann", "name": "Ann"}))).await;
    assert_eq!(made.status, 200, "{}", made.json);
    let signed = json!({"uid": "ann", "userHash": user_hash(&secret, "ann")});
    assert_eq!(console.v3("POST", "/auth/uid", &[("appid", &app_id), ("apikey", &auth)], Some(signed)).await.status, 200);
    let listing = console.v3("GET", "/users", &[("appid", &app_id), ("apikey", &auth)], None).await;
    assert_eq!(listing.status, 403, "the auth key is only an auth key");
    // The first app's key is no key of the new one.
    let cross = console.v3("GET", "/users", &[("appid", &app_id), ("apikey", &console.cred("apiKey"))], None).await;
    assert_eq!((cross.status, cross.code()), (401, "AUTH_ERR_APIKEY_NOT_FOUND"));
    // Names are checked; renames show.
    let empty = console.call(Some(&browser), "POST", "/apps", Some(json!({"name": "   "})), Csrf::Right).await;
    assert_eq!((empty.status, empty.json["error"]["details"]["field"].as_str()), (400, Some("name")));
    let renamed = console.ok(&browser, "PUT", &format!("/apps/{app_id}"), Some(json!({"name": "Shop 2"}))).await;
    assert_eq!(renamed["data"]["name"], "Shop 2");
    let got = console.v3("GET", "/app", &[("appid", &app_id), ("apikey", &rest)], None).await;
    assert_eq!(got.json["data"]["name"], "Shop 2");
    let missing = console.call(Some(&browser), "GET", "/apps/nope/keys", None, Csrf::Right).await;
    assert_eq!((missing.status, missing.code()), (404, "ERR_APP_NOT_FOUND"));
}

#[tokio::test]
async fn a_revoked_key_gets_401_at_once() {
    let console = Console::start();
    let browser = console.owner().await;
    let app = console.app_id();
    let created = console.ok(&browser, "POST", &format!("/apps/{app}/keys"), Some(json!({"name": "Backend 2", "scope": "fullAccess"}))).await;
    let (id, secret) = (created["data"]["key"]["id"].as_str().unwrap().to_owned(), created["data"]["secret"].as_str().unwrap().to_owned());
    assert_eq!(id.len(), 16);
    assert_eq!(created["data"]["key"]["scope"], "fullAccess");
    let listed = console.ok(&browser, "GET", &format!("/apps/{app}/keys"), None).await["data"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
    assert!(!listed.to_string().contains(&secret), "the listing never shows a secret");
    // Used (and so cached) before the revocation...
    for _ in 0..3 {
        assert_eq!(console.v3("GET", "/users", &[("apikey", &secret)], None).await.status, 200);
    }
    let revoked = console.call(Some(&browser), "DELETE", &format!("/apps/{app}/keys/{id}"), None, Csrf::Right).await;
    assert_eq!(revoked.status, 204, "{}", revoked.json);
    // ... refused at once after it.
    let refused = console.v3("GET", "/users", &[("apikey", &secret)], None).await;
    assert_eq!((refused.status, refused.code()), (401, "AUTH_ERR_APIKEY_NOT_FOUND"));
    assert_eq!(console.v3("GET", "/users", &[("authkey", &secret)], None).await.status, 401);
    let listed = console.ok(&browser, "GET", &format!("/apps/{app}/keys"), None).await["data"].clone();
    assert!(listed.as_array().unwrap().iter().all(|k| k["id"] != id.as_str()), "revoked keys are gone");
    let again = console.call(Some(&browser), "DELETE", &format!("/apps/{app}/keys/{id}"), None, Csrf::Right).await;
    assert_eq!((again.status, again.code()), (404, "ERR_KEY_NOT_FOUND"));
    // The app's other keys still work; a bad scope is refused by name.
    assert_eq!(console.v3("GET", "/users", &[("apikey", &console.cred("apiKey"))], None).await.status, 200);
    let bad = console.call(Some(&browser), "POST", &format!("/apps/{app}/keys"), Some(json!({"name": "x", "scope": "root"})), Csrf::Right).await;
    assert_eq!(bad.status, 400);
    // An auth-only key made here works as one.
    let auth = console.ok(&browser, "POST", &format!("/apps/{app}/keys"), Some(json!({"name": "Widget 2", "scope": "authOnly"}))).await;
    let auth_secret = auth["data"]["secret"].as_str().unwrap();
    assert_eq!(console.v3("POST", "/auth/guest", &[("apikey", auth_secret)], None).await.status, 200);
    assert_eq!(console.v3("GET", "/users", &[("apikey", auth_secret)], None).await.status, 403);
}

#[tokio::test]
async fn a_rotated_identity_secret_refuses_the_old_user_hash() {
    let console = Console::start();
    let browser = console.owner().await;
    let app = console.app_id();
    let (auth, old) = (console.cred("authKey"), console.cred("identitySecret"));
    let sign_in = |secret: String| {
        let auth = auth.clone();
        let console = &console;
        async move { console.v3("POST", "/auth/uid", &[("apikey", &auth)], Some(json!({"uid": "ann", "userHash": user_hash(&secret, "ann")}))).await }
    };
    assert_eq!(sign_in(old.clone()).await.status, 200, "the old secret works before");
    let rotated = console.ok(&browser, "POST", &format!("/apps/{app}/identity-secret"), None).await;
    let new = rotated["data"]["identitySecret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(new.len() >= 32);
    let refused = sign_in(old).await;
    assert_eq!((refused.status, refused.code()), (401, "AUTH_ERR_USER_HASH_INVALID"), "{}", refused.json);
    assert_eq!(sign_in(new).await.status, 200);
}

#[tokio::test]
async fn the_pass_through_acts_as_the_app_and_no_header_can_forge_it() {
    let console = Console::start();
    let browser = console.owner().await;
    let app = console.app_id();
    let base = format!("/apps/{app}/v3");
    // Users made through the console, listed through it.
    for uid in ["ann", "bob"] {
        console.ok(&browser, "POST", &format!("{base}/users"), Some(json!({"uid": uid, "name": uid}))).await;
    }
    let users = console.ok(&browser, "GET", &format!("{base}/users?perPage=10"), None).await;
    let uids: Vec<&str> = users["data"].as_array().unwrap().iter().map(|u| u["uid"].as_str().unwrap()).collect();
    assert_eq!(uids, ["ann", "bob"], "{users}");
    assert_eq!(users["meta"]["pagination"]["perPage"], 10, "the query passes");
    // onBehalfOf passes through: ann sends, then the console deletes her message.
    let sent = console.call_with(Some(&browser), "POST", &format!("{base}/messages"), Some(text_to("bob", "spam")), Csrf::Right, &[("onBehalfOf", "ann")]).await;
    assert_eq!((sent.status, sent.json["data"]["sender"].as_str()), (200, Some("ann")), "{}", sent.json);
    let id = sent.json["data"]["id"].as_str().unwrap().to_owned();
    console.ok(&browser, "DELETE", &format!("{base}/messages/{id}"), None).await;
    let gone = console.admin("GET", &format!("/messages/{id}"), None).await;
    assert!(gone["data"]["deletedAt"].is_number(), "{gone}");
    // Errors of /v3 pass as they are; unknown paths are JSON 404s.
    let missing = console.call(Some(&browser), "GET", &format!("{base}/users/nobody"), None, Csrf::Right).await;
    assert_eq!((missing.status, missing.code()), (404, "ERR_UID_NOT_FOUND"));
    assert_eq!(console.call(Some(&browser), "GET", &format!("{base}/nothing/here"), None, Csrf::Right).await.code(), "ERR_NOT_FOUND");
    let no_app = console.call(Some(&browser), "GET", "/apps/nope/v3/users", None, Csrf::Right).await;
    assert_eq!((no_app.status, no_app.code()), (404, "ERR_APP_NOT_FOUND"));

    // Without a session: nothing, whatever else the request carries.
    let anonymous = console.call_with(None, "GET", &format!("{base}/users"), None, Csrf::Missing, &[("appid", &app), ("apikey", "forged")]).await;
    assert_eq!((anonymous.status, anonymous.code()), (401, "ERR_NOT_SIGNED_IN"));
    // A console cookie on /v3 is no credential, nor any header a browser can send.
    let auth_key = console.cred("authKey");
    let forgeries: Vec<Vec<(&str, &str)>> = vec![
        vec![("cookie", browser.cookie.as_str())],
        vec![("cookie", browser.cookie.as_str()), ("x-csrf-token", browser.csrf.as_str())],
        vec![("x-console-grant", "1"), ("x-confab-console", app.as_str()), ("console", "true")],
        vec![("apikey", auth_key.as_str()), ("cookie", browser.cookie.as_str()), ("x-csrf-token", browser.csrf.as_str())],
        vec![("apikey", auth_key.as_str()), ("onBehalfOf", "ann"), ("x-forwarded-for", "127.0.0.1")],
    ];
    for headers in &forgeries {
        let answer = console.v3("GET", "/users", headers, None).await;
        assert!(matches!(answer.status, 401 | 403), "{headers:?} got {}: {}", answer.status, answer.json);
        let deleted = console.v3("DELETE", "/users/bob", headers, Some(json!({"permanent": true}))).await;
        assert!(matches!(deleted.status, 401 | 403), "{headers:?} deleted: {}", deleted.json);
    }
    assert_eq!(console.admin("GET", "/users/bob", None).await["data"]["uid"], "bob");
    // Through the console, a key sent by the browser does not change whose app it is.
    let other = common::run_cli(&["app", "create", "--name", "Other", "--data-dir", console.dir.path().to_str().unwrap()]);
    let other: Value = serde_json::from_str(other.1.trim()).unwrap();
    let other_key = other["apiKey"].as_str().unwrap();
    let other_id = other["appId"].as_str().unwrap();
    let mixed = console
        .call_with(Some(&browser), "GET", &format!("{base}/users"), None, Csrf::Right, &[("apikey", other_key), ("appid", other_id)])
        .await;
    assert_eq!(mixed.json["data"].as_array().map(Vec::len), Some(2), "still the first app's users: {}", mixed.json);
    // Every owner administers every app: the other one too, through its own path.
    let others = console.ok(&browser, "GET", &format!("/apps/{other_id}/v3/users"), None).await;
    assert_eq!(others["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_audit_log_names_who_changed_what_and_no_secret() {
    let console = Console::start();
    let browser = console.owner().await;
    let app = console.app_id();
    let rest = console.cred("apiKey");
    let key = console.ok(&browser, "POST", &format!("/apps/{app}/keys"), Some(json!({"name": "Temp", "scope": "fullAccess"}))).await;
    let (key_id, key_secret) = (key["data"]["key"]["id"].as_str().unwrap().to_owned(), key["data"]["secret"].as_str().unwrap().to_owned());
    let answer = console.call(Some(&browser), "DELETE", &format!("/apps/{app}/keys/{key_id}"), None, Csrf::Right).await;
    assert_eq!(answer.status, 204);
    let secret = console.ok(&browser, "POST", &format!("/apps/{app}/identity-secret"), None).await["data"]["identitySecret"].as_str().unwrap().to_owned();
    console.ok(&browser, "PUT", &format!("/apps/{app}"), Some(json!({"name": "Renamed"}))).await;
    // A webhook made with the REST API key, with a password, then changed through the console.
    let hook = json!({"id": "crm", "url": "https://hooks.example.com/confab?token=url-secret", "triggers": ["message_sent"],
        "useBasicAuth": true, "username": "confab", "password": "basic-secret"});
    console.admin("POST", "/webhooks", Some(hook)).await;
    console.ok(&browser, "PUT", &format!("/apps/{app}/v3/webhooks/crm"), Some(json!({"enabled": false}))).await;
    console.admin("PUT", "/app", Some(json!({"visibleRoles": ["agent"]}))).await;
    // Not audited: reads, chat, users; and failed calls.
    console.admin("GET", "/webhooks", None).await;
    console.admin("POST", "/users", Some(json!({"uid": "ann", "name": "Ann"}))).await;
    assert_eq!(console.v3("DELETE", "/webhooks/none", &[("apikey", &rest)], None).await.status, 404);

    let lines = console.audit(&browser).await;
    let seen: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| (l["action"].as_str().unwrap(), l["actor"].as_str().unwrap(), l["target"].as_str().unwrap()))
        .collect();
    let rest_actor = {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(rest.as_bytes());
        format!("apikey:{}", hash[..8].iter().map(|b| format!("{b:02x}")).collect::<String>())
    };
    assert_eq!(
        seen,
        [
            ("app.update", rest_actor.as_str(), ""),
            ("webhook.update", OWNER, "crm"),
            ("webhook.create", rest_actor.as_str(), "crm"),
            ("app.rename", OWNER, app.as_str()),
            ("identity.rotate", OWNER, app.as_str()),
            ("key.revoke", OWNER, key_id.as_str()),
            ("key.create", OWNER, key_id.as_str()),
        ],
        "newest first: {lines:?}"
    );
    let all = serde_json::to_string(&lines).unwrap();
    for secret in [key_secret.as_str(), secret.as_str(), "basic-secret", "url-secret", rest.as_str()] {
        assert!(!all.contains(secret), "the log holds a secret: {all}");
    }
    assert!(lines.iter().all(|l| l["at"].as_i64().unwrap() > 1_600_000_000 && l["id"].is_i64()));
    assert!(lines[2]["detail"].as_str().unwrap().contains("password"), "the detail names fields: {}", lines[2]);
    // Paged: newest first, with the pagination of the other lists.
    let page = console.ok(&browser, "GET", &format!("/apps/{app}/audit?page=2&perPage=3"), None).await;
    assert_eq!(page["meta"]["pagination"]["total"], 7);
    assert_eq!(page["data"][0]["action"], "app.rename");
    let page = console.ok(&browser, "GET", &format!("/apps/{app}/audit?page=3&per_page=3"), None).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_overview_counts_todays_messages_senders_and_users() {
    let console = Console::start();
    let browser = console.owner().await;
    let app = console.app_id();
    let key = console.cred("apiKey");
    for uid in ["ann", "bob", "cat"] {
        console.admin("POST", "/users", Some(json!({"uid": uid, "name": uid}))).await;
    }
    for (from, to) in [("ann", "bob"), ("bob", "ann"), ("ann", "cat"), ("ann", "bob")] {
        let sent = console.v3("POST", "/messages", &[("apikey", &key), ("onBehalfOf", from)], Some(text_to(to, "hi"))).await;
        assert_eq!(sent.status, 200, "{}", sent.json);
    }
    let overview = console.ok(&browser, "GET", &format!("/apps/{app}/overview"), None).await["data"].clone();
    assert_eq!(overview["messagesToday"], 4, "{overview}");
    assert_eq!(overview["activeUsers"], 2, "ann and bob sent");
    assert_eq!(overview["usersTotal"], 3);
    assert_eq!(overview["socketsNow"], 0);
    let days = overview["messagesPerDay"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let today = {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        confab_server::console::apps::utc_date(secs)
    };
    assert_eq!(days[29], json!({"day": today, "count": 4}));
    assert!(days[..29].iter().all(|d| d["count"] == 0));
    assert!(days.windows(2).all(|w| w[0]["day"].as_str() < w[1]["day"].as_str()), "oldest first");

    // A user's devices: tokens without the tokens, and the sockets open now.
    let made = console.admin("POST", "/users", Some(json!({"uid": "dan", "name": "Dan", "withAuthToken": true}))).await;
    let token = made["data"]["authToken"].as_str().unwrap().to_owned();
    let url = console.server.url("/v3/ws").replacen("http://", "ws://", 1);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let auth = json!({"type": "auth", "v": 1, "appId": app, "authToken": token});
    socket.send(tokio_tungstenite::tungstenite::Message::text(auth.to_string())).await.unwrap();
    loop {
        let frame = socket.next().await.unwrap().unwrap();
        if frame.to_text().unwrap_or("").contains("\"ready\"") {
            break;
        }
    }
    let devices = console.ok(&browser, "GET", &format!("/apps/{app}/users/Dan/devices"), None).await["data"].clone();
    assert_eq!(devices["online"], 1, "{devices}");
    assert_eq!(devices["tokens"].as_array().unwrap().len(), 1);
    assert!(devices["tokens"][0]["createdAt"].is_i64());
    assert!(!devices.to_string().contains(&token));
    assert_eq!(console.ok(&browser, "GET", &format!("/apps/{app}/overview"), None).await["data"]["socketsNow"], 1);
    let nobody = console.call(Some(&browser), "GET", &format!("/apps/{app}/users/nobody/devices"), None, Csrf::Right).await;
    assert_eq!((nobody.status, nobody.code()), (404, "ERR_UID_NOT_FOUND"));
}

#[tokio::test]
async fn a_signed_out_cookie_no_longer_works() {
    let console = Console::start();
    let browser = console.owner().await;
    let out = console.call(Some(&browser), "POST", "/logout", None, Csrf::Right).await;
    assert_eq!(out.status, 204);
    let cleared = out.headers[SET_COOKIE].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0") && cleared.contains("Path=/console"), "{cleared}");
    // The old cookie, replayed, with its CSRF token: nothing.
    for (method, path) in [("GET", "/session".to_owned()), ("GET", "/apps".to_owned()), ("POST", "/apps".to_owned()), ("GET", format!("/apps/{}/v3/users", console.app_id()))] {
        let answer = console.call(Some(&browser), method, &path, Some(json!({"name": "x"})), Csrf::Right).await;
        assert_eq!((answer.status, answer.code()), (401, "ERR_NOT_SIGNED_IN"), "{method} {path}");
    }
    // Signing out again is harmless; no cookie at all is not signed in.
    assert_eq!(console.call(Some(&browser), "POST", "/logout", None, Csrf::Right).await.status, 204);
    assert_eq!(console.call(None, "GET", "/session", None, Csrf::Missing).await.code(), "ERR_NOT_SIGNED_IN");
    let made_up = Browser { cookie: format!("confab_console={}", "ab".repeat(32)), csrf: "x".into() };
    assert_eq!(console.call(Some(&made_up), "GET", "/apps", None, Csrf::Right).await.status, 401);
}

#[tokio::test]
async fn the_built_console_is_served_with_its_policy_and_a_missing_build_says_so() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), "<!doctype html><title>Confab console</title>").unwrap();
    std::fs::write(dist.path().join("confab-console-0123456789abcdef.js"), "console.log('hi')").unwrap();
    let console = Console::start_with(Some(dist.path()), &[]);
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(console.server.url(path)).header("accept", "text/html").send();
    for page in ["/console", "/console/", "/console/apps/abc/keys", "/console/sign-in"] {
        let response = get(page).await.unwrap();
        assert_eq!(response.status(), 200, "{page}");
        let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert_eq!(csp, "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; frame-src *; img-src * data:; frame-ancestors 'none'");
        assert_eq!(response.headers()["x-frame-options"], "DENY");
        assert!(response.text().await.unwrap().contains("Confab console"), "{page}");
    }
    let script = get("/console/confab-console-0123456789abcdef.js").await.unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(script.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(get("/console/missing.js").await.unwrap().status(), 404);
    let api = get("/console/api/nothing").await.unwrap();
    assert_eq!(api.status(), 404);
    assert_eq!(api.json::<Value>().await.unwrap()["error"]["code"], "ERR_NOT_FOUND", "the API never answers with the page");

    let unbuilt = Console::start();
    let page = client.get(unbuilt.server.url("/console/apps")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 503);
    assert!(page.text().await.unwrap().contains("scripts/build-console.sh"));
    let json = client.get(unbuilt.server.url("/console")).send().await.unwrap();
    assert_eq!(json.status(), 503);
    assert_eq!(json.json::<Value>().await.unwrap()["error"]["code"], "ERR_UNAVAILABLE");
    // The API works without the build.
    assert_eq!(unbuilt.login(OWNER, &unbuilt.one_time).await.status, 200);
}

/// On two nodes of a cluster: an owner made with `--database-url`, a session made on one node that works on
/// the other, and a key revoked on one node that the other (which had it cached) refuses within 2 s.
#[tokio::test]
async fn in_a_cluster_a_revoked_key_stops_everywhere_within_two_seconds() {
    let cluster = common::cluster::Cluster::start(2, &[]).await;
    let (ok, stdout, stderr) = run_cli(&["owner", "create", "--email", OWNER, "--database-url", &cluster.database_url]);
    assert!(ok, "{stderr}");
    let one_time = stdout.trim().to_owned();
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let app = a.cred("appId");
    let client = reqwest::Client::new();
    let signed = client.post(a.server.url("/console/api/login")).json(&json!({"email": OWNER, "password": one_time})).send().await.unwrap();
    let cookie = signed.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let csrf = signed.json::<Value>().await.unwrap()["data"]["csrfToken"].as_str().unwrap().to_owned();
    let console = |node: &common::TestApp, method: reqwest::Method, path: String| {
        client.request(method, node.server.url(&format!("/console/api{path}"))).header("cookie", &cookie).header("x-csrf-token", &csrf)
    };
    // The session made on A works on B: B changes the password.
    let changed = console(b, reqwest::Method::POST, "/password".into())
        .json(&json!({"currentPassword": one_time, "newPassword": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    let created: Value = console(a, reqwest::Method::POST, format!("/apps/{app}/keys"))
        .json(&json!({"name": "Backend", "scope": "fullAccess"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, secret) = (created["data"]["key"]["id"].as_str().unwrap().to_owned(), created["data"]["secret"].as_str().unwrap().to_owned());
    let use_key = |node: &common::TestApp| {
        client.get(node.server.url("/v3/users")).header("appid", &app).header("apikey", &secret).send()
    };
    assert_eq!(use_key(b).await.unwrap().status(), 200, "B knows (and caches) the key");
    let revoked = console(a, reqwest::Method::DELETE, format!("/apps/{app}/keys/{id}")).send().await.unwrap();
    assert_eq!(revoked.status(), 204);
    let at = std::time::Instant::now();
    assert_eq!(use_key(a).await.unwrap().status(), 401, "at once on the node that revoked it");
    loop {
        let status = use_key(b).await.unwrap().status();
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(at.elapsed() < std::time::Duration::from_millis(2500), "B still took the revoked key after {:?}", at.elapsed());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
