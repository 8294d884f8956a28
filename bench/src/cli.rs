//! The `confab-bench` command line.

use clap::{Args, Parser, ValueEnum};
use std::path::PathBuf;

/// Load generator for Confab: starts a real `confab-server`, drives it, and prints the figures.
#[derive(Debug, Parser)]
#[command(name = "confab-bench", version, about)]
pub struct Cli {
    /// Which scenario to run.
    #[arg(long, value_enum, default_value_t = Scenario::RestSend)]
    pub scenario: Scenario,
    /// Use this `confab-server` binary instead of building one with `cargo build --release -p confab-server`.
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// Options of the `rest-send` scenario.
    #[command(flatten)]
    pub rest_send: RestSendArgs,
}

/// The scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Users send 1:1 text messages over the REST API; then a SIGKILL and a check that every acknowledged
    /// message survived.
    RestSend,
}

impl Scenario {
    /// The scenario's name, as given to `--scenario` and printed in the figures.
    pub fn name(self) -> &'static str {
        match self {
            Self::RestSend => "rest-send",
        }
    }
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
    /// Seconds of sending before measuring starts (not counted).
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Seconds of measured sending.
    #[arg(long, default_value_t = 10.0)]
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
        for (flag, value, zero_ok) in [
            ("--warmup", self.warmup, true),
            ("--seconds", self.seconds, false),
            ("--request-timeout", self.request_timeout, false),
        ] {
            let low = if zero_ok { value < 0.0 } else { value <= 0.0 };
            if !value.is_finite() || low || value > 86_400.0 {
                let least = if zero_ok { "0 or more" } else { "more than 0" };
                return Err(format!("{flag} {value}: use {least} seconds, at most a day"));
            }
        }
        Ok(())
    }

    /// The number of 1:1 conversations.
    pub fn pairs(&self) -> usize {
        self.users / 2
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
        assert_eq!(cli.scenario, Scenario::RestSend);
        let args = cli.rest_send;
        assert_eq!((args.users, args.senders, args.pairs()), (100, 50, 50));
        assert_eq!((args.warmup, args.seconds, args.muid_check_every), (2.0, 10.0, 20));
        assert!(args.validate().is_ok());
    }

    #[test]
    fn refuses_odd_users_and_zero_seconds() {
        assert!(parse(&["--users", "3"]).rest_send.validate().unwrap_err().contains("--users"));
        assert!(parse(&["--seconds", "0"]).rest_send.validate().unwrap_err().contains("--seconds"));
        assert!(Cli::try_parse_from(["confab-bench", "--scenario", "ws-send"]).is_err());
    }
}
