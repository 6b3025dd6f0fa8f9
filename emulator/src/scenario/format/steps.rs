//! The step kinds of a scenario file, declared once in [`step_table!`]: each row is a key of a step
//! mapping, the raw value it takes and, for a step kind, the [`StepKind`] it becomes. From the table
//! follow the serde shape of a step ([`RawStep`], same keys in the same order), the list of kinds
//! ([`STEP_KINDS`], for messages and the docs test), "one kind per step" ([`RawStep::kinds_given`]),
//! the hand-off of a kind to its validator (`validate::KEY`, one function per key) and
//! [`StepKind::word`]. The runner dispatches on [`StepKind`] with an exhaustive `match`, so a kind
//! without a handler does not compile.
//!
//! Adding a step kind: a row here with its variant below, a `validate::KEY` function, a runner
//! handler, and its section in docs/scenarios.md (a test checks the docs name every kind).
//! This module owns the checked step types; it does no checking itself.

use std::fmt;
use std::net::Ipv4Addr;
use std::time::Duration;

use serde::Deserialize;

use super::duration::Dur;
use super::raw::{
    ApiCall, Check, CmsPut, CmsRemove, Expect, FileFault, FillDisk, Many, PowerLoss, RawCli,
    ServerFileFault, ServerFileWrite, UntilJob,
};
use super::validate::{self, Context};

/// Declares the keys of a step mapping; see the module's doc. A row `key: Raw;` is a key that goes
/// with a kind (`name`, `device`); `key: Raw => Variant;` is a step kind.
macro_rules! step_table {
    (@word $key:ident $variant:ident) => {
        stringify!($key)
    };
    (
        $( $(#[doc = $doc:literal])* $key:ident : $raw:ty $( => $variant:ident )? ; )*
    ) => {
        /// A step as written: every key of the table, at most one kind given (checked by
        /// `validate`, not by serde, so the error can name the kinds).
        #[derive(Debug, Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct RawStep {
            $( $(#[doc = $doc])* #[serde(default)] pub(super) $key: Option<$raw>, )*
        }

        /// The key of every step kind, in table order.
        pub const STEP_KINDS: &[&str] = &[ $( $( step_table!(@word $key $variant), )? )* ];

        impl RawStep {
            /// The keys of the kinds this step gives, in table order.
            pub(super) fn kinds_given(&self) -> Vec<&'static str> {
                let mut given = Vec::new();
                $( $(
                    if self.$key.is_some() {
                        given.push(step_table!(@word $key $variant));
                    }
                )? )*
                given
            }

            /// The first kind this step gives (table order), checked by its validator
            /// `validate::KEY`; `None` when the step gives no kind.
            pub(super) fn into_kind(mut self, cx: &mut Context) -> Option<Result<StepKind, String>> {
                $( $(
                    if let Some(raw) = self.$key.take() {
                        let kind = validate::$key(raw, &mut self, cx);
                        if let Ok(k) = &kind {
                            debug_assert!(
                                matches!(k, StepKind::$variant { .. }),
                                "validate::{} made a {}",
                                stringify!($key),
                                k.word()
                            );
                        }
                        return Some(kind);
                    }
                )? )*
                None
            }
        }

        impl StepKind {
            /// The step's key, as written in the file (`cli` for a `device` + `send` step).
            pub fn word(&self) -> &'static str {
                // `send` makes a `Cli` too; the `cli` row comes first
                #[allow(unreachable_patterns)]
                match self {
                    $( $( StepKind::$variant { .. } => stringify!($key), )? )*
                }
            }
        }
    };
}

step_table! {
    /// A label for readers; shown nowhere else.
    name: String;
    /// Type lines into a new privilege-15 session of a device and check the output.
    cli: RawCli => Cli;
    /// With `send:`: the short form of `cli:`.
    device: String;
    /// With `device:`: the lines to type (a line or a list).
    send: Many => Cli;
    /// Check the output of the step's cli lines, or alone: of the previous cli step.
    expect: Expect => Expect;
    /// Move the lab clock on (every timer and poll falling due runs).
    wait: Dur => Wait;
    /// The keys of `check:`, plus `timeout` (required) and `every`: try, move the clock, try again.
    until: Check => Until;
    /// Device state, now: every key given must hold.
    check: Check => Check;
    /// Power lost and back: a reload without saving.
    power_cycle: String => PowerCycle;
    /// A reload, as `reload force` would.
    reload: String => Reload;
    /// CMS messages between the two (names or addresses) are lost.
    cut: [String; 2] => Cut;
    /// Undo a `cut:`.
    heal: [String; 2] => Heal;
    /// Flip bytes of a file on a device's disk.
    corrupt_file: FileFault => CorruptFile;
    /// Cut a file on a device's disk short (`bytes:` from the end, or `keep:`).
    truncate_file: FileFault => TruncateFile;
    /// Leave only `free_mb` MB free on a device's /local/local1.
    fill_disk: FillDisk => FillDisk;
    /// Armed: the power fails once a download on the device printed `after_mb` `#`.
    power_loss: PowerLoss => PowerLoss;
    /// Insert or replace a row of a replicated table on a CDM.
    cms_put: CmsPut => CmsPut;
    /// Remove a row of a replicated table on a CDM.
    cms_remove: CmsRemove => CmsRemove;
    /// Call a CDM's HTTP API and check the answer.
    api: ApiCall => Api;
    /// Wait in real time until the CDM's upgrade jobs have ended.
    until_job: UntilJob => UntilJob;
    /// An embedded image server refuses connections.
    stop_server: String => StopServer;
    /// An embedded image server is back, on the same ports.
    start_server: String => StartServer;
    /// Flip bytes of a file an image server serves.
    corrupt_server_file: ServerFileFault => CorruptServerFile;
    /// Cut a file an image server serves short.
    truncate_server_file: ServerFileFault => TruncateServerFile;
    /// Put a file into an image server's folder.
    write_server_file: ServerFileWrite => WriteServerFile;
}

/// What a step does, checked and ready to run: one variant per row of the table above.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// Lines typed into a new session of `device`, and what their output must hold.
    Cli {
        device: String,
        lines: Vec<String>,
        expect: Option<Expectation>,
    },
    /// The output of an earlier cli step checked again.
    Expect(Expectation),
    /// The lab clock moved on.
    Wait(Duration),
    /// The clock moved on `every` until the check holds, for at most `timeout`.
    Until {
        check: Check,
        timeout: Duration,
        every: Duration,
    },
    /// Device state checked now.
    Check(Check),
    PowerCycle(String),
    Reload(String),
    Cut(Ipv4Addr, Ipv4Addr),
    Heal(Ipv4Addr, Ipv4Addr),
    CorruptFile {
        device: String,
        file: String,
    },
    TruncateFile {
        device: String,
        file: String,
        how: Truncate,
    },
    /// Leave only `free_mb` MB free on a device's `/local/local1`.
    FillDisk {
        device: String,
        free_mb: u64,
    },
    /// Arms a power loss that fires once a download on `device` has `after_mb` MB (its `#`s).
    PowerLoss {
        device: String,
        after_mb: u64,
    },
    CmsPut(CmsPut),
    CmsRemove(CmsRemove),
    Api(Box<ApiStep>),
    UntilJob {
        cdm: String,
        ended: u64,
        successful: Option<u64>,
        failed: Option<u64>,
        timeout: Duration,
    },
    StopServer(String),
    StartServer(String),
    CorruptServerFile {
        server: String,
        file: String,
    },
    TruncateServerFile {
        server: String,
        file: String,
        how: Truncate,
    },
    WriteServerFile {
        server: String,
        file: String,
        text: String,
    },
}

/// One step and where it is written.
#[derive(Debug, Clone)]
pub struct Step {
    pub line: usize,
    pub label: Option<String>,
    pub kind: StepKind,
}

/// A truncation: drop bytes from the end, or keep a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncate {
    Drop(u64),
    Keep(u64),
}

/// A checked `api:` step.
#[derive(Debug, Clone)]
pub struct ApiStep {
    pub cdm: String,
    pub method: String,
    pub path: String,
    pub body: Option<serde_json::Value>,
    pub status: Option<u16>,
    pub contains: Vec<String>,
    pub absent: Vec<String>,
    pub json: Vec<(String, serde_json::Value)>,
    pub save: Vec<(String, String)>,
}

/// An [`Expect`] with its regular expressions compiled.
#[derive(Debug, Clone)]
pub struct Expectation {
    pub device: Option<String>,
    pub contains: Vec<String>,
    pub regex: Vec<regex::Regex>,
    pub exact: Option<String>,
    pub absent: Vec<String>,
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        parts.extend(self.contains.iter().map(|c| format!("contains {c:?}")));
        parts.extend(self.regex.iter().map(|r| format!("regex /{r}/")));
        parts.extend(self.absent.iter().map(|a| format!("absent {a:?}")));
        if self.exact.is_some() {
            parts.push("exact block".into());
        }
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/scenarios.md lists every step kind in its "Steps" section.
    #[test]
    fn the_docs_name_every_step_kind() {
        let docs = include_str!("../../../../docs/scenarios.md");
        let steps = docs
            .split("\n## Steps\n")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("docs/scenarios.md has a Steps section");
        for kind in STEP_KINDS {
            assert!(
                steps.contains(&format!("`{kind}`")) || steps.contains(&format!("`{kind}:")),
                "docs/scenarios.md, Steps: no `{kind}`"
            );
        }
    }

    #[test]
    fn the_kinds_are_the_table_rows_with_a_variant() {
        assert_eq!(STEP_KINDS.len(), 23);
        assert_eq!(&STEP_KINDS[..3], &["cli", "send", "expect"]);
        assert!(!STEP_KINDS.contains(&"name") && !STEP_KINDS.contains(&"device"));
    }
}
