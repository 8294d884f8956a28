-- Sign-in policy, user origins, token lifetimes, conversations keyed by structure, and membership history.

-- How `POST /v3/auth/uid` treats a uid: 'verified' (needs userHash), 'open' (any uid made by uid sign-in) or
-- 'off'. Apps that enforced identity stay verified; the others keep signing in as before, as 'open'.
ALTER TABLE apps ADD COLUMN uid_sign_in TEXT NOT NULL DEFAULT 'verified'
    CHECK (uid_sign_in IN ('verified', 'open', 'off'));
UPDATE apps SET uid_sign_in = CASE enforce_identity WHEN 1 THEN 'verified' ELSE 'open' END;
-- Roles every session may see in the user list (a JSON array).
ALTER TABLE apps ADD COLUMN visible_roles TEXT NOT NULL DEFAULT '["agent","bot"]';

-- Who made a user: 'uid' (uid sign-in, or the auth-only key), 'guest' (guest sign-in) or 'api' (the REST API
-- key, bots included). Open uid sign-in reaches only 'uid' users. Existing users cannot be told apart, so
-- all but guests count as made by the backend: signing them in by uid takes a userHash.
ALTER TABLE users ADD COLUMN origin TEXT NOT NULL DEFAULT 'api' CHECK (origin IN ('uid', 'guest', 'api'));
UPDATE users SET origin = 'guest' WHERE uid LIKE 'guest-%';

-- A token ends at `expires_at` (Unix seconds), or after `idle_secs` without use since `last_used_at`.
ALTER TABLE auth_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE auth_tokens ADD COLUMN idle_secs INTEGER;
ALTER TABLE auth_tokens ADD COLUMN last_used_at INTEGER;
UPDATE auth_tokens SET last_used_at = created_at;

-- Conversations are keyed by structure: 'u:A:B' (two sorted uids) or 'g:GUID'. The wire ids (`a_user_b`,
-- `group_GUID`) could name two conversations at once; these keys cannot (':' is not allowed in ids).
ALTER TABLE messages RENAME COLUMN conversation_id TO conversation_key;
UPDATE messages SET conversation_key = CASE receiver_type
    WHEN 'group' THEN 'g:' || receiver
    ELSE 'u:' || min(sender, receiver) || ':' || max(sender, receiver) END;

DROP TABLE conversations;
CREATE TABLE conversations (
    app_id            TEXT NOT NULL,
    conversation_key  TEXT NOT NULL,
    conversation_type TEXT NOT NULL CHECK (conversation_type IN ('user', 'group')),
    last_message_id   INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (app_id, conversation_key)
) STRICT, WITHOUT ROWID;
INSERT INTO conversations (app_id, conversation_key, conversation_type, last_message_id, updated_at)
SELECT m.app_id, m.conversation_key, m.receiver_type, m.id, m.sent_at
FROM messages m
WHERE m.id = (SELECT MAX(x.id) FROM messages x WHERE x.app_id = m.app_id AND x.conversation_key = m.conversation_key);

-- Read marks: a 1:1 mark belonged to the user's direct conversation with that id, else to the group.
ALTER TABLE read_marks RENAME COLUMN conversation_id TO conversation_key;
UPDATE read_marks SET conversation_key = COALESCE(
    (SELECT 'u:' || min(d.uid, d.with_uid) || ':' || max(d.uid, d.with_uid) FROM direct_conversations d
     WHERE d.app_id = read_marks.app_id AND d.uid = read_marks.uid AND d.conversation_id = read_marks.conversation_key),
    CASE WHEN substr(conversation_key, 1, 6) = 'group_' THEN 'g:' || substr(conversation_key, 7) END,
    'x:' || conversation_key);
DELETE FROM read_marks WHERE substr(conversation_key, 1, 2) = 'x:';

ALTER TABLE direct_conversations RENAME COLUMN conversation_id TO conversation_key;
UPDATE direct_conversations SET conversation_key = 'u:' || min(uid, with_uid) || ':' || max(uid, with_uid);

-- Periods in which a user was a member of a group, by message id: the messages after `from_id` and up to
-- `to_id` (NULL while they are a member). Resume and message lists serve a group's messages by these.
CREATE TABLE membership_periods (
    app_id  TEXT NOT NULL,
    guid    TEXT NOT NULL,
    uid     TEXT NOT NULL,
    from_id INTEGER NOT NULL,
    to_id   INTEGER,
    PRIMARY KEY (app_id, uid, guid, from_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX membership_periods_open ON membership_periods(app_id, uid, guid) WHERE to_id IS NULL;
-- Current members: from the last message sent before they joined.
INSERT INTO membership_periods (app_id, guid, uid, from_id)
SELECT gm.app_id, gm.guid, gm.uid,
       COALESCE((SELECT MAX(m.id) FROM messages m WHERE m.app_id = gm.app_id AND m.conversation_key = 'g:' || gm.guid
                 AND m.sent_at < gm.joined_at), 0)
FROM group_members gm;
