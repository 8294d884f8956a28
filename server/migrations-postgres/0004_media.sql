-- Uploads (as SQLite's migration 0008): what each stored file is, who uploaded it, and the message that uses
-- it. The bytes live in media_chunks below, so every node reaches them.
CREATE TABLE media (
    id            TEXT COLLATE "C" PRIMARY KEY,
    app_id        TEXT COLLATE "C" NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,
    uploader      TEXT COLLATE "C",
    kind          TEXT NOT NULL,
    mime_type     TEXT NOT NULL,
    extension     TEXT NOT NULL,
    name          TEXT NOT NULL,
    size          BIGINT NOT NULL,
    width         INTEGER,
    height        INTEGER,
    thumb_size    BIGINT,
    created_at    BIGINT NOT NULL,
    claim_sender  TEXT COLLATE "C",
    claim_muid    TEXT COLLATE "C",
    message_id    BIGINT
);
CREATE INDEX media_by_app ON media(app_id);
CREATE INDEX media_by_message ON media(app_id, message_id) WHERE message_id IS NOT NULL;
CREATE INDEX media_by_uploader ON media(app_id, uploader);
CREATE INDEX media_unused ON media(created_at) WHERE message_id IS NULL;

-- The file store of a PostgreSQL deployment: each file in chunks of at most 256 KiB, by key.
CREATE TABLE media_chunks (
    file_key TEXT COLLATE "C" NOT NULL,
    seq      INTEGER NOT NULL,
    bytes    BYTEA NOT NULL,
    PRIMARY KEY (file_key, seq)
);

-- Secrets every node of a deployment shares (the media URL signing key).
CREATE TABLE server_secrets (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BYTEA NOT NULL
);
