//! Writing state files safely: atomic replacement through a temporary file and a rename (a killed
//! process never leaves a half-written file), durability on or off for the whole process, and one
//! `syncfs` for many new files. Used by every module that keeps files (devices, CMS dumps, the lab's
//! own files); knows nothing of what the files hold.

use std::path::Path;

/// Writes `bytes` to `path` through a temporary file and a rename, so readers and a crash see either
/// the old or the new content, never a mix. The data is on disk before the rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_via_rename(
        path,
        bytes,
        DURABLE.load(std::sync::atomic::Ordering::Relaxed),
    )
}

/// Whether [`write_atomic`] waits for the disk (the default). Labs that only live for a CI run or a
/// benchmark may turn it off (`lab.durable: false`): writes stay atomic (rename), so a killed
/// process still never leaves a half-written file; only a power loss could lose the last writes.
static DURABLE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Sets [`write_atomic`]'s durability for this process.
pub fn set_durable_writes(durable: bool) {
    DURABLE.store(durable, std::sync::atomic::Ordering::Relaxed);
}

/// Like [`write_atomic`] without waiting for the disk: for files created at a lab's first start,
/// which [`sync_dir`] then flushes with one call instead of one per file.
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_via_rename(path, bytes, false)
}

fn write_via_rename(path: &Path, bytes: &[u8], sync: bool) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if sync {
            f.sync_all()?;
        }
    }
    std::fs::rename(&tmp, path)
}

/// Writes `bytes` to a new file at `path`, atomically, and never over an existing file: the
/// content goes to a temporary file of its own, which is then linked to `path` (the link fails
/// with `AlreadyExists` when `path` exists, even when another writer got there a moment before).
pub fn write_atomic_no_replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{:08x}.tmp", rand::random::<u32>()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if DURABLE.load(std::sync::atomic::Ordering::Relaxed) {
            f.sync_all()?;
        }
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    written
}

/// Flushes the whole file system holding `dir` to disk (one `syncfs`).
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::fd::AsRawFd as _;
    let handle = std::fs::File::open(dir)?;
    #[allow(unsafe_code)]
    // SAFETY: syncfs only reads the descriptor, which `handle` keeps open for the call.
    let rc = unsafe { libc::syncfs(handle.as_raw_fd()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_no_replace_write_never_touches_an_existing_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("saved.dump");
        write_atomic_no_replace(&path, b"first").unwrap();
        let again = write_atomic_no_replace(&path, b"second").unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
