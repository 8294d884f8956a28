-- The PostgreSQL schema: the same tables as the SQLite schema after its migration 0004, in native types.
--
-- - Every text column is `COLLATE "C"`: comparisons, ordering and `lower()` behave as in SQLite (bytewise,
--   and `lower()` folds ASCII only, like SQLite's NOCASE), whatever the database's default collation is.
-- - Times are BIGINT (Unix seconds, or Unix ms where noted), flags BOOLEAN, key hashes BYTEA.
-- - Tags and role lists are TEXT[]. JSON documents (user and group metadata, message data, delivery detail)
--   are TEXT holding the JSON the server wrote: they come back byte for byte, and JSONB would refuse the
--   `\u0000` escape a message may carry. Nothing queries inside them.
-- - No triggers: the server queues bot and webhook deliveries itself in the transaction that stores the
--   event (`hooks::routing`).
-- - Message ids come from an identity sequence with the default CACHE 1: ids are handed out in the order
--   the transactions ask for them. The store asks under one advisory lock held to commit, so message ids
--   also commit in id order (see `store::postgres`). Never give this sequence a cache.

-- Apps and their keys. Keys are stored as SHA-256 hashes; the plain key is shown once, when it is created.
CREATE TABLE apps (
    app_id           TEXT COLLATE "C" PRIMARY KEY,
    name             TEXT COLLATE "C" NOT NULL,
    region           TEXT COLLATE "C" NOT NULL,
    -- Needed in the clear to verify userHash = HMAC-SHA256(uid, identity_secret).
    identity_secret  TEXT COLLATE "C" NOT NULL,
    created_at       BIGINT NOT NULL,
    -- Kept in step with uid_sign_in = 'verified'.
    enforce_identity BOOLEAN NOT NULL DEFAULT FALSE,
    -- How `POST /v3/auth/uid` treats a uid: 'verified' (needs userHash), 'open' or 'off'.
    uid_sign_in      TEXT COLLATE "C" NOT NULL DEFAULT 'verified' CHECK (uid_sign_in IN ('verified', 'open', 'off')),
    -- Roles every session may see in the user list.
    visible_roles    TEXT[] COLLATE "C" NOT NULL DEFAULT ARRAY['agent', 'bot']
);

CREATE TABLE api_keys (
    key_hash   BYTEA PRIMARY KEY,
    app_id     TEXT COLLATE "C" NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,
    name       TEXT COLLATE "C" NOT NULL,
    scope      TEXT COLLATE "C" NOT NULL CHECK (scope IN ('authOnly', 'fullAccess')),
    created_at BIGINT NOT NULL
);
CREATE INDEX api_keys_by_app ON api_keys(app_id);

-- The chat model. Every row belongs to one app; ids (uid, guid) are stored lower-cased.
CREATE TABLE users (
    app_id          TEXT COLLATE "C" NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,
    uid             TEXT COLLATE "C" NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    avatar          TEXT COLLATE "C",
    link            TEXT COLLATE "C",
    role            TEXT COLLATE "C" NOT NULL DEFAULT 'default',
    status_message  TEXT COLLATE "C",
    metadata        TEXT COLLATE "C",                 -- JSON object
    tags            TEXT[] COLLATE "C" NOT NULL DEFAULT '{}',
    last_active_at  BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT,
    deactivated_at  BIGINT,
    -- Who made the user: 'uid' (uid sign-in, or the auth-only key), 'guest' or 'api' (the REST API key).
    origin          TEXT COLLATE "C" NOT NULL DEFAULT 'api' CHECK (origin IN ('uid', 'guest', 'api')),
    PRIMARY KEY (app_id, uid)
);

-- A token ends at `expires_at` (Unix seconds), or after `idle_secs` without use since `last_used_at`.
CREATE TABLE auth_tokens (
    token_hash   BYTEA PRIMARY KEY,
    -- Creation order (SQLite's rowid), for listing a user's tokens oldest first.
    seq          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    app_id       TEXT COLLATE "C" NOT NULL,
    uid          TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    idle_secs    BIGINT,
    last_used_at BIGINT,
    FOREIGN KEY (app_id, uid) REFERENCES users(app_id, uid) ON DELETE CASCADE
);
CREATE INDEX auth_tokens_by_user ON auth_tokens(app_id, uid);

CREATE TABLE groups (
    app_id         TEXT COLLATE "C" NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,
    guid           TEXT COLLATE "C" NOT NULL,
    name           TEXT COLLATE "C" NOT NULL,
    group_type     TEXT COLLATE "C" NOT NULL CHECK (group_type IN ('public', 'password', 'private')),
    password_hash  TEXT COLLATE "C",                  -- password groups only
    icon           TEXT COLLATE "C",
    description    TEXT COLLATE "C",
    metadata       TEXT COLLATE "C",                  -- JSON object
    owner          TEXT COLLATE "C",
    tags           TEXT[] COLLATE "C" NOT NULL DEFAULT '{}',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT,
    PRIMARY KEY (app_id, guid)
);

CREATE TABLE group_members (
    app_id    TEXT COLLATE "C" NOT NULL,
    guid      TEXT COLLATE "C" NOT NULL,
    uid       TEXT COLLATE "C" NOT NULL,
    scope     TEXT COLLATE "C" NOT NULL CHECK (scope IN ('admin', 'moderator', 'participant')),
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, guid, uid),
    FOREIGN KEY (app_id, guid) REFERENCES groups(app_id, guid) ON DELETE CASCADE,
    FOREIGN KEY (app_id, uid) REFERENCES users(app_id, uid) ON DELETE CASCADE
);
CREATE INDEX group_members_by_user ON group_members(app_id, uid);

CREATE TABLE group_bans (
    app_id    TEXT COLLATE "C" NOT NULL,
    guid      TEXT COLLATE "C" NOT NULL,
    uid       TEXT COLLATE "C" NOT NULL,
    banned_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, guid, uid),
    FOREIGN KEY (app_id, guid) REFERENCES groups(app_id, guid) ON DELETE CASCADE,
    FOREIGN KEY (app_id, uid) REFERENCES users(app_id, uid) ON DELETE CASCADE
);

-- Conversations are keyed by structure: 'u:A:B' (two sorted uids) or 'g:GUID'; a deleted user's 1:1
-- conversations move under a retired key 'x:TIME:u:A:B' no one takes part in.
CREATE TABLE messages (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id           TEXT COLLATE "C" NOT NULL,
    conversation_key TEXT COLLATE "C" NOT NULL,
    sender           TEXT COLLATE "C" NOT NULL,
    receiver         TEXT COLLATE "C" NOT NULL,
    receiver_type    TEXT COLLATE "C" NOT NULL CHECK (receiver_type IN ('user', 'group')),
    category         TEXT COLLATE "C" NOT NULL,
    message_type     TEXT COLLATE "C" NOT NULL,
    data             TEXT COLLATE "C" NOT NULL,       -- JSON object
    tags             TEXT[] COLLATE "C" NOT NULL DEFAULT '{}',
    muid             TEXT COLLATE "C",
    sent_at          BIGINT NOT NULL,
    updated_at       BIGINT,
    edited_at        BIGINT,
    edited_by        TEXT COLLATE "C",
    deleted_at       BIGINT,
    deleted_by       TEXT COLLATE "C"
);
CREATE INDEX messages_by_conversation ON messages(app_id, conversation_key, id);
CREATE UNIQUE INDEX messages_by_muid ON messages(app_id, sender, muid) WHERE muid IS NOT NULL;
-- A deleted user's messages become tombstones: found by sender, not by a scan of every message.
CREATE INDEX messages_by_sender ON messages(app_id, sender);

-- One row per conversation: its newest message, for the conversation list.
CREATE TABLE conversations (
    app_id            TEXT COLLATE "C" NOT NULL,
    conversation_key  TEXT COLLATE "C" NOT NULL,
    conversation_type TEXT COLLATE "C" NOT NULL CHECK (conversation_type IN ('user', 'group')),
    last_message_id   BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (app_id, conversation_key)
);

-- The 1:1 conversations each user takes part in (group conversations follow group_members).
CREATE TABLE direct_conversations (
    app_id           TEXT COLLATE "C" NOT NULL,
    uid              TEXT COLLATE "C" NOT NULL,
    conversation_key TEXT COLLATE "C" NOT NULL,
    with_uid         TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (app_id, uid, conversation_key)
);

-- Each user's read and delivered marks per conversation.
CREATE TABLE read_marks (
    app_id           TEXT COLLATE "C" NOT NULL,
    uid              TEXT COLLATE "C" NOT NULL,
    conversation_key TEXT COLLATE "C" NOT NULL,
    read_id          BIGINT NOT NULL DEFAULT 0,
    delivered_id     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, uid, conversation_key)
);

CREATE TABLE blocks (
    app_id     TEXT COLLATE "C" NOT NULL,
    blocker    TEXT COLLATE "C" NOT NULL,
    blocked    TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, blocker, blocked)
);

CREATE TABLE friends (
    app_id     TEXT COLLATE "C" NOT NULL,
    uid        TEXT COLLATE "C" NOT NULL,
    friend     TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, uid, friend)
);

-- Periods in which a user was a member of a group, by message id: the messages after `from_id` and up to
-- `to_id` (NULL while they are a member). Resume and message lists serve a group's messages by these.
CREATE TABLE membership_periods (
    app_id  TEXT COLLATE "C" NOT NULL,
    guid    TEXT COLLATE "C" NOT NULL,
    uid     TEXT COLLATE "C" NOT NULL,
    from_id BIGINT NOT NULL,
    to_id   BIGINT,
    PRIMARY KEY (app_id, uid, guid, from_id)
);
CREATE UNIQUE INDEX membership_periods_open ON membership_periods(app_id, uid, guid) WHERE to_id IS NULL;

-- Bots, webhooks, and the outbox of calls to them. A message's delivery keeps its content as sent
-- (`detail`), so a later edit or delete does not change what the call says was sent.
CREATE TABLE bots (
    app_id              TEXT COLLATE "C" NOT NULL,
    uid                 TEXT COLLATE "C" NOT NULL,
    webhook_url         TEXT COLLATE "C" NOT NULL,
    enabled             BOOLEAN NOT NULL DEFAULT TRUE,
    group_chat_setting  TEXT COLLATE "C" NOT NULL
        CHECK (group_chat_setting IN ('allMessages', 'slashedMessages', 'mentionedMessages', 'none')),
    basic_auth_user     TEXT COLLATE "C",
    basic_auth_password TEXT COLLATE "C",             -- sent to the bot's server, so kept as given
    signing_secret      TEXT COLLATE "C" NOT NULL,    -- the HMAC key of X-Confab-Signature
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT,
    PRIMARY KEY (app_id, uid),
    FOREIGN KEY (app_id, uid) REFERENCES users(app_id, uid) ON DELETE CASCADE
);

CREATE TABLE webhooks (
    app_id              TEXT COLLATE "C" NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,
    id                  TEXT COLLATE "C" NOT NULL,
    name                TEXT COLLATE "C" NOT NULL,
    url                 TEXT COLLATE "C" NOT NULL,
    enabled             BOOLEAN NOT NULL DEFAULT TRUE,
    basic_auth_user     TEXT COLLATE "C",
    basic_auth_password TEXT COLLATE "C",
    signing_secret      TEXT COLLATE "C" NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT,
    PRIMARY KEY (app_id, id)
);

CREATE TABLE webhook_triggers (
    app_id     TEXT COLLATE "C" NOT NULL,
    trigger    TEXT COLLATE "C" NOT NULL,
    webhook_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (app_id, trigger, webhook_id),
    FOREIGN KEY (app_id, webhook_id) REFERENCES webhooks(app_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_triggers_by_webhook ON webhook_triggers(app_id, webhook_id);

-- A claimed delivery is leased to the node that claimed it until `lease_until` (Unix ms); its
-- `next_attempt_at` moves to the lease's end too, so a delivery whose node died is due again (and the
-- dispatchers' "next due" covers it) once the lease ends.
CREATE TABLE deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id          TEXT COLLATE "C" NOT NULL,
    target_type     TEXT COLLATE "C" NOT NULL CHECK (target_type IN ('bot', 'webhook')),
    target          TEXT COLLATE "C" NOT NULL,        -- bot uid or webhook id
    trigger         TEXT COLLATE "C" NOT NULL,
    message_id      BIGINT,                           -- the message (or the receipt mark's message)
    subject         TEXT COLLATE "C",                 -- the user a receipt or presence change is about
    conversation_id TEXT COLLATE "C",                 -- a receipt's conversation (wire id)
    detail          TEXT COLLATE "C",                 -- JSON: the message's content as sent, or a presence change
    state           TEXT COLLATE "C" NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    lease_until     BIGINT,                           -- Unix ms; set while a node calls
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,                  -- Unix ms
    last_error      TEXT COLLATE "C",
    last_status     BIGINT,
    created_at      BIGINT NOT NULL,                  -- Unix ms
    finished_at     BIGINT                            -- Unix ms
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX deliveries_by_app ON deliveries(app_id, state, id);
