//! `acnslab inspect DEVICE`: everything the lab knows of one device now, as `name: value` lines
//! or JSON.

use std::path::Path;

use super::{render, table, Outcome};
use crate::control::ConsoleClient;
use crate::lab::LabInfo;

/// One device of the lab running in `dir`.
pub fn inspect(dir: &Path, device: &str, json: bool) -> Result<Outcome, String> {
    LabInfo::running(dir).map_err(|e| e.to_string())?;
    let devices = ConsoleClient::connect(dir)
        .and_then(|mut client| client.status())
        .map_err(|e| e.to_string())?;
    let Some(found) = devices.iter().find(|d| d.name == device) else {
        let names: Vec<&str> = devices.iter().map(|d| d.name.as_str()).collect();
        return Err(format!(
            "no device named {device:?} in the lab of {} (its devices: {})",
            dir.display(),
            names.join(", ")
        ));
    };
    if json {
        let text = serde_json::to_string_pretty(found).map_err(|e| e.to_string())? + "\n";
        return Ok(Outcome::ok(text));
    }
    let value = serde_json::to_value(found).map_err(|e| e.to_string())?;
    let mut rows = table(&["FIELD", "VALUE"]);
    if let serde_json::Value::Object(fields) = value {
        for (key, value) in fields {
            let text = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string).unwrap_or(i.to_string()))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            // the CMS service in the words of `status`
            let text = if key == "cms" {
                found.cms.to_string()
            } else {
                text
            };
            rows.add_row(vec![key, text]);
        }
    }
    Ok(Outcome::ok(render(&rows)))
}
