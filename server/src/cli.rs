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
    /// Manage the site owners who sign in to the console at `/console`.
    Owner {
        /// What to do with owners.
        #[command(subcommand)]
        command: OwnerCommand,
    },
    /// Work on the built widget.
    Widget {
        /// What to do with the widget.
        #[command(subcommand)]
        command: WidgetCommand,
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
    /// Keep everything in this PostgreSQL database (`postgres://user:password@host:port/db`) instead of the
    /// SQLite file in the data directory. Every node of a cluster names the same one.
    #[arg(long, env = "CONFAB_DATABASE_URL")]
    pub database_url: Option<String>,
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
    /// The Redis server between the nodes of a cluster (`redis://host:port`): fan-out of events, presence
    /// and shared limits. Without it the node runs alone.
    #[arg(long, env = "CONFAB_REDIS_URL")]
    pub redis_url: Option<String>,
    /// The cluster's name on the Redis server: nodes with the same name form one cluster, so several
    /// clusters (or test runs) can share a Redis server.
    #[arg(long, env = "CONFAB_CLUSTER_NAME", default_value = "confab", value_parser = cluster_name)]
    pub cluster_name: String,
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
    /// Proxies (networks, comma-separated) whose `X-Forwarded-For` header names the client. Without it the
    /// peer address is the client, whatever the header says.
    #[arg(long, env = "CONFAB_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxy: Vec<crate::hooks::Network>,
    /// Calls a minute one client address may make with an auth-only key, per endpoint; 0 turns it off.
    #[arg(long, env = "CONFAB_PUBLIC_KEY_RATE_LIMIT", default_value_t = crate::settings::DEFAULT_PUBLIC_KEY_PER_MINUTE)]
    pub public_key_rate_limit: u32,
    /// Guests one client address may create in an app per day; 0 turns it off.
    #[arg(long, env = "CONFAB_GUESTS_PER_ADDRESS", default_value_t = crate::settings::DEFAULT_GUESTS_PER_ADDRESS_PER_DAY)]
    pub guests_per_address: u32,
    /// Guests an app may gain per day; 0 turns it off.
    #[arg(long, env = "CONFAB_GUESTS_PER_APP", default_value_t = crate::settings::DEFAULT_GUESTS_PER_APP_PER_DAY)]
    pub guests_per_app: u32,
    /// WebSockets one client address may hold open before signing in; 0 turns it off.
    #[arg(long, env = "CONFAB_UNAUTHENTICATED_SOCKETS", default_value_t = crate::settings::DEFAULT_UNAUTHENTICATED_SOCKETS_PER_ADDRESS)]
    pub unauthenticated_sockets: u32,
    /// Users a session may add to groups per day (the REST API key has no limit); 0 turns it off.
    #[arg(long, env = "CONFAB_GROUP_ADDS_PER_DAY", default_value_t = crate::settings::DEFAULT_GROUP_ADDS_PER_DAY)]
    pub group_adds_per_day: u32,
    /// Days without use after which a guest's session token stops working; 0: never.
    #[arg(long, env = "CONFAB_GUEST_TOKEN_IDLE_DAYS", default_value_t = 30)]
    pub guest_token_idle_days: u32,
    /// Create and serve the demo app and its pages (`/demo`, `/demo/agent`, `/demo/faq-bot`).
    #[arg(long, env = "CONFAB_DEMO")]
    pub demo: bool,
    /// The built site owner's console (`scripts/build-console.sh`), served at `/console`.
    #[arg(long, env = "CONFAB_CONSOLE_DIR", default_value = crate::settings::DEFAULT_CONSOLE_DIR)]
    pub console_dir: PathBuf,
    /// The address this server is reached at from outside (`https://chat.example.com`), when a proxy
    /// ends TLS in front of it: an `https` address marks the console's session cookie `Secure`.
    #[arg(long, env = "CONFAB_PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<String>,
    /// Largest uploaded image (PNG, JPEG, GIF, WebP), in bytes.
    #[arg(long, env = "CONFAB_MAX_IMAGE_BYTES", default_value_t = confab_protocol::limits::DEFAULT_MAX_IMAGE_BYTES)]
    pub max_image_bytes: u64,
    /// Largest uploaded video (MP4, WebM), in bytes.
    #[arg(long, env = "CONFAB_MAX_VIDEO_BYTES", default_value_t = confab_protocol::limits::DEFAULT_MAX_VIDEO_BYTES)]
    pub max_video_bytes: u64,
    /// Largest uploaded audio file, in bytes.
    #[arg(long, env = "CONFAB_MAX_AUDIO_BYTES", default_value_t = confab_protocol::limits::DEFAULT_MAX_AUDIO_BYTES)]
    pub max_audio_bytes: u64,
    /// Largest other uploaded file, in bytes.
    #[arg(long, env = "CONFAB_MAX_FILE_BYTES", default_value_t = confab_protocol::limits::DEFAULT_MAX_FILE_BYTES)]
    pub max_file_bytes: u64,
    /// Bytes of uploads (with their thumbnails) each app may keep.
    #[arg(long, env = "CONFAB_MEDIA_QUOTA_BYTES", default_value_t = confab_protocol::limits::DEFAULT_MEDIA_QUOTA_BYTES)]
    pub media_quota_bytes: u64,
    /// How long a signed media URL works, at least, in seconds (it is rounded up to the next 10 minutes).
    #[arg(long, env = "CONFAB_MEDIA_URL_TTL", default_value_t = confab_protocol::limits::DEFAULT_MEDIA_URL_TTL_SECS,
          value_parser = clap::value_parser!(u64).range(60..=7 * 24 * 3600))]
    pub media_url_ttl: u64,
}

impl ServeArgs {
    /// The settings these flags give, with the callback policy and dispatch settings built by `main`.
    pub fn settings(&self, callbacks: crate::hooks::CallbackPolicy, dispatch: crate::hooks::DispatchSettings) -> crate::settings::Settings {
        let mut settings = crate::settings::Settings::new(&self.data.region, self.widget_dir.clone(), callbacks, dispatch);
        settings.rate_limit = self.rate_limit;
        settings.trusted_proxies = self.trusted_proxy.clone();
        settings.public_key_per_minute = self.public_key_rate_limit;
        settings.guests_per_address_per_day = self.guests_per_address;
        settings.guests_per_app_per_day = self.guests_per_app;
        settings.unauthenticated_sockets_per_address = self.unauthenticated_sockets;
        settings.group_adds_per_day = self.group_adds_per_day;
        settings.guest_token_idle_secs = i64::from(self.guest_token_idle_days) * 24 * 3600;
        settings.demo = self.demo;
        settings.console_dir = self.console_dir.clone();
        settings.public_url = self.public_url.clone();
        settings.media.max_bytes = crate::settings::MediaLimits {
            image: self.max_image_bytes,
            video: self.max_video_bytes,
            audio: self.max_audio_bytes,
            file: self.max_file_bytes,
        };
        settings.media.quota_bytes = self.media_quota_bytes;
        settings.media.url_ttl_secs = self.media_url_ttl;
        settings.media.spool_dir = self.data.data_dir.join("uploading");
        settings
    }
}

/// A public URL: an absolute `http(s)` URL, kept without a trailing slash.
fn public_url(text: &str) -> Result<String, String> {
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(text.trim_end_matches('/').to_owned()),
        _ => Err("use an absolute http or https URL, like https://chat.example.com".into()),
    }
}

/// App subcommands.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Create an app and print its credentials as one JSON object.
    Create {
        /// The app's display name (1-100 characters).
        #[arg(long)]
        name: String,
        /// How uid sign-in treats a uid: `verified` (needs `userHash`), `open` (any uid, for development
        /// only) or `off`.
        #[arg(long, default_value = "verified", value_parser = parse_uid_sign_in)]
        uid_sign_in: confab_protocol::rest::app::UidSignInPolicy,
        /// Storage and region.
        #[command(flatten)]
        data: DataArgs,
    },
}

fn parse_uid_sign_in(text: &str) -> Result<confab_protocol::rest::app::UidSignInPolicy, String> {
    confab_protocol::rest::app::UidSignInPolicy::parse(text).ok_or_else(|| format!("{text:?}: use verified, open or off"))
}

/// Owner subcommands. Every owner administers every app of the server.
#[derive(Debug, Subcommand)]
pub enum OwnerCommand {
    /// Create an owner and print a one-time password: the first sign-in at `/console` sets a new one.
    Create {
        /// The owner's email (unique, whatever the case).
        #[arg(long)]
        email: String,
        /// Storage and region.
        #[command(flatten)]
        data: DataArgs,
    },
    /// Give an owner a new one-time password (printed) and end their console sessions.
    ResetPassword {
        /// The owner's email.
        #[arg(long)]
        email: String,
        /// Storage and region.
        #[command(flatten)]
        data: DataArgs,
    },
}

/// Widget subcommands.
#[derive(Debug, Subcommand)]
pub enum WidgetCommand {
    /// Write `<file>.br` (brotli, best quality) and `<file>.gz` (zopfli) next to each text file the server
    /// serves from the widget directory, and the rendered loader's and host module's for `--region`.
    /// A sibling that already decodes to its file's exact bytes is left alone, whatever its age.
    Compress {
        /// The built widget (trunk's output).
        #[arg(long, env = "CONFAB_WIDGET_DIR", default_value = "./dist")]
        widget_dir: PathBuf,
        /// The region the loader and host module are precompressed for; a server of another region
        /// compresses them quickly at start.
        #[arg(long, env = "CONFAB_REGION", default_value = "local")]
        region: String,
    },
}

/// A cluster name: 1-100 characters of a-z, A-Z, 0-9, _ and -.
fn cluster_name(name: &str) -> Result<String, String> {
    match confab_protocol::ids::is_valid_id(name) {
        true => Ok(name.to_owned()),
        false => Err("use 1-100 characters of a-z, A-Z, 0-9, _ and -".into()),
    }
}
