//! What the panel takes from a variant's settings (the reference builder's shape, see
//! `rest::variants`): its look, its layout, the feature switches it honours and its texts. Decoded leniently:
//! the server checked the settings when they were saved, and a key the panel does not know is ignored.

use serde_json::Value;

use crate::decode::Json;
use crate::rest::variants::{is_font_name, is_hex_color, switches, Switch};

/// The feature switches the panel honours (see `rest::variants::switches`; absent = the reference default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PanelFeatures {
    /// Shows others typing and tells them when the visitor types.
    pub typing: bool,
    /// Shows sent, delivered and read ticks.
    pub receipts: bool,
    /// Shows who is online.
    pub presence: bool,
    /// Opening a public group the visitor is not in joins it (off: the picker lists only their groups).
    pub join_groups: bool,
    /// The new-conversation picker lists users (`layout.tabs` has `users`, or lists no tabs).
    pub users_tab: bool,
    /// The picker lists groups (`layout.tabs` has `groups`, or lists no tabs).
    pub groups_tab: bool,
    /// The visitor may attach photos.
    pub photos: bool,
    /// The visitor may attach videos.
    pub videos: bool,
    /// The visitor may attach audio files.
    pub audio: bool,
    /// The visitor may attach other files.
    pub files: bool,
    /// The visitor may record voice notes (needs `audio` too).
    pub voice_notes: bool,
    /// The visitor may edit their messages.
    pub edit: bool,
    /// The visitor may delete their messages.
    pub delete: bool,
    /// Reactions show, and the visitor may react.
    pub reactions: bool,
    /// The visitor may reply quoting a message.
    pub quotes: bool,
    /// Thread replies show, and the visitor may reply in a thread.
    pub threads: bool,
    /// Typing `@` in a group offers its members.
    pub mentions: bool,
    /// The visitor may search messages.
    pub search: bool,
    /// The visitor may mark a conversation unread.
    pub mark_unread: bool,
    /// A soft tone plays for a message that comes while the panel is closed or the page hidden.
    pub sound: bool,
}

impl PanelFeatures {
    /// Whether the visitor may send a message of this media type (`image`, `video`, `audio`, `file`).
    pub fn allows_media(&self, message_type: &str) -> bool {
        match message_type {
            "image" => self.photos,
            "video" => self.videos,
            "audio" => self.audio,
            "file" => self.files,
            _ => false,
        }
    }

    /// Whether the panel offers an attach button at all.
    pub fn attaches(&self) -> bool {
        self.photos || self.videos || self.audio || self.files
    }
}

impl Default for PanelFeatures {
    fn default() -> Self {
        Self {
            typing: true,
            receipts: true,
            presence: true,
            join_groups: true,
            users_tab: true,
            groups_tab: true,
            photos: true,
            videos: true,
            audio: true,
            files: true,
            voice_notes: true,
            edit: true,
            delete: true,
            reactions: true,
            quotes: true,
            threads: true,
            mentions: true,
            search: true,
            mark_unread: true,
            sound: true,
        }
    }
}

/// A variant as the panel applies it. Every field is `None` (or the default) where the variant says
/// nothing, so the snippet's config and the panel's defaults apply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PanelVariant {
    /// `style.theme`: `light`, `dark` or `system`.
    pub theme: Option<String>,
    /// `style.color.brandColor`.
    pub brand_color: Option<String>,
    /// `style.color.{primaryTextLight, primaryTextDark, secondaryTextLight, secondaryTextDark}`.
    pub text_colors: [Option<String>; 4],
    /// `style.typography.font`: a font family name.
    pub font: Option<String>,
    /// `style.typography.size`: `compact`, `default` or `comfortable`.
    pub size: Option<String>,
    /// `layout.chatType`: `user` or `group`, the list opened first.
    pub chat_type: Option<String>,
    /// `layout.compactMessageComposer`: a one-line composer.
    pub compact_composer: bool,
    /// The switches of `chatFeatures` the panel honours.
    pub features: PanelFeatures,
    /// `texts`: per language tag, strings by catalog key (`{"de": {"title": "Hilfe"}}`).
    pub texts: Value,
}

/// Field `path` (dot-separated) of `json`.
fn at<J: Json>(json: &J, path: &str) -> Option<J> {
    let mut parts = path.split('.');
    let first = json.field(parts.next()?)?;
    parts.try_fold(first, |value, key| value.field(key))
}

impl PanelVariant {
    /// The panel's view of `settings` (a variant's settings object).
    pub fn read<J: Json>(settings: &J) -> Self {
        let text = |path: &str| at(settings, path).and_then(|v| v.string());
        let color = |path: &str| text(path).filter(|c| is_hex_color(c));
        let switch = |switch: Switch| at(settings, &switch.path()).and_then(|v| v.boolean()).unwrap_or_else(|| crate::rest::variants::switch_default(switch.section, switch.name));
        let tabs: Option<Vec<String>> = at(settings, "layout.tabs").and_then(|v| v.elements()).map(|tabs| tabs.iter().filter_map(Json::string).collect());
        let offers = |tab: &str| tabs.as_ref().is_none_or(|tabs| tabs.iter().any(|t| t == tab));
        Self {
            theme: text("style.theme").filter(|t| crate::widget_config::THEMES.contains(&t.as_str())),
            brand_color: color("style.color.brandColor"),
            text_colors: [
                color("style.color.primaryTextLight"),
                color("style.color.primaryTextDark"),
                color("style.color.secondaryTextLight"),
                color("style.color.secondaryTextDark"),
            ],
            font: text("style.typography.font").filter(|f| is_font_name(f)),
            size: text("style.typography.size"),
            chat_type: text("layout.chatType"),
            compact_composer: at(settings, "layout.compactMessageComposer").and_then(|v| v.boolean()).unwrap_or(false),
            features: PanelFeatures {
                typing: switch(switches::TYPING_INDICATOR),
                receipts: switch(switches::RECEIPTS),
                presence: switch(switches::PRESENCE),
                join_groups: switch(switches::JOIN_LEAVE_GROUP),
                users_tab: offers("users"),
                groups_tab: offers("groups"),
                photos: switch(switches::PHOTOS_SHARING),
                videos: switch(switches::VIDEO_SHARING),
                audio: switch(switches::AUDIO_SHARING),
                files: switch(switches::FILE_SHARING),
                voice_notes: switch(switches::VOICE_NOTES) && switch(switches::AUDIO_SHARING),
                edit: switch(switches::EDIT_MESSAGE),
                delete: switch(switches::DELETE_MESSAGE),
                reactions: switch(switches::REACTIONS),
                quotes: switch(switches::QUOTED_REPLIES),
                threads: switch(switches::THREADS),
                mentions: switch(switches::MENTIONS),
                search: switch(switches::SEARCH),
                mark_unread: switch(switches::MARK_AS_UNREAD),
                sound: switch(switches::INCOMING_MESSAGE_SOUND),
            },
            texts: at(settings, "texts").map(|t| t.to_value()).unwrap_or(Value::Null),
        }
    }

    /// The variant's strings for the catalog language `language` and the visitor's exact `tag`: the
    /// language's entries, then the exact tag's (`pt` then `pt-BR`).
    pub fn texts_for(&self, language: &str, tag: &str) -> Vec<Value> {
        let Some(texts) = self.texts.as_object() else { return Vec::new() };
        let mut layers: Vec<Value> = texts.iter().filter(|(k, _)| k.eq_ignore_ascii_case(language)).map(|(_, v)| v.clone()).collect();
        if !tag.eq_ignore_ascii_case(language) {
            layers.extend(texts.iter().filter(|(k, _)| k.eq_ignore_ascii_case(tag)).map(|(_, v)| v.clone()));
        }
        layers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_it_honours_and_ignores_the_rest() {
        let settings = json!({
            "style": {"theme": "dark", "color": {"brandColor": "#e5484d", "primaryTextLight": "red"}, "typography": {"font": "Inter", "size": "compact"}},
            "layout": {"tabs": ["chats", "users"], "compactMessageComposer": true},
            "chatFeatures": {
                "coreMessagingExperience": {"typingIndicator": false, "editMessage": false, "threadConversationAndReplies": false},
                "deeperUserEngagement": {"reactions": false},
                "groupManagement": {"joinLeaveGroup": false},
                "inAppSounds": {"incomingMessageSound": false}
            },
            "texts": {"de": {"title": "Hilfe"}, "de-AT": {"title": "Servus"}},
            "someday": {"a": 1}
        });
        let variant = PanelVariant::read(&settings);
        assert_eq!(variant.theme.as_deref(), Some("dark"));
        assert_eq!(variant.brand_color.as_deref(), Some("#e5484d"));
        assert_eq!(variant.text_colors[0], None, "a colour that is not hex is not used");
        assert!(!variant.features.typing && variant.features.receipts && variant.features.presence && !variant.features.join_groups);
        assert!(variant.features.users_tab && !variant.features.groups_tab);
        let f = &variant.features;
        assert!(!f.edit && f.delete && !f.threads && !f.reactions && f.quotes && f.mentions && f.search && !f.sound);
        assert!(variant.compact_composer);
        assert_eq!(variant.texts_for("de", "de-AT"), vec![json!({"title": "Hilfe"}), json!({"title": "Servus"})]);
        assert_eq!(PanelVariant::read(&json!({})), PanelVariant::default());
    }
}
