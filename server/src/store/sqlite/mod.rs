//! The embedded backend: one SQLite file in WAL mode, migrated on open.
//!
//! Reads and most writes run on a pool of connections (sqlx). Message sends go through the [`writer`]
//! thread, which commits them in batches (group commit): each send is answered only after the transaction
//! holding it committed, so an acknowledged message survives a crash of the process.

mod apps;
mod console;
mod groups;
mod hooks;
mod media;
mod messages;
mod outbox;
mod rows;
mod social;
mod users;
mod variants;
mod writer;

#[cfg(test)]
mod tests;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;
use std::time::Duration;

use super::StoreError;

/// A [`Store`](super::Store) on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// A few connections of their own for what must answer while the main pool is busy: `/healthz`, and
    /// the lookups every sign-in and request makes (apps, keys, tokens).
    priority: SqlitePool,
    writer: writer::Writer,
    committed: Arc<Notify>,
    deliveries: Arc<Notify>,
    membership: Arc<AtomicU64>,
    /// Uploads' bytes: the folder `media/` beside the database file.
    files: Arc<crate::media::files::DirFileStore>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode: a commit survives a crash of the process (SIGKILL); only a power loss can
            // undo the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-32000");
        let open_err = |e: sqlx::Error| StoreError::Open(format!("{}: {e}", path.display()));
        // Migrations run without the statement time-out: a large database may take a while once.
        let migrating = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await.map_err(open_err)?;
        sqlx::migrate!("./migrations")
            .run(&migrating)
            .await
            .map_err(|e| StoreError::Open(format!("migrations: {e}")))?;
        migrating.close().await;
        let pool = timed_pool(8).connect_with(options.clone()).await.map_err(open_err)?;
        let priority = timed_pool(2).connect_with(options).await.map_err(open_err)?;
        // The file holds secrets: owner only, as are its WAL and shared-memory files.
        for suffix in ["", "-wal", "-shm"] {
            use std::os::unix::fs::PermissionsExt;
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(StoreError::Open(format!("{}: {e}", Path::new(&file).display())))
                }
                _ => {}
            }
        }
        let committed = Arc::new(Notify::new());
        let deliveries = Arc::new(Notify::new());
        let writer = writer::Writer::start(path, committed.clone(), deliveries.clone())?;
        let files = Arc::new(crate::media::files::DirFileStore::new(path.parent().unwrap_or(Path::new(".")).join("media")));
        Ok(Self { pool, priority, writer, committed, deliveries, membership: Arc::new(AtomicU64::new(0)), files })
    }
}

/// The longest a pool connection runs statements for one use (a query, or a whole read transaction):
/// past it SQLite interrupts the statement and the request fails, so one slow request cannot hold a
/// connection for long.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// A pool of `size` connections whose statements are interrupted past [`STATEMENT_TIMEOUT`] from the
/// moment the connection is taken.
fn timed_pool(size: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(size)
        // A new connection is handed out without `before_acquire`.
        .after_connect(|conn, _meta| Box::pin(async move { start_deadline(conn).await }))
        .before_acquire(|conn, _meta| Box::pin(async move { start_deadline(conn).await.map(|()| true) }))
}

/// Interrupts `conn`'s statements from [`STATEMENT_TIMEOUT`] from now.
async fn start_deadline(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    let deadline = std::time::Instant::now() + STATEMENT_TIMEOUT;
    conn.lock_handle().await?.set_progress_handler(10_000, move || std::time::Instant::now() < deadline);
    Ok(())
}

impl SqliteStore {
    /// Records that group memberships may have changed.
    fn membership_changed(&self) {
        self.membership.fetch_add(1, Ordering::SeqCst);
    }

    /// A transaction that takes the write lock at once (`BEGIN IMMEDIATE`): one that read first and wrote
    /// later could fail with "database is locked" when another connection committed in between, without
    /// waiting for the busy timeout.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// Wakes the message tailer and the delivery dispatcher after a commit that stored messages.
    fn messages_committed(&self) {
        self.committed.notify_one();
        self.deliveries.notify_one();
    }
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
