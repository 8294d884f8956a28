-- The chat model: users, auth tokens, groups, members, bans, messages, conversations, read marks, blocks and
-- friends. Every row belongs to one app; ids (uid, guid) are stored lower-cased.

CREATE TABLE users (
    app_id          TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,
    uid             TEXT NOT NULL,
    name            TEXT NOT NULL,
    avatar          TEXT,
    link            TEXT,
    role            TEXT NOT NULL DEFAULT 'default',
    status_message  TEXT,
    metadata        TEXT,               -- JSON object
    tags            TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    last_active_at  INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER,
    deactivated_at  INTEGER,
    PRIMARY KEY (app_id, uid)
) STRICT, WITHOUT ROWID;

CREATE TABLE auth_tokens (
    token_hash BLOB PRIMARY KEY NOT NULL,
    app_id     TEXT NOT NULL,
    uid        TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    FOREIGN KEY (app_id, uid) REFERENCES users(app_id, uid) ON DELETE CASCADE
) STRICT;
CREATE INDEX auth_tokens_by_user ON auth_tokens(app_id, uid);

CREATE TABLE groups (
    app_id         TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,
    guid           TEXT NOT NULL,
    name           TEXT NOT NULL,
    group_type     TEXT NOT NULL CHECK (group_type IN ('public', 'password', 'private')),
    password_hash  TEXT,                -- salted SHA-256, password groups only
    icon           TEXT,
    description    TEXT,
    metadata       TEXT,
    owner          TEXT,
    tags           TEXT NOT NULL DEFAULT '[]',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER,
    PRIMARY KEY (app_id, guid)
) STRICT, WITHOUT ROWID;

CREATE TABLE group_members (
    app_id    TEXT NOT NULL,
    guid      TEXT NOT NULL,
    uid       TEXT NOT NULL,
    scope     TEXT NOT NULL CHECK (scope IN ('admin', 'moderator', 'participant')),
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, guid, uid),
    FOREIGN KEY (app_id, guid) REFERENCES groups(app_id, guid) ON DELETE CASCADE,
    FOREIGN KEY (app_id, uid) REFERENCES users(app_id, uid) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX group_members_by_user ON group_members(app_id, uid);

CREATE TABLE group_bans (
    app_id    TEXT NOT NULL,
    guid      TEXT NOT NULL,
    uid       TEXT NOT NULL,
    banned_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, guid, uid),
    FOREIGN KEY (app_id, guid) REFERENCES groups(app_id, guid) ON DELETE CASCADE,
    FOREIGN KEY (app_id, uid) REFERENCES users(app_id, uid) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id          TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    sender          TEXT NOT NULL,
    receiver        TEXT NOT NULL,
    receiver_type   TEXT NOT NULL CHECK (receiver_type IN ('user', 'group')),
    category        TEXT NOT NULL,
    message_type    TEXT NOT NULL,
    data            TEXT NOT NULL,       -- JSON object
    tags            TEXT NOT NULL DEFAULT '[]',
    muid            TEXT,
    sent_at         INTEGER NOT NULL,
    updated_at      INTEGER,
    edited_at       INTEGER,
    edited_by       TEXT,
    deleted_at      INTEGER,
    deleted_by      TEXT
) STRICT;
CREATE INDEX messages_by_conversation ON messages(app_id, conversation_id, id);
CREATE UNIQUE INDEX messages_by_muid ON messages(app_id, sender, muid) WHERE muid IS NOT NULL;

-- One row per conversation: its newest message, for the conversation list.
CREATE TABLE conversations (
    app_id            TEXT NOT NULL,
    conversation_id   TEXT NOT NULL,
    conversation_type TEXT NOT NULL CHECK (conversation_type IN ('user', 'group')),
    last_message_id   INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (app_id, conversation_id)
) STRICT, WITHOUT ROWID;

-- The 1:1 conversations each user takes part in (group conversations follow group_members).
CREATE TABLE direct_conversations (
    app_id          TEXT NOT NULL,
    uid             TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    with_uid        TEXT NOT NULL,
    PRIMARY KEY (app_id, uid, conversation_id)
) STRICT, WITHOUT ROWID;

-- Each user's read and delivered marks per conversation.
CREATE TABLE read_marks (
    app_id          TEXT NOT NULL,
    uid             TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    read_id         INTEGER NOT NULL DEFAULT 0,
    delivered_id    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, uid, conversation_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE blocks (
    app_id     TEXT NOT NULL,
    blocker    TEXT NOT NULL,
    blocked    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, blocker, blocked)
) STRICT, WITHOUT ROWID;

CREATE TABLE friends (
    app_id     TEXT NOT NULL,
    uid        TEXT NOT NULL,
    friend     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, uid, friend)
) STRICT, WITHOUT ROWID;

-- Apps may require userHash on uid sign-in.
ALTER TABLE apps ADD COLUMN enforce_identity INTEGER NOT NULL DEFAULT 0;
