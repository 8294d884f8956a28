-- Bots, webhooks, and the outbox of calls to them. Deliveries are queued by the triggers below, inside the
-- transaction that stores the message or moves the receipt mark, so a committed event always has its calls
-- queued and nothing is queued for an event that was rolled back. A message's delivery keeps its content as
-- sent (`detail`), so a later edit or delete does not change what the call says was sent.

CREATE TABLE bots (
    app_id              TEXT NOT NULL,
    uid                 TEXT NOT NULL,
    webhook_url         TEXT NOT NULL,
    enabled             INTEGER NOT NULL DEFAULT 1,
    group_chat_setting  TEXT NOT NULL
        CHECK (group_chat_setting IN ('allMessages', 'slashedMessages', 'mentionedMessages', 'none')),
    basic_auth_user     TEXT,
    basic_auth_password TEXT,               -- sent to the bot's server, so kept as given
    signing_secret      TEXT NOT NULL,      -- the HMAC key of X-Confab-Signature, needed to sign each call
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER,
    PRIMARY KEY (app_id, uid),
    FOREIGN KEY (app_id, uid) REFERENCES users(app_id, uid) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE webhooks (
    app_id              TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,
    id                  TEXT NOT NULL,
    name                TEXT NOT NULL,
    url                 TEXT NOT NULL,
    enabled             INTEGER NOT NULL DEFAULT 1,
    basic_auth_user     TEXT,
    basic_auth_password TEXT,
    signing_secret      TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER,
    PRIMARY KEY (app_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE webhook_triggers (
    app_id     TEXT NOT NULL,
    trigger    TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    PRIMARY KEY (app_id, trigger, webhook_id),
    FOREIGN KEY (app_id, webhook_id) REFERENCES webhooks(app_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX webhook_triggers_by_webhook ON webhook_triggers(app_id, webhook_id);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id          TEXT NOT NULL,
    target_type     TEXT NOT NULL CHECK (target_type IN ('bot', 'webhook')),
    target          TEXT NOT NULL,          -- bot uid or webhook id
    trigger         TEXT NOT NULL,
    message_id      INTEGER,                -- the message (or the receipt mark's message)
    subject         TEXT,                   -- the user a receipt or presence change is about
    conversation_id TEXT,                   -- a receipt's conversation
    detail          TEXT,                   -- JSON: the message's content as sent, or a presence change
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    in_flight       INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,       -- Unix ms
    last_error      TEXT,
    last_status     INTEGER,
    created_at      INTEGER NOT NULL,       -- Unix ms
    finished_at     INTEGER                 -- Unix ms
) STRICT;
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_by_app ON deliveries(app_id, state, id);

-- A message or custom message reaches the bots it is for: the receiver of a 1:1 message, or the bot members
-- of a group whose setting matches the text. Messages sent by bots go to no bot, so bots cannot loop.
CREATE TRIGGER messages_to_bots AFTER INSERT ON messages
WHEN NEW.category IN ('message', 'custom')
 AND EXISTS (SELECT 1 FROM bots WHERE app_id = NEW.app_id)
 AND NOT EXISTS (SELECT 1 FROM bots WHERE app_id = NEW.app_id AND uid = NEW.sender)
BEGIN
    INSERT INTO deliveries (app_id, target_type, target, trigger, message_id, detail, next_attempt_at, created_at)
    SELECT NEW.app_id, 'bot', b.uid, 'after_message', NEW.id, json_object('data', json(NEW.data), 'tags', json(NEW.tags)),
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM bots b
    WHERE b.app_id = NEW.app_id AND b.enabled
      AND ((NEW.receiver_type = 'user' AND b.uid = NEW.receiver)
        OR (NEW.receiver_type = 'group'
            AND EXISTS (SELECT 1 FROM group_members m WHERE m.app_id = NEW.app_id AND m.guid = NEW.receiver AND m.uid = b.uid)
            AND (b.group_chat_setting = 'allMessages'
              OR (b.group_chat_setting = 'slashedMessages'
                  AND substr(ltrim(coalesce(json_extract(NEW.data, '$.text'), '')), 1, 1) = '/')
              OR (b.group_chat_setting = 'mentionedMessages'
                  AND (instr(lower(coalesce(json_extract(NEW.data, '$.text'), '')), '@' || b.uid) > 0
                    OR instr(lower(coalesce(json_extract(NEW.data, '$.text'), '')), '<@uid:' || b.uid || '>') > 0)))));
END;

-- Every stored message maps to one webhook trigger: message_sent, message_edited or _deleted (action
-- messages of type `message`), or group_member_* (action messages of type `groupMember`).
CREATE TRIGGER messages_to_webhooks AFTER INSERT ON messages
WHEN EXISTS (SELECT 1 FROM webhook_triggers WHERE app_id = NEW.app_id)
BEGIN
    INSERT INTO deliveries (app_id, target_type, target, trigger, message_id, detail, next_attempt_at, created_at)
    SELECT NEW.app_id, 'webhook', t.webhook_id, t.trigger, NEW.id, json_object('data', json(NEW.data), 'tags', json(NEW.tags)),
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM webhook_triggers t
    JOIN webhooks w ON w.app_id = t.app_id AND w.id = t.webhook_id AND w.enabled
    WHERE t.app_id = NEW.app_id AND t.trigger = (
        CASE
            WHEN NEW.category IN ('message', 'custom') THEN 'message_sent'
            WHEN NEW.category = 'action' AND NEW.message_type = 'message' THEN
                CASE json_extract(NEW.data, '$.action')
                    WHEN 'edited' THEN 'message_edited'
                    WHEN 'deleted' THEN 'message_deleted'
                END
            WHEN NEW.category = 'action' AND NEW.message_type = 'groupMember' THEN
                CASE json_extract(NEW.data, '$.action')
                    WHEN 'joined' THEN 'group_member_joined'
                    WHEN 'left' THEN 'group_member_left'
                    WHEN 'added' THEN 'group_member_added'
                    WHEN 'kicked' THEN 'group_member_kicked'
                    WHEN 'banned' THEN 'group_member_banned'
                    WHEN 'unbanned' THEN 'group_member_unbanned'
                    WHEN 'scopeChanged' THEN 'group_member_scope_changed'
                END
        END);
END;

-- Receipt marks: a mark that moves forward queues message_read_receipt or message_delivery_receipt.
CREATE TRIGGER read_marks_inserted AFTER INSERT ON read_marks
WHEN EXISTS (SELECT 1 FROM webhook_triggers WHERE app_id = NEW.app_id)
BEGIN
    INSERT INTO deliveries (app_id, target_type, target, trigger, message_id, subject, conversation_id, next_attempt_at, created_at)
    SELECT NEW.app_id, 'webhook', t.webhook_id, t.trigger,
           CASE t.trigger WHEN 'message_read_receipt' THEN NEW.read_id ELSE NEW.delivered_id END,
           NEW.uid, NEW.conversation_id,
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM webhook_triggers t
    JOIN webhooks w ON w.app_id = t.app_id AND w.id = t.webhook_id AND w.enabled
    WHERE t.app_id = NEW.app_id
      AND ((t.trigger = 'message_read_receipt' AND NEW.read_id > 0)
        OR (t.trigger = 'message_delivery_receipt' AND NEW.delivered_id > 0));
END;

CREATE TRIGGER read_marks_moved AFTER UPDATE ON read_marks
WHEN EXISTS (SELECT 1 FROM webhook_triggers WHERE app_id = NEW.app_id)
BEGIN
    INSERT INTO deliveries (app_id, target_type, target, trigger, message_id, subject, conversation_id, next_attempt_at, created_at)
    SELECT NEW.app_id, 'webhook', t.webhook_id, t.trigger,
           CASE t.trigger WHEN 'message_read_receipt' THEN NEW.read_id ELSE NEW.delivered_id END,
           NEW.uid, NEW.conversation_id,
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM webhook_triggers t
    JOIN webhooks w ON w.app_id = t.app_id AND w.id = t.webhook_id AND w.enabled
    WHERE t.app_id = NEW.app_id
      AND ((t.trigger = 'message_read_receipt' AND NEW.read_id > OLD.read_id)
        OR (t.trigger = 'message_delivery_receipt' AND NEW.delivered_id > OLD.delivered_id));
END;
