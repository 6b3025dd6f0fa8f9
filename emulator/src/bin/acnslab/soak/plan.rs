//! The soak's flags, checked and turned into a plan before anything starts: how many sessions for
//! how long, the report period, the command and its pace, and where the sessions go (a lab the
//! soak starts, or the devices of a running lab). Pure: no I/O.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::SoakArgs;
use crate::measure::topology::{check_ports, PortRangeError, MAX_DEVICES};
use acnslab::topology::Addressing;

/// Most sessions a soak opens (each is a descriptor in the soak and one in the lab).
pub const MAX_SESSIONS: usize = 100_000;
/// Longest hold, minutes (a day).
pub const MAX_MINUTES: f64 = 1440.0;
/// Report period, seconds.
pub const INTERVAL_SECONDS: (f64, f64) = (0.1, 3600.0);
/// Pause between two commands of a session, seconds.
pub const MAX_THINK_SECONDS: f64 = 3600.0;
/// Longest command line.
pub const MAX_COMMAND_CHARS: usize = 1024;
/// Devices of the lab a soak starts unless `--devices` says otherwise.
pub const DEFAULT_DEVICES: usize = 10;

/// A flag out of its range, or flags that do not go together.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FlagError {
    #[error("--sessions: 1 to {MAX_SESSIONS}")]
    Sessions,
    #[error("--minutes: more than 0, at most {MAX_MINUTES}")]
    Minutes,
    #[error("--interval: {} to {} seconds", INTERVAL_SECONDS.0, INTERVAL_SECONDS.1)]
    Interval,
    #[error("--think-seconds: 0 to {MAX_THINK_SECONDS}")]
    ThinkSeconds,
    #[error("--devices: 1 to {MAX_DEVICES}")]
    Devices,
    #[error(transparent)]
    Ports(#[from] PortRangeError),
    #[error("--command: one line, not empty, at most {MAX_COMMAND_CHARS} characters")]
    Command,
    #[error("--{0} is about the lab the soak starts; it does not go with --targets")]
    NotWithTargets(&'static str),
    #[error("--pid is for a running lab given by --targets (the soak knows the lab it starts)")]
    PidWithoutTargets,
}

/// Where the sessions go.
#[derive(Debug, Clone, PartialEq)]
pub enum LabPlan {
    /// Start `acnslab up` on a generated topology of `devices` devices.
    Start {
        devices: usize,
        /// 0: free ports from the system.
        base_port: u16,
        state_dir: Option<PathBuf>,
        keep_state: bool,
    },
    /// A lab that already runs: its devices' SSH addresses and, if known, its process.
    Running {
        targets: Vec<SocketAddr>,
        pid: Option<u32>,
    },
}

/// A checked soak.
#[derive(Debug, Clone, PartialEq)]
pub struct SoakPlan {
    pub sessions: usize,
    /// From the moment every session is open (or failed to open).
    pub hold: Duration,
    pub interval: Duration,
    pub command: String,
    pub think: Duration,
    pub lab: LabPlan,
    pub json: Option<PathBuf>,
}

impl SoakPlan {
    /// Checks every flag; the first one wrong is the error.
    pub fn check(args: &SoakArgs) -> Result<SoakPlan, FlagError> {
        if args.sessions == 0 || args.sessions > MAX_SESSIONS {
            return Err(FlagError::Sessions);
        }
        let hold = seconds_within(args.minutes * 60.0, (0.0, MAX_MINUTES * 60.0))
            .filter(|d| !d.is_zero())
            .ok_or(FlagError::Minutes)?;
        let interval =
            seconds_within(args.interval, INTERVAL_SECONDS).ok_or(FlagError::Interval)?;
        let think = seconds_within(args.think_seconds, (0.0, MAX_THINK_SECONDS))
            .ok_or(FlagError::ThinkSeconds)?;
        let command = args.command.trim();
        if command.is_empty()
            || command.chars().count() > MAX_COMMAND_CHARS
            || command.chars().any(char::is_control)
        {
            return Err(FlagError::Command);
        }
        let lab = if args.targets.is_empty() {
            if args.pid.is_some() {
                return Err(FlagError::PidWithoutTargets);
            }
            let devices = args.devices.unwrap_or(DEFAULT_DEVICES);
            if devices == 0 || devices > MAX_DEVICES {
                return Err(FlagError::Devices);
            }
            let base_port = args.base_port.unwrap_or(0);
            if base_port != 0 {
                check_ports(devices, base_port, Addressing::Ports)?;
            }
            LabPlan::Start {
                devices,
                base_port,
                state_dir: args.state_dir.clone(),
                keep_state: args.keep_state,
            }
        } else {
            let starting = [
                ("devices", args.devices.is_some()),
                ("base-port", args.base_port.is_some()),
                ("state-dir", args.state_dir.is_some()),
                ("keep-state", args.keep_state),
            ];
            if let Some((flag, _)) = starting.iter().find(|(_, given)| *given) {
                return Err(FlagError::NotWithTargets(flag));
            }
            LabPlan::Running {
                targets: args.targets.clone(),
                pid: args.pid,
            }
        };
        Ok(SoakPlan {
            sessions: args.sessions,
            hold,
            interval,
            command: command.to_string(),
            think,
            lab,
            json: args.json.clone(),
        })
    }
}

/// `seconds` as a duration when it is a number within `range` (inclusive).
fn seconds_within(seconds: f64, (low, high): (f64, f64)) -> Option<Duration> {
    (seconds.is_finite() && seconds >= low && seconds <= high)
        .then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> SoakArgs {
        SoakArgs {
            sessions: 1000,
            minutes: 10.0,
            devices: None,
            interval: 30.0,
            command: "show version".into(),
            think_seconds: 5.0,
            base_port: None,
            state_dir: None,
            keep_state: false,
            json: None,
            targets: Vec::new(),
            pid: None,
        }
    }

    #[test]
    fn the_defaults_start_a_lab_of_ten_devices_on_free_ports() {
        let plan = SoakPlan::check(&args()).unwrap();
        assert_eq!(plan.hold, Duration::from_secs(600));
        assert_eq!(plan.interval, Duration::from_secs(30));
        assert_eq!(plan.think, Duration::from_secs(5));
        assert!(matches!(
            plan.lab,
            LabPlan::Start {
                devices: 10,
                base_port: 0,
                ..
            }
        ));
        let short = SoakPlan::check(&SoakArgs {
            minutes: 0.2,
            think_seconds: 0.0,
            ..args()
        })
        .unwrap();
        assert_eq!(short.hold, Duration::from_secs(12));
        assert!(short.think.is_zero());
    }

    #[test]
    fn numbers_out_of_range_are_refused_with_the_flag() {
        let refused = |a: SoakArgs| SoakPlan::check(&a).unwrap_err();
        assert_eq!(
            refused(SoakArgs {
                sessions: 0,
                ..args()
            }),
            FlagError::Sessions
        );
        assert_eq!(
            refused(SoakArgs {
                sessions: MAX_SESSIONS + 1,
                ..args()
            }),
            FlagError::Sessions
        );
        for minutes in [0.0, -1.0, f64::NAN, f64::INFINITY, 1441.0] {
            assert_eq!(refused(SoakArgs { minutes, ..args() }), FlagError::Minutes);
        }
        for interval in [0.0, 0.05, f64::NAN, 3601.0] {
            assert_eq!(
                refused(SoakArgs { interval, ..args() }),
                FlagError::Interval
            );
        }
        for think_seconds in [-0.1, f64::NAN, 1e9] {
            assert_eq!(
                refused(SoakArgs {
                    think_seconds,
                    ..args()
                }),
                FlagError::ThinkSeconds
            );
        }
        assert_eq!(
            refused(SoakArgs {
                devices: Some(0),
                ..args()
            }),
            FlagError::Devices
        );
        assert!(matches!(
            refused(SoakArgs {
                base_port: Some(32_700),
                ..args()
            }),
            FlagError::Ports(_)
        ));
        for command in ["", "   ", "show version\nreload", "show\tversion"] {
            assert_eq!(
                refused(SoakArgs {
                    command: command.into(),
                    ..args()
                }),
                FlagError::Command
            );
        }
    }

    #[test]
    fn targets_exclude_the_flags_of_a_started_lab_and_pid_needs_targets() {
        let targets = vec![
            "127.0.0.1:2201".parse().unwrap(),
            "127.0.0.1:2202".parse().unwrap(),
        ];
        let running = SoakPlan::check(&SoakArgs {
            targets: targets.clone(),
            pid: Some(42),
            ..args()
        })
        .unwrap();
        assert_eq!(
            running.lab,
            LabPlan::Running {
                targets: targets.clone(),
                pid: Some(42)
            }
        );
        let with_devices = SoakArgs {
            targets: targets.clone(),
            devices: Some(5),
            ..args()
        };
        assert_eq!(
            SoakPlan::check(&with_devices).unwrap_err(),
            FlagError::NotWithTargets("devices")
        );
        let with_state = SoakArgs {
            targets,
            keep_state: true,
            ..args()
        };
        assert_eq!(
            SoakPlan::check(&with_state).unwrap_err(),
            FlagError::NotWithTargets("keep-state")
        );
        assert_eq!(
            SoakPlan::check(&SoakArgs {
                pid: Some(42),
                ..args()
            })
            .unwrap_err(),
            FlagError::PidWithoutTargets
        );
    }
}
