//! `cli` steps: the lines of a step typed into a device, in-process through a [`Session`] or over
//! real SSH ([`Transport::Ssh`]), a session that ends early (close, reload, an install's reboot, a
//! `power_loss:` during a download), and [`PowerFuse`], which fires an armed power loss. Owns how a
//! step's lines reach a device and become its output; not what the output must hold (`expect`).
//!
//! Kept together as one unit: the in-process loop is to become the common "run a line and carry out
//! what it asks" driver.

use std::time::{Duration, Instant};

use crate::device::Power;
use crate::driver::{self, After};
use crate::session::InputKind;

use super::super::format::Step;
use super::{Failure, Runner, Transport, SSH_TIMEOUT};

impl Runner<'_> {
    /// Types `lines` into a new privilege-15 session, as an SSH shell would; returns the output.
    pub(super) async fn cli(
        &mut self,
        step: &Step,
        device: &str,
        lines: &[String],
    ) -> Result<String, Failure> {
        let node = self.lab.node(device).expect("checked at load").clone();
        let power = node.device().state().power;
        if power != Power::Running {
            return Err(self.fail(
                step,
                Some(device),
                format!(
                    "cannot connect to {device}: it is {} (its port refuses connections until boot completes; add a `wait:` or an `until: {{device: {device}, power: running, timeout: ..}}`)",
                    power.word()
                ),
            ));
        }
        if self.transport == Transport::Ssh {
            return self.cli_over_ssh(step, device, &node, lines).await;
        }
        let mut session = node.session("admin", 15, "scenario");
        let mut out = String::new();
        for (i, line) in lines.iter().enumerate() {
            let echo = format!("{}{line}", session.prompt());
            self.record(device, &echo);
            // the line runs through the common driver, a download or install to its end, as the
            // SSH edge runs it; a power loss armed for the device watches its progress
            let mut printed = String::new();
            let mut fuse = PowerFuse::new(self.power_losses.get(device).copied(), &node);
            let ran = driver::run_line(&mut session, line, &mut |t: &str| {
                printed.push_str(t);
                fuse.output(t);
            })
            .await;
            self.record(device, &printed);
            out.push_str(&printed);
            // A question (`Save?[yes]:`, `[confirm]`, a user name) is shown as the prompt: it is
            // part of what the operator sees, so it is part of the output.
            if ran.after == After::Open && session.input_kind() != InputKind::Command {
                out.push_str(&session.prompt());
                out.push('\n');
            }
            if fuse.blown() {
                drop(session);
                return self.lost_power(step, device, i, lines, out);
            }
            match ran.after {
                After::Open => {}
                After::Closed => {
                    drop(session);
                    return self.session_over(step, device, i, lines, out, "the session closed");
                }
                After::Reload => {
                    drop(session);
                    node.reload();
                    self.record(device, "*** reloading: session closed ***");
                    let why = if ran.task {
                        "the device rebooted to complete an install"
                    } else {
                        "the device reloaded"
                    };
                    return self.session_over(step, device, i, lines, out, why);
                }
            }
        }
        drop(session);
        self.lab.settle();
        Ok(out)
    }

    /// The end of a cli step whose device lost power during a download (`power_loss:`).
    fn lost_power(
        &mut self,
        step: &Step,
        device: &str,
        i: usize,
        lines: &[String],
        out: String,
    ) -> Result<String, Failure> {
        self.power_losses.remove(device);
        self.record(device, "*** power lost during the download ***");
        self.session_over(step, device, i, lines, out, "the device lost power")
    }

    /// A cli step's session ended at line `i` (`why`): the lab settles; lines after it are an
    /// error, since nothing could receive them.
    fn session_over(
        &mut self,
        step: &Step,
        device: &str,
        i: usize,
        lines: &[String],
        out: String,
        why: &str,
    ) -> Result<String, Failure> {
        self.lab.settle();
        if i + 1 < lines.len() {
            return Err(self.fail(
                step,
                Some(device),
                format!(
                    "{why} at line {} ({:?}); {} line(s) after it were not sent: put them in a later step (after a `wait:` or `until:` if the device is booting)",
                    i + 1,
                    lines[i],
                    lines.len() - i - 1
                ),
            ));
        }
        Ok(out)
    }

    /// [`Self::cli`] over real SSH: logs in as `admin` (password `default`), turns paging off
    /// (`terminal length 0`, not part of the output), types each line and reads up to the next
    /// prompt. A session closed without an exit status is the device reloading.
    async fn cli_over_ssh(
        &mut self,
        step: &Step,
        device: &str,
        node: &std::sync::Arc<crate::lab::Node>,
        lines: &[String],
    ) -> Result<String, Failure> {
        use crate::ssh_client::{CliShell, Ending};
        let addr = node.ssh_addr();
        // A device that has just booted may take a moment to listen again, as on real hardware;
        // an operator would retry, so does the runner, for a short while.
        let retry_until = Instant::now() + Duration::from_secs(3);
        let mut shell = loop {
            match CliShell::open(addr, "admin", "default", SSH_TIMEOUT).await {
                Ok(shell) => break shell,
                Err(m) if Instant::now() >= retry_until => {
                    return Err(self.fail(step, Some(device), format!("{device} over SSH: {m}")))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        };
        shell
            .send("terminal length 0")
            .await
            .map_err(|m| self.fail(step, Some(device), format!("{device} over SSH: {m}")))?;
        let mut out = String::new();
        for (i, line) in lines.iter().enumerate() {
            let echo = format!("{}{line}", shell.prompt());
            self.record(device, &echo);
            let mut fuse = PowerFuse::new(self.power_losses.get(device).copied(), node);
            let exchange = shell
                .send_watching(line, &mut |t: &str| fuse.output(t))
                .await
                .map_err(|m| self.fail(step, Some(device), format!("{device} over SSH: {m}")))?;
            self.record(device, &exchange.output);
            if fuse.blown() {
                out.push_str(&exchange.output);
                return self.lost_power(step, device, i, lines, out);
            }
            out.push_str(&exchange.output);
            match exchange.ending {
                Ending::Waiting { prompt, kind } => {
                    if kind != InputKind::Command {
                        out.push_str(&prompt);
                        out.push('\n');
                    }
                }
                Ending::Closed { exit_status } => {
                    let reloaded = exit_status.is_none();
                    if reloaded {
                        // The server closes the channel, then reloads the device.
                        let deadline = Instant::now() + Duration::from_secs(5);
                        while node.device().state().power == Power::Running
                            && Instant::now() < deadline
                        {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                        }
                        self.record(device, "*** reloading: session closed ***");
                    }
                    let why = if reloaded {
                        "the device reloaded"
                    } else {
                        "the session closed"
                    };
                    return self.session_over(step, device, i, lines, out, why);
                }
            }
        }
        shell.close().await;
        self.lab.settle();
        Ok(out)
    }
}

/// A `power_loss:` armed for one download: counts the progress `#`s (one per MB, on lines of
/// nothing else) of the output and cuts the device's power once, when the count reaches the armed MB.
struct PowerFuse<'a> {
    after_mb: Option<u64>,
    text: String,
    node: &'a crate::lab::Node,
    blown: bool,
}

impl<'a> PowerFuse<'a> {
    fn new(after_mb: Option<u64>, node: &'a crate::lab::Node) -> Self {
        PowerFuse {
            after_mb,
            text: String::new(),
            node,
            blown: false,
        }
    }

    /// New output of the step (progress as it comes).
    fn output(&mut self, text: &str) {
        let Some(after) = self.after_mb else {
            return;
        };
        if self.blown {
            return;
        }
        self.text.push_str(text);
        let hashes: usize = self
            .text
            .lines()
            .filter(|l| !l.is_empty() && l.chars().all(|c| c == '#'))
            .map(str::len)
            .sum();
        if hashes as u64 >= after {
            self.blown = true;
            self.node.reload();
        }
    }

    fn blown(&self) -> bool {
        self.blown
    }
}
