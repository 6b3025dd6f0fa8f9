//! IOS-style command grammar for one CLI mode at a time: per-command
//! declarations (`show interface S/P`, `reload [force]`) become a
//! [`CommandSet`] that parses lines with unique-prefix abbreviation, answers
//! `?` help and Tab completion, and reports errors with byte positions.
//! Rendering of errors and help lives apart from matching, in [`render`].
//! Placeholders are named (`A.B.C.D$gateway`; `FILE` is `file`) and a [`Match`] hands their
//! values back by name, typed (`ipv4`, `number`, `slot_port`).
//!
//! Module map:
//! - `spec`: syntax strings into tokens and linear paths; [`SpecError`].
//! - `matcher`: [`CommandSet`] and its parse / help / complete walk.
//! - `outcome`: result types ([`Parsed`], [`Match`], [`Help`], [`Completion`]...).
//! - [`render`]: IOS text for [`ParseError`] and [`Help`].
//!
//! ```
//! use cli_grammar::{render_error, CommandSet, Parsed};
//!
//! let mut exec = CommandSet::new();
//! exec.add("reload", "reload [force]", &["Restart", "Skip confirmation"])?;
//! exec.add("ping", "ping A.B.C.D", &["Send echo", "Target"])?;
//! match exec.parse("rel f") {
//!     Parsed::Match(m) => assert!(m.id == "reload" && m.has("force")),
//!     other => panic!("{other:?}"),
//! }
//! match exec.parse("ping 1.2.3.999") {
//!     Parsed::Error(err) => assert_eq!(
//!         render_error(&err, 5, "ping 1.2.3.999"),
//!         "          ^\n% Invalid input detected at '^' marker.\n"
//!     ),
//!     other => panic!("{other:?}"),
//! }
//! assert_eq!(exec.complete("re").line, "reload ");
//! # Ok::<(), cli_grammar::SpecError>(())
//! ```

mod matcher;
mod outcome;
pub mod render;
mod spec;

pub use matcher::CommandSet;
pub use outcome::{Completion, Help, HelpItem, Match, MatchedWord, ParseError, Parsed};
pub use render::{render_error, render_help};
pub use spec::{display_syntax, SpecError};
