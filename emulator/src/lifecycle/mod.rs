//! The lab's lifecycle verbs beside `acnslab up`, as containerlab users expect them: `up
//! --detach` ([`detach`]), `down` ([`down`]), `status` ([`status`]), `list` ([`list`], with the
//! user's registry of labs) and `inspect DEVICE` ([`inspect`]); `healthcheck` ([`healthcheck`]) asks the lab's health port. Each finds the lab of a state
//! directory through `lab.json` and its lock (`lab::LabInfo::running`), asks a running lab through
//! its control socket, and renders a table (comfy-table) or, with `--json`, the same facts as JSON.

pub mod detach;
pub mod down;
pub mod healthcheck;
pub mod inspect;
pub mod list;
pub mod status;

/// What a verb prints, and whether it ends with exit status 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub text: String,
    pub success: bool,
}

impl Outcome {
    fn ok(text: String) -> Outcome {
        Outcome {
            text,
            success: true,
        }
    }
}

/// A table laid out like `docker ps`: a header row, columns apart by spaces, no borders, so that
/// `awk` and TextFSM read it as well as people do.
pub(crate) fn table(header: &[&str]) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    table
}

/// `table` as text, each line without trailing spaces, ending with a newline.
pub(crate) fn render(table: &comfy_table::Table) -> String {
    let mut out = String::new();
    for line in table.to_string().lines() {
        // the preset pads every cell by a space on the left: the first column starts the line
        let line = line.strip_prefix(' ').unwrap_or(line);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
