//! The open-file limit: a soak holds a descriptor for each session, and the lab it starts one for
//! each session and each device. This process lifts its soft `RLIMIT_NOFILE` to the hard limit
//! before the lab starts (the lab inherits it) and says, before anything starts, when that is still
//! too low.

/// Descriptors beyond the sessions and the devices: the runtime, the state files, the CMS
/// databases, stdio.
const SPARE: u64 = 256;

/// The limit before and after the raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFileLimit {
    pub before: u64,
    pub soft: u64,
    pub hard: u64,
}

/// The limit is too low for the soak.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "the open-file limit is {soft} (hard limit {hard}); {sessions} sessions need about {needed} \
     descriptors: raise the hard limit (ulimit -Hn, /etc/security/limits.conf) or soak fewer \
     sessions"
)]
pub struct TooFewDescriptors {
    pub soft: u64,
    pub hard: u64,
    pub sessions: usize,
    pub needed: u64,
}

/// Descriptors a soak of `sessions` sessions needs in each process, with `devices` listening
/// sockets in the lab.
pub fn needed(sessions: usize, devices: usize) -> u64 {
    sessions as u64 + devices as u64 + SPARE
}

/// Whether `limit` is enough for `sessions` sessions on `devices` devices.
pub fn check(
    limit: OpenFileLimit,
    sessions: usize,
    devices: usize,
) -> Result<(), TooFewDescriptors> {
    let needed = needed(sessions, devices);
    if limit.soft < needed {
        return Err(TooFewDescriptors {
            soft: limit.soft,
            hard: limit.hard,
            sessions,
            needed,
        });
    }
    Ok(())
}

/// Lifts this process's soft open-file limit to its hard limit (at most the kernel's `nr_open`, for
/// a hard limit of "unlimited"); what it was and is. A limit that cannot be read counts as 0.
pub fn raise_open_file_limit() -> OpenFileLimit {
    let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|text| text.trim().parse::<libc::rlim_t>().ok())
        .unwrap_or(libc::rlim_t::MAX);
    #[allow(unsafe_code)]
    // SAFETY: getrlimit and setrlimit only read and write the struct we pass.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return OpenFileLimit {
                before: 0,
                soft: 0,
                hard: 0,
            };
        }
        let before = limit.rlim_cur;
        let target = limit.rlim_max.min(nr_open);
        if limit.rlim_cur < target {
            let raised = libc::rlimit {
                rlim_cur: target,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
        OpenFileLimit {
            before,
            soft: limit.rlim_cur,
            hard: limit.rlim_max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_below_sessions_and_devices_is_refused_with_the_figures() {
        let limit = OpenFileLimit {
            before: 1024,
            soft: 4096,
            hard: 4096,
        };
        assert!(check(limit, 3_000, 10).is_ok());
        let err = check(limit, 4_000, 10).unwrap_err();
        assert_eq!(err.needed, 4_266);
        assert!(err.to_string().contains("open-file limit is 4096"), "{err}");
    }

    #[test]
    fn the_soft_limit_is_lifted_to_the_hard_one() {
        let limit = raise_open_file_limit();
        assert!(
            limit.before <= limit.soft && limit.soft <= limit.hard,
            "{limit:?}"
        );
        assert_eq!(raise_open_file_limit().before, limit.soft);
    }
}
