-- The site owner's console: owner accounts, their sessions, and the audit log of configuration changes.
--
-- Every owner administers every app of the server. Passwords are argon2id PHC strings; session tokens are
-- stored as their SHA-256 (the cookie holds the token), with the session's CSRF token beside it.

CREATE TABLE console_owners (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    email                TEXT NOT NULL,
    -- The email folded to lower case: unique, so two owners never differ by case only.
    email_key            TEXT NOT NULL UNIQUE,
    password_hash        TEXT NOT NULL,
    -- 1 while the password is a one-time one (made by `owner create` or `owner reset-password`).
    must_change_password INTEGER NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL,
    password_changed_at  INTEGER
) STRICT;

CREATE TABLE console_sessions (
    token_hash   BLOB PRIMARY KEY NOT NULL,
    owner_id     INTEGER NOT NULL REFERENCES console_owners(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    -- The session ends here at the latest, used or not; before, after its idle time without use.
    expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX console_sessions_by_owner ON console_sessions(owner_id);

-- No foreign key on app_id: the log outlives what it tells of.
CREATE TABLE console_audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id TEXT NOT NULL,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;
CREATE INDEX console_audit_by_app ON console_audit(app_id, id);

-- The console's overview counts an app's messages by day.
CREATE INDEX messages_by_app_time ON messages(app_id, sent_at);
