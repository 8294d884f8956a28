//! Private PostgreSQL and Redis servers for the scenarios on PostgreSQL. `scripts/services.sh` starts both
//! on free loopback ports in a temporary directory of the bench's own (so they never meet the test
//! command's servers), and stops them and removes the directory at the end, also after a failure or Ctrl-C.

use crate::server::workspace_root;
use std::path::PathBuf;
use std::process::Stdio;
use tokio::process::Command;

/// The name of the database the bench creates on its private PostgreSQL server.
const DATABASE: &str = "confab_bench";

/// The running private servers; stopped when dropped.
#[derive(Debug)]
pub struct Services {
    dir: PathBuf,
    /// `postgres://confab@127.0.0.1:PORT/postgres`: the server's maintenance database.
    pub database_server: String,
    /// `redis://127.0.0.1:PORT`
    pub redis_url: String,
    stopped: bool,
}

impl Services {
    /// Starts PostgreSQL and Redis with `scripts/services.sh start DIR` on two free ports (the script installs
    /// Debian's packages when they are missing) and reads the URLs it writes to `DIR/env`.
    pub async fn start() -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("confab-bench-services-")
            .tempdir()
            .map_err(|e| format!("cannot create a directory for PostgreSQL and Redis: {e}"))?
            .keep();
        // From here on the guard stops whatever the script started, whatever happens next.
        let mut services = Self { dir, database_server: String::new(), redis_url: String::new(), stopped: false };
        let (pg_port, redis_port) = (free_port()?, free_port()?);
        let dir = services.dir.display();
        eprintln!("Starting a private PostgreSQL (port {pg_port}) and Redis (port {redis_port}) in {dir} ...");
        let status = Command::new("bash")
            .arg(script())
            .arg("start")
            .arg(&services.dir)
            .env("CONFAB_PG_PORT", pg_port.to_string())
            .env("CONFAB_REDIS_PORT", redis_port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .status()
            .await
            .map_err(|e| format!("cannot run scripts/services.sh: {e}"))?;
        if !status.success() {
            return Err(format!("scripts/services.sh start failed ({status})"));
        }
        let env = std::fs::read_to_string(services.dir.join("env"))
            .map_err(|e| format!("scripts/services.sh wrote no {}: {e}", services.dir.join("env").display()))?;
        services.database_server = env_value(&env, "CONFAB_TEST_DATABASE_URL")
            .ok_or("scripts/services.sh wrote no CONFAB_TEST_DATABASE_URL")?;
        services.redis_url =
            env_value(&env, "CONFAB_TEST_REDIS_URL").ok_or("scripts/services.sh wrote no CONFAB_TEST_REDIS_URL")?;
        Ok(services)
    }

    /// Creates an empty database on the private server (with `psql`) and returns its URL.
    pub async fn fresh_database(&self) -> Result<String, String> {
        let out = Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", &self.database_server, "-c"])
            .arg(format!("CREATE DATABASE {DATABASE}"))
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|e| format!("cannot run psql: {e}"))?;
        if !out.status.success() {
            return Err(format!("psql CREATE DATABASE failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(database_url(&self.database_server, DATABASE))
    }

    /// Stops both servers and removes their directory.
    pub async fn stop(mut self) -> Result<(), String> {
        self.stopped = true;
        let status = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .await
            .map_err(|e| format!("cannot run scripts/services.sh: {e}"))?;
        match status.success() {
            true => Ok(()),
            false => Err(format!("scripts/services.sh stop failed ({status})")),
        }
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        if !self.stopped {
            let _ = std::process::Command::new("bash")
                .arg(script())
                .arg("stop")
                .arg(&self.dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .status();
        }
    }
}

fn script() -> PathBuf {
    workspace_root().join("scripts").join("services.sh")
}

/// A loopback port nothing listens on now.
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot find a free port: {e}"))?;
    listener.local_addr().map(|addr| addr.port()).map_err(|e| format!("cannot find a free port: {e}"))
}

/// The value of `export NAME=VALUE` in the text of an env file.
fn env_value(env: &str, name: &str) -> Option<String> {
    env.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("export ")?.strip_prefix(name)?.strip_prefix('=')?;
        Some(rest.trim().trim_matches('"').to_owned())
    })
}

/// The URL of database `name` on the server of `server_url` (a URL naming any database on it).
fn database_url(server_url: &str, name: &str) -> String {
    let (without_query, query) = match server_url.split_once('?') {
        Some((url, query)) => (url, Some(query)),
        None => (server_url, None),
    };
    let scheme_end = without_query.find("://").map_or(0, |i| i + 3);
    let base = match without_query[scheme_end..].find('/') {
        Some(slash) => &without_query[..scheme_end + slash],
        None => without_query,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_env_file_the_script_writes() {
        let env = "export CONFAB_TEST_DATABASE_URL=postgres://confab@127.0.0.1:5/postgres\n\
                   export CONFAB_TEST_REDIS_URL=redis://127.0.0.1:6\n";
        let database = env_value(env, "CONFAB_TEST_DATABASE_URL");
        assert_eq!(database.as_deref(), Some("postgres://confab@127.0.0.1:5/postgres"));
        assert_eq!(env_value(env, "CONFAB_TEST_REDIS_URL").as_deref(), Some("redis://127.0.0.1:6"));
        assert_eq!(env_value(env, "CONFAB_TEST"), None);
    }

    #[test]
    fn database_urls_name_the_new_database() {
        assert_eq!(database_url("postgres://confab@127.0.0.1:5/postgres", "x"), "postgres://confab@127.0.0.1:5/x");
        assert_eq!(database_url("postgres://u:p@h:5", "x"), "postgres://u:p@h:5/x");
        assert_eq!(database_url("postgres://u@h/postgres?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }
}
