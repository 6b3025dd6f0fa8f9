//! Software images: the synthetic image format, image file names, and the lab's image folder.
//!
//! This module owns what an ACNS image *is* in the emulator (we cannot ship Cisco images, so images
//! are synthetic but behave like real ones: a size, a version, the device kinds they install on, and
//! a checksum that catches any corruption). Submodules own the rest of the image story:
//! - [`meta`]: meta files (seed table 7-1), parsing and rendering.
//! - [`server`]: the embedded FTP and HTTP servers that serve an image folder on loopback.
//! - [`transfer`]: the FTP/HTTP clients devices use to download and upload files.
//! - [`cli`]: `acnslab image build|inspect|meta`.
//!
//! # Image format [ours]
//!
//! A fixed 128-byte header followed by deterministic padding up to the declared size:
//!
//! | offset | size | field                                                              |
//! |-------:|-----:|--------------------------------------------------------------------|
//! |      0 |    8 | magic `ACNS-IMG`                                                   |
//! |      8 |    4 | header format, little-endian u32, currently 1                      |
//! |     12 |    4 | device kinds, bit mask (1 CDM, 2 CE, 4 CR), little-endian u32      |
//! |     16 |    8 | declared file size in bytes (header included), little-endian u64   |
//! |     24 |   32 | SHA-256 checksum (see below)                                       |
//! |     56 |   32 | version text `X.Y.Z.b.B` (e.g. `5.1.3.b.26`), NUL padded          |
//! |     88 |   40 | product text, NUL padded (informative)                             |
//!
//! The checksum is the SHA-256 of the **whole file with the checksum field zeroed**, so a change
//! anywhere (header or padding) is caught. Padding is a 64 KiB pseudo-random block derived from the
//! version, repeated; it is only there to give images a realistic size.
//!
//! # The lab folder
//!
//! [`populate_lab_folder`] lays out the folder the image servers serve:
//! - `images/ACNS-X.Y.Z-K9.bin` and `images/ACNS-5.x.x-TO-4.2.9-K9.bin`: the images, so that
//!   `copy ftp install 10.1.1.100 /images ACNS-5.2.1-K9.bin` finds them;
//! - `meta/ACNS-X.Y.Z-K9.meta` (FTP URL with user/password), `meta/ACNS-X.Y.Z-K9-http.meta` (HTTP
//!   URL), and `meta/ACNS-5.x.x-TO-4.2.9-K9.meta` / `-http.meta` (downgrade, with `CDM-IP`). A meta
//!   file URL to register on the CDM is then e.g. `http://10.1.1.100/meta/ACNS-5.2.1-K9-http.meta`.

pub mod cli;
pub mod meta;
pub mod progress;
pub mod server;
pub mod transfer;

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::DeviceKind;
use crate::release::{self, Version};

/// First bytes of every image.
pub const MAGIC: &[u8; 8] = b"ACNS-IMG";
/// Length of the image header; the smallest possible image.
pub const HEADER_LEN: usize = 128;
/// Header format written by this version of the emulator.
pub const FORMAT: u32 = 1;
/// The release line a downgrade image goes from (`ACNS-5.x.x-TO-4.2.9-K9.bin`).
pub const DOWNGRADE_FROM_LINE: &str = "5.x.x";

const OFF_FORMAT: usize = 8;
const OFF_KINDS: usize = 12;
const OFF_SIZE: usize = 16;
const OFF_SUM: usize = 24;
const OFF_VERSION: usize = 56;
const OFF_PRODUCT: usize = 88;
const SUM_LEN: usize = 32;
const PAD_BLOCK: usize = 64 * 1024;
const PRODUCT: &str = "Cisco ACNS software (acnslab synthetic)";

/// What an image header says, once the whole image has been verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    pub version: Version,
    /// Device kinds the image installs on, in [`DeviceKind::ALL`] order.
    pub kinds: Vec<DeviceKind>,
    /// Size of the image file in bytes (header included).
    pub size: u64,
}

impl ImageInfo {
    /// Whether the image installs on a device of `kind`.
    pub fn supports(&self, kind: DeviceKind) -> bool {
        self.kinds.contains(&kind)
    }
}

/// Why a file is not a valid image. Every message reads well after `% Error: `.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("invalid software image: not an ACNS image file")]
    NotAnImage,
    #[error("invalid software image: file is truncated ({got} of {expected} bytes)")]
    Truncated { expected: u64, got: u64 },
    #[error(
        "invalid software image: size mismatch (header says {expected} bytes, file has {got})"
    )]
    SizeMismatch { expected: u64, got: u64 },
    #[error("invalid software image: checksum mismatch")]
    BadChecksum,
    #[error("cannot read software image: {0}")]
    Io(#[from] io::Error),
}

/// `ACNS-5.2.1-K9.bin`.
pub fn image_name(version: Version) -> String {
    format!("ACNS-{version}-K9.bin")
}

/// `ACNS-5.x.x-TO-4.2.9-K9.bin` for `from_line` `5.x.x`.
pub fn downgrade_image_name(from_line: &str, to: Version) -> String {
    format!("ACNS-{from_line}-TO-{to}-K9.bin")
}

/// The meta file name that goes with an image name: `ACNS-5.2.1-K9.bin` -> `ACNS-5.2.1-K9.meta`,
/// or `ACNS-5.2.1-K9-http.meta` when `http`.
pub fn meta_name(image_name: &str, http: bool) -> String {
    let stem = image_name.strip_suffix(".bin").unwrap_or(image_name);
    if http {
        format!("{stem}-http.meta")
    } else {
        format!("{stem}.meta")
    }
}

/// The version an image file name announces: `ACNS-5.2.1-K9.bin` -> 5.2.1,
/// `ACNS-5.x.x-TO-4.2.9-K9.bin` -> 4.2.9 (the version after install). `None` for other names.
pub fn version_from_name(name: &str) -> Option<Version> {
    let middle = name.strip_prefix("ACNS-")?.strip_suffix("-K9.bin")?;
    let target = match middle.split_once("-TO-") {
        Some((_, to)) => to,
        None => middle,
    };
    target.parse().ok()
}

/// The version text of a release as images and meta files write it: `5.1.3.b.26`.
pub fn version_text(version: Version) -> String {
    let build = release::release(version).build;
    format!("{version}.b.{}", build.trim_start_matches('b'))
}

/// Reads the `X.Y.Z` out of a version text `X.Y.Z[.b.B]` (also accepts plain `X.Y.Z`).
pub fn parse_version_text(text: &str) -> Option<Version> {
    let text = text.trim();
    let mut parts = text.split('.');
    let mut num = || parts.next()?.trim().parse::<u16>().ok();
    let v = Version::new(num()?, num()?, num()?);
    let rest: Vec<&str> = text.split('.').skip(3).collect();
    match rest.as_slice() {
        [] => Some(v),
        [b, n] if b.eq_ignore_ascii_case("b") && n.parse::<u32>().is_ok() => Some(v),
        _ => None,
    }
}

fn kinds_mask(kinds: &[DeviceKind]) -> u32 {
    kinds.iter().fold(0, |m, k| {
        m | match k {
            DeviceKind::Cdm => 1,
            DeviceKind::Ce => 2,
            DeviceKind::Cr => 4,
        }
    })
}

fn kinds_from_mask(mask: u32) -> Vec<DeviceKind> {
    DeviceKind::ALL
        .into_iter()
        .filter(|k| kinds_mask(&[*k]) & mask != 0)
        .collect()
}

fn header(version: Version, kinds: &[DeviceKind], size: u64) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(MAGIC);
    h[OFF_FORMAT..OFF_FORMAT + 4].copy_from_slice(&FORMAT.to_le_bytes());
    h[OFF_KINDS..OFF_KINDS + 4].copy_from_slice(&kinds_mask(kinds).to_le_bytes());
    h[OFF_SIZE..OFF_SIZE + 8].copy_from_slice(&size.to_le_bytes());
    let text = version_text(version);
    let text = &text.as_bytes()[..text.len().min(SUM_LEN)];
    h[OFF_VERSION..OFF_VERSION + text.len()].copy_from_slice(text);
    h[OFF_PRODUCT..OFF_PRODUCT + PRODUCT.len()].copy_from_slice(PRODUCT.as_bytes());
    h
}

/// The padding block of a version: deterministic pseudo-random bytes (splitmix64).
fn pad_block(version: Version) -> Vec<u8> {
    let mut state = 0x4143_4e53_0000_0000u64
        ^ (u64::from(version.major) << 32)
        ^ (u64::from(version.minor) << 16)
        ^ u64::from(version.patch);
    let mut block = Vec::with_capacity(PAD_BLOCK);
    while block.len() < PAD_BLOCK {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        block.extend_from_slice(&z.to_le_bytes());
    }
    block
}

/// The temporary sibling every atomic write here goes through: `DIR/.NAME.tmp` (hidden, so device
/// `dir` listings that skip dot files never show a half-written download).
pub fn tmp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

/// Writes an image of `size` bytes (header included) for `version` and `kinds` at `path`.
/// Streams (constant memory whatever the size) and is atomic: the image is written to a temporary
/// sibling and renamed into place.
pub fn write_image(
    path: &Path,
    version: Version,
    kinds: &[DeviceKind],
    size: u64,
) -> io::Result<()> {
    progress::IMAGE_WRITES.begin(size);
    write_announced_image(path, version, kinds, size)
}

/// [`write_image`] of an image already counted in [`progress::IMAGE_WRITES`]'s total.
fn write_announced_image(
    path: &Path,
    version: Version,
    kinds: &[DeviceKind],
    size: u64,
) -> io::Result<()> {
    if size < HEADER_LEN as u64 {
        progress::IMAGE_WRITES.advance(size);
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("an image is at least {HEADER_LEN} bytes (asked for {size})"),
        ));
    }
    let tmp = tmp_path(path);
    let progress = &progress::IMAGE_WRITES;
    let mut left = size;
    let result = (|| {
        let mut file = File::create(&tmp)?;
        let head = header(version, kinds, size);
        let mut hasher = Sha256::new();
        hasher.update(head);
        file.write_all(&head)?;
        left -= HEADER_LEN as u64;
        progress.advance(HEADER_LEN as u64);
        let block = pad_block(version);
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            hasher.update(&block[..n]);
            file.write_all(&block[..n])?;
            left -= n as u64;
            progress.advance(n as u64);
        }
        let sum = hasher.finalize();
        file.seek(SeekFrom::Start(OFF_SUM as u64))?;
        file.write_all(&sum)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        progress.advance(left);
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Incremental image verification: feed the bytes of a file in order with [`Verifier::update`]
/// (e.g. as they arrive from the network), then [`Verifier::finish`].
#[derive(Clone)]
pub struct Verifier {
    head: Vec<u8>,
    hasher: Sha256,
    len: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    pub fn new() -> Self {
        Self {
            head: Vec::with_capacity(HEADER_LEN),
            hasher: Sha256::new(),
            len: 0,
        }
    }

    /// Feeds the next bytes of the file.
    pub fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.head.len() < HEADER_LEN {
            let take = (HEADER_LEN - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.head.len() == HEADER_LEN {
                let mut zeroed = [0u8; HEADER_LEN];
                zeroed.copy_from_slice(&self.head);
                zeroed[OFF_SUM..OFF_SUM + SUM_LEN].fill(0);
                self.hasher.update(zeroed);
            }
        }
        if !bytes.is_empty() {
            self.hasher.update(bytes);
        }
    }

    /// Bytes fed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Checks the header only (magic, format, version, size): what a device can tell before the
    /// whole file has arrived. Returns the declared size.
    pub fn header_info(&self) -> Result<Option<ImageInfo>, ImageError> {
        let n = self.head.len().min(MAGIC.len());
        if self.head[..n] != MAGIC[..n] {
            return Err(ImageError::NotAnImage);
        }
        if self.head.len() < HEADER_LEN {
            return Ok(None);
        }
        let h = &self.head;
        let format = u32::from_le_bytes(h[OFF_FORMAT..OFF_FORMAT + 4].try_into().unwrap());
        let mask = u32::from_le_bytes(h[OFF_KINDS..OFF_KINDS + 4].try_into().unwrap());
        let size = u64::from_le_bytes(h[OFF_SIZE..OFF_SIZE + 8].try_into().unwrap());
        let text = &h[OFF_VERSION..OFF_VERSION + SUM_LEN];
        let text = &text[..text.iter().position(|b| *b == 0).unwrap_or(text.len())];
        let version = std::str::from_utf8(text)
            .ok()
            .and_then(parse_version_text)
            .ok_or(ImageError::NotAnImage)?;
        if format != FORMAT || mask & !7 != 0 || size < HEADER_LEN as u64 {
            return Err(ImageError::NotAnImage);
        }
        Ok(Some(ImageInfo {
            version,
            kinds: kinds_from_mask(mask),
            size,
        }))
    }

    /// Verifies everything: magic, declared size == bytes fed, checksum.
    pub fn finish(self) -> Result<ImageInfo, ImageError> {
        let Some(info) = self.header_info()? else {
            return Err(if self.len == 0 {
                ImageError::NotAnImage
            } else {
                ImageError::Truncated {
                    expected: HEADER_LEN as u64,
                    got: self.len,
                }
            });
        };
        if self.len < info.size {
            return Err(ImageError::Truncated {
                expected: info.size,
                got: self.len,
            });
        }
        if self.len > info.size {
            return Err(ImageError::SizeMismatch {
                expected: info.size,
                got: self.len,
            });
        }
        let sum = self.hasher.finalize();
        if sum[..] != self.head[OFF_SUM..OFF_SUM + SUM_LEN] {
            return Err(ImageError::BadChecksum);
        }
        Ok(info)
    }
}

/// Verifies the image file at `path`, streaming (constant memory).
pub fn inspect(path: &Path) -> Result<ImageInfo, ImageError> {
    let mut file = File::open(path)?;
    let mut verifier = Verifier::new();
    let mut buf = vec![0u8; 1 << 20];
    // Cheap checks first: a wrong magic or size is refused without reading the whole file.
    let n = read_full(&mut file, &mut buf[..HEADER_LEN])?;
    verifier.update(&buf[..n]);
    if let Some(info) = verifier.header_info()? {
        let actual = file.metadata()?.len();
        if actual < info.size {
            return Err(ImageError::Truncated {
                expected: info.size,
                got: actual,
            });
        }
        if actual > info.size {
            return Err(ImageError::SizeMismatch {
                expected: info.size,
                got: actual,
            });
        }
    }
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        verifier.update(&buf[..n]);
    }
    verifier.finish()
}

fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Verifies an image held in memory.
pub fn inspect_bytes(bytes: &[u8]) -> Result<ImageInfo, ImageError> {
    let mut verifier = Verifier::new();
    verifier.update(bytes);
    verifier.finish()
}

/// What the lab's image folder holds (see the module documentation for the layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabImages {
    /// The release the lab's devices run.
    pub current: Version,
    /// A newer 5.x release to upgrade to.
    pub newer: Version,
    /// The 4.x release of the downgrade image (4.2.9).
    pub downgrade: Version,
    /// Size of each image in bytes.
    pub size: u64,
    /// The virtual address of the image server, written into meta file URLs.
    pub server_ip: Ipv4Addr,
    /// The 4.x CDM the downgrade meta file names (`CDM-IP`).
    pub cdm_ip_for_downgrade: Ipv4Addr,
    /// FTP login written into the FTP meta files.
    pub ftp_user: String,
    pub ftp_password: String,
}

/// Sub-folder of the lab folder that holds the images.
pub const IMAGES_DIR: &str = "images";
/// Sub-folder of the lab folder that holds the meta files.
pub const META_DIR: &str = "meta";

/// Writes the images and meta files of `lab` under `folder` (`images/`, `meta/`). Files already
/// present and valid are left alone, so calling this on every lab start is cheap.
pub fn populate_lab_folder(folder: &Path, lab: &LabImages) -> io::Result<()> {
    let images = folder.join(IMAGES_DIR);
    let metas = folder.join(META_DIR);
    crate::persist::create_private_dir_all(&images)?;
    crate::persist::create_private_dir_all(&metas)?;
    let all = DeviceKind::ALL;
    let entries = [
        (image_name(lab.current), lab.current, None),
        (image_name(lab.newer), lab.newer, None),
        (
            downgrade_image_name(DOWNGRADE_FROM_LINE, lab.downgrade),
            lab.downgrade,
            Some(lab.cdm_ip_for_downgrade),
        ),
    ];
    // the images to write, announced at once so a progress bar knows the whole amount
    let stale: Vec<bool> = entries
        .iter()
        .map(|(name, version, _)| {
            !matches!(inspect(&images.join(name)), Ok(info)
                if info.version == *version && info.size == lab.size && info.kinds == all)
        })
        .collect();
    let to_write = stale.iter().filter(|s| **s).count() as u64;
    progress::IMAGE_WRITES.begin(to_write * lab.size);
    for ((name, version, cdm_ip), stale) in entries.into_iter().zip(stale) {
        let path = images.join(&name);
        if stale {
            write_announced_image(&path, version, &all, lab.size)?;
        }
        let description = match cdm_ip {
            Some(_) => format!("ACNS {DOWNGRADE_FROM_LINE} to {version} downgrade"),
            None => format!("ACNS {version} software update"),
        };
        let ftp = meta::MetaFile {
            update_file_size: lab.size,
            version,
            version_text: version_text(version),
            description: Some(description),
            url: meta::ImageUrl::Ftp {
                host: lab.server_ip.to_string(),
                port: 21,
                dir: format!("/{IMAGES_DIR}"),
                file: name.clone(),
            },
            user: Some(lab.ftp_user.clone()),
            password: Some(lab.ftp_password.clone()),
            cdm_ip,
        };
        let http = meta::MetaFile {
            url: meta::ImageUrl::Http {
                host: lab.server_ip.to_string(),
                port: 80,
                path: format!("/{IMAGES_DIR}/{name}"),
            },
            user: None,
            password: None,
            ..ftp.clone()
        };
        write_if_changed(&metas.join(meta_name(&name, false)), &meta::render(&ftp))?;
        write_if_changed(&metas.join(meta_name(&name, true)), &meta::render(&http))?;
    }
    Ok(())
}

/// Writes `text` to `path` atomically unless the file already holds exactly that.
fn write_if_changed(path: &Path, text: &str) -> io::Result<()> {
    if fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(());
    }
    let tmp = tmp_path(path);
    fs::write(&tmp, text)?;
    fs::rename(&tmp, path)
}
