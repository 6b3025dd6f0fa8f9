//! `api` and `until_job` steps: calls to a CDM's HTTP API (`docs/api.md`), logged in with the
//! CDM's administrator account as the lab has it now (HTTP Basic), with `${name}` values
//! substituted, the answer checked (status, text, JSON pointers with `[key=value]` segments) and
//! values saved for later steps; the CDM's upgrade jobs polled in real time. Owns no other step.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::super::format::{var_refs, ApiStep};
use super::{words, Runner};

impl Runner<'_> {
    /// `${name}` replaced by saved values (strings as they are, other values as JSON text).
    pub(super) fn subst(&self, text: &str) -> Result<String, String> {
        let mut out = text.to_string();
        for name in var_refs(text) {
            let v = self
                .vars
                .get(name)
                .ok_or_else(|| format!("`${{{name}}}` was never saved (its api step failed?)"))?;
            let t = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out = out.replace(&format!("${{{name}}}"), &t);
        }
        Ok(out)
    }

    /// [`Self::subst`] through a JSON value; a string that is only `${name}` becomes the saved
    /// value itself, with its type (a file id stays a number).
    fn subst_json(&self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(s) => {
                let refs = var_refs(s);
                if refs.len() == 1 && *s == format!("${{{}}}", refs[0]) {
                    match self.vars.get(refs[0]) {
                        Some(v) => v.clone(),
                        None => Value::String(self.subst(s)?),
                    }
                } else {
                    Value::String(self.subst(s)?)
                }
            }
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|v| self.subst_json(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(o) => {
                let mut m = serde_json::Map::new();
                for (k, v) in o {
                    m.insert(self.subst(k)?, self.subst_json(v)?);
                }
                Value::Object(m)
            }
            other => other.clone(),
        })
    }

    /// The client of `cdm`'s API, with its administrator's password as its configuration has it.
    fn api_client(&self, cdm: &str) -> Result<crate::api::Client, String> {
        self.lab
            .info()
            .devices
            .iter()
            .find(|d| d.name == cdm)
            .and_then(crate::api::Client::of)
            .ok_or_else(|| format!("{cdm} has no CDM API in this lab"))
    }

    /// One API call and its expectations; `save:` values are remembered.
    pub(super) async fn api(&mut self, a: &ApiStep) -> Result<(), String> {
        let client = self.api_client(&a.cdm)?;
        let path = self.subst(&a.path)?;
        let body = a.body.as_ref().map(|b| self.subst_json(b)).transpose()?;
        let what = match &body {
            Some(b) => format!("{} {path} {b}", a.method),
            None => format!("{} {path}", a.method),
        };
        let (status, answer) = client
            .call(&a.method, &path, body)
            .await
            .map_err(|e| format!("{what}: no answer from {}'s API: {e}", a.cdm))?;
        let text = if answer.is_null() {
            String::new()
        } else {
            answer.to_string()
        };
        let mut misses = Vec::new();
        if let Some(want) = a.status {
            if want != status {
                misses.push(format!("status: expected {want}, got {status}"));
            }
        }
        for c in &a.contains {
            let c = self.subst(c)?;
            if !text.contains(&c) {
                misses.push(format!("expected the answer to contain: {c:?}"));
            }
        }
        for c in &a.absent {
            let c = self.subst(c)?;
            if text.contains(&c) {
                misses.push(format!("expected the answer NOT to contain: {c:?}"));
            }
        }
        for (p, want) in &a.json {
            let p = self.subst(p)?;
            let want = self.subst_json(want)?;
            match pick(&answer, &p) {
                // `null` also stands for "nothing there"
                None if want.is_null() => {}
                None => misses.push(format!("{p}: expected {want}, got nothing there")),
                Some(got) if !same_value(&want, got) => {
                    misses.push(format!("{p}: expected {want}, got {got}"))
                }
                Some(_) => {}
            }
        }
        if misses.is_empty() {
            for (name, p) in &a.save {
                match pick(&answer, p) {
                    Some(v) => {
                        self.vars.insert(name.clone(), v.clone());
                    }
                    None => misses.push(format!("save {name}: nothing at {p} of the answer")),
                }
            }
        }
        if misses.is_empty() {
            return Ok(());
        }
        let pretty = serde_json::to_string_pretty(&answer).unwrap_or(text);
        let mut m = format!("{what}\n{}\nanswer ({status}):\n", misses.join("\n"));
        for l in pretty.lines().take(60) {
            let _ = writeln!(m, "  {l}");
        }
        Err(m.trim_end().to_string())
    }

    /// Polls the CDM's jobs (real time: downloads are real) until `ended` have ended.
    pub(super) async fn until_job(
        &mut self,
        cdm: &str,
        ended: u64,
        successful: Option<u64>,
        failed: Option<u64>,
        timeout: Duration,
    ) -> Result<(), String> {
        let client = self.api_client(cdm)?;
        let started = Instant::now();
        loop {
            let last = match client.call("GET", "/api/jobs", None).await {
                Ok((200, jobs)) => {
                    let statuses: Vec<&str> = jobs
                        .as_array()
                        .map(|a| a.iter().filter_map(|j| j["status"].as_str()).collect())
                        .unwrap_or_default();
                    let ok = statuses.iter().filter(|s| **s == SUCCESSFUL).count() as u64;
                    let bad = statuses.iter().filter(|s| **s == FAILED).count() as u64;
                    if ok + bad >= ended {
                        let mut misses = Vec::new();
                        if let Some(n) = successful.filter(|n| *n != ok) {
                            misses.push(format!("successful jobs: expected {n}, got {ok}"));
                        }
                        if let Some(n) = failed.filter(|n| *n != bad) {
                            misses.push(format!("failed jobs: expected {n}, got {bad}"));
                        }
                        if misses.is_empty() {
                            return Ok(());
                        }
                        return Err(format!(
                            "{}\njobs:\n{}",
                            misses.join("\n"),
                            job_lines(&jobs)
                        ));
                    }
                    job_lines(&jobs)
                }
                Ok((status, body)) => format!("  GET /api/jobs answered {status}: {body}"),
                Err(e) => format!("  GET /api/jobs: {e}"),
            };
            if started.elapsed() >= timeout {
                return Err(format!(
                    "{ended} job(s) had not ended after {} of real time (downloads are real); jobs:\n{last}",
                    words(timeout)
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

const SUCCESSFUL: &str = "Prepositioned Download Successful";
const FAILED: &str = "Prepositioned Download Failed";

/// One line per job: id, device, status.
fn job_lines(jobs: &Value) -> String {
    let lines: Vec<String> = jobs
        .as_array()
        .map(|a| {
            a.iter()
                .map(|j| format!("  job {} {}: {}", j["id"], j["device"], j["status"]))
                .collect()
        })
        .unwrap_or_default();
    if lines.is_empty() {
        "  (no jobs)".into()
    } else {
        lines.join("\n")
    }
}

/// The value at a JSON pointer; a segment `[key=value]` picks the first array element whose `key`
/// is `value` (compared as text).
pub fn pick<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    let mut at = value;
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if let Some((key, want)) = seg
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .and_then(|s| s.split_once('='))
        {
            at = at.as_array()?.iter().find(|e| {
                e.get(key).is_some_and(|v| match v {
                    Value::String(s) => s == want,
                    other => json_text(other) == want,
                })
            })?;
        } else {
            at = match at {
                Value::Object(o) => o.get(&seg)?,
                Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
    }
    Some(at)
}

/// A JSON value as text (`1`, `true`, `"x"` for a string).
fn json_text(v: &Value) -> String {
    v.to_string()
}

/// Equal JSON values; a number or boolean also equals its text (`"1"` matches `1`).
fn same_value(want: &Value, got: &Value) -> bool {
    want == got
        || match (want, got) {
            (Value::String(w), Value::Number(_) | Value::Bool(_)) => *w == json_text(got),
            (Value::Number(w), Value::Number(g)) => w.as_f64() == g.as_f64(),
            _ => false,
        }
}
