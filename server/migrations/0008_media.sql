-- Uploads (`POST /v3/media`): what each stored file is, who uploaded it, and the message that uses it. The
-- bytes live in the file store (the data directory's `media/` folder for SQLite). Ids are unique on the
-- server: a signed download URL names only the id.
CREATE TABLE media (
    id            TEXT PRIMARY KEY NOT NULL,
    app_id        TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,
    -- The uploading user; NULL: the REST API key without onBehalfOf.
    uploader      TEXT,
    kind          TEXT NOT NULL,
    mime_type     TEXT NOT NULL,
    extension     TEXT NOT NULL,
    name          TEXT NOT NULL,
    size          INTEGER NOT NULL,
    width         INTEGER,
    height        INTEGER,
    -- Size of the thumbnail in the file store; NULL: none.
    thumb_size    INTEGER,
    created_at    INTEGER NOT NULL,
    -- The send that claimed it, by (sender, muid), before the message is stored; a claim whose message never
    -- came is released, or swept with the unused uploads.
    claim_sender  TEXT,
    claim_muid    TEXT,
    message_id    INTEGER
) STRICT;
CREATE INDEX media_by_app ON media(app_id);
CREATE INDEX media_by_message ON media(app_id, message_id) WHERE message_id IS NOT NULL;
CREATE INDEX media_by_uploader ON media(app_id, uploader);
CREATE INDEX media_unused ON media(created_at) WHERE message_id IS NULL;

-- Secrets every node of a deployment shares (the media URL signing key).
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
) STRICT;
