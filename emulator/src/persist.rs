//! Writing state files safely: atomic replacement through a temporary file and a rename (a killed
//! process never leaves a half-written file), durability on or off for the whole process, and one
//! `syncfs` for many new files. Used by every module that keeps files (devices, CMS dumps, the lab's
//! own files); knows nothing of what the files hold. Every file written here is private to the
//! lab's user (mode 0600): state files hold passwords, host keys and CMS data, and a lab may run
//! on a host shared with other users ([`make_private`], [`tighten_tree`] for what an older lab
//! left readable).

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
        let mut f = create_private(&tmp)?;
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
        let mut f = create_private(&tmp)?;
        f.write_all(bytes)?;
        if DURABLE.load(std::sync::atomic::Ordering::Relaxed) {
            f.sync_all()?;
        }
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    written
}

/// Creates (or truncates) `path` for writing with mode 0600, also when a file was already there.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(PRIVATE_FILE)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(PRIVATE_FILE))?;
    Ok(f)
}

/// The mode of every state file: read and write for the lab's user only.
pub const PRIVATE_FILE: u32 = 0o600;
/// The mode of the state directory and its folders.
pub const PRIVATE_DIR: u32 = 0o700;

/// Creates `path` and its missing parents as [`PRIVATE_DIR`] folders (existing ones are left as
/// they are): what the lab creates in a state directory is private from the start, so the next
/// start has nothing to tighten.
pub fn create_private_dir_all(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR)
        .create(path)
}

/// Takes away the group's and others' access to the existing file or folder `path` (a file made
/// by another library, such as a SQLite database). Symbolic links are left alone.
pub fn make_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::symlink_metadata(path)?;
    let mode = meta.permissions().mode() & 0o7777;
    if meta.file_type().is_symlink() || mode & 0o077 == 0 {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & !0o077))
}

/// [`make_private`] on `dir` and everything below it (links not followed); returns how many
/// files and folders were tightened. Run at every lab start on the state directory, so that the
/// files of a lab made by an older version (0644) are no longer readable by other users.
pub fn tighten_tree(dir: &Path) -> std::io::Result<usize> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut tightened = 0;
    // Each entry's mode is read relative to its folder as the folder is listed (a lab's state
    // directory has thousands of device folders, read at every start).
    let mut todo = vec![(dir.to_path_buf(), std::fs::symlink_metadata(dir)?)];
    while let Some((path, meta)) = todo.pop() {
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & !0o077))?;
            tightened += 1;
        }
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                let entry = entry?;
                todo.push((entry.path(), entry.metadata()?));
            }
        }
    }
    Ok(tightened)
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

    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn every_write_is_private_and_old_files_are_tightened() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        write_atomic(&a, b"x").unwrap();
        write_new(&b, b"x").unwrap();
        write_atomic_no_replace(&c, b"x").unwrap();
        assert_eq!([mode(&a), mode(&b), mode(&c)], [0o600; 3]);
        // an older lab's files: 0644 and a 0755 folder
        let sub = dir.path().join("devices");
        std::fs::create_dir(&sub).unwrap();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(sub.join("key"), "k").unwrap();
        std::fs::set_permissions(sub.join("key"), std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o644)).unwrap();
        // a replacing write tightens the file it replaces
        write_atomic(&a, b"y").unwrap();
        assert_eq!(mode(&a), 0o600);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(tighten_tree(dir.path()).unwrap(), 3);
        assert_eq!((mode(&sub), mode(&sub.join("key"))), (0o700, 0o600));
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(tighten_tree(dir.path()).unwrap(), 0);
    }

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
