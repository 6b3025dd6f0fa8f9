//! Images, meta files, and the embedded image servers with real FTP/HTTP transfers on loopback.

use std::fs;
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::path::Path;

use acnslab::config::DeviceKind;
use acnslab::images::meta::{self, ImageUrl};
use acnslab::images::server::ImageServer;
use acnslab::images::transfer::{self, Pace, TransferError};
use acnslab::images::{self, ImageError, LabImages};
use acnslab::release::Version;

const USER: &str = "acns";
const PASSWORD: &str = "secret";

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

fn lab(size: u64) -> LabImages {
    LabImages {
        current: v("5.1.3"),
        newer: v("5.2.1"),
        downgrade: v("4.2.9"),
        size,
        server_ip: Ipv4Addr::new(10, 1, 1, 100),
        cdm_ip_for_downgrade: Ipv4Addr::new(10, 1, 1, 50),
        ftp_user: USER.into(),
        ftp_password: PASSWORD.into(),
    }
}

/// Writes an image, applies `corrupt` to its bytes, and returns what `inspect` and `inspect_bytes`
/// say (they must agree).
fn corrupted(corrupt: impl FnOnce(&mut Vec<u8>)) -> ImageError {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.bin");
    images::write_image(&path, v("5.2.1"), &[DeviceKind::Ce], 300_000).unwrap();
    let mut bytes = fs::read(&path).unwrap();
    corrupt(&mut bytes);
    fs::write(&path, &bytes).unwrap();
    let from_file = images::inspect(&path).unwrap_err();
    let from_bytes = images::inspect_bytes(&bytes).unwrap_err();
    assert_eq!(from_file.to_string(), from_bytes.to_string());
    from_file
}

#[test]
fn image_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(images::image_name(v("5.2.1")));
    images::write_image(
        &path,
        v("5.2.1"),
        &[DeviceKind::Ce, DeviceKind::Cr],
        1 << 20,
    )
    .unwrap();
    let info = images::inspect(&path).unwrap();
    assert_eq!(info.version, v("5.2.1"));
    assert_eq!(info.kinds, vec![DeviceKind::Ce, DeviceKind::Cr]);
    assert_eq!(info.size, 1 << 20);
    assert!(info.supports(DeviceKind::Ce) && !info.supports(DeviceKind::Cdm));
    assert_eq!(fs::metadata(&path).unwrap().len(), 1 << 20);
    assert_eq!(
        images::inspect_bytes(&fs::read(&path).unwrap()).unwrap(),
        info
    );
    // Deterministic: the same inputs give the same bytes; no temporary file is left behind.
    let again = dir.path().join("again.bin");
    images::write_image(
        &again,
        v("5.2.1"),
        &[DeviceKind::Ce, DeviceKind::Cr],
        1 << 20,
    )
    .unwrap();
    assert_eq!(fs::read(&path).unwrap(), fs::read(&again).unwrap());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    // The smallest image is its header.
    images::write_image(
        &again,
        v("4.2.9"),
        &DeviceKind::ALL,
        images::HEADER_LEN as u64,
    )
    .unwrap();
    assert_eq!(images::inspect(&again).unwrap().version, v("4.2.9"));
    assert!(images::write_image(&again, v("4.2.9"), &DeviceKind::ALL, 10).is_err());
}

#[test]
fn every_corruption_is_refused() {
    // A flipped byte in the padding, in the version text, in the kinds, in the checksum itself.
    for at in [200_000usize, 60, 12, 30] {
        let e = corrupted(|b| b[at] ^= 0x01);
        assert!(matches!(e, ImageError::BadChecksum), "byte {at}: {e}");
        assert!(e.to_string().starts_with("invalid software image"));
    }
    // Truncated: one byte short, and cut inside the header.
    let e = corrupted(|b| {
        b.pop();
    });
    assert!(
        matches!(
            e,
            ImageError::Truncated {
                expected: 300_000,
                got: 299_999
            }
        ),
        "{e}"
    );
    let e = corrupted(|b| b.truncate(100));
    assert!(matches!(e, ImageError::Truncated { got: 100, .. }), "{e}");
    // Longer than declared.
    let e = corrupted(|b| b.push(0));
    assert!(
        matches!(
            e,
            ImageError::SizeMismatch {
                expected: 300_000,
                got: 300_001
            }
        ),
        "{e}"
    );
    // Wrong magic, or not an image at all.
    let e = corrupted(|b| b[0] = b'X');
    assert!(matches!(e, ImageError::NotAnImage), "{e}");
    let e = corrupted(|b| *b = b"updateFileSize=1\n".to_vec());
    assert!(matches!(e, ImageError::NotAnImage), "{e}");
    let e = corrupted(|b| b.clear());
    assert!(matches!(e, ImageError::NotAnImage), "{e}");
    // Wrong declared size (header edited to match neither the file nor the checksum).
    let e = corrupted(|b| b[16..24].copy_from_slice(&299_000u64.to_le_bytes()));
    assert!(
        matches!(
            e,
            ImageError::SizeMismatch {
                expected: 299_000,
                ..
            }
        ),
        "{e}"
    );
    let e = corrupted(|b| b[16..24].copy_from_slice(&400_000u64.to_le_bytes()));
    assert!(
        matches!(
            e,
            ImageError::Truncated {
                expected: 400_000,
                ..
            }
        ),
        "{e}"
    );
    // Missing file.
    let e = images::inspect(Path::new("/nonexistent/ACNS-5.2.1-K9.bin")).unwrap_err();
    assert!(matches!(e, ImageError::Io(_)));
}

#[test]
fn names() {
    assert_eq!(images::image_name(v("5.2.1")), "ACNS-5.2.1-K9.bin");
    assert_eq!(
        images::downgrade_image_name("5.x.x", v("4.2.9")),
        "ACNS-5.x.x-TO-4.2.9-K9.bin"
    );
    assert_eq!(
        images::version_from_name("ACNS-5.2.1-K9.bin"),
        Some(v("5.2.1"))
    );
    assert_eq!(
        images::version_from_name("ACNS-5.x.x-TO-4.2.9-K9.bin"),
        Some(v("4.2.9"))
    );
    assert_eq!(images::version_from_name("foo.bin"), None);
    assert_eq!(
        images::meta_name("ACNS-5.2.1-K9.bin", false),
        "ACNS-5.2.1-K9.meta"
    );
    assert_eq!(
        images::meta_name("ACNS-5.2.1-K9.bin", true),
        "ACNS-5.2.1-K9-http.meta"
    );
    assert_eq!(images::version_text(v("5.1.3")), "5.1.3.b.26");
}

const SEED_SAMPLE: &str = "updateFileSize=97205475
version= 5.1.0.b.26
description= testing
updateFileUrl= ftp://vista.cisco.com/ACNS-5.1.3-K9.bin
user=anonymous
password=user-email-name@cisco.com
";

const SEED_DOWNGRADE: &str = "updateFileSize=97205475
version= 4.2.0.b.1
description= testing
updateFileUrl= ftp://vista.cisco.com/ACNS-5.x.x-TO-4.2.1-K9.bin
user=anonymous
password=user-email-name@cisco.com
CDM-IP=1.1.1.1
";

#[test]
fn meta_parses_the_seed_samples() {
    let m = meta::parse(SEED_SAMPLE, "sample.meta").unwrap();
    assert_eq!(m.update_file_size, 97_205_475);
    assert_eq!(m.version, v("5.1.0"));
    assert_eq!(m.version_text, "5.1.0.b.26");
    assert_eq!(m.description.as_deref(), Some("testing"));
    assert_eq!(
        m.url,
        ImageUrl::Ftp {
            host: "vista.cisco.com".into(),
            port: 21,
            dir: "/".into(),
            file: "ACNS-5.1.3-K9.bin".into()
        }
    );
    assert_eq!(m.url.to_string(), "ftp://vista.cisco.com/ACNS-5.1.3-K9.bin");
    assert_eq!(m.user.as_deref(), Some("anonymous"));
    assert_eq!(m.password.as_deref(), Some("user-email-name@cisco.com"));
    assert_eq!(m.cdm_ip, None);

    let d = meta::parse(SEED_DOWNGRADE, "acns4_cdm_ip.meta").unwrap();
    assert_eq!(d.version, v("4.2.0"));
    assert_eq!(d.cdm_ip, Some(Ipv4Addr::new(1, 1, 1, 1)));
    assert_eq!(d.url.file_name(), "ACNS-5.x.x-TO-4.2.1-K9.bin");

    // Mixed-case keys (updateFileURL, UpdateFileUrl), spaces, comments, CRLF, unknown keys.
    let text = "# upgrade to 5.2.1\r\n\r\n  UPDATEFILESIZE =  1234 \r\nVersion=5.2.1\r\n\
                updateFileURL= http://10.1.1.100/images/ACNS-5.2.1-K9.bin\r\nreleaseNotes= x\r\n\
                cdm-ip= 10.1.1.5\r\n";
    let m = meta::parse(text, "x.meta").unwrap();
    assert_eq!(m.update_file_size, 1234);
    assert_eq!(m.version, v("5.2.1"));
    assert_eq!(
        m.url,
        ImageUrl::Http {
            host: "10.1.1.100".into(),
            port: 80,
            path: "/images/ACNS-5.2.1-K9.bin".into()
        }
    );
    assert_eq!(m.cdm_ip, Some(Ipv4Addr::new(10, 1, 1, 5)));

    // render -> parse is the identity, in the seed's style.
    for m in [m, d] {
        let text = meta::render(&m);
        assert!(text.contains("version= "), "{text}");
        assert_eq!(meta::parse(&text, "r.meta").unwrap(), m);
    }
}

#[test]
fn meta_errors_name_the_key_or_line() {
    for key in ["updateFileSize", "version", "updateFileUrl"] {
        let text: String = SEED_SAMPLE
            .lines()
            .filter(|l| {
                !l.to_ascii_lowercase()
                    .starts_with(&key.to_ascii_lowercase())
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let e = meta::parse(&text, "m.meta").unwrap_err();
        assert_eq!(e.file, "m.meta");
        assert!(e.message.contains(key), "{e}");
        assert_eq!(e.to_string(), format!("m.meta: missing required key {key}"));
    }
    let bad_size = SEED_SAMPLE.replace("97205475", "97MB");
    let e = meta::parse(&bad_size, "m.meta").unwrap_err();
    assert_eq!(e.line, 1);
    assert!(
        e.to_string()
            .starts_with("m.meta:1: invalid updateFileSize"),
        "{e}"
    );

    let bad_url = SEED_SAMPLE.replace("ftp://vista.cisco.com/", "gopher://vista.cisco.com/");
    let e = meta::parse(&bad_url, "m.meta").unwrap_err();
    assert_eq!(e.line, 4, "{e}");
    assert!(e.message.contains("updateFileUrl"), "{e}");
    let no_file = SEED_SAMPLE.replace("ACNS-5.1.3-K9.bin", "");
    assert_eq!(meta::parse(&no_file, "m.meta").unwrap_err().line, 4);

    let bad_version = SEED_SAMPLE.replace("5.1.0.b.26", "five");
    assert_eq!(meta::parse(&bad_version, "m.meta").unwrap_err().line, 2);
    let bad_ip = SEED_DOWNGRADE.replace("1.1.1.1", "1.1.1");
    assert_eq!(meta::parse(&bad_ip, "m.meta").unwrap_err().line, 7);
    let no_equals = format!("{SEED_SAMPLE}garbage\n");
    assert_eq!(meta::parse(&no_equals, "m.meta").unwrap_err().line, 7);

    // HTTP: port 80 only, no credentials.
    let http = "updateFileSize=1\nversion=5.2.1\nupdateFileUrl=http://h:8080/ACNS-5.2.1-K9.bin\n";
    let e = meta::parse(http, "m.meta").unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.message.contains("port 80"), "{e}");
    assert!(meta::parse(&http.replace(":8080", ":80"), "m.meta").is_ok());
    let with_user = format!("{}user=u\npassword=p\n", http.replace(":8080", ""));
    let e = meta::parse(&with_user, "m.meta").unwrap_err();
    assert_eq!(e.line, 4);
    assert!(e.message.contains("FTP URLs only"), "{e}");
    // FTP: user and password required.
    let ftp_no_user = SEED_SAMPLE.replace("user=anonymous\n", "");
    let e = meta::parse(&ftp_no_user, "m.meta").unwrap_err();
    assert_eq!(e.line, 4);
    assert!(e.message.contains("user="), "{e}");
}

#[test]
fn an_image_is_not_a_meta_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("i.bin");
    images::write_image(&path, v("5.2.1"), &DeviceKind::ALL, 4096).unwrap();
    let bytes = fs::read(&path).unwrap();
    assert!(meta::looks_like_image(&bytes));
    assert!(meta::looks_like_image(&[0x7f, b'E', b'L', b'F', 0, 1]));
    assert!(!meta::looks_like_image(SEED_SAMPLE.as_bytes()));
    let e = meta::parse(&String::from_utf8_lossy(&bytes), "i.bin").unwrap_err();
    assert!(e.message.contains("not a meta file"), "{e}");
}

#[test]
fn url_parsing_and_display() {
    let u: ImageUrl = "ftp://10.1.1.100:2121/images/sub/ACNS-5.2.1-K9.bin"
        .parse()
        .unwrap();
    assert_eq!(
        u,
        ImageUrl::Ftp {
            host: "10.1.1.100".into(),
            port: 2121,
            dir: "/images/sub".into(),
            file: "ACNS-5.2.1-K9.bin".into()
        }
    );
    assert_eq!(
        u.to_string(),
        "ftp://10.1.1.100:2121/images/sub/ACNS-5.2.1-K9.bin"
    );
    let h: ImageUrl = "HTTP://web/acns/ACNS-5.2.1.meta".parse().unwrap();
    assert_eq!(h.to_string(), "http://web/acns/ACNS-5.2.1.meta");
    assert_eq!(h.port(), 80);
    for bad in [
        "ftp://",
        "ftp://host",
        "ftp://host/",
        "ftp://u:p@host/f.bin",
        "ftp://host:0/f",
        "ftp://host:99999/f",
        "scp://host/f",
        "host/f",
        "ftp://host/../f",
    ] {
        assert!(bad.parse::<ImageUrl>().is_err(), "{bad}");
    }
}

#[test]
fn lab_folder_is_populated_once() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(64 * 1024);
    images::populate_lab_folder(dir.path(), &lab).unwrap();
    let img = dir.path().join("images");
    let metas = dir.path().join("meta");
    for (name, version) in [
        ("ACNS-5.1.3-K9.bin", "5.1.3"),
        ("ACNS-5.2.1-K9.bin", "5.2.1"),
        ("ACNS-5.x.x-TO-4.2.9-K9.bin", "4.2.9"),
    ] {
        let info = images::inspect(&img.join(name)).unwrap();
        assert_eq!(info.version, v(version));
        assert_eq!(info.kinds, DeviceKind::ALL.to_vec());
        let ftp = fs::read_to_string(metas.join(images::meta_name(name, false))).unwrap();
        let ftp = meta::parse(&ftp, name).unwrap();
        assert_eq!(
            ftp.url.to_string(),
            format!("ftp://10.1.1.100/images/{name}")
        );
        assert_eq!(ftp.user.as_deref(), Some(USER));
        assert_eq!(ftp.update_file_size, 64 * 1024);
        assert_eq!(ftp.version, v(version));
        let http = fs::read_to_string(metas.join(images::meta_name(name, true))).unwrap();
        let http = meta::parse(&http, name).unwrap();
        assert_eq!(
            http.url.to_string(),
            format!("http://10.1.1.100/images/{name}")
        );
        assert_eq!(http.user, None);
        let downgrade = version == "4.2.9";
        assert_eq!(ftp.cdm_ip.is_some(), downgrade);
        assert_eq!(http.cdm_ip.is_some(), downgrade);
    }
    let d = fs::read_to_string(metas.join("ACNS-5.x.x-TO-4.2.9-K9.meta")).unwrap();
    assert!(d.contains("CDM-IP=10.1.1.50"), "{d}");

    // A second call leaves valid files alone and repairs a corrupted one.
    let cur = img.join("ACNS-5.1.3-K9.bin");
    let newer = img.join("ACNS-5.2.1-K9.bin");
    let mtime = |p: &Path| fs::metadata(p).unwrap().modified().unwrap();
    let before = mtime(&cur);
    let mut bytes = fs::read(&newer).unwrap();
    bytes[1000] ^= 0xff;
    fs::write(&newer, &bytes).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    images::populate_lab_folder(dir.path(), &lab).unwrap();
    assert_eq!(mtime(&cur), before);
    assert!(images::inspect(&newer).is_ok());
    assert_eq!(fs::read_dir(&img).unwrap().count(), 3);
    assert_eq!(fs::read_dir(&metas).unwrap().count(), 6);
}

async fn lab_server(size: u64) -> (tempfile::TempDir, ImageServer) {
    let dir = tempfile::tempdir().unwrap();
    images::populate_lab_folder(dir.path(), &lab(size)).unwrap();
    let server = ImageServer::start(dir.path().to_path_buf(), 0, 0, USER, PASSWORD)
        .await
        .unwrap();
    (dir, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ftp_download_with_progress() {
    let size = 5 * 1024 * 1024 + 17;
    let (dir, server) = lab_server(size).await;
    assert!(server.ftp_addr().ip().is_loopback() && server.http_addr().ip().is_loopback());
    let dest = dir.path().join("downloaded.bin");
    let mut seen = Vec::new();
    let n = transfer::ftp_download(
        &transfer::FtpServer::new(server.ftp_addr(), USER, PASSWORD),
        "/images",
        "ACNS-5.2.1-K9.bin",
        &dest,
        &mut Pace::unlimited(),
        &mut |b| seen.push(b),
    )
    .await
    .unwrap();
    assert_eq!(n, size);
    assert!(seen.len() > 1, "progress called {} times", seen.len());
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(*seen.last().unwrap(), size);
    let info = images::inspect(&dest).unwrap();
    assert_eq!(info.version, v("5.2.1"));
    assert_eq!(info.size, size);
    // A meta file fetched into memory parses.
    let text = transfer::ftp_fetch(
        &transfer::FtpServer::new(server.ftp_addr(), USER, PASSWORD),
        "/meta",
        "ACNS-5.2.1-K9.meta",
        65536,
    )
    .await
    .unwrap();
    let m = meta::parse(std::str::from_utf8(&text).unwrap(), "ACNS-5.2.1-K9.meta").unwrap();
    assert_eq!(m.update_file_size, size);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ftp_errors() {
    let (dir, server) = lab_server(4096).await;
    let dest = dir.path().join("x.bin");
    let addr = server.ftp_addr();
    let e = transfer::ftp_download(
        &transfer::FtpServer::new(addr, USER, PASSWORD),
        "/images",
        "ACNS-9.9.9-K9.bin",
        &dest,
        &mut Pace::unlimited(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, TransferError::NotFound(f) if f == "ACNS-9.9.9-K9.bin"),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "file not found on the server: ACNS-9.9.9-K9.bin"
    );
    assert!(!dest.exists(), "no file left behind");
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no temporary file left behind"
    );

    let e = transfer::ftp_download(
        &transfer::FtpServer::new(addr, USER, PASSWORD),
        "/nowhere",
        "ACNS-5.2.1-K9.bin",
        &dest,
        &mut Pace::unlimited(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, TransferError::NoDirectory(f) if f == "/nowhere"),
        "{e}"
    );

    let e = transfer::ftp_download(
        &transfer::FtpServer::new(addr, USER, "wrong"),
        "/images",
        "ACNS-5.2.1-K9.bin",
        &dest,
        &mut Pace::unlimited(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(e, TransferError::Login), "{e}");
    let e = transfer::ftp_download(
        &transfer::FtpServer::new(addr, "anonymous", "me@example.com"),
        "/images",
        "ACNS-5.2.1-K9.bin",
        &dest,
        &mut Pace::unlimited(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, TransferError::Login),
        "anonymous must be refused: {e}"
    );
    assert!(!dest.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_stop_and_restart() {
    let (dir, server) = lab_server(4096).await;
    let (ftp, http) = (server.ftp_addr(), server.http_addr());
    let dest = dir.path().join("x.bin");
    server.stop().await;
    assert!(!server.is_running().await);
    let e = transfer::ftp_download(
        &transfer::FtpServer::new(ftp, USER, PASSWORD),
        "/images",
        "ACNS-5.2.1-K9.bin",
        &dest,
        &mut Pace::unlimited(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, TransferError::Connect(m) if m == "connection refused"),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "cannot connect to the server: connection refused"
    );
    let e = transfer::http_download(
        http,
        "/images/ACNS-5.2.1-K9.bin",
        &dest,
        &mut Pace::unlimited(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(e, TransferError::Connect(_)), "{e}");

    server.restart().await.unwrap();
    assert_eq!((server.ftp_addr(), server.http_addr()), (ftp, http));
    let n = transfer::ftp_download(
        &transfer::FtpServer::new(ftp, USER, PASSWORD),
        "/images",
        "ACNS-5.2.1-K9.bin",
        &dest,
        &mut Pace::unlimited(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(n, 4096);
    let n = transfer::http_download(
        http,
        "/images/ACNS-5.2.1-K9.bin",
        &dest,
        &mut Pace::unlimited(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(n, 4096);
    server.restart().await.unwrap(); // no-op while running
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ftp_upload_lands_in_the_folder() {
    let (dir, server) = lab_server(4096).await;
    let src = dir.path().join("cms-backup.dump");
    let content: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(&src, &content).unwrap();
    let n = transfer::ftp_upload(
        &transfer::FtpServer::new(server.ftp_addr(), USER, PASSWORD),
        "/images",
        "cdm1-backup.dump",
        &src,
        &mut Pace::unlimited(),
    )
    .await
    .unwrap();
    assert_eq!(n, content.len() as u64);
    assert_eq!(
        fs::read(dir.path().join("images/cdm1-backup.dump")).unwrap(),
        content
    );
    // Uploading into a directory that does not exist names it.
    let e = transfer::ftp_upload(
        &transfer::FtpServer::new(server.ftp_addr(), USER, PASSWORD),
        "/nowhere",
        "x.dump",
        &src,
        &mut Pace::unlimited(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, TransferError::NoDirectory(d) if d == "/nowhere"),
        "{e}"
    );
    // A missing local file is a local error.
    let e = transfer::ftp_upload(
        &transfer::FtpServer::new(server.ftp_addr(), USER, PASSWORD),
        "/images",
        "x",
        &dir.path().join("none"),
        &mut Pace::unlimited(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, TransferError::Io(_)), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_download_head_and_404() {
    let size = 3 * 1024 * 1024 + 5;
    let (dir, server) = lab_server(size).await;
    let dest = dir.path().join("h.bin");
    let mut calls = 0;
    let mut last = 0;
    let n = transfer::http_download(
        server.http_addr(),
        "/images/ACNS-5.x.x-TO-4.2.9-K9.bin",
        &dest,
        &mut Pace::unlimited(),
        &mut |b| {
            calls += 1;
            last = b;
        },
    )
    .await
    .unwrap();
    assert_eq!((n, last), (size, size));
    assert!(calls > 1);
    assert_eq!(images::inspect(&dest).unwrap().version, v("4.2.9"));

    let e = transfer::http_download(
        server.http_addr(),
        "/images/ACNS-9.9.9-K9.bin",
        &dest,
        &mut Pace::unlimited(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, TransferError::NotFound(p) if p == "/images/ACNS-9.9.9-K9.bin"),
        "{e}"
    );
    assert!(
        dest.exists(),
        "a failed download leaves the previous file alone"
    );
    for path in ["/images", "/../etc/passwd", "/images/../../x"] {
        let e = transfer::http_download(
            server.http_addr(),
            path,
            &dest,
            &mut Pace::unlimited(),
            &mut |_| {},
        )
        .await
        .unwrap_err();
        assert!(matches!(e, TransferError::NotFound(_)), "{path}: {e}");
    }

    // The meta file a CDM would register, fetched over HTTP, names the image it points to.
    let text = transfer::http_fetch(server.http_addr(), "/meta/ACNS-5.2.1-K9-http.meta", 65536)
        .await
        .unwrap();
    let m = meta::parse(std::str::from_utf8(&text).unwrap(), "m").unwrap();
    let ImageUrl::Http { path, .. } = &m.url else {
        panic!("{:?}", m.url)
    };
    let n = transfer::http_download(
        server.http_addr(),
        path,
        &dest,
        &mut Pace::unlimited(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(n, m.update_file_size);
    // Too large for a meta file.
    assert!(transfer::http_fetch(server.http_addr(), path, 1000)
        .await
        .is_err());

    // HEAD gives the length without a body; other methods are refused.
    let addr = server.http_addr();
    let raw = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(
            b"HEAD /images/ACNS-5.2.1-K9.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(
        raw.to_ascii_lowercase()
            .contains(&format!("content-length: {size}")),
        "{raw}"
    );
    assert!(raw.ends_with("\r\n\r\n"), "no body after HEAD: {raw}");
    let raw = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(
            b"DELETE /images/ACNS-5.2.1-K9.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(raw.starts_with("HTTP/1.1 405"), "{raw}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_refuses_a_missing_folder() {
    let e = ImageServer::start("/nonexistent/images".into(), 0, 0, USER, PASSWORD)
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("/nonexistent/images"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_server_cuts_transfers_in_flight() {
    let size = 8 * 1024 * 1024;
    let (dir, server) = lab_server(size).await;
    let server = std::sync::Arc::new(server);
    for http in [false, true] {
        let dest = dir.path().join("cut.bin");
        let (ftp_addr, http_addr) = (server.ftp_addr(), server.http_addr());
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let download = tokio::spawn(async move {
            let mut started = Some(started_tx);
            // A slow device: the transfer is still running when the server goes down.
            let mut progress = |_| {
                if let Some(tx) = started.take() {
                    let _ = tx.send(());
                }
                std::thread::sleep(std::time::Duration::from_millis(2));
            };
            if http {
                transfer::http_download(
                    http_addr,
                    "/images/ACNS-5.2.1-K9.bin",
                    &dest,
                    &mut Pace::unlimited(),
                    &mut progress,
                )
                .await
            } else {
                transfer::ftp_download(
                    &transfer::FtpServer::new(ftp_addr, USER, PASSWORD),
                    "/images",
                    "ACNS-5.2.1-K9.bin",
                    &dest,
                    &mut Pace::unlimited(),
                    &mut progress,
                )
                .await
            }
        });
        started_rx.await.unwrap();
        server.stop().await;
        let e = download.await.unwrap().unwrap_err();
        assert!(
            matches!(e, TransferError::Interrupted(_)),
            "http={http}: {e}"
        );
        assert!(!dir.path().join("cut.bin").exists());
        server.restart().await.unwrap();
    }
}

/// A download and an upload at the pace of a link: on a real clock they take the lab time the link
/// needs for the bytes (a speed factor makes lab time pass faster, so the test stays short); on a
/// virtual clock the same pace costs no lab time at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_go_at_the_pace_of_the_link() {
    use acnslab::clock::LabClock;
    let size: u64 = 1024 * 1024;
    let (dir, server) = lab_server(size).await;
    let image_size = fs::metadata(dir.path().join("images/ACNS-5.2.1-K9.bin"))
        .unwrap()
        .len();
    // 1,000 kbit/s: 125,000 bytes per lab second.
    let rate_kbps = 1000;
    let needed = image_size as f64 / 125_000.0;
    // Lab time runs 20 times faster than the wall clock.
    let clock = LabClock::real(20.0);
    let mut pace = Pace::link(&clock, rate_kbps);
    assert_eq!(
        pace.time_for(125_000),
        Some(std::time::Duration::from_secs(1))
    );
    let dest = dir.path().join("paced.bin");
    let mut seen = Vec::new();
    let start = clock.now();
    let n = transfer::http_download(
        server.http_addr(),
        "/images/ACNS-5.2.1-K9.bin",
        &dest,
        &mut pace,
        &mut |b| seen.push((b, clock.now())),
    )
    .await
    .unwrap();
    assert_eq!(n, image_size);
    let took = (clock.now() - start).to_std().unwrap().as_secs_f64();
    assert!(
        took >= needed * 0.95,
        "{n} bytes at {rate_kbps} kbit/s took {took:.2} lab seconds, the link needs {needed:.2}"
    );
    // The bytes arrive along the way, not all at the end: half of them within the first ~60% of
    // the time.
    let half = seen.iter().find(|(b, _)| *b >= image_size / 2).unwrap().1;
    let to_half = (half - start).to_std().unwrap().as_secs_f64();
    assert!(
        to_half < took * 0.75,
        "half after {to_half:.2} of {took:.2} s"
    );

    // An upload of the same file at the same pace.
    let mut pace = Pace::link(&clock, rate_kbps);
    let start = clock.now();
    let sent = transfer::ftp_upload(
        &transfer::FtpServer::new(server.ftp_addr(), USER, PASSWORD),
        "/images",
        "paced-upload.bin",
        &dest,
        &mut pace,
    )
    .await
    .unwrap();
    assert_eq!(sent, image_size);
    let took = (clock.now() - start).to_std().unwrap().as_secs_f64();
    assert!(took >= needed * 0.95, "upload took {took:.2} lab seconds");

    // On a virtual clock, no lab time passes and the transfer still completes.
    let clock = LabClock::virtual_at(chrono::Utc::now());
    let start = clock.now();
    let mut pace = Pace::link(&clock, rate_kbps);
    assert_eq!(pace.time_for(1), None);
    let n = transfer::ftp_download(
        &transfer::FtpServer::new(server.ftp_addr(), USER, PASSWORD),
        "/images",
        "ACNS-5.2.1-K9.bin",
        &dest,
        &mut pace,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(n, image_size);
    assert_eq!(clock.now(), start);
    server.stop().await;
}

/// A server that stops sending held a download (and the device, and a CDM job) for ever, while
/// the lab's memory grew with what was typed meanwhile (issue 15, item 2). Now a server silent
/// for the transfer's idle limit fails it with the reason, and nothing is left on the disk:
/// after the headers and 1 MB of a 10 MB body, and before any header at all.
#[tokio::test]
async fn a_server_that_goes_silent_fails_the_transfer_with_the_reason() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for send_headers in [true, false] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await;
            if send_headers {
                let head = "HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\n\r\n";
                socket.write_all(head.as_bytes()).await.unwrap();
                socket.write_all(&vec![7u8; 1 << 20]).await.unwrap();
            }
            // and then nothing, for longer than any test
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            drop(socket);
        });
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("image.bin");
        let mut pace = Pace::unlimited().with_idle_timeout(std::time::Duration::from_secs(1));
        let mut seen = 0;
        let result =
            transfer::http_download(addr, "/image.bin", &dest, &mut pace, &mut |n| seen = n).await;
        assert!(
            matches!(result, Err(TransferError::Stalled(1))),
            "headers sent: {send_headers}: {result:?}"
        );
        assert_eq!(
            result.unwrap_err().to_string(),
            "transfer stalled: the server sent nothing for 1 s"
        );
        assert_eq!(seen > 0, send_headers, "progress seen: {seen}");
        assert!(!dest.exists(), "nothing is left behind");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        server.abort();
    }
}
