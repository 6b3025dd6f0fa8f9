//! The emulator's integration tests, built as one binary (ripgrep's layout): one module per area,
//! each driving the library through its public API; `util` holds what several modules share. Run
//! one area with a name filter, e.g. `cargo test -p acnslab --test integration shell::`.

mod util;

mod api;
mod bench;
mod cdm_upgrades;
mod cli_help;
mod cms_lab;
mod crash;
mod damaged;
mod docs_cli;
mod exercises;
mod health_port;
mod help_snapshots;
mod images;
mod install;
mod layers;
mod scenarios;
mod schemas;
mod security;
mod shell;
mod show_snapshots;
mod snapshot;
mod soak;
mod system;
