-- Widget variants (as SQLite's migration 0006): saved widget configurations of an app, in the reference
-- builder's settings shape (JSON text, stored as given). Ids are unique on the server: the public builder
-- URL has no app id. One variant per app is its default (at most one row per app has is_default).
CREATE TABLE variants (
    id         TEXT COLLATE "C" PRIMARY KEY,
    -- Creation order (SQLite's rowid): the oldest remaining variant becomes default when the default goes.
    seq        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    app_id     TEXT COLLATE "C" NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,
    name       TEXT COLLATE "C" NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    settings   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX variants_by_app ON variants(app_id, created_at, seq);
CREATE UNIQUE INDEX variants_one_default ON variants(app_id) WHERE is_default;

-- The variant a session token signed in with; NULL: the app's default at the time of use (also once the
-- variant is deleted).
ALTER TABLE auth_tokens ADD COLUMN variant_id TEXT COLLATE "C" REFERENCES variants(id) ON DELETE SET NULL;
CREATE INDEX auth_tokens_by_variant ON auth_tokens(variant_id);
