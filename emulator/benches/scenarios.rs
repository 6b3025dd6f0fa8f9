//! Wall time of scenario runs (not a test): the guide's standby-CDM upgrade procedure (procedure 6,
//! `scenarios/13-cdm-upgrade-procedure-6.yaml`: two installs with reboots, a backup, an upload, the
//! standby's full update; about an hour on real devices) in-process on the virtual clock, then the
//! whole `scenarios/` folder, each in-process and with the CLI over real SSH (`--ssh`).
//! Run with `cargo bench -p acnslab --bench scenarios` (`ACNSLAB_BENCH_RUNS` sets the repeats; 10).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use acnslab::scenario::{self, Scenario, Transport};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Runs `scenarios` `runs` times over `transport`; every run must pass. Returns each run's wall time.
fn time(scenarios: &[Scenario], transport: Transport, runs: usize) -> (Vec<Duration>, Duration) {
    let mut walls = Vec::with_capacity(runs);
    let mut lab_time = Duration::ZERO;
    for _ in 0..runs {
        let t = Instant::now();
        let outcomes = scenario::run_all(scenarios, transport, |_| {});
        walls.push(t.elapsed());
        for o in &outcomes {
            assert!(o.passed(), "{} failed:\n{}", o.name, o.failure_text());
        }
        lab_time = outcomes.iter().map(|o| o.lab_time).sum();
    }
    walls.sort();
    (walls, lab_time)
}

fn line(what: &str, walls: &[Duration], lab_time: Duration) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what:<52} median {:>8.1} ms  min {:>8.1} ms  max {:>8.1} ms  ({} runs; {:.0} min of lab time each)",
        ms(walls[walls.len() / 2]),
        ms(walls[0]),
        ms(walls[walls.len() - 1]),
        walls.len(),
        lab_time.as_secs_f64() / 60.0
    );
}

fn main() {
    let runs: usize = std::env::var("ACNSLAB_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .max(1);
    let procedure_6 = scenario::load(&root().join("scenarios/13-cdm-upgrade-procedure-6.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let files = scenario::collect(&[root().join("scenarios")]).unwrap_or_else(|e| panic!("{e}"));
    let all = scenario::load_all(&files).unwrap_or_else(|e| panic!("{e:?}"));

    println!("scenario wall time (virtual lab clock; target: procedure 6 under 1 s)");
    for transport in [Transport::InProcess, Transport::Ssh] {
        let how = match transport {
            Transport::InProcess => "in-process",
            Transport::Ssh => "CLI over SSH",
        };
        let (walls, lab) = time(std::slice::from_ref(&procedure_6), transport, runs);
        line(
            &format!("procedure 6 (standby CDM pair upgrade), {how}"),
            &walls,
            lab,
        );
        let (walls, lab) = time(&all, transport, runs.div_ceil(3));
        line(
            &format!("scenarios/ ({} files), {how}", all.len()),
            &walls,
            lab,
        );
    }
}
