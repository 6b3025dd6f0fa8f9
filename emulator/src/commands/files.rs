//! File commands on `/local/local1`: `install`, `delfile`, `cpfile`. Names are plain (no `/`, no
//! `..`); anything else is refused before the disk is touched.

use super::args::Args;
use super::outcome::Outcome;
use super::unit::ExecCommand;
use crate::device::Device;
use crate::text::{cms as cms_text, msg};

pub(super) static EXEC: &[&ExecCommand] = &[&INSTALL, &DELFILE, &CPFILE];

const H_LOCALFILE: &str = "File name in /local/local1";

/// The host path of an existing plain file of `/local/local1`, or the `% Error:` to print.
fn existing(device: &Device, name: &str) -> Result<std::path::PathBuf, String> {
    let path = device
        .disk_file(name)
        .ok_or_else(|| format!("{}{name}", msg::BAD_FILE_NAME))?;
    if !path.is_file() {
        return Err(format!("{}{name}", cms_text::NO_FILE));
    }
    Ok(path)
}

static INSTALL: ExecCommand = ExecCommand::new(
    "install LOCALFILE",
    &[
        "Install a software image from /local/local1 (the device reboots)",
        H_LOCALFILE,
    ],
    |args: &Args<'_>, ctx| {
        let name = args.word("localfile");
        match existing(ctx.device, name) {
            // verifying hashes the whole image: a task, run off the session by the edge
            Ok(_) => Outcome::Run(crate::tasks::Task::Install {
                local: name.to_string(),
            }),
            Err(e) => Outcome::Fail(e),
        }
    },
)
.privileged();

static DELFILE: ExecCommand = ExecCommand::new(
    "delfile LOCALFILE",
    &["Delete a file from /local/local1", H_LOCALFILE],
    |args: &Args<'_>, ctx| {
        let name = args.word("localfile");
        match existing(ctx.device, name) {
            Ok(path) => match std::fs::remove_file(&path) {
                Ok(()) => Outcome::done(),
                Err(e) => Outcome::Fail(format!("% Error: {name}: {e}")),
            },
            Err(e) => Outcome::Fail(e),
        }
    },
)
.privileged();

static CPFILE: ExecCommand = ExecCommand::new(
    "cpfile SOURCE DESTINATION",
    &[
        "Copy a file within /local/local1",
        "Source file name",
        "Destination file name",
    ],
    |args: &Args<'_>, ctx| cpfile(ctx.device, args.word("source"), args.word("destination")),
)
.privileged();

fn cpfile(device: &Device, src: &str, dst: &str) -> Outcome {
    let from = match existing(device, src) {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    let Some(to) = device.disk_file(dst) else {
        return Outcome::Fail(format!("{}{dst}", msg::BAD_FILE_NAME));
    };
    let tmp = to.with_extension("cpfile.tmp");
    let copied = std::fs::copy(&from, &tmp).and_then(|_| std::fs::rename(&tmp, &to));
    match copied {
        Ok(()) => {
            device.stamp(&to);
            Outcome::done()
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Outcome::Fail(format!("% Error: {dst}: {e}"))
        }
    }
}
