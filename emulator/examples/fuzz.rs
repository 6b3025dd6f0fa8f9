//! A fuzz run on stable Rust (issue 15): random and mutated inputs into the CLI grammars (parse,
//! `?` help and Tab completion, every mode and device kind), the output-modifier parser, the line
//! editor, and the topology and scenario loaders. Every input runs under `catch_unwind`; the run
//! prints how many inputs each target took, the time, and the panics (with the first inputs that
//! caused them). Not a CI test: run it by hand, e.g. for ten minutes,
//!
//! ```sh
//! cargo run --release -p acnslab --example fuzz -- 600
//! ```

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use acnslab::commands::{self, pipe, ConfigMode};
use acnslab::config::DeviceKind;
use acnslab::terminal::LineEditor;
use acnslab::topology::{Topology, DEFAULT_TOPOLOGY};

/// A small, fast, seeded generator (xorshift64*): runs can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to the CLI and to YAML, often chosen.
const SPECIAL: &[u8] = b" \t\r\n?|^$[]{}()*+.\\:-#'\"!&\x03\x04\x08\x15\x17\x1a\x1b\x7f/0129";

/// `seed` changed by a few random edits (insert, delete, replace, duplicate a slice, truncate).
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 => data.insert(at, SPECIAL[rng.below(SPECIAL.len())]),
            1 => data.insert(at, rng.next() as u8),
            2 if at < data.len() => {
                data.remove(at);
            }
            3 if at < data.len() => data[at] = SPECIAL[rng.below(SPECIAL.len())],
            4 if !data.is_empty() => {
                let from = rng.below(data.len());
                let to = (from + 1 + rng.below(16)).min(data.len());
                let piece = data[from..to].to_vec();
                let at = at.min(data.len());
                data.splice(at..at, piece);
            }
            _ => data.truncate(at),
        }
    }
    data
}

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let panics = AtomicU64::new(0);
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(0x5EED_ACE5_0000_0001);
    let lines: Vec<String> = commands::syntaxes()
        .into_iter()
        .map(|s| s.replace(['[', ']', '{', '}', '|'], " "))
        .chain(
            [
                "show running-config | include host",
                "sh ru | sec interface",
                "ping count 3 images",
                "copy ftp install 10.1.1.100 /images ACNS-5.2.1-K9.bin",
                "interface GigabitEthernet 1/0",
            ]
            .map(String::from),
        )
        .collect();
    let scenarios: Vec<String> = std::fs::read_dir("scenarios")
        .map(|dir| {
            dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    let kinds = [DeviceKind::Cdm, DeviceKind::Ce, DeviceKind::Cr];
    let mut counts = [0u64; 5];
    let mut first_panics: Vec<String> = Vec::new();
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut run = |target: usize, input: &[u8], f: &dyn Fn(&[u8])| {
        counts[target] += 1;
        if catch_unwind(AssertUnwindSafe(|| f(input))).is_err() {
            panics.fetch_add(1, Ordering::Relaxed);
            if first_panics.len() < 10 {
                first_panics.push(format!(
                    "target {target}: {:?}",
                    String::from_utf8_lossy(input)
                ));
            }
        }
    };
    while Instant::now() < until {
        for _ in 0..1000 {
            let seed = lines[rng.below(lines.len())].as_bytes();
            let line = if rng.below(8) == 0 {
                (0..rng.below(64)).map(|_| rng.next() as u8).collect()
            } else {
                mutate(&mut rng, seed)
            };
            let kind = kinds[rng.below(3)];
            let privileged = rng.below(2) == 0;
            run(0, &line, &|input| {
                let text = String::from_utf8_lossy(input);
                let grammar = commands::exec_grammar(privileged, kind);
                let _ = grammar.parse(&text);
                let _ = grammar.help(&text);
                let _ = grammar.complete(&text);
                for mode in [ConfigMode::Global, ConfigMode::Interface(1, 0)] {
                    let config = commands::config_grammar(mode, kind);
                    let _ = config.parse(&text);
                    let _ = config.help(&text);
                }
            });
            run(1, &line, &|input| {
                let text = String::from_utf8_lossy(input);
                let (_, bar) = pipe::split(&text);
                // `split` gives the offset just after the `|`, as the session passes it on
                if let Some(after) = bar {
                    let _ = pipe::parse(Some("show running-config"), &text, after);
                    let _ = pipe::parse(None, &text, after);
                }
            });
            run(2, &line, &|input| {
                let mut editor = LineEditor::new();
                let mut out = Vec::new();
                editor.feed(input);
                while editor.next_event(&mut out).is_some() {}
            });
        }
        for _ in 0..20 {
            let topology = mutate(&mut rng, DEFAULT_TOPOLOGY.as_bytes());
            run(3, &topology, &|input| {
                let _ = Topology::parse(&String::from_utf8_lossy(input), "fuzz.yaml");
            });
            if !scenarios.is_empty() {
                let seed = scenarios[rng.below(scenarios.len())].as_bytes();
                let scenario = mutate(&mut rng, seed);
                run(4, &scenario, &|input| {
                    let _ = acnslab::scenario::format::parse(
                        &String::from_utf8_lossy(input),
                        std::path::Path::new("fuzz.yaml"),
                    );
                });
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total: u64 = counts.iter().sum();
    println!(
        "fuzz run: {total} inputs in {elapsed:.1} s ({:.0}/s)",
        total as f64 / elapsed
    );
    for (name, n) in [
        "CLI grammars (parse, help, complete; all modes and kinds)",
        "output modifiers",
        "line editor",
        "topology loader",
        "scenario loader",
    ]
    .iter()
    .zip(counts)
    {
        println!("  {n:>12}  {name}");
    }
    println!("panics: {}", panics.load(Ordering::Relaxed));
    for p in &first_panics {
        println!("  {p}");
    }
    if panics.load(Ordering::Relaxed) > 0 {
        std::process::exit(1);
    }
}
