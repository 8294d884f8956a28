//! The server's settings: what `serve`'s flags decide, gathered in one struct that `main` builds and
//! [`AppState`](crate::AppState) keeps. Each default is defined once, here or in `confab_protocol::limits`.

use std::path::PathBuf;

use crate::hooks::{CallbackPolicy, DispatchSettings, Network};

/// Guest sessions end after this long without use, by default (30 days).
pub const DEFAULT_GUEST_TOKEN_IDLE_SECS: i64 = 30 * 24 * 3600;
/// Calls a minute one client address may make with an app's auth-only key, per endpoint, by default.
pub const DEFAULT_PUBLIC_KEY_PER_MINUTE: u32 = 60;
/// Guests one client address may create in an app per day, by default.
pub const DEFAULT_GUESTS_PER_ADDRESS_PER_DAY: u32 = 50;
/// Guests an app may gain per day, by default.
pub const DEFAULT_GUESTS_PER_APP_PER_DAY: u32 = 20_000;
/// WebSockets one client address may hold open before signing in, by default.
pub const DEFAULT_UNAUTHENTICATED_SOCKETS_PER_ADDRESS: u32 = 20;
/// Users a session may add to groups per day, by default (the REST API key has no limit).
pub const DEFAULT_GROUP_ADDS_PER_DAY: u32 = 100;

/// Where the built console is read from, by default.
pub const DEFAULT_CONSOLE_DIR: &str = "./console/dist";

/// Everything `serve` was told.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The region this server runs; configs naming another are refused.
    pub region: String,
    /// The built widget (trunk's output).
    pub widget_dir: PathBuf,
    /// Requests a minute per key or token (0: no limit).
    pub rate_limit: u32,
    /// Which bot and webhook URLs may be called.
    pub callbacks: CallbackPolicy,
    /// How bot and webhook calls are made and retried.
    pub dispatch: DispatchSettings,
    /// Proxies whose `X-Forwarded-For` names the client; everyone else's is ignored.
    pub trusted_proxies: Vec<Network>,
    /// Calls a minute per client address and endpoint with an auth-only key (0: no limit).
    pub public_key_per_minute: u32,
    /// Guests one client address may create in an app per day (0: no limit).
    pub guests_per_address_per_day: u32,
    /// Guests an app may gain per day (0: no limit).
    pub guests_per_app_per_day: u32,
    /// WebSockets per client address not yet signed in (0: no limit).
    pub unauthenticated_sockets_per_address: u32,
    /// Users a session may add to groups per day (0: no limit).
    pub group_adds_per_day: u32,
    /// A guest's session token ends after this many seconds without use (0: never).
    pub guest_token_idle_secs: i64,
    /// Serve the demo app's pages (`/demo`, `/demo/agent`, `/demo/faq-bot`).
    pub demo: bool,
    /// The built console (trunk's output from `console/`), served at `/console`.
    pub console_dir: PathBuf,
    /// The address sites and owners reach this server at (`https://chat.example.com`), when it is behind a
    /// proxy; an `https` one marks the console's cookie `Secure`.
    pub public_url: Option<String>,
    /// Uploads: limits, quota, signed URLs.
    pub media: MediaSettings,
}

/// How uploads are taken and served.
#[derive(Debug, Clone)]
pub struct MediaSettings {
    /// Largest image, video, audio file and other file, in bytes.
    pub max_bytes: MediaLimits,
    /// Bytes of uploads (with their thumbnails) an app may keep.
    pub quota_bytes: u64,
    /// How long a signed media URL lasts, at least, in seconds.
    pub url_ttl_secs: u64,
    /// The start of media URLs (`https://chat.example.com`): `--public-url`, else this node's address.
    pub base_url: String,
    /// Where uploads are written while they arrive.
    pub spool_dir: PathBuf,
    /// The deployment's URL signing key, shared by its nodes (`None`: one made for this process).
    pub url_key: Option<Vec<u8>>,
}

/// Size limits of uploads, by kind, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaLimits {
    /// PNG, JPEG, GIF, WebP.
    pub image: u64,
    /// MP4, WebM with video.
    pub video: u64,
    /// Audio.
    pub audio: u64,
    /// Anything else.
    pub file: u64,
}

impl MediaLimits {
    /// The limit for uploads of `kind`.
    pub fn of(&self, kind: confab_protocol::rest::media::MediaKind) -> u64 {
        use confab_protocol::rest::media::MediaKind;
        match kind {
            MediaKind::Image => self.image,
            MediaKind::Video => self.video,
            MediaKind::Audio => self.audio,
            MediaKind::File => self.file,
        }
    }

    /// The largest of them: no upload may pass it.
    pub fn largest(&self) -> u64 {
        self.image.max(self.video).max(self.audio).max(self.file)
    }
}

impl Default for MediaSettings {
    fn default() -> Self {
        use confab_protocol::limits::*;
        Self {
            max_bytes: MediaLimits {
                image: DEFAULT_MAX_IMAGE_BYTES,
                video: DEFAULT_MAX_VIDEO_BYTES,
                audio: DEFAULT_MAX_AUDIO_BYTES,
                file: DEFAULT_MAX_FILE_BYTES,
            },
            quota_bytes: DEFAULT_MEDIA_QUOTA_BYTES,
            url_ttl_secs: DEFAULT_MEDIA_URL_TTL_SECS,
            base_url: String::new(),
            spool_dir: std::env::temp_dir(),
            url_key: None,
        }
    }
}

impl Settings {
    /// The defaults for a server in `region` with the widget in `widget_dir`, as `serve` has them.
    pub fn new(region: &str, widget_dir: PathBuf, callbacks: CallbackPolicy, dispatch: DispatchSettings) -> Self {
        Self {
            region: region.to_owned(),
            widget_dir,
            rate_limit: confab_protocol::limits::DEFAULT_RATE_LIMIT_PER_MINUTE,
            callbacks,
            dispatch,
            trusted_proxies: Vec::new(),
            public_key_per_minute: DEFAULT_PUBLIC_KEY_PER_MINUTE,
            guests_per_address_per_day: DEFAULT_GUESTS_PER_ADDRESS_PER_DAY,
            guests_per_app_per_day: DEFAULT_GUESTS_PER_APP_PER_DAY,
            unauthenticated_sockets_per_address: DEFAULT_UNAUTHENTICATED_SOCKETS_PER_ADDRESS,
            group_adds_per_day: DEFAULT_GROUP_ADDS_PER_DAY,
            guest_token_idle_secs: DEFAULT_GUEST_TOKEN_IDLE_SECS,
            demo: false,
            console_dir: PathBuf::from(DEFAULT_CONSOLE_DIR),
            public_url: None,
            media: MediaSettings::default(),
        }
    }
}
