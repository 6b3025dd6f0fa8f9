//! File commands on `/local/local1`: `install`, `delfile`, `cpfile`. Names are plain (no `/`, no
//! `..`); anything else is refused before the disk is touched.

use cli_grammar::Match;

use super::cms::disk_file;
use super::exec::Outcome;
use super::Cmd;
use crate::device::Device;
use crate::text::{cms as cms_text, msg};

/// The host path of an existing plain file of `/local/local1`, or the `% Error:` to print.
fn existing(device: &Device, name: &str) -> Result<std::path::PathBuf, String> {
    let path = disk_file(device, name).ok_or_else(|| format!("{}{name}", msg::BAD_FILE_NAME))?;
    if !path.is_file() {
        return Err(format!("{}{name}", cms_text::NO_FILE));
    }
    Ok(path)
}

/// `install LOCALFILE`.
pub fn install(m: &Match<Cmd>, device: &Device) -> Outcome {
    let name = m.arg("LOCALFILE").unwrap_or_default();
    let path = match existing(device, name) {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    match crate::install::install(device, &path, name) {
        Ok(text) => Outcome::Installed(text),
        Err(e) => Outcome::Fail(e),
    }
}

/// `delfile LOCALFILE`.
pub fn delfile(m: &Match<Cmd>, device: &Device) -> Outcome {
    let name = m.arg("LOCALFILE").unwrap_or_default();
    match existing(device, name) {
        Ok(path) => match std::fs::remove_file(&path) {
            Ok(()) => Outcome::Print(String::new()),
            Err(e) => Outcome::Fail(format!("% Error: {name}: {e}")),
        },
        Err(e) => Outcome::Fail(e),
    }
}

/// `cpfile SOURCE DESTINATION`.
pub fn cpfile(m: &Match<Cmd>, device: &Device) -> Outcome {
    let (src, dst) = (
        m.arg("SOURCE").unwrap_or_default(),
        m.arg("DESTINATION").unwrap_or_default(),
    );
    let from = match existing(device, src) {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    let Some(to) = disk_file(device, dst) else {
        return Outcome::Fail(format!("{}{dst}", msg::BAD_FILE_NAME));
    };
    let tmp = to.with_extension("cpfile.tmp");
    let copied = std::fs::copy(&from, &tmp).and_then(|_| std::fs::rename(&tmp, &to));
    match copied {
        Ok(()) => {
            device.stamp(&to);
            Outcome::Print(String::new())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Outcome::Fail(format!("% Error: {dst}: {e}"))
        }
    }
}
