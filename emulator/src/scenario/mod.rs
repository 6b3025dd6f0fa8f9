//! Scenario files: whole ACNS procedures replayed in-process on a virtual lab clock, with checks
//! against live device state and injected faults (`docs/scenarios.md`). [`format`] parses and checks
//! a file (every error has file and line, before anything runs; the step kinds are declared once in
//! `format::steps`); [`runner`] runs one scenario in a fresh lab (the run loop, with `cli`, `checks`,
//! `faults`, `api` and `expect` beside it); [`report`] renders diffs and JUnit XML; [`shard`] picks
//! one runner's share of the files (`--shard I/N`); this file finds the files of a folder and is
//! `acnslab run FILE|DIR...` ([`run_cli`]).

pub mod format;
pub mod report;
pub mod runner;
pub mod shard;

use std::path::{Path, PathBuf};

use globset::GlobBuilder;

pub use format::{load, parse, Scenario, ScenarioError, ScenarioErrors};
pub use report::junit_xml;
pub use runner::{run, run_over, Failure, Outcome, Transport};
pub use shard::{Shard, ShardError};

/// The scenario files named by `paths`: files as given, folders' `*.yaml`/`*.yml` files sorted.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    // `?*`: a name before the extension, as `Path::extension` wants one (`.yaml` alone is none)
    let scenario_files = GlobBuilder::new("?*.{yaml,yml}")
        .build()
        .map_err(|e| e.to_string())?
        .compile_matcher();
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|f| {
                    f.is_file() && f.file_name().is_some_and(|n| scenario_files.is_match(n))
                })
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(format!("{}: no scenario files (*.yaml) here", p.display()));
            }
            files.extend(found);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            return Err(format!("{}: no such file or folder", p.display()));
        }
    }
    if files.is_empty() {
        return Err("no scenario files given".into());
    }
    Ok(files)
}

/// Loads every file; all errors at once (every error of every file, each file's sorted by line),
/// so nothing runs unless every file is sound.
pub fn load_all(files: &[PathBuf]) -> Result<Vec<Scenario>, Vec<ScenarioErrors>> {
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match load(f) {
            Ok(s) => scenarios.push(s),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors)
    }
}

/// Where [`run_all`] is: a scenario about to run (its index among them all), or one that ended.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    Starting {
        index: usize,
        scenario: &'a Scenario,
    },
    Ended(&'a Outcome),
}

/// Runs scenarios one after the other on a runtime of its own, `cli` steps over `transport`;
/// `each` hears of every scenario as it starts and as it ends. Must not be called from inside a
/// tokio runtime.
pub fn run_all(
    scenarios: &[Scenario],
    transport: Transport,
    mut each: impl FnMut(Progress<'_>),
) -> Vec<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let mut outcomes = Vec::new();
        for (index, s) in scenarios.iter().enumerate() {
            each(Progress::Starting { index, scenario: s });
            let o = run_over(s, transport).await;
            each(Progress::Ended(&o));
            outcomes.push(o);
        }
        outcomes
    })
}

/// The summary line.
pub fn summary(outcomes: &[Outcome]) -> String {
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    format!("{passed} passed, {} failed", outcomes.len() - passed)
}

/// `acnslab run FILE|DIR... [--ssh] [--junit FILE] [--shard I/N]`: prints `PASS name` / `FAIL
/// name` (with the failing step's file:line, expected against got, and the device's recent
/// transcript), then `N passed, N failed`. `Err` (exit status 1) unless every scenario passed.
/// With a shard, every file is still read and checked (a broken file stops every shard), and only
/// the shard's files run.
pub fn run_cli(
    paths: Vec<PathBuf>,
    transport: Transport,
    junit: Option<PathBuf>,
    shard: Option<Shard>,
) -> Result<(), String> {
    let files = collect(&paths)?;
    let scenarios = match load_all(&files) {
        Ok(s) => s,
        Err(errors) => {
            for e in errors.iter().flat_map(ScenarioErrors::iter) {
                eprintln!("{e}");
            }
            let count: usize = errors.iter().map(ScenarioErrors::len).sum();
            return Err(format!(
                "{count} error(s) in {} scenario file(s); nothing was run",
                errors.len()
            ));
        }
    };
    let scenarios = match shard {
        Some(shard) => {
            let all = scenarios.len();
            let mine = shard.pick(scenarios);
            println!("shard {shard}: {} of {all} scenario file(s)", mine.len());
            mine
        }
        None => scenarios,
    };
    let over = match transport {
        Transport::InProcess => "",
        Transport::Ssh => ", CLI over SSH",
    };
    // On a terminal a bar under the results says which scenario runs and how far the folder is;
    // otherwise (CI logs) the results alone, one line each.
    let bar = std::io::IsTerminal::is_terminal(&std::io::stdout()).then(|| {
        let bar = indicatif::ProgressBar::new(scenarios.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("[{pos}/{len}] {elapsed} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    });
    let say = |text: String| match &bar {
        Some(bar) => bar.println(text.trim_end()),
        None => print!("{text}"),
    };
    let outcomes = run_all(&scenarios, transport, |progress| match progress {
        Progress::Starting { scenario, .. } => {
            if let Some(bar) = &bar {
                bar.set_message(format!("running {}", scenario.name));
            }
        }
        Progress::Ended(o) => {
            if o.passed() {
                say(format!(
                    "PASS {}  ({} steps, {} of lab time in {:.2?}{over})\n",
                    o.name,
                    o.steps_run,
                    runner::words(o.lab_time),
                    o.elapsed
                ));
            } else {
                say(format!("FAIL {}\n{}", o.name, o.failure_text()));
            }
            if let Some(bar) = &bar {
                bar.inc(1);
            }
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    println!("{}", summary(&outcomes));
    if let Some(path) = junit {
        write_junit(&path, &outcomes)?;
    }
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} of {} scenario(s) failed", outcomes.len()))
    }
}

fn write_junit(path: &Path, outcomes: &[Outcome]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, junit_xml(outcomes)).map_err(|e| format!("{}: {e}", path.display()))
}
