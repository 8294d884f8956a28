//! The `confab-server` process under test: building it, creating the app, starting and killing it.

use serde::Deserialize;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// How long a starting server has to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The line `serve` prints once it accepts connections; the base URL follows it.
const LISTENING: &str = "Confab is listening on ";

/// The workspace this bench was built in.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Builds `confab-server` in release with `cargo build --release -p confab-server` and returns the binary's
/// path: `$CARGO_TARGET_DIR/release/confab-server`, or `<workspace>/target/release/confab-server`.
pub async fn build_release() -> Result<PathBuf, String> {
    let root = workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    eprintln!("Building confab-server (cargo build --release -p confab-server) ...");
    let status = Command::new(&cargo)
        .args(["build", "--release", "-p", "confab-server"])
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .await
        .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
    if !status.success() {
        return Err(format!("cargo build --release -p confab-server failed ({status})"));
    }
    // A relative CARGO_TARGET_DIR is taken from cargo's working directory, the workspace root.
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    };
    let bin = target.join("release").join(format!("confab-server{}", std::env::consts::EXE_SUFFIX));
    match bin.is_file() {
        true => Ok(bin),
        false => Err(format!("the build succeeded but {} is missing", bin.display())),
    }
}

/// An app's credentials, as `confab-server app create` prints them (the fields the bench uses).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppCredentials {
    /// The app's id, sent as the `appid` header.
    pub app_id: String,
    /// The REST API key, sent as the `apikey` header.
    pub api_key: String,
    /// The auth-only key (signs users in: `POST /v3/auth/guest`), sent as the `apikey` header too.
    pub auth_key: String,
}

/// A new temporary data directory (removed when dropped) with an app in it, and the server started on it.
pub async fn start_fresh(bin: &Path) -> Result<(tempfile::TempDir, AppCredentials, Server), String> {
    start_fresh_on(bin, None).await
}

/// Like [`start_fresh`], with the data in the PostgreSQL database at `database_url` when given (the data
/// directory then holds nothing of importance).
pub async fn start_fresh_on(
    bin: &Path,
    database_url: Option<&str>,
) -> Result<(tempfile::TempDir, AppCredentials, Server), String> {
    let dir = data_dir()?;
    let credentials = create_app(bin, dir.path(), "Bench", database_url).await?;
    let server = Server::start_with(bin, dir.path(), &store_args(database_url)).await?;
    match database_url {
        Some(url) => eprintln!("Confab is up at {} (data in {url})", server.base),
        None => eprintln!("Confab is up at {} (data in {})", server.base, dir.path().display()),
    }
    Ok((dir, credentials, server))
}

/// A new temporary data directory, removed when dropped.
pub fn data_dir() -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix("confab-bench-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary data directory: {e}"))
}

/// The `serve` arguments that put the data in `database_url` (none for SQLite).
pub fn store_args(database_url: Option<&str>) -> Vec<String> {
    match database_url {
        Some(url) => vec!["--database-url".to_owned(), url.to_owned()],
        None => Vec::new(),
    }
}

/// Runs `confab-server app create --name NAME --data-dir DATA_DIR` (with `--database-url` when given) and
/// reads the credentials it prints.
pub async fn create_app(
    bin: &Path,
    data_dir: &Path,
    name: &str,
    database_url: Option<&str>,
) -> Result<AppCredentials, String> {
    let out = Command::new(bin)
        .args(["app", "create", "--name", name, "--data-dir"])
        .arg(data_dir)
        .args(store_args(database_url))
        .env("CONFAB_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!("confab-server app create failed ({}) {}", out.status, stderr.trim())
            .trim_end()
            .to_owned());
    }
    serde_json::from_str(stdout.trim())
        .map_err(|e| format!("confab-server app create printed something other than credentials ({e}): {stdout}"))
}

/// A running `confab-server serve`; killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl Server {
    /// Starts `serve` on `data_dir`, on a free loopback port, without the widget and without the rate limits
    /// (per key or token, per address for the auth-only key, on guest sign-ins, on sockets not signed in yet
    /// per address: every connection of the bench comes from 127.0.0.1), and waits for it to print
    /// its address. `extra` are more arguments for `serve` (`--database-url`, `--redis-url`, ...).
    pub async fn start_with(bin: &Path, data_dir: &Path, extra: &[String]) -> Result<Self, String> {
        Self::start_named(bin, data_dir, extra, "confab-server").await
    }

    /// Like [`Server::start_with`], its log lines marked with `name` on stderr.
    pub async fn start_named(bin: &Path, data_dir: &Path, extra: &[String], name: &str) -> Result<Self, String> {
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--rate-limit", "0"])
            .args(["--public-key-rate-limit", "0", "--guests-per-address", "0", "--guests-per-app", "0"])
            .args(["--unauthenticated-sockets", "0"])
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--widget-dir")
            .arg(data_dir.join("none"))
            .args(extra)
            .env("CONFAB_LOG", "warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(forward_stderr(stderr, name.to_owned()));
        }
        let stdout = child.stdout.take().ok_or("the server's stdout is not piped")?;
        let mut lines = BufReader::new(stdout).lines();
        let read_address = async {
            while let Some(line) = lines.next_line().await.map_err(|e| format!("reading the server's stdout: {e}"))? {
                if let Some(url) = line.trim().strip_prefix(LISTENING) {
                    return Ok(url.trim_end_matches('/').to_owned());
                }
            }
            Err("the server exited before listening".to_owned())
        };
        let base = match tokio::time::timeout(START_TIMEOUT, read_address).await {
            Ok(Ok(base)) => base,
            Ok(Err(err)) => return Err(err),
            Err(_) => return Err(format!("the server did not print its address within {}s", START_TIMEOUT.as_secs())),
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { child, base })
    }

    /// The server's process id (for its memory figures).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Kills the server with SIGKILL (no graceful shutdown) and waits until it is gone.
    pub async fn kill(mut self) -> Result<(), String> {
        self.child.start_kill().map_err(|e| format!("cannot kill the server: {e}"))?;
        self.child.wait().await.map_err(|e| format!("waiting for the killed server: {e}"))?;
        Ok(())
    }
}

/// Copies the server's log lines to stderr, marked as the server's.
async fn forward_stderr(stderr: impl AsyncRead + Unpin, name: String) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        eprintln!("  {name}: {line}");
    }
}
