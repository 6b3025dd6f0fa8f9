//! `acnslab image ...`: build, inspect and describe (meta file) synthetic images from the shell.
//!
//! This module owns the clap argument structs and what the subcommands do; the binary wires them in
//! (`ImageCommand` as a subcommand, or the `run_*` functions one by one). Output goes to stdout;
//! errors come back as one printable line.

use std::io::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use crate::config::DeviceKind;
use crate::release::Version;

use super::meta::{self, ImageUrl, MetaFile};
use super::{downgrade_image_name, image_name, inspect, version_text, write_image, ImageInfo};

/// `acnslab image SUBCOMMAND`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ImageCommand {
    /// Write a synthetic ACNS software image.
    Build(BuildArgs),
    /// Verify images (magic, size, checksum) and print what they contain.
    Inspect(InspectArgs),
    /// Write the meta file (seed table 7-1) describing an image.
    Meta(MetaArgs),
}

/// Runs one `acnslab image` subcommand.
pub fn run(cmd: ImageCommand) -> Result<(), String> {
    match cmd {
        ImageCommand::Build(a) => run_build(a),
        ImageCommand::Inspect(a) => run_inspect(a),
        ImageCommand::Meta(a) => run_meta(a),
    }
}

/// `acnslab image build`.
#[derive(Debug, Clone, clap::Args)]
pub struct BuildArgs {
    /// Version the image installs (X.Y.Z, e.g. 5.2.1).
    #[arg(long)]
    pub version: Version,
    /// Device kinds the image installs on, comma separated (cdm,ce,cr) [default: all].
    #[arg(long, value_delimiter = ',', value_parser = parse_kind)]
    pub kinds: Vec<DeviceKind>,
    /// Image size in bytes; K, M and G suffixes are powers of 1024.
    #[arg(long, default_value = "100M", value_parser = parse_size)]
    pub size: u64,
    /// Make a downgrade image, named ACNS-LINE-TO-X.Y.Z-K9.bin (LINE defaults to 5.x.x).
    #[arg(long, value_name = "LINE", num_args = 0..=1, default_missing_value = super::DOWNGRADE_FROM_LINE)]
    pub downgrade_from: Option<String>,
    /// Output file, or directory to write the standard file name into.
    #[arg(short, long, default_value = ".")]
    pub output: PathBuf,
}

/// `acnslab image inspect`.
#[derive(Debug, Clone, clap::Args)]
pub struct InspectArgs {
    /// Image files to verify.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// `acnslab image meta`.
#[derive(Debug, Clone, clap::Args)]
pub struct MetaArgs {
    /// The image the meta file describes (its size and version are read from it).
    #[arg(long)]
    pub image: PathBuf,
    /// Where devices download the image: ftp://HOST/DIR/FILE or http://HOST/PATH (port 80 only).
    #[arg(long)]
    pub url: String,
    /// FTP user (FTP URLs only).
    #[arg(long)]
    pub user: Option<String>,
    /// FTP password (FTP URLs only).
    #[arg(long)]
    pub password: Option<String>,
    /// Comment shown in the CDM GUI.
    #[arg(long)]
    pub description: Option<String>,
    /// For a downgrade to 4.x: the 4.x CDM the device registers with afterwards.
    #[arg(long = "cdm-ip")]
    pub cdm_ip: Option<Ipv4Addr>,
    /// Output file [default: standard output].
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// Parses `cdm`, `ce`, `cr` (any case) or a `device mode` keyword.
pub fn parse_kind(s: &str) -> Result<DeviceKind, String> {
    let lower = s.trim().to_ascii_lowercase();
    DeviceKind::ALL
        .into_iter()
        .find(|k| k.label().eq_ignore_ascii_case(&lower) || k.device_mode() == lower)
        .ok_or_else(|| format!("unknown device kind {s:?} (expected cdm, ce or cr)"))
}

/// Parses a size: `97205475`, `512K`, `100M`, `1G` (also `KB`/`KiB`...; powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?} (e.g. 97205475, 512K, 100M)"))?;
    let mult: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("invalid size unit in {s:?} (use K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size {s:?} is too large"))
}

fn kinds_text(kinds: &[DeviceKind]) -> String {
    kinds
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join(",")
}

fn describe(path: &Path, info: &ImageInfo) -> String {
    format!(
        "{}: ACNS {} ({}), for {}, {} bytes, checksum ok",
        path.display(),
        info.version,
        version_text(info.version),
        kinds_text(&info.kinds),
        info.size
    )
}

/// `acnslab image build`: writes the image and prints what was written.
pub fn run_build(args: BuildArgs) -> Result<(), String> {
    let kinds = if args.kinds.is_empty() {
        DeviceKind::ALL.to_vec()
    } else {
        let mut k = args.kinds.clone();
        k.sort();
        k.dedup();
        k
    };
    let name = match &args.downgrade_from {
        Some(line) => downgrade_image_name(line, args.version),
        None => image_name(args.version),
    };
    let path = if args.output.is_dir() {
        args.output.join(name)
    } else {
        args.output.clone()
    };
    write_image(&path, args.version, &kinds, args.size)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let info = inspect(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", describe(&path, &info));
    Ok(())
}

/// `acnslab image inspect`: verifies every file; fails if any is not a valid image.
pub fn run_inspect(args: InspectArgs) -> Result<(), String> {
    let mut bad = 0;
    for path in &args.files {
        match inspect(path) {
            Ok(info) => println!("{}", describe(path, &info)),
            Err(e) => {
                println!("{}: {e}", path.display());
                bad += 1;
            }
        }
    }
    match bad {
        0 => Ok(()),
        n => Err(format!(
            "{n} of {} files are not valid images",
            args.files.len()
        )),
    }
}

/// `acnslab image meta`: writes (or prints) the meta file of an image, checked by parsing it back.
pub fn run_meta(args: MetaArgs) -> Result<(), String> {
    let info = inspect(&args.image).map_err(|e| format!("{}: {e}", args.image.display()))?;
    let url: ImageUrl = args.url.parse().map_err(|e| format!("{e}"))?;
    let meta = MetaFile {
        update_file_size: info.size,
        version: info.version,
        version_text: version_text(info.version),
        description: args.description.clone(),
        url,
        user: args.user.clone(),
        password: args.password.clone(),
        cdm_ip: args.cdm_ip,
    };
    let text = meta::render(&meta);
    let name = args
        .output
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "meta file".to_string());
    meta::parse(&text, &name).map_err(|e| e.to_string())?;
    match &args.output {
        Some(path) => {
            let tmp = super::tmp_path(path);
            std::fs::write(&tmp, &text)
                .and_then(|()| std::fs::rename(&tmp, path))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("wrote {}", path.display());
        }
        None => {
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_kinds_parse() {
        assert_eq!(parse_size("97205475"), Ok(97_205_475));
        assert_eq!(parse_size("100M"), Ok(100 << 20));
        assert_eq!(parse_size("2KiB"), Ok(2048));
        assert!(parse_size("10X").is_err());
        assert_eq!(parse_kind("CE"), Ok(DeviceKind::Ce));
        assert_eq!(parse_kind("content-router"), Ok(DeviceKind::Cr));
        assert!(parse_kind("router").is_err());
    }
}
