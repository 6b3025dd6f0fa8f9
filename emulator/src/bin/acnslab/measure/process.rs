//! A process's resources as Linux tells them: resident and proportional memory (/proc/PID/status,
//! /proc/PID/smaps_rollup) and CPU time (getrusage for this process, /proc/PID/stat for another).
//! It only reads; a process that is gone, or a system without /proc, gives `None` (or 0 CPU).

/// The process to read: this one, or another by its id (the lab a soak started).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Process {
    Current,
    Id(u32),
}

impl Process {
    fn proc_file(self, name: &str) -> String {
        match self {
            Process::Current => format!("/proc/self/{name}"),
            Process::Id(pid) => format!("/proc/{pid}/{name}"),
        }
    }

    /// `VmRSS`, KiB; `None` once the process is gone.
    pub fn rss_kb(self) -> Option<u64> {
        kb_field(&self.proc_file("status"), "VmRSS:")
    }

    /// `Pss` of all mappings, KiB; `None` where smaps_rollup is missing.
    pub fn pss_kb(self) -> Option<u64> {
        kb_field(&self.proc_file("smaps_rollup"), "Pss:")
    }

    /// CPU time (user + system, all threads) used so far, seconds; 0 when it cannot be read.
    /// This process: `getrusage` (microseconds); another: /proc/PID/stat (clock ticks).
    pub fn cpu_seconds(self) -> f64 {
        match self {
            Process::Current => own_cpu_seconds(),
            Process::Id(_) => std::fs::read_to_string(self.proc_file("stat"))
                .ok()
                .and_then(|text| stat_cpu_ticks(&text))
                .map(|ticks| ticks as f64 / clock_ticks_per_second())
                .unwrap_or(0.0),
        }
    }
}

/// The number after `key` in a /proc file of `key value kB` lines.
fn kb_field(path: &str, key: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok().and_then(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
    })
}

/// utime + stime of a /proc/PID/stat line, in clock ticks. The command name (field 2) is in
/// parentheses and may hold spaces and parentheses itself: fields are counted after the last `)`.
fn stat_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // After the name: state (3), ppid, pgrp, session, tty_nr, tpgid, flags, minflt, cminflt,
    // majflt, cmajflt, then utime (14) and stime (15).
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

fn clock_ticks_per_second() -> f64 {
    #[allow(unsafe_code)]
    // SAFETY: sysconf reads a configuration value and has no other effect.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

fn own_cpu_seconds() -> f64 {
    #[allow(unsafe_code)]
    // SAFETY: getrusage only writes the struct we pass; an all-zero rusage is a valid value.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return 0.0;
        }
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_read_after_the_command_name_whatever_it_holds() {
        let stat = "4242 (acns lab) (x)) S 1 4242 4242 0 -1 4194560 900 0 0 0 170 30 0 0 20 0 9 0";
        assert_eq!(stat_cpu_ticks(stat), Some(200));
        assert_eq!(stat_cpu_ticks("4242 (short) S 1"), None);
    }

    #[test]
    fn this_process_has_memory_and_cpu_time() {
        assert!(Process::Current.rss_kb().unwrap_or(0) > 0);
        let me = Process::Id(std::process::id());
        assert!(me.rss_kb().unwrap_or(0) > 0);
        // Burn a little CPU so the tick count is not zero.
        let mut x = 0u64;
        let t = std::time::Instant::now();
        while t.elapsed() < std::time::Duration::from_millis(50) {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        assert!(x > 0 && Process::Current.cpu_seconds() > 0.0);
        assert_eq!(Process::Id(u32::MAX).rss_kb(), None);
    }
}
