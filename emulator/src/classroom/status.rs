//! `acnslab classroom status`: whether the teacher's page and each trainee's lab run now, from
//! `classroom.json`, each lab's lock and `lab.json`, and the teacher's lock; a table, or `--json`.
//! Passwords are not shown (they are in `classroom.json`). Also the table `classroom up` prints.

use std::path::Path;

use serde::Serialize;

use super::roster::Roster;
use crate::lab::LabInfo;
use crate::lifecycle::Outcome;

/// One lab now, for `--json`.
#[derive(Debug, Serialize)]
struct LabNow<'a> {
    trainee: &'a str,
    state_dir: &'a Path,
    running: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pid: Option<u32>,
    /// Why it does not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    ssh: &'a std::collections::BTreeMap<String, String>,
    web: &'a std::collections::BTreeMap<String, String>,
    lab: &'a str,
}

/// Whether the lab of `state_dir` runs: its pid, or why not.
fn lab_now(state_dir: &Path, error: Option<&String>) -> Result<u32, String> {
    if let Some(why) = error {
        return Err(format!("did not start: {why}"));
    }
    LabInfo::running(state_dir)
        .map(|info| info.pid)
        .map_err(|e| e.to_string())
}

/// The table of trainees: each lab's SSH ports, web GUI, health port, and, with `states`, whether
/// it runs now (else whether it started).
pub fn trainee_table(roster: &Roster, states: Option<&[Result<u32, String>]>) -> String {
    let mut table = crate::lifecycle::table(&["TRAINEE", "STATE", "SSH", "WEB", "LAB"]);
    for (i, t) in roster.trainees.iter().enumerate() {
        let state = match states.and_then(|s| s.get(i)) {
            Some(Ok(pid)) => format!("running (pid {pid})"),
            Some(Err(_)) => "stopped".to_string(),
            None => match &t.error {
                None => "running".to_string(),
                Some(why) => format!("failed: {why}"),
            },
        };
        let ports: Vec<&str> = t
            .ssh
            .values()
            .filter_map(|a| a.rsplit_once(':').map(|(_, p)| p))
            .collect();
        let host = t
            .ssh
            .values()
            .next()
            .and_then(|a| a.rsplit_once(':').map(|(h, _)| h))
            .unwrap_or("-");
        let ssh = match (ports.iter().min(), ports.iter().max()) {
            (Some(lo), Some(hi)) if lo != hi => format!("{host} {lo}-{hi}"),
            (Some(one), _) => format!("{host} {one}"),
            _ => "-".to_string(),
        };
        let web = t.web.values().next().map(String::as_str).unwrap_or("-");
        table.add_row(vec![
            t.trainee.clone(),
            state,
            ssh,
            web.to_string(),
            t.lab.clone(),
        ]);
    }
    crate::lifecycle::render(&table)
}

/// `acnslab classroom status`: succeeds when the page and every lab that started run.
pub fn status(dir: &Path, json: bool) -> Result<Outcome, String> {
    let roster = Roster::read(dir).map_err(|e| e.to_string())?;
    let states: Vec<Result<u32, String>> = roster
        .trainees
        .iter()
        .map(|t| lab_now(&t.state_dir, t.error.as_ref()))
        .collect();
    let teacher = super::pidlock::holder(dir);
    let running = states.iter().filter(|s| s.is_ok()).count();
    let success = teacher.is_some() && running == roster.trainees.len();
    let text = if json {
        let labs: Vec<LabNow> = roster
            .trainees
            .iter()
            .zip(&states)
            .map(|(t, state)| LabNow {
                trainee: &t.trainee,
                state_dir: &t.state_dir,
                running: state.is_ok(),
                pid: state.as_ref().ok().copied(),
                reason: state.as_ref().err().cloned(),
                ssh: &t.ssh,
                web: &t.web,
                lab: &t.lab,
            })
            .collect();
        let value = serde_json::json!({
            "dir": dir,
            "exercise": roster.exercise,
            "name": roster.name,
            "teacher": {"url": roster.teacher, "running": teacher.is_some(), "pid": teacher},
            "trainees": labs,
        });
        format!(
            "{}\n",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        )
    } else {
        let page = match teacher {
            Some(pid) => format!("running (pid {pid})"),
            None => "stopped".to_string(),
        };
        format!(
            "classroom in {}: {:?}, {running} of {} lab(s) running\n{}teacher's page: {} {page}\n",
            dir.display(),
            roster.name,
            roster.trainees.len(),
            trainee_table(&roster, Some(&states)),
            roster.teacher
        )
    };
    Ok(Outcome { text, success })
}
