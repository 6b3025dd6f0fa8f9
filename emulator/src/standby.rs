//! A standby CDM's replication state as one small machine, the one source of what `show cms info`,
//! the primary's GUI and API, the scenario checks and the device log say about it.
//!
//! What the standby remembers ([`StandbySync`]) is the outcome of its last poll of the primary and
//! whether a full data update is owed (asked for by `cms enable`, until one is applied). What it
//! *is* ([`StandbyState`]) is derived from that and from its CMS service, in this order: CMS
//! disabled, version mismatch, primary unreachable, updating (a full update owed), in sync, not yet
//! polled. A boot forgets the last poll (it was made by other software, perhaps another version),
//! so a state never mixes what was true before a reboot with what is true after it.

use chrono::{DateTime, Utc};

use crate::release::Version;

/// The outcome of a standby's last poll of its primary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LastPoll {
    /// No poll since the standby booted (or it never was a standby).
    #[default]
    None,
    /// The primary's updates were applied; `applied` is the standby's position in its change log.
    Applied { at: DateTime<Utc>, applied: u64 },
    /// The primary runs another version: its updates are not processed.
    VersionMismatch {
        at: DateTime<Utc>,
        primary: Version,
        standby: Version,
    },
    /// The primary did not answer.
    Unreachable { at: DateTime<Utc> },
}

/// What a standby CDM remembers of its replication.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StandbySync {
    pub last_poll: LastPoll,
    /// When a full data update was asked for, while none has been applied since.
    pub full_update_requested: Option<DateTime<Utc>>,
    /// The state's word this standby last reported to its primary (since it booted).
    pub reported: Option<&'static str>,
    /// When a poll last applied the primary's updates (kept across boots and failed polls: how
    /// far behind the standby's data may be, the lab's replication lag).
    pub last_applied: Option<DateTime<Utc>>,
}

/// A standby CDM's state, as every front end shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StandbyState {
    /// The CMS service does not run (`no cms enable`, or held: the reason).
    CmsDisabled { why: Option<String> },
    /// The primary runs another version than this standby.
    VersionMismatch {
        at: DateTime<Utc>,
        primary: Version,
        standby: Version,
    },
    /// The primary did not answer the last poll.
    PrimaryUnreachable { at: DateTime<Utc> },
    /// A full data update was asked for and has not arrived yet.
    Updating { requested: DateTime<Utc> },
    /// The last poll applied the primary's updates.
    InSync { at: DateTime<Utc>, applied: u64 },
    /// Running, but not polled the primary since it booted.
    NotYetPolled,
}

impl StandbyState {
    /// The state's name: the words of a scenario's `check: {sync: ...}`.
    pub fn word(&self) -> &'static str {
        match self {
            StandbyState::CmsDisabled { .. } => Self::CMS_DISABLED,
            StandbyState::VersionMismatch { .. } => "version mismatch",
            StandbyState::PrimaryUnreachable { .. } => "primary unreachable",
            StandbyState::Updating { .. } => "updating",
            StandbyState::InSync { .. } => "in sync",
            StandbyState::NotYetPolled => "not yet polled",
        }
    }

    /// The word of [`StandbyState::CmsDisabled`].
    pub const CMS_DISABLED: &'static str = "cms disabled";

    /// Every state's name, in the order of precedence.
    pub const WORDS: [&'static str; 6] = [
        Self::CMS_DISABLED,
        "version mismatch",
        "primary unreachable",
        "updating",
        "in sync",
        "not yet polled",
    ];

    /// The state in one line: `show cms info`'s `Standby sync status`, the GUI's Standby Status, the log.
    pub fn line(&self) -> String {
        match self {
            StandbyState::CmsDisabled { why: None } => "CMS disabled".into(),
            StandbyState::CmsDisabled { why: Some(why) } => format!("CMS disabled ({why})"),
            StandbyState::VersionMismatch {
                primary, standby, ..
            } => format!(
                "version mismatch: primary runs {primary}, this standby runs {standby}; updates from the primary are not processed"
            ),
            StandbyState::PrimaryUnreachable { .. } => "primary unreachable".into(),
            StandbyState::Updating { .. } => {
                "updating: full data update requested from the primary".into()
            }
            StandbyState::InSync { .. } => "in sync".into(),
            StandbyState::NotYetPolled => "not yet polled since boot".into(),
        }
    }
}

impl StandbySync {
    /// The state, given whether the CMS service runs (`Err(why)` when it does not; `None`: plain
    /// `no cms enable`).
    pub fn state(&self, service: Result<(), Option<String>>) -> StandbyState {
        if let Err(why) = service {
            return StandbyState::CmsDisabled { why };
        }
        match (&self.last_poll, self.full_update_requested) {
            (
                LastPoll::VersionMismatch {
                    at,
                    primary,
                    standby,
                },
                _,
            ) => StandbyState::VersionMismatch {
                at: *at,
                primary: *primary,
                standby: *standby,
            },
            (LastPoll::Unreachable { at }, _) => StandbyState::PrimaryUnreachable { at: *at },
            (_, Some(requested)) => StandbyState::Updating { requested },
            (LastPoll::Applied { at, applied }, None) => StandbyState::InSync {
                at: *at,
                applied: *applied,
            },
            (LastPoll::None, None) => StandbyState::NotYetPolled,
        }
    }

    /// `cms enable` on the standby: the next poll asks the primary for everything.
    pub fn request_full_update(&mut self, now: DateTime<Utc>) {
        self.full_update_requested = Some(now);
    }

    /// Whether the next poll asks for a full update.
    pub fn wants_full_update(&self) -> bool {
        self.full_update_requested.is_some()
    }

    /// A poll ended with `outcome`; `full` says whether what was applied was a full update (which
    /// settles one owed).
    pub fn polled(&mut self, outcome: LastPoll, full: bool) {
        if full && matches!(outcome, LastPoll::Applied { .. }) {
            self.full_update_requested = None;
        }
        if let LastPoll::Applied { at, .. } = &outcome {
            self.last_applied = Some(*at);
        }
        self.last_poll = outcome;
    }

    /// The standby booted: its last poll belongs to the software before.
    pub fn booted(&mut self) {
        self.last_poll = LastPoll::None;
        self.reported = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + i64::from(s), 0).unwrap()
    }

    const RUNNING: Result<(), Option<String>> = Ok(());

    #[test]
    fn the_states_of_procedure_7_on_the_standby() {
        let (v521, v513) = (Version::new(5, 2, 1), Version::new(5, 1, 3));
        let mut sync = StandbySync::default();
        assert_eq!(sync.state(RUNNING), StandbyState::NotYetPolled);
        sync.polled(
            LastPoll::Applied {
                at: at(1),
                applied: 10,
            },
            true,
        );
        assert_eq!(sync.state(RUNNING).word(), "in sync");
        // the primary is downgraded first: the standby's next poll finds another version
        sync.polled(
            LastPoll::VersionMismatch {
                at: at(2),
                primary: v513,
                standby: v521,
            },
            false,
        );
        assert_eq!(
            sync.state(RUNNING).line(),
            "version mismatch: primary runs 5.1.3, this standby runs 5.2.1; updates from the primary are not processed"
        );
        // no cms enable: whatever the last poll said, CMS is disabled
        assert_eq!(sync.state(Err(None)).line(), "CMS disabled");
        // the standby is downgraded too: after the boot nothing of the old software's poll stays
        sync.booted();
        assert_eq!(sync.state(RUNNING), StandbyState::NotYetPolled);
        // cms enable asks for a full update; it is owed until one is applied
        sync.request_full_update(at(3));
        assert!(sync.wants_full_update());
        assert_eq!(
            sync.state(RUNNING),
            StandbyState::Updating { requested: at(3) }
        );
        sync.polled(LastPoll::Unreachable { at: at(4) }, true);
        assert_eq!(sync.state(RUNNING).word(), "primary unreachable");
        assert!(sync.wants_full_update());
        sync.polled(
            LastPoll::Applied {
                at: at(5),
                applied: 42,
            },
            true,
        );
        assert!(!sync.wants_full_update());
        assert_eq!(
            sync.state(RUNNING),
            StandbyState::InSync {
                at: at(5),
                applied: 42
            }
        );
    }

    #[test]
    fn every_state_has_its_word_in_the_list() {
        let states = [
            StandbyState::CmsDisabled { why: None },
            StandbyState::VersionMismatch {
                at: at(0),
                primary: Version::new(5, 2, 1),
                standby: Version::new(5, 1, 3),
            },
            StandbyState::PrimaryUnreachable { at: at(0) },
            StandbyState::Updating { requested: at(0) },
            StandbyState::InSync {
                at: at(0),
                applied: 0,
            },
            StandbyState::NotYetPolled,
        ];
        let words: Vec<&str> = states.iter().map(StandbyState::word).collect();
        assert_eq!(words, StandbyState::WORDS);
    }
}
