//! A show command of the Show Commands window run on a device, through a session of its own (as
//! the GUI does). Owns nothing; it must not render HTML.

use std::sync::Arc;

use crate::device::Power;
use crate::driver;
use crate::lab::Node;
use crate::text::gui as text;

/// What the device prints for a show command, through a session of its own run by the common
/// driver (as the GUI's Show Commands window does), or why it cannot answer.
pub(super) async fn run_show(node: &Arc<Node>, line: &str) -> String {
    let device = node.device();
    if device.state().power != Power::Running {
        return text::DEVICE_DOWN.to_string();
    }
    let mut session = node.session("admin", 15, "cdm-gui");
    let mut output = String::new();
    driver::run_line(&mut session, line, &mut |t: &str| output.push_str(t)).await;
    output
}
