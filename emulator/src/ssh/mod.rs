//! The SSH edge: one russh handler per connection. It authenticates against the device's users,
//! answers `pty-req`, `shell` and `exec` (always with `channel_success`: paramiko waits for it), and
//! moves bytes between the channel and a [`Shell`] through the channel's [`pump`] (bounded input
//! and output, Ctrl-C). Nothing here knows commands; actions the shell returns (close, reload) are
//! handed to the device's [`Host`] (the lab's node, which implements it).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use std::sync::Mutex;

use russh::server::{Auth, Handle, Handler, Msg, Response, Session};
use russh::{Channel, ChannelId, ChannelWriteHalf, MethodKind, MethodSet};

use crate::admission::{Gate, Pass, Refused};
use crate::driver::{self, After};
use crate::session::{InputKind, Session as CliSession};
use crate::shell::Shell;
use crate::terminal::to_crlf;

mod pump;
pub use pump::{HIGH_WATER, MAX_HELD};

/// What an SSH connection needs of the device it serves and of its place in the lab. The lab's
/// node implements it; the SSH edge knows nothing else of the lab.
pub trait Host: Send + Sync + 'static {
    fn device(&self) -> &Arc<crate::device::Device>;
    /// The lab the device is on (its network, for commands and tasks).
    fn lab(&self) -> Arc<crate::network::LabLink>;
    /// Reloads the device (closes every session of it, refuses connections while it boots).
    fn reload(&self);
    /// Keeps a connection's handle, so a reload can close it.
    fn remember_connection(&self, id: u64, handle: Handle);
    fn forget_connection(&self, id: u64);
    /// Runs a connection's long work as one of the lab's owned tasks.
    fn spawn_task(&self, task: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>);
}

/// How a user logs in: a password, or the same password asked keyboard-interactively.
fn login_methods() -> MethodSet {
    MethodSet::from(&[MethodKind::Password, MethodKind::KeyboardInteractive][..])
}

/// The russh server configuration for one device: its host key and the client rules of CLIENTS.md.
pub fn server_config(host_key: russh::keys::PrivateKey) -> russh::server::Config {
    russh::server::Config {
        auth_rejection_time: std::time::Duration::from_millis(200),
        auth_rejection_time_initial: Some(std::time::Duration::ZERO),
        keys: vec![host_key],
        nodelay: true,
        methods: login_methods(),
        inactivity_timeout: Some(std::time::Duration::from_secs(3600)),
        server_id: russh::SshId::Standard("SSH-2.0-Cisco-1.25".into()),
        ..Default::default()
    }
}

struct ChannelState {
    /// The channel's window-aware writer, until a shell or an exec request takes it.
    writer: Option<ChannelWriteHalf<Msg>>,
    /// An interactive channel's pump (its shell, input and output).
    pump: Option<Arc<pump::Pump>>,
    /// An `exec` channel's input (the client's stdin), read when a command asks a question the
    /// request's own lines do not answer; dropped at the client's EOF.
    exec_input: Option<tokio::sync::mpsc::Sender<Vec<u8>>>,
}

/// Chunks of an `exec` channel's input held until read (beyond them input is dropped).
const EXEC_INPUT_CHUNKS: usize = 64;
/// The longest answer line read from an `exec` channel's input.
const EXEC_ANSWER_MAX: usize = 4096;

/// The next line of an `exec` channel's input (`held` keeps what came after it); `None` once the
/// input has ended without one.
async fn next_input_line(
    input: &mut tokio::sync::mpsc::Receiver<Vec<u8>>,
    held: &mut Vec<u8>,
) -> Option<String> {
    loop {
        if let Some(end) = held.iter().position(|b| *b == b'\n' || *b == b'\r') {
            let line = String::from_utf8_lossy(&held[..end]).into_owned();
            // a CR LF pair ends one line
            let skip = if held[end] == b'\r' && held.get(end + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            held.drain(..end + skip);
            return Some(line);
        }
        match input.recv().await {
            Some(chunk) => {
                held.extend_from_slice(&chunk);
                if held.len() > EXEC_ANSWER_MAX {
                    // no line end within the limit: the line is what came
                    let line = String::from_utf8_lossy(held).into_owned();
                    held.clear();
                    return Some(line);
                }
            }
            // the input ended: what came without a line end is the last line
            None if !held.is_empty() => {
                let line = String::from_utf8_lossy(held).into_owned();
                held.clear();
                return Some(line);
            }
            None => return None,
        }
    }
}

/// A lock of the SSH edge's state, whatever a panicking holder left.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How often (lab time) an idle watcher looks again when it has nothing to wait for: no timeout
/// configured, or a long task running. A change of `exec-timeout` is seen within this time.
const IDLE_RECHECK: std::time::Duration = std::time::Duration::from_secs(60);

/// `exec-timeout`: closes an interactive channel whose shell has been idle for the configured
/// minutes of lab time (0 or not configured: never; see `config::DEFAULT_EXEC_TIMEOUT`), as ACNS
/// closes an idle session. Ends with the shell.
async fn watch_idle(
    shell: std::sync::Weak<Mutex<Shell>>,
    handle: Handle,
    channel: ChannelId,
    device: Arc<crate::device::Device>,
) {
    loop {
        let Some(alive) = shell.upgrade() else {
            return;
        };
        let idle_since = lock(&alive).idle_since();
        drop(alive);
        let minutes = device.state().running.exec_timeout.unwrap_or(0);
        let now = device.clock().now();
        let remaining = match idle_since {
            Some(since) if minutes > 0 => {
                let deadline = since + chrono::Duration::minutes(i64::from(minutes));
                (deadline - now).to_std().unwrap_or_default()
            }
            _ => IDLE_RECHECK,
        };
        if remaining.is_zero() {
            let text = format!("\n{}\n", crate::text::msg::IDLE_TIMEOUT);
            let _ = handle.data(channel, to_crlf(&text)).await;
            let _ = handle.eof(channel).await;
            let _ = handle.close(channel).await;
            return;
        }
        device.clock().sleep(remaining.min(IDLE_RECHECK)).await;
    }
}

/// Runs an `exec` request's lines (answers to questions included) through the driver, then sends
/// the output, the exit status, EOF and close. A question the lines leave unanswered is printed
/// and answered by the next line of the client's input, as a terminal user types it after
/// `ssh ce1 reload`; input that ends first does nothing and fails the request.
async fn run_exec(
    mut cli: CliSession,
    lines: Vec<String>,
    mut input: tokio::sync::mpsc::Receiver<Vec<u8>>,
    writer: ChannelWriteHalf<Msg>,
    handle: Handle,
    channel: ChannelId,
    node: Arc<dyn Host>,
) {
    let mut failed = false;
    let mut reload = false;
    let mut given = lines.into_iter();
    let mut held = Vec::new();
    loop {
        let line = match given.next() {
            Some(line) => line,
            None if cli.input_kind() == InputKind::Command => break,
            None => {
                // the question, as the prompt of a terminal would show it
                if writer.data_bytes(cli.prompt().into_bytes()).await.is_err() {
                    return;
                }
                match next_input_line(&mut input, &mut held).await {
                    Some(answer) => answer,
                    None => {
                        cli.interrupt();
                        let text = format!("\n{}\n", crate::text::msg::EXEC_NO_ANSWER);
                        if writer.data_bytes(text.into_bytes()).await.is_err() {
                            return;
                        }
                        failed = true;
                        break;
                    }
                }
            }
        };
        let mut output = String::new();
        let ran = driver::run_line(&mut cli, &line, &mut |text: &str| output.push_str(text)).await;
        // each line's output waits for the client's window before the next line runs
        if writer.data_bytes(output.into_bytes()).await.is_err() {
            return;
        }
        failed |= ran.failed;
        match ran.after {
            After::Open => {}
            After::Closed => break,
            After::Reload => {
                reload = true;
                break;
            }
        }
    }
    drop(cli);
    let _ = handle.exit_status_request(channel, u32::from(failed)).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
    if reload {
        node.reload();
    }
}

/// One SSH connection to a device.
pub struct Connection {
    node: Arc<dyn Host>,
    peer: String,
    /// The connection's span (device, peer, connection id, user once logged in).
    span: tracing::Span,
    id: u64,
    user: Option<(String, u8)>,
    channels: HashMap<ChannelId, ChannelState>,
    /// Its place among the device's connections that have not logged in yet.
    ticket: Arc<PreLoginTicket>,
}

/// Failed SSH logins of one device within [`LOGIN_FAILURE_WINDOW`] after which every login is
/// refused for that window. [ours: a human's typos stay far below it; a guesser gets ten tries a
/// minute instead of ~185 a second]
pub const MAX_LOGIN_FAILURES: usize = 10;
/// See [`MAX_LOGIN_FAILURES`].
pub const LOGIN_FAILURE_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

/// A device's logins: the connections that have not logged in yet (a gate of `lab.limits`:
/// `unauthenticated_per_device` inside the lab's `unauthenticated`), how long each has to log in,
/// and the recent failures.
pub struct PreLogin {
    waiting: Arc<Gate>,
    grace: std::time::Duration,
    failures: crate::lockout::Lockout,
}

impl PreLogin {
    pub fn new(waiting: Arc<Gate>, grace: std::time::Duration) -> Self {
        PreLogin {
            waiting,
            grace,
            failures: crate::lockout::Lockout::new(MAX_LOGIN_FAILURES, LOGIN_FAILURE_WINDOW),
        }
    }

    /// A place for a new connection, or why there is none (the device's or the lab's
    /// connections waiting to log in are at their limit).
    pub fn admit(self: &Arc<Self>) -> Result<Arc<PreLoginTicket>, Refused> {
        let pass = self.waiting.enter()?;
        Ok(Arc::new(PreLoginTicket {
            logins: self.clone(),
            pass: std::sync::Mutex::new(Some(pass)),
            logged_in: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    /// How many are waiting now.
    pub fn waiting(&self) -> usize {
        self.waiting.taken()
    }

    /// How long a connection may take to log in before it is closed.
    pub fn grace(&self) -> std::time::Duration {
        self.grace
    }
}

/// One connection's place in [`PreLogin`], given back when it logs in or goes.
pub struct PreLoginTicket {
    logins: Arc<PreLogin>,
    pass: std::sync::Mutex<Option<Pass>>,
    logged_in: std::sync::atomic::AtomicBool,
}

impl PreLoginTicket {
    /// Gives the place back (the connection logged in, or went); once.
    fn give_back(&self) {
        if !self
            .logged_in
            .swap(true, std::sync::atomic::Ordering::AcqRel)
        {
            lock(&self.pass).take();
        }
    }

    pub fn is_logged_in(&self) -> bool {
        self.logged_in.load(std::sync::atomic::Ordering::Acquire)
    }
}

impl Drop for PreLoginTicket {
    fn drop(&mut self) {
        self.give_back();
    }
}

impl Connection {
    /// `span` is the connection's (device, peer, connection id): russh runs the handler in a task
    /// of its own, so the log lines of logging in enter it themselves.
    pub fn new(
        node: Arc<dyn Host>,
        peer: Option<SocketAddr>,
        id: u64,
        ticket: Arc<PreLoginTicket>,
        span: tracing::Span,
    ) -> Self {
        let peer = peer
            .map(|p| p.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Connection {
            node,
            peer,
            id,
            user: None,
            channels: HashMap::new(),
            ticket,
            span,
        }
    }

    fn check(&mut self, user: &str, password: &str) -> Auth {
        let span = self.span.clone();
        let _in_connection = span.enter();
        let now = std::time::Instant::now();
        let failures = &self.ticket.logins.failures;
        if let Some(wait) = failures.wait(now) {
            let counters = self.node.device().counters();
            counters.login_failed(crate::counters::LoginDoor::Ssh);
            tracing::info!(
                user,
                wait_s = wait.as_secs(),
                "login refused: too many failures"
            );
            return Auth::Reject {
                proceed_with_methods: Some(login_methods()),
                partial_success: false,
            };
        }
        match self.node.device().authenticate(user, password) {
            Some(privilege) => {
                span.record("user", user);
                tracing::info!(user, "login");
                self.user = Some((user.to_string(), privilege));
                Auth::Accept
            }
            None => {
                failures.failed(now);
                let counters = self.node.device().counters();
                counters.login_failed(crate::counters::LoginDoor::Ssh);
                tracing::info!(user, "login failed");
                // Both methods stay on offer: a client may try again (OpenSSH asks three times),
                // and paramiko, told that `password` is still allowed, reports a wrong password
                // at once instead of falling back to keyboard-interactive through a second
                // service request that russh leaves unanswered (30 s until its timeout).
                Auth::Reject {
                    proceed_with_methods: Some(login_methods()),
                    partial_success: false,
                }
            }
        }
    }

    fn new_session(&self) -> Option<CliSession> {
        let (user, privilege) = self.user.clone()?;
        Some(CliSession::new(
            self.node.device().clone(),
            Some(self.node.lab()),
            &user,
            privilege,
            &self.peer,
        ))
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        for state in self.channels.values() {
            if let Some(pump) = &state.pump {
                pump.close();
            }
        }
        self.node.forget_connection(self.id);
    }
}

impl Handler for Connection {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(self.check(user, password))
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        let Some(mut response) = response else {
            return Ok(Auth::Partial {
                name: "".into(),
                instructions: "".into(),
                prompts: vec![("Password: ".into(), false)].into(),
            });
        };
        let answer = response
            .next()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        Ok(self.check(user, &answer))
    }

    async fn auth_succeeded(&mut self, session: &mut Session) -> Result<(), Self::Error> {
        self.ticket.give_back();
        self.node.device().counters().session_opened();
        self.node.remember_connection(self.id, session.handle());
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let id = channel.id();
        // only the writer is kept: russh then drops what it would forward to a reader
        let (_reader, writer) = channel.split();
        self.channels.insert(
            id,
            ChannelState {
                writer: Some(writer),
                pump: None,
                exec_input: None,
            },
        );
        reply.accept().await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        _value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(cli) = self.new_session() else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        let Some(state) = self.channels.get_mut(&channel) else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        let Some(writer) = state.writer.take() else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        session.channel_success(channel)?;
        let shell = Arc::new(Mutex::new(Shell::new(cli)));
        self.node.spawn_task(Box::pin(watch_idle(
            Arc::downgrade(&shell),
            session.handle(),
            channel,
            self.node.device().clone(),
        )));
        state.pump = Some(pump::start(
            shell,
            writer,
            session.handle(),
            channel,
            self.node.clone(),
        ));
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(cli) = self.new_session() else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        let Some(state) = self.channels.get_mut(&channel) else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        let Some(writer) = state.writer.take() else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        let (input_to, input) = tokio::sync::mpsc::channel(EXEC_INPUT_CHUNKS);
        state.exec_input = Some(input_to);
        session.channel_success(channel)?;
        let text = String::from_utf8_lossy(data).into_owned();
        let lines: Vec<String> = text
            .split(['\n', ';'])
            .filter(|c| !c.trim().is_empty())
            .map(str::to_string)
            .collect();
        self.node.spawn_task(Box::pin(run_exec(
            cli,
            lines,
            input,
            writer,
            session.handle(),
            channel,
            self.node.clone(),
        )));
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(state) = self.channels.get(&channel) else {
            return Ok(());
        };
        if let Some(pump) = &state.pump {
            pump.input(data);
        } else if let Some(input) = &state.exec_input {
            // held until a question asks for it; beyond the chunks held, input is dropped
            let _ = input.try_send(data.to_vec());
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(state) = self.channels.remove(&channel) {
            if let Some(pump) = state.pump {
                pump.close();
            }
            // an exec channel's input ends (the sender dropped); its request closes the channel
            if state.exec_input.is_none() {
                session.close(channel)?;
            }
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(pump) = self.channels.remove(&channel).and_then(|s| s.pump) {
            pump.close();
        }
        Ok(())
    }
}
