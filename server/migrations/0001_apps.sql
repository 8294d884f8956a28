-- Apps and their keys. Keys are stored as SHA-256 hashes; the plain key is shown once, when it is created.
CREATE TABLE apps (
    app_id          TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    region          TEXT NOT NULL,
    -- Needed in the clear to verify userHash = HMAC-SHA256(uid, identity_secret).
    identity_secret TEXT NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
    key_hash   BLOB PRIMARY KEY NOT NULL,
    app_id     TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    -- 'authOnly' or 'fullAccess'
    scope      TEXT NOT NULL CHECK (scope IN ('authOnly', 'fullAccess')),
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX api_keys_by_app ON api_keys(app_id);
