//! `acnslab classroom up`: N independent labs of one exercise on this host, each an `acnslab
//! exercise start --detach` child process of its own (one failing lab does not take the class
//! down, as one pod per lab would not), with its own state directory, port block ([`super::plan`])
//! and generated password ([`super::password`]); then the teacher's page, another background
//! process (`classroom teacher --dir DIR`). Everything that can be checked is checked before
//! anything is written; `DIR/classroom.json` ([`super::roster`]) is written before the first lab
//! starts (so `classroom down` finds a class that stopped half way) and again with what started.
//! Passwords go to `classroom.json` (0600) and to the labs, never to the screen or a log.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::plan::{plan, Plan, Seat};
use super::roster::{Roster, Trainee};
use crate::lab::LabInfo;

/// The classroom's folder unless `--dir` says otherwise.
pub const DEFAULT_DIR: &str = "acnslab-classroom";
/// The SSH port of the first trainee's first device when neither the flag nor the exercise pins
/// one (the default lab's).
pub const DEFAULT_BASE_PORT: u16 = 2201;
/// How many labs start at once.
const STARTING_AT_ONCE: usize = 4;
/// How long the teacher's page may take to listen.
const TEACHER_WAIT: Duration = Duration::from_secs(30);
/// The teacher's page's log, in the classroom's folder.
pub const TEACHER_LOG: &str = "teacher.log";
/// Where the labs' password files are while they start (removed afterwards).
const PASSWORDS: &str = "passwords";

/// `acnslab classroom up`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct UpArgs {
    /// How many labs (one per trainee), 1 to 200.
    #[arg(long)]
    pub trainees: usize,
    /// The exercise every lab runs (docs/exercises.md).
    #[arg(long, value_name = "FILE")]
    pub exercise: PathBuf,
    /// The classroom's folder: classroom.json, trainee1/ ... (each a lab's state directory).
    #[arg(long, default_value = DEFAULT_DIR)]
    pub dir: PathBuf,
    /// The SSH port of trainee1's first device; each next trainee's lab is 4 x 100 ports higher
    /// [default: the exercise's lab.base_port, else 2201].
    #[arg(long)]
    pub base_port: Option<u16>,
    /// The address the labs and the teacher's page listen on (0.0.0.0: trainees on other hosts)
    /// [default: 127.0.0.1].
    #[arg(long, value_name = "ADDR", value_parser = crate::lab::listen::parse_listen)]
    pub listen: Option<IpAddr>,
    /// The teacher's page's port [default: the first port after the last lab's block].
    #[arg(long)]
    pub teacher_port: Option<u16>,
    /// Remove a stopped classroom in the folder first (its labs' state too) and start over.
    #[arg(long)]
    pub restart: bool,
    #[command(flatten)]
    pub lab: crate::lab::LabOverrides,
}

/// `acnslab classroom up`.
pub fn up(args: UpArgs) -> Result<(), String> {
    let exercise = crate::exercise::load(&args.exercise).map_err(|errors| {
        for e in errors.iter() {
            eprintln!("{e}");
        }
        format!(
            "{} error(s) in {}; nothing was started",
            errors.len(),
            args.exercise.display()
        )
    })?;
    let listen = args.listen.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    if let Some(message) = crate::topology::listen_error(listen) {
        return Err(message.replacen("lab.listen", "--listen", 1));
    }
    let base = args
        .base_port
        .unwrap_or(match exercise.topology.lab.base_port {
            0 => DEFAULT_BASE_PORT,
            pinned => pinned,
        });
    let layout = plan(
        &exercise.topology,
        args.trainees,
        base,
        &args.dir,
        crate::lab::ports::ephemeral_range(),
    )
    .map_err(|e| e.to_string())?;
    let teacher_port = args.teacher_port.unwrap_or(layout.teacher_port);
    if let Some(seat) = taken_by(&layout, teacher_port) {
        return Err(format!(
            "--teacher-port {teacher_port}: in the ports of {}'s lab ({} to {})",
            seat.trainee,
            seat.base_port,
            u32::from(seat.base_port) + layout.stride - 1
        ));
    }
    clear_dir(&args.dir, args.restart)?;
    // everything is checked: from here on the folder is written
    crate::persist::create_private_dir_all(&args.dir.join(PASSWORDS))
        .map_err(|e| format!("{}: {e}", args.dir.display()))?;
    let exercise_file = std::fs::canonicalize(&args.exercise)
        .map_err(|e| format!("{}: {e}", args.exercise.display()))?;
    let shown = crate::lab::listen::reachable(SocketAddr::new(listen, teacher_port));
    let mut roster = Roster {
        exercise: exercise_file.clone(),
        name: exercise.name.clone(),
        listen,
        teacher: format!("http://{shown}/"),
        teacher_port,
        trainees: layout
            .seats
            .iter()
            .map(|seat| Trainee {
                trainee: seat.trainee.clone(),
                state_dir: seat.state_dir.clone(),
                base_port: seat.base_port,
                lab: format!(
                    "http://{}",
                    crate::lab::listen::reachable(SocketAddr::new(
                        listen,
                        health_port(&exercise.topology, seat.base_port)
                    ))
                ),
                ssh: BTreeMap::new(),
                web: BTreeMap::new(),
                password: super::password::generate().reveal().to_string(),
                error: Some("not started yet".into()),
            })
            .collect(),
    };
    roster.write(&args.dir).map_err(|e| e.to_string())?;
    println!(
        "starting {} lab(s) of {:?} in {}",
        roster.trainees.len(),
        exercise.name,
        args.dir.display()
    );
    let outcomes = start_labs(&roster, &args, &exercise_file, listen);
    let _ = std::fs::remove_dir_all(args.dir.join(PASSWORDS));
    for (trainee, outcome) in roster.trainees.iter_mut().zip(outcomes) {
        match outcome {
            Ok(info) => {
                trainee.error = None;
                for d in &info.devices {
                    trainee.ssh.insert(d.name.clone(), d.ssh.clone());
                    if let Some(api) = &d.api {
                        trainee.web.insert(d.name.clone(), format!("http://{api}/"));
                    }
                }
                if let Some(health) = &info.health {
                    trainee.lab = format!("http://{health}");
                }
            }
            Err(why) => trainee.error = Some(why),
        }
    }
    roster.write(&args.dir).map_err(|e| e.to_string())?;
    let started = roster.trainees.iter().filter(|t| t.error.is_none()).count();
    let teacher = if started > 0 {
        start_teacher(&args.dir, SocketAddr::new(listen, teacher_port))
    } else {
        Err("no lab started".into())
    };
    print!("{}", super::status::trainee_table(&roster, None));
    match &teacher {
        Ok(()) => println!("teacher's page: {}", roster.teacher),
        Err(why) => println!("teacher's page: not started: {why}"),
    }
    println!(
        "passwords: {} (readable by you only)",
        args.dir.join(super::roster::FILE).display()
    );
    println!(
        "stop the class with: acnslab classroom down --dir {}",
        args.dir.display()
    );
    let failed = roster.trainees.len() - started;
    if failed > 0 {
        return Err(format!(
            "{failed} of {} lab(s) did not start (the others run)",
            roster.trainees.len()
        ));
    }
    teacher.map_err(|why| format!("the teacher's page did not start: {why}"))
}

/// The lab's health port at `base` (the layout of docs/topology.md, as the lab computes it).
fn health_port(topology: &crate::topology::Topology, base: u16) -> u16 {
    let mut t = topology.clone();
    t.lab.base_port = base;
    t.health_port()
}

/// The seat whose port block holds `port`.
fn taken_by(layout: &Plan, port: u16) -> Option<&Seat> {
    layout.seats.iter().find(|s| {
        (u32::from(s.base_port)..u32::from(s.base_port) + layout.stride).contains(&u32::from(port))
    })
}

/// A classroom starts in a new or empty folder, or, with `restart`, one holding a classroom that
/// no longer runs, which is removed.
fn clear_dir(dir: &Path, restart: bool) -> Result<(), String> {
    let Ok(mut entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    if entries.next().is_none() {
        return Ok(());
    }
    let Ok(roster) = Roster::read(dir) else {
        return Err(format!(
            "{}: not a classroom's folder (no {}); choose another --dir",
            dir.display(),
            super::roster::FILE
        ));
    };
    let running = super::pidlock::holder(dir).is_some()
        || roster
            .trainees
            .iter()
            .any(|t| crate::lab::lock::is_running(&t.state_dir));
    if running {
        return Err(format!(
            "{}: this classroom runs; stop it first with `acnslab classroom down --dir {}`",
            dir.display(),
            dir.display()
        ));
    }
    if !restart {
        return Err(format!(
            "{}: holds a classroom already; add --restart to start it over (its labs' state is removed), or choose another --dir",
            dir.display()
        ));
    }
    std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// Starts every trainee's lab, a few at a time; each outcome in the roster's order: the lab's
/// `lab.json`, or why it did not start.
fn start_labs(
    roster: &Roster,
    args: &UpArgs,
    exercise: &Path,
    listen: IpAddr,
) -> Vec<Result<LabInfo, String>> {
    let next = Mutex::new(0usize);
    let outcomes: Mutex<Vec<Option<Result<LabInfo, String>>>> =
        Mutex::new(vec![None; roster.trainees.len()]);
    std::thread::scope(|scope| {
        for _ in 0..STARTING_AT_ONCE.min(roster.trainees.len()) {
            scope.spawn(|| loop {
                let index = {
                    let mut next = next.lock().unwrap_or_else(|p| p.into_inner());
                    let index = *next;
                    *next += 1;
                    index
                };
                let Some(trainee) = roster.trainees.get(index) else {
                    return;
                };
                let outcome = start_lab(trainee, args, exercise, listen);
                match &outcome {
                    Ok(_) => println!("  {}: running", trainee.trainee),
                    Err(why) => println!("  {}: did not start: {why}", trainee.trainee),
                }
                outcomes.lock().unwrap_or_else(|p| p.into_inner())[index] = Some(outcome);
            });
        }
    });
    outcomes
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err("not started".into())))
        .collect()
}

/// `acnslab exercise start FILE --detach` for one trainee, with its password in a file of its own.
fn start_lab(
    trainee: &Trainee,
    args: &UpArgs,
    exercise: &Path,
    listen: IpAddr,
) -> Result<LabInfo, String> {
    let password_file = args.dir.join(PASSWORDS).join(&trainee.trainee);
    crate::persist::write_atomic(&password_file, format!("{}\n", trainee.password).as_bytes())
        .map_err(|e| format!("{}: {e}", password_file.display()))?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find acnslab itself: {e}"))?;
    let mut command = Command::new(exe);
    command
        .args(["exercise", "start"])
        .arg(exercise)
        .arg("--state-dir")
        .arg(&trainee.state_dir)
        .args(["--base-port", &trainee.base_port.to_string()])
        .args(["--listen", &listen.to_string()])
        .arg("--password-file")
        .arg(&password_file)
        .arg("--detach")
        .stdin(std::process::Stdio::null());
    let overrides = &args.lab;
    if let Some(speed) = overrides.speed {
        command.args(["--speed", &speed.to_string()]);
    }
    if let Some(boot) = overrides.boot_seconds {
        command.args(["--boot-seconds", &boot.to_string()]);
    }
    if let Some(rate) = overrides.rate_kbps {
        command.args(["--rate-kbps", &rate.to_string()]);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run acnslab exercise start: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let why = stderr
            .lines()
            .map(|l| l.trim_start_matches("acnslab: ").trim())
            .find(|l| !l.is_empty())
            .unwrap_or("acnslab exercise start failed")
            .to_string();
        return Err(why);
    }
    LabInfo::running(&trainee.state_dir).map_err(|e| e.to_string())
}

/// Starts the teacher's page in the background and waits until it listens.
fn start_teacher(dir: &Path, bound: SocketAddr) -> Result<(), String> {
    let args: Vec<std::ffi::OsString> = vec![
        "classroom".into(),
        "teacher".into(),
        "--dir".into(),
        dir.as_os_str().to_owned(),
    ];
    let log = dir.join(TEACHER_LOG);
    let (mut child, log_len) = crate::lifecycle::detach::spawn_background(&args, &log)?;
    let started = Instant::now();
    let addr = crate::lab::listen::reachable(bound);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let text = std::fs::read(&log).unwrap_or_default();
            let tail = String::from_utf8_lossy(text.get(log_len as usize..).unwrap_or(&[]))
                .trim()
                .to_string();
            return Err(format!("{status}: {tail} (log: {})", log.display()));
        }
        let listening = super::pidlock::holder(dir).is_some()
            && std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok();
        if listening {
            return Ok(());
        }
        if started.elapsed() > TEACHER_WAIT {
            return Err(format!(
                "not listening on {addr} after {} s (log: {})",
                TEACHER_WAIT.as_secs(),
                log.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
