//! The control socket of a running lab (`DIR/control.sock`, a Unix socket): how `acnslab console`
//! reaches a device's CLI without SSH. One JSON object per line each way:
//!
//! ```text
//! -> {"open": "ce1"}                    <- {"prompt": "ce1#", "secret": false}
//! -> {"line": "show version"}           <- {"output": "...", "prompt": "ce1#", "secret": false, "closed": false}
//! -> {"help": "show "}                  <- {"output": "...", "prompt": "ce1#", ...}
//! -> {"complete": "sh ver"}             <- {"line": "sh version "}
//! -> {"now": null}                      <- {"output": "2026-11-26T09:02:05.250Z"}   (the lab clock)
//! -> {"power": "ce1"}                   <- {"output": "rebooting"}   (running | booting | rebooting)
//! -> {"status": null}                   <- {"devices": [{"name": "cdm1", "power": "running", ...}]}
//! -> {"snapshot": null}                 <- {"topology": {"lab": {...}, "devices": [...]}}   (the lab now)
//! ```
//! A console session is the device's console line: user `admin`, privilege 15. A reply whose prompt
//! is a question (`[confirm]`, `Save?[yes]:`, FTP login) has `"question": true`; a reply that closes
//! the session because the device reloads (`reload`, an install) has `"reloading": true`. `now` and
//! `power` work with or without an open device (`acnslab record` uses them). A request line longer
//! than [`MAX_LINE`] is answered with an error and the connection is closed (it is never buffered
//! whole).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::driver::{self, After};
use crate::lab::{Lab, Node};
use crate::owned::{Backoff, Tasks};
use crate::session::{InputKind, Session};

/// A request from a console client.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Request {
    Open(String),
    Line(String),
    Help(String),
    Complete(String),
    /// The lab clock's current time.
    Now,
    /// A device's power state.
    Power(String),
    /// Every device now (`acnslab status`, `acnslab inspect`).
    Status,
    /// The lab as it is now, as a topology (`Lab::snapshot`, for `acnslab record`).
    Snapshot,
}

/// The answer to a request.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Reply {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prompt: String,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub closed: bool,
    /// The prompt is a question waiting for an answer (not a mode prompt).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub question: bool,
    /// The session closed because the device reloads (it boots again in `boot_seconds`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reloading: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The answer to `{"status": null}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<Vec<crate::lab::DeviceStatus>>,
    /// The answer to `{"snapshot": null}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology: Option<crate::topology::Topology>,
}

/// How long a front end, when it ends, waits for the clients of its local sockets (console,
/// grader) to end.
pub const CLIENTS_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// The socket path in a state directory.
pub fn socket_path(state_dir: &Path) -> PathBuf {
    state_dir.join("control.sock")
}

/// Serves the control socket of `lab` until the task is dropped; each client runs as one of
/// `tasks` (stopped with them).
pub async fn serve(path: PathBuf, lab: Arc<Lab>, tasks: Tasks) -> std::io::Result<()> {
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)?;
    let mut backoff = Backoff::default();
    loop {
        let (stream, _) = backoff.accept("control socket", || listener.accept()).await;
        let lab = lab.clone();
        tasks.spawn(async move {
            if let Err(e) = client(stream, lab).await {
                tracing::debug!(error = %e, "console client ended");
            }
        });
    }
}

/// The longest request line the control socket reads: 64 KiB (a CLI line is at most a few KB).
pub const MAX_LINE: usize = 64 * 1024;

/// The next line of `reader` without its line end, `None` at the end of the stream; a line
/// longer than `max` bytes is an `InvalidData` error as soon as `max` is passed, so at most `max`
/// bytes (and the reader's buffer) are ever held.
async fn next_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            if line.is_empty() {
                return Ok(None);
            }
            break;
        }
        let (part, end) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        if line.len() + part.len() > max {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("request line longer than {max} bytes"),
            ));
        }
        line.extend_from_slice(part);
        let used = end.unwrap_or(part.len());
        reader.consume(used);
        if end.is_some() {
            break;
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

async fn client(stream: UnixStream, lab: Arc<Lab>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut console: Option<(Arc<Node>, Session)> = None;
    loop {
        let text = match next_line(&mut reader, MAX_LINE).await {
            Ok(Some(text)) => text,
            Ok(None) => break,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                let reply = Reply {
                    error: Some(format!("bad request: {e}")),
                    closed: true,
                    ..Default::default()
                };
                let mut bytes = serde_json::to_vec(&reply).unwrap_or_default();
                bytes.push(b'\n');
                write.write_all(&bytes).await?;
                break;
            }
            Err(e) => return Err(e),
        };
        let reply = match serde_json::from_str::<Request>(&text) {
            Err(e) => Reply {
                error: Some(format!("bad request: {e}")),
                ..Default::default()
            },
            Ok(Request::Now) => Reply {
                output: lab
                    .clock()
                    .now()
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                ..Default::default()
            },
            Ok(Request::Status) => Reply {
                devices: Some(lab.status()),
                ..Default::default()
            },
            Ok(Request::Snapshot) => Reply {
                topology: Some(lab.snapshot()),
                ..Default::default()
            },
            Ok(Request::Power(name)) => match lab.node(&name) {
                None => Reply {
                    error: Some(format!("no device named {name:?} in this lab")),
                    ..Default::default()
                },
                Some(node) => Reply {
                    output: node.device().state().power.word().into(),
                    ..Default::default()
                },
            },
            Ok(Request::Open(name)) => match lab.node(&name).cloned() {
                None => Reply {
                    error: Some(format!("no device named {name:?} in this lab")),
                    ..Default::default()
                },
                Some(node) => {
                    let session = node.session("admin", 15, "console");
                    let reply = prompt_reply(&session, String::new());
                    console = Some((node, session));
                    reply
                }
            },
            Ok(request) => match console.as_mut() {
                None => Reply {
                    error: Some("open a device first".into()),
                    ..Default::default()
                },
                Some((node, session)) => match request {
                    Request::Line(line) => {
                        let mut text = String::new();
                        let ran =
                            driver::run_line(session, &line, &mut |t: &str| text.push_str(t)).await;
                        match ran.after {
                            After::Open => prompt_reply(session, text),
                            After::Closed => Reply {
                                output: text,
                                closed: true,
                                ..Default::default()
                            },
                            After::Reload => {
                                node.reload();
                                Reply {
                                    output: text,
                                    closed: true,
                                    reloading: true,
                                    ..Default::default()
                                }
                            }
                        }
                    }
                    Request::Help(line) => prompt_reply(session, session.help(&line)),
                    Request::Complete(line) => Reply {
                        line: Some(session.complete(&line)),
                        ..Default::default()
                    },
                    Request::Open(_)
                    | Request::Now
                    | Request::Power(_)
                    | Request::Status
                    | Request::Snapshot => {
                        unreachable!("handled above")
                    }
                },
            },
        };
        let mut bytes = serde_json::to_vec(&reply).unwrap_or_default();
        bytes.push(b'\n');
        write.write_all(&bytes).await?;
        if reply.closed {
            break;
        }
    }
    Ok(())
}

fn prompt_reply(session: &Session, output: String) -> Reply {
    let kind = session.input_kind();
    Reply {
        output,
        prompt: session.prompt(),
        secret: kind == InputKind::Secret,
        question: kind != InputKind::Command,
        ..Default::default()
    }
}

/// Why a console request got no answer from the lab (or the lab refused it).
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{path}: {source} (is a lab running with this --state-dir?)")]
    NoLab {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    NotRunning(#[from] crate::lab::NoLab),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the lab closed the console")]
    Closed,
    #[error("{0}")]
    BadReply(#[from] serde_json::Error),
    #[error("the lab sent a bad time {text:?}: {source}")]
    BadTime {
        text: String,
        source: chrono::ParseError,
    },
    /// The lab's own refusal (no such device, ...), as it said it.
    #[error("{0}")]
    Refused(String),
}

/// The client side: a blocking connection used by `acnslab console`.
pub struct ConsoleClient {
    reader: std::io::BufReader<std::os::unix::net::UnixStream>,
    writer: std::os::unix::net::UnixStream,
}

impl ConsoleClient {
    /// Connects to the lab in `state_dir` and opens `device`; returns the first reply (the prompt).
    pub fn open(state_dir: &Path, device: &str) -> Result<(Self, Reply), ControlError> {
        let mut client = Self::connect(state_dir)?;
        let reply = client.request(&Request::Open(device.to_string()))?;
        if let Some(e) = &reply.error {
            return Err(ControlError::Refused(e.clone()));
        }
        Ok((client, reply))
    }

    /// Connects to the lab in `state_dir` without opening a device (for `now` and `power`).
    pub fn connect(state_dir: &Path) -> Result<Self, ControlError> {
        crate::lab::LabInfo::running(state_dir)?;
        let path = socket_path(state_dir);
        let stream = std::os::unix::net::UnixStream::connect(&path)
            .map_err(|source| ControlError::NoLab { path, source })?;
        let writer = stream.try_clone()?;
        Ok(ConsoleClient {
            reader: std::io::BufReader::new(stream),
            writer,
        })
    }

    /// The lab clock's time now (`{"now": null}`).
    pub fn now(&mut self) -> Result<chrono::DateTime<chrono::Utc>, ControlError> {
        let reply = self.request(&Request::Now)?;
        if let Some(e) = reply.error {
            return Err(ControlError::Refused(e));
        }
        chrono::DateTime::parse_from_rfc3339(&reply.output)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|source| ControlError::BadTime {
                text: reply.output.clone(),
                source,
            })
    }

    /// A device's power state word (`{"power": "ce1"}`): running, booting or rebooting.
    pub fn power(&mut self, device: &str) -> Result<String, ControlError> {
        let reply = self.request(&Request::Power(device.to_string()))?;
        match reply.error {
            Some(e) => Err(ControlError::Refused(e)),
            None => Ok(reply.output),
        }
    }

    /// Every device of the lab now (`{"status": null}`).
    pub fn status(&mut self) -> Result<Vec<crate::lab::DeviceStatus>, ControlError> {
        let reply = self.request(&Request::Status)?;
        match reply.error {
            Some(e) => Err(ControlError::Refused(e)),
            None => Ok(reply.devices.unwrap_or_default()),
        }
    }

    /// The lab as it is now, as a topology (`{"snapshot": null}`).
    pub fn snapshot(&mut self) -> Result<crate::topology::Topology, ControlError> {
        let reply = self.request(&Request::Snapshot)?;
        match (reply.error, reply.topology) {
            (Some(e), _) => Err(ControlError::Refused(e)),
            (None, Some(topology)) => Ok(topology),
            (None, None) => Err(ControlError::Refused(
                "the lab sent no topology (is it an older acnslab?)".into(),
            )),
        }
    }

    /// Sends one request and waits for its reply.
    pub fn request(&mut self, request: &Request) -> Result<Reply, ControlError> {
        use std::io::{BufRead, Write};
        let mut bytes = serde_json::to_vec(request)?;
        bytes.push(b'\n');
        self.writer.write_all(&bytes)?;
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(ControlError::Closed);
        }
        Ok(serde_json::from_str(&line)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 15 item 10: the control socket buffered a 300 MB line.
    #[tokio::test]
    async fn request_lines_are_bounded_and_read_as_before() {
        let text = b"{\"now\": null}\r\nsecond\nlast";
        let mut reader = BufReader::with_capacity(4, &text[..]);
        assert_eq!(
            next_line(&mut reader, 64).await.unwrap().as_deref(),
            Some(r#"{"now": null}"#)
        );
        assert_eq!(
            next_line(&mut reader, 64).await.unwrap().as_deref(),
            Some("second")
        );
        assert_eq!(
            next_line(&mut reader, 64).await.unwrap().as_deref(),
            Some("last")
        );
        assert_eq!(next_line(&mut reader, 64).await.unwrap(), None);
        // a line without an end is refused once it passes the bound, without reading it all
        let endless = tokio::io::repeat(b'x');
        let mut reader = BufReader::new(endless);
        let e = next_line(&mut reader, MAX_LINE).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("longer than 65536 bytes"), "{e}");
    }

    #[test]
    fn requests_read_as_documented() {
        let now: Request = serde_json::from_str(r#"{"now": null}"#).expect("now");
        assert!(matches!(now, Request::Now));
        let now: Request = serde_json::from_str(r#""now""#).expect("now as a word");
        assert!(matches!(now, Request::Now));
        let power: Request = serde_json::from_str(r#"{"power": "ce1"}"#).expect("power");
        assert!(matches!(power, Request::Power(ref d) if d == "ce1"));
        let line: Request = serde_json::from_str(r#"{"line": "show version"}"#).expect("line");
        assert!(matches!(line, Request::Line(ref l) if l == "show version"));
    }

    #[test]
    fn new_reply_fields_are_left_out_when_false() {
        let text = serde_json::to_string(&Reply {
            prompt: "ce1#".into(),
            ..Default::default()
        })
        .expect("json");
        assert_eq!(text, r#"{"prompt":"ce1#","secret":false,"closed":false}"#);
        let reply: Reply = serde_json::from_str(r#"{"output":"x","closed":true,"reloading":true}"#)
            .expect("reply");
        assert!(reply.closed && reply.reloading && !reply.question);
    }
}
