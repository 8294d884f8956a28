//! The open conversation's messages: a `role="log"` list (new messages are announced politely), day
//! separators, own and others' messages told apart, sender names in groups, send state marks, edited and
//! deleted messages, action messages, the "New messages" line, and the typing line. Older pages load when
//! the visitor scrolls to the top; the view stays at the bottom while the visitor is there, and a "Jump to
//! newest" button (with the count of messages that came meanwhile) shows while they read above it.

use confab_protocol::rest::messages::{Category, Message, ReceiverType};
use wasm_bindgen::JsCast;
use leptos::prelude::*;
use crate::components::reactive::effect;
use wasm_bindgen::JsValue;

use super::attachments::{append_attachments, open_viewer, refresh_expired, upload_progress};
use super::dom::{append, append_text, clicked, el, on, on_capture, set_attr, show_count, text_el, KeyedRows};
use super::message_menu::{actions_button, has_actions, menu};
use super::quote::quote_block;
use super::reactions::update_reactions;
use super::thread::update_replies;
use super::rich_text::{append_rich_text, link};
use crate::chat::{Chat, History, Item, SendState};
use crate::i18n::fill;

/// A row of the log.
#[derive(Debug, Clone, PartialEq)]
enum Row {
    /// The start of a day.
    Day(String),
    /// The line before the first message the visitor had not read.
    New,
    /// A message.
    Message(Item),
}

fn date_of(seconds: i64) -> js_sys::Date {
    js_sys::Date::new(&JsValue::from_f64(seconds as f64 * 1000.0))
}

fn day_key(date: &js_sys::Date) -> (u32, u32, u32) {
    (date.get_full_year(), date.get_month(), date.get_date())
}

/// "Today", "Yesterday", or the local date.
fn day_label(chat: &Chat, seconds: i64) -> String {
    let date = date_of(seconds);
    let today = js_sys::Date::new_0();
    let yesterday = js_sys::Date::new(&JsValue::from_f64(today.get_time() - 86_400_000.0));
    if day_key(&date) == day_key(&today) {
        chat.text.today.to_owned()
    } else if day_key(&date) == day_key(&yesterday) {
        chat.text.yesterday.to_owned()
    } else {
        date.to_locale_date_string(chat.text.tag, &JsValue::UNDEFINED).into()
    }
}

/// The local time of day, as the visitor's language writes it (`14:05`, `2:05 PM`, `١٤:٠٥`).
fn time_label(chat: &Chat, seconds: i64) -> String {
    let options = js_sys::Object::new();
    for (key, value) in [("hour", "numeric"), ("minute", "2-digit")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    date_of(seconds).to_locale_time_string_with_options(chat.text.tag, &options).into()
}

/// The sentence for an action message ("Ann joined").
pub fn action_text(chat: &Chat, message: &Message) -> String {
    let entities = message.data.entities.as_ref();
    let on = entities.and_then(|e| e.pointer("/on/uid")).and_then(|v| v.as_str()).unwrap_or_default();
    let name = chat.names.with_untracked(|n| n.get(on).cloned()).unwrap_or_else(|| on.to_owned());
    let t = chat.text;
    let template = match message.data.action.as_deref() {
        Some("joined") => t.joined,
        Some("left") => t.left,
        Some("added") => t.added,
        Some("kicked") => t.kicked,
        Some("banned") => t.banned,
        Some("unbanned") => t.unbanned,
        Some("scopeChanged") => t.scope_changed,
        Some("edited") => return t.edited.to_owned(),
        Some("deleted") => return t.deleted.to_owned(),
        _ => return String::new(),
    };
    fill(template, &name)
}

fn rows(items: &[Item], chat: &Chat) -> Vec<Row> {
    let first_unread = chat.first_unread.get_value();
    let mut rows = Vec::with_capacity(items.len() + 4);
    let mut last_day = None;
    for item in items {
        // Edits and deletes show on the message itself.
        if item.message.category == Category::Action && item.message.message_type == "message" {
            continue;
        }
        let day = day_key(&date_of(item.message.sent_at));
        if last_day != Some(day) {
            last_day = Some(day);
            rows.push(Row::Day(day_label(chat, item.message.sent_at)));
        }
        if first_unread > 0 && item.id() == first_unread {
            rows.push(Row::New);
        }
        rows.push(Row::Message(item.clone()));
    }
    rows
}

fn row_key(row: &Row) -> String {
    match row {
        Row::Day(label) => format!("day:{label}"),
        Row::New => "new".to_owned(),
        // The send state is not part of it: a row changes it in place (see `MessageLog`), so the log does
        // not announce the message again when it is stored, read or retried. A file the visitor sent is
        // shown again once stored: the server's URLs replace the local preview.
        Row::Message(item) => format!("{}:{}:{}:{}", item.key, item.message.updated_at.unwrap_or(0), item.message.deleted_at.is_some(), item.is_outgoing_file()),
    }
}

/// The send state of an own stored or pending message: its label and class.
fn mark(chat: &Chat, item: &Item) -> (String, &'static str) {
    let t = chat.text;
    match &item.state {
        SendState::Pending | SendState::Uploading => (t.sending.to_owned(), "pending"),
        SendState::Failed(why) => (format!("{}: {why}", t.not_sent), "failed"),
        SendState::Stored if !chat.features.receipts => (t.sent.to_owned(), "sent"),
        SendState::Stored => {
            let id = item.id();
            let (read, delivered) = chat.read_marks.with_untracked(|m| m.get(&item.message.conversation_id).copied().unwrap_or((0, 0)));
            if read >= id {
                (t.read.to_owned(), "read")
            } else if delivered >= id {
                (t.delivered.to_owned(), "delivered")
            } else {
                (t.sent.to_owned(), "sent")
            }
        }
    }
}

/// Makes `parent` hold the element `selector` finds exactly when `wanted`, built by `build`.
fn keep(parent: &web_sys::Element, selector: &str, wanted: bool, build: impl FnOnce() -> web_sys::Element) {
    match (parent.query_selector(selector).ok().flatten(), wanted) {
        (None, true) => append(parent, &build()),
        (Some(old), false) => old.remove(),
        _ => {}
    }
}

/// A text button of a row that carries `data-<action>` = the row's key for the log's click handler.
fn row_button(label: &str, action: &str, key: &str) -> web_sys::Element {
    let button = text_el("button", &format!("link-button {action}"), label);
    let _ = button.set_attribute("type", "button");
    let _ = button.set_attribute(&format!("data-{action}"), key);
    button
}

/// Brings a message's row up to `item`: its actions button, its reactions, and (the visitor's own) its
/// send state.
fn update_row(chat: Chat, row: &web_sys::Element, item: &Item) {
    keep(row, ".actions", has_actions(&chat, item), || actions_button(&chat, &item.key));
    update_reactions(chat, row, item);
    update_replies(chat, row, item);
    if item.message.sender == chat.me.with_untracked(|m| m.uid.clone()) {
        update_state(chat, row, item);
    }
}

/// Brings an own message's row up to its send state: the mark; Retry while it failed (and Remove, for a
/// file); the progress bar and Cancel while its file uploads.
fn update_state(chat: Chat, row: &web_sys::Element, item: &Item) {
    let Some(span) = row.query_selector(".mark").ok().flatten() else { return };
    let (label, class) = mark(&chat, item);
    if span.text_content().as_deref() != Some(label.as_str()) {
        span.set_text_content(Some(&label));
        span.set_class_name(&format!("mark {class}"));
    }
    let failed = matches!(item.state, SendState::Failed(_));
    if let Some(meta) = span.parent_element() {
        keep(&meta, ".retry", failed, || row_button(chat.text.retry, "retry", &item.key));
        keep(&meta, ".discard", failed && item.is_outgoing_file(), || row_button(chat.text.remove, "discard", &item.key));
    }
    keep(row, ".upload", item.state == SendState::Uploading, || upload_progress(&chat, item));
}

/// The row of a day separator, an action message or a message.
fn build_row(chat: Chat, row: &Row) -> web_sys::Element {
    match row {
        Row::Day(label) => text_el("li", "day", label),
        Row::New => text_el("li", "new-divider", chat.text.new_messages),
        Row::Message(item) if item.message.category == Category::Action => text_el("li", "action", &action_text(&chat, &item.message)),
        Row::Message(item) => build_message(chat, item),
    }
}

/// One message: sender (in groups) or a spoken "You:" / "Name:", the bubble, the time, and for the
/// visitor's own messages the send state (and a retry button when it failed).
fn build_message(chat: Chat, item: &Item) -> web_sys::Element {
    let t = chat.text;
    let message = &item.message;
    let mine = message.sender == chat.me.get_untracked().uid;
    let known = chat.names.with_untracked(|n| n.get(&message.sender).cloned());
    let sender = known.clone().unwrap_or_else(|| message.sender.clone());
    let row = el("li", if mine { "message own" } else { "message other" });
    let _ = row.set_attribute("data-id", &message.id);
    if message.receiver_type == ReceiverType::Group && !mine {
        let name = text_el("span", "sender", &sender);
        if known.is_none() {
            // Shown as the uid until the name is learned (see `message_log`).
            let _ = name.set_attribute("data-uid", &message.sender);
        }
        append(&row, &name);
    } else {
        append(&row, &text_el("span", "sr-only", &format!("{}: ", if mine { t.you } else { &sender })));
    }
    let bubble = el("div", "bubble");
    let deleted = message.deleted_at.is_some();
    if let Some(quoted) = message.quoted_message.as_deref().filter(|_| !deleted) {
        append(&bubble, &quote_block(chat, quoted));
    }
    let files = !deleted && append_attachments(&chat, &bubble, item);
    if files {
        let _ = bubble.class_list().add_1("media");
    }
    match (&message.data.text, deleted) {
        (_, true) => append(&bubble, &text_el("span", "deleted", t.deleted)),
        (Some(text), false) => {
            // A caption goes under the files, as its own paragraph.
            let text_box = if files { el("p", "caption") } else { bubble.clone() };
            append_rich_text(&text_box, text, |uid| mentioned_name(&chat, message, uid));
            if files {
                append(&bubble, &text_box);
            }
        }
        (None, false) if files => {}
        (None, false) => match message.data.attachments.as_ref().and_then(|a| a.first()) {
            Some(file) if file.url.starts_with("https://") || file.url.starts_with("http://") => {
                append(&bubble, &link(&file.url, file.name.as_deref().unwrap_or(&file.url)));
                if let (Some(_), Some(host)) = (&file.name, url_host(&file.url)) {
                    append_text(&bubble, " ");
                    append(&bubble, &text_el("span", "attachment-host", &format!("({host})")));
                }
            }
            _ => append_text(&bubble, &format!("[{}]", message.message_type)),
        },
    }
    append(&row, &bubble);
    let meta = el("span", "meta");
    append(&meta, &text_el("time", "", &time_label(&chat, message.sent_at)));
    if message.edited_at.is_some() && !deleted {
        append(&meta, &text_el("span", "edited", t.edited));
    }
    if mine {
        append(&meta, &el("span", "mark"));
    }
    append(&row, &meta);
    update_row(chat, &row, item);
    row
}

/// A user `message` mentions: their name as the message recorded it (else as the panel knows it), and
/// whether it is the visitor.
fn mentioned_name(chat: &Chat, message: &Message, uid: &str) -> (String, bool) {
    let recorded = message.mentioned_users.iter().find(|m| m.uid == uid).map(|m| m.name.clone()).filter(|n| !n.is_empty());
    let (me, my_name) = chat.me.with_untracked(|m| (m.uid == uid, m.name.clone()));
    let known = || if me { my_name } else { chat.name_of(uid) };
    (recorded.unwrap_or_else(known), me)
}

/// The host an `http(s)://` URL leads to, ASCII lower-cased, without user info or port: shown beside an
/// attachment's name, which the sender chose freely. Read as browsers do: tabs and line breaks are left
/// out, extra slashes after the scheme skipped, and a backslash ends the host as a slash does.
fn url_host(url: &str) -> Option<String> {
    let url: String = url.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?.trim_start_matches(['/', '\\']);
    let authority = rest.split(['/', '\\', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => &host_port[..v6.find(']')? + 2],
        None => host_port.split(':').next().unwrap_or_default(),
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Rows kept in the page at most: a long conversation (thousands of messages loaded while scrolling up)
/// shows a window of it, moved as the visitor scrolls, so the page stays as light as a short one.
pub const MAX_ROWS: usize = 150;
/// Messages shown when the view sits at the newest one.
const LIVE_ROWS: usize = 60;
/// Messages added to (or taken from) the window at a time.
const STEP: usize = 30;

/// Which of the loaded messages are in the page: from `top` (`None`: the newest [`LIVE_ROWS`]) to `bottom`
/// (`None`: the newest), by key, so that pages loaded above do not move it.
#[derive(Debug, Clone, Default, PartialEq)]
struct Window {
    top: Option<String>,
    bottom: Option<String>,
}

impl Window {
    /// The index range of `items` in the window.
    fn range(&self, items: &[Item]) -> std::ops::Range<usize> {
        let at = |key: &Option<String>| key.as_ref().and_then(|k| items.iter().position(|i| &i.key == k));
        let end = at(&self.bottom).map_or(items.len(), |i| i + 1);
        let start = at(&self.top).unwrap_or_else(|| end.saturating_sub(LIVE_ROWS)).min(end).max(end.saturating_sub(MAX_ROWS));
        start..end
    }

    /// Shows up to [`STEP`] more messages above, dropping as many at the bottom beyond [`MAX_ROWS`];
    /// false when the oldest loaded message is already shown.
    fn reveal_above(&mut self, items: &[Item]) -> bool {
        let range = self.range(items);
        if range.start == 0 {
            return false;
        }
        let start = range.start.saturating_sub(STEP);
        self.top = Some(items[start].key.clone());
        if range.end - start > MAX_ROWS {
            self.bottom = Some(items[start + MAX_ROWS - 1].key.clone());
        }
        true
    }

    /// Shows up to [`STEP`] more messages below, dropping as many at the top beyond [`MAX_ROWS`]; false
    /// when the newest is already shown.
    fn reveal_below(&mut self, items: &[Item]) -> bool {
        let range = self.range(items);
        if range.end >= items.len() {
            return false;
        }
        let end = (range.end + STEP).min(items.len());
        self.bottom = (end < items.len()).then(|| items[end - 1].key.clone());
        if end - range.start > MAX_ROWS {
            self.top = Some(items[end - MAX_ROWS].key.clone());
        }
        true
    }
}

/// The first row in view of `scroller` and its distance from the top of the view, to hold it in place
/// while rows are added or taken above it.
fn anchor_of(scroller: &web_sys::HtmlDivElement) -> Option<(web_sys::HtmlElement, i32)> {
    use wasm_bindgen::JsCast;
    let rows = scroller.query_selector_all(".log > li:not(.day)").ok()?;
    let top = scroller.scroll_top();
    (0..rows.length()).filter_map(|i| rows.item(i)?.dyn_into::<web_sys::HtmlElement>().ok()).find_map(|row| {
        let offset = row.offset_top() - scroller.offset_top();
        (offset + row.offset_height() > top).then_some((row, offset - top))
    })
}

/// Brings message `id` into view (into the window of shown rows first, if it is loaded but not shown) and
/// gives it the focus a moment, so that the visitor sees which it is; one not loaded is said so.
fn show_quoted(chat: Chat, window: RwSignal<Window>, id: &str) {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    // The window around it, when it is loaded but not shown.
    let found = chat.messages.with_untracked(|items| {
        let at = items.iter().position(|i| i.message.id == id)?;
        let shown = window.with_untracked(|w| w.range(items)).contains(&at);
        let last = (at + STEP).min(items.len() - 1);
        Some((!shown).then(|| Window { top: Some(items[at].key.clone()), bottom: (last + 1 < items.len()).then(|| items[last].key.clone()) }))
    });
    let Some(moved) = found else {
        super::attach::notify(Some(chat.text.quoted_not_loaded));
        return;
    };
    if let Some(moved) = moved {
        window.set(moved);
    }
    let id = id.to_owned();
    // After the log has shown the window (and scrolled as it does).
    request_animation_frame(move || request_animation_frame(move || {
        let Ok(Some(row)) = document().query_selector(&format!(".log [data-id=\"{id}\"]")) else { return };
        let row: web_sys::HtmlElement = row.unchecked_into();
        row.scroll_into_view_with_bool(false);
        let _ = row.set_attribute("tabindex", "-1");
        let _ = row.class_list().add_1("flash");
        let _ = row.focus();
        set_timeout(move || drop(row.class_list().remove_1("flash")), std::time::Duration::from_millis(1600));
    }));
}

/// Distance from the bottom of the log within which the view counts as at the newest message.
const NEAR_BOTTOM: i32 = 80;
/// Distance from the top of the log within which older messages are shown (and loaded).
const NEAR_TOP: i32 = 40;

/// The log of the open conversation (with its Jump to newest button), and the typing line under it.
pub fn message_log(chat: Chat) -> (web_sys::Element, web_sys::Element) {
    let t = chat.text;
    let scroller: web_sys::HtmlDivElement = el("div", "log-scroller").unchecked_into();
    let loading = text_el("p", "loading", t.loading);
    // Before the conversation's first message: the variant's welcome (or the catalog's).
    let welcome = text_el("p", "welcome", t.welcome);
    let list = el("ol", "log");
    // Focusable, so that the keyboard scrolls it too (a log of plain text has nothing else to focus).
    for (name, value) in [("role", "log"), ("aria-live", "polite"), ("aria-relevant", "additions"), ("tabindex", "0")] {
        let _ = scroller.set_attribute(name, value);
    }
    append(&scroller, &loading);
    append(&scroller, &welcome);
    append(&scroller, &list);
    let typing_line = el("p", "typing");
    let _ = typing_line.set_attribute("aria-live", "off");
    // Whether the view sits at the bottom (then new messages keep it there).
    let stick = StoredValue::new(true);
    // The row to hold in place when rows change above it, with its distance from the top of the view.
    let anchor = StoredValue::new_local(None::<(web_sys::HtmlElement, i32)>);
    let window = RwSignal::new(Window::default());
    // Older messages were asked for: show them when they come.
    let wants_older = StoredValue::new(false);
    // The conversation just opened: its New messages line is brought into view once it shows.
    let reveal = StoredValue::new(true);
    // Whether the visitor reads above the newest message (Jump to newest shows), and the newest message id
    // when they left it (what came after is counted on the button).
    let away = RwSignal::new(false);
    let left_at = StoredValue::new(0u64);

    let mut previous_first: Option<Option<String>> = None;
    effect(move || {
        // (In a thread, the first reply: the parent stays first.)
        let thread = chat.thread.with_untracked(|t| t.as_ref().map(|m| m.id.clone()));
        let first = chat.messages.with(|items| items.iter().find(|i| Some(&i.message.id) != thread.as_ref()).map(|i| i.key.clone()));
        if wants_older.get_value() && previous_first.as_ref().is_some_and(|p| *p != first) {
            wants_older.set_value(false);
            window.update(|w| {
                chat.messages.with_untracked(|items| w.reveal_above(items));
            });
        }
        previous_first = Some(first);
    });
    // A message the visitor sends while reading older ones brings the view back to the newest.
    effect(move || {
        let me = chat.me.with_untracked(|m| m.uid.clone());
        let sent = chat.messages.with(|items| items.last().is_some_and(|i| i.state == SendState::Pending && i.message.sender == me));
        if sent && window.with_untracked(|w| *w != Window::default()) {
            stick.set_value(true);
            window.set(Window::default());
        }
    });
    let el = scroller.clone();
    effect(move || {
        chat.messages.track();
        window.track();
        let el = el.clone();
        request_animation_frame(move || {
            let line = reveal.get_value().then(|| el.query_selector(".new-divider").ok().flatten()).flatten();
            if let Some((row, offset)) = anchor.get_value() {
                anchor.set_value(None);
                el.set_scroll_top(row.offset_top() - el.offset_top() - offset);
            } else if let Some(line) = line {
                // The line near the top of the view (the newest at the bottom when all after it fits), out
                // of the top zone, where older messages would load before the visitor asked for them.
                let top = line.unchecked_into::<web_sys::HtmlElement>().offset_top() - el.offset_top() - 8;
                // (The scroll it makes tells whether the view is at the newest.)
                el.set_scroll_top(if chat.history.get_untracked() == History::More { top.max(NEAR_TOP) } else { top });
                reveal.set_value(false);
            } else if stick.get_value() {
                el.set_scroll_top(el.scroll_height());
            }
            if chat.history.get_untracked() != History::Loading {
                reveal.set_value(false);
            }
        });
    });
    // A conversation or a thread opens (or a thread closes): the view starts over at the newest.
    effect(move || {
        chat.active.track();
        chat.thread.track();
        stick.set_value(true);
        reveal.set_value(true);
        away.set(false);
        wants_older.set_value(false);
        window.set(Window::default());
    });

    let el = scroller.clone();
    let on_scroll = move |_: web_sys::Event| {
        let from_bottom = el.scroll_height() - el.scroll_top() - el.client_height();
        let live = window.with_untracked(|w| w.bottom.is_none());
        stick.set_value(from_bottom < NEAR_BOTTOM && live);
        if away.get_untracked() == stick.get_value() {
            // Left the newest (what comes now is counted), or back at it.
            left_at.set_value(chat.messages.with_untracked(|items| items.iter().map(Item::id).max().unwrap_or(0)));
            away.set(!stick.get_value());
        }
        let pinned = window.with_untracked(|w| w.top.is_some());
        if live && from_bottom < NEAR_BOTTOM && pinned {
            // Back at the newest: the window shrinks to the newest messages again.
            anchor.set_value(anchor_of(&el));
            window.update(|w| w.top = None);
            return;
        } else if !stick.get_value() && !pinned {
            // Reading above the newest: new messages must not push rows out above the view.
            let first = chat.messages.with_untracked(|items| window.with_untracked(|w| items.get(w.range(items).start).map(|i| i.key.clone())));
            window.update(|w| w.top = first);
        }
        // The row in view is held in place only when rows come or go above it.
        let held = anchor_of(&el);
        let moved = |reveal: fn(&mut Window, &[Item]) -> bool| {
            let mut next = window.get_untracked();
            if chat.messages.with_untracked(|items| reveal(&mut next, items)) {
                anchor.set_value(held.clone());
                window.set(next);
                return true;
            }
            false
        };
        if el.scroll_top() < NEAR_TOP {
            if !moved(Window::reveal_above) && chat.history.get_untracked() == History::More {
                anchor.set_value(held.clone());
                wants_older.set_value(true);
                chat.load_older();
            }
        } else if from_bottom < 40 {
            moved(Window::reveal_below);
        }
    };

    // The rows, kept by key; marks (sent, delivered, read) change in place so the log does not announce
    // a message again when it is read.
    let kept = StoredValue::new_local(KeyedRows::default());
    let rows_list = list.clone();
    effect(move || {
        let shown = chat.messages.with(|items| rows(&items[window.with(|w| w.range(items))], &chat));
        chat.read_marks.track();
        let list = &rows_list;
        let keys: Vec<String> = shown.iter().map(row_key).collect();
        kept.update_value(|kept| {
            kept.patch(list, keys.iter().map(String::as_str), |i| build_row(chat, &shown[i]));
            for (row, key) in shown.iter().zip(&keys) {
                let Row::Message(item) = row else { continue };
                if let Some(row) = kept.get(key) {
                    update_row(chat, row, item);
                }
            }
        });
    });
    on(&list, "click", move |event: web_sys::MouseEvent| {
        if let Some(key) = clicked(&event, "data-retry") {
            chat.retry(&key);
        } else if let Some(key) = clicked(&event, "data-discard") {
            chat.discard(&key);
            // The row and its button are gone: the message box takes the focus.
            super::composer::focus_message_box();
        } else if let Some(view) = clicked(&event, "data-view") {
            open_viewer(chat, view);
        } else if let (Some(id), Some(reaction)) = (clicked(&event, "data-react"), clicked(&event, "data-reaction")) {
            chat.react(&id, &reaction);
        } else if let Some(id) = clicked(&event, "data-thread") {
            if let Some(parent) = chat.messages.with_untracked(|list| list.iter().find(|i| i.message.id == id).map(|i| i.message.clone())) {
                chat.open_thread(parent);
            }
        } else if let Some(id) = clicked(&event, "data-quote") {
            show_quoted(chat, window, &id);
        }
    });
    menu(chat, &list);
    // A message asked for elsewhere (a search result, see `Chat::reveal`) comes into view once it is loaded.
    effect(move || {
        let Some(id) = chat.reveal.get() else { return };
        if chat.messages.with(|items| items.iter().any(|i| i.message.id == id)) {
            chat.reveal.set(None);
            show_quoted(chat, window, &id);
        }
    });
    // Pictures and players report failing to load (an expired URL) and loading (a picture without a
    // known size grows its row: the view stays at the newest) only to themselves: the log listens as the
    // events pass down to them.
    on_capture(&list, "error", move |event: web_sys::Event| refresh_expired(chat, event));
    let el = scroller.clone();
    on_capture(&list, "load", move |_: web_sys::Event| {
        if stick.get_value() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    on(&scroller, "scroll", on_scroll);
    {
        let scroller = scroller.clone();
        effect(move || {
            let _ = scroller.set_attribute("aria-label", &chat.active.with(|a| a.as_ref().map(|p| p.name.clone())).unwrap_or_default());
            let loaded = chat.history.get() != History::Loading;
            set_attr(&loading, "hidden", loaded.then_some(""));
            set_attr(&welcome, "hidden", (!loaded || chat.messages.with(|m| !m.is_empty())).then_some(""));
        });
    }

    let typing = move || {
        let active = chat.active.get()?.conversation_id;
        let names: Vec<String> = chat.typists.with(|list| {
            list.iter()
                .filter(|t| t.conversation_id == active)
                .map(|t| chat.names.with_untracked(|n| n.get(&t.uid).cloned()).unwrap_or_else(|| t.uid.clone()))
                .collect()
        });
        (!names.is_empty()).then(|| fill(t.typing, &names.join(", ")))
    };

    let line = typing_line.clone();
    effect(move || line.set_text_content(typing().as_deref()));

    // Jump to newest, with the count of messages from others that came since the visitor left the newest.
    let jump = super::dom::button("jump", t.jump_to_newest);
    let _ = jump.set_attribute("hidden", "");
    let arrow = text_el("span", "", "↓");
    let _ = arrow.set_attribute("aria-hidden", "true");
    let badge = super::dom::el("span", "jump-count");
    // (Spaces between the parts: the visible text is then a part of the button's name.)
    for part in [&arrow, &text_el("span", "", t.jump_to_newest), &badge] {
        append(&jump, part);
        append_text(&jump, " ");
    }
    let me = chat.me.with_untracked(|m| m.uid.clone());
    let button = jump.clone();
    effect(move || {
        let shown = away.get();
        set_attr(&button, "hidden", (!shown).then_some(""));
        let since = left_at.get_value();
        let came = |items: &Vec<Item>| {
            items.iter().filter(|i| i.id() > since && i.message.sender != me && i.message.category != Category::Action).count() as u64
        };
        show_count(&button, &badge, t.jump_to_newest, t, "new_count", if shown { chat.messages.with(came) } else { 0 });
    });
    on(&jump, "click", move |_: web_sys::Event| {
        // Back to following the newest (the scroll there hides the button).
        stick.set_value(true);
        window.set(Window::default());
        // The button goes: the message box takes the focus.
        super::composer::focus_message_box();
    });
    let wrap = super::dom::el("div", "log-wrap");
    append(&wrap, &scroller);
    append(&wrap, &jump);
    // A group's member names load beside its live messages: a row shown before its sender's name was known
    // gets the name when it comes.
    effect(move || {
        chat.names.with(|names| {
            let Ok(waiting) = list.query_selector_all(".sender[data-uid]") else { return };
            for i in 0..waiting.length() {
                let Some(span) = waiting.item(i).and_then(|node| node.dyn_into::<web_sys::Element>().ok()) else { continue };
                if let Some(name) = span.get_attribute("data-uid").and_then(|uid| names.get(&uid).cloned()) {
                    span.set_text_content(Some(&name));
                    let _ = span.remove_attribute("data-uid");
                }
            }
        });
    });
    (wrap, typing_line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::SendState;
    use confab_protocol::rest::messages::{MessageData, ReceiverType};

    fn items(n: usize) -> Vec<Item> {
        (0..n)
            .map(|i| Item {
                key: format!("id:{i}"),
                state: SendState::Stored,
                message: Message {
                    id: i.to_string(),
                    muid: None,
                    conversation_id: "a_b".into(),
                    sender: "a".into(),
                    receiver: "b".into(),
                    receiver_type: ReceiverType::User,
                    category: Category::Message,
                    message_type: "text".into(),
                    data: MessageData::default(),
                    tags: Vec::new(),
                    sent_at: 0,
                    ..Message::default()
                },
            })
            .collect()
    }

    #[test]
    fn the_window_follows_the_newest_and_stays_bounded_while_scrolling() {
        let all = items(1000);
        let mut window = Window::default();
        assert_eq!(window.range(&all), 940..1000);
        while window.reveal_above(&all) {
            assert!(window.range(&all).len() <= MAX_ROWS);
        }
        assert_eq!(window.range(&all).start, 0, "the oldest can be reached");
        while window.reveal_below(&all) {
            assert!(window.range(&all).len() <= MAX_ROWS);
        }
        assert_eq!(window.range(&all).end, 1000, "and the newest again");
        assert_eq!(window.bottom, None, "back to following the newest");
    }

    #[test]
    fn attachment_hosts_are_found_by_hand() {
        assert_eq!(url_host("https://Files.Example.COM/report.pdf").as_deref(), Some("files.example.com"));
        assert_eq!(url_host("http://files.example.com:8443/a?b#c").as_deref(), Some("files.example.com"));
        assert_eq!(url_host("https://cdn.example.com?x=1").as_deref(), Some("cdn.example.com"));
        assert_eq!(url_host("https://good.example%2F@evil.example/x").as_deref(), Some("evil.example"));
        assert_eq!(url_host("https://user:pw@evil.example:80/").as_deref(), Some("evil.example"));
        assert_eq!(url_host("https://evil.example\\@good.example/").as_deref(), Some("evil.example"));
        assert_eq!(url_host("https://ev\til.exa\nmple/").as_deref(), Some("evil.example"));
        assert_eq!(url_host("http://[2001:DB8::1]:8080/f").as_deref(), Some("[2001:db8::1]"));
        assert_eq!(url_host("https:///evil.example/x").as_deref(), Some("evil.example"));
        assert_eq!(url_host("https:///"), None);
        assert_eq!(url_host("http://[::1/"), None);
        assert_eq!(url_host("ftp://example.com/"), None);
    }

    #[test]
    fn pages_loaded_above_do_not_move_the_window() {
        let all = items(100);
        let mut window = Window::default();
        window.reveal_above(&all);
        let shown: Vec<String> = all[window.range(&all)].iter().map(|i| i.key.clone()).collect();
        let mut more = items(130);
        more.rotate_left(100);
        let shown_after: Vec<String> = more[window.range(&more)].iter().map(|i| i.key.clone()).collect();
        assert_eq!(shown, shown_after);
    }
}
