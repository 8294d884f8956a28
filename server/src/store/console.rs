//! What the site owner's console keeps: owner accounts, their sessions, the audit log, and the console's
//! views of apps and keys (listing, creating, revoking, renaming, rotating the identity secret, counting).

use async_trait::async_trait;

use super::{KeyScope, NewKey, PageRequest, StoreResult};

/// An owner account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerRecord {
    /// Its id.
    pub id: i64,
    /// The email as given at creation.
    pub email: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    /// The password is a one-time one: it must be changed before anything else.
    pub must_change_password: bool,
    /// When the account was made.
    pub created_at: i64,
}

/// The key two emails are the same under: the email trimmed and folded to lower case.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A console session to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsoleSession {
    /// SHA-256 of the cookie's token.
    pub token_hash: Vec<u8>,
    /// The owner signed in.
    pub owner_id: i64,
    /// What `x-csrf-token` must say.
    pub csrf_token: String,
    /// When it was made (also its first use).
    pub created_at: i64,
    /// When it ends at the latest.
    pub expires_at: i64,
}

/// A live console session and its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSessionRecord {
    /// The owner.
    pub owner_id: i64,
    /// The owner's email.
    pub email: String,
    /// The owner's password is a one-time one.
    pub must_change_password: bool,
    /// What `x-csrf-token` must say.
    pub csrf_token: String,
    /// When it was made.
    pub created_at: i64,
    /// When it was last used (before this use).
    pub last_used_at: i64,
    /// When it ends at the latest.
    pub expires_at: i64,
}

/// A line to add to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    /// The app changed.
    pub app_id: String,
    /// When.
    pub at: i64,
    /// Who: an owner's email, or `apikey:<key id>`.
    pub actor: String,
    /// What, like `key.create`.
    pub action: String,
    /// The id of what changed; empty for the app itself.
    pub target: String,
    /// A short summary, never a secret.
    pub detail: String,
}

/// A line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its id, growing with time.
    pub id: i64,
    /// The line as added.
    pub entry: NewAudit,
}

/// A key of an app as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyListing {
    /// The first 16 hex characters of the key's SHA-256 ([`key_id`]).
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it may do.
    pub scope: KeyScope,
    /// When it was made.
    pub created_at: i64,
}

/// The console's id of a key with this hash: the first 16 hex characters of its SHA-256.
pub fn key_id(hash: &[u8]) -> String {
    crate::secrets::hex(&hash[..hash.len().min(8)])
}

/// An app as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppListing {
    /// Its id.
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// Region.
    pub region: String,
    /// When it was made.
    pub created_at: i64,
}

/// An app's activity, counted by [`ConsoleStore::overview`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverviewCounts {
    /// Messages per UTC day for the `days` days ending with today, oldest first: (day number since the Unix
    /// epoch, count). Every day is there, with 0 when nothing was sent.
    pub per_day: Vec<(i64, u64)>,
    /// Distinct senders in those days (the app's own sender not counted).
    pub active_users: u64,
    /// Users of the app.
    pub users_total: u64,
}

impl OverviewCounts {
    /// Messages of the last day (today).
    pub fn today(&self) -> u64 {
        self.per_day.last().map_or(0, |(_, count)| *count)
    }
}

/// Seconds in a day.
pub const DAY_SECS: i64 = 24 * 3600;

/// A user's sign-in token as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceTokenRecord {
    /// When it was issued.
    pub created_at: i64,
    /// When it was last used.
    pub last_used_at: Option<i64>,
    /// When it ends unless used again: the earlier of its fixed end and its idle end.
    pub expires_at: Option<i64>,
}

/// The end of a token with these times: the earlier of `expires_at` and `last_used_at + idle_secs`.
pub fn token_end(expires_at: Option<i64>, last_used_at: Option<i64>, created_at: i64, idle_secs: Option<i64>) -> Option<i64> {
    let idle_end = idle_secs.map(|idle| last_used_at.unwrap_or(created_at).saturating_add(idle));
    match (expires_at, idle_end) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Owners, console sessions, the audit log, and the console's app and key operations.
#[async_trait]
pub trait ConsoleStore: Send + Sync + 'static {
    /// Makes an owner; `Conflict` when one with the same [`email_key`] exists. Gives its id.
    async fn create_owner(&self, email: &str, password_hash: &str, must_change_password: bool, now: i64) -> StoreResult<i64>;
    /// The owner with this email (any case).
    async fn owner_by_email(&self, email: &str) -> StoreResult<Option<OwnerRecord>>;
    /// Sets an owner's password hash and whether it is a one-time one; false when there is no such owner.
    async fn set_owner_password(&self, owner_id: i64, password_hash: &str, must_change_password: bool, now: i64) -> StoreResult<bool>;

    /// Stores a new session.
    async fn create_console_session(&self, session: &NewConsoleSession) -> StoreResult<()>;
    /// The live session with this token hash, used now: not past its `expires_at`, and used less than
    /// `idle_secs` ago. Records the use. An ended session is deleted and not found.
    async fn use_console_session(&self, token_hash: &[u8], now: i64, idle_secs: i64) -> StoreResult<Option<ConsoleSessionRecord>>;
    /// Ends a session; false when there was none.
    async fn delete_console_session(&self, token_hash: &[u8]) -> StoreResult<bool>;
    /// Ends every session of the owner but `keep` (when given); gives how many ended.
    async fn delete_owner_sessions(&self, owner_id: i64, keep: Option<&[u8]>) -> StoreResult<u64>;

    /// Adds a line to the audit log; gives its id.
    async fn append_audit(&self, entry: &NewAudit) -> StoreResult<i64>;
    /// A page of the app's audit log, newest first, and the app's line count.
    async fn audit_log(&self, app_id: &str, page: PageRequest) -> StoreResult<(Vec<AuditRecord>, u64)>;

    /// Every app, oldest first.
    async fn list_apps(&self) -> StoreResult<Vec<AppListing>>;
    /// Renames an app; false when there is no such app.
    async fn rename_app(&self, app_id: &str, name: &str) -> StoreResult<bool>;
    /// Replaces an app's identity secret; false when there is no such app.
    async fn set_identity_secret(&self, app_id: &str, secret: &str) -> StoreResult<bool>;

    /// The app's keys, oldest first.
    async fn list_keys(&self, app_id: &str) -> StoreResult<Vec<KeyListing>>;
    /// Adds a key to the app (names need not be unique; [`AppStore::replace_key`](super::AppStore) replaces by name).
    async fn add_key(&self, app_id: &str, key: &NewKey, now: i64) -> StoreResult<()>;
    /// Deletes the app's key whose [`key_id`] is `id`; gives its hash, `None` when it has none such.
    async fn revoke_key(&self, app_id: &str, id: &str) -> StoreResult<Option<Vec<u8>>>;

    /// The app's counts for the `days` UTC days ending with the day of `now`.
    async fn overview(&self, app_id: &str, now: i64, days: u32) -> StoreResult<OverviewCounts>;
    /// The user's live sign-in tokens at `now`, oldest first.
    async fn user_tokens(&self, app_id: &str, uid: &str, now: i64) -> StoreResult<Vec<DeviceTokenRecord>>;
}

/// `days` consecutive UTC day numbers ending with the day of `now`, each with its count from `counted`
/// (day number, count) or 0.
pub fn fill_days(now: i64, days: u32, counted: &[(i64, u64)]) -> Vec<(i64, u64)> {
    let today = now.div_euclid(DAY_SECS);
    let first = today - i64::from(days.max(1)) + 1;
    (first..=today).map(|day| (day, counted.iter().find(|(d, _)| *d == day).map_or(0, |(_, c)| *c))).collect()
}

/// The first second of the oldest of the `days` days ending with the day of `now`.
pub fn window_start(now: i64, days: u32) -> i64 {
    (now.div_euclid(DAY_SECS) - i64::from(days.max(1)) + 1) * DAY_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_filled_oldest_first_ending_today() {
        let now = 10 * DAY_SECS + 5;
        assert_eq!(fill_days(now, 3, &[(9, 4), (10, 1), (2, 7)]), vec![(8, 0), (9, 4), (10, 1)]);
        assert_eq!(window_start(now, 3), 8 * DAY_SECS);
    }

    #[test]
    fn key_ids_are_16_hex_of_the_hash() {
        let hash = crate::secrets::key_hash("k");
        let id = key_id(&hash);
        assert_eq!(id.len(), 16);
        assert!(crate::secrets::hex(&hash).starts_with(&id));
    }

    #[test]
    fn token_ends_at_the_earlier_end() {
        assert_eq!(token_end(Some(100), Some(10), 0, Some(50)), Some(60));
        assert_eq!(token_end(Some(100), None, 0, None), Some(100));
        assert_eq!(token_end(None, None, 5, Some(50)), Some(55));
        assert_eq!(token_end(None, None, 5, None), None);
    }

    #[test]
    fn emails_compare_without_case() {
        assert_eq!(email_key(" Owner@Example.COM "), "owner@example.com");
    }
}
