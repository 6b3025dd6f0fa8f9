//! Looking at the disk (`/local1`) without changing it: `cd`, `pwd`, `dir`, `ls`, `lls`, `type`,
//! `type-tail`. Names are read as every disk command reads them (`files::locate`); layouts come
//! from `text::files`, times from the files' modification times (stamped with the lab clock when
//! the device writes them).

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::args::Args;
use super::context::Ctx;
use super::files::{existing_dir, existing_file, locate};
use super::outcome::Outcome;
use super::unit::ExecCommand;
use crate::clock::ctime;
use crate::text::{files as text, msg};

pub(super) static EXEC: &[&ExecCommand] = &[&CD, &PWD, &DIR, &LS, &LLS, &TYPE, &TYPE_TAIL];

const H_DIRECTORY: &str = "Directory name (default: the current directory)";
const H_FILE: &str = "File name in /local1 (or below it)";

/// Lines `type-tail` prints unless told.
const TAIL_LINES: usize = 10;

/// Bytes of a file `type` looks at to tell text from binary.
const SNIFF_BYTES: usize = 8192;

static CD: ExecCommand = ExecCommand::new(
    "cd DIRECTORY",
    &[
        "Change the current directory",
        "Directory name in /local1 (or below it)",
    ],
    |args: &Args<'_>, ctx| match existing_dir(ctx, args.word("directory")) {
        Ok((path, _)) => {
            ctx.session.cwd = path;
            Outcome::done()
        }
        Err(e) => Outcome::Fail(e),
    },
)
.privileged();

static PWD: ExecCommand = ExecCommand::new("pwd", &["Display the current directory"], |_, ctx| {
    Outcome::Print(format!("{}\n", ctx.session.cwd))
})
.privileged();

static DIR: ExecCommand = ExecCommand::new(
    "dir [DIRECTORY]",
    &["List files in a directory", H_DIRECTORY],
    |args: &Args<'_>, ctx| {
        listed(ctx, args.opt_word("directory"), |entries| {
            let mut out = format!("{}\n   {}\n", text::DIR_HEADER, text::DIR_RULE);
            for e in entries {
                let (size, mark) = if e.is_dir {
                    (text::DIR_SIZE, text::DIR_MARK)
                } else {
                    (e.size, "")
                };
                let _ = writeln!(
                    out,
                    "{size:>14}  {:<25}  {mark}{}",
                    ctime(e.modified),
                    e.name
                );
            }
            out
        })
    },
)
.privileged();

static LS: ExecCommand = ExecCommand::new(
    "ls [DIRECTORY]",
    &["List the names of files in a directory", H_DIRECTORY],
    |args: &Args<'_>, ctx| {
        listed(ctx, args.opt_word("directory"), |entries| {
            entries.iter().map(|e| format!("{}\n", e.name)).collect()
        })
    },
)
.privileged();

static LLS: ExecCommand = ExecCommand::new(
    "lls [DIRECTORY]",
    &["List files in a directory in long form", H_DIRECTORY],
    |args: &Args<'_>, ctx| {
        listed(ctx, args.opt_word("directory"), |entries| {
            let mut out = String::new();
            for e in entries {
                let (mode, size) = if e.is_dir {
                    (text::LLS_DIR_MODE, text::DIR_SIZE)
                } else {
                    (text::LLS_FILE_MODE, e.size)
                };
                let when = e.modified.format("%b %e %H:%M");
                let _ = writeln!(
                    out,
                    "{mode} {} {size:>10} {when} {}",
                    text::LLS_OWNER,
                    e.name
                );
            }
            out
        })
    },
)
.privileged();

static TYPE: ExecCommand = ExecCommand::new(
    "type FILE",
    &["Display a file", H_FILE],
    |args: &Args<'_>, ctx| match text_of(ctx, args.word("file")) {
        Ok(content) => Outcome::Print(ended(content)),
        Err(e) => Outcome::Fail(e),
    },
)
.privileged();

static TYPE_TAIL: ExecCommand = ExecCommand::new(
    "type-tail FILE [(1-65535)$lines | follow]",
    &[
        "Display the last lines of a file",
        H_FILE,
        "Number of lines from the end (default 10)",
        "Display the last lines once (the lab does not follow the file)",
    ],
    |args: &Args<'_>, ctx| match text_of(ctx, args.word("file")) {
        Ok(content) => {
            let wanted = args
                .opt_number("lines")
                .map_or(TAIL_LINES, |n| usize::try_from(n).unwrap_or(usize::MAX));
            Outcome::Print(ended(last_lines(&content, wanted).to_string()))
        }
        Err(e) => Outcome::Fail(e),
    },
)
.privileged();

/// One entry of a listing.
struct Entry {
    name: String,
    size: u64,
    is_dir: bool,
    modified: DateTime<Utc>,
}

/// Lists what `typed` names (the current directory by default): a directory's entries, or the
/// file itself; `render` turns them into the output.
fn listed(ctx: &Ctx<'_>, typed: Option<&str>, render: impl FnOnce(&[Entry]) -> String) -> Outcome {
    let typed = typed.unwrap_or(".");
    let host = match locate(ctx, typed) {
        Ok((_, host)) => host,
        Err(e) => return Outcome::Fail(e),
    };
    let entries = if host.is_file() {
        entry(&host).into_iter().collect()
    } else {
        match entries(&host) {
            Ok(entries) => entries,
            Err(_) => return Outcome::Fail(format!("{}{typed}", msg::NO_SUCH_DIRECTORY)),
        }
    };
    Outcome::Print(render(&entries))
}

/// The entries of a directory by name, without the device's own hidden and temporary files
/// (`.download-*`, `*.tmp`) and without symbolic links (nothing follows them).
fn entries(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let mut list: Vec<Entry> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter_map(|e| entry(&e.path()))
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(list)
}

fn entry(path: &Path) -> Option<Entry> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    if name.starts_with('.') || name.ends_with(".tmp") {
        return None;
    }
    let meta = path.symlink_metadata().ok()?;
    if meta.file_type().is_symlink() {
        return None;
    }
    Some(Entry {
        name,
        size: meta.len(),
        is_dir: meta.is_dir(),
        modified: meta.modified().ok()?.into(),
    })
}

/// The text of a file, or the `% Error:` to print (a binary file is refused).
fn text_of(ctx: &Ctx<'_>, typed: &str) -> Result<String, String> {
    let (_, host) = existing_file(ctx, typed)?;
    let bytes = std::fs::read(&host).map_err(|e| format!("% Error: {typed}: {e}"))?;
    if bytes[..bytes.len().min(SNIFF_BYTES)].contains(&0) {
        return Err(format!("{}{typed}", text::BINARY));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The last `n` lines of `text` (a final newline does not start a line).
fn last_lines(text: &str, n: usize) -> &str {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let start = body
        .rmatch_indices('\n')
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i + 1);
    &text[start..]
}

/// `text` ending with a newline (unless empty), so the prompt starts a line.
fn ended(mut text: String) -> String {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::last_lines;
    use crate::commands::testing::run;
    use crate::config::DeviceKind;

    #[test]
    fn last_lines_counts_from_the_end() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc\n");
        assert_eq!(last_lines("a\nb\nc", 2), "b\nc");
        assert_eq!(last_lines("a\nb\n", 5), "a\nb\n");
        assert_eq!(last_lines("", 3), "");
    }

    #[test]
    fn cd_and_pwd_follow_the_current_directory() {
        let out = run(
            DeviceKind::Ce,
            &[
                "pwd",
                "mkdir logs",
                "cd logs",
                "pwd",
                "cd ..",
                "pwd",
                "cd ..",
                "cd nowhere",
            ],
        );
        assert_eq!(out[0], "/local1\n");
        assert_eq!(out[3], "/local1/logs\n");
        assert_eq!(out[5], "/local1\n");
        assert!(
            out[6].starts_with(crate::text::files::OUTSIDE),
            "{}",
            out[6]
        );
        assert!(
            out[7].starts_with(crate::text::msg::NO_SUCH_DIRECTORY),
            "{}",
            out[7]
        );
    }

    #[test]
    fn dir_marks_directories_and_type_tail_shows_the_system_log() {
        let out = run(
            DeviceKind::Cdm,
            &[
                "mkdir logs",
                "dir",
                "lls",
                "type-tail syslog.txt 1",
                "type-tail /local1/syslog.txt follow",
            ],
        );
        assert!(out[1].contains("  <DIR>  logs\n"), "{}", out[1]);
        assert!(out[1].contains("  syslog.txt\n"), "{}", out[1]);
        assert!(
            out[2].contains("drwxr-xr-x  2 admin    root       4096 "),
            "{}",
            out[2]
        );
        assert!(
            out[3].contains("dev1 %ACNS-5-BOOT: System booted"),
            "{}",
            out[3]
        );
        assert_eq!(out[3].lines().count(), 1, "{}", out[3]);
        assert!(out[4].contains("%ACNS-5-BOOT"), "{}", out[4]);
    }
}
