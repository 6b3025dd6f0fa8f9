//! What `acnslab cdm` prints: the API's answers as tables in the columns of the GUI's windows
//! (left-aligned, two spaces apart, a header row), a job with its history, the lines of
//! `upgrade --wait`, and `--json`'s pretty JSON. Pure: JSON in, text out.

use serde_json::Value;

/// A table's columns: header, and the answer's field shown under it.
type Columns = &'static [(&'static str, &'static str)];

const DEVICE_COLUMNS: Columns = &[
    ("Device", "name"),
    ("Type", "kind"),
    ("IP Address", "ip"),
    ("Software Version", "software_version"),
    ("Status", "status"),
    ("Standby Status", "standby_status"),
];
const GROUP_COLUMNS: Columns = &[("Device Group", "name"), ("Devices", "devices")];
const FILE_COLUMNS: Columns = &[
    ("Id", "id"),
    ("Version", "version"),
    ("Size", "size"),
    ("URL", "url"),
    ("Description", "description"),
];
const JOB_COLUMNS: Columns = &[
    ("Job", "id"),
    ("Device", "device"),
    ("File", "file"),
    ("Status", "status"),
    ("Reason", "reason"),
];
const HISTORY_COLUMNS: Columns = &[("Time", "at"), ("Message", "message")];

/// `--json`: the answer as the API gave it, indented.
pub(super) fn pretty(value: &Value) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(value).unwrap_or_default()
    )
}

pub(super) fn devices(list: &Value) -> String {
    table(list, DEVICE_COLUMNS)
}

pub(super) fn device(one: &Value) -> String {
    table(&Value::Array(vec![one.clone()]), DEVICE_COLUMNS)
}

/// A group's members as one cell, `ce1, ce2`.
fn group_row(g: &Value) -> Value {
    let members: Vec<&str> = g["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    serde_json::json!({"name": g["name"], "devices": members.join(", ")})
}

pub(super) fn groups(list: &Value) -> String {
    let rows = list
        .as_array()
        .into_iter()
        .flatten()
        .map(group_row)
        .collect();
    table(&Value::Array(rows), GROUP_COLUMNS)
}

pub(super) fn group(one: &Value) -> String {
    table(&Value::Array(vec![group_row(one)]), GROUP_COLUMNS)
}

pub(super) fn files(list: &Value) -> String {
    table(list, FILE_COLUMNS)
}

pub(super) fn file(one: &Value) -> String {
    table(&Value::Array(vec![one.clone()]), FILE_COLUMNS)
}

pub(super) fn deleted(id: i64) -> String {
    format!("registration {id} deleted\n")
}

/// `upgrade` without `--wait`: the new jobs' ids.
pub(super) fn started(ids: &Value) -> String {
    let list: Vec<String> = ids
        .as_array()
        .into_iter()
        .flatten()
        .map(Value::to_string)
        .collect();
    format!("jobs started: {}\n", list.join(", "))
}

pub(super) fn jobs(list: &Value) -> String {
    table(list, JOB_COLUMNS)
}

/// A job: a line with its device, file and status, its reason when it failed, then its history.
pub(super) fn job(job: &Value) -> String {
    let mut out = format!(
        "job {}: {} (file {}): {}\n",
        field(job, "id"),
        field(job, "device"),
        field(job, "file"),
        field(job, "status")
    );
    if let Some(reason) = job["reason"].as_str() {
        out.push_str(&format!("reason: {reason}\n"));
    }
    let history = job["history"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| serde_json::json!({"at": readable_time(&h[0]), "message": h[1]}))
        .collect();
    out + &table(&Value::Array(history), HISTORY_COLUMNS)
}

/// `upgrade --wait`: one status message of job `id` (`entry` is a `[time, message]` of its history).
pub(super) fn job_message(id: i64, job: &Value, entry: &Value) -> String {
    format!(
        "job {id} {}: {}",
        field(job, "device"),
        entry[1].as_str().unwrap_or_default()
    )
}

/// `upgrade --wait`: a failed job and why.
pub(super) fn job_failure(id: i64, job: &Value) -> String {
    format!(
        "job {id} ({}): {}",
        field(job, "device"),
        job["reason"].as_str().unwrap_or("no reason given")
    )
}

/// A time of the API's answers (RFC 3339) as a cell: `2026-11-26 09:36:14` (lab time, UTC, as
/// the GUI shows it); anything else as it is.
fn readable_time(at: &Value) -> Value {
    at.as_str()
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
        .map(|t| {
            let utc = t.with_timezone(&chrono::Utc);
            Value::String(utc.format("%Y-%m-%d %H:%M:%S").to_string())
        })
        .unwrap_or_else(|| at.clone())
}

/// A field as a cell: text as it is, nothing for `null`, other values as JSON.
fn field(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn table(rows: &Value, columns: Columns) -> String {
    let rows: Vec<Vec<String>> = rows
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| columns.iter().map(|(_, k)| field(r, k)).collect())
                .collect()
        })
        .unwrap_or_default();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, (h, _))| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([h.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(columns.iter().map(|(h, _)| h.to_string()).collect());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tables_line_up_under_their_headers() {
        let list = json!([
            {"name": "cdm1", "kind": "CDM", "ip": "10.1.1.5", "software_version": "5.1.3", "status": "Online"},
            {"name": "ce1", "kind": "CE", "ip": "10.1.1.10", "software_version": "Prepositioned Download Failed", "status": "Online"},
        ]);
        assert_eq!(
            devices(&list),
            "Device  Type  IP Address  Software Version               Status  Standby Status\n\
             cdm1    CDM   10.1.1.5    5.1.3                          Online\n\
             ce1     CE    10.1.1.10   Prepositioned Download Failed  Online\n"
        );
        assert_eq!(
            group(&json!({"name": "edge", "devices": ["ce1", "ce2"]})),
            "Device Group  Devices\nedge          ce1, ce2\n"
        );
        assert_eq!(started(&json!([1, 2])), "jobs started: 1, 2\n");
    }

    #[test]
    fn a_jobs_times_are_shown_to_the_second_without_the_t_and_zone() {
        let at = chrono::Utc::now();
        let stored = crate::upgrade::view_time(at);
        let j = json!({"id": 1, "device": "ce1", "file": 1, "status": "s", "reason": null,
            "history": [[stored, "Proceeding with Prepositioned Download"]]});
        let shown = job(&j);
        let row = shown.lines().last().unwrap();
        let want = at.format("%Y-%m-%d %H:%M:%S").to_string();
        assert!(row.starts_with(&format!("{want}  Proceeding")), "{shown}");
    }

    #[test]
    fn a_job_shows_its_reason_and_history() {
        let j = json!({"id": 4, "device": "ce1", "file": 3, "status": "Prepositioned Download Failed",
            "reason": "version 5.2.1 is already running",
            "history": [["t1", "Proceeding with Prepositioned Download"], ["t2", "Prepositioned Download Failed"]]});
        assert_eq!(
            job(&j),
            "job 4: ce1 (file 3): Prepositioned Download Failed\n\
             reason: version 5.2.1 is already running\n\
             Time  Message\n\
             t1    Proceeding with Prepositioned Download\n\
             t2    Prepositioned Download Failed\n"
        );
        assert_eq!(
            job_failure(4, &j),
            "job 4 (ce1): version 5.2.1 is already running"
        );
    }
}
