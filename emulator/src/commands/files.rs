//! Commands that change the disk (`/local1`): `install`, `delfile`, `cpfile`, `rename`, `mkdir`,
//! `rmdir`, `deltree`, `mkfile`; and [`locate`], the one way every disk command (these and the
//! views in `directory`) turns a typed name into a place on the disk. Names follow
//! [`crate::disk_path`]: relative to the session's directory or in any form the device prints;
//! a name that leaves `/local1` or goes through a symbolic link is refused before the disk is
//! touched.

use std::path::{Path, PathBuf};

use super::args::Args;
use super::context::Ctx;
use super::outcome::{yes_no, Ask, Input, Outcome};
use super::unit::ExecCommand;
use crate::disk_path::{DiskPath, PathError};
use crate::text::{cms as cms_text, files as text, msg, prompt};

pub(super) static EXEC: &[&ExecCommand] = &[
    &INSTALL, &DELFILE, &CPFILE, &RENAME, &MKDIR, &RMDIR, &DELTREE, &MKFILE,
];

const H_FILE: &str = "File name in /local1 (or below it)";
const H_DIRECTORY: &str = "Directory name in /local1 (or below it)";

/// `typed` read from the session's current directory: the path on the disk and on the host, or
/// the `% Error:` to print.
pub(super) fn locate(ctx: &Ctx<'_>, typed: &str) -> Result<(DiskPath, PathBuf), String> {
    ctx.device.disk_path(&ctx.session.cwd, typed).map_err(|e| {
        let lead = match e {
            PathError::Empty => msg::BAD_FILE_NAME,
            PathError::Outside => text::OUTSIDE,
            PathError::Link => text::THROUGH_LINK,
        };
        format!("{lead}{typed}")
    })
}

/// An existing file (not a directory), or the `% Error:` to print.
pub(super) fn existing_file(ctx: &Ctx<'_>, typed: &str) -> Result<(DiskPath, PathBuf), String> {
    let (path, host) = locate(ctx, typed)?;
    if host.is_dir() {
        return Err(format!("{}{typed}", text::IS_A_DIRECTORY));
    }
    if !host.is_file() {
        return Err(format!("{}{typed}", cms_text::NO_FILE));
    }
    Ok((path, host))
}

/// An existing directory, or the `% Error:` to print.
pub(super) fn existing_dir(ctx: &Ctx<'_>, typed: &str) -> Result<(DiskPath, PathBuf), String> {
    let (path, host) = locate(ctx, typed)?;
    if host.is_dir() {
        Ok((path, host))
    } else if host.exists() {
        Err(format!("{}{typed}", text::NOT_A_DIRECTORY))
    } else {
        Err(format!("{}{typed}", msg::NO_SUCH_DIRECTORY))
    }
}

/// A name for something new: on the disk, not `/local1`, not taken yet.
fn new_name(ctx: &Ctx<'_>, typed: &str) -> Result<(DiskPath, PathBuf), String> {
    let (path, host) = locate(ctx, typed)?;
    if path.is_root() {
        return Err(text::THE_DISK_ITSELF.into());
    }
    if host.symlink_metadata().is_ok() {
        return Err(format!("{}{typed}", text::ALREADY_EXISTS));
    }
    Ok((path, host))
}

/// A directory that may be removed: an existing one, not `/local1`.
fn removable_dir(ctx: &Ctx<'_>, typed: &str) -> Result<(DiskPath, PathBuf), String> {
    let (path, host) = existing_dir(ctx, typed)?;
    if path.is_root() {
        return Err(text::THE_DISK_ITSELF.into());
    }
    Ok((path, host))
}

/// What a failed disk operation prints: the reason in words, never the host's error text.
fn io_failed(typed: &str, e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let why = match e.kind() {
        ErrorKind::NotFound => "no such file or directory on the way",
        ErrorKind::AlreadyExists => "it already exists",
        ErrorKind::PermissionDenied => "permission denied",
        ErrorKind::DirectoryNotEmpty => "the directory is not empty",
        ErrorKind::IsADirectory => "it is a directory",
        ErrorKind::NotADirectory => "a part of the path is not a directory",
        ErrorKind::StorageFull => "not enough space on /local1",
        _ => "the disk refused it",
    };
    tracing::warn!(path = typed, error = %e, "disk operation failed");
    format!("{}{typed}: {why}", text::IO_FAILED)
}

/// Gives `host` and the directory holding it the lab clock's time, as the device wrote them.
fn stamp_with_parent(ctx: &Ctx<'_>, host: &Path) {
    ctx.device.stamp(host);
    if let Some(parent) = host.parent() {
        ctx.device.stamp(parent);
    }
}

/// Runs `f` on the located value, or fails with its error.
fn with<T>(found: Result<T, String>, f: impl FnOnce(T) -> Outcome) -> Outcome {
    match found {
        Ok(value) => f(value),
        Err(e) => Outcome::Fail(e),
    }
}

static INSTALL: ExecCommand = ExecCommand::new(
    "install LOCALFILE",
    &[
        "Install a software image from /local1 (the device reboots)",
        H_FILE,
    ],
    |args: &Args<'_>, ctx| {
        with(existing_file(ctx, args.word("localfile")), |(path, _)| {
            // verifying hashes the whole image: a task, run off the session by the edge
            Outcome::Run(crate::tasks::Task::Install {
                local: path.relative(),
            })
        })
    },
)
.privileged();

static DELFILE: ExecCommand = ExecCommand::new(
    "delfile LOCALFILE",
    &["Delete a file from /local1", H_FILE],
    |args: &Args<'_>, ctx| {
        let typed = args.word("localfile");
        with(
            existing_file(ctx, typed),
            |(_, host)| match std::fs::remove_file(&host) {
                Ok(()) => Outcome::done(),
                Err(e) => Outcome::Fail(io_failed(typed, &e)),
            },
        )
    },
)
.privileged();

static CPFILE: ExecCommand = ExecCommand::new(
    "cpfile SOURCE DESTINATION",
    &[
        "Copy a file within /local1",
        "Source file name",
        "Destination file name (or a directory to copy into)",
    ],
    |args: &Args<'_>, ctx| cpfile(ctx, args.word("source"), args.word("destination")),
)
.privileged();

fn cpfile(ctx: &Ctx<'_>, src: &str, dst: &str) -> Outcome {
    let (from_path, from) = match existing_file(ctx, src) {
        Ok(found) => found,
        Err(e) => return Outcome::Fail(e),
    };
    let (to_path, mut to) = match locate(ctx, dst) {
        Ok(found) => found,
        Err(e) => return Outcome::Fail(e),
    };
    if to.is_dir() {
        // into a directory, under the source's name
        let name = from_path.name().unwrap_or_default();
        match ctx.device.disk_path(&to_path, name) {
            Ok((_, host)) => to = host,
            Err(_) => return Outcome::Fail(format!("{}{dst}", text::THROUGH_LINK)),
        }
    }
    if to == from {
        return Outcome::Fail(format!("{}{dst}", text::ALREADY_EXISTS));
    }
    let tmp = to.with_extension("cpfile.tmp");
    let copied = std::fs::copy(&from, &tmp).and_then(|_| std::fs::rename(&tmp, &to));
    match copied {
        Ok(()) => {
            stamp_with_parent(ctx, &to);
            Outcome::done()
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Outcome::Fail(io_failed(dst, &e))
        }
    }
}

static RENAME: ExecCommand = ExecCommand::new(
    "rename OLD NEW",
    &[
        "Rename a file or directory in /local1",
        "Current name",
        "New name (must not exist)",
    ],
    |args: &Args<'_>, ctx| {
        let (old, new) = (args.word("old"), args.word("new"));
        let from = match locate(ctx, old) {
            Ok((path, _)) if path.is_root() => return Outcome::Fail(text::THE_DISK_ITSELF.into()),
            Ok((_, host)) if host.symlink_metadata().is_err() => {
                return Outcome::Fail(format!("{}{old}", cms_text::NO_FILE))
            }
            Ok(found) => found,
            Err(e) => return Outcome::Fail(e),
        };
        let to = match new_name(ctx, new) {
            Ok(found) => found,
            Err(e) => return Outcome::Fail(e),
        };
        if to.0.within(&from.0) {
            return Outcome::Fail(format!("{}{new}", text::NOT_A_DIRECTORY));
        }
        match std::fs::rename(&from.1, &to.1) {
            Ok(()) => {
                stamp_with_parent(ctx, &to.1);
                Outcome::done()
            }
            Err(e) => Outcome::Fail(io_failed(new, &e)),
        }
    },
)
.privileged();

static MKDIR: ExecCommand = ExecCommand::new(
    "mkdir DIRECTORY",
    &["Make a directory in /local1", H_DIRECTORY],
    |args: &Args<'_>, ctx| {
        let typed = args.word("directory");
        with(
            new_name(ctx, typed),
            |(_, host)| match std::fs::create_dir(&host) {
                Ok(()) => {
                    stamp_with_parent(ctx, &host);
                    Outcome::done()
                }
                Err(e) => Outcome::Fail(io_failed(typed, &e)),
            },
        )
    },
)
.privileged();

static MKFILE: ExecCommand = ExecCommand::new(
    "mkfile FILE",
    &["Make an empty file in /local1", H_FILE],
    |args: &Args<'_>, ctx| {
        let typed = args.word("file");
        with(new_name(ctx, typed), |(_, host)| {
            let created = std::fs::File::options()
                .write(true)
                .create_new(true)
                .open(&host);
            match created {
                Ok(_) => {
                    stamp_with_parent(ctx, &host);
                    Outcome::done()
                }
                Err(e) => Outcome::Fail(io_failed(typed, &e)),
            }
        })
    },
)
.privileged();

static RMDIR: ExecCommand = ExecCommand::new(
    "rmdir DIRECTORY",
    &["Remove an empty directory from /local1", H_DIRECTORY],
    |args: &Args<'_>, ctx| {
        let typed = args.word("directory");
        with(removable_dir(ctx, typed), |(_, host)| {
            let empty = std::fs::read_dir(&host).map(|mut entries| entries.next().is_none());
            match empty {
                Ok(false) => Outcome::Fail(format!("{}{typed}", text::NOT_EMPTY)),
                _ => match std::fs::remove_dir(&host) {
                    Ok(()) => {
                        if let Some(parent) = host.parent() {
                            ctx.device.stamp(parent);
                        }
                        Outcome::done()
                    }
                    Err(e) => Outcome::Fail(io_failed(typed, &e)),
                },
            }
        })
    },
)
.privileged();

static ASK_DELTREE: Ask = Ask {
    prompt: prompt::DELTREE_PROCEED,
    input: Input::Answer,
};

static DELTREE: ExecCommand = ExecCommand::new(
    "deltree DIRECTORY",
    &[
        "Remove a directory with all its files and subdirectories from /local1",
        H_DIRECTORY,
    ],
    |args: &Args<'_>, ctx| {
        let typed = args.word("directory").to_string();
        with(removable_dir(ctx, &typed), |(path, host)| {
            let warning = format!(
                "{}\n",
                text::DELTREE_WARNING.replace("{0}", &path.to_string())
            );
            Outcome::ask_after(warning, &ASK_DELTREE, move |answer, ctx| {
                if yes_no(answer, false) != Some(true) {
                    return Outcome::Print(format!("{}\n", text::DELTREE_ABORTED));
                }
                match std::fs::remove_dir_all(&host) {
                    Ok(()) => {
                        if let Some(parent) = host.parent() {
                            ctx.device.stamp(parent);
                        }
                        Outcome::done()
                    }
                    Err(e) => Outcome::Fail(io_failed(&typed, &e)),
                }
            })
        })
    },
)
.privileged()
.asks(&[&ASK_DELTREE]);

#[cfg(test)]
mod tests {
    use crate::commands::testing::run;
    use crate::config::DeviceKind;

    #[test]
    fn mkdir_mkfile_rename_cpfile_and_delfile_work_below_local1() {
        let out = run(
            DeviceKind::Ce,
            &[
                "mkdir logs",
                "mkfile logs/a.txt",
                "rename logs/a.txt /local1/logs/b.txt",
                "cpfile local1/logs/b.txt /local/local1/c.txt",
                "cpfile c.txt logs",
                "delfile logs/b.txt",
                "ls logs",
                "ls",
            ],
        );
        assert!(out[..6].iter().all(String::is_empty), "{out:?}");
        assert_eq!(out[6], "c.txt\n");
        assert!(out[7].contains("c.txt\nlogs\n"), "{}", out[7]);
    }

    #[test]
    fn names_outside_local1_are_refused_before_the_disk_is_touched() {
        let out = run(
            DeviceKind::Cdm,
            &[
                "mkdir ../escape",
                "mkfile /etc/x",
                "delfile /local/local2/x",
                "cpfile syslog.txt ../../stolen",
                "rename syslog.txt /tmp/x",
            ],
        );
        for line in &out {
            assert!(line.starts_with(crate::text::files::OUTSIDE), "{line}");
        }
    }

    #[test]
    fn rmdir_wants_an_empty_directory_and_the_disk_cannot_be_removed() {
        let out = run(
            DeviceKind::Cr,
            &[
                "mkdir d",
                "mkfile d/f",
                "rmdir d",
                "delfile d/f",
                "rmdir d",
                "rmdir /local1",
                "rmdir d",
            ],
        );
        assert!(
            out[2].starts_with(crate::text::files::NOT_EMPTY),
            "{}",
            out[2]
        );
        assert_eq!(out[4], "");
        assert_eq!(out[5], format!("{}\n", crate::text::files::THE_DISK_ITSELF));
        assert!(
            out[6].starts_with(crate::text::msg::NO_SUCH_DIRECTORY),
            "{}",
            out[6]
        );
    }
}
