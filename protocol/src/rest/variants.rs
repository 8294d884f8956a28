//! Widget variants: saved widget configurations of an app, with settings in the shape the reference
//! platform's widget builder uses (`style`, `layout`, `chatFeatures`, `noCode`, plus Confab's `texts`).
//!
//! - [`Variant`], [`CreateVariant`], [`UpdateVariant`]: the `/v3/variants` bodies (REST API key).
//! - [`Builder`], [`BuilderEntry`]: the public, read-only `/v1/builders` answers the widget fetches.
//! - [`switches`]: the feature switches Confab honours, named once; [`feature_enabled`] reads one.
//! - [`check_settings`]: the type checks of the known keys, each problem with its path; unknown keys are
//!   kept as they are.
//!
//! `noCode.styles.customJs` and `customCss` are kept as strings and never run or injected anywhere.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::widget_config::{is_language_tag, CHAT_TYPES, DOCKED_ALIGNMENTS, THEMES};

/// Longest a variant's settings may be, serialised.
pub const MAX_SETTINGS_BYTES: usize = 64 * 1024;
/// Most variants an app may have.
pub const MAX_VARIANTS_PER_APP: usize = 100;
/// Longest text of a `texts.<language>.<key>` entry, in characters.
pub const MAX_TEXT_LEN: usize = 500;
/// Longest font family name, in characters.
pub const MAX_FONT_LEN: usize = 100;
/// Longest launcher icon URL (`noCode.styles.openIcon` / `closeIcon`), in characters.
pub const MAX_ICON_URL_LEN: usize = 20_000;
/// The prefix of generated variant ids (`v_` and 16 lowercase hex digits).
pub const GENERATED_ID_PREFIX: &str = "v_";
/// The `type` of every builder Confab serves (the reference also knows `agent`).
pub const BUILDER_TYPE: &str = "chat";
/// The `type` query parameter of the app's builder list.
pub const BUILDER_LIST_TYPE: &str = "low-code";

/// A variant as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Variant {
    /// Id, unique on the server (UID rules, stored lower-case).
    pub id: String,
    /// Label, 1-100 characters.
    pub name: String,
    /// The app's default: pages without a `variantID` get it. Exactly one of an app's variants is.
    pub is_default: bool,
    /// The builder settings, stored as given (unknown keys too).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: Value,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last change, Unix seconds.
    pub updated_at: i64,
}

/// `POST /variants`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateVariant {
    /// Id (UID rules); generated (`v_` and 16 hex digits) when absent.
    pub id: Option<String>,
    /// Label, 1-100 characters.
    pub name: String,
    /// The builder settings (default `{}`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub settings: Option<Value>,
}

/// `PUT /variants/{id}`: the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateVariant {
    /// New label.
    pub name: Option<String>,
    /// New settings: they replace the old ones whole.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub settings: Option<Value>,
    /// `true` makes this variant the app's default (`false` is refused: make another one the default).
    pub is_default: Option<bool>,
}

/// `GET /v1/builders/{variantID}`: `{"data": Builder}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Builder {
    /// Always [`BUILDER_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The variant's id.
    #[serde(rename = "variantID")]
    pub variant_id: String,
    /// The variant's settings.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: Value,
}

/// One entry of `GET /v1/apps/{appID}/builders?type=low-code`: `{"data": [BuilderEntry, ...]}`, the default
/// first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuilderEntry {
    /// The variant's id.
    #[serde(rename = "variantID")]
    pub variant_id: String,
    /// The variant's settings.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: Value,
}

/// One on/off switch of the settings: `chatFeatures.<section>.<name>`, a boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Switch {
    /// The section under `chatFeatures` (`coreMessagingExperience`).
    pub section: &'static str,
    /// The switch in it (`typingIndicator`).
    pub name: &'static str,
}

impl Switch {
    /// Its path in the settings: `chatFeatures.<section>.<name>`.
    pub fn path(self) -> String {
        format!("chatFeatures.{}.{}", self.section, self.name)
    }

    /// Whether `settings` turn it on (absent: the reference default).
    pub fn enabled_in(self, settings: &Value) -> bool {
        feature_enabled(settings, self.section, self.name)
    }
}

/// The feature switches Confab honours, named once. The widget hides what they turn off; the server also
/// refuses it for the variant's sessions where it is one of [`ENFORCED`](switches::ENFORCED).
pub mod switches {
    use super::Switch;

    const fn core(name: &'static str) -> Switch {
        Switch { section: "coreMessagingExperience", name }
    }
    const fn engagement(name: &'static str) -> Switch {
        Switch { section: "deeperUserEngagement", name }
    }
    const fn groups(name: &'static str) -> Switch {
        Switch { section: "groupManagement", name }
    }

    /// Typing indicators, shown and sent.
    pub const TYPING_INDICATOR: Switch = core("typingIndicator");
    /// Sent, delivered and read ticks.
    pub const RECEIPTS: Switch = core("messageDeliveryAndReadReceipts");
    /// Who is online.
    pub const PRESENCE: Switch = core("userAndFriendsPresence");
    /// Editing one's messages.
    pub const EDIT_MESSAGE: Switch = core("editMessage");
    /// Deleting messages.
    pub const DELETE_MESSAGE: Switch = core("deleteMessage");
    /// Thread replies.
    pub const THREADS: Switch = core("threadConversationAndReplies");
    /// Searching messages.
    pub const SEARCH: Switch = core("conversationAndAdvancedSearch");
    /// Quoting a message in a reply.
    pub const QUOTED_REPLIES: Switch = core("quotedReplies");
    /// Marking a conversation unread again.
    pub const MARK_AS_UNREAD: Switch = core("markAsUnread");
    /// Sending photos (messages of type `image`).
    pub const PHOTOS_SHARING: Switch = core("photosSharing");
    /// Sending videos (type `video`).
    pub const VIDEO_SHARING: Switch = core("videoSharing");
    /// Sending audio (type `audio`, voice notes included).
    pub const AUDIO_SHARING: Switch = core("audioSharing");
    /// Sending other files (type `file`).
    pub const FILE_SHARING: Switch = core("fileSharing");
    /// Recording voice notes in the panel.
    pub const VOICE_NOTES: Switch = engagement("voiceNotes");
    /// Reactions.
    pub const REACTIONS: Switch = engagement("reactions");
    /// Mentions.
    pub const MENTIONS: Switch = engagement("mentions");
    /// Creating groups.
    pub const CREATE_GROUP: Switch = groups("createGroup");
    /// Joining and leaving groups.
    pub const JOIN_LEAVE_GROUP: Switch = groups("joinLeaveGroup");
    /// Seeing a group's members.
    pub const VIEW_GROUP_MEMBERS: Switch = groups("viewGroupMembers");
    /// The sound of an incoming message.
    pub const INCOMING_MESSAGE_SOUND: Switch = Switch { section: "inAppSounds", name: "incomingMessageSound" };

    /// Every switch Confab honours.
    pub const HONOURED: &[Switch] = &[
        TYPING_INDICATOR,
        RECEIPTS,
        PRESENCE,
        EDIT_MESSAGE,
        DELETE_MESSAGE,
        THREADS,
        SEARCH,
        QUOTED_REPLIES,
        MARK_AS_UNREAD,
        PHOTOS_SHARING,
        VIDEO_SHARING,
        AUDIO_SHARING,
        FILE_SHARING,
        VOICE_NOTES,
        REACTIONS,
        MENTIONS,
        CREATE_GROUP,
        JOIN_LEAVE_GROUP,
        VIEW_GROUP_MEMBERS,
        INCOMING_MESSAGE_SOUND,
    ];

    /// The switches the server enforces for a variant's sessions (the REST API key is never restricted):
    /// typing frames, `POST /groups`, join and leave, editing and deleting messages, reactions, thread
    /// replies, quoted replies, mentions, search, marking unread, and uploading and sending photos, videos,
    /// audio and files.
    pub const ENFORCED: &[Switch] = &[
        TYPING_INDICATOR,
        CREATE_GROUP,
        JOIN_LEAVE_GROUP,
        EDIT_MESSAGE,
        DELETE_MESSAGE,
        REACTIONS,
        THREADS,
        QUOTED_REPLIES,
        MENTIONS,
        SEARCH,
        MARK_AS_UNREAD,
        PHOTOS_SHARING,
        VIDEO_SHARING,
        AUDIO_SHARING,
        FILE_SHARING,
    ];

    /// The switch that allows sending messages of `message_type` (`image`, `video`, `audio`, `file`).
    pub fn for_media_type(message_type: &str) -> Option<Switch> {
        match message_type {
            "image" => Some(PHOTOS_SHARING),
            "video" => Some(VIDEO_SHARING),
            "audio" => Some(AUDIO_SHARING),
            "file" => Some(FILE_SHARING),
            _ => None,
        }
    }
}

/// The `chatFeatures` switches the reference builder knows, by section, with their defaults (absent: this
/// value). Confab type-checks these; other names under `chatFeatures` are kept unchecked. The defaults are
/// the reference builder's but two: quoted replies and marking unread are on unless a variant turns them off
/// (the reference ships them off, and a builder moved from it states them).
pub const KNOWN_SWITCHES: &[(&str, &[(&str, bool)])] = &[
    (
        "coreMessagingExperience",
        &[
            ("typingIndicator", true),
            ("threadConversationAndReplies", true),
            ("photosSharing", true),
            ("videoSharing", true),
            ("audioSharing", true),
            ("fileSharing", true),
            ("editMessage", true),
            ("deleteMessage", true),
            ("messageDeliveryAndReadReceipts", true),
            ("userAndFriendsPresence", true),
            ("conversationAndAdvancedSearch", true),
            ("moderation", true),
            ("quotedReplies", true),
            ("markAsUnread", true),
            ("richTextFormatting", true),
        ],
    ),
    (
        "deeperUserEngagement",
        &[
            ("mentions", true),
            ("mentionAll", true),
            ("reactions", true),
            ("messageTranslation", true),
            ("polls", true),
            ("collaborativeWhiteboard", true),
            ("collaborativeDocument", true),
            ("voiceNotes", true),
            ("emojis", true),
            ("stickers", true),
            ("userInfo", true),
            ("groupInfo", true),
        ],
    ),
    ("aiUserCopilot", &[("conversationStarter", false), ("conversationSummary", false), ("smartReply", false)]),
    ("userManagement", &[("friendsOnly", false)]),
    (
        "groupManagement",
        &[("createGroup", true), ("addMembersToGroups", true), ("joinLeaveGroup", true), ("deleteGroup", true), ("viewGroupMembers", true)],
    ),
    ("moderatorControls", &[("kickUsers", true), ("banUsers", true), ("promoteDemoteMembers", true), ("reportMessage", true)]),
    ("privateMessagingWithinGroups", &[("sendPrivateMessageToGroupMembers", true)]),
    ("inAppSounds", &[("incomingMessageSound", true), ("outgoingMessageSound", true)]),
];

/// The known switches of `section`, if it is a known section.
fn known_section(section: &str) -> Option<&'static [(&'static str, bool)]> {
    KNOWN_SWITCHES.iter().find(|(name, _)| *name == section).map(|(_, switches)| *switches)
}

/// The reference default of a switch: its listed default, or on for a switch the reference does not list.
pub fn switch_default(section: &str, name: &str) -> bool {
    known_section(section).and_then(|s| s.iter().find(|(n, _)| *n == name)).is_none_or(|(_, on)| *on)
}

/// Whether `settings` turn `chatFeatures.<section>.<name>` on: its value when it is a boolean, else the
/// reference default ([`switch_default`]).
pub fn feature_enabled(settings: &Value, section: &str, name: &str) -> bool {
    settings
        .get("chatFeatures")
        .and_then(|f| f.get(section))
        .and_then(|s| s.get(name))
        .and_then(Value::as_bool)
        .unwrap_or_else(|| switch_default(section, name))
}

/// A CSS hex colour: `#rgb` or `#rrggbb`.
pub fn is_hex_color(value: &str) -> bool {
    let digits = value.strip_prefix('#').unwrap_or_default();
    matches!(digits.len(), 3 | 6) && digits.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A font family name: 1-100 characters of letters, digits, spaces and `-`.
pub fn is_font_name(value: &str) -> bool {
    !value.trim().is_empty()
        && value.chars().count() <= MAX_FONT_LEN
        && value.chars().all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
}

/// A launcher icon: an `http(s)` URL or a `data:image/...` URL of at most [`MAX_ICON_URL_LEN`] characters,
/// with no spaces, quotes, angle brackets, parentheses or backslashes (so it is never markup, and safe in
/// an attribute or a CSS `url()`; percent-encode them).
pub fn is_icon_url(value: &str) -> bool {
    let lower = value.get(..11).unwrap_or(value).to_ascii_lowercase();
    let scheme_ok = ["https://", "http://", "data:image/"].iter().any(|p| lower.starts_with(p) && value.len() > p.len());
    scheme_ok
        && value.chars().count() <= MAX_ICON_URL_LEN
        && !value.chars().any(|c| c.is_whitespace() || c.is_control() || "\"'<>()\\`".contains(c))
}

/// Values of `layout.tabs`.
pub const TABS: &[&str] = &["chats", "calls", "users", "groups"];
/// Values of `style.typography.size`.
pub const TEXT_SIZES: &[&str] = &["compact", "default", "comfortable"];
/// Values of `noCode.styles.buttonShape`.
pub const BUTTON_SHAPES: &[&str] = &["rounded", "square", "circle"];
/// The colours under `style.color`.
pub const COLOR_KEYS: &[&str] =
    &["brandColor", "primaryTextLight", "primaryTextDark", "secondaryTextLight", "secondaryTextDark"];

/// A known key of the settings with a value of the wrong type or out of range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsProblem {
    /// Where, from the settings object: `style.color.brandColor`, `layout.tabs[1]`; empty for the object
    /// itself.
    pub path: String,
    /// What is wrong, for the developer.
    pub message: String,
    /// The limit passed, when one was.
    pub limit: Option<u64>,
}

/// The problems of `settings` (a variant's settings object), in document order: the known keys' types and
/// ranges, and the whole size. Unknown keys are not problems.
pub fn check_settings(settings: &Value) -> Vec<SettingsProblem> {
    let mut check = Checker::default();
    let Some(root) = settings.as_object() else {
        check.problem(String::new(), "must be a JSON object");
        return check.problems;
    };
    let size = serde_json::to_vec(settings).map_or(usize::MAX, |bytes| bytes.len());
    if size > MAX_SETTINGS_BYTES {
        check.over(String::new(), MAX_SETTINGS_BYTES, "bytes serialised");
        return check.problems;
    }
    if let Some(style) = check.object(root, "", "style") {
        if let Some(theme) = style.get("theme") {
            check.one_of(theme, "style.theme".into(), THEMES);
        }
        if let Some(colors) = check.object(style, "style", "color") {
            for key in COLOR_KEYS {
                if let Some(color) = colors.get(*key) {
                    check.color(color, format!("style.color.{key}"));
                }
            }
        }
        if let Some(typography) = check.object(style, "style", "typography") {
            if let Some(font) = typography.get("font") {
                let ok = font.as_str().is_some_and(is_font_name);
                check.require(ok, "style.typography.font".into(), "must be a font family name: 1-100 letters, digits, spaces and -");
            }
            if let Some(size) = typography.get("size") {
                check.one_of(size, "style.typography.size".into(), TEXT_SIZES);
            }
        }
    }
    if let Some(layout) = check.object(root, "", "layout") {
        if let Some(tabs) = layout.get("tabs") {
            check.tabs(tabs);
        }
        if let Some(chat_type) = layout.get("chatType") {
            check.one_of(chat_type, "layout.chatType".into(), CHAT_TYPES);
        }
        for key in ["withSideBar", "compactMessageComposer"] {
            if let Some(flag) = layout.get(key) {
                check.boolean(flag, format!("layout.{key}"));
            }
        }
    }
    if let Some(features) = check.object(root, "", "chatFeatures") {
        for (section, switches) in KNOWN_SWITCHES {
            let Some(values) = check.object(features, "chatFeatures", section) else { continue };
            for (name, _) in *switches {
                if let Some(value) = values.get(*name) {
                    check.boolean(value, format!("chatFeatures.{section}.{name}"));
                }
            }
        }
    }
    if let Some(no_code) = check.object(root, "", "noCode") {
        if let Some(docked) = no_code.get("docked") {
            check.boolean(docked, "noCode.docked".into());
        }
        if let Some(styles) = check.object(no_code, "noCode", "styles") {
            check.no_code_styles(styles);
        }
    }
    if let Some(texts) = check.object(root, "", "texts") {
        check.texts(texts);
    }
    check.problems
}

/// Collects the problems of one settings object.
#[derive(Default)]
struct Checker {
    problems: Vec<SettingsProblem>,
}

impl Checker {
    fn problem(&mut self, path: String, message: &str) {
        self.problems.push(SettingsProblem { path, message: message.to_owned(), limit: None });
    }

    fn over(&mut self, path: String, limit: usize, unit: &str) {
        self.problems.push(SettingsProblem { path, message: format!("must be at most {limit} {unit}"), limit: Some(limit as u64) });
    }

    fn require(&mut self, ok: bool, path: String, message: &str) {
        if !ok {
            self.problem(path, message);
        }
    }

    /// `parent[key]` when it is an object; a problem when it is there but is not one.
    fn object<'a>(&mut self, parent: &'a Map<String, Value>, at: &str, key: &str) -> Option<&'a Map<String, Value>> {
        let value = parent.get(key)?;
        let path = if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") };
        let object = value.as_object();
        self.require(object.is_some(), path, "must be an object");
        object
    }

    fn boolean(&mut self, value: &Value, path: String) {
        self.require(value.is_boolean(), path, "must be true or false");
    }

    fn one_of(&mut self, value: &Value, path: String, allowed: &[&str]) {
        if !value.as_str().is_some_and(|v| allowed.contains(&v)) {
            self.problems.push(SettingsProblem { path, message: format!("must be one of {}", allowed.join(", ")), limit: None });
        }
    }

    fn color(&mut self, value: &Value, path: String) {
        self.require(value.as_str().is_some_and(is_hex_color), path, "must be a hex colour: #rgb or #rrggbb");
    }

    fn tabs(&mut self, tabs: &Value) {
        let Some(list) = tabs.as_array() else { return self.problem("layout.tabs".into(), "must be a list of tabs") };
        let mut seen = Vec::new();
        for (i, tab) in list.iter().enumerate() {
            let path = format!("layout.tabs[{i}]");
            match tab.as_str() {
                Some(name) if !TABS.contains(&name) => self.one_of(tab, path, TABS),
                Some(name) if seen.contains(&name) => self.problem(path, "is listed twice"),
                Some(name) => seen.push(name),
                None => self.one_of(tab, path, TABS),
            }
        }
    }

    fn no_code_styles(&mut self, styles: &Map<String, Value>) {
        if let Some(alignment) = styles.get("dockedAlignment") {
            self.one_of(alignment, "noCode.styles.dockedAlignment".into(), DOCKED_ALIGNMENTS);
        }
        if let Some(color) = styles.get("buttonBackGround") {
            self.color(color, "noCode.styles.buttonBackGround".into());
        }
        if let Some(shape) = styles.get("buttonShape") {
            self.one_of(shape, "noCode.styles.buttonShape".into(), BUTTON_SHAPES);
        }
        for key in ["openIcon", "closeIcon"] {
            let Some(icon) = styles.get(key) else { continue };
            let path = format!("noCode.styles.{key}");
            match icon.as_str() {
                Some(url) if url.chars().count() > MAX_ICON_URL_LEN => self.over(path, MAX_ICON_URL_LEN, "characters"),
                Some(url) => self.require(is_icon_url(url), path, "must be an http(s) or data:image/ URL, without spaces, quotes, <, >, ( or )"),
                None => self.problem(path, "must be a URL"),
            }
        }
        for key in ["customJs", "customCss"] {
            if let Some(code) = styles.get(key) {
                self.require(code.is_string(), format!("noCode.styles.{key}"), "must be a string (it is kept, never run)");
            }
        }
    }

    fn texts(&mut self, texts: &Map<String, Value>) {
        for (language, strings) in texts {
            let path = format!("texts.{language}");
            if !is_language_tag(language) {
                self.problem(path, "must be a language tag such as de or pt-BR");
                continue;
            }
            let Some(strings) = strings.as_object() else {
                self.problem(path, "must be an object of texts by key");
                continue;
            };
            for (key, text) in strings {
                let path = format!("texts.{language}.{key}");
                match text.as_str() {
                    Some(text) if text.chars().count() > MAX_TEXT_LEN => self.over(path, MAX_TEXT_LEN, "characters"),
                    Some(_) => {}
                    None => self.problem(path, "must be a string"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(settings: Value) -> Vec<String> {
        check_settings(&settings).into_iter().map(|p| p.path).collect()
    }

    #[test]
    fn a_reference_export_passes_and_keeps_its_unknown_keys() {
        let settings = json!({
            "chatFeatures": {"coreMessagingExperience": {"typingIndicator": false, "quotedReplies": true, "somedaySwitch": "x"},
                             "aiUserCopilot": {"smartReply": false}, "newSection": {"anything": [1]}},
            "callFeatures": {"voiceAndVideoCalling": {"oneOnOneVoiceCalling": true}},
            "layout": {"withSideBar": true, "tabs": ["chats", "calls", "users", "groups"], "chatType": "user", "compactMessageComposer": false},
            "style": {"theme": "system", "color": {"brandColor": "#6852D6", "primaryTextLight": "#141414", "primaryTextDark": "#FFF",
                      "secondaryTextLight": "#727272", "secondaryTextDark": "#989898", "accent": "anything"},
                      "typography": {"font": "roboto", "size": "default"}},
            "noCode": {"docked": false, "styles": {"buttonBackGround": "#141414", "buttonShape": "rounded",
                       "openIcon": "https://cdn.example/open.svg", "closeIcon": "data:image/svg+xml;base64,PHN2Zz4=",
                       "customJs": "alert(1)", "customCss": "body{}", "dockedAlignment": "right"}},
            "agent": {"chatHistory": true},
            "texts": {"de": {"title": "Hilfe", "send": "Senden"}, "pt-BR": {"welcome": "Olá"}}
        });
        assert_eq!(paths(settings), Vec::<String>::new());
        assert_eq!(paths(json!({})), Vec::<String>::new());
    }

    #[test]
    fn known_keys_of_the_wrong_type_are_named_by_path() {
        let settings = json!({
            "style": {"theme": "neon", "color": {"brandColor": "red"}, "typography": {"font": "x;}body{", "size": 3}},
            "layout": {"tabs": ["chats", "inbox", "chats"], "chatType": "room", "withSideBar": "yes"},
            "chatFeatures": {"groupManagement": {"createGroup": "no"}, "inAppSounds": 1},
            "noCode": {"docked": 1, "styles": {"dockedAlignment": "top", "buttonBackGround": "#12", "buttonShape": "blob",
                       "openIcon": "javascript:alert(1)", "closeIcon": "<svg onload=alert(1)>", "customJs": 5}},
            "texts": {"not a tag": {}, "de": {"title": 5, "welcome": "x".repeat(MAX_TEXT_LEN + 1)}, "fr": "Bonjour"}
        });
        let mut found = paths(settings);
        found.sort();
        let mut expected = [
                "style.theme",
                "style.color.brandColor",
                "style.typography.font",
                "style.typography.size",
                "layout.tabs[1]",
                "layout.tabs[2]",
                "layout.chatType",
                "layout.withSideBar",
                "chatFeatures.groupManagement.createGroup",
                "chatFeatures.inAppSounds",
                "noCode.docked",
                "noCode.styles.dockedAlignment",
                "noCode.styles.buttonBackGround",
                "noCode.styles.buttonShape",
                "noCode.styles.openIcon",
                "noCode.styles.closeIcon",
                "noCode.styles.customJs",
                "texts.de.title",
                "texts.de.welcome",
                "texts.fr",
                "texts.not a tag",
            ];
        expected.sort();
        assert_eq!(found, expected);
        assert_eq!(paths(json!([])), [""]);
        assert_eq!(paths(json!({"style": "dark"})), ["style"]);
    }

    #[test]
    fn size_limits_carry_their_limit() {
        let big = json!({"unknown": "x".repeat(MAX_SETTINGS_BYTES)});
        let problems = check_settings(&big);
        assert_eq!((problems[0].path.as_str(), problems[0].limit), ("", Some(MAX_SETTINGS_BYTES as u64)));
        let long_icon = format!("https://a.example/{}", "a".repeat(MAX_ICON_URL_LEN));
        let problems = check_settings(&json!({"noCode": {"styles": {"openIcon": long_icon}}}));
        assert_eq!(problems[0].limit, Some(MAX_ICON_URL_LEN as u64));
    }

    #[test]
    fn switches_default_as_the_reference_does_but_quoted_replies_and_mark_unread() {
        let settings = json!({"chatFeatures": {"coreMessagingExperience": {"typingIndicator": false, "editMessage": "junk"}}});
        assert!(!feature_enabled(&settings, "coreMessagingExperience", "typingIndicator"));
        assert!(!switches::TYPING_INDICATOR.enabled_in(&settings));
        assert!(feature_enabled(&settings, "coreMessagingExperience", "editMessage"), "a non-boolean reads as the default");
        assert!(feature_enabled(&json!({}), "coreMessagingExperience", "quotedReplies"), "on in Confab, off in the reference");
        assert!(feature_enabled(&json!({}), "coreMessagingExperience", "markAsUnread"));
        assert!(!feature_enabled(&json!({}), "aiUserCopilot", "smartReply"));
        assert!(feature_enabled(&json!({}), "groupManagement", "createGroup"));
        assert!(feature_enabled(&json!({}), "someSection", "someSwitch"), "an unknown switch is on");
        assert_eq!(switches::CREATE_GROUP.path(), "chatFeatures.groupManagement.createGroup");
        for switch in switches::HONOURED {
            assert!(known_section(switch.section).is_some_and(|s| s.iter().any(|(n, on)| *n == switch.name && *on)), "{switch:?}");
        }
        assert!(switches::ENFORCED.iter().all(|s| switches::HONOURED.contains(s)));
    }

    #[test]
    fn css_values_and_icons_are_checked() {
        assert!(is_hex_color("#abc") && is_hex_color("#A1B2C3"));
        assert!(!is_hex_color("abc") && !is_hex_color("#abcd") && !is_hex_color("#12345g"));
        assert!(is_font_name("Noto Sans JP") && !is_font_name("x;}body{") && !is_font_name(" "));
        assert!(is_icon_url("https://a.example/i.svg") && is_icon_url("DATA:image/png;base64,iVBO"));
        for bad in ["https://", "ftp://a/b", "data:text/html,<b>", "https://a.example/x y", "https://a.example/\")", "javascript:x"] {
            assert!(!is_icon_url(bad), "{bad}");
        }
    }

    #[test]
    fn wire_shapes() {
        let builder = Builder { kind: BUILDER_TYPE.into(), variant_id: "v1".into(), settings: json!({}) };
        assert_eq!(serde_json::to_value(builder).unwrap(), json!({"type": "chat", "variantID": "v1", "settings": {}}));
        let update: UpdateVariant = serde_json::from_value(json!({"isDefault": true})).unwrap();
        assert_eq!(update.is_default, Some(true));
        assert!(serde_json::from_value::<CreateVariant>(json!({"name": "a", "nmae": 1})).is_err());
    }
}
