//! Latency percentiles of a set of samples, and the rounding every printed figure gets.

use serde::{Deserialize, Serialize};

/// Latency percentiles, milliseconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Percentiles {
    pub n: usize,
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    /// From durations in seconds; linear interpolation between ranks (as the peer harness does).
    pub fn of(samples: &[f64]) -> Self {
        let mut v: Vec<f64> = samples.iter().map(|s| s * 1000.0).collect();
        if v.is_empty() {
            return Percentiles::default();
        }
        v.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            let k = (v.len() - 1) as f64 * p / 100.0;
            let f = k.floor() as usize;
            let c = (f + 1).min(v.len() - 1);
            v[f] + (v[c] - v[f]) * (k - f as f64)
        };
        Percentiles {
            n: v.len(),
            mean: round3(v.iter().sum::<f64>() / v.len() as f64),
            p50: round3(pct(50.0)),
            p95: round3(pct(95.0)),
            p99: round3(pct(99.0)),
            max: round3(v[v.len() - 1]),
        }
    }
}

/// `x` rounded to three decimals.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_the_peer_harness() {
        let p = Percentiles::of(&[0.001, 0.002, 0.003, 0.004]);
        assert_eq!((p.n, p.p50, p.max), (4, 2.5, 4.0));
        assert_eq!(Percentiles::of(&[]).n, 0);
    }
}
