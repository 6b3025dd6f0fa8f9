//! The grammar's integration tests, built as one binary (ripgrep's layout): one module per area,
//! all against the fixture command set of `common`. Run one area with a name filter, e.g.
//! `cargo test -p cli-grammar --test integration rendering::`.

mod common;

mod matching;
mod properties;
mod rendering;
