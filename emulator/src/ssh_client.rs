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
    ) -> Result<CliShell, String> {
        let config = Arc::new(client::Config {
            nodelay: true,
            inactivity_timeout: Some(timeout * 4),
            ..Default::default()
        });
        let open = async {
            let mut handle = client::connect(config, addr, LabHost)
                .await
                .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
            let auth = handle
                .authenticate_password(user, password)
                .await
                .map_err(|e| format!("login to {addr} failed: {e}"))?;
            if !auth.success() {
                return Err(format!("login to {addr} as {user} was refused"));
            }
            let channel = handle
                .channel_open_session()
                .await
                .map_err(|e| format!("{addr}: no session channel: {e}"))?;
            channel
                .request_pty(true, "vt100", 200, 24, 0, 0, &[])
                .await
                .map_err(|e| format!("{addr}: pty refused: {e}"))?;
            channel
                .request_shell(true)
                .await
                .map_err(|e| format!("{addr}: shell refused: {e}"))?;
            Ok((handle, channel))
        };
        let (handle, channel) = tokio::time::timeout(timeout, open)
            .await
            .map_err(|_| format!("no answer from {addr} within {timeout:?}"))??;
        let mut shell = CliShell {
            handle,
            channel,
            prompt: String::new(),
            timeout,
        };
        match shell.read_reply(false, &mut |_| {}).await?.ending {
            Ending::Waiting { prompt, .. } => shell.prompt = prompt,
            Ending::Closed { .. } => return Err(format!("{addr} closed the session at once")),
        }
        Ok(shell)
    }

    /// The prompt (or question) the device printed last.
    pub fn prompt(&self) -> &str {
        &self.prompt
    }

    /// Types `line` and Enter; returns the reply once the device waits again or closes.
    pub async fn send(&mut self, line: &str) -> Result<Exchange, String> {
        self.send_watching(line, &mut |_| {}).await
    }

    /// [`Self::send`], showing `watch` each piece of output as it arrives (CR removed), e.g. to
    /// act while a download prints its progress.
    pub async fn send_watching(
        &mut self,
        line: &str,
        watch: &mut dyn FnMut(&str),
    ) -> Result<Exchange, String> {
        self.channel
            .data(format!("{line}\r").as_bytes())
            .await
            .map_err(|e| format!("cannot send {line:?}: {e}"))?;
        let exchange = self.read_reply(true, watch).await?;
        if let Ending::Waiting { prompt, .. } = &exchange.ending {
            self.prompt = prompt.clone();
        }
        Ok(exchange)
    }

    /// Reads until the unfinished last line is a prompt, or the channel closes. With `echoed`, the
    /// first line (the echo of the typed line, empty for a password) is not output.
    async fn read_reply(
        &mut self,
        echoed: bool,
        watch: &mut dyn FnMut(&str),
    ) -> Result<Exchange, String> {
        let mut bytes = Vec::new();
        let mut exit_status = None;
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let text = String::from_utf8_lossy(&bytes).replace('\r', "");
            let body = if echoed {
                text.split_once('\n').map(|(_, rest)| rest)
            } else {
                Some(text.as_str())
            };
            if let Some(body) = body {
                let (before, last) = match body.rsplit_once('\n') {
                    Some((before, last)) => (format!("{before}\n"), last),
                    None => (String::new(), body),
                };
                if let Some(kind) = waiting_for(last) {
                    return Ok(Exchange {
                        output: before,
                        ending: Ending::Waiting {
                            prompt: last.trim_end_matches(' ').to_string(),
                            kind,
                        },
                    });
                }
            }
            let msg = tokio::time::timeout_at(deadline, self.channel.wait())
                .await
                .map_err(|_| {
                    let tail: String = text
                        .chars()
                        .rev()
                        .take(200)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    format!(
                        "no prompt within {:?}; the last output was {tail:?}",
                        self.timeout
                    )
                })?;
            match msg {
                Some(ChannelMsg::Data { data }) => {
                    watch(&String::from_utf8_lossy(&data).replace('\r', ""));
                    bytes.extend_from_slice(&data);
                }
                Some(ChannelMsg::ExitStatus { exit_status: s }) => exit_status = Some(s),
                Some(ChannelMsg::Close) | None => {
                    let output = if echoed {
                        text.split_once('\n')
                            .map(|(_, rest)| rest.to_string())
                            .unwrap_or_default()
                    } else {
                        text
                    };
                    return Ok(Exchange {
                        output,
                        ending: Ending::Closed { exit_status },
                    });
                }
                Some(_) => {}
            }
        }
    }

    /// Ends the connection politely.
    pub async fn close(self) {
        let _ = self.channel.close().await;
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}
