//! Readings for each report row: the lab process's resident memory and its CPU use since the last
//! reading, and this process's own CPU use (client and lab share the machine's cores).

use std::time::Instant;

use crate::measure::process::Process;

/// One reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// `None`: no lab process known, or it is gone.
    pub lab_rss_mb: Option<f64>,
    /// Percent of one core since the last reading (200 % is two cores busy).
    pub lab_cpu_pct: Option<f64>,
    pub soak_cpu_pct: f64,
}

/// CPU time at the last reading.
pub struct Meter {
    lab: Option<Process>,
    lab_cpu_s: f64,
    soak_cpu_s: f64,
    at: Instant,
    /// Lab CPU seconds at the first reading, for the whole run's figure.
    lab_cpu_s_at_start: f64,
    started: Instant,
}

impl Meter {
    pub fn new(lab: Option<Process>) -> Meter {
        let lab_cpu_s = lab.map(Process::cpu_seconds).unwrap_or(0.0);
        let now = Instant::now();
        Meter {
            lab,
            lab_cpu_s,
            soak_cpu_s: Process::Current.cpu_seconds(),
            at: now,
            lab_cpu_s_at_start: lab_cpu_s,
            started: now,
        }
    }

    /// The lab's RSS now, MB (MiB, as /proc counts).
    pub fn lab_rss_mb(&self) -> Option<f64> {
        self.lab.and_then(Process::rss_kb).map(megabytes)
    }

    /// RSS now and CPU since the last reading, which this one becomes.
    pub fn read(&mut self) -> Reading {
        let now = Instant::now();
        let wall = now.duration_since(self.at).as_secs_f64();
        let lab_rss_mb = self.lab_rss_mb();
        let lab_cpu_pct = match (self.lab, lab_rss_mb) {
            (Some(lab), Some(_)) => {
                let cpu = lab.cpu_seconds();
                let pct = percent(cpu - self.lab_cpu_s, wall);
                self.lab_cpu_s = cpu;
                Some(pct)
            }
            _ => None,
        };
        let soak_cpu = Process::Current.cpu_seconds();
        let soak_cpu_pct = percent(soak_cpu - self.soak_cpu_s, wall);
        self.soak_cpu_s = soak_cpu;
        self.at = now;
        Reading {
            lab_rss_mb,
            lab_cpu_pct,
            soak_cpu_pct,
        }
    }

    /// The lab's CPU seconds since the meter started, and that time's length in seconds.
    pub fn lab_cpu_since_start(&self) -> Option<(f64, f64)> {
        let lab = self.lab?;
        let cpu = lab.cpu_seconds() - self.lab_cpu_s_at_start;
        Some((cpu, self.started.elapsed().as_secs_f64()))
    }
}

/// KiB to MB, one decimal.
pub fn megabytes(kib: u64) -> f64 {
    (kib as f64 / 1024.0 * 10.0).round() / 10.0
}

/// CPU seconds over wall seconds, as a percent of one core, one decimal; 0 for no time.
pub fn percent(cpu_s: f64, wall_s: f64) -> f64 {
    if wall_s <= 0.0 {
        return 0.0;
    }
    (cpu_s.max(0.0) / wall_s * 1000.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_percent_is_of_one_core_and_memory_is_in_megabytes() {
        assert_eq!(percent(1.5, 30.0), 5.0);
        assert_eq!(percent(60.0, 30.0), 200.0);
        assert_eq!(percent(1.0, 0.0), 0.0);
        assert_eq!(percent(-0.01, 1.0), 0.0);
        assert_eq!(megabytes(25_600), 25.0);
        assert_eq!(megabytes(1_000), 1.0);
    }

    #[test]
    fn a_meter_on_this_process_reads_memory_and_cpu() {
        let mut meter = Meter::new(Some(Process::Id(std::process::id())));
        let reading = meter.read();
        assert!(reading.lab_rss_mb.unwrap_or(0.0) > 0.0);
        assert!(reading.lab_cpu_pct.is_some());
        let gone = Meter::new(Some(Process::Id(u32::MAX))).read();
        assert_eq!((gone.lab_rss_mb, gone.lab_cpu_pct), (None, None));
        assert_eq!(Meter::new(None).read().lab_rss_mb, None);
    }
}
