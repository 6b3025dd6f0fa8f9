//! Graded exercises for training labs (`docs/exercises.md`): an exercise file is a starting lab
//! (a topology, possibly broken on purpose, and `setup:` steps in the scenario step format) plus
//! goals checked against the live lab, each with a hint and points. `acnslab exercise start FILE`
//! starts the lab for SSH and serves the grader on `DIR/exercise.sock` and on the lab's health
//! port (`GET /exercise`, [`http`]); `acnslab exercise check` asks the socket and prints each goal
//! as met or not, the hints of the goals not met, and the score. `--detach` starts it in the
//! background as `acnslab up --detach` does.

pub mod http;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::lab::{Lab, LabOptions};
use crate::owned::{Backoff, Tasks};
use crate::scenario::format::{
    check_against, numbered, read_file, read_head, required_items, steps_of, Check, LabWord,
    RawStep, Step, StepKind,
};
use crate::scenario::ScenarioErrors;
use crate::topology::Topology;

/// The state directory `acnslab exercise` uses unless told otherwise.
pub const DEFAULT_STATE_DIR: &str = "acnslab-exercise";

/// The top-level keys of an exercise file.
pub const TOP_KEYS: [&str; 7] = [
    "name",
    "description",
    "lab",
    "topology",
    "topology_file",
    "setup",
    "goals",
];

/// The top level of an exercise file: its shape, for the JSON Schema (`file_schemas`; the file is
/// read key by key, [`TOP_KEYS`], and a test keeps the two the same).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "acnslab exercise file",
    description = "A starting lab, setup steps and goals checked on the live lab (docs/exercises.md)."
)]
#[allow(dead_code)] // read for its schema; the loader reads the same keys one by one
pub(crate) struct RawExercise {
    /// The exercise's title.
    name: String,
    /// The briefing, printed when the lab is ready.
    #[serde(default)]
    description: Option<String>,
    /// `default`: the default lab of docs/topology.md (also when no lab is given).
    #[serde(default)]
    lab: Option<LabWord>,
    /// An inline topology, in the topology file format (docs/topology.md).
    #[serde(default)]
    #[schemars(with = "Option<Topology>")]
    topology: Option<serde_norway::Value>,
    /// A topology file, relative to this file.
    #[serde(default)]
    topology_file: Option<String>,
    /// Scenario steps run on the live lab before the trainee gets it (no `wait`, `until`,
    /// `until_job`).
    #[serde(default)]
    setup: Vec<RawStep>,
    /// What the trainee must reach; at least one.
    goals: Vec<RawGoal>,
}

/// One goal as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGoal {
    /// What the trainee reads.
    goal: String,
    /// The keys of a scenario `check:` (without `timeout`/`every`); all must hold.
    check: Check,
    /// Shown while the goal is not met.
    #[serde(default)]
    hint: Option<String>,
    /// 1 to 1000, default 1.
    #[serde(default)]
    #[schemars(range(min = 1, max = MAX_POINTS))]
    points: Option<u32>,
}

/// A checked exercise.
#[derive(Debug, Clone)]
pub struct Exercise {
    pub name: String,
    /// The briefing shown when the lab is ready.
    pub description: Option<String>,
    pub file: PathBuf,
    /// The starting lab (SSH ports are chosen when it starts).
    pub topology: Topology,
    /// Run on the live lab before the trainee gets it.
    pub setup: Vec<Step>,
    pub goals: Vec<Goal>,
}

/// One goal: what must hold on the live lab.
#[derive(Debug, Clone)]
pub struct Goal {
    pub line: usize,
    pub text: String,
    pub check: Check,
    pub hint: Option<String>,
    pub points: u32,
}

/// Reads and checks an exercise file; every error has the file and line, all found before
/// anything starts.
pub fn load(path: &Path) -> Result<Exercise, ScenarioErrors> {
    read_file(path, parse)
}

/// The most points one goal may give.
pub const MAX_POINTS: u32 = 1000;

/// Parses and checks an exercise text; `path` names it in errors. Every error is reported, as for
/// a scenario file (`scenario::format::parse`).
pub fn parse(text: &str, path: &Path) -> Result<Exercise, ScenarioErrors> {
    let (doc, mut found, head) = read_head(text, path, &TOP_KEYS)?;
    let topology = head.lab;
    let raw_setup = doc
        .items::<RawStep>("setup")
        .and_then(|read| found.take(read))
        .unwrap_or_default();
    let setup = steps_of(raw_setup, topology.as_ref(), &mut found);
    for step in &setup {
        if let StepKind::Wait(_) | StepKind::Until { .. } | StepKind::UntilJob { .. } = step.kind {
            found.at(
                step.line,
                format!(
                    "setup: `{}` is not allowed here: the setup runs on the live lab's real clock; \
                     start the lab in the state you need through the topology (versions, roles) \
                     and instant steps",
                    step.kind.word()
                ),
            );
        }
    }
    let raw_goals = required_items::<RawGoal>(&doc, "goals", &mut found);
    if raw_goals.is_empty() && doc.has("goals") {
        found.at(
            doc.line("goals"),
            "goals: an exercise needs at least one goal",
        );
    }
    let mut goals = Vec::with_capacity(raw_goals.len());
    for (i, item) in raw_goals.into_iter().enumerate() {
        let line = item.line;
        let g = match item.value {
            Ok(g) => g,
            Err(e) => {
                found.at(e.line, numbered(&e.message, i, "goal"));
                continue;
            }
        };
        if let Err(m) = check_against(&g.check, topology.as_ref()) {
            found.at(line, format!("goal {}: {m}", i + 1));
        }
        if g.points.is_some_and(|p| !(1..=MAX_POINTS).contains(&p)) {
            found.at(
                line,
                format!("goal {}: points must be 1 to {MAX_POINTS}", i + 1),
            );
        }
        goals.push(Goal {
            line,
            text: g.goal,
            check: g.check,
            hint: g.hint,
            points: g.points.unwrap_or(1),
        });
    }
    let exercise = match (head.name, topology) {
        (Some(name), Some(topology)) => Some(Exercise {
            name,
            description: head.description,
            file: path.to_path_buf(),
            topology,
            setup,
            goals,
        }),
        _ => None,
    };
    found.finish(exercise)
}

/// How one goal stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoalResult {
    pub goal: String,
    pub met: bool,
    /// What differs (`expected X, got Y`), when not met.
    pub misses: Vec<String>,
    pub hint: Option<String>,
    pub points: u32,
}

/// The grade of the live lab against an exercise's goals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grade {
    pub exercise: String,
    pub goals: Vec<GoalResult>,
}

impl Grade {
    pub fn score(&self) -> u32 {
        self.goals
            .iter()
            .filter(|g| g.met)
            .fold(0u32, |sum, g| sum.saturating_add(g.points))
    }

    pub fn total(&self) -> u32 {
        self.goals
            .iter()
            .fold(0u32, |sum, g| sum.saturating_add(g.points))
    }

    pub fn all_met(&self) -> bool {
        self.goals.iter().all(|g| g.met)
    }

    /// The report `acnslab exercise check` prints.
    pub fn render(&self) -> String {
        let mut out = format!("Exercise: {}\n", self.exercise);
        for (i, g) in self.goals.iter().enumerate() {
            let mark = if g.met { "met    " } else { "not met" };
            let _ = writeln!(out, "  {:>2}. [{mark}] {}", i + 1, g.goal);
            if !g.met {
                for m in &g.misses {
                    let _ = writeln!(out, "                   {m}");
                }
                if let Some(h) = &g.hint {
                    let mut first = true;
                    for l in h.trim().lines() {
                        let lead = if first { "hint: " } else { "      " };
                        first = false;
                        let _ = writeln!(out, "                   {lead}{l}");
                    }
                }
            }
        }
        let met = self.goals.iter().filter(|g| g.met).count();
        let total = self.total().max(1);
        let _ = writeln!(
            out,
            "Score: {} of {} points ({}%), {met} of {} goals met",
            self.score(),
            self.total(),
            u64::from(self.score()) * 100 / u64::from(total),
            self.goals.len()
        );
        out
    }
}

/// Grades the live `lab` against `exercise`'s goals.
pub fn grade(lab: &Lab, exercise: &Exercise) -> Grade {
    lab.settle();
    let goals = exercise
        .goals
        .iter()
        .map(|g| {
            let misses = crate::scenario::runner::check(lab, &g.check);
            GoalResult {
                goal: g.text.clone(),
                met: misses.is_empty(),
                misses,
                hint: g.hint.clone(),
                points: g.points,
            }
        })
        .collect();
    Grade {
        exercise: exercise.name.clone(),
        goals,
    }
}

/// Where the grader of a running exercise answers, in its state directory.
pub fn socket_path(state_dir: &Path) -> PathBuf {
    state_dir.join("exercise.sock")
}

/// Binds the grader's socket at `path` (replacing a stale one).
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    let _ = std::fs::remove_file(path);
    UnixListener::bind(path)
}

/// Serves the grader: each connection gets the current [`Grade`] as one JSON line.
pub async fn serve(listener: UnixListener, lab: Arc<Lab>, exercise: Arc<Exercise>) {
    let mut backoff = Backoff::default();
    loop {
        let (mut stream, _) = backoff.accept("grader socket", || listener.accept()).await;
        let grade = grade(&lab, &exercise);
        let mut line = serde_json::to_string(&grade).unwrap_or_default();
        line.push('\n');
        let _ = stream.write_all(line.as_bytes()).await;
        let _ = stream.shutdown().await;
    }
}

/// The SSH port of an exercise's first device when neither the flag nor the file pins one: the
/// default lab's, so a trainee finds the devices where the guide's examples put them.
const DEFAULT_BASE_PORT: u16 = 2201;

/// Options of `acnslab exercise start`.
#[derive(Debug, Clone, clap::Args)]
pub struct StartArgs {
    /// The exercise file (YAML, see docs/exercises.md).
    pub file: PathBuf,
    /// State directory of the exercise's lab.
    #[arg(long, default_value = DEFAULT_STATE_DIR)]
    pub state_dir: PathBuf,
    /// Remove the lab of an earlier run in the state directory first (start over).
    #[arg(long)]
    pub restart: bool,
    /// SSH port of the first device (the others follow) [default: the exercise's `lab.base_port`,
    /// else 2201].
    #[arg(long)]
    pub base_port: Option<u16>,
    #[command(flatten)]
    pub lab: crate::lab::LabOverrides,
    #[command(flatten)]
    pub listen: crate::lab::listen::ListenArgs,
    /// Run the exercise in the background (output in STATE_DIR/lab.log); return once its setup
    /// has run and every device accepts SSH. `acnslab down` stops it.
    #[arg(long)]
    pub detach: bool,
}

/// `acnslab exercise start`: checks the file, starts its lab (fresh), runs the setup, prints the
/// briefing and the device table, then serves SSH, the console and the grader until Ctrl-C.
pub fn start(args: StartArgs) -> Result<(), String> {
    if args.detach {
        return start_detached(args);
    }
    let exercise = load_for_start(&args)?;
    let exposure = checked_exposure(&args, &exercise)?;
    let password_given = exposure.password.is_some();
    fresh_state_dir(&args.state_dir, args.restart)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let mut stop = crate::signals::StopSignals::register();
        let mut options = LabOptions::new(&args.state_dir);
        options.cdm_http = Some(crate::api::service());
        // the health port, with the grade beside /healthz and /metrics once the setup has run
        let slot = http::GraderSlot::default();
        options.lab_http = Some(http::health_port(slot.clone()));
        options.topology = Some(exercise.topology.clone());
        options.base_port = Some(
            args.base_port
                .unwrap_or(match exercise.topology.lab.base_port {
                    0 => DEFAULT_BASE_PORT,
                    pinned => pinned,
                }),
        );
        options.listen = exposure.listen;
        options.admin_password = exposure.password;
        options.allow_default_password = exposure.allow_default_password;
        args.lab.apply(&mut options);
        let lab = Arc::new(Lab::start(options).await.map_err(|e| e.to_string())?);
        if let Err(f) = crate::scenario::runner::run_steps(&lab, &exercise.setup).await {
            lab.shutdown().await;
            return Err(format!(
                "{}:{}: the setup failed ({} step): {}",
                exercise.file.display(),
                f.line,
                f.step,
                f.message
            ));
        }
        let exercise = Arc::new(exercise);
        let _ = slot.set(http::Grader {
            lab: Arc::downgrade(&lab),
            exercise: exercise.clone(),
        });
        serve_started(lab, exercise, password_given, &mut stop).await
    })
}

/// Reads and checks the exercise file; every error is printed, and nothing starts.
fn load_for_start(args: &StartArgs) -> Result<Exercise, String> {
    load(&args.file).map_err(|errors| {
        for e in errors.iter() {
            eprintln!("{e}");
        }
        format!(
            "{} error(s) in {}; nothing was started",
            errors.len(),
            args.file.display()
        )
    })
}

/// Serves a started exercise (its setup run) until Ctrl-C or SIGTERM: the control socket, the
/// grader socket; prints the briefing and the device table meanwhile.
async fn serve_started(
    lab: Arc<Lab>,
    exercise: Arc<Exercise>,
    password_given: bool,
    stop: &mut crate::signals::StopSignals,
) -> Result<(), String> {
    let sockets = Tasks::new();
    // the grader's socket is there before the control socket, which `--detach` waits for
    let grader_socket = socket_path(lab.state_dir());
    match bind(&grader_socket) {
        Ok(listener) => {
            sockets.spawn(serve(listener, lab.clone(), exercise.clone()));
        }
        Err(e) => tracing::error!(error = %e, "grader socket not served"),
    }
    let control_socket = crate::control::socket_path(lab.state_dir());
    let serving = (control_socket.clone(), lab.clone(), sockets.clone());
    sockets.spawn(async move {
        if let Err(e) = crate::control::serve(serving.0, serving.1, serving.2).await {
            tracing::error!(error = %e, "control socket stopped");
        }
    });
    print!("{}", briefing(&exercise));
    print!("{}", lab.table());
    let dir = lab.state_dir();
    println!("{}", how_to_check(&exercise, dir, password_given));
    println!(
        "Ctrl-C ends the exercise (the lab's state stays in {}).",
        dir.display()
    );
    stop.wait().await;
    sockets.shutdown(crate::control::CLIENTS_GRACE).await;
    let _ = std::fs::remove_file(&control_socket);
    let _ = std::fs::remove_file(&grader_socket);
    lab.shutdown().await;
    println!("exercise stopped");
    Ok(())
}

/// The exercise's name and briefing, as `exercise start` prints them.
fn briefing(exercise: &Exercise) -> String {
    let mut out = format!("Exercise: {}\n", exercise.name);
    if let Some(d) = &exercise.description {
        out.push('\n');
        for l in d.trim_end().lines() {
            let _ = writeln!(out, "  {l}");
        }
        out.push('\n');
    }
    out
}

/// `N goal(s). Log in with ... Check your work with: ...`
fn how_to_check(exercise: &Exercise, dir: &Path, password_given: bool) -> String {
    let shown = dir.display().to_string();
    let check = if shown == DEFAULT_STATE_DIR {
        "acnslab exercise check".to_string()
    } else {
        format!("acnslab exercise check --state-dir {shown}")
    };
    let login = if password_given {
        "admin and the lab's password"
    } else {
        "admin / default"
    };
    format!(
        "{} goal(s). Log in with {login}. Check your work with: {check}",
        exercise.goals.len()
    )
}

/// The listen address and the lab password of a start, read and checked before anything is
/// written (an exposed lab without a password is refused).
fn checked_exposure(
    args: &StartArgs,
    exercise: &Exercise,
) -> Result<crate::lab::listen::Exposure, String> {
    let exposure = args.listen.resolve().map_err(|e| e.to_string())?;
    crate::lab::listen::check_exposure(
        exposure.listen.unwrap_or(exercise.topology.lab.listen),
        exposure.password.as_ref(),
        exposure.allow_default_password,
    )
    .map_err(|e| e.to_string())?;
    Ok(exposure)
}

/// `exercise start --detach`: everything `start` checks before it writes is checked here, the
/// state directory made fresh, then the same command (without `--detach` and `--restart`) runs in
/// the background; returns once its setup has run and its devices accept SSH.
fn start_detached(args: StartArgs) -> Result<(), String> {
    let exercise = load_for_start(&args)?;
    let exposure = checked_exposure(&args, &exercise)?;
    fresh_state_dir(&args.state_dir, args.restart)?;
    let forwarded: Vec<std::ffi::OsString> = std::env::args_os()
        .skip(1)
        .filter(|a| a != "--detach" && a != "--restart")
        .collect();
    let outcome = crate::lifecycle::detach::detach(&args.state_dir, &forwarded)?;
    print!("{}", briefing(&exercise));
    print!("{}", outcome.text);
    println!(
        "{}",
        how_to_check(&exercise, &args.state_dir, exposure.password.is_some())
    );
    Ok(())
}

/// An exercise always starts from its own starting lab: an empty (or new) state directory (but
/// for the log `exercise start --detach` opens there first), or, with `restart`, one that holds an
/// earlier acnslab lab, which is removed.
fn fresh_state_dir(dir: &Path, restart: bool) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let mut entries = entries
        .flatten()
        .filter(|e| e.file_name() != crate::lifecycle::detach::LOG_FILE);
    if entries.next().is_none() {
        return Ok(());
    }
    if crate::lab::lock::is_running(dir) {
        return Err(format!(
            "{}: a lab is running in this state directory; stop it first (`acnslab down --state-dir {}`), or choose another --state-dir",
            dir.display(),
            dir.display()
        ));
    }
    let ours = dir.join("lab.json").exists() || dir.join("topology.yaml").exists();
    match (restart, ours) {
        (true, true) => std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display())),
        (true, false) => Err(format!(
            "{}: not the state directory of an acnslab lab; not removing it (choose another --state-dir)",
            dir.display()
        )),
        (false, _) => Err(format!(
            "{}: holds a lab already; add --restart to start the exercise over (its state is removed), or choose another --state-dir",
            dir.display()
        )),
    }
}

/// `acnslab exercise check`: asks the running exercise for its grade and prints it. `Err` (exit
/// status 1) while a goal is not met.
pub fn check_cli(state_dir: &Path) -> Result<(), String> {
    let grade = ask(state_dir)?;
    print!("{}", grade.render());
    if grade.all_met() {
        Ok(())
    } else {
        let open = grade.goals.iter().filter(|g| !g.met).count();
        Err(format!("{open} goal(s) not met yet"))
    }
}

/// The grade from the exercise running in `state_dir`.
pub fn ask(state_dir: &Path) -> Result<Grade, String> {
    let path = socket_path(state_dir);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let stream = UnixStream::connect(&path).await.map_err(|e| {
            format!(
                "no exercise is running in {} ({e}); start one with: acnslab exercise start FILE",
                state_dir.display()
            )
        })?;
        let mut line = String::new();
        BufReader::new(stream)
            .read_line(&mut line)
            .await
            .map_err(|e| e.to_string())?;
        serde_json::from_str(&line).map_err(|e| format!("bad answer from the exercise: {e}"))
    })
}

/// `acnslab exercise ...`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ExerciseCommand {
    /// Start an exercise's lab (fresh), run its setup, serve it until Ctrl-C.
    Start(StartArgs),
    /// Print each goal of the running exercise as met or not, the hints, and the score.
    Check {
        #[arg(long, default_value = DEFAULT_STATE_DIR)]
        state_dir: PathBuf,
    },
}

/// Runs an `acnslab exercise` subcommand.
pub fn run(command: ExerciseCommand) -> Result<(), String> {
    match command {
        ExerciseCommand::Start(args) => start(args),
        ExerciseCommand::Check { state_dir } => check_cli(&state_dir),
    }
}
