//! Turns raw steps into checked [`Step`]s before anything runs: the rules of a step mapping (one
//! kind; `device:` only with `send:`; `expect:` alone or with `cli:`/`send:`), then one validator
//! per step kind, named by its key (`validate::wait` for `wait:`), which `steps::RawStep::into_kind`
//! calls. Validators check names against the lab, values on their own (`values`) and what earlier
//! steps made available (devices with CLI output, values saved by `api` steps). Errors are messages;
//! [`steps_of`] adds the file, the step's line and number.

use std::time::Duration;

use super::duration::Dur;
use super::names::Names;
use super::raw::{
    ApiCall, Check, CmsPut, CmsRemove, Expect, FileFault, FillDisk, Many, PowerLoss, RawCli,
    ServerFileFault, ServerFileWrite, UntilJob,
};
use super::steps::{ApiStep, RawStep, Step, StepKind, Truncate, STEP_KINDS};
use super::values::{
    check_mapping, expectation, known_vars, known_vars_json, plain_file, pointer, server_file,
    table,
};
use super::Found;
use crate::topology::Topology;
use crate::yaml_parts::Item;

/// The kinds an `expect:` may go with (it checks their output).
const EXPECT_GOES_WITH: &[&str] = &["cli", "send"];

/// What the steps checked so far made available to the next.
pub(super) struct Context<'a> {
    names: Names<'a>,
    /// Devices an earlier cli step typed into (an `expect:` alone checks their output).
    cli_seen: Vec<String>,
    /// Values saved by earlier `api` steps (`${name}`).
    saved: Vec<String>,
}

/// Checks the steps listed under the top-level `key:` against `topology` (`None`: the lab has
/// errors, so names are not checked); every error goes to `found` with the line of its step, and
/// the steps that passed are returned. A step that did not parse still tells later steps what it
/// would have made available (its device's output, the values it saves), so they are not blamed.
pub(crate) fn steps_of(
    items: Vec<Item<RawStep>>,
    topology: Option<&Topology>,
    found: &mut Found,
) -> Vec<Step> {
    let mut steps = Vec::with_capacity(items.len());
    let mut cx = Context {
        names: Names { topology },
        cli_seen: Vec::new(),
        saved: Vec::new(),
    };
    for (i, item) in items.into_iter().enumerate() {
        let line = item.line;
        match item.value {
            Ok(rs) => match check_step(rs, &mut cx) {
                Ok((kind, label)) => steps.push(Step { line, label, kind }),
                Err(m) => found.at(line, format!("step {}: {m}", i + 1)),
            },
            Err(e) => {
                salvage(&item.raw, &mut cx);
                found.at(e.line, numbered(&e.message, i, "step"));
            }
        }
    }
    steps
}

/// serde's `steps[3].until: ...` (or `setup[3]: ...`) as `step 4: until: ...` (with `word`
/// "step"): steps and goals are counted from 1 in every message.
pub(crate) fn numbered(message: &str, index: usize, word: &str) -> String {
    let rest = message
        .split_once(&format!("[{index}]"))
        .filter(|(key, _)| !key.contains(' '))
        .map_or(message, |(_, rest)| rest);
    let rest = rest
        .strip_prefix('.')
        .or_else(|| rest.strip_prefix(": "))
        .unwrap_or(rest);
    format!("{word} {}: {rest}", index + 1)
}

/// What a step that did not parse would have made available to later steps: the device of a
/// `cli:` (or `device:` + `send:`) step, the names an `api:` step saves.
fn salvage(raw: &serde_norway::Value, cx: &mut Context) {
    let device = raw
        .get("cli")
        .and_then(|c| c.get("device"))
        .or_else(|| raw.get("device"))
        .and_then(|d| d.as_str());
    if let Some(d) = device {
        cx.cli_seen.push(d.to_string());
    }
    if let Some(serde_norway::Value::Mapping(save)) = raw.get("api").and_then(|a| a.get("save")) {
        cx.saved
            .extend(save.keys().filter_map(|k| k.as_str()).map(str::to_string));
    }
}

/// Checks a `check:` mapping against `topology` (devices that exist, keys that apply to them;
/// `None`: a lab with errors of its own, names not checked).
pub(crate) fn check_against(c: &Check, topology: Option<&Topology>) -> Result<(), String> {
    if c.timeout.is_some() || c.every.is_some() {
        return Err("`timeout` and `every` belong to `until:`, not to a check".into());
    }
    check_mapping(c, &Names { topology })
}

/// The rules of a step mapping, then its kind's validator; the kind and the step's label.
fn check_step(mut rs: RawStep, cx: &mut Context) -> Result<(StepKind, Option<String>), String> {
    let kinds: Vec<&str> = rs
        .kinds_given()
        .into_iter()
        .filter(|k| *k != "expect")
        .collect();
    let label = rs.name.take();
    if kinds.len() > 1 {
        return Err(format!(
            "one kind per step, this one has {}",
            kinds.join(" and ")
        ));
    }
    if rs.device.is_some() && rs.send.is_none() {
        return Err("`device:` at the top of a step goes with `send:`".into());
    }
    if let Some(kind) = kinds.first().filter(|k| !EXPECT_GOES_WITH.contains(k)) {
        if rs.expect.is_some() {
            return Err(format!(
                "`expect:` can stand alone or go with `cli:`/`send:`, not with `{kind}:`"
            ));
        }
    }
    match rs.into_kind(cx) {
        Some(kind) => Ok((kind?, label)),
        None => Err(format!("empty step: give one of {}", kind_list())),
    }
}

/// The step kinds as the empty-step message lists them.
fn kind_list() -> String {
    STEP_KINDS
        .iter()
        .map(|k| match *k {
            "send" => "send (with device)",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

// One validator per step kind, named by its key: the raw value, the rest of the step (for `cli` and
// `send`, which take its `expect:`) and what earlier steps made available.

pub(super) fn cli(c: RawCli, step: &mut RawStep, cx: &mut Context) -> Result<StepKind, String> {
    typed_lines(c.device, c.lines, c.expect, step.expect.take(), cx)
}

pub(super) fn send(lines: Many, step: &mut RawStep, cx: &mut Context) -> Result<StepKind, String> {
    let device = step.device.take().ok_or("`send:` needs `device:`")?;
    typed_lines(device, lines, None, step.expect.take(), cx)
}

/// A `cli:` or `device:` + `send:` step, with its `expect:` inside or beside it.
fn typed_lines(
    device: String,
    lines: Many,
    inner: Option<Expect>,
    beside: Option<Expect>,
    cx: &mut Context,
) -> Result<StepKind, String> {
    // whatever else is wrong here, a later `expect:` may check this step's output
    cx.cli_seen.push(device.clone());
    let device = cx.names.device(&device)?;
    if lines.0.is_empty() {
        return Err("cli: no lines to send".into());
    }
    for l in &lines.0 {
        known_vars(l, &cx.saved)?;
    }
    let expect = match (inner, beside) {
        (Some(_), Some(_)) => return Err("two `expect:` in one step".into()),
        (Some(e), None) | (None, Some(e)) => {
            if e.device.is_some() {
                return Err("an `expect:` inside a cli step takes no `device:`".into());
            }
            Some(expectation(e, &cx.names)?)
        }
        (None, None) => None,
    };
    Ok(StepKind::Cli {
        device,
        lines: lines.0,
        expect,
    })
}

/// `expect:` alone: the output of an earlier cli step.
pub(super) fn expect(e: Expect, _: &mut RawStep, cx: &mut Context) -> Result<StepKind, String> {
    let e = expectation(e, &cx.names)?;
    match &e.device {
        Some(d) if !cx.cli_seen.contains(d) => Err(format!(
            "expect: no earlier cli step on device '{d}' to check the output of"
        )),
        None if cx.cli_seen.is_empty() => {
            Err("expect: no earlier cli step to check the output of".into())
        }
        _ => Ok(StepKind::Expect(e)),
    }
}

pub(super) fn wait(d: Dur, _: &mut RawStep, _: &mut Context) -> Result<StepKind, String> {
    Ok(StepKind::Wait(d.0))
}

pub(super) fn until(mut c: Check, _: &mut RawStep, cx: &mut Context) -> Result<StepKind, String> {
    check_mapping(&c, &cx.names)?;
    let timeout = c
        .timeout
        .take()
        .ok_or("until: needs `timeout:` (e.g. timeout: 10m)")?
        .0;
    let every = c
        .every
        .take()
        .map(|d| d.0)
        .unwrap_or(Duration::from_secs(10));
    if every.is_zero() {
        return Err("until: `every:` must be more than 0".into());
    }
    Ok(StepKind::Until {
        check: c,
        timeout,
        every,
    })
}

pub(super) fn check(c: Check, _: &mut RawStep, cx: &mut Context) -> Result<StepKind, String> {
    if c.timeout.is_some() || c.every.is_some() {
        return Err("check: `timeout:`/`every:` belong to `until:`".into());
    }
    check_mapping(&c, &cx.names)?;
    Ok(StepKind::Check(c))
}

pub(super) fn power_cycle(
    device: String,
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    Ok(StepKind::PowerCycle(cx.names.device(&device)?))
}

pub(super) fn reload(
    device: String,
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    Ok(StepKind::Reload(cx.names.device(&device)?))
}

pub(super) fn cut(
    ends: [String; 2],
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    let [a, b] = ends;
    Ok(StepKind::Cut(cx.names.address(&a)?, cx.names.address(&b)?))
}

pub(super) fn heal(
    ends: [String; 2],
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    let [a, b] = ends;
    Ok(StepKind::Heal(cx.names.address(&a)?, cx.names.address(&b)?))
}

pub(super) fn corrupt_file(
    f: FileFault,
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    if f.bytes.is_some() || f.keep.is_some() {
        return Err("corrupt_file: takes only `device:` and `file:`".into());
    }
    Ok(StepKind::CorruptFile {
        device: cx.names.device(&f.device)?,
        file: plain_file(&f.file)?,
    })
}

/// How a `truncate_*` step cuts its file: exactly one of `bytes:` (cut from the end) and `keep:`.
fn truncation(step: &str, bytes: Option<u64>, keep: Option<u64>) -> Result<Truncate, String> {
    match (bytes, keep) {
        (Some(n), None) => Ok(Truncate::Drop(n)),
        (None, Some(n)) => Ok(Truncate::Keep(n)),
        _ => Err(format!(
            "{step}: give `bytes:` (cut this many from the end) or `keep:`"
        )),
    }
}

pub(super) fn truncate_file(
    f: FileFault,
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    let how = truncation("truncate_file", f.bytes, f.keep)?;
    Ok(StepKind::TruncateFile {
        device: cx.names.device(&f.device)?,
        file: plain_file(&f.file)?,
        how,
    })
}

pub(super) fn fill_disk(
    f: FillDisk,
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    Ok(StepKind::FillDisk {
        device: cx.names.device(&f.device)?,
        free_mb: f.free_mb,
    })
}

pub(super) fn power_loss(
    p: PowerLoss,
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    if p.after_mb == 0 {
        return Err("power_loss: `after_mb` must be 1 or more (the `#` that triggers it)".into());
    }
    Ok(StepKind::PowerLoss {
        device: cx.names.device(&p.device)?,
        after_mb: p.after_mb,
    })
}

pub(super) fn cms_put(p: CmsPut, _: &mut RawStep, cx: &mut Context) -> Result<StepKind, String> {
    cx.names.cdm(&p.device)?;
    table(&p.table)?;
    Ok(StepKind::CmsPut(p))
}

pub(super) fn cms_remove(
    p: CmsRemove,
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    cx.names.cdm(&p.device)?;
    table(&p.table)?;
    Ok(StepKind::CmsRemove(p))
}

pub(super) fn until_job(
    u: UntilJob,
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    let timeout = u
        .timeout
        .ok_or("until_job: needs `timeout:` (real time, e.g. timeout: 60s)")?
        .0;
    if timeout.is_zero() {
        return Err("until_job: `timeout:` must be more than 0".into());
    }
    if u.ended == 0 {
        return Err("until_job: `ended:` must be at least 1".into());
    }
    let sum = u.successful.unwrap_or(0) + u.failed.unwrap_or(0);
    if sum > u.ended {
        return Err(format!(
            "until_job: successful + failed ({sum}) is more than ended ({})",
            u.ended
        ));
    }
    Ok(StepKind::UntilJob {
        cdm: cx.names.cdm_or_primary(u.cdm.as_deref())?,
        ended: u.ended,
        successful: u.successful,
        failed: u.failed,
        timeout,
    })
}

pub(super) fn stop_server(
    server: String,
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    Ok(StepKind::StopServer(cx.names.server(&server)?))
}

pub(super) fn start_server(
    server: String,
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    Ok(StepKind::StartServer(cx.names.server(&server)?))
}

pub(super) fn corrupt_server_file(
    f: ServerFileFault,
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    if f.bytes.is_some() || f.keep.is_some() {
        return Err("corrupt_server_file: takes only `server:` and `file:`".into());
    }
    Ok(StepKind::CorruptServerFile {
        server: cx.names.server(&f.server)?,
        file: server_file(&f.file)?,
    })
}

pub(super) fn truncate_server_file(
    f: ServerFileFault,
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    let how = truncation("truncate_server_file", f.bytes, f.keep)?;
    Ok(StepKind::TruncateServerFile {
        server: cx.names.server(&f.server)?,
        file: server_file(&f.file)?,
        how,
    })
}

pub(super) fn write_server_file(
    w: ServerFileWrite,
    _: &mut RawStep,
    cx: &mut Context,
) -> Result<StepKind, String> {
    let file = server_file(&w.file)?;
    if file.contains('*') {
        return Err("write_server_file: `file:` names one file, without `*`".into());
    }
    known_vars(&w.text, &cx.saved)?;
    Ok(StepKind::WriteServerFile {
        server: cx.names.server(&w.server)?,
        file,
        text: w.text,
    })
}

pub(super) fn api(a: ApiCall, _: &mut RawStep, cx: &mut Context) -> Result<StepKind, String> {
    let names = &cx.names;
    let saved = &mut cx.saved;
    // what this step saves is there for later steps, whatever else is wrong with it
    let save: Vec<(String, String)> = a.save.unwrap_or_default().into_iter().collect();
    let saved_before = saved.len();
    for (name, _) in &save {
        if !saved.contains(name) {
            saved.push(name.clone());
        }
    }
    let (saved_earlier, _) = saved.split_at(saved_before);
    let saved = saved_earlier;
    let cdm = names.cdm_or_primary(a.cdm.as_deref())?;
    let method = a
        .method
        .unwrap_or_else(|| "GET".into())
        .to_ascii_uppercase();
    if !matches!(method.as_str(), "GET" | "POST" | "PUT" | "DELETE") {
        return Err(format!(
            "api: method is GET, POST, PUT or DELETE, not '{method}'"
        ));
    }
    if !a.path.starts_with('/') {
        return Err(format!(
            "api: path '{}' must start with / (like /api/devices)",
            a.path
        ));
    }
    known_vars(&a.path, saved)?;
    if let Some(b) = &a.body {
        known_vars_json(b, saved)?;
        if method == "GET" || method == "DELETE" {
            return Err(format!("api: a {method} takes no `body:`"));
        }
    }
    if let Some(s) = a.status {
        if !(100..=599).contains(&s) {
            return Err(format!("api: status {s} is not an HTTP status"));
        }
    }
    let contains = a.contains.map(|m| m.0).unwrap_or_default();
    let absent = a.absent.map(|m| m.0).unwrap_or_default();
    for t in contains.iter().chain(absent.iter()) {
        known_vars(t, saved)?;
    }
    let json: Vec<(String, serde_json::Value)> = a.json.unwrap_or_default().into_iter().collect();
    for (p, v) in &json {
        pointer(p).map_err(|m| format!("api: json: {m}"))?;
        known_vars(p, saved)?;
        known_vars_json(v, saved)?;
    }
    for (name, p) in &save {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "api: save: '{name}' is not a name (letters, digits, _ and -)"
            ));
        }
        pointer(p).map_err(|m| format!("api: save: {m}"))?;
    }
    Ok(StepKind::Api(Box::new(ApiStep {
        cdm,
        method,
        path: a.path,
        body: a.body,
        status: a.status,
        contains,
        absent,
        json,
        save,
    })))
}
