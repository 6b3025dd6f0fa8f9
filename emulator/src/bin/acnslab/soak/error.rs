//! Why a soak did not run, or ran and found the lab wanting.

use std::path::PathBuf;
use std::time::Duration;

use super::descriptors::TooFewDescriptors;
use super::plan::FlagError;

#[derive(Debug, thiserror::Error)]
pub enum SoakError {
    #[error(transparent)]
    Flag(#[from] FlagError),
    #[error(transparent)]
    Descriptors(#[from] TooFewDescriptors),
    #[error("--pid {0}: no such process")]
    NoProcess(u32),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: already holds a lab; the soak wants a fresh state directory (or --targets)")]
    StateInUse(PathBuf),
    #[error("cannot start the lab: {0}")]
    Spawn(std::io::Error),
    #[error("the lab exited before it was up ({0})")]
    LabExited(std::process::ExitStatus),
    #[error("the lab was not up within {0:?}")]
    LabSlow(Duration),
    #[error("{path}: {reason}")]
    LabInfo { path: PathBuf, reason: String },
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    #[error("the soak did not pass: {0}")]
    Failed(String),
}

impl SoakError {
    /// An I/O error on `path`, for `map_err`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SoakError {
        let path = path.into();
        move |source| SoakError::Io { path, source }
    }
}
