//! `acnslab inspect DEVICE`: everything the lab knows of one device now, as `FIELD VALUE` lines
//! or JSON, both with the fields in the order `lab::DeviceStatus` declares them (name, kind,
//! role, ...).

use std::fmt;
use std::path::Path;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::{render, table, Outcome};
use crate::control::ConsoleClient;
use crate::lab::{DeviceStatus, LabInfo};

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
    shown(found, json).map(Outcome::ok)
}

/// `device` as pretty JSON, or as a `FIELD VALUE` table.
fn shown(device: &DeviceStatus, json: bool) -> Result<String, String> {
    let text = serde_json::to_string_pretty(device).map_err(|e| e.to_string())?;
    if json {
        return Ok(text + "\n");
    }
    let OrderedFields(fields) = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let mut rows = table(&["FIELD", "VALUE"]);
    for (key, value) in fields {
        let text = match value {
            // the CMS service in the words of `status`
            _ if key == "cms" => device.cms.to_string(),
            Value::String(s) => s,
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string).unwrap_or(i.to_string()))
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        rows.add_row(vec![key, text]);
    }
    Ok(render(&rows))
}

/// A JSON object's fields in the order they are written (a `serde_json::Value` sorts them).
struct OrderedFields(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for OrderedFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = OrderedFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedFields, A::Error> {
                let mut fields = Vec::new();
                while let Some(field) = map.next_entry()? {
                    fields.push(field);
                }
                Ok(OrderedFields(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CdmRole, DeviceKind};
    use crate::lab::{CmsState, CmsStatus};

    fn cdm() -> DeviceStatus {
        DeviceStatus {
            name: "cdm2".into(),
            kind: DeviceKind::Cdm,
            role: Some(CdmRole::Standby),
            model: "CDM-4650".into(),
            ip: "10.1.1.6".parse().unwrap(),
            hostname: "cdm2".into(),
            power: "running".into(),
            version: "5.1.3".into(),
            pending_version: Some("5.2.1".into()),
            uptime_seconds: 7,
            cms: CmsStatus {
                state: CmsState::Enabled,
                reason: None,
                schema: Some("5.1".into()),
                sync: Some("in sync".into()),
                registration: None,
                cdm: None,
            },
            sessions: 1,
            ssh: "127.0.0.1:2202".into(),
            web: Some("127.0.0.1:2302".into()),
            groups: vec!["core".into()],
            disk_mb: 1,
        }
    }

    /// The position of each of `keys` as a top-level key of `json` (pretty, two spaces deep).
    fn positions(json: &str, keys: &[String]) -> Vec<usize> {
        keys.iter()
            .map(|k| {
                json.find(&format!("\n  \"{k}\":"))
                    .unwrap_or_else(|| panic!("no {k} in {json}"))
            })
            .collect()
    }

    #[test]
    fn the_fields_come_in_the_structs_order_in_the_table_and_in_json() {
        let device = cdm();
        let table = shown(&device, false).unwrap();
        let fields: Vec<String> = table
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect();
        // serde writes a struct's fields in their declared order
        let declared = serde_json::to_string_pretty(&device).unwrap();
        let at = positions(&declared, &fields);
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{table}\n{declared}");
        assert_eq!(
            fields.len(),
            declared.matches("\n  \"").count(),
            "every field once: {table}"
        );
        assert_eq!(fields[0], "name", "{table}");
        let json = shown(&device, true).unwrap();
        assert_eq!(
            json.trim_end(),
            declared,
            "--json is the struct as declared"
        );
        assert!(
            table
                .lines()
                .any(|l| l.starts_with("cms ") && l.ends_with(" in sync")),
            "{table}"
        );
    }
}
