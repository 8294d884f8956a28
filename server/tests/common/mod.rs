//! A real `confab-server` process on a loopback port, for integration tests.

#![allow(dead_code)]

pub mod cluster;
pub mod receiver;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_confab-server");

/// A running server; killed when dropped.
pub struct TestServer {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Everything it printed on stdout up to the listening line.
    pub stdout: String,
}

impl TestServer {
    /// Starts `serve` on `data_dir` with the widget read from `widget_dir`, plus `extra` arguments.
    pub fn start(data_dir: &Path, widget_dir: &Path, extra: &[&str]) -> Self {
        Self::start_with_env(data_dir, widget_dir, extra, &[])
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory that does not exist, so the server runs without a built widget.
pub fn no_widget(dir: &Path) -> PathBuf {
    dir.join("no-widget")
}

/// Runs `confab-server` with `args` and returns (success, stdout, stderr).
pub fn run_cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).env("CONFAB_LOG", "error").output().expect("confab-server runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// How a test call authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Creds<'a> {
    /// No credential (only `appid`).
    None,
    /// The app's REST API key.
    Admin,
    /// The REST API key acting as this user.
    As(&'a str),
    /// The app's auth-only key.
    AuthKey,
    /// A session token.
    Token(&'a str),
    /// Any key string.
    Key(&'a str),
}

/// A server with one app, and a client for its `/v3` API.
pub struct TestApp {
    /// The running server.
    pub server: TestServer,
    /// `app create` output: appId, region, authKey, apiKey, identitySecret.
    pub credentials: serde_json::Value,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// Creates an app in a fresh data directory and starts the server with `extra` serve arguments.
    pub fn start(extra: &[&str]) -> Self {
        Self::start_with_env(extra, &[])
    }

    /// Starts the server on an empty data directory, so it creates the demo app (and its FAQ bot); the
    /// credentials are the demo app's, as printed on the first start.
    pub fn start_demo(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let args: Vec<&str> = ["--demo"].iter().chain(extra).copied().collect();
        let server = TestServer::start(dir.path(), &no_widget(dir.path()), &args);
        let start = server.stdout.find('{').expect("credentials printed");
        let end = server.stdout.rfind('}').unwrap();
        let credentials: serde_json::Value = serde_json::from_str(&server.stdout[start..=end]).unwrap();
        Self { server, credentials, client: reqwest::Client::new(), _dir: dir }
    }

    /// Kills the server with SIGKILL (no graceful shutdown) and starts it again on the same data directory,
    /// on a new port.
    pub fn restart(&mut self, extra: &[&str]) {
        let _ = self.server.child.kill();
        let _ = self.server.child.wait();
        self.server = TestServer::start(self._dir.path(), &no_widget(self._dir.path()), extra);
    }

    /// Creates another app in the same data directory (the running server sees it) and returns its
    /// credentials.
    pub fn other_app(&self) -> serde_json::Value {
        let data = self._dir.path().to_str().unwrap();
        let (ok, stdout, stderr) = run_cli(&["app", "create", "--name", "Other app", "--data-dir", data]);
        assert!(ok, "{stderr}");
        serde_json::from_str(stdout.trim()).unwrap()
    }

    /// A credential field of the app.
    pub fn cred(&self, name: &str) -> String {
        self.credentials[name].as_str().unwrap().to_owned()
    }

    /// Calls `method path` with `creds` and an optional JSON body; returns the status and the JSON answer.
    pub async fn call(&self, method: &str, path: &str, creds: Creds<'_>, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, self.server.url(&format!("/v3{path}"))).header("appid", self.cred("appId"));
        request = match creds {
            Creds::None => request,
            Creds::Admin => request.header("apikey", self.cred("apiKey")),
            Creds::As(uid) => request.header("apikey", self.cred("apiKey")).header("onBehalfOf", uid),
            Creds::AuthKey => request.header("apikey", self.cred("authKey")),
            Creds::Token(token) => request.header("authtoken", token),
            Creds::Key(key) => request.header("apikey", key),
        };
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (status, json)
    }

    /// Calls and asserts a 200; returns `data` (or the whole body for lists).
    pub async fn ok(&self, method: &str, path: &str, creds: Creds<'_>, body: Option<serde_json::Value>) -> serde_json::Value {
        let (status, json) = self.call(method, path, creds, body).await;
        assert_eq!(status, 200, "{method} {path}: {json}");
        json
    }

    /// Calls and asserts a refusal with `status` and `code`; returns the error object.
    pub async fn refused(&self, method: &str, path: &str, creds: Creds<'_>, body: Option<serde_json::Value>, status: u16, code: &str) -> serde_json::Value {
        let (got, json) = self.call(method, path, creds, body).await;
        assert_eq!((got, json["error"]["code"].as_str().unwrap_or("")), (status, code), "{method} {path}: {json}");
        json["error"].clone()
    }

    /// Creates user `uid` with the REST API key.
    pub async fn user(&self, uid: &str) -> serde_json::Value {
        let body = serde_json::json!({"uid": uid, "name": format!("User {uid}")});
        self.ok("POST", "/users", Creds::Admin, Some(body)).await["data"].clone()
    }

    /// Creates user `uid` and returns a session token for them.
    pub async fn user_with_token(&self, uid: &str) -> String {
        let body = serde_json::json!({"uid": uid, "name": format!("User {uid}"), "withAuthToken": true});
        let user = self.ok("POST", "/users", Creds::Admin, Some(body)).await;
        user["data"]["authToken"].as_str().unwrap().to_owned()
    }
}

/// A WebSocket device signed in to `/v3/ws`.
pub struct Device {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl Device {
    /// Opens a socket to `app`'s server and sends `auth` with `token` (and `lastMessageId` when given);
    /// returns the device and its `ready` frame.
    pub async fn connect(app: &TestApp, token: &str, last_message_id: Option<&str>) -> (Self, serde_json::Value) {
        let mut device = Self::open(app).await;
        let mut auth = serde_json::json!({"type": "auth", "v": 1, "appId": app.cred("appId"), "authToken": token});
        if let Some(id) = last_message_id {
            auth["lastMessageId"] = serde_json::json!(id);
        }
        device.send(auth).await;
        let ready = device.next().await;
        assert_eq!(ready["type"], "ready", "{ready}");
        (device, ready)
    }

    /// Opens a socket without signing in.
    pub async fn open(app: &TestApp) -> Self {
        let url = app.server.url("/v3/ws").replacen("http://", "ws://", 1);
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("the WebSocket opens");
        Self { socket }
    }

    /// Sends one JSON frame.
    pub async fn send(&mut self, frame: serde_json::Value) {
        use futures_util::SinkExt;
        self.socket.send(tokio_tungstenite::tungstenite::Message::Text(frame.to_string().into())).await.unwrap();
    }

    /// The next JSON frame (within 5 s); panics on close.
    pub async fn next(&mut self) -> serde_json::Value {
        match self.next_event(std::time::Duration::from_secs(5)).await {
            Some(Ok(frame)) => frame,
            Some(Err(close)) => panic!("socket closed: {close:?}"),
            None => panic!("no frame within 5 s"),
        }
    }

    /// The next frame of `kind`, skipping others (within 5 s).
    pub async fn next_of(&mut self, kind: &str) -> serde_json::Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.next_event(left).await {
                Some(Ok(frame)) if frame["type"] == kind => return frame,
                Some(Ok(_)) => continue,
                Some(Err(close)) => panic!("socket closed waiting for {kind}: {close:?}"),
                None => panic!("no {kind} frame within 5 s"),
            }
        }
    }

    /// Whether a frame of `kind` arrives within `wait` (other frames are skipped).
    pub async fn gets_within(&mut self, kind: &str, wait: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.next_event(left).await {
                Some(Ok(frame)) if frame["type"] == kind => return true,
                Some(Ok(_)) => continue,
                _ => return false,
            }
        }
    }

    /// The close code the server sends next (within `wait`), skipping frames.
    pub async fn closed_with(&mut self, wait: std::time::Duration) -> Option<u16> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.next_event(left).await {
                Some(Ok(_)) => continue,
                Some(Err(code)) => return code,
                None => return None,
            }
        }
    }

    /// The next JSON frame, `Err(close code)` when the socket closed, `None` on time-out.
    pub async fn next_event(&mut self, wait: std::time::Duration) -> Option<Result<serde_json::Value, Option<u16>>> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return None,
                Ok(None) | Ok(Some(Err(_))) => return Some(Err(None)),
                Ok(Some(Ok(message))) => message,
            };
            match message {
                Message::Text(text) => return Some(Ok(serde_json::from_str(&text).expect("frames are JSON"))),
                Message::Close(frame) => return Some(Err(frame.map(|f| u16::from(f.code)))),
                _ => continue,
            }
        }
    }
}

impl TestServer {
    /// Like [`TestServer::start`], with the variables in `env` set for the server process too.
    pub fn start_with_env(data_dir: &Path, widget_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .arg("--widget-dir")
            .arg(widget_dir)
            .args(extra)
            .env("CONFAB_LOG", "error")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("confab-server starts");
        Self::listening(child)
    }

    /// Waits for `child` to announce its address, then keeps draining its stdout so the server never
    /// blocks on a full pipe.
    fn listening(mut child: Child) -> Self {
        let mut reader = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut stdout = String::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let base = loop {
            assert!(Instant::now() < deadline, "server did not announce its address:\n{stdout}");
            let mut line = String::new();
            if reader.read_line(&mut line).expect("stdout reads") == 0 {
                panic!("server exited before listening:\n{stdout}");
            }
            stdout.push_str(&line);
            if let Some(url) = line.trim().strip_prefix("Confab is listening on ") {
                break url.to_owned();
            }
        };
        std::thread::spawn(move || for _ in reader.lines() {});
        Self { child, base, stdout }
    }
}

impl TestApp {
    /// Like [`TestApp::start`], with the variables in `env` set for the server process.
    pub fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap().to_owned();
        let (ok, stdout, stderr) = run_cli(&["app", "create", "--name", "Test app", "--data-dir", &data]);
        assert!(ok, "{stderr}");
        let credentials: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        let server = TestServer::start_with_env(dir.path(), &no_widget(dir.path()), extra, env);
        Self { server, credentials, client: reqwest::Client::new(), _dir: dir }
    }

    /// The data directory the server runs on.
    pub fn data_dir(&self) -> &Path {
        self._dir.path()
    }
}
