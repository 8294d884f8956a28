//! A variant's settings as the editor sees them: a JSON object in the reference builder's shape, edited in
//! place key by key, so every key the form does not know (an export from the reference platform, switches
//! Confab has no feature for) is kept exactly as it was. The form's fields are data ([`STYLE`],
//! [`LAYOUT`], [`FEATURES`], [`NO_CODE`], [`TEXT_KEYS`]). The checks are the protocol's own
//! ([`confab_protocol::rest::variants::check_settings`]), the ones the server runs, so the form refuses
//! what the server would, with the same field names (`settings.style.color.brandColor`).

use confab_protocol::rest::variants::{self as wire, switches};
use serde_json::{Map, Value};

/// What kind of control a setting has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One of fixed values (a select).
    Choice(&'static [&'static str]),
    /// A CSS hex colour, `#rgb` or `#rrggbb`.
    Color,
    /// A font family name.
    Font,
    /// An image URL (`https:`, `http:` or `data:image/...`).
    Icon,
    /// On or off, with the value used when the key is absent.
    Switch(bool),
}

/// One setting of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// Where it sits in the settings object.
    pub path: &'static [&'static str],
    /// The label.
    pub label: &'static str,
    /// Its control.
    pub kind: Kind,
    /// The reference default, shown as a placeholder (empty field = this default).
    pub default: &'static str,
}

impl Setting {
    /// The field name the server's errors use: `settings.style.theme`.
    pub fn field(&self) -> String {
        field_of(self.path)
    }
}

/// The server's field name of a path.
pub fn field_of(path: &[&str]) -> String {
    format!("settings.{}", path.join("."))
}

const fn s(path: &'static [&'static str], label: &'static str, kind: Kind, default: &'static str) -> Setting {
    Setting { path, label, kind, default }
}

/// `style`.
pub const STYLE: &[Setting] = &[
    s(&["style", "theme"], "Theme", Kind::Choice(&["light", "dark", "system"]), "system"),
    s(&["style", "color", "brandColor"], "Brand colour", Kind::Color, "#6852D6"),
    s(&["style", "color", "primaryTextLight"], "Primary text, light theme", Kind::Color, "#141414"),
    s(&["style", "color", "primaryTextDark"], "Primary text, dark theme", Kind::Color, "#FFFFFF"),
    s(&["style", "color", "secondaryTextLight"], "Secondary text, light theme", Kind::Color, "#727272"),
    s(&["style", "color", "secondaryTextDark"], "Secondary text, dark theme", Kind::Color, "#989898"),
    s(&["style", "typography", "font"], "Font family", Kind::Font, "roboto"),
    s(&["style", "typography", "size"], "Text size", Kind::Choice(&["compact", "default", "comfortable"]), "default"),
];

/// `layout`, but for `tabs` (see [`TABS`]).
pub const LAYOUT: &[Setting] = &[
    s(&["layout", "chatType"], "List opened first", Kind::Choice(&["user", "group"]), "user"),
    s(&["layout", "withSideBar"], "Side bar", Kind::Switch(true), ""),
    s(&["layout", "compactMessageComposer"], "Compact (one-line) message composer", Kind::Switch(false), ""),
];

/// `layout.tabs`: the lists the panel offers, in their order.
pub const TABS: &[&str] = &["chats", "calls", "users", "groups"];
/// Where the tabs are.
pub const TABS_PATH: &[&str] = &["layout", "tabs"];

/// The `chatFeatures` switches Confab honours (a missing switch is on).
pub const FEATURES: &[Setting] = &[
    s(&["chatFeatures", "coreMessagingExperience", "typingIndicator"], "Typing indicator", Kind::Switch(true), ""),
    s(&["chatFeatures", "coreMessagingExperience", "messageDeliveryAndReadReceipts"], "Delivery and read receipts", Kind::Switch(true), ""),
    s(&["chatFeatures", "coreMessagingExperience", "userAndFriendsPresence"], "Online presence", Kind::Switch(true), ""),
    s(&["chatFeatures", "coreMessagingExperience", "editMessage"], "Edit messages", Kind::Switch(true), ""),
    s(&["chatFeatures", "coreMessagingExperience", "deleteMessage"], "Delete messages", Kind::Switch(true), ""),
    s(&["chatFeatures", "coreMessagingExperience", "threadConversationAndReplies"], "Thread replies", Kind::Switch(true), ""),
    s(&["chatFeatures", "coreMessagingExperience", "conversationAndAdvancedSearch"], "Message search", Kind::Switch(true), ""),
    s(&["chatFeatures", "coreMessagingExperience", "quotedReplies"], "Quoted replies", Kind::Switch(true), ""),
    s(&["chatFeatures", "coreMessagingExperience", "markAsUnread"], "Mark as unread", Kind::Switch(true), ""),
    s(&["chatFeatures", "coreMessagingExperience", "photosSharing"], "Photo sharing", Kind::Switch(true), ""),
    s(&["chatFeatures", "coreMessagingExperience", "videoSharing"], "Video sharing", Kind::Switch(true), ""),
    s(&["chatFeatures", "coreMessagingExperience", "audioSharing"], "Audio sharing", Kind::Switch(true), ""),
    s(&["chatFeatures", "coreMessagingExperience", "fileSharing"], "File sharing", Kind::Switch(true), ""),
    s(&["chatFeatures", "deeperUserEngagement", "voiceNotes"], "Voice notes", Kind::Switch(true), ""),
    s(&["chatFeatures", "deeperUserEngagement", "reactions"], "Reactions", Kind::Switch(true), ""),
    s(&["chatFeatures", "deeperUserEngagement", "mentions"], "Mentions", Kind::Switch(true), ""),
    s(&["chatFeatures", "groupManagement", "createGroup"], "Create groups", Kind::Switch(true), ""),
    s(&["chatFeatures", "groupManagement", "joinLeaveGroup"], "Join and leave groups", Kind::Switch(true), ""),
    s(&["chatFeatures", "groupManagement", "viewGroupMembers"], "View group members", Kind::Switch(true), ""),
    s(&["chatFeatures", "inAppSounds", "incomingMessageSound"], "Sound on incoming messages", Kind::Switch(true), ""),
];

/// Whether the switch at `path` (`chatFeatures.<section>.<name>`) is one the server also enforces: a
/// session of a variant that turns it off is refused the call, not just shown less.
pub fn is_enforced(path: &[&str]) -> bool {
    matches!(path, ["chatFeatures", section, name] if switches::ENFORCED.iter().any(|s| s.section == *section && s.name == *name))
}

/// `noCode`: the docked launcher.
pub const NO_CODE: &[Setting] = &[
    s(&["noCode", "docked"], "Docked (a launcher button opens the panel)", Kind::Switch(false), ""),
    s(&["noCode", "styles", "dockedAlignment"], "Launcher side", Kind::Choice(&["left", "right"]), "right"),
    s(&["noCode", "styles", "buttonBackGround"], "Launcher colour", Kind::Color, "#141414"),
    s(&["noCode", "styles", "buttonShape"], "Launcher shape", Kind::Choice(&["rounded", "square", "circle"]), "rounded"),
    s(&["noCode", "styles", "openIcon"], "Open icon URL", Kind::Icon, ""),
    s(&["noCode", "styles", "closeIcon"], "Close icon URL", Kind::Icon, ""),
];

/// The kept-but-never-run keys.
pub const CUSTOM_CODE: &[(&[&str], &str)] =
    &[(&["noCode", "styles", "customJs"], "Custom JavaScript"), (&["noCode", "styles", "customCss"], "Custom CSS")];

/// Confab's own texts per language: key and label.
pub const TEXT_KEYS: &[(&str, &str)] =
    &[("title", "Panel title"), ("welcome", "Welcome message (before the first message)"), ("placeholder", "Composer placeholder")];

/// Longest text.
pub const MAX_TEXT_CHARS: usize = wire::MAX_TEXT_LEN;

/// The value at `path`, if there is one.
pub fn get<'a>(settings: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(settings, |value, key| value.get(key))
}

/// The string at `path`, or `""`.
pub fn get_str(settings: &Value, path: &[&str]) -> String {
    get(settings, path).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// The switch at `path`, or `default` when absent (or not a boolean).
pub fn get_bool(settings: &Value, path: &[&str], default: bool) -> bool {
    get(settings, path).and_then(Value::as_bool).unwrap_or(default)
}

/// Puts `value` at `path`, making the objects on the way (a non-object in the way is replaced); `None`
/// removes the key, and then each object it leaves empty. Everything else is left as it was.
pub fn set(settings: &mut Value, path: &[&str], value: Option<Value>) {
    if !settings.is_object() {
        *settings = Value::Object(Map::new());
    }
    let Some((last, parents)) = path.split_last() else { return };
    match value {
        Some(value) => {
            let mut here = settings;
            for key in parents {
                let map = here.as_object_mut().expect("an object");
                let next = map.entry(key.to_string()).or_insert_with(|| Value::Object(Map::new()));
                if !next.is_object() {
                    *next = Value::Object(Map::new());
                }
                here = next;
            }
            here.as_object_mut().expect("an object").insert(last.to_string(), value);
        }
        None => remove(settings, path),
    }
}

/// Removes `path` and the objects it leaves empty.
fn remove(value: &mut Value, path: &[&str]) {
    let Some(map) = value.as_object_mut() else { return };
    match path {
        [] => {}
        [key] => {
            map.remove(*key);
        }
        [key, rest @ ..] => {
            if let Some(child) = map.get_mut(*key) {
                remove(child, rest);
                if child.as_object().is_some_and(Map::is_empty) {
                    map.remove(*key);
                }
            }
        }
    }
}

/// Sets a text field: an empty (or blank) text removes the key, so the default applies.
pub fn set_str(settings: &mut Value, path: &[&str], text: &str) {
    let value = (!text.trim().is_empty()).then(|| Value::String(text.to_owned()));
    set(settings, path, value);
}

/// The tabs shown: the stored list, or all of [`TABS`] when there is none.
pub fn tabs(settings: &Value) -> Vec<String> {
    match get(settings, TABS_PATH).and_then(Value::as_array) {
        Some(list) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        None => TABS.iter().map(|t| (*t).to_owned()).collect(),
    }
}

/// Turns tab `tab` on or off, keeping [`TABS`]'s order (tabs Confab does not know stay at the end).
pub fn set_tab(settings: &mut Value, tab: &str, on: bool) {
    let now = tabs(settings);
    let mut next: Vec<String> =
        TABS.iter().filter(|t| if **t == tab { on } else { now.iter().any(|n| n == *t) }).map(|t| (*t).to_owned()).collect();
    next.extend(now.into_iter().filter(|t| !TABS.contains(&t.as_str())));
    set(settings, TABS_PATH, Some(Value::Array(next.into_iter().map(Value::String).collect())));
}

/// The language tags that have texts, sorted (serde_json keeps object keys sorted).
pub fn languages(settings: &Value) -> Vec<String> {
    get(settings, &["texts"]).and_then(Value::as_object).map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

/// Whether `tag` is a language tag as the server accepts it (`de`, `pt-BR`, `zh-Hant-TW`).
pub fn is_language_tag(tag: &str) -> bool {
    confab_protocol::widget_config::is_language_tag(tag)
}

/// Adds an empty text set for `tag`. Refused with a sentence when the tag is malformed or there already.
pub fn add_language(settings: &mut Value, tag: &str) -> Result<(), String> {
    let tag = tag.trim();
    if !is_language_tag(tag) {
        return Err(format!("\u{201c}{tag}\u{201d} is not a language tag such as de, fr-CA or pt-BR"));
    }
    if languages(settings).iter().any(|t| t.eq_ignore_ascii_case(tag)) {
        return Err(format!("{tag} has texts already"));
    }
    set(settings, &["texts", tag], Some(Value::Object(Map::new())));
    Ok(())
}

/// Removes the texts of `tag`.
pub fn remove_language(settings: &mut Value, tag: &str) {
    set(settings, &["texts", tag], None);
}

/// The texts of `tag` beyond [`TEXT_KEYS`]: catalog keys the variant overrides (`send`, `online`...).
pub fn extra_text_keys(settings: &Value, tag: &str) -> Vec<String> {
    get(settings, &["texts", tag])
        .and_then(Value::as_object)
        .map(|m| m.keys().filter(|k| !TEXT_KEYS.iter().any(|(known, _)| known == k)).cloned().collect())
        .unwrap_or_default()
}

/// `chatFeatures` switches present in the settings that Confab has no feature for (kept, no effect), as
/// `section.switch` and value.
pub fn other_switches(settings: &Value) -> Vec<(String, Value)> {
    let Some(sections) = get(settings, &["chatFeatures"]).and_then(Value::as_object) else { return Vec::new() };
    let mut out = Vec::new();
    for (section, switches) in sections {
        let Some(switches) = switches.as_object() else { continue };
        for (name, value) in switches {
            let known = FEATURES.iter().any(|f| f.path[1] == section && f.path[2] == name);
            if !known {
                out.push((format!("{section}.{name}"), value.clone()));
            }
        }
    }
    out
}

/// Whether `value` is `#rgb` or `#rrggbb`.
pub fn is_hex_color(value: &str) -> bool {
    wire::is_hex_color(value)
}

/// `#rgb` widened to `#rrggbb` (what `<input type="color">` takes); other values as they are.
pub fn six_digit(color: &str) -> String {
    match color.strip_prefix('#') {
        Some(hex) if hex.len() == 3 && is_hex_color(color) => {
            let mut out = String::from("#");
            for c in hex.chars() {
                out.push(c);
                out.push(c);
            }
            out.to_ascii_lowercase()
        }
        _ => color.to_ascii_lowercase(),
    }
}

/// The problem with one setting's value, if any (an empty value is always fine: the default applies).
pub fn check_value(kind: Kind, value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    match kind {
        Kind::Color if !wire::is_hex_color(value) => Some("must be a hex colour such as #6852D6 or #fff".into()),
        Kind::Font if !wire::is_font_name(value) => {
            Some(format!("must be a font family name: 1-{} letters, digits, spaces and -", wire::MAX_FONT_LEN))
        }
        Kind::Icon if !wire::is_icon_url(value) => Some(format!(
            "must be an https:// or http:// URL, or a data:image/ URL, of at most {} characters, without spaces, quotes, <, >, ( or )",
            wire::MAX_ICON_URL_LEN
        )),
        Kind::Choice(values) if !values.contains(&value) => Some(format!("must be one of {}", values.join(", "))),
        _ => None,
    }
}

/// Every problem of the settings, as (server field name, sentence), in document order: the server's own
/// checks, run before saving.
pub fn check(settings: &Value) -> Vec<(String, String)> {
    wire::check_settings(settings)
        .into_iter()
        .map(|p| {
            let field = if p.path.is_empty() { "settings".to_owned() } else { format!("settings.{}", p.path) };
            let message = format!("{} {}", if p.path.is_empty() { "The settings" } else { p.path.as_str() }, p.message);
            (field, message)
        })
        .collect()
}

/// The message the console posts to the preview frame: everything it needs to start the widget in
/// authToken mode with the edited, unsaved settings as the `variant` config key.
pub fn preview_message(app_id: &str, region: &str, auth_token: &str, settings: &Value, language: &str) -> Value {
    let mut config = serde_json::json!({
        "appID": app_id,
        "region": region,
        "mode": "authToken",
        "authToken": auth_token,
        "variant": settings,
    });
    if !language.is_empty() {
        config["language"] = Value::String(language.to_owned());
    }
    serde_json::json!({ "type": PREVIEW_CONFIG, "config": config })
}

/// `type` of the message that carries the preview's config (console → preview frame).
pub const PREVIEW_CONFIG: &str = "confab-console:preview-config";
/// `type` of the message the preview frame sends when it is ready for a config (frame → console).
pub const PREVIEW_READY: &str = "confab-console:preview-ready";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn editing_keeps_every_unknown_key() {
        let mut settings = json!({
            "style": {"color": {"brandColor": "#000", "accent": "#123"}, "extra": 1},
            "agent": {"chatHistory": true},
            "chatFeatures": {"coreMessagingExperience": {"polls": false}}
        });
        set_str(&mut settings, &["style", "color", "brandColor"], "#ff0000");
        set(&mut settings, &["chatFeatures", "coreMessagingExperience", "typingIndicator"], Some(json!(false)));
        set_str(&mut settings, &["texts", "de", "title"], "Hilfe");
        assert_eq!(
            settings,
            json!({
                "style": {"color": {"brandColor": "#ff0000", "accent": "#123"}, "extra": 1},
                "agent": {"chatHistory": true},
                "chatFeatures": {"coreMessagingExperience": {"polls": false, "typingIndicator": false}},
                "texts": {"de": {"title": "Hilfe"}}
            })
        );
    }

    #[test]
    fn an_emptied_field_goes_away_with_its_empty_parents() {
        let mut settings = json!({"style": {"color": {"brandColor": "#000"}, "theme": "dark"}});
        set_str(&mut settings, &["style", "color", "brandColor"], "  ");
        assert_eq!(settings, json!({"style": {"theme": "dark"}}));
        set_str(&mut settings, &["style", "theme"], "");
        assert_eq!(settings, json!({}));
        // A non-object in the way is replaced, a non-object root too.
        let mut odd = json!({"style": 3});
        set_str(&mut odd, &["style", "theme"], "light");
        assert_eq!(odd, json!({"style": {"theme": "light"}}));
        let mut null = Value::Null;
        set(&mut null, &["noCode", "docked"], Some(json!(true)));
        assert_eq!(null, json!({"noCode": {"docked": true}}));
    }

    #[test]
    fn switches_default_when_absent() {
        let settings = json!({"layout": {"withSideBar": false}});
        assert!(!get_bool(&settings, &["layout", "withSideBar"], true));
        assert!(get_bool(&settings, FEATURES[0].path, true));
        assert!(!get_bool(&settings, &["layout", "compactMessageComposer"], false));
    }

    #[test]
    fn tabs_keep_their_order() {
        let mut settings = json!({});
        assert_eq!(tabs(&settings), TABS);
        set_tab(&mut settings, "calls", false);
        assert_eq!(settings["layout"]["tabs"], json!(["chats", "users", "groups"]));
        set_tab(&mut settings, "calls", true);
        assert_eq!(settings["layout"]["tabs"], json!(["chats", "calls", "users", "groups"]));
        let mut custom = json!({"layout": {"tabs": ["groups", "agents"]}});
        set_tab(&mut custom, "chats", true);
        assert_eq!(custom["layout"]["tabs"], json!(["chats", "groups", "agents"]));
    }

    #[test]
    fn languages_are_added_checked_and_removed() {
        let mut settings = json!({"texts": {"en": {"title": "Help", "send": "Go"}}});
        assert_eq!(languages(&settings), ["en"]);
        assert!(add_language(&mut settings, "de-AT").is_ok());
        assert!(add_language(&mut settings, "DE-at").is_err());
        assert!(add_language(&mut settings, "german").is_err());
        assert!(add_language(&mut settings, "x").is_err());
        assert_eq!(languages(&settings), ["de-AT", "en"]);
        assert_eq!(extra_text_keys(&settings, "en"), ["send"]);
        remove_language(&mut settings, "de-AT");
        assert_eq!(languages(&settings), ["en"]);
        assert!(is_language_tag("zh-Hant-TW"));
        assert!(!is_language_tag("en-"));
        assert!(!is_language_tag("e1"));
    }

    #[test]
    fn checks_name_the_server_field() {
        let settings = json!({
            "style": {"color": {"brandColor": "red"}, "typography": {"font": "Inter<script>"}},
            "noCode": {"styles": {"openIcon": "javascript:alert(1)", "buttonShape": "blob"}},
            "texts": {"de": {"title": "x".repeat(501)}}
        });
        let fields: Vec<String> = check(&settings).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "settings.style.color.brandColor",
                "settings.style.typography.font",
                "settings.noCode.styles.buttonShape",
                "settings.noCode.styles.openIcon",
                "settings.texts.de.title",
            ]
        );
        assert!(check(&json!({"style": {"color": {"brandColor": "#6852D6"}}})).is_empty());
        assert_eq!(six_digit("#AbC"), "#aabbcc");
        assert_eq!(six_digit("#6852D6"), "#6852d6");
    }

    #[test]
    fn the_form_has_every_switch_confab_honours_and_no_other() {
        let form: Vec<(&str, &str)> = FEATURES.iter().map(|f| (f.path[1], f.path[2])).collect();
        let honoured: Vec<(&str, &str)> = switches::HONOURED.iter().map(|s| (s.section, s.name)).collect();
        assert_eq!(form, honoured);
        assert!(FEATURES.iter().all(|f| f.path[0] == "chatFeatures" && f.kind == Kind::Switch(true)));
        assert!(is_enforced(switches::TYPING_INDICATOR.path().split('.').collect::<Vec<_>>().as_slice()));
        assert!(is_enforced(&["chatFeatures", "deeperUserEngagement", "reactions"]));
        assert!(!is_enforced(&["chatFeatures", "coreMessagingExperience", "userAndFriendsPresence"]));
        assert_eq!(TABS, wire::TABS);
    }

    #[test]
    fn lists_switches_confab_does_not_honour() {
        let settings = json!({"chatFeatures": {"coreMessagingExperience": {"typingIndicator": false, "polls": true}}});
        assert_eq!(other_switches(&settings), [("coreMessagingExperience.polls".to_owned(), json!(true))]);
    }

    #[test]
    fn the_preview_gets_the_unsaved_settings_as_the_variant_key() {
        let settings = json!({"style": {"color": {"brandColor": "#f00"}}});
        let message = preview_message("app1", "eu", "tok", &settings, "de");
        assert_eq!(message["type"], PREVIEW_CONFIG);
        assert_eq!(
            message["config"],
            json!({"appID": "app1", "region": "eu", "mode": "authToken", "authToken": "tok", "variant": settings, "language": "de"})
        );
        assert!(preview_message("a", "r", "t", &settings, "")["config"].get("language").is_none());
    }
}
