//! The `confab-server` command line.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Confab's chat API server.
#[derive(Debug, Parser)]
#[command(name = "confab-server", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: REST API, loader, widget and demo page.
    Serve(ServeArgs),
    /// Manage apps.
    App {
        /// What to do with apps.
        #[command(subcommand)]
        command: AppCommand,
    },
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Directory for the SQLite file and uploads; created if missing.
    #[arg(long, env = "CONFAB_DATA_DIR", default_value = "./confab-data")]
    pub data_dir: PathBuf,
    /// The region this server runs; apps are created in it and configs naming another are refused.
    #[arg(long, env = "CONFAB_REGION", default_value = "local")]
    pub region: String,
}

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Storage and region.
    #[command(flatten)]
    pub data: DataArgs,
    /// Address to listen on.
    #[arg(long, env = "CONFAB_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The built widget (trunk's output).
    #[arg(long, env = "CONFAB_WIDGET_DIR", default_value = "./dist")]
    pub widget_dir: PathBuf,
    /// Requests a minute allowed for each key or token; 0 turns the limit off.
    #[arg(long, env = "CONFAB_RATE_LIMIT", default_value_t = confab_protocol::limits::DEFAULT_RATE_LIMIT_PER_MINUTE)]
    pub rate_limit: u32,
    /// Networks bot and webhook callbacks may reach besides public addresses, comma-separated
    /// (`10.0.0.0/8,::1`). Loopback, private and link-local addresses are refused unless listed here; the
    /// server's own address is always allowed.
    #[arg(long, env = "CONFAB_CALLBACK_ALLOW", value_delimiter = ',')]
    pub callback_allow: Vec<crate::hooks::Network>,
    /// Wait before retrying a failed bot or webhook call, in milliseconds; doubled for each further retry.
    #[arg(long, env = "CONFAB_CALLBACK_RETRY_MS", default_value_t = 1000)]
    pub callback_retry_ms: u64,
    /// Calls made for one bot or webhook delivery before it is marked failed.
    #[arg(long, env = "CONFAB_CALLBACK_ATTEMPTS", default_value_t = confab_protocol::limits::MAX_DELIVERY_ATTEMPTS,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub callback_attempts: u32,
}

/// App subcommands.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Create an app and print its credentials as one JSON object.
    Create {
        /// The app's display name (1-100 characters).
        #[arg(long)]
        name: String,
        /// Storage and region.
        #[command(flatten)]
        data: DataArgs,
    },
}
