//! The lab process's own figures, as Prometheus's client libraries export them under their
//! standard names (`process_cpu_seconds_total`, `process_resident_memory_bytes`, ...), read from
//! `/proc/self` at each scrape: what a dashboard made for any exporter shows without setup.
//! Linux only; a figure that cannot be read is left out.

/// The process's figures now; `None` where `/proc` does not say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessFigures {
    pub cpu_seconds: Option<f64>,
    pub resident_bytes: Option<u64>,
    pub virtual_bytes: Option<u64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
    pub start_time_seconds: Option<f64>,
}

/// The CPU, memory and start time of a `/proc/PID/stat` line (this process's or another's), in
/// seconds and bytes with this system's clock ticks and page size.
pub fn of_stat(text: &str) -> ProcessFigures {
    let boot_time = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|text| boot_time_of(&text));
    from_stat(text, ticks_per_second(), page_size(), boot_time)
}

/// Reads this process's figures (a few small files of `/proc`; the open descriptors are a
/// directory listing: run off the async workers).
pub fn read() -> ProcessFigures {
    let mut figures = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .map(|text| of_stat(&text))
        .unwrap_or_default();
    figures.open_fds = std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|entries| entries.count() as u64);
    figures.max_fds = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| max_fds_of(&text));
    figures
}

/// The figures of a `/proc/PID/stat` line: CPU (utime + stime, fields 14 and 15, in `ticks`),
/// virtual size (23, bytes), resident pages (24), start time (22, ticks since `boot_time`).
fn from_stat(text: &str, ticks: f64, page: u64, boot_time: Option<f64>) -> ProcessFigures {
    // the command name (field 2) is in parentheses and may hold spaces: count after its end
    let Some((_, rest)) = text.rsplit_once(')') else {
        return ProcessFigures::default();
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    ProcessFigures {
        cpu_seconds: field(14)
            .zip(field(15))
            .map(|(user, system)| (user + system) as f64 / ticks),
        resident_bytes: field(24).map(|pages| pages * page),
        virtual_bytes: field(23),
        start_time_seconds: field(22)
            .zip(boot_time)
            .map(|(start, boot)| boot + start as f64 / ticks),
        ..ProcessFigures::default()
    }
}

/// `btime` of `/proc/stat`: when the host booted, seconds since the Unix epoch.
fn boot_time_of(text: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// The soft limit of `Max open files` in `/proc/self/limits`.
fn max_fds_of(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|soft| soft.parse().ok())
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf reads a constant of the system; no memory is touched.
    #[allow(unsafe_code)]
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

fn page_size() -> u64 {
    // SAFETY: as above.
    #[allow(unsafe_code)]
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(page).ok().filter(|p| *p > 0).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_cpu_memory_and_start() {
        // fields 3.. of a real line, with a command name holding a space and a parenthesis
        let line = "4242 (acnslab (x) up) S 1 4242 4242 0 -1 4194560 3000 0 0 0 150 50 0 0 20 0 9 0 1000 2097152 512 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";
        let f = from_stat(line, 100.0, 4096, Some(1_700_000_000.0));
        assert_eq!(f.cpu_seconds, Some(2.0));
        assert_eq!(f.virtual_bytes, Some(2_097_152));
        assert_eq!(f.resident_bytes, Some(512 * 4096));
        assert_eq!(f.start_time_seconds, Some(1_700_000_010.0));
        assert_eq!(
            from_stat("4242 (short) S 1", 100.0, 4096, None),
            ProcessFigures::default()
        );
        assert_eq!(
            boot_time_of("cpu 1 2\nbtime 1700000000\n"),
            Some(1_700_000_000.0)
        );
        assert_eq!(
            max_fds_of("Limit  Soft Limit  Hard Limit  Units\nMax open files            20000                20000                files\n"),
            Some(20_000)
        );
    }

    #[test]
    fn this_process_is_read() {
        let f = read();
        assert!(
            f.cpu_seconds.is_some() && f.resident_bytes.unwrap_or(0) > 0,
            "{f:?}"
        );
        assert!(f.open_fds.unwrap_or(0) >= 3 && f.max_fds.is_some(), "{f:?}");
    }
}
