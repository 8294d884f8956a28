-- Widget variants: saved widget configurations of an app, in the reference builder's settings shape (JSON
-- text, stored as given). Ids are unique on the server: the public builder URL has no app id. One variant
-- per app is its default (at most one row per app has is_default = 1).
CREATE TABLE variants (
    id         TEXT PRIMARY KEY NOT NULL,
    app_id     TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    settings   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX variants_by_app ON variants(app_id, created_at);
CREATE UNIQUE INDEX variants_one_default ON variants(app_id) WHERE is_default = 1;

-- The variant a session token signed in with; NULL: the app's default at the time of use (also once the
-- variant is deleted).
ALTER TABLE auth_tokens ADD COLUMN variant_id TEXT REFERENCES variants(id) ON DELETE SET NULL;
CREATE INDEX auth_tokens_by_variant ON auth_tokens(variant_id);
