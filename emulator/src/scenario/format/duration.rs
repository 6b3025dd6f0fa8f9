//! Lab-clock durations as scenario files write them (`30s`, `5m`, `1h30m`, `500ms`, `2d`, or a bare
//! number of seconds). Owns only the syntax; what a duration means (lab clock or real time) is the
//! step's business.
//!
//! Hand-written on purpose: `humantime` also accepts `5 minutes`, `1h 30m`, `2weeks` and more,
//! which scenario files refuse (docs/scenarios.md, "Durations").

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// The longest duration a scenario file may give: 30 days of lab time (`30d`). A wait on the
/// virtual clock runs every poll on the way, so a longer one only costs time.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 86_400);

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
        let n: u64 = rest[..digits].parse().map_err(|_| too_long(text))?;
        rest = &rest[digits..];
        let unit = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect::<String>();
        rest = &rest[unit.len()..];
        let d = match unit.as_str() {
            "ms" => Some(Duration::from_millis(n)),
            "s" => Some(Duration::from_secs(n)),
            "m" => n.checked_mul(60).map(Duration::from_secs),
            "h" => n.checked_mul(3600).map(Duration::from_secs),
            "d" => n.checked_mul(86400).map(Duration::from_secs),
            _ => return Err(bad()),
        };
        total = d
            .and_then(|d| total.checked_add(d))
            .ok_or_else(|| too_long(text))?;
    }
    within_bounds(total, text)
}

fn too_long(text: &str) -> String {
    format!("duration '{text}' is too long: the most is 30d")
}

fn within_bounds(d: Duration, text: &str) -> Result<Duration, String> {
    if d > MAX_DURATION {
        Err(too_long(text))
    } else {
        Ok(d)
    }
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
            Raw::Secs(s) => within_bounds(Duration::from_secs(s), &s.to_string())
                .map(Dur)
                .map_err(serde::de::Error::custom),
            Raw::Text(t) => parse_duration(&t)
                .map(Dur)
                .map_err(serde::de::Error::custom),
        }
    }
}

impl schemars::JsonSchema for Dur {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A duration: a number with a unit (ms, s, m, h, d), combined as 1h30m; a bare number is seconds. At most 30d.",
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": MAX_DURATION.as_secs()},
                {"type": "string", "pattern": r"^\s*([0-9]+(ms|s|m|h|d))+\s*$"},
            ],
        })
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
        assert_eq!(parse_duration("30d"), Ok(MAX_DURATION));
    }

    #[test]
    fn huge_durations_are_refused_not_overflowed() {
        for text in [
            "31d",
            "29d24h1s",
            "18446744073709551615d",
            "99999999999999999999s",
            "1e300s",
        ] {
            let e = parse_duration(text).unwrap_err();
            assert!(
                e.contains("the most is 30d") || e.contains("bad duration"),
                "{text}: {e}"
            );
        }
        let e = serde_norway::from_str::<Dur>("18446744073709551615").unwrap_err();
        assert!(e.to_string().contains("30d"), "{e}");
    }
}
