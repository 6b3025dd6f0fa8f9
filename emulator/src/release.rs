//! Software releases the emulator knows: version numbers, build tags and dates, as one table.
//! `show version`, images, meta files and the version rules all read from here, so adding a release
//! is one row. It owns no device state.

use std::fmt;
use std::str::FromStr;

/// A software version `X.Y.Z`, ordered numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
    pub patch: u16,
}

impl Version {
    pub const fn new(major: u16, minor: u16, patch: u16) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Why a version string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version {0:?}: expected X.Y.Z, e.g. 5.1.3")]
pub struct BadVersion(pub String);

impl FromStr for Version {
    type Err = BadVersion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadVersion(s.to_string());
        let mut parts = s.trim().split('.');
        let mut next = || -> Result<u16, BadVersion> {
            parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())
        };
        let v = Version::new(next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(v)
    }
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Version {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Version".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": r"^\s*\d+\.\d+\.\d+\s*$",
            "description": "A software version X.Y.Z, e.g. 5.1.3.",
        })
    }
}

/// A CMS database schema version (`5.1`): which release line a CDM database belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Schema(pub u16, pub u16);

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

impl FromStr for Schema {
    type Err = BadVersion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadVersion(s.to_string());
        let (a, b) = s.trim().split_once('.').ok_or_else(bad)?;
        Ok(Schema(
            a.parse().map_err(|_| bad())?,
            b.parse().map_err(|_| bad())?,
        ))
    }
}

/// One release as `show version` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    pub version: Version,
    /// Build tag, e.g. `b26`.
    pub build: &'static str,
    /// Build date as printed, e.g. `Mar 21 2005`.
    pub date: &'static str,
    /// Compile time as printed, e.g. `10:35:03`.
    pub time: &'static str,
    /// The CMS database schema this release uses (CDM).
    pub schema: Schema,
}

/// The releases of the lab. [ours: build numbers and dates are plausible, not captured; 5.3.3's
/// year matches the real capture's copyright line]
pub const RELEASES: &[Release] = &[
    Release {
        version: Version::new(4, 2, 9),
        build: "b8",
        date: "Nov 17 2004",
        schema: Schema(4, 2),
        time: "18:02:11",
    },
    Release {
        version: Version::new(5, 1, 3),
        build: "b26",
        date: "Mar 21 2005",
        schema: Schema(5, 1),
        time: "10:35:03",
    },
    Release {
        version: Version::new(5, 1, 5),
        build: "b4",
        date: "Jun 14 2005",
        schema: Schema(5, 1),
        time: "14:20:41",
    },
    Release {
        version: Version::new(5, 2, 1),
        build: "b12",
        date: "Aug 30 2005",
        schema: Schema(5, 2),
        time: "09:12:55",
    },
    Release {
        version: Version::new(5, 3, 3),
        build: "b9",
        date: "Dec 05 2005",
        schema: Schema(5, 3),
        time: "16:47:30",
    },
];

/// The release every device of the default lab runs.
pub const DEFAULT_VERSION: Version = Version::new(5, 1, 3);

/// Whether a CDM running `cdm` takes registrations and status from a device running `device`
/// [ours, table-driven in spirit: the guide upgrades CEs and CRs first, then the CDM; a CDM upgraded
/// first no longer talks to devices left on older versions, and 4.x devices belong to a 4.x CDM].
pub fn cdm_accepts(cdm: Version, device: Version) -> bool {
    device.major == cdm.major && device >= cdm
}

/// Why an install is refused, by the version path table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRefusal {
    /// The image is the version already running.
    Same,
    /// 5.x to 4.2.9 needs the special downgrade image.
    NeedsDowngradeImage,
    /// No path between these lines.
    NoPath,
}

/// One row of the version path table: from a release line to another, and what it needs.
struct PathRule {
    from_major: u16,
    to_major: u16,
    /// The target must be this exact version (the 4.2.9 downgrade), if set.
    to_exact: Option<Version>,
    needs_downgrade_image: bool,
}

/// Which installs are allowed [ours, from the guide: 5.x to 5.x both ways by CLI or the CDM;
/// 5.x to 4.2.9 only with the ACNS-5.x.x-TO-4.2.9 image; 4.2.9 back to 5.x].
const PATHS: &[PathRule] = &[
    PathRule {
        from_major: 5,
        to_major: 5,
        to_exact: None,
        needs_downgrade_image: false,
    },
    PathRule {
        from_major: 5,
        to_major: 4,
        to_exact: Some(Version::new(4, 2, 9)),
        needs_downgrade_image: true,
    },
    PathRule {
        from_major: 4,
        to_major: 5,
        to_exact: None,
        needs_downgrade_image: false,
    },
];

/// Whether a device running `from` may install `to`; `downgrade_image` says the image is the
/// `ACNS-5.x.x-TO-4.2.9` kind.
pub fn install_path(from: Version, to: Version, downgrade_image: bool) -> Result<(), PathRefusal> {
    if from == to {
        return Err(PathRefusal::Same);
    }
    let rule = PATHS
        .iter()
        .find(|r| {
            r.from_major == from.major
                && r.to_major == to.major
                && r.to_exact.is_none_or(|v| v == to)
        })
        .ok_or(PathRefusal::NoPath)?;
    if rule.needs_downgrade_image && !downgrade_image {
        return Err(PathRefusal::NeedsDowngradeImage);
    }
    Ok(())
}

/// The release row for `version`; unknown versions get a generic row so a topology may name any.
pub fn release(version: Version) -> Release {
    RELEASES
        .iter()
        .copied()
        .find(|r| r.version == version)
        .unwrap_or(Release {
            version,
            build: "b1",
            date: "Jan 01 2006",
            time: "00:00:00",
            schema: Schema(version.major, version.minor),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order_numerically() {
        let a: Version = "5.1.3".parse().unwrap();
        let b: Version = "5.10.0".parse().unwrap();
        assert!(a < b);
        assert_eq!(a.to_string(), "5.1.3");
        assert!("5.1".parse::<Version>().is_err());
        assert!("5.1.3.4".parse::<Version>().is_err());
        assert!("x.1.3".parse::<Version>().is_err());
    }

    #[test]
    fn install_paths_follow_the_table() {
        let v = |s: &str| s.parse::<Version>().unwrap();
        assert_eq!(install_path(v("5.1.3"), v("5.2.1"), false), Ok(()));
        assert_eq!(install_path(v("5.2.1"), v("5.1.3"), false), Ok(()));
        assert_eq!(
            install_path(v("5.1.3"), v("5.1.3"), false),
            Err(PathRefusal::Same)
        );
        assert_eq!(
            install_path(v("5.1.3"), v("4.2.9"), false),
            Err(PathRefusal::NeedsDowngradeImage)
        );
        assert_eq!(install_path(v("5.1.3"), v("4.2.9"), true), Ok(()));
        assert_eq!(
            install_path(v("5.1.3"), v("4.1.0"), true),
            Err(PathRefusal::NoPath)
        );
        assert_eq!(install_path(v("4.2.9"), v("5.1.3"), false), Ok(()));
    }

    #[test]
    fn known_release_has_its_build() {
        assert_eq!(release(DEFAULT_VERSION).build, "b26");
        assert_eq!(release(Version::new(9, 9, 9)).build, "b1");
    }
}
