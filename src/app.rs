//! The root component: waits for the loader's config, checks it, signs in, and shows the panel or the
//! problem.

use confab_protocol::bridge::{ActiveChat, FrameMessage};
use confab_protocol::rest::messages::ReceiverType;
use confab_protocol::widget_config::{ConfigErrorCode, ConfigProblem, WidgetConfig};
use leptos::ev;
use leptos::prelude::*;
use crate::components::reactive::effect;

use crate::bridge::{console_error, HostBridge};
use crate::chat::{Chat, Peer};
use crate::components::dom::{replace_children, text_el};
use crate::components::panel::panel;
use crate::i18n::{entries, language_of, Catalog, ENGLISH};
use confab_protocol::panel_variant::PanelVariant;
use crate::net::http::{encode, Api};
use confab_protocol::rest::groups::Group;
use confab_protocol::rest::users::User;
use confab_protocol::rest::Data;
use crate::session;

/// Where the frame is in its start-up.
#[derive(Clone)]
enum Phase {
    /// Waiting for the loader's config.
    Waiting,
    /// Signing in with a good config.
    SigningIn,
    /// Running.
    Ready(Box<WidgetConfig>, Chat),
    /// Cannot go on.
    Failed(ConfigProblem),
}

/// The kind of a `chatType` value.
fn kind_of(chat_type: &str) -> Option<ReceiverType> {
    match chat_type {
        "user" => Some(ReceiverType::User),
        "group" => Some(ReceiverType::Group),
        _ => None,
    }
}

/// Opens the conversation with user or group `id`: from the list when it is there, else looked up.
fn open_by_id(chat: Chat, kind: ReceiverType, id: String) {
    let id = confab_protocol::ids::normalize_id(&id);
    let known = chat.conversations.with_untracked(|list| list.iter().find(|c| c.peer.kind == kind && c.peer.id == id).map(|c| c.peer.clone()));
    if let Some(peer) = known {
        return chat.open(peer);
    }
    leptos::task::spawn_local(async move {
        let (api, token) = chat.rest();
        let me = chat.me.get_untracked().uid;
        let path = match kind {
            ReceiverType::User => format!("/users/{}", encode(&id)),
            ReceiverType::Group => format!("/groups/{}", encode(&id)),
        };
        let peer = match kind {
            ReceiverType::User => api.get::<Data<User>>(&path, &token).await.map(|u| Peer::user(&me, &u.data)),
            ReceiverType::Group => api.get::<Data<Group>>(&path, &token).await.map(|g| Peer::group(&g.data)),
        };
        match peer {
            Ok(peer) => chat.open(peer),
            Err(e) => console_error(&format!("Confab: cannot open {id}: {}", e.message())),
        }
    });
}

/// Opens what the host asked for while the frame was signing in (`chatWithUser`), else what the config
/// asks for: `chatType` + `defaultChatID`, else (with `autoOpenFirstItem`) the first conversation.
fn open_initial(chat: Chat, config: &WidgetConfig, asked: Option<(ReceiverType, String)>) {
    let wanted = asked.or_else(|| config.chat_type.as_deref().and_then(kind_of).zip(config.default_chat_id.clone()));
    let auto_first = config.auto_open_first_item;
    chat.load_conversations(move |chat| match wanted {
        Some((kind, id)) => open_by_id(chat, kind, id),
        None if auto_first => {
            if let Some(first) = chat.conversations.with_untracked(|list| list.first().map(|c| c.peer.clone())) {
                chat.open(first);
            }
        }
        None => {}
    });
}

/// Sets the root's `data-theme` to `light` or `dark`; `system` follows the visitor's setting, also when it
/// changes while the page is open.
fn apply_theme(root: &web_sys::Element, theme: &str) {
    use wasm_bindgen::JsCast;
    let query = (theme == "system").then(|| window().match_media("(prefers-color-scheme: dark)").ok().flatten()).flatten();
    let resolved = match &query {
        Some(q) if q.matches() => "dark",
        Some(_) => "light",
        None if theme == "dark" => "dark",
        None => "light",
    };
    let _ = root.set_attribute("data-theme", resolved);
    if let Some(query) = query {
        let root = root.clone();
        let follow = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::MediaQueryListEvent)>::new(move |e: web_sys::MediaQueryListEvent| {
            let _ = root.set_attribute("data-theme", if e.matches() { "dark" } else { "light" });
        });
        let _ = query.add_event_listener_with_callback("change", follow.as_ref().unchecked_ref());
        follow.forget();
    }
}

/// The panel's focusable controls, in document order.
fn focusables() -> Vec<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    let Ok(list) = document().query_selector_all(".panel button:not([disabled]), .panel textarea:not([disabled]), .panel a[href]") else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<web_sys::HtmlElement>().ok()).filter(|e| e.offset_parent().is_some()).collect()
}

/// Moves focus into the panel: the message box when a conversation is open, else its first control.
fn focus_first() {
    use wasm_bindgen::JsCast;
    let composer = document().query_selector(".composer textarea").ok().flatten().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(target) = composer.or_else(|| focusables().into_iter().next()) {
        let _ = target.focus();
    }
}

/// Tab from the last control goes to the first, Shift+Tab from the first to the last: focus stays in the
/// open docked panel.
fn keep_focus_inside(event: &web_sys::KeyboardEvent) {
    let controls = focusables();
    let (Some(first), Some(last)) = (controls.first(), controls.last()) else { return };
    let active = document().active_element();
    let at = |el: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a == el.as_ref() as &web_sys::Element);
    if event.shift_key() && (at(first) || active.is_none()) {
        event.prevent_default();
        let _ = last.focus();
    } else if !event.shift_key() && at(last) {
        event.prevent_default();
        let _ = first.focus();
    }
}

/// Keeps the host informed: the unread total (the launcher's badge), messages received, and the open
/// conversation. With the variant's sound on, a message that comes while the visitor cannot see the panel
/// plays a soft tone (`lazy/chime.js`, loaded the first time; it plays only once the visitor has used the
/// panel).
fn report_to_host(chat: Chat, bridge: HostBridge) {
    let host = bridge.clone();
    let mut last = None;
    effect(move || {
        let count = chat.unread_total();
        if last != Some(count) {
            host.send(&FrameMessage::Unread { count });
        }
        last = Some(count);
    });
    let host = bridge.clone();
    effect(move || {
        if let Some(message) = chat.received.get() {
            host.send_event("onMessageReceived", &message);
            if chat.features.sound && !chat.seen() {
                crate::media::lazy::run("chime");
            }
        }
    });
    effect(move || {
        let detail = chat.active.get().map(|peer| ActiveChat { chat_type: peer.kind, id: peer.id });
        bridge.send_event("onActiveChatChanged", &detail);
    });
}

/// The visitor's strings: English, then the language's catalog file (fetched; English stays where it
/// cannot be had), then the variant's texts for that language.
async fn strings(api: &Api, config: &WidgetConfig, variant: &PanelVariant) -> &'static Catalog {
    let tag = config.language.clone().unwrap_or_else(|| "en".into());
    let language = language_of(Some(&tag));
    let file = match language {
        "en" => Vec::new(),
        _ => match api.file(&format!("/widget/locales/{language}.json")).await {
            Ok(json) => crate::net::json::string_entries(&json),
            Err(e) => {
                console_error(&format!("Confab: the {language} strings could not be loaded ({}); showing English", e.message()));
                Vec::new()
            }
        },
    };
    let overrides: Vec<Vec<(String, String)>> = variant.texts_for(language, &tag).iter().map(entries).collect();
    let mut layers: Vec<&[(String, String)]> = vec![&file];
    layers.extend(overrides.iter().map(Vec::as_slice));
    Catalog::build(&tag, &layers)
}

/// Loads the visitor's strings, signs in and starts the chat; reports a refusal to the host.
fn start(
    config: WidgetConfig,
    guest_token: Option<String>,
    variant: PanelVariant,
    text: StoredValue<&'static Catalog>,
    bridge: Option<HostBridge>,
    visible: StoredValue<bool>,
    asked: StoredValue<Option<(ReceiverType, String)>>,
    set_phase: WriteSignal<Phase>,
) {
    leptos::task::spawn_local(async move {
        let api = Api::here(&config.app_id);
        let strings = strings(&api, &config, &variant).await;
        text.set_value(strings);
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", strings.tag);
            let _ = root.set_attribute("dir", if strings.rtl { "rtl" } else { "ltr" });
        }
        set_phase.set(Phase::SigningIn);
        match session::sign_in(&api, &config, guest_token).await {
            Ok((signed_in, new_guest)) => {
                let token = signed_in.auth_token.clone();
                let host = bridge.clone();
                let remember: Option<Box<dyn FnOnce()>> = new_guest.then(|| {
                    Box::new(move || {
                        if let Some(host) = &host {
                            host.send(&FrameMessage::Remember { token });
                        }
                    }) as Box<dyn FnOnce()>
                });
                let chat = Chat::start(api, signed_in.auth_token, signed_in.user, strings, variant.features, remember);
                chat.visible.set(visible.get_value());
                if let Some(bridge) = bridge.clone() {
                    report_to_host(chat, bridge);
                }
                open_initial(chat, &config, asked.try_update_value(Option::take).flatten());
                set_phase.set(Phase::Ready(Box::new(config), chat));
            }
            Err(e) => {
                let problem = ConfigProblem { code: ConfigErrorCode::SignInFailed, field: None, message: format!("sign-in failed: {}", e.message()) };
                console_error(&format!("Confab: {}", problem.message));
                if let Some(bridge) = &bridge {
                    bridge.send(&FrameMessage::Error { problem: problem.clone() });
                }
                set_phase.set(Phase::Failed(problem));
            }
        }
    });
}

/// Starts the chat frame: listens to the loader, and shows the start-up state, then the panel or the
/// problem, in the page's body.
pub fn mount() {
    let bridge = HostBridge::detect();
    let (phase, set_phase) = signal(match bridge {
        Some(_) => Phase::Waiting,
        None => Phase::Failed(ConfigProblem {
            code: ConfigErrorCode::FrameLoadFailed,
            field: None,
            message: "the chat frame must be embedded by the Confab loader".into(),
        }),
    });
    let text = StoredValue::new(&ENGLISH);
    // Whether the panel is on screen: an embedded one always, a docked one when the loader says so.
    let initially_visible = StoredValue::new(false);
    // A conversation the host asked for before the chat was ready, opened once it is.
    let asked = StoredValue::new(None::<(ReceiverType, String)>);
    // Whether the panel is docked (Escape closes it), known from the config on.
    let docked = StoredValue::new(false);

    if let Some(bridge) = bridge.clone() {
        let listener_bridge = bridge.clone();
        let handle = window_event_listener(ev::message, move |event| {
            let (config, guest_token) = match listener_bridge.receive(&event) {
                Some(FrameMessage::Config { config, guest_token }) if matches!(phase.get_untracked(), Phase::Waiting) => (config, guest_token),
                Some(FrameMessage::Visible { visible }) => {
                    initially_visible.set_value(visible);
                    if let Phase::Ready(_, chat) = phase.get_untracked() {
                        chat.visible.set(visible);
                        if visible {
                            chat.mark_read();
                            request_animation_frame(focus_first);
                        }
                    }
                    return;
                }
                Some(FrameMessage::OpenChat { chat_type, id }) => {
                    match (phase.get_untracked(), kind_of(&chat_type)) {
                        (Phase::Ready(_, chat), Some(kind)) => open_by_id(chat, kind, id),
                        (_, Some(kind)) => asked.set_value(Some((kind, id))),
                        _ => {}
                    }
                    return;
                }
                _ => return,
            };
            docked.set_value(config.is_docked);
            match config.problems(None).into_iter().next() {
                None => {
                    let variant = config.variant.as_ref().map(PanelVariant::read).unwrap_or_default();
                    crate::look::apply(&variant);
                    if let Some(root) = document().document_element() {
                        apply_theme(&root, &config.theme);
                    }
                    initially_visible.set_value(!config.is_docked);
                    start(config, guest_token, variant, text, Some(listener_bridge.clone()), initially_visible, asked, set_phase);
                }
                Some(problem) => {
                    console_error(&format!("Confab: {}", problem.message));
                    listener_bridge.send(&FrameMessage::Error { problem: problem.clone() });
                    set_phase.set(Phase::Failed(problem));
                }
            }
        });
        std::mem::forget(handle);
        bridge.send(&FrameMessage::Ready);
    }

    let close = move || {
        if let Some(bridge) = &bridge {
            bridge.send(&FrameMessage::Close);
        }
    };
    let close_button = close.clone();
    // Escape closes a docked panel in every state (signing in, or showing why it cannot).
    let on_key = window_event_listener(ev::keydown, move |event| {
        if event.key() == "Escape" && docked.get_value() {
            close();
        } else if event.key() == "Tab" && docked.get_value() && matches!(phase.get_untracked(), Phase::Ready(..)) {
            keep_focus_inside(&event);
        }
    });
    std::mem::forget(on_key);

    let body = document().body().expect("the frame page has a body");
    effect(move || {
        let shown = match phase.get() {
            Phase::Waiting => busy(text.get_value().loading),
            Phase::SigningIn => busy(text.get_value().signing_in),
            Phase::Ready(config, chat) => {
                let close = close_button.clone();
                untrack(|| panel(&config, chat, close))
            }
            Phase::Failed(problem) => {
                let alert = text_el("div", "status status-error", &problem.message);
                let _ = alert.set_attribute("role", "alert");
                alert
            }
        };
        replace_children(&body, &[&shown]);
    });
}

/// A start-up state.
fn busy(text: &str) -> web_sys::Element {
    let status = text_el("div", "status", text);
    let _ = status.set_attribute("aria-busy", "true");
    status
}
