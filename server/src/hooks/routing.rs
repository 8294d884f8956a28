//! Which bots and webhooks an event is delivered to: the routing rules, in one place for every backend.
//!
//! A backend reads the [`Subscribers`] of a message (or the enabled webhook triggers of a receipt) inside
//! the transaction that stores the event, calls [`message_deliveries`] or [`receipt_deliveries`], and inserts
//! what they answer in that same transaction: an event and its deliveries commit together (the outbox).
//!
//! The rules:
//! - **Bots** get messages of category `message` and `custom`, never one a bot sent (bots cannot loop): a 1:1
//!   message when the bot is its receiver; a group message when the bot is a member and its
//!   [`GroupChatSetting`] matches (`allMessages`; `slashedMessages`: the text starts with `/` after leading
//!   space; `mentionedMessages`: the message mentions it (`<@uid:UID>`, as stored in `mentionedUsers`); `none`). Disabled bots
//!   get nothing.
//! - **Webhooks**: every stored message maps to at most one trigger ([`webhook_trigger`]): `message_sent`,
//!   `message_edited` and `message_deleted` (action messages of type `message`), `message_reaction_added` and
//!   `_removed` (of type `reaction`), `group_member_*` (action messages of type `groupMember`). A mark that moves forward maps to `message_read_receipt` or
//!   `message_delivery_receipt`. Only enabled webhooks subscribed to the trigger get a delivery.

use confab_protocol::ids::ConversationKey;
use confab_protocol::rest::bots::GroupChatSetting;
use confab_protocol::rest::messages::{Category, MentionedUser, ReceiverType};
use confab_protocol::rest::webhooks::{TargetType, WebhookTrigger};
use serde_json::{json, Value};

use crate::store::NewMessage;

/// A bot that may get a message: the receiver of a 1:1 message, or a bot member of the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotCandidate {
    /// The bot's uid.
    pub uid: String,
    /// Forwarding on.
    pub enabled: bool,
    /// Which group messages it wants.
    pub setting: GroupChatSetting,
}

/// What a backend reads, in the send's transaction, before asking where a message goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscribers {
    /// The sender is a bot.
    pub sender_is_bot: bool,
    /// The bot receiver (1:1) or the bot members (group).
    pub bots: Vec<BotCandidate>,
    /// The app's enabled webhooks' subscriptions: (webhook id, trigger).
    pub webhooks: Vec<(String, WebhookTrigger)>,
}

/// A delivery to insert with the event, due at once.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    /// Bot or webhook.
    pub target_type: TargetType,
    /// Bot uid or webhook id.
    pub target: String,
    /// `after_message` (bots) or the webhook trigger.
    pub trigger: String,
    /// The message it is about.
    pub message_id: Option<i64>,
    /// The user a receipt is about.
    pub subject: Option<String>,
    /// A receipt's conversation (its wire id).
    pub conversation_id: Option<String>,
    /// A message's content as sent (`{data, tags}`): the call carries it even after an edit.
    pub detail: Option<Value>,
}

/// The trigger a bot delivery is queued under.
pub const BOT_TRIGGER: &str = "after_message";

/// The webhook trigger a stored message maps to, if any.
pub fn webhook_trigger(message: &NewMessage) -> Option<WebhookTrigger> {
    use WebhookTrigger as T;
    let action = message.data.action.as_deref();
    match (message.category, message.message_type.as_str()) {
        (Category::Message | Category::Custom, _) => Some(T::MessageSent),
        (Category::Action, "message") => match action? {
            "edited" => Some(T::MessageEdited),
            "deleted" => Some(T::MessageDeleted),
            _ => None,
        },
        (Category::Action, crate::store::REACTION_TYPE) => match action? {
            crate::store::REACTION_ADDED => Some(T::MessageReactionAdded),
            crate::store::REACTION_REMOVED => Some(T::MessageReactionRemoved),
            _ => None,
        },
        (Category::Action, "groupMember") => match action? {
            "joined" => Some(T::GroupMemberJoined),
            "left" => Some(T::GroupMemberLeft),
            "added" => Some(T::GroupMemberAdded),
            "kicked" => Some(T::GroupMemberKicked),
            "banned" => Some(T::GroupMemberBanned),
            "unbanned" => Some(T::GroupMemberUnbanned),
            "scopeChanged" => Some(T::GroupMemberScopeChanged),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a group message with `text` is for a bot with `setting` and `uid`.
fn bot_wants(setting: GroupChatSetting, uid: &str, text: &str, mentions: &[MentionedUser]) -> bool {
    match setting {
        GroupChatSetting::AllMessages => true,
        GroupChatSetting::SlashedMessages => text.trim_start().starts_with('/'),
        GroupChatSetting::MentionedMessages => mentions.iter().any(|m| m.uid == uid),
        GroupChatSetting::None => false,
    }
}

/// Whether the bot routing needs to know the message's bots at all (saves the backend a read).
pub fn may_reach_bots(message: &NewMessage) -> bool {
    matches!(message.category, Category::Message | Category::Custom)
}

/// The deliveries of the message just stored under `id`.
pub fn message_deliveries(id: i64, message: &NewMessage, subscribers: &Subscribers) -> Vec<NewDelivery> {
    let detail = || Some(json!({"data": message.data, "tags": message.tags}));
    let mut out = Vec::new();
    if may_reach_bots(message) && !subscribers.sender_is_bot {
        let text = message.data.text.as_deref().unwrap_or_default();
        for bot in subscribers.bots.iter().filter(|bot| bot.enabled) {
            let wanted = match message.receiver_type {
                ReceiverType::User => bot.uid == message.receiver,
                ReceiverType::Group => bot_wants(bot.setting, &bot.uid, text, &message.mentions),
            };
            if wanted {
                out.push(NewDelivery {
                    target_type: TargetType::Bot,
                    target: bot.uid.clone(),
                    trigger: BOT_TRIGGER.to_owned(),
                    message_id: Some(id),
                    subject: None,
                    conversation_id: None,
                    detail: detail(),
                });
            }
        }
    }
    if let Some(trigger) = webhook_trigger(message) {
        for (webhook, _) in subscribers.webhooks.iter().filter(|(_, t)| *t == trigger) {
            out.push(NewDelivery {
                target_type: TargetType::Webhook,
                target: webhook.clone(),
                trigger: trigger.as_str().to_owned(),
                message_id: Some(id),
                subject: None,
                conversation_id: None,
                detail: detail(),
            });
        }
    }
    out
}

/// A user's read and delivered marks in one conversation (message ids, 0 for none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks {
    /// Read up to.
    pub read: i64,
    /// Delivered up to.
    pub delivered: i64,
}

impl Marks {
    /// The marks after a read (`read`) or delivered receipt up to `id`: never back, and a read mark moves the
    /// delivered mark too.
    pub fn advanced(self, read: bool, id: i64) -> Self {
        match read {
            true => Self { read: self.read.max(id), delivered: self.delivered.max(id) },
            false => Self { read: self.read, delivered: self.delivered.max(id) },
        }
    }
}

/// The deliveries of `uid`'s marks in `conversation` moving from `before` to `after`, to the enabled
/// webhooks' `subscriptions`.
pub fn receipt_deliveries(
    uid: &str,
    conversation: &ConversationKey,
    before: Marks,
    after: Marks,
    subscriptions: &[(String, WebhookTrigger)],
) -> Vec<NewDelivery> {
    let mut out = Vec::new();
    for (webhook, trigger) in subscriptions {
        let moved_to = match trigger {
            WebhookTrigger::MessageReadReceipt if after.read > before.read => after.read,
            WebhookTrigger::MessageDeliveryReceipt if after.delivered > before.delivered => after.delivered,
            _ => continue,
        };
        out.push(NewDelivery {
            target_type: TargetType::Webhook,
            target: webhook.clone(),
            trigger: trigger.as_str().to_owned(),
            message_id: Some(moved_to),
            subject: Some(uid.to_owned()),
            conversation_id: Some(conversation.wire_id()),
            detail: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_protocol::rest::messages::MessageData;

    fn message(receiver_type: ReceiverType, receiver: &str, text: &str) -> NewMessage {
        NewMessage {
            sender: "alice".into(),
            receiver: receiver.into(),
            receiver_type,
            category: Category::Message,
            message_type: "text".into(),
            data: MessageData { text: Some(text.into()), ..Default::default() },
            tags: vec![],
            muid: None,
            sent_at: 1,
            ..NewMessage::default()
        }
    }

    fn bot(uid: &str, setting: GroupChatSetting) -> BotCandidate {
        BotCandidate { uid: uid.into(), enabled: true, setting }
    }

    fn targets(deliveries: &[NewDelivery]) -> Vec<(TargetType, &str, &str)> {
        deliveries.iter().map(|d| (d.target_type, d.target.as_str(), d.trigger.as_str())).collect()
    }

    #[test]
    fn a_direct_message_reaches_its_bot_receiver_only() {
        let subscribers = Subscribers { bots: vec![bot("faq", GroupChatSetting::None)], ..Default::default() };
        let to_bot = message_deliveries(7, &message(ReceiverType::User, "faq", "hi"), &subscribers);
        assert_eq!(targets(&to_bot), [(TargetType::Bot, "faq", BOT_TRIGGER)]);
        assert_eq!(to_bot[0].message_id, Some(7));
        assert_eq!(to_bot[0].detail, Some(json!({"data": {"text": "hi"}, "tags": []})));
        assert!(message_deliveries(7, &message(ReceiverType::User, "bob", "hi"), &subscribers).is_empty());
    }

    #[test]
    fn group_messages_follow_each_bots_setting() {
        let subscribers = Subscribers {
            bots: vec![
                bot("all", GroupChatSetting::AllMessages),
                bot("slash", GroupChatSetting::SlashedMessages),
                bot("helper", GroupChatSetting::MentionedMessages),
                bot("quiet", GroupChatSetting::None),
            ],
            ..Default::default()
        };
        let to = |text: &str, mentioned: &[&str]| {
            let mentions = mentioned.iter().map(|uid| MentionedUser { uid: (*uid).into(), name: (*uid).into() }).collect();
            message_deliveries(1, &NewMessage { mentions, ..message(ReceiverType::Group, "g", text) }, &subscribers)
                .into_iter()
                .map(|d| d.target)
                .collect::<Vec<_>>()
        };
        assert_eq!(to("hello", &[]), ["all"]);
        assert_eq!(to("  /help", &[]), ["all", "slash"]);
        assert_eq!(to("ask @helper please", &[]), ["all"], "only a stored mention counts");
        assert_eq!(to("<@uid:helper> hi", &["helper"]), ["all", "helper"]);
        assert_eq!(to("<@uid:helper> hi", &[]), ["all"], "markup the send did not store as a mention (a non-member, a block)");
    }

    #[test]
    fn bots_never_hear_bots_and_disabled_bots_hear_nothing() {
        let mut subscribers = Subscribers { bots: vec![bot("all", GroupChatSetting::AllMessages)], ..Default::default() };
        subscribers.sender_is_bot = true;
        assert!(message_deliveries(1, &message(ReceiverType::Group, "g", "hi"), &subscribers).is_empty());
        subscribers.sender_is_bot = false;
        subscribers.bots[0].enabled = false;
        assert!(message_deliveries(1, &message(ReceiverType::Group, "g", "hi"), &subscribers).is_empty());
    }

    #[test]
    fn each_message_maps_to_one_webhook_trigger() {
        let subscribers = Subscribers {
            webhooks: vec![
                ("w1".into(), WebhookTrigger::MessageSent),
                ("w1".into(), WebhookTrigger::MessageEdited),
                ("w2".into(), WebhookTrigger::GroupMemberKicked),
            ],
            ..Default::default()
        };
        let sent = message(ReceiverType::Group, "g", "hi");
        assert_eq!(targets(&message_deliveries(1, &sent, &subscribers)), [(TargetType::Webhook, "w1", "message_sent")]);
        let action = |message_type: &str, action: &str| NewMessage {
            category: Category::Action,
            message_type: message_type.into(),
            data: MessageData { action: Some(action.into()), ..Default::default() },
            ..sent.clone()
        };
        assert_eq!(targets(&message_deliveries(2, &action("message", "edited"), &subscribers)), [(TargetType::Webhook, "w1", "message_edited")]);
        assert_eq!(targets(&message_deliveries(3, &action("groupMember", "kicked"), &subscribers)), [(TargetType::Webhook, "w2", "group_member_kicked")]);
        assert!(message_deliveries(4, &action("groupMember", "joined"), &subscribers).is_empty());
        assert_eq!(webhook_trigger(&action("groupMember", "scopeChanged")), Some(WebhookTrigger::GroupMemberScopeChanged));
        assert_eq!(webhook_trigger(&action("message", "pinned")), None);
    }

    #[test]
    fn marks_only_move_forward_and_a_read_moves_delivered() {
        let marks = Marks { read: 5, delivered: 8 };
        assert_eq!(marks.advanced(true, 3), marks);
        assert_eq!(marks.advanced(true, 10), Marks { read: 10, delivered: 10 });
        assert_eq!(marks.advanced(false, 9), Marks { read: 5, delivered: 9 });
    }

    #[test]
    fn receipts_reach_the_webhooks_of_the_mark_that_moved() {
        let subscriptions = vec![
            ("r".into(), WebhookTrigger::MessageReadReceipt),
            ("d".into(), WebhookTrigger::MessageDeliveryReceipt),
        ];
        let key = ConversationKey::direct("alice", "bob");
        let before = Marks { read: 5, delivered: 8 };
        let delivered_only = receipt_deliveries("bob", &key, before, before.advanced(false, 9), &subscriptions);
        assert_eq!(targets(&delivered_only), [(TargetType::Webhook, "d", "message_delivery_receipt")]);
        assert_eq!(delivered_only[0].message_id, Some(9));
        assert_eq!(delivered_only[0].conversation_id.as_deref(), Some(key.wire_id().as_str()));
        let both = receipt_deliveries("bob", &key, before, before.advanced(true, 12), &subscriptions);
        assert_eq!(both.len(), 2);
        assert!(receipt_deliveries("bob", &key, before, before.advanced(true, 4), &subscriptions).is_empty());
    }
}
