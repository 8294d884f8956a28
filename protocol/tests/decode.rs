//! The hand-written decoders (`confab_protocol::decode`) read exactly what serde writes, for every type the
//! widget receives: each sample is encoded with serde and decoded both ways.

use confab_protocol::api_error::{ApiErrorBody, ApiErrorCode, ApiErrorEnvelope, ErrorDetails};
use confab_protocol::bridge::FrameMessage;
use confab_protocol::decode::{Decode, DecodeError};
use confab_protocol::realtime::{PresenceStatus, ReceiptKind, ServerFrame, TypingState};
use confab_protocol::rest::auth::Session;
use confab_protocol::rest::conversations::{Conversation, ConversationWith};
use confab_protocol::rest::groups::{Group, GroupMember, GroupType, MemberScope};
use confab_protocol::rest::messages::{
    Attachment, Category, MentionedUser, Message, MessageCursor, MessageData, MessagePage, MessagePageMeta, ReactionCount,
    ReceiverType,
};
use confab_protocol::rest::users::User;
use confab_protocol::rest::{Data, Page, PageMeta, Pagination};
use confab_protocol::widget_config::{ConfigErrorCode, ConfigProblem, VisitorProfile, WidgetConfig};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Debug;

/// Encodes `value` with serde, decodes it with [`Decode`], and checks both agree with it.
fn round_trip<T: Serialize + DeserializeOwned + Decode + PartialEq + Debug>(value: T) {
    let wire = serde_json::to_value(&value).unwrap();
    assert_eq!(T::decode(&wire).unwrap(), value, "decoding {wire}");
    assert_eq!(serde_json::from_value::<T>(wire).unwrap(), value);
}

/// Decodes `wire` both ways and checks they agree.
fn same_as_serde<T: DeserializeOwned + Decode + PartialEq + Debug>(wire: Value) {
    let by_serde: T = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(T::decode(&wire).unwrap(), by_serde, "decoding {wire}");
}

fn user(full: bool) -> User {
    User {
        uid: "ann".into(),
        name: "Ann".into(),
        avatar: full.then(|| "https://a.example/a.png".into()),
        link: full.then(|| "https://a.example".into()),
        role: "default".into(),
        status_message: full.then(|| "away".into()),
        metadata: full.then(|| json!({"a": [1, 2.5, "x", null, {"b": true}]})),
        tags: if full { vec!["vip".into()] } else { Vec::new() },
        status: "online".into(),
        last_active_at: full.then_some(1_700_000_000),
        created_at: 1_600_000_000,
        updated_at: full.then_some(1_700_000_001),
        deactivated_at: full.then_some(1_700_000_002),
        blocked_by_me: full.then_some(false),
        has_blocked_me: full.then_some(true),
        auth_token: full.then(|| "tok".into()),
    }
}

fn group(full: bool) -> Group {
    Group {
        guid: "support".into(),
        name: "Support".into(),
        group_type: if full { GroupType::Password } else { GroupType::Public },
        icon: full.then(|| "https://a.example/g.png".into()),
        description: full.then(|| "Help".into()),
        metadata: full.then(|| json!({"k": 1})),
        owner: full.then(|| "ann".into()),
        tags: if full { vec!["t".into()] } else { Vec::new() },
        members_count: 3,
        scope: full.then_some(MemberScope::Moderator),
        has_joined: full,
        joined_at: full.then_some(5),
        conversation_id: "group_support".into(),
        created_at: 4,
        updated_at: full.then_some(6),
    }
}

fn message(full: bool) -> Message {
    Message {
        id: "42".into(),
        muid: full.then(|| "m1".into()),
        conversation_id: "ann_bob".into(),
        sender: "ann".into(),
        receiver: "bob".into(),
        receiver_type: if full { ReceiverType::Group } else { ReceiverType::User },
        category: if full { Category::Action } else { Category::Message },
        message_type: "text".into(),
        data: MessageData {
            text: full.then(|| "hello <b>".into()),
            attachments: full.then(|| {
                vec![Attachment {
                    url: "https://a.example/f.pdf".into(),
                    name: Some("f.pdf".into()),
                    mime_type: Some("application/pdf".into()),
                    size: Some(1234),
                    extension: None,
                    id: Some("md_0123456789abcdefghijklmnop".into()),
                    width: Some(640),
                    height: Some(480),
                    thumbnail: Some("https://a.example/t.jpg".into()),
                }]
            }),
            metadata: full.then(|| json!({"m": 1})),
            custom_data: full.then(|| json!({"c": [1]})),
            action: full.then(|| "joined".into()),
            entities: full.then(|| json!({"sender": {"entity": {"name": "Ann"}}})),
            reactions: full.then(|| {
                vec![
                    ReactionCount { reaction: "👍".into(), count: 2, reacted_by_me: Some(true), uids: vec!["ann".into(), "bob".into()] },
                    ReactionCount { reaction: "🎉".into(), count: 1, reacted_by_me: None, uids: Vec::new() },
                ]
            }),
        },
        tags: if full { vec!["x".into()] } else { Vec::new() },
        sent_at: 1_700_000_000,
        updated_at: full.then_some(1),
        edited_at: full.then_some(2),
        edited_by: full.then(|| "ann".into()),
        deleted_at: full.then_some(3),
        deleted_by: full.then(|| "bob".into()),
        parent_id: full.then(|| "40".into()),
        reply_count: full.then_some(3),
        last_reply_at: full.then_some(4),
        quoted_message_id: full.then(|| "41".into()),
        quoted_message: full.then(|| Box::new(message(false))),
        mentioned_users: if full { vec![MentionedUser { uid: "bob".into(), name: "Bob".into() }] } else { Vec::new() },
    }
}

#[test]
fn rest_bodies_decode_as_serde_encodes_them() {
    for full in [true, false] {
        round_trip(user(full));
        round_trip(group(full));
        round_trip(message(full));
        round_trip(Data { data: Session { user: user(full), auth_token: "t".into() } });
        round_trip(GroupMember { uid: "ann".into(), name: "Ann".into(), avatar: full.then(|| "a".into()), scope: MemberScope::Admin, joined_at: 9 });
        let pagination = Pagination { total: 2, count: 2, per_page: 100, current_page: 1, total_pages: 1 };
        round_trip(Page {
            data: vec![
                Conversation {
                    conversation_id: "ann_bob".into(),
                    conversation_type: ReceiverType::User,
                    unread_message_count: 3,
                    unread_mentions_count: Some(1),
                    last_message: full.then(|| message(full)),
                    conversation_with: ConversationWith::User(Box::new(user(full))),
                    updated_at: 7,
                },
                Conversation {
                    conversation_id: "group_support".into(),
                    conversation_type: ReceiverType::Group,
                    unread_message_count: 0,
                    unread_mentions_count: None,
                    last_message: None,
                    conversation_with: ConversationWith::Group(Box::new(group(full))),
                    updated_at: 8,
                },
            ],
            meta: PageMeta { pagination },
        });
        let cursor = |id: Option<&str>| MessageCursor { limit: 30, count: id.is_none().then_some(2), affix: "prepend".into(), id: id.map(Into::into) };
        round_trip(MessagePage {
            data: vec![message(full), message(!full)],
            meta: MessagePageMeta { current: cursor(None), next: full.then(|| cursor(Some("40"))) },
        });
        round_trip(ApiErrorEnvelope {
            error: ApiErrorBody {
                code: ApiErrorCode::ALL[3],
                message: "no".into(),
                details: ErrorDetails { field: full.then(|| "name".into()), limit: full.then_some(100) },
            },
        });
    }
}

#[test]
fn every_server_frame_decodes_as_serde_encodes_it() {
    let frames = vec![
        ServerFrame::Ready { v: 1, user: user(true) },
        ServerFrame::CaughtUp { last_message_id: Some("9".into()) },
        ServerFrame::CaughtUp { last_message_id: None },
        ServerFrame::Message { message: message(true) },
        ServerFrame::MessageEdited { message: message(false) },
        ServerFrame::MessageDeleted { message: message(true) },
        ServerFrame::Ack { muid: Some("m1".into()), message: message(false) },
        ServerFrame::Typing { sender: "a".into(), receiver: "b".into(), receiver_type: ReceiverType::User, state: TypingState::Started },
        ServerFrame::Typing { sender: "a".into(), receiver: "g".into(), receiver_type: ReceiverType::Group, state: TypingState::Ended },
        ServerFrame::Receipt { kind: ReceiptKind::Read, uid: "b".into(), conversation_id: "a_b".into(), message_id: "4".into(), at: 5 },
        ServerFrame::Receipt { kind: ReceiptKind::Delivered, uid: "b".into(), conversation_id: "a_b".into(), message_id: "4".into(), at: 5 },
        ServerFrame::Presence { uid: "b".into(), status: PresenceStatus::Online, last_active_at: 6 },
        ServerFrame::Presence { uid: "b".into(), status: PresenceStatus::Offline, last_active_at: 6 },
        ServerFrame::GroupMember { guid: "g".into(), action: "joined".into(), uid: "b".into(), by: "b".into(), scope: Some(MemberScope::Participant) },
        ServerFrame::Transient { sender: "a".into(), receiver: "b".into(), receiver_type: ReceiverType::User, data: json!({"live": true}) },
        ServerFrame::Error {
            error: ApiErrorBody { code: ApiErrorCode::ALL[0], message: "bad".into(), details: ErrorDetails::default() },
            reference: Some("m2".into()),
        },
        ServerFrame::Pong,
    ];
    for frame in frames {
        round_trip(frame);
    }
}

#[test]
fn every_frame_message_decodes_as_serde_encodes_it() {
    let config: WidgetConfig = serde_json::from_value(json!({"appID": "a", "mode": "guest", "authKey": "k"})).unwrap();
    let messages = vec![
        FrameMessage::Ready,
        FrameMessage::Config { config: config.clone(), guest_token: Some("t".into()) },
        FrameMessage::Config { config, guest_token: None },
        FrameMessage::Remember { token: "t".into() },
        FrameMessage::OpenChat { chat_type: "group".into(), id: "g".into() },
        FrameMessage::Visible { visible: true },
        FrameMessage::Unread { count: 3 },
        FrameMessage::Event { name: "onMessageReceived".into(), detail: json!({"id": "1"}) },
        FrameMessage::Close,
        FrameMessage::Error { problem: ConfigProblem { code: ConfigErrorCode::ALL[2], field: Some("width".into()), message: "m".into() } },
    ];
    for message in messages {
        round_trip(message);
    }
}

#[test]
fn configs_get_serdes_defaults() {
    same_as_serde::<WidgetConfig>(json!({}));
    same_as_serde::<WidgetConfig>(json!({"appID": "a", "mode": "uid", "uid": "u", "isDocked": false, "autoOpenFirstItem": false}));
    round_trip(WidgetConfig {
        user: Some(VisitorProfile { name: Some("Ann".into()), avatar: None, link: Some("https://a.example".into()) }),
        language: Some("ar".into()),
        theme: "dark".into(),
        ..serde_json::from_value(json!({"appID": "a", "mode": "guest", "authKey": "k", "chatType": "user", "defaultChatID": "b", "variantID": "v", "apiBase": "https://c.example", "mount": "#m", "userHash": "h", "authToken": "t"})).unwrap()
    });
}

#[test]
fn bad_input_names_the_field_at_fault() {
    assert_eq!(Message::decode(&json!({"id": "1"})).unwrap_err(), DecodeError("conversationId".into()));
    let mut wire = serde_json::to_value(message(false)).unwrap();
    wire["receiverType"] = json!("robot");
    assert_eq!(Message::decode(&wire).unwrap_err(), DecodeError("receiverType".into()));
    let page = json!({"data": [serde_json::to_value(message(false)).unwrap(), {"id": 5}], "meta": {"current": {"limit": 1, "affix": "append"}}});
    assert_eq!(MessagePage::decode(&page).unwrap_err(), DecodeError("data.1.id".into()));
    assert_eq!(ServerFrame::decode(&json!({"type": "explode"})).unwrap_err(), DecodeError("type".into()));
    assert_eq!(u32::decode(&json!(1.5)).unwrap_err(), DecodeError(String::new()));
    assert_eq!(u32::decode(&json!(-1)).unwrap_err(), DecodeError(String::new()));
}
