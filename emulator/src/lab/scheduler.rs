//! The lab's scheduler: CMS agent polls, the CDMs' sweeps and boot timers run when the lab clock
//! reaches them, kicked agents at once; one at a time (the scheduler task and `Lab::advance`).

use std::sync::Arc;

use super::{lock, Inner};
use crate::network::Job;

impl Inner {
    /// Runs every kicked agent and every job due now; returns how many ran.
    pub(super) fn run_due(&self) -> usize {
        let _one_at_a_time = lock(&self.running);
        let mut ran = 0;
        loop {
            let kicks = self.link.take_kicks();
            for index in &kicks {
                if let Some(node) = self.nodes.get(*index) {
                    crate::agent::poll(&node.device, &self.link.network);
                }
            }
            ran += kicks.len();
            match self.link.take_due(self.clock.now()) {
                Some(job) => {
                    self.run(job);
                    ran += 1;
                }
                None if kicks.is_empty() => return ran,
                None => {}
            }
        }
    }

    fn run(&self, job: Job) {
        let interval = chrono::Duration::from_std(self.poll_interval).unwrap_or_default();
        let now = self.clock.now();
        let next = crate::clock::later(now, self.poll_interval);
        // At the clock's last date (it saturates there) a job would be due again at once, forever.
        let again = |job| {
            if next > now {
                self.link.schedule(next, job);
            }
        };
        match job {
            Job::Poll(i) => {
                crate::agent::poll(&self.nodes[i].device, &self.link.network);
                again(Job::Poll(i));
            }
            Job::Sweep(i) => {
                let since = now.checked_sub_signed(interval * 3).unwrap_or(now);
                crate::network::sweep(&self.nodes[i].device, since);
                again(Job::Sweep(i));
            }
            Job::Boot(i) => self.nodes[i].boot_complete(),
        }
    }
}

/// The scheduler task: runs jobs when the lab clock reaches them, and kicked agents at once.
pub(super) async fn scheduler(inner: Arc<Inner>) {
    loop {
        inner.run_due();
        let wait = inner
            .link
            .next_due()
            .map(|at| (at - inner.clock.now()).to_std().unwrap_or_default());
        let sleep = async {
            match wait {
                Some(d) => inner.clock.sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = sleep => {}
            _ = inner.link.wake.notified() => {}
        }
    }
}
