//! One interactive channel, pumped by one task so that nothing it holds grows without bound
//! (a client that never reads, or types while a download runs, cannot take the lab's memory).
//!
//! - **Output** goes through russh's channel writer, which waits for the client's window: bytes
//!   wait in a queue the pump counts, and while more than [`HIGH_WATER`] wait, the shell is fed
//!   no input, so it makes no more output. What a silent client costs is bounded by
//!   [`HIGH_WATER`] plus one reply.
//! - **Input** from the SSH handler is held in an inbox of at most [`MAX_HELD`] bytes; the pump
//!   feeds it to the shell one line at a time while output drains. What comes beyond that while
//!   nothing is read is dropped, and the drop is logged.
//! - **Ctrl-C** during a long task (a download, an upload, `ping`, `traceroute`) interrupts it:
//!   the task stops, its partial file is removed, `^C` and the prompt follow, and what was typed
//!   before the interrupt is flushed, as a terminal's interrupt does.
//!
//! The handler's callbacks never wait here: [`Pump::input`] and [`Pump::close`] only queue and
//! wake. Actions the shell returns (close, reload, a task) are carried out by the pump through
//! the connection's [`Handle`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use russh::server::{Handle, Msg};
use russh::{ChannelId, ChannelWriteHalf};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use super::{lock, Host};
use crate::driver::{self, After, Ran};
use crate::session::Action;
use crate::shell::Shell;
use crate::tasks::Task;
use crate::terminal::to_crlf;

/// Output bytes waiting for the client's window above which the shell is fed no more input.
pub const HIGH_WATER: usize = 256 * 1024;
/// Input held for the shell at most (typed while a task runs or while output waits).
pub const MAX_HELD: usize = 64 * 1024;
/// Ctrl-C.
const INTERRUPT: u8 = 0x03;

#[derive(Default)]
struct Inbox {
    bytes: Vec<u8>,
    /// Bytes dropped since the last log line.
    dropped: usize,
    closed: bool,
}

/// The handler's side of a pumped channel.
pub struct Pump {
    inbox: Mutex<Inbox>,
    wake: Notify,
    /// Output bytes queued and not yet taken by the client's window.
    waiting: AtomicUsize,
    /// The running task's interrupt, while a task runs.
    task: Mutex<Option<CancellationToken>>,
}

impl Pump {
    /// Input from the client: held for the shell (never waits). Ctrl-C interrupts a running task.
    pub fn input(&self, data: &[u8]) {
        let interrupted = lock(&self.task)
            .as_ref()
            .filter(|_| data.contains(&INTERRUPT))
            .map(|token| token.cancel())
            .is_some();
        let mut inbox = lock(&self.inbox);
        let data = if interrupted {
            // the interrupt flushes what was typed before it
            inbox.bytes.clear();
            let at = data.iter().rposition(|&b| b == INTERRUPT).unwrap_or(0);
            &data[at + 1..]
        } else {
            data
        };
        let room = MAX_HELD.saturating_sub(inbox.bytes.len());
        let kept = data.len().min(room);
        inbox.bytes.extend_from_slice(&data[..kept]);
        inbox.dropped += data.len() - kept;
        drop(inbox);
        self.wake.notify_one();
    }

    /// The channel closed (EOF, close, the connection dropped): the pump stops, a task with it.
    pub fn close(&self) {
        lock(&self.inbox).closed = true;
        if let Some(token) = lock(&self.task).as_ref() {
            token.cancel();
        }
        self.wake.notify_one();
    }

    fn is_closed(&self) -> bool {
        lock(&self.inbox).closed
    }

    /// The next piece of input for the shell: up to and including the first line end, while
    /// output is not piling up.
    fn next_input(&self) -> Option<Vec<u8>> {
        if self.waiting.load(Ordering::Acquire) > HIGH_WATER {
            return None;
        }
        let mut inbox = lock(&self.inbox);
        if inbox.dropped > 0 {
            tracing::warn!(
                bytes = inbox.dropped,
                "input dropped: the client typed more than the shell holds while it could not read"
            );
            inbox.dropped = 0;
        }
        if inbox.bytes.is_empty() {
            return None;
        }
        let end = inbox
            .bytes
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .map_or(inbox.bytes.len(), |i| i + 1);
        Some(inbox.bytes.drain(..end).collect())
    }
}

/// Where the pump writes: a queue drained into the client's window by a writer task.
struct Output {
    queue: mpsc::UnboundedSender<Vec<u8>>,
    pump: Arc<Pump>,
}

/// How long a closing channel waits for its last output to reach the client.
const FLUSH_BEFORE_CLOSE: std::time::Duration = std::time::Duration::from_secs(5);

impl Output {
    /// Waits until the client has taken every byte sent (at most [`FLUSH_BEFORE_CLOSE`]: a client
    /// that reads nothing does not keep the channel open).
    async fn flush(&self) {
        let drained = async {
            loop {
                let woken = self.pump.wake.notified();
                if self.pump.waiting.load(Ordering::Acquire) == 0 {
                    return;
                }
                woken.await;
            }
        };
        let _ = tokio::time::timeout(FLUSH_BEFORE_CLOSE, drained).await;
    }

    fn send(&self, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        self.pump.waiting.fetch_add(bytes.len(), Ordering::AcqRel);
        let _ = self.queue.send(bytes);
    }
}

/// Starts the pump of an interactive channel whose shell has just opened; `writer` is the
/// channel's window-aware writer.
pub fn start(
    shell: Arc<Mutex<Shell>>,
    writer: ChannelWriteHalf<Msg>,
    handle: Handle,
    channel: ChannelId,
    node: Arc<dyn Host>,
) -> Arc<Pump> {
    let pump = Arc::new(Pump {
        inbox: Mutex::new(Inbox::default()),
        wake: Notify::new(),
        waiting: AtomicUsize::new(0),
        task: Mutex::new(None),
    });
    let (queue, mut drain) = mpsc::unbounded_channel::<Vec<u8>>();
    let drained = pump.clone();
    node.spawn_task(Box::pin(async move {
        while let Some(bytes) = drain.recv().await {
            let n = bytes.len();
            let written = writer.data_bytes(bytes).await;
            drained.waiting.fetch_sub(n, Ordering::AcqRel);
            drained.wake.notify_one();
            if written.is_err() {
                break;
            }
        }
    }));
    let out = Output {
        queue,
        pump: pump.clone(),
    };
    let first = lock(&shell).start();
    out.send(first);
    node.spawn_task(Box::pin(run(shell, out, handle, channel, node.clone())));
    pump
}

/// The pump: feeds input to the shell while output drains, carries out what the shell asks.
async fn run(
    shell: Arc<Mutex<Shell>>,
    out: Output,
    handle: Handle,
    channel: ChannelId,
    node: Arc<dyn Host>,
) {
    let pump = out.pump.clone();
    loop {
        let woken = pump.wake.notified();
        if pump.is_closed() {
            return;
        }
        let Some(input) = pump.next_input() else {
            woken.await;
            continue;
        };
        let output = lock(&shell).input(&input);
        out.send(output.bytes);
        let mut action = output.action;
        while let Some(Action::Run(task)) = action {
            let ran = run_task(task, &pump, &out, &node).await;
            let output = lock(&shell).finish(ran);
            out.send(output.bytes);
            action = output.action;
        }
        match action {
            Some(Action::Close) => {
                out.flush().await;
                let _ = handle.exit_status_request(channel, 0).await;
                let _ = handle.eof(channel).await;
                let _ = handle.close(channel).await;
                return;
            }
            Some(Action::Reload) => {
                out.flush().await;
                let _ = handle.eof(channel).await;
                let _ = handle.close(channel).await;
                node.reload();
                return;
            }
            Some(Action::Run(_)) | Some(Action::None) | None => {}
        }
    }
}

/// Runs one long task with its progress streamed; Ctrl-C (or the channel closing) interrupts
/// one that may be interrupted.
async fn run_task(task: Task, pump: &Arc<Pump>, out: &Output, node: &Arc<dyn Host>) -> Ran {
    let token = CancellationToken::new();
    let interruptible = task.interruptible();
    if interruptible {
        *lock(&pump.task) = Some(token.clone());
    }
    let mut progress = |text: &str| out.send(to_crlf(text));
    let device = node.device().clone();
    let lab = node.lab();
    let ran = tokio::select! {
        ran = driver::run_task(task.clone(), &device, Some(&lab), &mut progress) => ran,
        _ = token.cancelled() => {
            crate::tasks::clean_up_interrupted(&task, &device);
            out.send(to_crlf(&format!("{}\n", crate::text::msg::INTERRUPTED)));
            Ran {
                failed: true,
                after: After::Open,
                task: true,
            }
        }
    };
    *lock(&pump.task) = None;
    ran
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pump() -> Pump {
        Pump {
            inbox: Mutex::new(Inbox::default()),
            wake: Notify::new(),
            waiting: AtomicUsize::new(0),
            task: Mutex::new(None),
        }
    }

    #[test]
    fn input_beyond_the_bound_is_dropped_and_lines_come_one_at_a_time() {
        let pump = pump();
        let line = b"show running-config\r".repeat(10_000);
        pump.input(&line);
        assert_eq!(lock(&pump.inbox).bytes.len(), MAX_HELD);
        assert_eq!(lock(&pump.inbox).dropped, line.len() - MAX_HELD);
        assert_eq!(pump.next_input().unwrap(), b"show running-config\r");
        // output piling up: the shell gets nothing more
        pump.waiting.store(HIGH_WATER + 1, Ordering::Release);
        assert_eq!(pump.next_input(), None);
        pump.waiting.store(0, Ordering::Release);
        assert!(pump.next_input().is_some());
    }

    #[test]
    fn ctrl_c_interrupts_a_running_task_and_flushes_what_was_typed_before_it() {
        let pump = pump();
        let token = CancellationToken::new();
        *lock(&pump.task) = Some(token.clone());
        pump.input(b"show ver");
        pump.input(b"sion\r\x03dir\r");
        assert!(token.is_cancelled());
        assert_eq!(lock(&pump.inbox).bytes, b"dir\r");
        // without a task, Ctrl-C is the shell's (it clears the line)
        let pump2 = self::pump();
        pump2.input(b"abc\x03");
        assert_eq!(lock(&pump2.inbox).bytes, b"abc\x03");
    }
}
