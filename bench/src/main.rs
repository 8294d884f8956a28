//! `confab-bench`: Confab's load generator. It builds and starts a real `confab-server` on a temporary data
//! directory, drives it with one scenario, prints progress on stderr and the figures as one JSON object on the
//! last line of stdout, and exits non-zero when a correctness check fails.

mod api;
mod cli;
mod durability;
mod outcome;
mod procfs;
mod realtime;
mod scenario_catch_up;
mod scenario_rest_send;
mod server;
mod services;
mod stats;

use clap::Parser;
use cli::{Cli, Scenario};
use outcome::Outcome;
use std::process::ExitCode;

/// Exit code when a correctness check failed (the figures are still printed).
const CHECK_FAILED: u8 = 1;
/// Exit code when the bench could not run (no figures).
const COULD_NOT_RUN: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let run = async {
        match cli.scenario {
            Scenario::Realtime | Scenario::Cluster => cli.realtime_args().validate(&cli.window)?,
            Scenario::RestSend => cli.rest_send_args().validate()?,
            Scenario::CatchUp => cli.catch_up.validate()?,
        }
        cli.backend.validate(cli.scenario)?;
        let server_bin = match &cli.server_bin {
            Some(bin) => bin.clone(),
            None => server::build_release().await?,
        };
        match cli.scenario {
            Scenario::Realtime => realtime::run(&cli.realtime_args(), &cli.window, &server_bin).await,
            Scenario::Cluster => {
                realtime::cluster::run(&cli.realtime_args(), &cli.window, &cli.backend, &server_bin).await
            }
            Scenario::RestSend => scenario_rest_send::run(&cli.rest_send_args(), &cli.backend, &server_bin).await,
            Scenario::CatchUp => scenario_catch_up::run(&cli.catch_up, &server_bin).await,
        }
    };
    // Ctrl-C drops the run: the server is killed and the temporary data directory removed on the way out.
    let result: Result<Outcome, String> = tokio::select! {
        result = run => result,
        _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
    };
    match result {
        Ok(outcome) => {
            println!("{}", outcome.figures);
            for failure in &outcome.failures {
                eprintln!("confab-bench: FAILED: {failure}");
            }
            match outcome.failures.is_empty() {
                true => ExitCode::SUCCESS,
                false => ExitCode::from(CHECK_FAILED),
            }
        }
        Err(err) => {
            eprintln!("confab-bench: {}: {err}", cli.scenario.name());
            ExitCode::from(COULD_NOT_RUN)
        }
    }
}
