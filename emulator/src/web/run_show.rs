//! A show command of the Show Commands window run on a device, through a session of its own (as
//! the GUI does). Owns nothing; it must not render HTML.

use std::sync::Arc;

use crate::device::{Device, Power};
use crate::session::Session;
use crate::text::gui as text;

/// What the device prints for a show command, through a session of its own (as the GUI's
/// Show Commands window does), or why it cannot answer.
pub(super) fn run_show(device: &Arc<Device>, line: &str) -> String {
    if device.state().power != Power::Running {
        return text::DEVICE_DOWN.to_string();
    }
    let mut session = Session::new(device.clone(), "admin", 15, "cdm-gui");
    session.execute(line).text
}
