//! Checks of the values a step carries, each on its own: `${name}` references to values saved by
//! earlier `api` steps, JSON pointers, file names on a device's disk or an image server, CMS
//! tables, `expect:` blocks (regular expressions compiled) and `check:` mappings (keys that apply to
//! the device's kind, words each key accepts). Each returns the message of the first problem; the
//! step's line is added by `validate`.

use crate::config::DeviceKind;
use crate::release::Version;

use super::names::Names;
use super::raw::{Check, Expect};
use super::steps::Expectation;

/// The `${name}` references of a text.
pub fn var_refs(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        let after = &rest[at + 2..];
        match after.find('}') {
            Some(end) => {
                found.push(&after[..end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    found
}

/// Every `${name}` of `text` was saved by an earlier step.
pub(super) fn known_vars(text: &str, saved: &[String]) -> Result<(), String> {
    for v in var_refs(text) {
        if !saved.iter().any(|s| s == v) {
            return Err(if saved.is_empty() {
                format!("`${{{v}}}`: no earlier api step saves a value named '{v}'")
            } else {
                format!(
                    "`${{{v}}}`: no earlier api step saves a value named '{v}' (saved so far: {})",
                    saved.join(", ")
                )
            });
        }
    }
    Ok(())
}

pub(super) fn known_vars_json(value: &serde_json::Value, saved: &[String]) -> Result<(), String> {
    match value {
        serde_json::Value::String(s) => known_vars(s, saved),
        serde_json::Value::Array(a) => a.iter().try_for_each(|v| known_vars_json(v, saved)),
        serde_json::Value::Object(o) => o.iter().try_for_each(|(k, v)| {
            known_vars(k, saved)?;
            known_vars_json(v, saved)
        }),
        _ => Ok(()),
    }
}

/// A JSON pointer (`/0/status`, `` for the whole answer), with `[key=value]` segments allowed.
pub(super) fn pointer(p: &str) -> Result<(), String> {
    if !(p.is_empty() || p.starts_with('/')) {
        return Err(format!(
            "'{p}' is not a JSON pointer: it starts with / (like /0/status), or is empty for the whole answer"
        ));
    }
    for seg in p.split('/').skip(1) {
        if seg.starts_with('[') && !(seg.ends_with(']') && seg.contains('=')) {
            return Err(format!(
                "JSON pointer '{p}': a segment [..] selects by a field, like [name=ce1]"
            ));
        }
    }
    Ok(())
}

/// A path in an image server's folder: relative, no `.`/`..` parts; `*` only in the file name.
pub(super) fn server_file(path: &str) -> Result<String, String> {
    let p = path.trim_start_matches('/');
    let parts: Vec<&str> = p.split('/').collect();
    if p.is_empty()
        || parts
            .iter()
            .any(|c| c.is_empty() || *c == "." || *c == "..")
    {
        return Err(format!(
            "'{path}' is not a file of the server's folder (like images/ACNS-5.2.1-K9.bin)"
        ));
    }
    if parts[..parts.len() - 1].iter().any(|c| c.contains('*')) {
        return Err(format!("'{path}': `*` only in the file name"));
    }
    Ok(p.to_string())
}

pub(super) fn table(name: &str) -> Result<(), String> {
    if crate::cms::schema::REPLICATED
        .iter()
        .any(|(t, _)| *t == name)
    {
        Ok(())
    } else {
        let known: Vec<&str> = crate::cms::schema::REPLICATED
            .iter()
            .map(|(t, _)| *t)
            .collect();
        Err(format!(
            "unknown CMS table '{name}' (tables: {})",
            known.join(", ")
        ))
    }
}

pub(super) fn plain_file(name: &str) -> Result<String, String> {
    let name = name.strip_prefix("/local/local1/").unwrap_or(name);
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(format!("'{name}' is not a file name in /local/local1"));
    }
    Ok(name.to_string())
}

pub(super) fn expectation(e: Expect, names: &Names) -> Result<Expectation, String> {
    let device = e.device.as_deref().map(|d| names.device(d)).transpose()?;
    let mut regex = Vec::new();
    for r in e.regex.map(|m| m.0).unwrap_or_default() {
        let compiled = regex::RegexBuilder::new(&r)
            .multi_line(true)
            .build()
            .map_err(|err| format!("expect: bad regex /{r}/: {err}"))?;
        regex.push(compiled);
    }
    let x = Expectation {
        device,
        contains: e.contains.map(|m| m.0).unwrap_or_default(),
        regex,
        exact: e.exact,
        absent: e.absent.map(|m| m.0).unwrap_or_default(),
    };
    if x.contains.is_empty() && x.regex.is_empty() && x.exact.is_none() && x.absent.is_empty() {
        return Err("expect: give contains, regex, exact or absent".into());
    }
    Ok(x)
}

pub(super) fn check_mapping(c: &Check, names: &Names) -> Result<(), String> {
    let device = names.device(&c.device)?;
    let kind = names.kind(&device);
    // without a lab (it has errors of its own) the kind is not known: nothing to hold it to
    let is_cdm = kind == Some(DeviceKind::Cdm);
    let need_cdm = |key: &str, set: bool| -> Result<(), String> {
        if set && kind.is_some() && !is_cdm {
            Err(format!(
                "check: `{key}` is about a CDM; '{device}' is not one"
            ))
        } else {
            Ok(())
        }
    };
    need_cdm("role", c.role.is_some())?;
    need_cdm("sync", c.sync.is_some())?;
    need_cdm("database", c.database.is_some())?;
    need_cdm("schema", c.schema.is_some())?;
    need_cdm("cms_devices", c.cms_devices.is_some())?;
    need_cdm("rows", c.rows.is_some())?;
    need_cdm("same_data_as", c.same_data_as.is_some())?;
    if is_cdm && (c.registered.is_some() || c.registered_with.is_some()) {
        return Err(format!(
            "check: `registered` is about a CE or CR; '{device}' is a CDM"
        ));
    }
    for v in [&c.version, &c.pending_version].into_iter().flatten() {
        if v != "none" {
            v.parse::<Version>()
                .map_err(|_| format!("check: '{v}' is not a version like 5.2.1"))?;
        }
    }
    if let Some(p) = &c.power {
        if !matches!(p.as_str(), "running" | "booting" | "rebooting") {
            return Err(format!(
                "check: power is running, booting or rebooting, not '{p}'"
            ));
        }
    }
    if let Some(s) = &c.cms {
        if !matches!(s.as_str(), "enabled" | "disabled" | "running" | "held") {
            return Err(format!(
                "check: cms is enabled, disabled, running or held, not '{s}'"
            ));
        }
    }
    if let Some(r) = &c.role {
        if !matches!(r.as_str(), "primary" | "standby") {
            return Err(format!("check: role is primary or standby, not '{r}'"));
        }
    }
    if let Some(s) = &c.sync {
        if !SYNC_WORDS.contains(&s.as_str()) {
            return Err(format!(
                "check: sync is one of {}, not '{s}'",
                SYNC_WORDS.join(", ")
            ));
        }
    }
    if let Some(d) = &c.database {
        if !matches!(d.as_str(), "present" | "absent") {
            return Err(format!("check: database is present or absent, not '{d}'"));
        }
    }
    if let Some(r) = &c.registered_with {
        names.address(r)?;
    }
    if let Some(s) = &c.status_on {
        names.cdm(&s.cdm)?;
    }
    if let Some(other) = &c.same_data_as {
        names.cdm(other)?;
    }
    if let Some(rows) = &c.rows {
        for t in rows.keys() {
            table(t)?;
        }
    }
    for f in c
        .file_exists
        .iter()
        .chain(c.file_absent.iter())
        .flat_map(|m| m.0.iter())
    {
        plain_file(f)?;
    }
    Ok(())
}

/// The words of `check: sync:`: a standby CDM's states.
pub const SYNC_WORDS: &[&str] = &crate::standby::StandbyState::WORDS;
