//! The `.dump` backup file: a self-describing header (magic, schema, software version, time, size,
//! SHA-256 of the body) followed by the body, a SQLite database image. A file whose magic, size or
//! checksum is off is refused before anything is touched.

use std::io::Write as _;

use sha2::{Digest, Sha256};

use crate::release::{Schema, Version};

const MAGIC: &str = "ACNSLAB-CMS-DUMP 1";

/// What the header of a dump says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpHeader {
    pub schema: Schema,
    pub software: Version,
    pub created: String,
}

/// Why a dump file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DumpError {
    #[error("not a CMS database backup (bad header)")]
    NotADump,
    #[error("the backup is damaged or truncated ({0})")]
    Damaged(String),
}

/// Builds a dump from a database image.
pub fn encode(header: &DumpHeader, body: &[u8]) -> Vec<u8> {
    let digest = hex(&Sha256::digest(body));
    let mut out = Vec::with_capacity(body.len() + 256);
    let _ = write!(
        out,
        "{MAGIC}\nschema: {}\nsoftware: {}\ncreated: {}\nsize: {}\nsha256: {digest}\n\n",
        header.schema,
        header.software,
        header.created,
        body.len()
    );
    out.extend_from_slice(body);
    out
}

/// Checks a dump and returns its header and body.
pub fn decode(bytes: &[u8]) -> Result<(DumpHeader, &[u8]), DumpError> {
    let end = find(bytes, b"\n\n").ok_or(DumpError::NotADump)?;
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| DumpError::NotADump)?;
    let body = &bytes[end + 2..];
    let mut lines = head.lines();
    if lines.next() != Some(MAGIC) {
        return Err(DumpError::NotADump);
    }
    let mut field = |name: &str| -> Result<String, DumpError> {
        let line = lines.next().ok_or(DumpError::NotADump)?;
        line.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(": "))
            .map(str::to_string)
            .ok_or(DumpError::NotADump)
    };
    let schema: Schema = field("schema")?.parse().map_err(|_| DumpError::NotADump)?;
    let software: Version = field("software")?
        .parse()
        .map_err(|_| DumpError::NotADump)?;
    let created = field("created")?;
    let size: usize = field("size")?.parse().map_err(|_| DumpError::NotADump)?;
    let digest = field("sha256")?;
    if body.len() != size {
        return Err(DumpError::Damaged(format!(
            "{} of {size} bytes",
            body.len()
        )));
    }
    if hex(&Sha256::digest(body)) != digest {
        return Err(DumpError::Damaged("checksum mismatch".into()));
    }
    Ok((
        DumpHeader {
            schema,
            software,
            created,
        },
        body,
    ))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .take(4096)
        .position(|w| w == needle)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> DumpHeader {
        DumpHeader {
            schema: Schema(5, 1),
            software: Version::new(5, 1, 3),
            created: "x".into(),
        }
    }

    #[test]
    fn round_trip_and_every_damage_is_refused() {
        let body = b"SQLite format 3\0 pretend".to_vec();
        let dump = encode(&header(), &body);
        let (h, b) = decode(&dump).unwrap();
        assert_eq!((h, b), (header(), &body[..]));
        assert_eq!(
            decode(&dump[..dump.len() - 1]),
            Err(DumpError::Damaged(format!(
                "{} of {} bytes",
                body.len() - 1,
                body.len()
            )))
        );
        let mut flipped = dump.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(
            decode(&flipped),
            Err(DumpError::Damaged("checksum mismatch".into()))
        );
        assert_eq!(decode(b"hello\n\nworld"), Err(DumpError::NotADump));
        assert_eq!(decode(b""), Err(DumpError::NotADump));
        assert_eq!(decode(&dump[..20]), Err(DumpError::NotADump));
    }
}
