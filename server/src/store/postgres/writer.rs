//! The message writer: one task per store that takes sends from a bounded queue and commits them in
//! batches (group commit), like the SQLite writer. A batch is one transaction: the message-log lock, then
//! for each send its checks (sender and receiver active, no block either way, the group exists and the
//! sender is a member), its insert and its deliveries, then the notifications and the commit. Each send is
//! answered only after that commit; if the database refuses a statement of the batch, each send is tried
//! again alone, so one bad send fails alone. Every failure comes back as an error, never as a stored message: a send is
//! acknowledged only once its commit is acknowledged.

use confab_protocol::rest::messages::ReceiverType;
use sqlx::{PgConnection, PgPool, Row};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

use super::messages::{insert_messages, HookPresence};
use super::{announce, lock_message_log, Changes, Signals};
use crate::store::{NewMessage, SendRefusal, StoreError, StoreResult};

/// Most sends committed in one transaction.
const MAX_BATCH: usize = 512;
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

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("app_id", &self.app_id).finish_non_exhaustive()
    }
}

/// The queue into the writer task.
#[derive(Debug, Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the task; it ends when the last [`Writer`] is dropped.
    pub fn start(pool: PgPool, signals: Arc<Signals>) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE_LEN);
        tokio::spawn(run(pool, jobs, signals));
        Self { queue }
    }

    /// Queues a send and waits for its outcome.
    pub async fn send(&self, app_id: &str, message: NewMessage) -> StoreResult<Written> {
        let (reply, answer) = oneshot::channel();
        let job = Job { app_id: app_id.to_owned(), message, reply };
        self.queue.send(job).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(pool: PgPool, mut jobs: mpsc::Receiver<Job>, signals: Arc<Signals>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = jobs.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        write_batch(&pool, &mut batch, &signals).await;
    }
}

/// How a batch transaction failed.
enum Failure {
    /// Not because of a send (no connection, the lock or the commit timed out): nothing was stored, and
    /// trying each send alone would only fail as many times.
    Whole(StoreError),
    /// The database refused a statement of the sends (one bad send may be the cause): nothing was stored.
    Send(StoreError),
    /// The commit was asked for and went unanswered (the connection broke): it may have committed.
    Unknown(sqlx::Error),
}

impl Failure {
    /// A failure of a statement of the sends: [`Failure::Send`] when the server refused it, else the
    /// connection is at fault ([`Failure::Whole`]).
    fn of_send(e: StoreError) -> Self {
        match e {
            StoreError::Database(sqlx::Error::Database(_)) | StoreError::Corrupt(_) | StoreError::Conflict(_) => Self::Send(e),
            other => Self::Whole(other),
        }
    }
}

/// The same error again, for another send of a failed batch.
fn copy(error: &StoreError) -> StoreError {
    match error {
        StoreError::Open(text) => StoreError::Open(text.clone()),
        StoreError::Conflict(text) => StoreError::Conflict(text.clone()),
        StoreError::Corrupt(text) => StoreError::Corrupt(text.clone()),
        StoreError::Closed => StoreError::Closed,
        StoreError::Unavailable(text) => StoreError::Unavailable(text.clone()),
        StoreError::Database(e) => StoreError::Database(sqlx::Error::Protocol(e.to_string())),
    }
}

/// What a send whose commit went unanswered gets: the database is unavailable, and a retry with the same
/// `muid` is stored once whether the commit happened or not.
fn unanswered(e: &sqlx::Error) -> StoreError {
    StoreError::Unavailable(format!("the commit of the send went unanswered (it may have been stored): {e}"))
}

/// Commits the whole batch in one transaction; if the database refused one of its statements, each job
/// alone, so one bad send cannot fail the others. A commit whose outcome is unknown is not retried (it may
/// have stored the sends), nor a batch that failed for want of a working connection: each of their sends
/// gets an error.
async fn write_batch(pool: &PgPool, batch: &mut Vec<Job>, signals: &Signals) {
    let jobs: Vec<(&str, &NewMessage)> = batch.iter().map(|job| (job.app_id.as_str(), &job.message)).collect();
    let failure = match write(pool, &jobs, signals).await {
        Ok(results) => {
            for (job, result) in batch.drain(..).zip(results) {
                let _ = job.reply.send(Ok(result));
            }
            return;
        }
        Err(failure) => failure,
    };
    let whole = match failure {
        Failure::Unknown(e) => {
            tracing::error!(error = %e, sends = batch.len(), "the commit of a batch of sends went unanswered");
            unanswered(&e)
        }
        Failure::Whole(e) | Failure::Send(e) if batch.len() == 1 => e,
        Failure::Whole(e) => {
            tracing::warn!(error = %e, sends = batch.len(), "a batch of sends failed");
            e
        }
        Failure::Send(e) => {
            tracing::warn!(error = %e, sends = batch.len(), "a batch of sends failed; trying each alone");
            for job in batch.drain(..) {
                let alone = match write(pool, &[(job.app_id.as_str(), &job.message)], signals).await {
                    Ok(mut results) => Ok(results.pop().expect("one result")),
                    Err(Failure::Whole(e) | Failure::Send(e)) => Err(e),
                    Err(Failure::Unknown(e)) => Err(unanswered(&e)),
                };
                let _ = job.reply.send(alone);
            }
            return;
        }
    };
    for job in batch.drain(..) {
        let _ = job.reply.send(Err(copy(&whole)));
    }
}

/// Checks and stores `jobs` in one transaction and commits it.
async fn write(pool: &PgPool, jobs: &[(&str, &NewMessage)], signals: &Signals) -> Result<Vec<Written>, Failure> {
    let whole = |e: sqlx::Error| Failure::Whole(e.into());
    let mut tx = pool.begin().await.map_err(whole)?;
    let locked = lock_message_log(&mut tx).await.map_err(whole)?;
    let mut presence = HookPresence::default();
    let mut results = Vec::with_capacity(jobs.len());
    let mut changes = Changes::default();
    let refusals = check_all(&mut tx, jobs).await.map_err(|e| Failure::of_send(e.into()))?;
    let accepted: Vec<(&str, &NewMessage)> =
        jobs.iter().zip(&refusals).filter(|(_, refusal)| refusal.is_none()).map(|(job, _)| *job).collect();
    let mut inserted = match accepted.is_empty() {
        true => Vec::new(),
        false => insert_messages(&mut tx, &locked, &accepted, &mut presence).await.map_err(Failure::of_send)?,
    }
    .into_iter();
    for refusal in refusals {
        if let Some(refusal) = refusal {
            results.push(Written::Refused(refusal));
            continue;
        }
        let Some(inserted) = inserted.next() else { return Err(Failure::Whole(StoreError::Closed)) };
        changes.messages |= inserted.created;
        changes.deliveries |= inserted.deliveries > 0;
        results.push(Written::Stored { id: inserted.id, created: inserted.created });
    }
    announce(&mut tx, changes).await.map_err(whole)?;
    match tx.commit().await {
        Ok(()) => {}
        // The server answered with an error: the transaction was rolled back.
        Err(e @ sqlx::Error::Database(_)) => return Err(Failure::Send(e.into())),
        Err(e) => return Err(Failure::Unknown(e)),
    }
    signals.committed(changes);
    Ok(results)
}

/// Why each of `jobs` may not be sent now, if anything stands in the way: one read for the whole batch,
/// in its transaction, after the message-log lock (which blocks, deactivations and deletions take too, so
/// none of them commits between these checks and the inserts). Sends change none of what is checked, so
/// checking them together is checking each just before its insert.
async fn check_all(conn: &mut PgConnection, jobs: &[(&str, &NewMessage)]) -> Result<Vec<Option<SendRefusal>>, sqlx::Error> {
    let apps: Vec<&str> = jobs.iter().map(|(app, _)| *app).collect();
    let senders: Vec<&str> = jobs.iter().map(|(_, m)| m.sender.as_str()).collect();
    let receivers: Vec<&str> = jobs.iter().map(|(_, m)| m.receiver.as_str()).collect();
    let kinds: Vec<&str> = jobs.iter().map(|(_, m)| m.receiver_type.as_str()).collect();
    let rows = sqlx::query(
        "SELECT \
           (SELECT u.deactivated_at IS NULL FROM users u WHERE u.app_id = s.app AND u.uid = s.sender), \
           CASE WHEN s.kind = 'user' THEN \
             (SELECT u.deactivated_at IS NULL FROM users u WHERE u.app_id = s.app AND u.uid = s.receiver) END, \
           s.kind = 'user' AND EXISTS (SELECT 1 FROM blocks b WHERE b.app_id = s.app AND \
             ((b.blocker = s.sender AND b.blocked = s.receiver) OR (b.blocker = s.receiver AND b.blocked = s.sender))), \
           s.kind = 'group' AND EXISTS (SELECT 1 FROM groups g WHERE g.app_id = s.app AND g.guid = s.receiver), \
           s.kind = 'group' AND EXISTS (SELECT 1 FROM group_members m \
             WHERE m.app_id = s.app AND m.guid = s.receiver AND m.uid = s.sender) \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS s(app, sender, receiver, kind, i) \
         ORDER BY s.i",
    )
    .bind(&apps)
    .bind(&senders)
    .bind(&receivers)
    .bind(&kinds)
    .fetch_all(&mut *conn)
    .await?;
    let mut refusals = Vec::with_capacity(jobs.len());
    for ((_, m), row) in jobs.iter().zip(&rows) {
        let sender: Option<bool> = row.try_get(0)?;
        let refusal = if sender != Some(true) {
            Some(SendRefusal::SenderInactive)
        } else {
            match m.receiver_type {
                ReceiverType::User => {
                    let (receiver, blocked): (Option<bool>, bool) = (row.try_get(1)?, row.try_get(2)?);
                    if receiver != Some(true) {
                        Some(SendRefusal::NoReceiver)
                    } else {
                        blocked.then_some(SendRefusal::Blocked)
                    }
                }
                ReceiverType::Group => match (row.try_get::<bool, _>(3)?, row.try_get::<bool, _>(4)?) {
                    (false, _) => Some(SendRefusal::NoReceiver),
                    (true, false) => Some(SendRefusal::NotMember),
                    (true, true) => None,
                },
            }
        };
        refusals.push(refusal);
    }
    Ok(refusals)
}
