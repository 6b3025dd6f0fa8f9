//! `check:` and `until:` mappings evaluated against live device state (version, power, CMS,
//! registration, sync, the CMS database and its rows, files on disk); one line per mismatch.
//! Reads state only: changes nothing.

use crate::device::Device;
use crate::lab::Lab;

use super::super::format::Check;
use super::faults::matching_files;

fn miss(
    misses: &mut Vec<String>,
    what: &str,
    want: impl std::fmt::Display,
    got: impl std::fmt::Display,
) {
    misses.push(format!("{what}: expected {want}, got {got}"));
}

fn address_of(lab: &Lab, word: &str) -> String {
    lab.node(word)
        .map(|n| n.spec().ip.to_string())
        .unwrap_or_else(|| word.to_string())
}

/// Evaluates a check against live state; one line per mismatch.
pub fn check(lab: &Lab, c: &Check) -> Vec<String> {
    let mut misses = Vec::new();
    let node = lab.node(&c.device).expect("checked at load");
    let device = node.device();
    let d = &c.device;
    {
        let state = device.state();
        if let Some(v) = &c.version {
            if state.version.to_string() != *v {
                miss(&mut misses, &format!("{d} version"), v, state.version);
            }
        }
        if let Some(v) = &c.pending_version {
            let got = state
                .pending_version
                .map(|p| p.to_string())
                .unwrap_or_else(|| "none".into());
            if got != *v {
                miss(&mut misses, &format!("{d} pending version"), v, got);
            }
        }
        if let Some(p) = &c.power {
            if state.power.word() != p {
                miss(&mut misses, &format!("{d} power"), p, state.power.word());
            }
        }
        if let Some(want) = &c.cms {
            let service = state.cms_service();
            let got = match want.as_str() {
                "enabled" | "disabled" => if state.running.cms_enabled {
                    "enabled"
                } else {
                    "disabled"
                }
                .to_string(),
                _ => match &service {
                    crate::device::CmsService::Running => "running".to_string(),
                    crate::device::CmsService::Disabled => "disabled".to_string(),
                    crate::device::CmsService::Held(why) => format!("held ({why})"),
                },
            };
            let ok = got == *want || (want == "held" && got.starts_with("held"));
            if !ok {
                miss(&mut misses, &format!("{d} CMS"), want, got);
            }
        }
        if let Some(r) = &c.role {
            let got = state
                .running
                .cdm_role
                .map(|r| r.as_str().to_string())
                .unwrap_or_else(|| "none".into());
            if got != *r {
                miss(&mut misses, &format!("{d} role"), r, got);
            }
        }
        if let Some(h) = &c.hostname {
            if state.running.hostname != *h {
                miss(
                    &mut misses,
                    &format!("{d} hostname"),
                    h,
                    &state.running.hostname,
                );
            }
        }
        if let Some(want) = c.registered {
            let got = state.registration.is_some();
            if got != want {
                let got = match &state.registration {
                    Some(r) => format!("registered with {}", r.cdm),
                    None => "not registered".into(),
                };
                miss(
                    &mut misses,
                    &format!("{d} registration"),
                    if want { "registered" } else { "not registered" },
                    got,
                );
            }
        }
        if let Some(w) = &c.registered_with {
            let want = address_of(lab, w);
            let got = state
                .registration
                .as_ref()
                .map(|r| r.cdm.to_string())
                .unwrap_or_else(|| "not registered".into());
            if got != want {
                miss(&mut misses, &format!("{d} registered with"), want, got);
            }
        }
        if let Some(s) = &c.sync {
            let word = state
                .standby_state()
                .map_or("not a standby", |standby| standby.word());
            if word != s {
                miss(&mut misses, &format!("{d} sync"), s, word);
            }
        }
        let cms = state.cms.as_ref().filter(|c| c.exists());
        if let Some(want) = &c.database {
            let got = if cms.is_some() { "present" } else { "absent" };
            if got != want {
                miss(&mut misses, &format!("{d} CMS database"), want, got);
            }
        }
        if let Some(want) = &c.schema {
            let got = cms
                .map(|c| {
                    c.schema()
                        .map(|s| s.to_string())
                        .unwrap_or_else(|e| e.to_string())
                })
                .unwrap_or_else(|| "no database".into());
            if got != *want {
                miss(&mut misses, &format!("{d} CMS schema"), want, got);
            }
        }
        if let Some(n) = c.cms_devices {
            let got = cms
                .map(|c| {
                    c.count("devices")
                        .map(|n| n.to_string())
                        .unwrap_or_else(|e| e.to_string())
                })
                .unwrap_or_else(|| "no database".into());
            if got != n.to_string() {
                miss(&mut misses, &format!("{d} CMS devices"), n, got);
            }
        }
        for (table, n) in c.rows.iter().flatten() {
            let got = cms
                .map(|c| {
                    c.count(table)
                        .map(|n| n.to_string())
                        .unwrap_or_else(|e| e.to_string())
                })
                .unwrap_or_else(|| "no database".into());
            if got != n.to_string() {
                miss(&mut misses, &format!("{d} rows of {table}"), n, got);
            }
        }
    }
    if let Some(s) = &c.status_on {
        let cdm = lab.node(&s.cdm).expect("checked at load").device();
        let state = cdm.state();
        let got = match state.cms.as_ref().filter(|c| c.exists()) {
            None => "no CMS database on the CDM".to_string(),
            Some(cms) => match cms.device(d) {
                Ok(Some(row)) => row.status,
                Ok(None) => "not in the CDM's device table".to_string(),
                Err(e) => e.to_string(),
            },
        };
        if !got.eq_ignore_ascii_case(&s.status) {
            miss(
                &mut misses,
                &format!("{d} status on {}", s.cdm),
                &s.status,
                got,
            );
        }
    }
    if let Some(other) = &c.same_data_as {
        let mine = tables(device);
        let theirs = tables(lab.node(other).expect("checked at load").device());
        for ((table, a), (_, b)) in mine.iter().zip(theirs.iter()) {
            if a != b {
                misses.push(format!(
                    "{d} table {table} differs from {other}: {} row(s) here, {} there{}",
                    a.len(),
                    b.len(),
                    first_difference(a, b)
                ));
            }
        }
    }
    let dir = device.disk_dir();
    for f in c.file_exists.iter().flat_map(|m| m.0.iter()) {
        if matching_files(&dir, f).is_empty() {
            let all = matching_files(&dir, "*");
            misses.push(format!(
                "{d} /local/local1: expected a file '{f}', found {}",
                if all.is_empty() {
                    "no files".into()
                } else {
                    all.join(", ")
                }
            ));
        }
    }
    for f in c.file_absent.iter().flat_map(|m| m.0.iter()) {
        let found = matching_files(&dir, f);
        if !found.is_empty() {
            misses.push(format!(
                "{d} /local/local1: expected no file '{f}', found {}",
                found.join(", ")
            ));
        }
    }
    misses
}

type Rows = Vec<String>;

fn tables(device: &Device) -> Vec<(&'static str, Rows)> {
    let state = device.state();
    crate::cms::schema::REPLICATED
        .iter()
        .map(|(t, _)| {
            let rows = state
                .cms
                .as_ref()
                .filter(|c| c.exists())
                .and_then(|c| c.rows(t).ok())
                .unwrap_or_default()
                .into_iter()
                .map(|r| serde_json::Value::Object(r).to_string())
                .collect();
            (*t, rows)
        })
        .collect()
}

fn first_difference(a: &Rows, b: &Rows) -> String {
    if let Some(r) = a.iter().find(|r| !b.contains(r)) {
        return format!("; only here: {r}");
    }
    if let Some(r) = b.iter().find(|r| !a.contains(r)) {
        return format!("; only there: {r}");
    }
    String::new()
}
