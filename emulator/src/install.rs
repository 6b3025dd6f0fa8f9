//! Installing a software image on a device (spec §5): verify the image (size, checksum, device kind),
//! check the version path table, on a CDM write the automatic `.dump` backup, save the running
//! configuration, and record the new version as pending so the reboot that follows boots it. Any
//! refusal leaves the device exactly as it was. Synchronous; the download before it is in `tasks`.

use std::fmt::Write as _;
use std::path::Path;

use crate::cms::CmsError;
use crate::device::{Device, DeviceError};
use crate::images::{self, ImageError};
use crate::release::{install_path, PathRefusal, Version};
use crate::text::install as text;

/// Why an image was not installed; its `Display` is what the CLI prints (the text table's
/// messages). The device is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("% Error: {name}: {source}")]
    Unreadable {
        name: String,
        source: std::io::Error,
    },
    #[error("% Error: {0}")]
    BadImage(ImageError),
    #[error("{}", text::WRONG_KIND)]
    WrongKind,
    #[error("{}", text::SAME_VERSION.replace("{0}", &.0.to_string()))]
    SameVersion(Version),
    #[error("{}", text::DOWNGRADE_IMAGE_NEEDED)]
    NeedsDowngradeImage,
    #[error("{}", text::NO_PATH.replace("{0}", &.running.to_string()).replace("{1}", &.image.to_string()))]
    NoPath { running: Version, image: Version },
    #[error("{}{}", text::BACKUP_FAILED, .0)]
    Backup(CmsError),
    #[error("{}{}", text::SAVE_FAILED, .0)]
    Save(DeviceError),
    #[error("% Error: {0}")]
    Pending(DeviceError),
    #[error("{}{}", text::INSTALL_STOPPED, .0)]
    Stopped(String),
}

impl InstallError {
    /// The refusal of the version path table, as an error.
    pub fn refused(refusal: PathRefusal, running: Version, image: Version) -> Self {
        match refusal {
            PathRefusal::Same => InstallError::SameVersion(running),
            PathRefusal::NeedsDowngradeImage => InstallError::NeedsDowngradeImage,
            PathRefusal::NoPath => InstallError::NoPath { running, image },
        }
    }
}

/// Installs the image at `image` (named `name` for messages and the downgrade-image rule). On
/// success returns what to print; the caller then reboots the device. The CMS backup of a CDM is
/// written without holding the device.
pub fn install(device: &Device, image: &Path, name: &str) -> Result<String, InstallError> {
    let mut out = format!("{}\n", text::VERIFYING);
    let info = images::inspect(image).map_err(|e| match e {
        ImageError::Io(source) => InstallError::Unreadable {
            name: name.to_string(),
            source,
        },
        other => InstallError::BadImage(other),
    })?;
    if !info.kinds.contains(&device.identity.kind) {
        return Err(InstallError::WrongKind);
    }
    let downgrade_image = name.to_ascii_uppercase().contains("-TO-");
    let running = device.state().version;
    install_path(running, info.version, downgrade_image)
        .map_err(|refusal| InstallError::refused(refusal, running, info.version))?;
    let now = device.clock().now();
    let source = device.state().cms.as_ref().and_then(|c| c.backup_source());
    if let Some(source) = source {
        // A backup taken by hand in the same minute keeps its file: this one gets the next name.
        let (dump, _) = source
            .backup_into(&device.disk_dir(), running, now)
            .map_err(InstallError::Backup)?;
        device.stamp(&device.disk_dir().join(&dump));
        device.log(format!(
            "{} local1/{dump} (before the upgrade)",
            crate::text::log::DATABASE_BACKED_UP
        ));
        let _ = writeln!(out, "{} local1/{dump}", text::BACKING_UP);
    }
    device.save_running().map_err(InstallError::Save)?;
    device
        .set_pending_version(info.version)
        .map_err(InstallError::Pending)?;
    device.log(format!(
        "{} {} ({name})",
        crate::text::log::INSTALLED,
        info.version
    ));
    let _ = writeln!(out, "{} {}.", text::INSTALLING, info.version);
    let _ = writeln!(out, "{}", text::REBOOTING);
    Ok(out)
}
