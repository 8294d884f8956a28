//! Every string the panel shows, per language. `language` in the config picks a catalog by its language
//! subtag (`de-AT` → German); anything unknown falls back to English. English is built in; every other
//! language is a JSON file (`src/locales/<tag>.json`, served at `/widget/locales/<tag>.json`) that only a
//! visitor who uses that language downloads. A variant's `texts` override any string per language.
//! Plural forms follow `Intl.PluralRules`, numbers and dates `Intl` in the visitor's language;
//! right-to-left languages set the panel's direction.

/// The languages with a catalog, by their tag (the file name under `src/locales/`).
pub const LANGUAGES: &[&str] = &["en", "de", "fr", "es", "pt", "ru", "ar", "he", "ja", "zh", "hi", "ko"];
/// The languages written right to left.
const RIGHT_TO_LEFT: &[&str] = &["ar", "he"];

/// Declares [`Catalog`] with one `&'static str` field per key, the English values, and [`Catalog::set`].
macro_rules! catalog {
    ($($(#[doc = $doc:literal])* $key:ident: $english:literal,)*) => {
        /// The panel's strings in one language.
        #[derive(Debug, Clone)]
        pub struct Catalog {
            /// The BCP 47 tag of the visitor's language (`Intl` formats with it).
            pub tag: &'static str,
            /// Written right to left.
            pub rtl: bool,
            /// Plural forms by key and CLDR category (`unread_count_one`).
            plurals: &'static [(&'static str, &'static str)],
            $($(#[doc = $doc])* pub $key: &'static str,)*
        }

        /// English: built in, and the fallback for every missing string.
        pub const ENGLISH: Catalog = Catalog { tag: "en", rtl: false, plurals: ENGLISH_PLURALS, $($key: $english,)* };

        impl Catalog {
            /// Replaces the string `key`; `false` when no string has that name.
            fn set(&mut self, key: &str, value: &'static str) -> bool {
                match key {
                    $(stringify!($key) => self.$key = value,)*
                    _ => return false,
                }
                true
            }
        }
    };
}

catalog! {
    /// The "chat" string.
    chat: "Chat",
    /// The "conversations" string.
    conversations: "Conversations",
    /// The "new_conversation" string.
    new_conversation: "New conversation",
    /// The "back" string.
    back: "Back to conversations",
    /// The "close_chat" string.
    close_chat: "Close chat",
    /// The "message" string.
    message: "Message",
    /// The "send" string.
    send: "Send",
    /// The composer's placeholder.
    placeholder: "Write a message…",
    /// The "loading" string.
    loading: "Loading…",
    /// The "signing_in" string.
    signing_in: "Signing in…",
    /// The "sign_in_failed" string.
    sign_in_failed: "Could not sign in",
    /// The "no_conversations" string.
    no_conversations: "No conversations yet.",
    /// The "users" string.
    users: "People",
    /// The "groups" string.
    groups: "Groups",
    /// The "offline" string.
    offline: "Connection lost. Reconnecting…",
    /// The "back_online" string.
    back_online: "Connected again.",
    /// `{name}` is typing.
    typing: "{name} is typing…",
    /// The "sending" string.
    sending: "Sending",
    /// The "sent" string.
    sent: "Sent",
    /// The "delivered" string.
    delivered: "Delivered",
    /// The "read" string.
    read: "Read",
    /// The "not_sent" string.
    not_sent: "Not sent",
    /// The "retry" string.
    retry: "Retry",
    /// The "deleted" string.
    deleted: "This message was deleted.",
    /// The "edited" string.
    edited: "edited",
    /// The "today" string.
    today: "Today",
    /// The "yesterday" string.
    yesterday: "Yesterday",
    /// The "you" string.
    you: "You",
    /// The "online" string.
    online: "online",
    /// The "cannot_send" string.
    cannot_send: "You cannot send messages here",
    /// Why a group's non-member cannot write.
    members_only: "Only members of this group can write here",
    /// Why the visitor cannot write to a user who blocked them (or whom they blocked).
    blocked: "You cannot message this user",
    /// `{name}` joined.
    joined: "{name} joined",
    /// The "left" string.
    left: "{name} left",
    /// The "added" string.
    added: "{name} was added",
    /// The "kicked" string.
    kicked: "{name} was removed",
    /// The "banned" string.
    banned: "{name} was banned",
    /// The "unbanned" string.
    unbanned: "{name} was unbanned",
    /// The "scope_changed" string.
    scope_changed: "{name}'s role changed",
    /// The panel's title.
    title: "Chat",
    /// Shown in a conversation before its first message.
    welcome: "No messages yet. Say hello!",
    /// The attach button.
    attach: "Attach files",
    /// The voice-note button.
    voice_note: "Record a voice note",
    /// The drop target shown while files are dragged over the panel.
    drop_files: "Drop files here to send them",
    /// The progress bar of a file being sent: `{name}` is the file's.
    uploading: "Uploading {name}",
    /// Stops an upload or a recording.
    cancel: "Cancel",
    /// The Cancel button of an upload, as read out: `{name}` is the file's.
    cancel_upload: "Stop sending {name}",
    /// Takes a file that was not sent out of the conversation.
    remove: "Remove",
    /// A file over the server's limit; `{size}` is the limit (`10 MB`).
    too_big: "Too big (max {size})",
    /// A file the variant does not allow.
    not_allowed: "This kind of file cannot be sent here",
    /// The app's storage for files is full.
    quota_full: "There is no room left for files",
    /// An upload that failed without a reason.
    upload_failed: "The upload failed",
    /// Closes the image viewer.
    close: "Close",
    /// The viewer's button to the image before.
    previous_image: "Previous image",
    /// The viewer's button to the image after.
    next_image: "Next image",
    /// Where the viewer is among the conversation's images: `{index}` of `{count}`.
    image_position: "{index} of {count}",
    /// Read out while a voice note records.
    recording: "Recording a voice note",
    /// Stops recording and sends the voice note.
    send_voice_note: "Send voice note",
    /// The microphone permission was refused.
    mic_denied: "The microphone is blocked: allow it in the browser to record a voice note",
    /// No microphone or recording in this browser.
    mic_unavailable: "Voice notes cannot be recorded in this browser",
    /// An image message, in the conversation list.
    photo: "Photo",
    /// A video message, in the conversation list.
    video: "Video",
    /// An audio message, in the conversation list.
    audio: "Audio",
    /// A file message, in the conversation list (and a file without a name).
    file: "File",
    /// The line in the log before the first message the visitor had not read.
    new_messages: "New messages",
    /// The button shown while the visitor reads above the newest message.
    jump_to_newest: "Jump to newest",
    /// Read out when a message comes in another conversation than the open one: `{name}` is its sender's.
    new_message_from: "New message from {name}",
    /// The conversation pane beside a list of conversations while none is open.
    pick_conversation: "Pick a conversation",
    /// The header button that opens the message search, and the search's name.
    search_messages: "Search messages",
    /// The message search's field.
    search_field: "Search",
    /// The message search's choice of where to look.
    search_scope: "Where to search",
    /// The message search's scope of the open conversation.
    this_conversation: "This conversation",
    /// The message search's scope of every conversation.
    all_conversations: "All conversations",
    /// The list of messages the search found.
    search_results: "Messages found",
    /// Read out while the message search runs.
    searching: "Searching…",
    /// Said when the message search found nothing.
    search_none: "No messages found",
    /// Said when the message search failed.
    search_failed: "The search failed. Try again.",
    /// How many messages the search found: `{count}`.
    search_count: "{count} found",
    /// Said when a search result opened is older than what could be loaded.
    search_further_back: "The message is further back. Scroll up to load it.",
    /// A message's actions button, and its menu.
    message_actions: "Message actions",
    /// The menu item that opens the reaction picker, and the picker's name.
    add_reaction: "Add reaction",
    /// The menu item that replies quoting the message.
    reply: "Reply",
    /// The list of members offered after `@` in the message box.
    mention_someone: "Mention someone",
    /// Beside a conversation in the list where the visitor was mentioned and has not read it.
    mentioned: "You were mentioned",
    /// The menu item that opens the message's thread.
    reply_in_thread: "Reply in thread",
    /// The title of the bar of an open thread.
    thread: "Thread",
    /// The bar's button back to the conversation.
    back_to_conversation: "Back to conversation",
    /// The menu item that edits an own message.
    edit: "Edit",
    /// The menu item that deletes an own message.
    delete: "Delete",
    /// The menu item that marks the conversation unread from a message on.
    mark_unread: "Mark unread",
    /// The reaction picker's field for any other emoji.
    any_emoji: "Any emoji",
    /// The button that adds the emoji typed in the reaction picker.
    add: "Add",
    /// Said when what was typed in the reaction picker is not an emoji.
    not_an_emoji: "That is not an emoji",
    /// An emoji button of the reaction picker: `{emoji}` is the emoji.
    react_with: "React with {emoji}",
    /// Said when a part of the panel that loads on first use could not be loaded.
    not_loaded: "This could not be loaded. Try again.",
    /// Above the message box while replying: `{name}` is the quoted sender and excerpt ("Ann: see you").
    replying_to: "Replying to {name}",
    /// Above the message box while editing a message.
    editing: "Editing your message",
    /// The tip of a quote in a reply (a button that shows the quoted message).
    show_quoted: "Show the quoted message",
    /// Said when the quoted message is older than what is loaded.
    quoted_not_loaded: "The quoted message is further back. Scroll up to load it.",
    /// Who reacted, past those listed: `{name}` the names listed, `{count}` how many more.
    and_more: "{name} and {count} more",
    /// Said when an edit, a delete or a reaction was refused: `{name}` says why.
    change_failed: "That did not work: {name}",
}

/// English plural forms.
const ENGLISH_PLURALS: &[(&str, &str)] = &[
    ("unread_count_one", "{count} unread message"),
    ("unread_count_other", "{count} unread messages"),
    // Messages that came while the visitor read above the newest (the Jump to newest button).
    ("new_count_one", "{count} new message"),
    ("new_count_other", "{count} new messages"),
    // A message's thread replies (a button that opens the thread).
    ("replies_count_one", "{count} reply"),
    ("replies_count_other", "{count} replies"),
    // `{name}`: the files' names.
    ("refused_files_one", "This kind of file cannot be sent here: {name}"),
    ("refused_files_other", "These {count} files cannot be sent here: {name}"),
];

/// The catalog language for `language` (a BCP 47 tag): its primary subtag when Confab has that language.
pub fn language_of(language: Option<&str>) -> &'static str {
    let primary = language.and_then(|tag| tag.split(['-', '_']).next()).unwrap_or_default().to_ascii_lowercase();
    LANGUAGES.iter().copied().find(|l| *l == primary).unwrap_or("en")
}

/// Whether `language` (a catalog language) is written right to left.
pub fn is_rtl(language: &str) -> bool {
    RIGHT_TO_LEFT.contains(&language)
}

/// Text that lives as long as the frame: catalogs are built once per page.
fn forever(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

impl Catalog {
    /// English with the strings of `entries` (a catalog file, then a variant's overrides for this language)
    /// in place, for the visitor's `tag`. Unknown keys are ignored, plural forms are kept whole.
    pub fn build(tag: &str, layers: &[&[(String, String)]]) -> &'static Catalog {
        let mut catalog = ENGLISH;
        catalog.tag = forever(tag.to_owned());
        catalog.rtl = is_rtl(language_of(Some(tag)));
        let mut plurals: Vec<(&'static str, &'static str)> = ENGLISH_PLURALS.to_vec();
        for entries in layers {
            // A layer that gives forms of a plural string gives all of them: the forms it lacks fall back
            // to its `other`, never to another language's (their categories differ).
            let bases: Vec<&str> = entries.iter().filter_map(|(k, _)| plural_base(k)).collect();
            plurals.retain(|(k, _)| plural_base(k).is_none_or(|base| !bases.contains(&base)));
            for (key, value) in entries.iter() {
                let value = forever(value.clone());
                if !catalog.set(key, value) && plural_base(key).is_some() {
                    plurals.push((forever(key.clone()), value));
                }
            }
        }
        catalog.plurals = Box::leak(plurals.into_boxed_slice());
        Box::leak(Box::new(catalog))
    }

    /// The plural form of `key` for `count` (`Intl.PluralRules` picks the category; `other` when the
    /// catalog lacks it), with `{count}` written as the language writes numbers.
    pub fn plural(&self, key: &str, count: u64) -> String {
        let category = plural_category(self.tag, count);
        let form = |category: &str| self.plurals.iter().find(|(k, _)| k.rsplit_once('_') == Some((key, category))).map(|(_, v)| *v);
        let template = form(&category).or_else(|| form("other")).unwrap_or("{count}");
        template.replace("{count}", &format_number(self.tag, count))
    }
}

/// The CLDR plural categories, as the suffixes of a plural string's forms (`unread_count_few`).
const PLURAL_CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// The string a plural form belongs to (`unread_count` for `unread_count_few`), if `key` is one.
fn plural_base(key: &str) -> Option<&str> {
    let (base, category) = key.rsplit_once('_')?;
    PLURAL_CATEGORIES.contains(&category).then_some(base)
}

/// The CLDR plural category of `count` in `tag`.
#[cfg(target_arch = "wasm32")]
fn plural_category(tag: &str, count: u64) -> String {
    let locales = js_sys::Array::of1(&tag.into());
    let rules = js_sys::Intl::PluralRules::new(&locales, &js_sys::Object::new());
    rules.select(count as f64).into()
}

/// The CLDR plural category of `count` in `tag` (English's rule off the browser, for tests).
#[cfg(not(target_arch = "wasm32"))]
fn plural_category(_tag: &str, count: u64) -> String {
    if count == 1 { "one" } else { "other" }.to_owned()
}

/// `count` in the digits of `tag`.
#[cfg(target_arch = "wasm32")]
fn format_number(tag: &str, count: u64) -> String {
    let locales = js_sys::Array::of1(&tag.into());
    let format = js_sys::Intl::NumberFormat::new(&locales, &js_sys::Object::new());
    format.format().call1(&format, &(count as f64).into()).ok().and_then(|v| v.as_string()).unwrap_or_else(|| count.to_string())
}

/// `count` in Western digits (off the browser, for tests).
#[cfg(not(target_arch = "wasm32"))]
fn format_number(_tag: &str, count: u64) -> String {
    count.to_string()
}

/// The entries of a catalog file or of a variant's texts for one language: string values only.
pub fn entries(json: &serde_json::Value) -> Vec<(String, String)> {
    json.as_object().map_or_else(Vec::new, |map| map.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
}

/// `template` with `{name}` replaced.
pub fn fill(template: &str, name: &str) -> String {
    template.replace("{name}", name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn languages_fall_back_by_subtag_then_to_english() {
        assert_eq!(language_of(Some("de-AT")), "de");
        assert_eq!(language_of(Some("AR-EG")), "ar");
        assert_eq!(language_of(Some("zh_Hans_CN")), "zh");
        assert!(is_rtl("ar") && is_rtl("he") && !is_rtl("ja"));
        assert_eq!(language_of(Some("xx")), "en");
        assert_eq!(language_of(None), "en");
    }

    #[test]
    fn later_layers_win_and_missing_strings_stay_english() {
        let file = pairs(&[("send", "Senden"), ("title", "Chat"), ("nonsense", "x")]);
        let variant = pairs(&[("title", "Hilfe")]);
        let catalog = Catalog::build("de-AT", &[&file, &variant]);
        assert_eq!((catalog.send, catalog.title, catalog.retry), ("Senden", "Hilfe", "Retry"));
        assert_eq!(catalog.tag, "de-AT");
        assert!(!catalog.rtl && Catalog::build("he", &[]).rtl);
    }

    #[test]
    fn plurals_pick_the_category_and_fall_back_to_other() {
        assert_eq!(ENGLISH.plural("unread_count", 1), "1 unread message");
        assert_eq!(ENGLISH.plural("unread_count", 3), "3 unread messages");
        let japanese = Catalog::build("ja", &[&pairs(&[("unread_count_other", "未読 {count} 件")])]);
        assert_eq!(japanese.plural("unread_count", 1), "未読 1 件");
        let file = pairs(&[("unread_count_one", "{count} ungelesene Nachricht"), ("unread_count_other", "{count} ungelesene Nachrichten")]);
        let german = Catalog::build("de", &[&file, &pairs(&[("unread_typo", "x")])]);
        assert_eq!((german.plural("unread_count", 1), german.plural("unread_count", 2)), ("1 ungelesene Nachricht".into(), "2 ungelesene Nachrichten".into()));
        assert!(german.plurals.iter().all(|(k, _)| *k != "unread_typo"), "a key that is no plural form is ignored");
        assert_eq!(german.plural("refused_files", 2), "These 2 files cannot be sent here: {name}", "a string the file lacks stays English");
    }

    /// Every catalog file has every English key, and placeholders survive translation.
    #[test]
    fn catalog_files_are_complete() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/locales");
        let english: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(format!("{dir}/en.json")).unwrap()).unwrap();
        for language in LANGUAGES {
            let text = std::fs::read_to_string(format!("{dir}/{language}.json")).unwrap_or_else(|e| panic!("{language}.json: {e}"));
            let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{language}.json: {e}"));
            let mut catalog = ENGLISH;
            for (key, value) in english.as_object().unwrap() {
                // A plural string needs its `other` form in every language; its other forms vary.
                if let Some(base) = plural_base(key) {
                    assert!(json.get(format!("{base}_other")).is_some(), "{language}.json lacks {base}_other");
                    continue;
                }
                let translated = json.get(key).and_then(|v| v.as_str()).unwrap_or_else(|| panic!("{language}.json lacks {key}"));
                for placeholder in ["{name}", "{count}"] {
                    assert_eq!(value.as_str().unwrap().contains(placeholder), translated.contains(placeholder), "{language}.json {key}: {placeholder}");
                }
                assert!(catalog.set(key, "x"), "en.json has {key}, which the catalog lacks");
            }
        }
    }
}
