//! Several real `confab-server` nodes on one PostgreSQL database and one Redis server, for the cluster
//! tests. The servers come from `scripts/services.sh` (the test command starts them): the tests read
//! `CONFAB_TEST_DATABASE_URL` and `CONFAB_TEST_REDIS_URL`, and fail when they are missing.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{no_widget, run_cli, TestApp, TestServer};

/// The PostgreSQL server the tests use (a database URL on it).
pub fn database_server() -> String {
    std::env::var("CONFAB_TEST_DATABASE_URL").expect(
        "CONFAB_TEST_DATABASE_URL is not set: run the tests through `bash scripts/test.sh`, or start the servers \
         with `bash scripts/services.sh start` and `source /tmp/confab-services/env`",
    )
}

/// The Redis server the tests use.
pub fn redis_server() -> String {
    std::env::var("CONFAB_TEST_REDIS_URL").expect(
        "CONFAB_TEST_REDIS_URL is not set: run the tests through `bash scripts/test.sh`, or start the servers \
         with `bash scripts/services.sh start` and `source /tmp/confab-services/env`",
    )
}

/// A name no other test uses.
pub fn unique_name(prefix: &str) -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("random bytes");
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{suffix}")
}

/// Creates an empty database on the test server and returns its URL.
pub async fn fresh_database() -> String {
    use sqlx::Connection;
    let server = database_server();
    let name = unique_name("confab_test");
    let mut admin = sqlx::PgConnection::connect(&server).await.expect("the test PostgreSQL server answers");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("CREATE DATABASE");
    admin.close().await.ok();
    let mut url = url::Url::parse(&server).expect("a database URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Nodes of one cluster, each a [`TestApp`] of the same app.
pub struct Cluster {
    /// The nodes, in start order.
    pub nodes: Vec<TestApp>,
    /// The database every node uses.
    pub database_url: String,
    /// The Redis server every node uses.
    pub redis_url: String,
    /// The cluster's name on Redis.
    pub name: String,
    extra: Vec<String>,
}

impl Cluster {
    /// Creates an app in a fresh database and starts `n` nodes on it with `extra` serve arguments.
    pub async fn start(n: usize, extra: &[&str]) -> Self {
        Self::start_on(n, &redis_server(), extra).await
    }

    /// Like [`Cluster::start`], with the nodes on the Redis server at `redis_url`.
    pub async fn start_on(n: usize, redis_url: &str, extra: &[&str]) -> Self {
        Self::start_with_database(n, &fresh_database().await, redis_url, extra).await
    }

    /// Like [`Cluster::start`], on the database at `database_url` and the Redis server at `redis_url`.
    pub async fn start_with_database(n: usize, database_url: &str, redis_url: &str, extra: &[&str]) -> Self {
        let database_url = database_url.to_owned();
        let (ok, stdout, stderr) = run_cli(&["app", "create", "--name", "Cluster app", "--database-url", &database_url]);
        assert!(ok, "app create on PostgreSQL: {stderr}");
        let credentials: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        let mut cluster = Self {
            nodes: Vec::new(),
            database_url,
            redis_url: redis_url.to_owned(),
            name: unique_name("cluster"),
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        for _ in 0..n {
            let node = cluster.start_node(credentials.clone());
            cluster.nodes.push(node);
        }
        cluster
    }

    fn start_node(&self, credentials: serde_json::Value) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut args: Vec<&str> =
            vec!["--database-url", &self.database_url, "--redis-url", &self.redis_url, "--cluster-name", &self.name];
        args.extend(self.extra.iter().map(String::as_str));
        let server = TestServer::start(dir.path(), &no_widget(dir.path()), &args);
        TestApp { server, credentials, client: reqwest::Client::new(), _dir: dir }
    }

    /// Node `i`.
    pub fn node(&self, i: usize) -> &TestApp {
        &self.nodes[i]
    }

    /// Kills node `i` with SIGKILL: no graceful shutdown, its sockets and calls cut off.
    pub fn kill(&mut self, i: usize) {
        let child = &mut self.nodes[i].server.child;
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts node `i` again (after [`Cluster::kill`]), on a new port.
    pub fn restart(&mut self, i: usize) {
        let credentials = self.nodes[i].credentials.clone();
        self.nodes[i] = self.start_node(credentials);
    }
}

/// A Redis server of the test's own, on a free port, that the test may stop and start again.
pub struct PrivateRedis {
    child: Option<Child>,
    /// Its port.
    pub port: u16,
    dir: tempfile::TempDir,
}

impl PrivateRedis {
    /// Starts one on a free port.
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut redis = Self { child: None, port, dir: tempfile::tempdir().unwrap() };
        redis.up();
        redis
    }

    /// `redis://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it again after [`PrivateRedis::stop`], on the same port.
    pub fn up(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts (scripts/services.sh installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen on {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A PostgreSQL server of the test's own, on a free port, that the test may stop and start again. As root it
/// runs as the `postgres` user (PostgreSQL refuses root), in a directory that user owns.
pub struct PrivatePostgres {
    /// Its port.
    pub port: u16,
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
}

impl PrivatePostgres {
    /// Creates a cluster (initdb) and starts it.
    pub fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is installed (scripts/services.sh installs it)")
            .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists())
            .max()
            .expect("a PostgreSQL version with initdb");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::Builder::new().prefix("confab-pg-").tempdir().unwrap();
        if is_root() {
            let status = Command::new("chown").arg("-R").arg("postgres").arg(dir.path()).status().unwrap();
            assert!(status.success(), "chown the PostgreSQL directory");
        }
        let pg = Self { port, dir, bin };
        let data = pg.data();
        pg.run("initdb", &["-D", &data, "-U", "confab", "--auth=trust", "--no-sync", "-E", "UTF8"]);
        pg.up();
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool).args(args).output().unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(out.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `tool` of this PostgreSQL, run as the user it runs as (`postgres` when the tests run as root).
    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        match is_root() {
            true => {
                let mut command = Command::new("runuser");
                command.args(["-u", "postgres", "--"]).arg(program);
                command
            }
            false => Command::new(program),
        }
    }

    /// A database URL on it.
    pub fn url(&self) -> String {
        format!("postgres://confab@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts it (again), on the same port.
    pub fn up(&self) {
        let (data, log) = (self.data(), self.dir.path().join("log").display().to_string());
        let options = format!("-k {} -h 127.0.0.1 -p {}", self.dir.path().display(), self.port);
        self.run("pg_ctl", &["-D", &data, "-l", &log, "-w", "-t", "30", "-o", &options, "start"]);
    }

    /// Stops it at once (`immediate`: as a crash would).
    pub fn stop(&self) {
        let data = self.data();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "stop"]).output();
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}
