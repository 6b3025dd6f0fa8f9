//! The end-to-end tests, built as one binary (ripgrep's layout): one module per area; the support
//! library (`acnslab_tests`, tests/src/lib.rs) starts labs and runs the real clients. Run one area
//! with a name filter, e.g. `cargo test -p acnslab-tests --test integration openssh::`.

mod ansible;
mod bounds;
mod classroom;
mod cli;
mod container;
mod exercises;
mod exposure;
mod install_over_ssh;
mod kubernetes;
mod lifecycle;
mod loopback;
mod observe;
mod openssh;
mod parsers;
mod progress;
mod python_clients;
mod record;
mod reload;
mod schemas;
mod web_browser;
