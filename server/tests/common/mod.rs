//! A real `confab-server` process on a loopback port, for integration tests.

#![allow(dead_code)]

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
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .arg("--widget-dir")
            .arg(widget_dir)
            .args(extra)
            .env("CONFAB_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("confab-server starts");
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
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in reader.lines() {});
        Self { child, base, stdout }
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
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
    let out = Command::new(BIN).args(args).env("CONFAB_LOG", "warn").output().expect("confab-server runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
