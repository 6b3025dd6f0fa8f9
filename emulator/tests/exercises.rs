//! The shipped exercises (`scenarios/exercises/`), in-process on a virtual clock: each loads, each
//! starting lab (after its setup) leaves goals not met, and a solution (the guide's procedure, as
//! scenario steps under `tests/fixtures/exercises/`) meets every goal. The same over real SSH and
//! real processes is in the `tests` crate (`tests/tests/exercises.rs`).

use std::path::{Path, PathBuf};

use acnslab::clock::LabClock;
use acnslab::exercise::{self, Grade};
use acnslab::lab::{Lab, LabOptions};
use acnslab::scenario::{self, runner};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Starts the exercise's lab on a virtual clock, runs its setup, grades, runs the solution's
/// steps, grades again.
async fn before_and_after(name: &str) -> (Grade, Grade) {
    let ex = exercise::load(
        &root()
            .join("scenarios/exercises")
            .join(format!("{name}.yaml")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let solution = scenario::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/exercises")
            .join(format!("{name}.solution.yaml")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let mut options = LabOptions::new(dir.path());
    options.cdm_http = Some(acnslab::api::service());
    options.topology = Some(ex.topology.clone());
    options.clock = Some(LabClock::virtual_at(scenario::format::default_start()));
    let lab = Lab::start(options).await.unwrap();
    runner::run_steps(&lab, &ex.setup)
        .await
        .unwrap_or_else(|f| panic!("setup failed at line {}: {}", f.line, f.message));
    let before = exercise::grade(&lab, &ex);
    if let Err(f) = runner::run_steps(&lab, &solution.steps).await {
        panic!(
            "the solution failed at line {} ({}): {}",
            f.line, f.step, f.message
        );
    }
    let after = exercise::grade(&lab, &ex);
    lab.shutdown().await;
    (before, after)
}

fn assert_solved(name: &str, before: &Grade, after: &Grade) {
    assert!(
        !before.all_met(),
        "{name} starts solved:\n{}",
        before.render()
    );
    assert!(before.score() < before.total(), "{}", before.render());
    assert!(after.all_met(), "{name} not solved:\n{}", after.render());
    assert_eq!(after.score(), after.total());
    assert!(after.render().contains("(100%)"), "{}", after.render());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ce_group_exercise_is_open_at_start_and_solved_by_the_procedure() {
    let (before, after) = before_and_after("01-upgrade-ce-group").await;
    assert_solved("01", &before, &after);
    let ce1 = &before.goals[1];
    assert!(!ce1.met);
    assert!(
        ce1.misses
            .iter()
            .any(|m| m.contains("expected 5.2.1, got 5.1.3")),
        "{:?}",
        ce1.misses
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cdm_pair_exercise_is_open_at_start_and_solved_by_procedure_6() {
    let (before, after) = before_and_after("02-upgrade-cdm-pair").await;
    assert_solved("02", &before, &after);
    assert!(
        before.goals.iter().filter(|g| !g.met).count() >= 3,
        "{}",
        before.render()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recovery_exercise_is_open_at_start_and_solved_by_a_restore() {
    let (before, after) = before_and_after("03-recover-cdm-from-backup").await;
    assert_solved("03", &before, &after);
    assert!(!before.goals[0].met, "{}", before.render());
}

/// Issue 15 item 7: points of u32::MAX made the score's sum and percentage overflow.
#[test]
fn points_out_of_range_are_refused_with_their_line() {
    let text = "name: x\ngoals:\n  - goal: a\n    check: {device: ce1, version: 5.1.3}\n    points: 4294967295\n";
    let e = exercise::parse(text, Path::new("x.yaml"))
        .unwrap_err()
        .first()
        .clone();
    assert_eq!((e.file.as_str(), e.line), ("x.yaml", 3), "{e}");
    assert!(e.message.contains("points must be 1 to 1000"), "{e}");
    let ok = text.replace("4294967295", "1000");
    exercise::parse(&ok, Path::new("x.yaml")).unwrap();
}

/// Issue 11 item 7: every mistake of an exercise file at once, sorted by line.
#[test]
fn every_error_of_an_exercise_is_reported_at_once() {
    let text = "\
name: x
setup:
  - wait: 1m
  - power_cycle: ce9
goals:
  - goal: a
    check: {device: ce1, versoin: 5.2.1}
  - goal: b
    check: {device: cr1, sync: in sync}
    points: 0
  - goal: c
    check: {device: ce1, version: 5.2.1}
";
    let errors = exercise::parse(text, Path::new("x.yaml")).unwrap_err();
    let found: Vec<(usize, &str)> = errors
        .iter()
        .map(|e| (e.line, e.message.as_str()))
        .collect();
    let expected = [
        (3, "setup: `wait` is not allowed here"),
        (4, "step 2: unknown device 'ce9'"),
        (7, "goal 1: check: unknown field `versoin`"),
        (8, "goal 2: check: `sync` is about a CDM"),
        (8, "goal 2: points must be 1 to 1000"),
    ];
    assert_eq!(found.len(), expected.len(), "{errors}");
    for ((line, message), (want_line, want)) in found.iter().zip(expected) {
        assert_eq!(*line, want_line, "{errors}");
        assert!(
            message.starts_with(want),
            "{message:?} is not {want:?}\n{errors}"
        );
    }
}
