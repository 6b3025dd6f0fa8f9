//! How the measuring clients use a device: the lab's admin account and one line typed on an open
//! [`CliShell`], where a reply that ends the session is a failure. Connecting and timing are the
//! callers'.

use std::net::SocketAddr;

use acnslab::ssh_client::{CliShell, ClientError, Ending};

/// The account every device of a generated lab has.
pub const USERNAME: &str = "admin";
/// Its password.
pub const PASSWORD: &str = "default";

/// Types `line` and waits for the next prompt; the session closing instead is
/// [`ClientError::Closed`].
pub async fn run_line(cli: &mut CliShell, line: &str, addr: SocketAddr) -> Result<(), ClientError> {
    let exchange = cli.send(line).await?;
    match exchange.ending {
        Ending::Waiting { .. } => Ok(()),
        Ending::Closed { .. } => Err(ClientError::Closed { addr }),
    }
}
