//! The shared backend: one PostgreSQL database for any number of nodes, migrated on open
//! (`migrations-postgres/`).
//!
//! Reads and most writes run on a pool of connections. Message sends go through the [`writer`] task, which
//! commits them in batches (group commit): each send is answered only after the transaction holding it
//! committed. It behaves as the SQLite backend does; what differs is what many nodes on one database need:
//!
//! # Message ids commit in id order
//!
//! A device resumes with "every message with id > X" (`message_log`, `READABLE_RANGES`). That is only
//! right if, whenever a reader has seen message X committed, every message with a smaller id that will
//! ever commit has committed already: **at every snapshot, the committed message ids are downward closed**
//! (sequence gaps left by rolled-back transactions aside). Ids drawn from a sequence by concurrent
//! transactions do not give that: T1 draws 7, T2 draws 8, T2 commits, a reader passes 8, T1 commits 7,
//! and the reader never sees 7.
//!
//! So every transaction that inserts into `messages` first takes one transaction-scoped advisory lock,
//! [`lock_message_log`] (`pg_advisory_xact_lock(MESSAGE_LOG_LOCK)`), and only then draws ids (the insert).
//! The lock is held until the transaction ends, and PostgreSQL releases a transaction's locks only after
//! its commit is durable and visible to new snapshots. Hence, for two message-inserting transactions T1
//! and T2 where T2 takes the lock after T1:
//! - every id T2 draws is greater than every id T1 drew (the sequence hands out increasing values, with
//!   its default `CACHE 1`, and T2 draws after T1 finished drawing);
//! - T2 commits after T1's commit became visible, so any snapshot that sees T2's messages sees T1's.
//!
//! Ordering all such transactions by when they took the lock orders both their ids and their commits, so
//! no snapshot can hold a message without every lower committed id. Nothing else may draw message ids:
//! every insert goes through [`messages::insert_message`], whose callers hold the lock.
//!
//! The same lock also serialises the few transactions that change what a send checks or where its message
//! lands (deleting a user or a group, deactivating users, blocking): a send's checks run under the lock in
//! the transaction of its insert, so such a change and a send are ordered exactly as SQLite's single writer
//! orders them, and no message can slip into a conversation a concurrent deletion is closing. Every lock
//! taker takes it first, before any row lock, so the lock never takes part in a deadlock.
//!
//! # Deliveries
//!
//! Bot and webhook deliveries are queued in the transaction that stores the event, by
//! [`crate::hooks::routing`] (no triggers). Many nodes claim them at once: a claim locks due rows with
//! `FOR UPDATE SKIP LOCKED` and leases them (`lease_until`) to the claiming node; a node that dies leaves
//! leases that expire, and the deliveries are claimed again (at least once). See [`hooks`].
//!
//! # Signals across nodes
//!
//! A transaction that stores messages, queues deliveries or changes group membership calls `pg_notify` on
//! `confab_messages`, `confab_deliveries` or `confab_membership` (delivered at commit). A listener task
//! per store wakes [`MessageStore::message_log_signal`](crate::store::MessageStore::message_log_signal),
//! [`HookStore::delivery_signal`](crate::store::HookStore::delivery_signal) or bumps
//! [`GroupStore::membership_generation`](crate::store::GroupStore::membership_generation) on each; local
//! commits also signal at once, without waiting for the round trip. A notification lost while the
//! listener reconnects is made up for by waking everything once it listens again (and the waiters poll
//! anyway).

mod apps;
mod console;
mod groups;
mod hooks;
mod media;
mod messages;
mod rows;
mod social;
mod users;
mod variants;
mod writer;

#[cfg(test)]
pub(crate) mod tests;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

use super::StoreError;

/// The key of the advisory lock every message-inserting transaction holds (see the module docs). Any
/// fixed value unlikely to be used by something else on the database: "confabml" in ASCII.
const MESSAGE_LOG_LOCK: i64 = 0x636f_6e66_6162_6d6c;

/// The longest one statement may run: past it PostgreSQL cancels it and the request fails, so one slow
/// request cannot hold a connection for long.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections of the main pool.
const POOL_SIZE: u32 = 10;
/// Connections of the priority pool.
const PRIORITY_POOL_SIZE: u32 = 2;

/// The notification channels.
const MESSAGES_CHANNEL: &str = "confab_messages";
const DELIVERIES_CHANNEL: &str = "confab_deliveries";
const MEMBERSHIP_CHANNEL: &str = "confab_membership";

/// Every store notifies this channel every [`HEARTBEAT_EVERY`], so a listener hears something at least
/// that often; one that hears nothing for [`LISTENER_SILENCE`] is on a dead connection (a TCP connection
/// can die without an error) and is replaced.
const HEARTBEAT_CHANNEL: &str = "confab_heartbeat";
const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);
const LISTENER_SILENCE: Duration = Duration::from_secs(35);

/// The longest wait before the listener tries to reconnect.
const MAX_LISTEN_BACKOFF: Duration = Duration::from_secs(5);

/// A [`Store`](super::Store) on a PostgreSQL database, shared by any number of nodes.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// A few connections of their own for what must answer while the main pool is busy: `/healthz`, and
    /// the lookups every sign-in and request makes (apps, keys, tokens).
    priority: PgPool,
    writer: writer::Writer,
    signals: Arc<Signals>,
    _background: Arc<Background>,
    /// Uploads' bytes, in the same database.
    files: Arc<crate::media::files::PgFileStore>,
}

/// What waiters on this node wait on.
#[derive(Debug, Default)]
struct Signals {
    committed: Arc<Notify>,
    deliveries: Arc<Notify>,
    membership: AtomicU64,
}

/// Wakes whoever waits on `notify` now, and the next one to wait if no one does (the tailer and the
/// dispatcher wait in a loop; a spare wake-up costs them one read).
fn wake(notify: &Notify) {
    notify.notify_waiters();
    notify.notify_one();
}

impl Signals {
    /// After a local commit of `changes` (other nodes hear of it through the notifications).
    fn committed(&self, changes: Changes) {
        if changes.membership {
            self.membership.fetch_add(1, Ordering::SeqCst);
        }
        if changes.messages {
            wake(&self.committed);
        }
        if changes.deliveries || changes.messages {
            wake(&self.deliveries);
        }
    }

    /// Anything may have changed (notifications may have been lost).
    fn everything(&self) {
        self.committed(Changes { messages: true, deliveries: true, membership: true });
    }
}

/// What a transaction changed that waiters on every node care about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Changes {
    /// Stored (or moved or tombstoned) messages.
    messages: bool,
    /// Queued deliveries.
    deliveries: bool,
    /// Changed group memberships.
    membership: bool,
}

impl Changes {
    const MESSAGES: Self = Self { messages: true, deliveries: false, membership: false };
    const DELIVERIES: Self = Self { messages: false, deliveries: true, membership: false };
    const MEMBERSHIP: Self = Self { messages: false, deliveries: false, membership: true };

    fn and(self, other: Self) -> Self {
        Self {
            messages: self.messages || other.messages,
            deliveries: self.deliveries || other.deliveries,
            membership: self.membership || other.membership,
        }
    }
}

/// Tasks that live as long as the store (its last clone): aborted on drop.
#[derive(Debug)]
struct Background(Vec<tokio::task::AbortHandle>);

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgres://` URL) and applies pending migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|e| StoreError::Open(format!("database URL: {e}")))?;
        let open_err = |e: sqlx::Error| StoreError::Open(format!("{}: {e}", redacted(&options)));
        // Migrations run on a connection of their own, without the statement time-out (a large database
        // may take a while once). Nodes starting at once are safe: sqlx 0.8.6's `Migrator::run` takes
        // `pg_advisory_lock` (a key derived from the database name) before it even creates
        // `_sqlx_migrations`, and releases it when done (`Migrator::locking` is on by default; see
        // sqlx-postgres `migrate.rs`, `lock`/`unlock`). The others wait on the lock, then find every
        // migration applied. If a migration fails, closing the connection releases the lock.
        let mut migrating = options.connect().await.map_err(open_err)?;
        let migrated = sqlx::migrate!("./migrations-postgres").run(&mut migrating).await;
        let _ = migrating.close().await;
        migrated.map_err(|e| StoreError::Open(format!("migrations: {e}")))?;

        let pool = timed_pool(POOL_SIZE).connect_with(options.clone()).await.map_err(open_err)?;
        let priority = timed_pool(PRIORITY_POOL_SIZE).connect_with(options.clone()).await.map_err(open_err)?;
        let signals = Arc::new(Signals::default());
        // Listening before `open` answers: whatever commits from now on wakes this store.
        let listener = listen(&options).await.map_err(open_err)?;
        let listening = tokio::spawn(keep_listening(listener, options, signals.clone()));
        let heartbeat = tokio::spawn(heartbeat(priority.clone()));
        let writer = writer::Writer::start(pool.clone(), signals.clone());
        let background = Background(vec![listening.abort_handle(), heartbeat.abort_handle()]);
        let files = Arc::new(crate::media::files::PgFileStore::new(pool.clone()));
        Ok(Self { pool, priority, writer, signals, _background: Arc::new(background), files })
    }

    /// After a local commit of `changes`.
    fn committed(&self, changes: Changes) {
        self.signals.committed(changes);
    }
}

/// The URL's host and database, for errors (never the password).
fn redacted(options: &PgConnectOptions) -> String {
    format!("postgres://{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or_default())
}

/// The longest a connection may sit idle inside an open transaction before PostgreSQL ends its session.
pub const IDLE_IN_TRANSACTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The longest a call waits for a pool connection. Past it (all busy, or the database unreachable while
/// the pool keeps trying to connect) the call fails as unavailable (503) instead of hanging.
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A pool of `size` connections whose statements are cancelled past [`STATEMENT_TIMEOUT`].
fn timed_pool(size: u32) -> PgPoolOptions {
    PgPoolOptions::new().max_connections(size).acquire_timeout(ACQUIRE_TIMEOUT).after_connect(|conn, _meta| {
        Box::pin(async move {
            sqlx::query(&format!("SET statement_timeout = {}", STATEMENT_TIMEOUT.as_millis())).execute(&mut *conn).await?;
            // A node that stalls inside a transaction (holding the message-log lock, say) loses it after this
            // long instead of holding every other node's sends until TCP notices.
            sqlx::query(&format!("SET idle_in_transaction_session_timeout = {}", IDLE_IN_TRANSACTION_TIMEOUT.as_millis()))
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
    })
}

/// A listener on the three channels, on a connection of its own (no time-out: it waits).
async fn listen(options: &PgConnectOptions) -> Result<PgListener, sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_with(options.clone())
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen_all([MESSAGES_CHANNEL, DELIVERIES_CHANNEL, MEMBERSHIP_CHANNEL, HEARTBEAT_CHANNEL]).await?;
    Ok(listener)
}

/// Notifies [`HEARTBEAT_CHANNEL`] every [`HEARTBEAT_EVERY`] until the store is dropped.
async fn heartbeat(pool: PgPool) {
    loop {
        tokio::time::sleep(HEARTBEAT_EVERY).await;
        if let Err(e) = sqlx::query("SELECT pg_notify($1, '')").bind(HEARTBEAT_CHANNEL).execute(&pool).await {
            tracing::debug!(error = %e, "cannot send the PostgreSQL listener heartbeat");
        }
    }
}

/// Turns notifications into wake-ups until the store is dropped; on errors (or silence past
/// [`LISTENER_SILENCE`]), reconnects with a short backoff, and wakes everything once it listens again
/// (what was notified meanwhile is lost).
async fn keep_listening(mut listener: PgListener, options: PgConnectOptions, signals: Arc<Signals>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        // On silence the wait is cancelled and the listener thrown away, never used again mid-read.
        let received = tokio::time::timeout(LISTENER_SILENCE, listener.try_recv())
            .await
            .unwrap_or_else(|_| Err(sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, "no notification, not even a heartbeat"))));
        match received {
            Ok(Some(notification)) => {
                backoff = Duration::from_millis(100);
                match notification.channel() {
                    MESSAGES_CHANNEL => signals.committed(Changes::MESSAGES),
                    DELIVERIES_CHANNEL => signals.committed(Changes::DELIVERIES),
                    MEMBERSHIP_CHANNEL => signals.committed(Changes::MEMBERSHIP),
                    _ => {}
                }
            }
            // The connection was lost and made again (sqlx listens again on its own).
            Ok(None) => signals.everything(),
            Err(e) => {
                tracing::warn!(error = %e, "lost the PostgreSQL notification listener; reconnecting");
                loop {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_LISTEN_BACKOFF);
                    match listen(&options).await {
                        Ok(fresh) => {
                            listener = fresh;
                            break;
                        }
                        Err(e) => tracing::warn!(error = %e, "cannot listen for PostgreSQL notifications; retrying"),
                    }
                }
                signals.everything();
            }
        }
    }
}

/// Proof that the transaction holds the message-log lock: [`messages::insert_message`] asks for it.
#[derive(Debug)]
struct MessageLogLocked(());

/// Takes the message-log lock for the rest of the transaction on `conn` (it waits while another
/// transaction holds it): call it first in every transaction that inserts messages, and in those that must
/// be ordered with sends (see the module docs).
async fn lock_message_log(conn: &mut PgConnection) -> Result<MessageLogLocked, sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MESSAGE_LOG_LOCK).execute(&mut *conn).await?;
    Ok(MessageLogLocked(()))
}

/// Tells every node's listener of `changes` when the transaction on `conn` commits.
async fn announce(conn: &mut PgConnection, changes: Changes) -> Result<(), sqlx::Error> {
    let mut channels = Vec::new();
    for (changed, channel) in
        [(changes.messages, MESSAGES_CHANNEL), (changes.deliveries, DELIVERIES_CHANNEL), (changes.membership, MEMBERSHIP_CHANNEL)]
    {
        if changed {
            channels.push(channel);
        }
    }
    if channels.is_empty() {
        return Ok(());
    }
    sqlx::query("SELECT pg_notify(channel, '') FROM unnest($1::text[]) AS channel").bind(channels).execute(&mut *conn).await?;
    Ok(())
}

/// True when `err` is a UNIQUE or PRIMARY KEY violation.
fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// `%value%` for a LIKE pattern, with LIKE's wildcards escaped (use `ESCAPE '\'`).
fn like_pattern(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{}%", escaped.to_lowercase())
}

/// Now, in Unix ms (delivery times).
fn now_ms() -> i64 {
    crate::hooks::now_ms()
}
