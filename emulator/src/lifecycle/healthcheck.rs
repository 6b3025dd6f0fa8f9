//! `acnslab healthcheck`: asks a lab's health port (`GET /healthz`, docs/deploy.md) and succeeds
//! only on 200, for a container's `HEALTHCHECK` (an image `FROM scratch` has no curl). The port is
//! `--port`'s on 127.0.0.1, or the one `lab.json` of the state directory names. One plain HTTP/1.1
//! request with a timeout; prints the answer's body.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use super::Outcome;
use crate::lab::LabInfo;

/// How long the whole check may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Checks the health port `port` on 127.0.0.1, or the one in `state_dir`'s `lab.json`.
pub fn healthcheck(state_dir: &Path, port: Option<u16>) -> Result<Outcome, String> {
    let addr = match port {
        Some(port) => SocketAddr::from(([127, 0, 0, 1], port)),
        None => {
            let info = LabInfo::running(state_dir).map_err(|e| e.to_string())?;
            let health = info.health.ok_or_else(|| {
                format!(
                    "the lab in {} has no health port (started by an acnslab without one)",
                    state_dir.display()
                )
            })?;
            health
                .parse()
                .map_err(|e| format!("lab.json: health {health:?}: {e}"))?
        }
    };
    let (status, body) =
        get(addr, "/healthz").map_err(|e| format!("http://{addr}/healthz: {e}"))?;
    Ok(Outcome {
        text: format!("{body}\n"),
        success: status == 200,
    })
}

/// `GET path` of the health port at `addr` (`/healthz`, `/metrics`): (status, body).
pub(super) fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.take(1 << 20).read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("not an HTTP answer"))?;
    Ok((status, body.trim().to_string()))
}
