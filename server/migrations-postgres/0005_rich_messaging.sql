-- Rich messaging (as SQLite's migration 0009): thread replies, quoted replies, mentions, reactions and
-- full-text search.
ALTER TABLE messages ADD COLUMN parent_id BIGINT;
ALTER TABLE messages ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN last_reply_at BIGINT;
ALTER TABLE messages ADD COLUMN quoted_id BIGINT;
ALTER TABLE messages ADD COLUMN mentions TEXT COLLATE "C";   -- JSON array of {uid, name}
ALTER TABLE messages ADD COLUMN reactions TEXT COLLATE "C";  -- JSON array of {reaction, count, uids}
CREATE INDEX messages_by_parent ON messages(app_id, parent_id, id) WHERE parent_id IS NOT NULL;

-- The words of a message's text ('simple': every word as it is, lower-cased, in any language). `data` is
-- the JSON the server wrote; a text holding NUL (which jsonb refuses) is read with the NULs as spaces.
CREATE FUNCTION confab_search_words(data TEXT) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN to_tsvector('simple'::regconfig, COALESCE(data::jsonb ->> 'text', ''));
EXCEPTION WHEN others THEN
    BEGIN
        RETURN to_tsvector('simple'::regconfig, COALESCE(replace(data, '\u0000', ' ')::jsonb ->> 'text', ''));
    EXCEPTION WHEN others THEN
        RETURN NULL;
    END;
END;
$$;

-- The words of every message and custom message that is not deleted.
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (
    CASE WHEN category IN ('message', 'custom') AND deleted_at IS NULL THEN confab_search_words(data) END
) STORED;
CREATE INDEX messages_search ON messages USING GIN (search);

-- One row per (message, user, emoji).
CREATE TABLE message_reactions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id     TEXT COLLATE "C" NOT NULL,
    message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    uid        TEXT COLLATE "C" NOT NULL,
    reaction   TEXT COLLATE "C" NOT NULL,
    reacted_at BIGINT NOT NULL,
    UNIQUE (message_id, uid, reaction)
);
CREATE INDEX message_reactions_by_message ON message_reactions(message_id, reaction, id);

-- The newest message of each conversation's log, reaction records included (the conversation list's
-- `last_message_id` leaves those out): resume reads the conversations whose log moved past the device's id.
ALTER TABLE conversations ADD COLUMN last_event_id BIGINT NOT NULL DEFAULT 0;
UPDATE conversations SET last_event_id = last_message_id;
