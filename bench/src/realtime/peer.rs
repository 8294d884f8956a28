//! The peer: `bench/peer/relay.mjs`, a minimal in-memory chat relay on Node and `ws`, started by the bench
//! and driven with the same clients and traffic as Confab.

use crate::server::workspace_root;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The line the relay prints once it accepts connections; its base URL follows.
const LISTENING: &str = "relay listening on ";
/// How long the relay has to start.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Beside `node_modules`' packages: a copy of the `package-lock.json` they were installed from.
const STAMP: &str = ".confab-lock";

/// The peer's folder: `bench/peer`.
pub fn dir() -> PathBuf {
    workspace_root().join("bench").join("peer")
}

/// Installs the peer's packages with `npm ci` when `node_modules` is missing or was installed from another
/// `package-lock.json` (the same stamp as scripts/setup.sh keeps for the end-to-end tests).
pub async fn ensure_installed(dir: &Path) -> Result<(), String> {
    let lock_path = dir.join("package-lock.json");
    let lock = std::fs::read(&lock_path).map_err(|e| format!("reading {}: {e}", lock_path.display()))?;
    let stamp = dir.join("node_modules").join(STAMP);
    if std::fs::read(&stamp).is_ok_and(|installed| installed == lock) {
        return Ok(());
    }
    eprintln!("Installing the peer's packages (npm ci in {}) ...", dir.display());
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .await
        .map_err(|e| format!("cannot run npm: {e} (install Node.js and npm, or pass --no-peer)"))?;
    if !status.success() {
        return Err(format!("npm ci in {} failed ({status})", dir.display()));
    }
    std::fs::write(&stamp, lock).map_err(|e| format!("writing {}: {e}", stamp.display()))
}

/// The running relay; killed when dropped.
pub struct Peer {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl Peer {
    /// Starts `node relay.mjs --port 0` with `node` and waits for it to print its address.
    pub async fn start(node: &Path, dir: &Path) -> Result<Self, String> {
        let mut child = Command::new(node)
            .arg(dir.join("relay.mjs"))
            .args(["--port", "0"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {} (pass --node PATH or --no-peer): {e}", node.display()))?;
        let stdout = child.stdout.take().ok_or("the relay's stdout is not piped")?;
        let mut lines = BufReader::new(stdout).lines();
        let read_address = async {
            while let Some(line) = lines.next_line().await.map_err(|e| format!("reading the relay's stdout: {e}"))? {
                if let Some(url) = line.trim().strip_prefix(LISTENING) {
                    return Ok(url.trim_end_matches('/').to_owned());
                }
            }
            Err("the relay exited before listening".to_owned())
        };
        let base = match tokio::time::timeout(START_TIMEOUT, read_address).await {
            Ok(result) => result?,
            Err(_) => return Err(format!("the relay did not print its address within {}s", START_TIMEOUT.as_secs())),
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { child, base })
    }

    /// The relay's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Sets group `guid`'s members (`POST /groups`).
    pub async fn set_group(&self, client: &reqwest::Client, guid: &str, members: Vec<String>) -> Result<(), String> {
        let body = serde_json::json!({"guid": guid, "members": members});
        let response = client
            .post(format!("{}/groups", self.base))
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("registering group {guid} with the relay: {e}"))?;
        match response.status().is_success() {
            true => Ok(()),
            false => Err(format!("the relay refused group {guid}: {}", response.status())),
        }
    }

    /// Kills the relay and waits until it is gone.
    pub async fn kill(mut self) -> Result<(), String> {
        self.child.start_kill().map_err(|e| format!("cannot kill the relay: {e}"))?;
        self.child.wait().await.map_err(|e| format!("waiting for the killed relay: {e}"))?;
        Ok(())
    }
}
