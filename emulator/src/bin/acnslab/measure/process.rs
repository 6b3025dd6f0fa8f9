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
                .and_then(|text| acnslab::observe::process::of_stat(&text).cpu_seconds)
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
