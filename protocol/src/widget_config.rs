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
use crate::limits::MAX_CONFIG_STRING_LEN;

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
    /// Every problem with this config, in key order; empty when it is good. `server_region` is checked
    /// when given.
    pub fn problems(&self, server_region: Option<&str>) -> Vec<ConfigProblem> {
        use ConfigErrorCode::*;
        let mut out = Vec::new();
        let missing = |field: &str| {
            ConfigProblem::new(ConfigMissingField, field, format!("config.{field} is required"))
        };
        if self.app_id.is_empty() {
            out.push(missing("appID"));
        } else if !is_valid_id(&self.app_id) {
            out.push(invalid("appID", "must be 1-100 characters of a-z, A-Z, 0-9, _ and -"));
        }
        if let Some(server) = server_region {
            let region = if self.region.is_empty() { server } else { self.region.as_str() };
            if region != server {
                out.push(ConfigProblem::new(
                    ConfigRegionMismatch,
                    "region",
                    format!("config.region is \"{region}\" but this server runs region \"{server}\""),
                ));
            }
        }
        match required_keys(&self.mode) {
            None if self.mode.is_empty() => out.push(missing("mode")),
            None => out.push(invalid("mode", &one_of(MODES.iter().map(|(m, _)| *m)))),
            Some(required) => {
                for key in required {
                    if self.string_key(key).is_none_or(str::is_empty) {
                        out.push(missing(key));
                    }
                }
            }
        }
        if self.uid.as_deref().is_some_and(|uid| !uid.is_empty() && !is_valid_id(uid)) {
            out.push(invalid("uid", "must be 1-100 characters of a-z, A-Z, 0-9, _ and -"));
        }
        if let Some(user) = &self.user {
            for (key, value) in [("name", &user.name), ("avatar", &user.avatar), ("link", &user.link)] {
                if value.as_deref().is_some_and(|v| v.len() > MAX_CONFIG_STRING_LEN) {
                    out.push(invalid(&format!("user.{key}"), "is too long"));
                }
            }
        }
        if !self.is_docked && self.mount.as_deref().is_none_or(str::is_empty) {
            out.push(ConfigProblem::new(
                ConfigMissingField,
                "mount",
                "config.mount is required when isDocked is false".into(),
            ));
        }
        for (key, value) in [("width", &self.width), ("height", &self.height)] {
            if !is_css_length(value) {
                out.push(invalid(key, &format!("must be a CSS length in {}", LENGTH_UNITS.join(", "))));
            }
        }
        if !DOCKED_ALIGNMENTS.contains(&self.docked_alignment.as_str()) {
            out.push(invalid("dockedAlignment", &one_of(DOCKED_ALIGNMENTS.iter().copied())));
        }
        if !THEMES.contains(&self.theme.as_str()) {
            out.push(invalid("theme", &one_of(THEMES.iter().copied())));
        }
        for (key, value) in [("variantID", &self.variant_id), ("defaultChatID", &self.default_chat_id)] {
            if value.as_deref().is_some_and(|v| !is_valid_id(v)) {
                out.push(invalid(key, "must be 1-100 characters of a-z, A-Z, 0-9, _ and -"));
            }
        }
        if self.chat_type.as_deref().is_some_and(|t| !CHAT_TYPES.contains(&t)) {
            out.push(invalid("chatType", &one_of(CHAT_TYPES.iter().copied())));
        }
        if self.language.as_deref().is_some_and(|l| !is_language_tag(l)) {
            out.push(invalid("language", "must be a language tag such as en-US"));
        }
        if self.api_base.as_deref().is_some_and(|b| !is_http_origin(b)) {
            out.push(invalid("apiBase", "must be an http(s) origin such as https://chat.example.com"));
        }
        out
    }

    fn string_key(&self, key: &str) -> Option<&str> {
        match key {
            "authKey" => self.auth_key.as_deref(),
            "uid" => self.uid.as_deref(),
            "authToken" => self.auth_token.as_deref(),
            _ => None,
        }
    }
}

fn invalid(field: &str, rule: &str) -> ConfigProblem {
    ConfigProblem::new(ConfigErrorCode::ConfigInvalidField, field, format!("config.{field} {rule}"))
}

fn one_of<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = values.map(|v| format!("\"{v}\"")).collect();
    format!("must be one of {}", quoted.join(", "))
}

/// The keys `mode` requires besides `appID`, or `None` for an unknown mode.
pub fn required_keys(mode: &str) -> Option<&'static [&'static str]> {
    MODES.iter().find(|(m, _)| *m == mode).map(|(_, keys)| *keys)
}

/// True for a positive CSS length with one of [`LENGTH_UNITS`], such as `400px` or `90.5%`.
pub fn is_css_length(value: &str) -> bool {
    let digits_end = value.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(value.len());
    let (number, unit) = value.split_at(digits_end);
    let mut parts = number.split('.');
    let whole_ok = parts.next().is_some_and(|w| !w.is_empty());
    let frac_ok = parts.next().is_none_or(|f| !f.is_empty());
    whole_ok && frac_ok && parts.next().is_none() && LENGTH_UNITS.contains(&unit)
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
    /// Enumerated keys to their allowed values.
    pub enums: BTreeMap<&'static str, &'static [&'static str]>,
    /// Units accepted in lengths.
    pub units: &'static [&'static str],
    /// Keys of the `user` object.
    #[serde(rename = "userKeys")]
    pub user_keys: &'static [&'static str],
    /// Longest free-form string.
    #[serde(rename = "maxString")]
    pub max_string: usize,
    /// Default panel size.
    pub defaults: BTreeMap<&'static str, &'static str>,
    /// Error code names the loader reports.
    pub codes: BTreeMap<&'static str, &'static str>,
    /// `postMessage` message types exchanged with the frame.
    pub messages: BTreeMap<&'static str, &'static str>,
}

impl LoaderSpec {
    /// The spec for a server running in `region`.
    pub fn new(region: &str) -> Self {
        Self {
            region: region.to_owned(),
            keys: KEYS.iter().copied().collect(),
            modes: MODES.iter().copied().collect(),
            enums: [("dockedAlignment", DOCKED_ALIGNMENTS), ("theme", THEMES), ("chatType", CHAT_TYPES)].into_iter().collect(),
            units: LENGTH_UNITS,
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
            codes: ConfigErrorCode::ALL.iter().map(|c| (c.as_str(), c.as_str())).collect(),
            messages: FrameMessageKind::ALL.iter().map(|k| (k.short_name(), k.as_str())).collect(),
        }
    }
}
