//! The config object a site passes to `Confab.start(config)`: its keys, the rules each key follows, and the
//! checks that report a bad config by code and field.
//!
//! The rules are data ([`KEYS`], [`MODES`], [`DOCKED_ALIGNMENTS`], ...). The server hands them to the
//! hand-written loader as a [`LoaderSpec`], so the loader (JavaScript) and the widget (Rust) check the same
//! rules; `protocol/tests/config_cases.json` holds the cases both checkers must agree on.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::bridge::FrameMessageKind;
use crate::ids::is_valid_id;
use crate::limits::{MAX_CONFIG_STRING_LEN, MAX_ID_LEN};

/// The JSON type a config key must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// A string.
    String,
    /// `true` or `false`.
    Boolean,
    /// A plain object.
    Object,
    /// A CSS length string such as `"400px"`, or a number of pixels.
    Length,
}

/// Every config key a site may pass, with its type.
pub const KEYS: &[(&str, KeyKind)] = &[
    ("appID", KeyKind::String),
    ("region", KeyKind::String),
    ("mode", KeyKind::String),
    ("authKey", KeyKind::String),
    ("uid", KeyKind::String),
    ("userHash", KeyKind::String),
    ("authToken", KeyKind::String),
    ("user", KeyKind::Object),
    ("mount", KeyKind::String),
    ("width", KeyKind::Length),
    ("height", KeyKind::Length),
    ("isDocked", KeyKind::Boolean),
    ("dockedAlignment", KeyKind::String),
    ("variantID", KeyKind::String),
    ("variant", KeyKind::Object),
    ("chatType", KeyKind::String),
    ("defaultChatID", KeyKind::String),
    ("autoOpenFirstItem", KeyKind::Boolean),
    ("language", KeyKind::String),
    ("apiBase", KeyKind::String),
    ("theme", KeyKind::String),
];

/// The sign-in modes and the keys each one requires besides `appID`.
pub const MODES: &[(&str, &[&str])] = &[
    ("guest", &["authKey"]),
    ("uid", &["authKey", "uid"]),
    ("authToken", &["authToken"]),
];

/// Where the docked launcher sits.
pub const DOCKED_ALIGNMENTS: &[&str] = &["left", "right"];

/// The panel's colours: light, dark, or the visitor's system setting.
pub const THEMES: &[&str] = &["light", "dark", "system"];
/// Theme when the config gives none.
pub const DEFAULT_THEME: &str = "system";

/// What `defaultChatID` names.
pub const CHAT_TYPES: &[&str] = &["user", "group"];

/// Units accepted in `width` and `height`.
pub const LENGTH_UNITS: &[&str] = &["px", "%", "vw", "vh", "em", "rem"];

/// Keys of the optional `user` object (guest and uid modes).
pub const USER_KEYS: &[&str] = &["name", "avatar", "link"];

/// Panel width when the config gives none.
pub const DEFAULT_WIDTH: &str = "400px";
/// Panel height when the config gives none.
pub const DEFAULT_HEIGHT: &str = "600px";
/// Launcher side when the config gives none.
pub const DEFAULT_DOCKED_ALIGNMENT: &str = "right";

/// Why a config was refused. Sites match on these codes in their `onError` handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConfigErrorCode {
    /// `start` was not given an object.
    ConfigNotObject,
    /// A key the mode needs is absent or empty.
    ConfigMissingField,
    /// A key has the wrong type or a value outside its rule.
    ConfigInvalidField,
    /// `region` is not the region this server runs in.
    ConfigRegionMismatch,
    /// The `mount` selector matches no element on the page.
    ConfigMountNotFound,
    /// `start` was called while a widget is already running.
    WidgetAlreadyStarted,
    /// The chat frame did not load or did not answer in time.
    FrameLoadFailed,
    /// The server refused the sign-in (wrong key, unknown user, bad `userHash`, revoked token).
    SignInFailed,
}

impl ConfigErrorCode {
    /// Every code, for the loader spec and tests.
    pub const ALL: [ConfigErrorCode; 8] = [
        Self::ConfigNotObject,
        Self::ConfigMissingField,
        Self::ConfigInvalidField,
        Self::ConfigRegionMismatch,
        Self::ConfigMountNotFound,
        Self::WidgetAlreadyStarted,
        Self::FrameLoadFailed,
        Self::SignInFailed,
    ];

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConfigNotObject => "CONFIG_NOT_OBJECT",
            Self::ConfigMissingField => "CONFIG_MISSING_FIELD",
            Self::ConfigInvalidField => "CONFIG_INVALID_FIELD",
            Self::ConfigRegionMismatch => "CONFIG_REGION_MISMATCH",
            Self::ConfigMountNotFound => "CONFIG_MOUNT_NOT_FOUND",
            Self::WidgetAlreadyStarted => "WIDGET_ALREADY_STARTED",
            Self::FrameLoadFailed => "FRAME_LOAD_FAILED",
            Self::SignInFailed => "SIGN_IN_FAILED",
        }
    }
}

/// One problem with a config: what is wrong, which key, and a sentence for the developer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigProblem {
    /// Stable code.
    pub code: ConfigErrorCode,
    /// The config key at fault (`user.name` for a nested one), if any.
    pub field: Option<String>,
    /// A sentence for the developer.
    pub message: String,
}

impl ConfigProblem {
    fn new(code: ConfigErrorCode, field: &str, message: String) -> Self {
        Self { code, field: Some(field.to_owned()), message }
    }
}

/// The optional profile a guest or uid-mode visitor arrives with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorProfile {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Avatar image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Profile link URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// The widget config as the loader hands it to the chat frame: known keys only, defaults applied.
/// Enumerated keys stay strings so that a bad value is reported by [`WidgetConfig::problems`] with its
/// field, rather than failing to parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetConfig {
    /// The app on this server.
    #[serde(rename = "appID", default)]
    pub app_id: String,
    /// The app's region; must match the server's.
    #[serde(default)]
    pub region: String,
    /// `guest`, `uid` or `authToken`.
    #[serde(default)]
    pub mode: String,
    /// Auth-only key (guest and uid modes).
    #[serde(rename = "authKey", default, skip_serializing_if = "Option::is_none")]
    pub auth_key: Option<String>,
    /// The site's user id (uid mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// HMAC-SHA256 of `uid` with the app's identity secret (uid mode).
    #[serde(rename = "userHash", default, skip_serializing_if = "Option::is_none")]
    pub user_hash: Option<String>,
    /// Token issued through the REST API (authToken mode).
    #[serde(rename = "authToken", default, skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<String>,
    /// Optional profile for guest and uid modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<VisitorProfile>,
    /// CSS selector of the mount element (embedded mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<String>,
    /// Panel width, a CSS length.
    #[serde(default = "default_width")]
    pub width: String,
    /// Panel height, a CSS length.
    #[serde(default = "default_height")]
    pub height: String,
    /// `true`: launcher bubble that expands; `false`: panel embedded in `mount`.
    #[serde(rename = "isDocked", default = "default_true")]
    pub is_docked: bool,
    /// `left` or `right`.
    #[serde(rename = "dockedAlignment", default = "default_alignment")]
    pub docked_alignment: String,
    /// A saved widget configuration on the server.
    #[serde(rename = "variantID", default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<String>,
    /// The variant's settings (the builder shape, see `panel_variant`): what the loader fetched for
    /// `variantID` (or the app's default), or an object the page gives itself (the console's preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<serde_json::Value>,
    /// `user` or `group`: what `defaultChatID` names.
    #[serde(rename = "chatType", default, skip_serializing_if = "Option::is_none")]
    pub chat_type: Option<String>,
    /// The uid or guid to open on load.
    #[serde(rename = "defaultChatID", default, skip_serializing_if = "Option::is_none")]
    pub default_chat_id: Option<String>,
    /// Open the first conversation on load.
    #[serde(rename = "autoOpenFirstItem", default = "default_true")]
    pub auto_open_first_item: bool,
    /// UI language, such as `en-US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// API origin when the loader is served from elsewhere.
    #[serde(rename = "apiBase", default, skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
    /// `light`, `dark` or `system` (follows the visitor's setting; the default).
    #[serde(default = "default_theme")]
    pub theme: String,
}

fn default_width() -> String {
    DEFAULT_WIDTH.to_owned()
}
fn default_height() -> String {
    DEFAULT_HEIGHT.to_owned()
}
fn default_true() -> bool {
    true
}
fn default_alignment() -> String {
    DEFAULT_DOCKED_ALIGNMENT.to_owned()
}
fn default_theme() -> String {
    DEFAULT_THEME.to_owned()
}

impl WidgetConfig {
    /// Every problem with this config, in the order of [`VALUE_RULES`] after the missing keys, the region
    /// and the profile; empty when it is good. `server_region` is checked when given.
    pub fn problems(&self, server_region: Option<&str>) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        for key in ["appID", "mode"].into_iter().chain(required_keys(&self.mode).unwrap_or_default().iter().copied()) {
            if self.string_value(key).is_none_or(str::is_empty) {
                out.push(missing(key, ""));
            }
        }
        if !self.is_docked && self.mount.as_deref().is_none_or(str::is_empty) {
            out.push(missing("mount", " when isDocked is false"));
        }
        if let Some(server) = server_region {
            let region = if self.region.is_empty() { server } else { self.region.as_str() };
            if region != server {
                out.push(ConfigProblem::new(
                    ConfigErrorCode::ConfigRegionMismatch,
                    "region",
                    format!("config.region is \"{region}\" but this server runs region \"{server}\""),
                ));
            }
        }
        if let Some(user) = &self.user {
            for (key, value) in [("name", &user.name), ("avatar", &user.avatar), ("link", &user.link)] {
                if value.as_deref().is_some_and(|v| v.len() > MAX_CONFIG_STRING_LEN) {
                    out.push(invalid(&format!("user.{key}"), "is too long"));
                }
            }
        }
        for (key, check) in VALUE_RULES {
            if self.string_value(key).is_some_and(|v| !v.is_empty() && !check.accepts(v)) {
                out.push(invalid(key, &check.rule()));
            }
        }
        out
    }

    /// The value of a string key, by its config name.
    fn string_value(&self, key: &str) -> Option<&str> {
        fn optional(v: &Option<String>) -> Option<&str> {
            v.as_deref()
        }
        match key {
            "appID" => Some(&self.app_id),
            "region" => Some(&self.region),
            "mode" => Some(&self.mode),
            "authKey" => optional(&self.auth_key),
            "uid" => optional(&self.uid),
            "userHash" => optional(&self.user_hash),
            "authToken" => optional(&self.auth_token),
            "mount" => optional(&self.mount),
            "width" => Some(&self.width),
            "height" => Some(&self.height),
            "dockedAlignment" => Some(&self.docked_alignment),
            "variantID" => optional(&self.variant_id),
            "chatType" => optional(&self.chat_type),
            "defaultChatID" => optional(&self.default_chat_id),
            "language" => optional(&self.language),
            "apiBase" => optional(&self.api_base),
            "theme" => Some(&self.theme),
            _ => None,
        }
    }
}

fn missing(field: &str, when: &str) -> ConfigProblem {
    ConfigProblem::new(ConfigErrorCode::ConfigMissingField, field, format!("config.{field} is required{when}"))
}

fn invalid(field: &str, rule: &str) -> ConfigProblem {
    ConfigProblem::new(ConfigErrorCode::ConfigInvalidField, field, format!("config.{field} {rule}"))
}

/// The keys `mode` requires besides `appID`, or `None` for an unknown mode.
pub fn required_keys(mode: &str) -> Option<&'static [&'static str]> {
    MODES.iter().find(|(m, _)| *m == mode).map(|(_, keys)| *keys)
}

/// How the value of a string key is checked. Each check has a Rust predicate ([`ValueCheck::accepts`]) for
/// the frame and the server, and a regular expression ([`ValueCheck::pattern`]) for the loader; the shared
/// config cases hold both to the same answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueCheck {
    /// An identifier (see [`is_valid_id`]).
    Id,
    /// One of [`MODES`].
    Mode,
    /// One of a fixed list.
    OneOf(&'static [&'static str]),
    /// A positive CSS length (see [`is_css_length`]).
    CssLength,
    /// A language tag (see [`is_language_tag`]).
    LanguageTag,
    /// An http(s) origin (see [`is_http_origin`]).
    HttpOrigin,
}

/// The rules on values, in the order their problems are reported. A rule applies to a non-empty value.
pub const VALUE_RULES: &[(&str, ValueCheck)] = &[
    ("appID", ValueCheck::Id),
    ("mode", ValueCheck::Mode),
    ("uid", ValueCheck::Id),
    ("width", ValueCheck::CssLength),
    ("height", ValueCheck::CssLength),
    ("dockedAlignment", ValueCheck::OneOf(DOCKED_ALIGNMENTS)),
    ("theme", ValueCheck::OneOf(THEMES)),
    ("variantID", ValueCheck::Id),
    ("defaultChatID", ValueCheck::Id),
    ("chatType", ValueCheck::OneOf(CHAT_TYPES)),
    ("language", ValueCheck::LanguageTag),
    ("apiBase", ValueCheck::HttpOrigin),
];

impl ValueCheck {
    fn choices(self) -> Vec<&'static str> {
        match self {
            Self::Mode => MODES.iter().map(|(m, _)| *m).collect(),
            Self::OneOf(values) => values.to_vec(),
            _ => Vec::new(),
        }
    }

    /// Whether `value` passes.
    pub fn accepts(self, value: &str) -> bool {
        match self {
            Self::Id => is_valid_id(value),
            Self::Mode | Self::OneOf(_) => self.choices().contains(&value),
            Self::CssLength => is_css_length(value),
            Self::LanguageTag => is_language_tag(value),
            Self::HttpOrigin => is_http_origin(value),
        }
    }

    /// The rule as the end of a sentence ("config.width " + rule).
    pub fn rule(self) -> String {
        match self {
            Self::Id => format!("must be 1-{MAX_ID_LEN} characters of a-z, A-Z, 0-9, _ and -"),
            Self::Mode | Self::OneOf(_) => {
                let quoted: Vec<String> = self.choices().iter().map(|v| format!("\"{v}\"")).collect();
                format!("must be one of {}", quoted.join(", "))
            }
            Self::CssLength => format!("must be a CSS length in {}", LENGTH_UNITS.join(", ")),
            Self::LanguageTag => "must be a language tag such as en-US".into(),
            Self::HttpOrigin => "must be an http(s) origin such as https://chat.example.com".into(),
        }
    }

    /// The same rule as a JavaScript regular expression's source, for the loader.
    pub fn pattern(self) -> String {
        match self {
            Self::Id => format!("^[A-Za-z0-9_-]{{1,{MAX_ID_LEN}}}$"),
            Self::Mode | Self::OneOf(_) => format!("^(?:{})$", self.choices().join("|")),
            // The look-ahead asks for a non-zero digit: the length is positive.
            Self::CssLength => format!("^(?=[^1-9]*[1-9])\\d+(?:\\.\\d+)?(?:{})$", LENGTH_UNITS.join("|")),
            Self::LanguageTag => "^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$".into(),
            Self::HttpOrigin => format!("^https?://[A-Za-z0-9.:\\[\\]-]{{1,{MAX_CONFIG_STRING_LEN}}}/?$"),
        }
    }
}

/// True for a positive CSS length with one of [`LENGTH_UNITS`], such as `400px` or `90.5%` (not `0px`).
pub fn is_css_length(value: &str) -> bool {
    let digits_end = value.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(value.len());
    let (number, unit) = value.split_at(digits_end);
    let mut parts = number.split('.');
    let whole_ok = parts.next().is_some_and(|w| !w.is_empty());
    let frac_ok = parts.next().is_none_or(|f| !f.is_empty());
    let positive = number.bytes().any(|b| (b'1'..=b'9').contains(&b));
    whole_ok && frac_ok && positive && parts.next().is_none() && LENGTH_UNITS.contains(&unit)
}

/// True for a language tag such as `en`, `en-US` or `zh-Hant-TW`.
pub fn is_language_tag(value: &str) -> bool {
    let mut parts = value.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    primary_ok && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// True for `http://host[:port]` or `https://host[:port]` with nothing after the host but an optional `/`.
pub fn is_http_origin(value: &str) -> bool {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    rest.map(|r| r.strip_suffix('/').unwrap_or(r)).is_some_and(|host| {
        !host.is_empty()
            && host.len() <= MAX_CONFIG_STRING_LEN
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
    })
}

/// The rules the loader checks a config against, serialised into the loader by the server so that the
/// JavaScript side reads the same rules as [`WidgetConfig::problems`].
#[derive(Debug, Serialize)]
pub struct LoaderSpec {
    /// The server's region.
    pub region: String,
    /// Key name to JSON kind.
    pub keys: BTreeMap<&'static str, KeyKind>,
    /// Mode to the keys it requires.
    pub modes: BTreeMap<&'static str, &'static [&'static str]>,
    /// [`VALUE_RULES`] as `[key, pattern, rule]`, in order.
    pub rules: Vec<(&'static str, String, String)>,
    /// Keys of the `user` object.
    #[serde(rename = "userKeys")]
    pub user_keys: &'static [&'static str],
    /// Longest free-form string.
    #[serde(rename = "maxString")]
    pub max_string: usize,
    /// Values of keys the config may omit.
    pub defaults: BTreeMap<&'static str, &'static str>,
}

impl LoaderSpec {
    /// The spec for a server running in `region`.
    pub fn new(region: &str) -> Self {
        Self {
            region: region.to_owned(),
            keys: KEYS.iter().copied().collect(),
            modes: MODES.iter().copied().collect(),
            rules: VALUE_RULES.iter().map(|(key, check)| (*key, check.pattern(), check.rule())).collect(),
            user_keys: USER_KEYS,
            max_string: MAX_CONFIG_STRING_LEN,
            defaults: [
                ("width", DEFAULT_WIDTH),
                ("height", DEFAULT_HEIGHT),
                ("dockedAlignment", DEFAULT_DOCKED_ALIGNMENT),
                ("theme", DEFAULT_THEME),
            ]
            .into_iter()
            .collect(),
        }
    }
}

/// What the host module (loaded on intent) needs: the frame message types. (Both scripts write error codes
/// as literals; the server's tests hold each one to [`ConfigErrorCode::ALL`].)
#[derive(Debug, Serialize)]
pub struct HostSpec {
    /// `postMessage` message types exchanged with the frame.
    pub messages: BTreeMap<&'static str, &'static str>,
}

impl HostSpec {
    /// The spec.
    pub fn new() -> Self {
        Self { messages: FrameMessageKind::ALL.iter().map(|k| (k.short_name(), k.as_str())).collect() }
    }
}

impl Default for HostSpec {
    fn default() -> Self {
        Self::new()
    }
}
