//! The server's background tasks (message tailer, hub subscriptions, delivery dispatcher and purge, token
//! expiry): started with the state, stopped together when the server shuts down.

use std::future::Future;
use std::sync::Mutex;
use tokio::task::JoinHandle;

/// The background tasks of one server.
#[derive(Debug, Default)]
pub struct BackgroundTasks {
    running: Mutex<Vec<(&'static str, JoinHandle<()>)>>,
}

impl BackgroundTasks {
    /// Starts `task` (named for the logs) on the runtime.
    pub fn spawn(&self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(task);
        self.running.lock().unwrap_or_else(|e| e.into_inner()).push((name, handle));
    }

    /// How many are still running.
    pub fn running(&self) -> usize {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.iter().filter(|(_, handle)| !handle.is_finished()).count()
    }

    /// Stops every task and waits until each has stopped. A delivery call cut off here keeps its lease and
    /// is made again after it (at least once).
    pub async fn shutdown(&self) {
        let running = std::mem::take(&mut *self.running.lock().unwrap_or_else(|e| e.into_inner()));
        for (_, handle) in &running {
            handle.abort();
        }
        for (name, handle) in running {
            if let Err(err) = handle.await {
                if !err.is_cancelled() {
                    tracing::warn!(task = name, %err, "background task failed");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_stops_every_task() {
        let tasks = BackgroundTasks::default();
        tasks.spawn("forever", std::future::pending());
        tasks.spawn("ticker", async {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        });
        assert_eq!(tasks.running(), 2);
        tasks.shutdown().await;
        assert_eq!(tasks.running(), 0);
    }
}
