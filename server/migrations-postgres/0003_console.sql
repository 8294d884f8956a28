-- The site owner's console: owner accounts, their sessions, and the audit log of configuration changes
-- (the same tables as SQLite's migration 0007).
--
-- Every owner administers every app of the server. Passwords are argon2id PHC strings; session tokens are
-- stored as their SHA-256 (the cookie holds the token), with the session's CSRF token beside it.

CREATE TABLE console_owners (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email                TEXT COLLATE "C" NOT NULL,
    -- The email folded to lower case: unique, so two owners never differ by case only.
    email_key            TEXT COLLATE "C" NOT NULL UNIQUE,
    password_hash        TEXT COLLATE "C" NOT NULL,
    -- True while the password is a one-time one (made by `owner create` or `owner reset-password`).
    must_change_password BOOLEAN NOT NULL DEFAULT TRUE,
    created_at           BIGINT NOT NULL,
    password_changed_at  BIGINT
);

CREATE TABLE console_sessions (
    token_hash   BYTEA PRIMARY KEY,
    owner_id     BIGINT NOT NULL REFERENCES console_owners(id) ON DELETE CASCADE,
    csrf_token   TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    -- The session ends here at the latest, used or not; before, after its idle time without use.
    expires_at   BIGINT NOT NULL
);
CREATE INDEX console_sessions_by_owner ON console_sessions(owner_id);

-- No foreign key on app_id: the log outlives what it tells of.
CREATE TABLE console_audit (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id TEXT COLLATE "C" NOT NULL,
    at     BIGINT NOT NULL,
    actor  TEXT COLLATE "C" NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    target TEXT COLLATE "C" NOT NULL,
    detail TEXT COLLATE "C" NOT NULL
);
CREATE INDEX console_audit_by_app ON console_audit(app_id, id);

-- The console's overview counts an app's messages by day.
CREATE INDEX messages_by_app_time ON messages(app_id, sent_at);
