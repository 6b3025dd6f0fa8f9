//! Lab-clock durations as scenario files write them (`30s`, `5m`, `1h30m`, `500ms`, `2d`, or a bare
//! number of seconds). Owns only the syntax; what a duration means (lab clock or real time) is the
//! step's business.
//!
//! Hand-written on purpose: `humantime` also accepts `5 minutes`, `1h 30m`, `2weeks` and more,
//! which scenario files refuse (docs/scenarios.md, "Durations").

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A lab-clock duration written as `30s`, `5m`, `1h`, `1h30m`, `2d` (or a bare number of seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dur(pub Duration);

/// Parses `30s`, `5m`, `1h30m`, `500ms`, `2d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad =
        || format!("bad duration '{text}': use a number with a unit, like 30s, 5m, 1h or 1h30m");
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect::<String>();
        rest = &rest[unit.len()..];
        let d = match unit.as_str() {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3600),
            "d" => Duration::from_secs(n * 86400),
            _ => return Err(bad()),
        };
        total += d;
    }
    Ok(total)
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(u64),
            Text(String),
        }
        match Raw::deserialize(d)
            .map_err(|_| serde::de::Error::custom("bad duration: use 30s, 5m, 1h or 1h30m"))?
        {
            Raw::Secs(s) => Ok(Dur(Duration::from_secs(s))),
            Raw::Text(t) => parse_duration(&t)
                .map(Dur)
                .map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("m5").is_err());
        assert!(parse_duration("").is_err());
    }
}
