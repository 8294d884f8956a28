//! Every string the panel shows, per language. `language` in the config picks a catalog by its language
//! subtag (`de-AT` → German); anything unknown falls back to `en-US`. Right-to-left languages set the
//! panel's direction.

/// The panel's strings in one language.
#[derive(Debug)]
pub struct Catalog {
    /// BCP 47 tag.
    pub tag: &'static str,
    /// Written right to left.
    pub rtl: bool,
    /// The "chat" string.
    pub chat: &'static str,
    /// The "conversations" string.
    pub conversations: &'static str,
    /// The "new_conversation" string.
    pub new_conversation: &'static str,
    /// The "back" string.
    pub back: &'static str,
    /// The "close_chat" string.
    pub close_chat: &'static str,
    /// The "message" string.
    pub message: &'static str,
    /// The "send" string.
    pub send: &'static str,
    /// The "placeholder" string.
    pub placeholder: &'static str,
    /// The "loading" string.
    pub loading: &'static str,
    /// The "signing_in" string.
    pub signing_in: &'static str,
    /// The "sign_in_failed" string.
    pub sign_in_failed: &'static str,
    /// The "no_conversations" string.
    pub no_conversations: &'static str,
    /// The "users" string.
    pub users: &'static str,
    /// The "groups" string.
    pub groups: &'static str,
    /// The "offline" string.
    pub offline: &'static str,
    /// The "back_online" string.
    pub back_online: &'static str,
    /// `{name}` is replaced.
    pub typing: &'static str,
    pub sending: &'static str,
    pub sent: &'static str,
    pub delivered: &'static str,
    pub read: &'static str,
    pub not_sent: &'static str,
    pub retry: &'static str,
    pub deleted: &'static str,
    pub edited: &'static str,
    pub today: &'static str,
    pub yesterday: &'static str,
    pub you: &'static str,
    pub online: &'static str,
    pub unread: &'static str,
    pub cannot_send: &'static str,
    /// Why a group's non-member cannot write.
    pub members_only: &'static str,
    /// Why the visitor cannot write to a user who blocked them (or whom they blocked).
    pub blocked: &'static str,
    /// `{name}` joined.
    pub joined: &'static str,
    pub left: &'static str,
    pub added: &'static str,
    pub kicked: &'static str,
    pub banned: &'static str,
    pub unbanned: &'static str,
    pub scope_changed: &'static str,
}

/// English (United States): the fallback.
pub const EN_US: Catalog = Catalog {
    tag: "en-US",
    rtl: false,
    chat: "Chat",
    conversations: "Conversations",
    new_conversation: "New conversation",
    back: "Back to conversations",
    close_chat: "Close chat",
    message: "Message",
    send: "Send",
    placeholder: "Write a message…",
    loading: "Loading…",
    signing_in: "Signing in…",
    sign_in_failed: "Could not sign in",
    no_conversations: "No conversations yet.",
    users: "People",
    groups: "Groups",
    offline: "Connection lost. Reconnecting…",
    back_online: "Connected again.",
    typing: "{name} is typing…",
    sending: "Sending",
    sent: "Sent",
    delivered: "Delivered",
    read: "Read",
    not_sent: "Not sent",
    retry: "Retry",
    deleted: "This message was deleted.",
    edited: "edited",
    today: "Today",
    yesterday: "Yesterday",
    you: "You",
    online: "online",
    unread: "unread",
    cannot_send: "You cannot send messages here",
    members_only: "Only members of this group can write here",
    blocked: "You cannot message this user",
    joined: "{name} joined",
    left: "{name} left",
    added: "{name} was added",
    kicked: "{name} was removed",
    banned: "{name} was banned",
    unbanned: "{name} was unbanned",
    scope_changed: "{name}'s role changed",
};

/// German.
pub const DE_DE: Catalog = Catalog {
    tag: "de-DE",
    rtl: false,
    chat: "Chat",
    conversations: "Unterhaltungen",
    new_conversation: "Neue Unterhaltung",
    back: "Zurück zu den Unterhaltungen",
    close_chat: "Chat schließen",
    message: "Nachricht",
    send: "Senden",
    placeholder: "Nachricht schreiben…",
    loading: "Wird geladen…",
    signing_in: "Anmeldung…",
    sign_in_failed: "Anmeldung fehlgeschlagen",
    no_conversations: "Noch keine Unterhaltungen.",
    users: "Personen",
    groups: "Gruppen",
    offline: "Verbindung unterbrochen. Neuer Versuch…",
    back_online: "Wieder verbunden.",
    typing: "{name} schreibt…",
    sending: "Wird gesendet",
    sent: "Gesendet",
    delivered: "Zugestellt",
    read: "Gelesen",
    not_sent: "Nicht gesendet",
    retry: "Erneut senden",
    deleted: "Diese Nachricht wurde gelöscht.",
    edited: "bearbeitet",
    today: "Heute",
    yesterday: "Gestern",
    you: "Du",
    online: "online",
    unread: "ungelesen",
    cannot_send: "Du kannst hier keine Nachrichten senden",
    members_only: "Nur Mitglieder dieser Gruppe können hier schreiben",
    blocked: "Du kannst diesem Nutzer nicht schreiben",
    joined: "{name} ist beigetreten",
    left: "{name} hat die Gruppe verlassen",
    added: "{name} wurde hinzugefügt",
    kicked: "{name} wurde entfernt",
    banned: "{name} wurde gesperrt",
    unbanned: "{name} wurde entsperrt",
    scope_changed: "Die Rolle von {name} wurde geändert",
};

/// Arabic (right to left).
pub const AR: Catalog = Catalog {
    tag: "ar",
    rtl: true,
    chat: "الدردشة",
    conversations: "المحادثات",
    new_conversation: "محادثة جديدة",
    back: "العودة إلى المحادثات",
    close_chat: "إغلاق الدردشة",
    message: "رسالة",
    send: "إرسال",
    placeholder: "اكتب رسالة…",
    loading: "جارٍ التحميل…",
    signing_in: "جارٍ تسجيل الدخول…",
    sign_in_failed: "تعذّر تسجيل الدخول",
    no_conversations: "لا توجد محادثات بعد.",
    users: "الأشخاص",
    groups: "المجموعات",
    offline: "انقطع الاتصال. جارٍ إعادة المحاولة…",
    back_online: "تمت إعادة الاتصال.",
    typing: "{name} يكتب…",
    sending: "جارٍ الإرسال",
    sent: "أُرسلت",
    delivered: "وصلت",
    read: "قُرئت",
    not_sent: "لم تُرسل",
    retry: "إعادة المحاولة",
    deleted: "حُذفت هذه الرسالة.",
    edited: "معدّلة",
    today: "اليوم",
    yesterday: "أمس",
    you: "أنت",
    online: "متصل",
    unread: "غير مقروءة",
    cannot_send: "لا يمكنك إرسال رسائل هنا",
    members_only: "يمكن لأعضاء هذه المجموعة فقط الكتابة هنا",
    blocked: "لا يمكنك مراسلة هذا المستخدم",
    joined: "انضم {name}",
    left: "غادر {name}",
    added: "أُضيف {name}",
    kicked: "أُزيل {name}",
    banned: "حُظر {name}",
    unbanned: "أُلغي حظر {name}",
    scope_changed: "تغيّر دور {name}",
};

/// Every catalog.
pub const CATALOGS: [&Catalog; 3] = [&EN_US, &DE_DE, &AR];

/// The catalog for `language` (a BCP 47 tag), by exact tag, then by language subtag, else `en-US`.
pub fn catalog(language: Option<&str>) -> &'static Catalog {
    let Some(wanted) = language.map(str::to_ascii_lowercase) else { return &EN_US };
    let primary = wanted.split(['-', '_']).next().unwrap_or_default().to_owned();
    CATALOGS
        .iter()
        .find(|c| c.tag.eq_ignore_ascii_case(&wanted))
        .or_else(|| CATALOGS.iter().find(|c| c.tag.split('-').next().is_some_and(|p| p.eq_ignore_ascii_case(&primary))))
        .copied()
        .unwrap_or(&EN_US)
}

/// `template` with `{name}` replaced.
pub fn fill(template: &str, name: &str) -> String {
    template.replace("{name}", name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_fall_back_by_subtag_then_to_english() {
        assert_eq!(catalog(Some("de-AT")).tag, "de-DE");
        assert_eq!(catalog(Some("AR-EG")).tag, "ar");
        assert!(catalog(Some("ar")).rtl);
        assert_eq!(catalog(Some("xx")).tag, "en-US");
        assert_eq!(catalog(None).tag, "en-US");
    }
}
