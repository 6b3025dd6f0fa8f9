//! The device's `/local1/syslog.txt`: every line of the system log (`show logging`) also appended
//! to the disk as a syslog line (`Nov 26 08:05:04 ce1 %ACNS-5-BOOT: ...`, the RFC 3164 layout),
//! so `type-tail syslog.txt` shows it as on ACNS. The file is stamped with the lab clock and kept
//! bounded: past [`MAX_BYTES`] its older half is dropped.

use std::io::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};

/// The file's name at the top of the disk.
pub const NAME: &str = "syslog.txt";

/// The size past which the older half of the file is dropped.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// One line as the file holds it.
pub fn line(at: DateTime<Utc>, host: &str, message: &str) -> String {
    format!("{} {host} {message}\n", at.format("%b %e %H:%M:%S"))
}

/// Appends `text` to the file at `path`, trims it when it has grown past [`MAX_BYTES`], and gives
/// it `at` as its modification time (so `dir` lists it at lab time).
pub fn append(path: &Path, at: DateTime<Utc>, text: &str) -> std::io::Result<()> {
    let mut file = {
        use std::os::unix::fs::OpenOptionsExt as _;
        std::fs::File::options()
            .create(true)
            .append(true)
            .mode(crate::persist::PRIVATE_FILE)
            .open(path)?
    };
    file.write_all(text.as_bytes())?;
    let size = file.metadata()?.len();
    drop(file);
    if size > MAX_BYTES {
        keep_newer_half(path)?;
    }
    let file = std::fs::File::options().write(true).open(path)?;
    file.set_modified(std::time::SystemTime::from(at))
}

/// Rewrites the file with only its newer half, cut at a line boundary.
fn keep_newer_half(path: &Path) -> std::io::Result<()> {
    let bytes = std::fs::read(path)?;
    let middle = bytes.len() / 2;
    let start = bytes[middle..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |i| middle + i + 1);
    crate::persist::write_new(path, &bytes[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_appended_in_syslog_layout_and_stamped_at_lab_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(NAME);
        let at = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        append(&path, at, &line(at, "ce1", "%ACNS-5-BOOT: booted")).unwrap();
        append(&path, at, &line(at, "ce1", "second")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "Sep 21 14:13:20 ce1 %ACNS-5-BOOT: booted\nSep 21 14:13:20 ce1 second\n"
        );
        let modified: DateTime<Utc> = std::fs::metadata(&path).unwrap().modified().unwrap().into();
        assert_eq!(modified, at);
    }

    #[test]
    fn the_file_stays_bounded_and_keeps_the_newest_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(NAME);
        let at = DateTime::from_timestamp(0, 0).unwrap();
        let filler = "x".repeat(1000);
        for n in 0..2000 {
            append(&path, at, &format!("{n} {filler}\n")).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.len() as u64 <= MAX_BYTES, "{}", text.len());
        assert!(text.ends_with(&format!("1999 {filler}\n")));
        assert!(
            text.lines().all(|l| l.ends_with(&filler)),
            "cut at a line boundary"
        );
    }
}
