//! A classroom on one host (`acnslab classroom up|status|down|teacher`, docs/exercises.md, "A
//! classroom"): N independent labs of one exercise, each a background `acnslab exercise start`
//! of its own with its state directory, port block and generated password, and the teacher's page,
//! which shows every trainee's goals met, live, asking each lab's grader over HTTP (`GET
//! /exercise`), so the same page watches labs in Kubernetes pods. The parts: [`plan`] (where each
//! lab goes, checked before anything is written), [`password`], [`roster`] (`classroom.json`),
//! [`pidlock`] (the page's lock), [`up`], [`status`], [`down`], [`teacher`] (the page).

pub mod down;
pub mod password;
pub mod pidlock;
pub mod plan;
pub mod roster;
pub mod status;
pub mod teacher;
pub mod up;

use std::path::PathBuf;

/// `acnslab classroom ...`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ClassroomCommand {
    /// Start N labs of an exercise (one per trainee, each with its own ports and password) and the
    /// teacher's page, in the background.
    Up(up::UpArgs),
    /// Whether the teacher's page and each trainee's lab run (exit status 1 unless all do).
    Status {
        #[arg(long, default_value = up::DEFAULT_DIR)]
        dir: PathBuf,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Stop the teacher's page and every trainee's lab (their state stays).
    Down {
        #[arg(long, default_value = up::DEFAULT_DIR)]
        dir: PathBuf,
    },
    /// Serve the teacher's page in the foreground: each trainee's goals met, live, from the labs'
    /// graders over HTTP (what `up` starts in the background; what a Kubernetes pod runs).
    Teacher(teacher::TeacherArgs),
}

/// Runs an `acnslab classroom` subcommand; `Ok(outcome)` for the verbs that print a text and may
/// fail with it shown (`status`, `down`).
pub fn run(command: ClassroomCommand) -> Result<Option<crate::lifecycle::Outcome>, String> {
    match command {
        ClassroomCommand::Up(args) => up::up(args).map(|()| None),
        ClassroomCommand::Status { dir, json } => status::status(&dir, json).map(Some),
        ClassroomCommand::Down { dir } => down::down(&dir).map(Some),
        ClassroomCommand::Teacher(args) => teacher::run(args).map(|()| None),
    }
}
