//! Owned tasks: everything a running lab spawns (listeners, SSH connections, long CLI tasks, the
//! scheduler, API servers) is tracked by one [`TaskTracker`] and stopped by one
//! [`CancellationToken`], so that stopping a lab stops all of it and waits for it to end (a drain),
//! instead of aborting handles one by one and leaving untracked tasks behind. A part that stops on
//! its own (a device's listener during a reboot) gets a child token.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The tasks of one lab.
#[derive(Clone, Debug, Default)]
pub struct Tasks {
    tracker: TaskTracker,
    stop: CancellationToken,
}

impl Tasks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns `future`, owned: it runs until it ends or the lab stops.
    pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        self.spawn_until(self.stop.clone(), future);
    }

    /// Spawns `future`, owned: it runs until it ends or `token` (a child of the lab's) is cancelled.
    pub fn spawn_until(
        &self,
        token: CancellationToken,
        future: impl Future<Output = ()> + Send + 'static,
    ) {
        self.tracker.spawn(async move {
            tokio::select! {
                _ = token.cancelled() => {}
                _ = future => {}
            }
        });
    }

    /// Spawns a task that ends by itself when told: `start` gets a token cancelled when the lab
    /// stops, and the task must then end soon (a server's graceful shutdown); [`Tasks::shutdown`]
    /// waits for it within its grace, instead of cutting it.
    pub fn spawn_graceful<F>(&self, start: impl FnOnce(CancellationToken) -> F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tracker.spawn(start(self.stop.child_token()));
    }

    /// A token cancelled when the lab stops, or earlier by its holder.
    pub fn child_token(&self) -> CancellationToken {
        self.stop.child_token()
    }

    /// Whether the lab is stopping.
    pub fn stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Number of tasks still running.
    pub fn len(&self) -> usize {
        self.tracker.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracker.is_empty()
    }

    /// Stops every task and waits up to `grace` for them to end.
    pub async fn shutdown(&self, grace: Duration) {
        self.stop.cancel();
        self.tracker.close();
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                left = self.tracker.len(),
                "tasks still running after the drain"
            );
        }
    }

    /// Stops every task without waiting (when a lab is dropped).
    pub fn cancel(&self) {
        self.stop.cancel();
        self.tracker.close();
    }
}

/// How long an accept loop waits after a failed accept (`EMFILE`, ...): doubling from 5 ms up to
/// one second, so a loop never spins on an error that lasts.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: Self::FIRST }
    }
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(5);
    const MAX: Duration = Duration::from_secs(1);

    /// The wait after one more failure.
    pub fn failed(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        wait
    }

    /// An accept succeeded: the next failure waits the shortest time again.
    pub fn succeeded(&mut self) {
        self.next = Self::FIRST;
    }

    /// The next connection `accept` gives; after a failure (out of descriptors or similar) it
    /// waits, longer each time, before the next try instead of spinning. `what` names the
    /// listener in the log.
    pub async fn accept<T, F>(&mut self, what: &str, mut accept: impl FnMut() -> F) -> T
    where
        F: Future<Output = std::io::Result<T>>,
    {
        loop {
            match accept().await {
                Ok(accepted) => {
                    self.succeeded();
                    return accepted;
                }
                Err(e) => {
                    let wait = self.failed();
                    tracing::warn!(error = %e, ?wait, listener = what, "accept failed; waiting before the next");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_second_and_resets() {
        let mut b = Backoff::default();
        let waits: Vec<u128> = (0..10).map(|_| b.failed().as_millis()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.succeeded();
        assert_eq!(b.failed().as_millis(), 5);
    }

    #[tokio::test]
    async fn shutdown_stops_and_drains_every_task() {
        let tasks = Tasks::new();
        for _ in 0..3 {
            tasks.spawn(std::future::pending());
        }
        let child = tasks.child_token();
        tasks.spawn_until(child.clone(), std::future::pending());
        assert_eq!(tasks.len(), 4);
        child.cancel();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(tasks.len(), 3);
        tasks.shutdown(Duration::from_secs(5)).await;
        assert!(tasks.is_empty() && tasks.stopping());
    }

    #[tokio::test]
    async fn accept_waits_after_failures_and_returns_the_next_connection() {
        let mut b = Backoff::default();
        let mut tries = 0;
        let started = std::time::Instant::now();
        let accepted = b
            .accept("test", || {
                tries += 1;
                let n = tries;
                async move {
                    if n < 3 {
                        Err(std::io::Error::other("out of descriptors"))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(accepted, 3);
        assert!(
            started.elapsed() >= Duration::from_millis(15),
            "waited 5 + 10 ms"
        );
        assert_eq!(b.failed(), Duration::from_millis(5), "reset by the success");
    }
}
