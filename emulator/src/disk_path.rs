//! Where a name typed at the CLI lands on a device's disk, and nowhere else. ACNS shows its disk
//! as `/local1` (contract §12: `dir`, `pwd`, `cd`, `type-tail /local1/syslog.txt`) and names its
//! files `local1/NAME` or `/local/local1/NAME`; every command that names a file or a directory
//! takes all these forms, and names relative to the session's current directory.
//!
//! [`DiskPath::resolve`] is pure: a name that would leave `/local1` (`..` above it, any other
//! absolute path) is refused before anything touches the disk. [`DiskPath::on_host`] then maps a
//! resolved path into the device's folder and refuses one that goes through a symbolic link.

use std::path::{Path, PathBuf};

/// The disk as the CLI shows it.
pub const ROOT: &str = "/local1";

/// The prefixes that name the disk itself, longest first: `/local/local1/x`, `/local1/x` and
/// `local1/x` (as the device prints names) all mean `x` at the top of the disk.
const ROOT_FORMS: [&str; 3] = ["/local/local1", "/local1", "local1"];

/// A file or directory on the disk: the names below `/local1`, none of them empty, `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct DiskPath {
    parts: Vec<String>,
}

/// Why a typed name is not a name on the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// Nothing was named (an empty word).
    Empty,
    /// The name leaves `/local1`: another absolute path, `..` above `/local1`, a NUL byte.
    Outside,
    /// The name goes through a symbolic link on the disk.
    Link,
}

impl DiskPath {
    /// `/local1` itself.
    pub fn root() -> Self {
        DiskPath::default()
    }

    pub fn is_root(&self) -> bool {
        self.parts.is_empty()
    }

    /// `typed` read from `self` (the current directory): absolute in any of the disk's forms, or
    /// relative; `.` and `..` are followed as long as they stay on the disk.
    pub fn resolve(&self, typed: &str) -> Result<DiskPath, PathError> {
        if typed.is_empty() {
            return Err(PathError::Empty);
        }
        if typed.contains('\0') {
            return Err(PathError::Outside);
        }
        let (mut parts, rest) = match strip_root(typed) {
            Some(rest) => (Vec::new(), rest),
            None if typed.starts_with('/') => return Err(PathError::Outside),
            None => (self.parts.clone(), typed),
        };
        for part in rest.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop().ok_or(PathError::Outside)?;
                }
                name => parts.push(name.to_string()),
            }
        }
        Ok(DiskPath { parts })
    }

    /// The last name (`None` for `/local1`).
    pub fn name(&self) -> Option<&str> {
        self.parts.last().map(String::as_str)
    }

    /// The directory holding this path (`None` for `/local1`).
    pub fn parent(&self) -> Option<DiskPath> {
        let (_, parent) = self.parts.split_last()?;
        Some(DiskPath {
            parts: parent.to_vec(),
        })
    }

    /// This directory's entry `name` (one plain name, as read from the disk).
    pub fn child(&self, name: &str) -> DiskPath {
        let mut parts = self.parts.clone();
        parts.push(name.to_string());
        DiskPath { parts }
    }

    /// The path read from the top of the disk, without `/local1/` (`sub/name`; empty for
    /// `/local1`): the form [`crate::device::Device::disk_file`] and the tasks take.
    pub fn relative(&self) -> String {
        self.parts.join("/")
    }

    /// Whether `self` is `other` or lies below it.
    pub fn within(&self, other: &DiskPath) -> bool {
        self.parts.starts_with(&other.parts)
    }

    /// The host path of this disk path under `disk` (the device's folder behind `/local1`),
    /// refused if any existing part of it is a symbolic link. Parts that do not exist yet (a file
    /// about to be created) are not checked: there is nothing to follow.
    pub fn on_host(&self, disk: &Path) -> Result<PathBuf, PathError> {
        let mut host = disk.to_path_buf();
        let mut checking = true;
        for part in &self.parts {
            host.push(part);
            if checking {
                match std::fs::symlink_metadata(&host) {
                    Ok(meta) if meta.file_type().is_symlink() => return Err(PathError::Link),
                    Ok(_) => {}
                    Err(_) => checking = false,
                }
            }
        }
        Ok(host)
    }
}

/// `/local1/a/b`, as `pwd` and messages name it.
impl std::fmt::Display for DiskPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(ROOT)?;
        for part in &self.parts {
            write!(f, "/{part}")?;
        }
        Ok(())
    }
}

/// What follows a form of the disk's own name at the start of `typed` (`None` if it starts with
/// none of them). `local1x` is not the disk: the form must end the word or be followed by `/`.
fn strip_root(typed: &str) -> Option<&str> {
    ROOT_FORMS.iter().find_map(|form| {
        let rest = typed.strip_prefix(form)?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(cwd: &str) -> DiskPath {
        DiskPath::root().resolve(cwd).unwrap()
    }

    #[test]
    fn every_form_the_device_prints_names_the_same_file() {
        let want = DiskPath::root().child("a.dump");
        for typed in [
            "a.dump",
            "local1/a.dump",
            "/local1/a.dump",
            "/local/local1/a.dump",
            "./a.dump",
            "/local1//a.dump",
        ] {
            assert_eq!(DiskPath::root().resolve(typed), Ok(want.clone()), "{typed}");
        }
        for typed in ["/local1", "local1", "/local/local1/", "."] {
            assert_eq!(
                DiskPath::root().resolve(typed),
                Ok(DiskPath::root()),
                "{typed}"
            );
        }
    }

    #[test]
    fn relative_names_start_at_the_current_directory_absolute_ones_do_not() {
        let logs = at("logs");
        assert_eq!(
            logs.resolve("x.txt").unwrap().to_string(),
            "/local1/logs/x.txt"
        );
        assert_eq!(logs.resolve("..").unwrap(), DiskPath::root());
        assert_eq!(logs.resolve("../y").unwrap().to_string(), "/local1/y");
        assert_eq!(logs.resolve("/local1/z").unwrap().to_string(), "/local1/z");
        assert_eq!(logs.resolve("local1/z").unwrap().to_string(), "/local1/z");
        assert_eq!(
            logs.resolve("local1x").unwrap().to_string(),
            "/local1/logs/local1x"
        );
    }

    #[test]
    fn nothing_resolves_outside_the_disk() {
        let sub = at("a/b");
        for typed in [
            "..",
            "../x",
            "a/../../x",
            "/etc/passwd",
            "/",
            "/local",
            "/local/local2/x",
            "/local1x",
            "nul\0byte",
        ] {
            assert_eq!(
                DiskPath::root().resolve(typed),
                Err(PathError::Outside),
                "{typed}"
            );
        }
        assert_eq!(sub.resolve("../../.."), Err(PathError::Outside));
        assert_eq!(sub.resolve("../../x").unwrap().to_string(), "/local1/x");
        assert_eq!(DiskPath::root().resolve(""), Err(PathError::Empty));
    }

    #[test]
    fn names_parents_and_containment() {
        let p = at("a/b/c.txt");
        assert_eq!(p.name(), Some("c.txt"));
        assert_eq!(p.parent(), Some(at("a/b")));
        assert!(p.within(&at("a")));
        assert!(!at("ab").within(&at("a")));
        assert_eq!(DiskPath::root().parent(), None);
        assert_eq!(DiskPath::root().to_string(), "/local1");
        assert_eq!(p.relative(), "a/b/c.txt");
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_on_the_way_is_refused() {
        let disk = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), disk.path().join("escape")).unwrap();
        std::fs::create_dir(disk.path().join("real")).unwrap();
        assert_eq!(
            at("escape/secret").on_host(disk.path()),
            Err(PathError::Link)
        );
        assert_eq!(at("escape").on_host(disk.path()), Err(PathError::Link));
        assert_eq!(
            at("real/new.txt").on_host(disk.path()),
            Ok(disk.path().join("real").join("new.txt"))
        );
        assert_eq!(
            at("missing/x").on_host(disk.path()),
            Ok(disk.path().join("missing/x"))
        );
    }
}
