//! Faults on files: a device's `/local/local1` and an image server's folder (find a file by a `*`
//! pattern, flip its bytes, cut it short, write one), for the `corrupt_file`, `truncate_file`,
//! `*_server_file` steps and the `file_exists`/`file_absent` checks. Owns no network or power
//! faults (those are one call on the lab each, in the run loop).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use super::super::format::Truncate;
use super::Runner;

impl Runner<'_> {
    pub(super) fn write_server_file(
        &self,
        server: &str,
        file: &str,
        text: &str,
    ) -> Result<(), String> {
        let text = self.subst(text)?;
        let folder = self.server_folder(server)?;
        let path = folder.join(file);
        if let Some(dir) = path.parent() {
            // no folder is made through a link that leaves the server's folder
            let mut existing = dir;
            while !existing.exists() {
                existing = existing.parent().unwrap_or(&folder);
            }
            contained(&folder, &existing.join("x"))?;
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let path = contained(&folder, &path)?;
        let mut f = open_no_link(&path, true)?;
        f.set_len(0)
            .and_then(|()| f.write_all(text.as_bytes()))
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    fn server_folder(&self, server: &str) -> Result<PathBuf, String> {
        self.lab
            .info()
            .servers
            .into_iter()
            .find(|s| s.name == server)
            .and_then(|s| s.folder)
            .ok_or_else(|| format!("{server} is not an embedded server of this lab"))
    }

    /// A file of an image server's folder (`*` in the file name must match exactly one file).
    pub(super) fn server_file(&self, server: &str, file: &str) -> Result<PathBuf, String> {
        let folder = self.server_folder(server)?;
        let (dir, pattern) = match file.rsplit_once('/') {
            Some((d, f)) => (folder.join(d), f),
            None => (folder.clone(), file),
        };
        let matches = matching_files(&dir, pattern);
        match matches.len() {
            1 => contained(&folder, &dir.join(&matches[0])),
            0 => Err(format!("no file matching '{file}' on server {server}")),
            _ => Err(format!(
                "'{file}' matches {} files on server {server}: {}",
                matches.len(),
                matches.join(", ")
            )),
        }
    }

    pub(super) fn disk_file(&self, device: &str, pattern: &str) -> Result<PathBuf, String> {
        let dir = self.device(device).disk_dir();
        let matches = matching_files(&dir, pattern);
        match matches.len() {
            1 => contained(&dir, &dir.join(&matches[0])),
            0 => Err(format!(
                "no file matching '{pattern}' in /local/local1 of {device}"
            )),
            _ => Err(format!(
                "'{pattern}' matches {} files in /local/local1 of {device}: {}",
                matches.len(),
                matches.join(", ")
            )),
        }
    }
}

/// Names of the visible files of `dir` that match `pattern` (`*` = any characters), sorted. A
/// pattern that starts with `.` looks at the hidden files too (a download's partial `.download-*`).
pub fn matching_files(dir: &Path, pattern: &str) -> Vec<String> {
    let hidden = pattern.starts_with('.');
    let matcher = name_pattern(pattern);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| hidden || (!n.ends_with(".tmp") && !n.starts_with('.')))
        .filter(|n| matcher.as_ref().is_some_and(|m| m.is_match(n)))
        .collect();
    names.sort();
    names
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob(pattern: &str, name: &str) -> bool {
    name_pattern(pattern).is_some_and(|m| m.is_match(name))
}

/// A file-name pattern as scenario files write it (`*` matches any run of characters, everything
/// else, `?`, `[`, `{` and `\` included, matches itself) as a glob.
fn name_pattern(pattern: &str) -> Option<GlobMatcher> {
    let mut glob = String::new();
    for (i, literal) in pattern.split('*').enumerate() {
        if i > 0 && !glob.ends_with('*') {
            glob.push('*');
        }
        glob.push_str(&globset::escape(literal));
    }
    GlobBuilder::new(&glob)
        .literal_separator(false)
        .backslash_escape(false)
        .build()
        .ok()
        .map(|g| g.compile_matcher())
}

/// `path`, checked to lie inside `root` once every symbolic link on the way is followed, and not
/// to be a link itself: a fault step never touches a file outside the lab's folders.
pub(super) fn contained(root: &Path, path: &Path) -> Result<PathBuf, String> {
    let outside = || {
        format!(
            "{}: refused, it leads outside {} (a symbolic link or '..')",
            path.display(),
            root.display()
        )
    };
    let root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(outside());
    }
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(outside());
    };
    let parent = parent
        .canonicalize()
        .map_err(|e| format!("{}: {e}", parent.display()))?;
    if !parent.starts_with(&root) || name == ".." {
        return Err(outside());
    }
    Ok(parent.join(name))
}

/// Opens `path` for reading and writing (creating it if `create`) without following a symbolic
/// link in its last part: a link put there after [`contained`] looked is refused, not followed.
fn open_no_link(path: &Path, create: bool) -> Result<std::fs::File, String> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))
}

pub(super) fn corrupt(path: &Path) -> Result<(), String> {
    let mut f = open_no_link(path, false)?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.is_empty() {
        return Err(format!(
            "{}: empty file, nothing to corrupt",
            path.display()
        ));
    }
    // Flip bytes in the middle and at the end: past any header, and through any checksum.
    let mid = bytes.len() / 2;
    let end = bytes.len();
    for i in (mid..end.min(mid + 16)).chain(end.saturating_sub(4)..end) {
        bytes[i] ^= 0x5a;
    }
    f.seek(SeekFrom::Start(0))
        .and_then(|_| f.write_all(&bytes))
        .map_err(|e| format!("{}: {e}", path.display()))
}

pub(super) fn truncate(path: &Path, how: Truncate) -> Result<(), String> {
    let f = open_no_link(path, false)?;
    let len = f
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let to = match how {
        Truncate::Drop(n) => len.saturating_sub(n),
        Truncate::Keep(n) => n.min(len),
    };
    f.set_len(to)
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::{contained, corrupt, glob, truncate, Truncate};

    #[test]
    fn fault_steps_never_touch_a_file_outside_their_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let (folder, outside) = (tmp.path().join("server"), tmp.path().join("victim"));
        std::fs::create_dir_all(folder.join("images")).unwrap();
        std::fs::write(&outside, "precious").unwrap();
        std::os::unix::fs::symlink(&outside, folder.join("images/link.bin")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), folder.join("up")).unwrap();
        std::fs::write(folder.join("images/real.bin"), "image").unwrap();
        for path in [
            folder.join("images/link.bin"),
            folder.join("up/victim"),
            folder.join("images/../../victim"),
            outside.clone(),
        ] {
            let e = contained(&folder, &path).unwrap_err();
            assert!(
                e.contains("refused, it leads outside"),
                "{}: {e}",
                path.display()
            );
        }
        let inside = contained(&folder, &folder.join("images/real.bin")).unwrap();
        truncate(&inside, Truncate::Keep(2)).unwrap();
        assert_eq!(std::fs::read(&inside).unwrap(), b"im");
        // even a path that was not checked is not followed through its last link
        assert!(truncate(&folder.join("images/link.bin"), Truncate::Keep(0)).is_err());
        assert!(corrupt(&folder.join("images/link.bin")).is_err());
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
    }

    #[test]
    fn a_star_matches_any_run_and_the_rest_itself() {
        assert!(glob("acns-db-*.dump", "acns-db-11-26-2026-09-02.dump"));
        assert!(glob("*.bin", ".download-ACNS.bin"));
        assert!(glob("a*b*c", "abc"));
        assert!(glob("a**c", "abbc"));
        assert!(glob("*", ""));
        assert!(!glob("a*a", "a"));
        assert!(!glob("*.bin", "a.bin.tmp"));
        assert!(glob("a?b[1]{x}\\*", "a?b[1]{x}\\yz"));
        assert!(!glob("a?b", "axb"));
        assert!(!glob("[ab]", "a"));
        assert!(glob("same", "same") && !glob("same", "Same"));
    }
}
