//! The `confab-bench` command line.

use clap::{Args, Parser, ValueEnum};
use std::path::PathBuf;

/// Load generator for Confab: starts a real `confab-server`, drives it, and prints the figures.
#[derive(Debug, Parser)]
#[command(name = "confab-bench", version, about)]
pub struct Cli {
    /// Which scenario to run.
    #[arg(long, value_enum, default_value_t = Scenario::Realtime)]
    pub scenario: Scenario,
    /// Use this `confab-server` binary instead of building one with `cargo build --release -p confab-server`.
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// The measured window, shared by the scenarios.
    #[command(flatten)]
    pub window: WindowArgs,
    /// Options of the `rest-send` scenario.
    #[command(flatten)]
    pub rest_send: RestSendArgs,
    /// Options of the `realtime` scenario.
    #[command(flatten)]
    pub realtime: RealtimeArgs,
    /// Options of the `catch-up` scenario.
    #[command(flatten)]
    pub catch_up: CatchUpArgs,
    /// Where the PostgreSQL scenarios keep their data (`cluster`, and `rest-send` on PostgreSQL).
    #[command(flatten)]
    pub backend: BackendArgs,
}

impl Cli {
    /// The `rest-send` options with the shared window filled in.
    pub fn rest_send_args(&self) -> RestSendArgs {
        RestSendArgs { warmup: self.window.warmup, seconds: self.window.seconds, ..self.rest_send.clone() }
    }

    /// The `realtime` options (also those of `cluster`), with the defaults that depend on the scenario filled in.
    pub fn realtime_args(&self) -> RealtimeArgs {
        let cluster = self.scenario == Scenario::Cluster;
        let (connections, rate) = match cluster {
            true => (CLUSTER_CONNECTIONS, CLUSTER_RATE),
            false => (REALTIME_CONNECTIONS, REALTIME_RATE),
        };
        RealtimeArgs {
            connections: self.realtime.connections_flag.unwrap_or(connections),
            rate: self.realtime.rate_flag.unwrap_or(rate),
            ..self.realtime.clone()
        }
    }
}

/// `--connections` and `--rate` of `realtime` when not given: 10,000 connections, 1,000 messages a second
/// (about 25,000 deliveries a second).
pub const REALTIME_CONNECTIONS: usize = 10_000;
pub const REALTIME_RATE: f64 = 1000.0;
/// The same for `cluster`, sized for a two-core machine that runs three nodes, PostgreSQL, Redis and the
/// bench: 600 messages a second make about 15,000 deliveries a second, 10,300 of them across nodes.
pub const CLUSTER_CONNECTIONS: usize = 5_000;
pub const CLUSTER_RATE: f64 = 600.0;

/// The scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// The realtime gateway: thousands of WebSocket clients, 1:1 and group traffic at a set rate, a
    /// 1,000-member group, idle memory per connection; then the same against a minimal Node relay (the peer).
    Realtime,
    /// Users send 1:1 text messages over the REST API; then a SIGKILL and a check that every acknowledged
    /// message survived.
    RestSend,
    /// A new visitor's catch-up (REST page and WebSocket `caughtUp`) and a member's resume, in an app with one
    /// big public group, at 1,000 and at 10,000 messages.
    CatchUp,
    /// The `realtime` traffic through several nodes on one PostgreSQL database with Redis between them
    /// (private servers the bench starts), senders and receivers on different nodes; then the same traffic
    /// on one node on SQLite.
    Cluster,
}

impl Scenario {
    /// The scenario's name, as given to `--scenario` and printed in the figures.
    pub fn name(self) -> &'static str {
        match self {
            Self::Realtime => "realtime",
            Self::RestSend => "rest-send",
            Self::CatchUp => "catch-up",
            Self::Cluster => "cluster",
        }
    }
}

/// How long the scenarios send: an unmeasured warm-up, then the measured window.
#[derive(Debug, Clone, Args)]
pub struct WindowArgs {
    /// Seconds of sending before measuring starts (not counted).
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Seconds of measured sending.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
}

/// Checks a number of seconds: finite, at most a day, and more than 0 (or 0 too when `zero_ok`).
fn check_seconds(flag: &str, value: f64, zero_ok: bool) -> Result<(), String> {
    let low = if zero_ok { value < 0.0 } else { value <= 0.0 };
    if !value.is_finite() || low || value > 86_400.0 {
        let least = if zero_ok { "0 or more" } else { "more than 0" };
        return Err(format!("{flag} {value}: use {least} seconds, at most a day"));
    }
    Ok(())
}

/// Options of the `rest-send` scenario.
#[derive(Debug, Clone, Args)]
pub struct RestSendArgs {
    /// Users to create; paired into `users / 2` 1:1 conversations (must be even, at least 2).
    #[arg(long, default_value_t = 100)]
    pub users: usize,
    /// Concurrent senders; sender `i` sends in conversation `i mod (users / 2)`.
    #[arg(long, default_value_t = 50)]
    pub senders: usize,
    /// `--warmup`, filled in by [`Cli::rest_send_args`].
    #[arg(skip)]
    pub warmup: f64,
    /// `--seconds`, filled in by [`Cli::rest_send_args`].
    #[arg(skip)]
    pub seconds: f64,
    /// Every this many sends, each sender sends the last message's `muid` again and checks the server answers
    /// with the same message; 0 turns the check off.
    #[arg(long, default_value_t = 20)]
    pub muid_check_every: u64,
    /// Give up on a request after this many seconds (counted as a `timeout` error).
    #[arg(long, default_value_t = 30.0)]
    pub request_timeout: f64,
}

impl RestSendArgs {
    /// Checks the options that clap cannot; the error names the flag.
    pub fn validate(&self) -> Result<(), String> {
        if self.users < 2 || !self.users.is_multiple_of(2) {
            return Err(format!("--users {}: use an even number, at least 2", self.users));
        }
        if self.senders == 0 {
            return Err("--senders: use at least 1".into());
        }
        check_seconds("--warmup", self.warmup, true)?;
        check_seconds("--seconds", self.seconds, false)?;
        check_seconds("--request-timeout", self.request_timeout, false)
    }

    /// The number of 1:1 conversations.
    pub fn pairs(&self) -> usize {
        self.users / 2
    }
}

/// Where the PostgreSQL scenarios keep their data.
#[derive(Debug, Clone, Args)]
pub struct BackendArgs {
    /// `rest-send` and `cluster`: use this PostgreSQL database (`postgres://user@host:port/db`) instead of a
    /// private server; the bench creates a new app in it and leaves it there.
    #[arg(long)]
    pub database_url: Option<String>,
    /// `rest-send`: run the server on PostgreSQL, a private server the bench starts (with a fresh database)
    /// and stops.
    #[arg(long)]
    pub postgres: bool,
    /// `cluster`: use this Redis server (`redis://host:port`) instead of a private one; the nodes use a
    /// cluster name of their own on it.
    #[arg(long)]
    pub redis_url: Option<String>,
}

impl BackendArgs {
    /// Checks that the flags fit `scenario`.
    pub fn validate(&self, scenario: Scenario) -> Result<(), String> {
        let (rest, cluster) = (scenario == Scenario::RestSend, scenario == Scenario::Cluster);
        if self.database_url.is_some() && !(rest || cluster) {
            return Err("--database-url: only for --scenario rest-send and cluster".into());
        }
        if self.postgres && !rest {
            return Err("--postgres: only for --scenario rest-send (cluster always runs on PostgreSQL)".into());
        }
        if self.postgres && self.database_url.is_some() {
            return Err("--postgres and --database-url: give one (--postgres starts a private server)".into());
        }
        if self.redis_url.is_some() && !cluster {
            return Err("--redis-url: only for --scenario cluster".into());
        }
        if let Some(url) = &self.database_url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(format!("--database-url {url}: use postgres://user@host:port/db"));
            }
        }
        if let Some(url) = &self.redis_url {
            if !url.starts_with("redis://") {
                return Err(format!("--redis-url {url}: use redis://host:port"));
            }
        }
        Ok(())
    }
}

/// Options of the `catch-up` scenario.
#[derive(Debug, Clone, Args)]
pub struct CatchUpArgs {
    /// Samples of each catch-up figure at each size (a fresh guest each for the new visitor's).
    #[arg(long, default_value_t = 20)]
    pub samples: usize,
}

impl CatchUpArgs {
    /// Checks the options that clap cannot; the error names the flag.
    pub fn validate(&self) -> Result<(), String> {
        if self.samples == 0 || self.samples > 1000 {
            return Err(format!("--samples {}: use 1 to 1000", self.samples));
        }
        Ok(())
    }
}

/// Options of the `realtime` scenario, and of `cluster`.
#[derive(Debug, Clone, Args)]
pub struct RealtimeArgs {
    /// WebSocket connections to open and hold, one user each (`u0`, `u1`, ...) [default: 10000, cluster 5000].
    #[arg(long = "connections", value_name = "N")]
    pub connections_flag: Option<usize>,
    /// `--connections` with the scenario's default filled in by [`Cli::realtime_args`].
    #[arg(skip)]
    pub connections: usize,
    /// Messages sent per second during the warm-up and the measured window, 1:1 and group together
    /// [default: 1000, cluster 600].
    #[arg(long = "rate", value_name = "R")]
    pub rate_flag: Option<f64>,
    /// `--rate` with the scenario's default filled in by [`Cli::realtime_args`].
    #[arg(skip)]
    pub rate: f64,
    /// `cluster`: nodes to start on the one database; user `n`'s connection goes to node `n mod nodes`.
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// `cluster`: skip the run on one node on SQLite; its figures are then `null`.
    #[arg(long)]
    pub no_sqlite: bool,
    /// Share of the sends that go to a group (the rest are 1:1), 0 to 1.
    #[arg(long, default_value_t = 0.5)]
    pub group_share: f64,
    /// Groups the group traffic goes to.
    #[arg(long, default_value_t = 40)]
    pub groups: usize,
    /// Members of each of those groups.
    #[arg(long, default_value_t = 50)]
    pub group_size: usize,
    /// Members of the big group (all online), which gets `--big-group-messages` messages after the window.
    #[arg(long, default_value_t = 1000)]
    pub big_group: usize,
    /// Messages sent to the big group, one at a time, `--big-group-interval` apart; 0 skips that phase.
    #[arg(long, default_value_t = 20)]
    pub big_group_messages: usize,
    /// Milliseconds between two messages to the big group.
    #[arg(long, default_value_t = 250)]
    pub big_group_interval: u64,
    /// WebSocket handshakes in flight at once while connecting.
    #[arg(long, default_value_t = 200)]
    pub connect_concurrency: usize,
    /// Seconds to wait once every connection is open, before reading the idle memory.
    #[arg(long, default_value_t = 2.0)]
    pub settle: f64,
    /// Seconds to wait at most, after a phase's last send, for its deliveries.
    #[arg(long, default_value_t = 5.0)]
    pub drain: f64,
    /// The capacity ramp: after the standard run, send at these multiples of `--rate`, one step each, until a
    /// step's p99 reaches `--ramp-p99-ms` or a delivery goes missing.
    #[arg(long, value_delimiter = ',', default_values_t = [1.25, 1.5, 2.0, 2.5, 3.0, 4.0])]
    pub ramp: Vec<f64>,
    /// Seconds each ramp step sends.
    #[arg(long, default_value_t = 3.0)]
    pub ramp_seconds: f64,
    /// The p99 a ramp step must stay under (milliseconds), and the bound the capacity is read at.
    #[arg(long, default_value_t = 50.0)]
    pub ramp_p99_ms: f64,
    /// Skip the capacity ramp.
    #[arg(long)]
    pub no_ramp: bool,
    /// Do not run the peer (the Node relay); its figures are then `null`.
    #[arg(long)]
    pub no_peer: bool,
    /// The Node.js binary that runs the peer.
    #[arg(long, default_value = "node")]
    pub node: PathBuf,
}

impl RealtimeArgs {
    /// Checks the options that clap cannot; the error names the flag.
    pub fn validate(&self, window: &WindowArgs) -> Result<(), String> {
        check_seconds("--warmup", window.warmup, true)?;
        check_seconds("--seconds", window.seconds, false)?;
        check_seconds("--settle", self.settle, true)?;
        check_seconds("--drain", self.drain, false)?;
        let n = self.connections;
        if n < 2 {
            return Err(format!("--connections {n}: use at least 2"));
        }
        if !self.rate.is_finite() || self.rate <= 0.0 || self.rate > 1_000_000.0 {
            return Err(format!("--rate {}: use more than 0 and at most 1000000 messages a second", self.rate));
        }
        if !(0.0..=1.0).contains(&self.group_share) {
            return Err(format!("--group-share {}: use 0 to 1", self.group_share));
        }
        if self.group_share > 0.0 {
            if self.groups == 0 || self.group_size < 2 {
                return Err("--groups and --group-size: use at least 1 group of at least 2 members".into());
            }
            if self.groups.saturating_mul(self.group_size) > n {
                return Err(format!(
                    "--groups {} x --group-size {}: the groups do not overlap, so they need at most --connections {n} members",
                    self.groups, self.group_size
                ));
            }
        }
        if self.group_size > u16::MAX as usize || self.big_group > u16::MAX as usize {
            return Err("--group-size and --big-group: at most 65535".into());
        }
        if self.big_group_messages > 0 && (self.big_group < 2 || self.big_group > n) {
            return Err(format!("--big-group {}: use 2 to --connections ({n})", self.big_group));
        }
        check_seconds("--ramp-seconds", self.ramp_seconds, false)?;
        if self.ramp.len() > 16 || self.ramp.iter().any(|m| !m.is_finite() || *m <= 0.0 || self.rate * m > 1_000_000.0) {
            return Err("--ramp: at most 16 multiples of --rate, each more than 0, at most 1000000 messages a second".into());
        }
        if !self.ramp_p99_ms.is_finite() || self.ramp_p99_ms <= 0.0 {
            return Err(format!("--ramp-p99-ms {}: use more than 0", self.ramp_p99_ms));
        }
        if self.connect_concurrency == 0 {
            return Err("--connect-concurrency: use at least 1".into());
        }
        // A probe goes to a user on each node from the other user of its pair: users 0 .. 2 * nodes.
        if self.nodes == 0 || self.nodes > 16 || 2 * self.nodes > n {
            return Err(format!("--nodes {}: use 1 to 16, at most half of --connections", self.nodes));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("confab-bench").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn defaults_are_the_standard_scenario() {
        let cli = parse(&[]);
        assert_eq!(cli.scenario, Scenario::Realtime);
        let rt = &cli.realtime_args();
        assert_eq!((rt.connections, rt.rate, rt.group_share, rt.groups, rt.group_size), (10_000, 1000.0, 0.5, 40, 50));
        assert_eq!((rt.big_group, rt.big_group_messages, rt.no_peer), (1000, 20, false));
        assert_eq!(rt.ramp, [1.25, 1.5, 2.0, 2.5, 3.0, 4.0]);
        assert_eq!((rt.ramp_seconds, rt.ramp_p99_ms, rt.no_ramp), (3.0, 50.0, false));
        assert_eq!((rt.nodes, rt.no_sqlite), (3, false));
        assert!(rt.validate(&cli.window).is_ok());
        assert!(cli.backend.validate(cli.scenario).is_ok());
        let args = cli.rest_send_args();
        assert_eq!((args.users, args.senders, args.pairs()), (100, 50, 50));
        assert_eq!((args.warmup, args.seconds, args.muid_check_every), (2.0, 10.0, 20));
        assert!(args.validate().is_ok());
    }

    #[test]
    fn rest_send_stays_available() {
        let cli = parse(&["--scenario", "rest-send", "--seconds", "3", "--users", "10"]);
        assert_eq!(cli.scenario, Scenario::RestSend);
        let args = cli.rest_send_args();
        assert_eq!((args.users, args.seconds), (10, 3.0));
    }

    #[test]
    fn catch_up_takes_its_samples() {
        let cli = parse(&["--scenario", "catch-up"]);
        assert_eq!((cli.scenario, cli.catch_up.samples), (Scenario::CatchUp, 20));
        assert!(cli.catch_up.validate().is_ok());
        assert!(parse(&["--samples", "0"]).catch_up.validate().unwrap_err().contains("--samples"));
    }

    #[test]
    fn refuses_odd_users_and_zero_seconds() {
        assert!(parse(&["--users", "3"]).rest_send_args().validate().unwrap_err().contains("--users"));
        assert!(parse(&["--seconds", "0"]).rest_send_args().validate().unwrap_err().contains("--seconds"));
        assert!(Cli::try_parse_from(["confab-bench", "--scenario", "ws-send"]).is_err());
    }

    #[test]
    fn refuses_realtime_plans_that_do_not_fit() {
        let check = |args: &[&str]| {
            let cli = parse(args);
            cli.realtime_args().validate(&cli.window)
        };
        assert!(check(&["--connections", "100", "--groups", "3", "--group-size", "50"]).unwrap_err().contains("--groups"));
        assert!(check(&["--connections", "100", "--groups", "2", "--big-group", "1000"]).unwrap_err().contains("--big-group"));
        assert!(check(&["--connections", "100", "--groups", "2", "--big-group", "50"]).is_ok());
        assert!(check(&["--connections", "100", "--big-group-messages", "0", "--groups", "2"]).is_ok());
        assert!(check(&["--group-share", "1.5"]).unwrap_err().contains("--group-share"));
        assert!(check(&["--rate", "0"]).unwrap_err().contains("--rate"));
        assert!(check(&["--ramp", "2,-1"]).unwrap_err().contains("--ramp"));
        assert_eq!(parse(&["--ramp", "2,5"]).realtime.ramp, [2.0, 5.0]);
        assert!(check(&["--connections", "100", "--groups", "2", "--big-group", "50", "--nodes", "0"]).unwrap_err().contains("--nodes"));
    }

    #[test]
    fn cluster_has_its_own_load_and_backend_flags() {
        let cli = parse(&["--scenario", "cluster"]);
        let rt = cli.realtime_args();
        assert_eq!((rt.connections, rt.rate, rt.nodes), (CLUSTER_CONNECTIONS, CLUSTER_RATE, 3));
        assert!(rt.validate(&cli.window).is_ok());
        let cli = parse(&["--scenario", "cluster", "--connections", "900", "--rate", "50", "--big-group", "500"]);
        assert_eq!((cli.realtime_args().connections, cli.realtime_args().rate), (900, 50.0));
        let backend = |args: &[&str]| {
            let cli = parse(args);
            cli.backend.validate(cli.scenario)
        };
        assert!(backend(&["--scenario", "rest-send", "--postgres"]).is_ok());
        assert!(backend(&["--scenario", "rest-send", "--database-url", "postgres://u@h:1/d"]).is_ok());
        assert!(backend(&["--scenario", "rest-send", "--database-url", "mysql://x"]).unwrap_err().contains("--database-url"));
        assert!(backend(&["--scenario", "cluster", "--postgres"]).unwrap_err().contains("--postgres"));
        assert!(backend(&["--redis-url", "redis://h:1"]).unwrap_err().contains("--redis-url"));
        assert!(backend(&["--scenario", "cluster", "--redis-url", "redis://h:1"]).is_ok());
    }
}
