//! Installing a software image on a device (spec §5): verify the image (size, checksum, device kind),
//! check the version path table, on a CDM write the automatic `.dump` backup, save the running
//! configuration, and record the new version as pending so the reboot that follows boots it. Any
//! refusal leaves the device exactly as it was. Synchronous; the download before it is in `tasks`.

use std::fmt::Write as _;
use std::path::Path;

use crate::device::Device;
use crate::images::{self, ImageError};
use crate::release::{install_path, PathRefusal};
use crate::text::install as text;

/// Installs the image at `image` (named `name` for messages and the downgrade-image rule). On
/// success returns what to print; the caller then reboots the device.
pub fn install(device: &Device, image: &Path, name: &str) -> Result<String, String> {
    let mut out = format!("{}\n", text::VERIFYING);
    let info = images::inspect(image).map_err(|e| match e {
        ImageError::Io(e) => format!("% Error: {name}: {e}"),
        other => format!("% Error: {other}"),
    })?;
    if !info.kinds.contains(&device.identity.kind) {
        return Err(text::WRONG_KIND.to_string());
    }
    let downgrade_image = name.to_ascii_uppercase().contains("-TO-");
    let running = device.state().version;
    install_path(running, info.version, downgrade_image).map_err(|refusal| match refusal {
        PathRefusal::Same => text::SAME_VERSION.replace("{0}", &running.to_string()),
        PathRefusal::NeedsDowngradeImage => text::DOWNGRADE_IMAGE_NEEDED.to_string(),
        PathRefusal::NoPath => text::NO_PATH
            .replace("{0}", &running.to_string())
            .replace("{1}", &info.version.to_string()),
    })?;
    let now = device.clock().now();
    {
        let state = device.state();
        if let Some(cms) = state.cms.as_ref().filter(|c| c.exists()) {
            let dump = now.format("acns-db-%-m-%-d-%Y-%H-%M.dump").to_string();
            let path = device.disk_dir().join(&dump);
            cms.backup(&path, running, &now.to_rfc3339())
                .map_err(|e| format!("% Error: the automatic CMS database backup failed: {e}"))?;
            device.stamp(&path);
            let _ = writeln!(out, "{} local1/{dump}", text::BACKING_UP);
        }
    }
    device
        .save_running()
        .map_err(|e| format!("% Error: cannot save the configuration: {e}"))?;
    device
        .set_pending_version(info.version)
        .map_err(|e| format!("% Error: {e}"))?;
    device.log(format!(
        "{} {} ({name})",
        crate::text::log::INSTALLED,
        info.version
    ));
    let _ = writeln!(out, "{} {}.", text::INSTALLING, info.version);
    let _ = writeln!(out, "{}", text::REBOOTING);
    Ok(out)
}
