//! A line-at-a-time SSH client for the lab's own devices, as an operator at a terminal uses them:
//! connect and log in, open a shell with a pty, type a line, read until the device waits for input
//! again (a mode prompt or a question, told by [`crate::session::waiting_for`]) or closes the
//! session. `acnslab run --ssh` drives devices through it, so scenario steps cross real SSH.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use russh::client::{self, Handle};
use russh::{Channel, ChannelMsg};

use crate::session::{waiting_for, InputKind};

/// Trusts the host key: the client only talks to devices of a lab on loopback.
pub struct LabHost;

impl client::Handler for LabHost {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// How a reply ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The device waits for the next input after this prompt or question.
    Waiting { prompt: String, kind: InputKind },
    /// The session ended: `exit_status` is sent by a normal exit, not when the device reloads.
    Closed { exit_status: Option<u32> },
}

/// What one typed line produced: the output (LF line ends, without the echo of the line and
/// without the prompt that follows) and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub output: String,
    pub ending: Ending,
}

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: russh::Error,
    },
    #[error("login to {addr} failed: {source}")]
    Login {
        addr: SocketAddr,
        source: russh::Error,
    },
    #[error("login to {addr} as {user} was refused")]
    Refused { addr: SocketAddr, user: String },
    #[error("{addr}: {what} refused: {source}")]
    Channel {
        addr: SocketAddr,
        what: &'static str,
        source: russh::Error,
    },
    #[error("no answer from {addr} within {timeout:?}")]
    NoAnswer { addr: SocketAddr, timeout: Duration },
    #[error("{addr} closed the session at once")]
    ClosedAtOnce { addr: SocketAddr },
    #[error("{addr} closed the session")]
    Closed { addr: SocketAddr },
    #[error("cannot send {line:?}: {source}")]
    Send { line: String, source: russh::Error },
    #[error("no prompt within {timeout:?}; the last output was {tail:?}")]
    NoPrompt { timeout: Duration, tail: String },
    #[error("{MAX_REPLY} bytes without a prompt")]
    Overflow,
}

impl ClientError {
    /// A short name of the kind of failure (counted by `acnslab bench`).
    pub fn kind(&self) -> &'static str {
        match self {
            ClientError::Connect { .. } => "connect",
            ClientError::Login { .. } | ClientError::Refused { .. } => "auth",
            ClientError::Channel { what, .. } => what,
            ClientError::NoAnswer { .. } => "connect_timeout",
            ClientError::ClosedAtOnce { .. } | ClientError::Closed { .. } => "eof",
            ClientError::Send { .. } => "send",
            ClientError::NoPrompt { .. } => "read_timeout",
            ClientError::Overflow => "overflow",
        }
    }
}

/// The most output one reply may hold before the client gives up on seeing a prompt.
const MAX_REPLY: usize = 8 << 20;

/// Connects to `addr` and logs in with a password, within `timeout`.
pub async fn login(
    addr: SocketAddr,
    user: &str,
    password: &str,
    timeout: Duration,
) -> Result<Handle<LabHost>, ClientError> {
    let config = Arc::new(client::Config {
        nodelay: true,
        inactivity_timeout: Some(timeout * 4),
        ..Default::default()
    });
    let login = async {
        let mut handle = client::connect(config, addr, LabHost)
            .await
            .map_err(|source| ClientError::Connect { addr, source })?;
        let auth = handle
            .authenticate_password(user, password)
            .await
            .map_err(|source| ClientError::Login { addr, source })?;
        if !auth.success() {
            return Err(ClientError::Refused {
                addr,
                user: user.to_string(),
            });
        }
        Ok(handle)
    };
    tokio::time::timeout(timeout, login)
        .await
        .map_err(|_| ClientError::NoAnswer { addr, timeout })?
}

/// An open interactive session on a device.
pub struct CliShell {
    handle: Handle<LabHost>,
    channel: Channel<client::Msg>,
    /// The prompt the device last printed.
    prompt: String,
    timeout: Duration,
}

impl CliShell {
    /// Connects to `addr`, logs in, opens a shell and reads up to the first prompt. Every wait is
    /// bounded by `timeout`.
    pub async fn open(
        addr: SocketAddr,
        user: &str,
        password: &str,
        timeout: Duration,
    ) -> Result<CliShell, ClientError> {
        let handle = login(addr, user, password, timeout).await?;
        CliShell::start(handle, addr, timeout).await
    }

    /// Opens a shell with a pty on a logged-in connection and reads up to the first prompt.
    pub async fn start(
        handle: Handle<LabHost>,
        addr: SocketAddr,
        timeout: Duration,
    ) -> Result<CliShell, ClientError> {
        let refused = |what| move |source| ClientError::Channel { addr, what, source };
        let open = async {
            let channel = handle
                .channel_open_session()
                .await
                .map_err(refused("channel"))?;
            channel
                .request_pty(true, "vt100", 200, 24, 0, 0, &[])
                .await
                .map_err(refused("pty"))?;
            channel
                .request_shell(true)
                .await
                .map_err(refused("shell"))?;
            Ok(channel)
        };
        let channel = tokio::time::timeout(timeout, open)
            .await
            .map_err(|_| ClientError::NoAnswer { addr, timeout })??;
        let mut shell = CliShell {
            handle,
            channel,
            prompt: String::new(),
            timeout,
        };
        match shell.read_reply(false, &mut |_| {}).await?.ending {
            Ending::Waiting { prompt, .. } => shell.prompt = prompt,
            Ending::Closed { .. } => return Err(ClientError::ClosedAtOnce { addr }),
        }
        Ok(shell)
    }

    /// The prompt (or question) the device printed last.
    pub fn prompt(&self) -> &str {
        &self.prompt
    }

    /// Types `line` and Enter; returns the reply once the device waits again or closes.
    pub async fn send(&mut self, line: &str) -> Result<Exchange, ClientError> {
        self.send_watching(line, &mut |_| {}).await
    }

    /// [`Self::send`], showing `watch` each piece of output as it arrives (CR removed), e.g. to
    /// act while a download prints its progress.
    pub async fn send_watching(
        &mut self,
        line: &str,
        watch: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Exchange, ClientError> {
        self.channel
            .data(format!("{line}\r").as_bytes())
            .await
            .map_err(|source| ClientError::Send {
                line: line.to_string(),
                source,
            })?;
        let exchange = self.read_reply(true, watch).await?;
        if let Ending::Waiting { prompt, .. } = &exchange.ending {
            self.prompt = prompt.clone();
        }
        Ok(exchange)
    }

    /// Reads until the unfinished last line is a prompt, or the channel closes; a `--More--` of
    /// the pager is answered with a space, as a reader at the terminal would. With `echoed`, the
    /// first line (the echo of the typed line, empty for a password) is not output.
    async fn read_reply(
        &mut self,
        echoed: bool,
        watch: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Exchange, ClientError> {
        let mut bytes = Vec::new();
        let mut exit_status = None;
        let mut answered_more = None;
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            // Only the unfinished last line can be a prompt: look at it, not at the whole reply.
            let line_start = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            let echo_done = !echoed || line_start > 0;
            let last = String::from_utf8_lossy(&bytes[line_start..]).replace('\r', "");
            if echo_done {
                if let Some(kind) = waiting_for(&last) {
                    let text = String::from_utf8_lossy(&bytes[..line_start]).replace('\r', "");
                    return Ok(Exchange {
                        output: without_echo(text, echoed),
                        ending: Ending::Waiting {
                            prompt: last.trim_end_matches(' ').to_string(),
                            kind,
                        },
                    });
                }
            }
            // Once per pager stop: new output must come before the next space.
            if last.trim_end().ends_with("--More--") && answered_more != Some(bytes.len()) {
                answered_more = Some(bytes.len());
                self.channel
                    .data(&b" "[..])
                    .await
                    .map_err(|source| ClientError::Send {
                        line: " ".into(),
                        source,
                    })?;
            }
            if bytes.len() > MAX_REPLY {
                return Err(ClientError::Overflow);
            }
            let msg = tokio::time::timeout_at(deadline, self.channel.wait())
                .await
                .map_err(|_| {
                    let from = bytes.len().saturating_sub(200);
                    ClientError::NoPrompt {
                        timeout: self.timeout,
                        tail: String::from_utf8_lossy(&bytes[from..]).replace('\r', ""),
                    }
                })?;
            match msg {
                Some(ChannelMsg::Data { data }) => {
                    watch(&String::from_utf8_lossy(&data).replace('\r', ""));
                    bytes.extend_from_slice(&data);
                }
                Some(ChannelMsg::ExitStatus { exit_status: s }) => exit_status = Some(s),
                Some(ChannelMsg::Close) | None => {
                    let text = String::from_utf8_lossy(&bytes).replace('\r', "");
                    return Ok(Exchange {
                        output: without_echo(text, echoed),
                        ending: Ending::Closed { exit_status },
                    });
                }
                Some(_) => {}
            }
        }
    }

    /// Ends the connection politely, and waits (briefly) for the connection to close.
    pub async fn close(self) {
        let _ = self.channel.close().await;
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.handle).await;
    }
}

/// The reply without its first line (the echo of the typed line) when `echoed`.
fn without_echo(text: String, echoed: bool) -> String {
    if !echoed {
        return text;
    }
    text.split_once('\n')
        .map(|(_, rest)| rest.to_string())
        .unwrap_or_default()
}
