//! The message writer: one thread with its own SQLite connection that takes sends from a queue and commits
//! them in batches (group commit). Each send's checks (sender and receiver active, no block, group
//! membership) run in the same transaction as its insert and the bot and webhook deliveries it queues
//! (see [`outbox`](super::outbox)), and each send is answered only after that transaction committed.
//!
//! It talks to SQLite directly (rusqlite, prepared statements cached): a send costs a few statements and no
//! thread hand-offs but the queue's, which is what lets one node acknowledge thousands of messages a second.

use confab_protocol::rest::messages::ReceiverType;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::time::Duration;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Notify};

use super::messages::{
    mentions_text, COUNT_REPLY, INSERT_DIRECT, INSERT_MESSAGE, MESSAGE_BY_MUID, TOUCH_CONVERSATION, UPSERT_CONVERSATION,
};
use super::outbox;
use super::rows::json_text;
use crate::store::{NewMessage, SendRefusal, StoreError, StoreResult};

/// Most sends committed in one transaction.
const MAX_BATCH: usize = 512;
/// How often the checkpointer moves the write-ahead log into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// Sends waiting for the writer before senders wait for room.
const QUEUE_LEN: usize = 8192;

/// What the writer did with a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Stored under `id` (`created`), or found under the same `muid` (not `created`).
    Stored {
        /// The message id.
        id: i64,
        /// False for a repeated `muid`.
        created: bool,
    },
    /// Refused by a check; nothing stored.
    Refused(SendRefusal),
}

struct Job {
    app_id: String,
    message: NewMessage,
    reply: oneshot::Sender<StoreResult<Written>>,
}

/// The queue into the writer thread.
#[derive(Debug, Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("app_id", &self.app_id).finish_non_exhaustive()
    }
}

fn db_error(err: rusqlite::Error) -> StoreError {
    StoreError::Corrupt(format!("writer: {err}"))
}

impl Writer {
    /// Opens its connection to the (already migrated) database at `path` and starts the thread.
    pub fn start(path: &Path, committed: Arc<Notify>, deliveries: Arc<Notify>) -> StoreResult<Self> {
        let conn = Connection::open(path).map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(db_error)?;
        // Checkpoints run on their own thread, so a commit never waits for one.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA wal_autocheckpoint = 0;",
        )
        .map_err(db_error)?;
        let checkpointer = Connection::open(path).map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
        checkpointer.busy_timeout(Duration::from_secs(10)).map_err(db_error)?;
        std::thread::Builder::new()
            .name("confab-checkpoint".into())
            .spawn(move || checkpoint(checkpointer))
            .map_err(|e| StoreError::Open(format!("checkpoint thread: {e}")))?;
        conn.set_prepared_statement_cache_capacity(32);
        let (queue, jobs) = mpsc::channel(QUEUE_LEN);
        std::thread::Builder::new()
            .name("confab-writer".into())
            .spawn(move || run(conn, jobs, committed, deliveries))
            .map_err(|e| StoreError::Open(format!("writer thread: {e}")))?;
        Ok(Self { queue })
    }

    /// Queues a send and waits for its outcome.
    pub async fn send(&self, app_id: &str, message: NewMessage) -> StoreResult<Written> {
        let (reply, answer) = oneshot::channel();
        let job = Job { app_id: app_id.to_owned(), message, reply };
        self.queue.send(job).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

/// Moves committed pages from the write-ahead log into the database every [`CHECKPOINT_EVERY`], without
/// blocking the writer (PASSIVE), until the process ends.
fn checkpoint(conn: Connection) {
    loop {
        std::thread::sleep(CHECKPOINT_EVERY);
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "checkpoint failed");
        }
    }
}

fn run(mut conn: Connection, mut jobs: mpsc::Receiver<Job>, committed: Arc<Notify>, deliveries: Arc<Notify>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        write_batch(&mut conn, &mut batch);
        committed.notify_one();
        deliveries.notify_one();
    }
}

/// Commits the whole batch in one transaction; if that fails, each job alone, so one bad send cannot fail
/// the others.
fn write_batch(conn: &mut Connection, batch: &mut Vec<Job>) {
    let together = (|| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let results = batch.iter().map(|job| write_one(&tx, &job.app_id, &job.message)).collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        Ok::<_, rusqlite::Error>(results)
    })();
    match together {
        Ok(results) => {
            for (job, result) in batch.drain(..).zip(results) {
                let _ = job.reply.send(Ok(result));
            }
        }
        Err(_) => {
            for job in batch.drain(..) {
                let alone = (|| {
                    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    let result = write_one(&tx, &job.app_id, &job.message)?;
                    tx.commit()?;
                    Ok(result)
                })();
                let _ = job.reply.send(alone.map_err(db_error));
            }
        }
    }
}

/// Checks and stores one send inside `tx`.
fn write_one(tx: &rusqlite::Transaction<'_>, app_id: &str, m: &NewMessage) -> Result<Written, rusqlite::Error> {
    if let Some(refusal) = check(tx, app_id, m)? {
        return Ok(Written::Refused(refusal));
    }
    let key = m.key().storage_key();
    let inserted: Option<i64> = tx
        .prepare_cached(INSERT_MESSAGE)?
        .query_row(
            params![
                app_id,
                key,
                m.sender,
                m.receiver,
                m.receiver_type.as_str(),
                m.category.as_str(),
                m.message_type,
                json_text(&m.data),
                json_text(&m.tags),
                m.muid,
                m.sent_at,
                m.parent_id,
                m.quoted_id,
                mentions_text(m)
            ],
            |row| row.get(0),
        )
        .optional()?;
    let Some(id) = inserted else {
        let id = tx.prepare_cached(MESSAGE_BY_MUID)?.query_row(params![app_id, m.sender, m.muid], |row| row.get(0))?;
        return Ok(Written::Stored { id, created: false });
    };
    if m.moves_conversation() {
        tx.prepare_cached(UPSERT_CONVERSATION)?.execute(params![app_id, key, m.receiver_type.as_str(), id, m.sent_at])?;
    } else {
        tx.prepare_cached(TOUCH_CONVERSATION)?.execute(params![app_id, key, id])?;
    }
    if let Some(parent) = m.parent_id {
        tx.prepare_cached(COUNT_REPLY)?.execute(params![app_id, parent, m.sent_at])?;
    }
    if m.receiver_type == ReceiverType::User {
        tx.prepare_cached(INSERT_DIRECT)?.execute(params![app_id, m.sender, key, m.receiver])?;
    }
    outbox::queue_message_sync(tx, app_id, id, m)?;
    Ok(Written::Stored { id, created: true })
}

/// Why `m` may not be sent now, if anything stands in the way.
fn check(tx: &rusqlite::Transaction<'_>, app_id: &str, m: &NewMessage) -> Result<Option<SendRefusal>, rusqlite::Error> {
    let active = |uid: &str| -> Result<bool, rusqlite::Error> {
        let found: Option<bool> = tx
            .prepare_cached("SELECT deactivated_at IS NULL FROM users WHERE app_id = ?1 AND uid = ?2")?
            .query_row(params![app_id, uid], |row| row.get(0))
            .optional()?;
        Ok(found == Some(true))
    };
    if !active(&m.sender)? {
        return Ok(Some(SendRefusal::SenderInactive));
    }
    let refusal = match m.receiver_type {
        ReceiverType::User => {
            if !active(&m.receiver)? {
                Some(SendRefusal::NoReceiver)
            } else {
                let blocked: bool = tx
                    .prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM blocks WHERE app_id = ?1 AND \
                         ((blocker = ?2 AND blocked = ?3) OR (blocker = ?3 AND blocked = ?2)))",
                    )?
                    .query_row(params![app_id, m.sender, m.receiver], |row| row.get(0))?;
                blocked.then_some(SendRefusal::Blocked)
            }
        }
        ReceiverType::Group => {
            let (exists, member): (bool, bool) = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM groups WHERE app_id = ?1 AND guid = ?2), \
                     EXISTS (SELECT 1 FROM group_members WHERE app_id = ?1 AND guid = ?2 AND uid = ?3)",
                )?
                .query_row(params![app_id, m.receiver, m.sender], |row| Ok((row.get(0)?, row.get(1)?)))?;
            match (exists, member) {
                (false, _) => Some(SendRefusal::NoReceiver),
                (true, false) => Some(SendRefusal::NotMember),
                (true, true) => None,
            }
        }
    };
    Ok(refusal)
}
