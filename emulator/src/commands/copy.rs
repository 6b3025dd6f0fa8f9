//! Transfers from and to image servers: `copy ftp install|disk`, `copy http install`,
//! `copy disk ftp`. An FTP copy asks the login and the password, then hands a `tasks::Task` to the
//! edge, which runs the transfer outside the session; the handler itself never transfers.

use super::args::Args;
use super::outcome::{Ask, Input, Outcome};
use super::system::H_COPY;
use super::unit::ExecCommand;
use crate::tasks::{Task, Then, Via};
use crate::text::install as text;

pub(super) static EXEC: &[&ExecCommand] = &[
    &COPY_FTP_INSTALL,
    &COPY_FTP_DISK,
    &COPY_HTTP_INSTALL,
    &COPY_DISK_FTP,
];

const H_FTP: &str = "Copy from an FTP server";
const H_HOST: &str = "Server name or IP address";
const H_REMOTEDIR: &str = "Remote directory";
const H_REMOTEFILE: &str = "Remote file name";
const H_LOCALFILE: &str = "File name in /local/local1";
const H_INSTALL: &str = "Download and install a software image (the device reboots)";
const H_DISK: &str = "Copy to or from the local disk (/local/local1)";

static ASK_FTP_USER: Ask = Ask {
    prompt: text::ASK_FTP_USER,
    input: Input::Answer,
};
static ASK_FTP_PASSWORD: Ask = Ask {
    prompt: text::ASK_FTP_PASSWORD,
    input: Input::Secret,
};
const FTP_LOGIN: &[&Ask] = &[&ASK_FTP_USER, &ASK_FTP_PASSWORD];

/// Asks the FTP login and password, then runs the task `make` builds from them.
fn with_ftp_login(make: impl FnOnce(String, String) -> Task + Send + 'static) -> Outcome {
    Outcome::ask(&ASK_FTP_USER, move |user, _| {
        let user = user.to_string();
        Outcome::ask(&ASK_FTP_PASSWORD, move |password, _| {
            Outcome::Run(make(user, password.to_string()))
        })
    })
}

/// The server, directory and file of a transfer.
fn remote(args: &Args<'_>) -> (String, String, String) {
    (
        args.word("host").to_string(),
        args.word("remotedir").to_string(),
        args.word("remotefile").to_string(),
    )
}

static COPY_FTP_INSTALL: ExecCommand = ExecCommand::new(
    "copy ftp install HOST REMOTEDIR REMOTEFILE",
    &[H_COPY, H_FTP, H_INSTALL, H_HOST, H_REMOTEDIR, H_REMOTEFILE],
    |args: &Args<'_>, _| {
        let (host, dir, file) = remote(args);
        with_ftp_login(move |user, password| Task::Download {
            via: Via::Ftp { user, password },
            host,
            dir,
            file,
            then: Then::Install,
        })
    },
)
.privileged()
.asks(FTP_LOGIN);

static COPY_FTP_DISK: ExecCommand = ExecCommand::new(
    "copy ftp disk HOST REMOTEDIR REMOTEFILE LOCALFILE",
    &[
        H_COPY,
        H_FTP,
        H_DISK,
        H_HOST,
        H_REMOTEDIR,
        H_REMOTEFILE,
        H_LOCALFILE,
    ],
    |args: &Args<'_>, _| {
        let (host, dir, file) = remote(args);
        let local = args.word("localfile").to_string();
        with_ftp_login(move |user, password| Task::Download {
            via: Via::Ftp { user, password },
            host,
            dir,
            file,
            then: Then::Keep(local),
        })
    },
)
.privileged()
.asks(FTP_LOGIN);

static COPY_HTTP_INSTALL: ExecCommand = ExecCommand::new(
    "copy http install HOST REMOTEDIR REMOTEFILE [port (1-65535)$port]",
    &[
        H_COPY,
        "Copy from an HTTP server",
        H_INSTALL,
        H_HOST,
        H_REMOTEDIR,
        H_REMOTEFILE,
        "HTTP server port (default 80)",
        "Port number",
    ],
    |args: &Args<'_>, _| {
        let (host, dir, file) = remote(args);
        Outcome::Run(Task::Download {
            via: Via::Http {
                port: args.opt_number("port").unwrap_or(80) as u16,
            },
            host,
            dir,
            file,
            then: Then::Install,
        })
    },
)
.privileged();

static COPY_DISK_FTP: ExecCommand = ExecCommand::new(
    "copy disk ftp HOST REMOTEDIR REMOTEFILE LOCALFILE",
    &[
        H_COPY,
        H_DISK,
        "Copy to an FTP server",
        H_HOST,
        H_REMOTEDIR,
        H_REMOTEFILE,
        H_LOCALFILE,
    ],
    |args: &Args<'_>, _| {
        let (host, dir, file) = remote(args);
        let local = args.word("localfile").to_string();
        with_ftp_login(move |user, password| Task::Upload {
            user,
            password,
            host,
            dir,
            file,
            local,
        })
    },
)
.privileged()
.asks(FTP_LOGIN);
