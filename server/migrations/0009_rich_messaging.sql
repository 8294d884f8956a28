-- Rich messaging: thread replies, quoted replies, mentions, reactions and full-text search.

-- A thread reply names its parent (threads are one level deep); the parent keeps its reply count and newest
-- reply time. A quoted reply names the message it quotes. `mentions` is the JSON array of {uid, name} the
-- text mentions; `reactions` the JSON array of {reaction, count, uids} the message has, kept from
-- message_reactions in the same transaction as each change.
ALTER TABLE messages ADD COLUMN parent_id INTEGER;
ALTER TABLE messages ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN last_reply_at INTEGER;
ALTER TABLE messages ADD COLUMN quoted_id INTEGER;
ALTER TABLE messages ADD COLUMN mentions TEXT;
ALTER TABLE messages ADD COLUMN reactions TEXT;
CREATE INDEX messages_by_parent ON messages(app_id, parent_id, id) WHERE parent_id IS NOT NULL;

-- One row per (message, user, emoji).
CREATE TABLE message_reactions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id     TEXT NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    uid        TEXT NOT NULL,
    reaction   TEXT NOT NULL,
    reacted_at INTEGER NOT NULL,
    UNIQUE (message_id, uid, reaction)
) STRICT;
CREATE INDEX message_reactions_by_message ON message_reactions(message_id, reaction, id);

-- The text of every message and custom message that is not deleted, by message id (FTS5, contentless: the
-- text stays in messages.data).
CREATE VIRTUAL TABLE message_search USING fts5(
    text, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
WHEN NEW.category IN ('message', 'custom') AND json_extract(NEW.data, '$.text') IS NOT NULL
BEGIN
    INSERT INTO message_search (rowid, text) VALUES (NEW.id, json_extract(NEW.data, '$.text'));
END;
CREATE TRIGGER message_search_update AFTER UPDATE OF data ON messages
WHEN NEW.category IN ('message', 'custom')
BEGIN
    DELETE FROM message_search WHERE rowid = OLD.id;
    INSERT INTO message_search (rowid, text)
    SELECT NEW.id, json_extract(NEW.data, '$.text')
    WHERE NEW.deleted_at IS NULL AND json_extract(NEW.data, '$.text') IS NOT NULL;
END;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages
BEGIN
    DELETE FROM message_search WHERE rowid = OLD.id;
END;
INSERT INTO message_search (rowid, text)
SELECT id, json_extract(data, '$.text') FROM messages
WHERE category IN ('message', 'custom') AND deleted_at IS NULL AND json_extract(data, '$.text') IS NOT NULL;

-- The newest message of each conversation's log, reaction records included (the conversation list's
-- `last_message_id` leaves those out): resume reads the conversations whose log moved past the device's id.
ALTER TABLE conversations ADD COLUMN last_event_id INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET last_event_id = last_message_id;
