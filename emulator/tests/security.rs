//! Issue 15, "bounded and safe under abuse", the parts on a shared host: the lab's secrets are
//! private to its user (modes 0600/0700, also for files an older lab left 0644), the CDM's HTTP
//! port answers only requests addressed to it (`Host`, DNS rebinding) and refuses cross-origin
//! state changes (CSRF). Real lab, real HTTP over TCP.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::util::default_lab;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn secrets(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = vec![dir.join("lab.json"), dir.join("topology.yaml")];
    for device in ["cdm1", "cdm2", "ce1", "cr1"] {
        let d = dir.join("devices").join(device);
        files.push(d.join("ssh_host_ed25519_key"));
        files.push(d.join("startup-config"));
        files.push(d.join("device.json"));
    }
    files.push(dir.join("devices/cdm1/cms.db"));
    files
}

#[tokio::test]
async fn lab_json_host_keys_and_cms_files_are_private_and_old_ones_are_tightened() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("state");
    let lab = default_lab(&dir).await;
    assert_eq!(mode(&dir), 0o700);
    for file in secrets(&dir) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    lab.shutdown().await;
    // a lab made before: everything readable by others
    for file in secrets(&dir) {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    // a file of the user's own in the state directory is not the lab's to change
    let own = dir.join("notes.txt");
    std::fs::write(&own, "mine").unwrap();
    std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o644)).unwrap();
    let lab = default_lab(&dir).await;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&own), 0o644);
    for file in secrets(&dir) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    lab.shutdown().await;
}

/// The default lab's CDM administrator (`admin:default`) as an HTTP Basic header line.
const ADMIN_BASIC: &str = "Authorization: Basic YWRtaW46ZGVmYXVsdA==\r\n";

/// One raw HTTP/1.1 request with the given extra header lines; the status and the body.
async fn raw(addr: &str, method: &str, path: &str, headers: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = if method == "POST" { "{}" } else { "" };
    let request = format!(
        "{method} {path} HTTP/1.1\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn the_cdm_http_port_refuses_foreign_hosts_and_cross_origin_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = default_lab(tmp.path()).await;
    let api = lab.info().devices[0].api.clone().unwrap();
    let port = api.rsplit(':').next().unwrap().to_string();

    // the names this host reaches it by
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let headers = format!("Host: {host}\r\n{ADMIN_BASIC}");
        let (status, body) = raw(&api, "GET", "/api/devices", &headers).await;
        assert_eq!(status, 200, "{host}: {body}");
    }
    // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1
    let (status, body) = raw(
        &api,
        "GET",
        "/api/devices",
        &format!("Host: evil.example:{port}\r\n"),
    )
    .await;
    assert_eq!(status, 421, "{body}");
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        error["error"].as_str().unwrap().contains("evil.example"),
        "{body}"
    );
    let (status, _) = raw(
        &api,
        "GET",
        "/login",
        &format!("Host: evil.example:{port}\r\n"),
    )
    .await;
    assert_eq!(status, 421);

    // CSRF: a form or fetch from another origin that would change state
    let own = format!("Host: 127.0.0.1:{port}\r\n{ADMIN_BASIC}");
    let (status, body) = raw(
        &api,
        "POST",
        "/api/files",
        &format!("{own}Origin: http://evil.example\r\n"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("cross-origin"), "{body}");
    let (status, _) = raw(&api, "POST", "/login", &format!("{own}Origin: null\r\n")).await;
    assert_eq!(status, 403);
    // the same origin passes the guard (and reaches the route, which finds the body wanting)
    let (status, body) = raw(
        &api,
        "POST",
        "/api/files",
        &format!("{own}Origin: http://127.0.0.1:{port}\r\n"),
    )
    .await;
    assert!(status != 403 && status != 421, "{status} {body}");
    // the library's own client still works
    let client = acnslab::api::Client::of(&lab.info().devices[0]).unwrap();
    let (status, _) = client.call("GET", "/api/devices", None).await.unwrap();
    assert_eq!(status, 200);
    lab.shutdown().await;
}

/// A form POST; the status and the `location` it redirects to.
async fn post_form(addr: &str, path: &str, form: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let location = response
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap_or_default()
        .to_string();
    (status, location)
}

/// Issue 15 item 10: the web login allowed ~8,700 guesses a second.
#[tokio::test]
async fn web_logins_are_locked_after_five_failures_in_a_minute() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = default_lab(tmp.path()).await;
    let api = lab.info().devices[0].api.clone().unwrap();
    let (_, first) = post_form(&api, "/login", "username=admin&password=default").await;
    assert_eq!(first, "/devices/ce", "the right password logs in");
    for _ in 0..5 {
        let (status, location) = post_form(&api, "/login", "username=admin&password=guess").await;
        assert_eq!(status, 303);
        assert!(location.contains("Login%20failed"), "{location}");
    }
    let (_, location) = post_form(&api, "/login", "username=admin&password=default").await;
    assert!(
        location.contains("Too%20many%20failed%20logins"),
        "{location}"
    );
    lab.shutdown().await;
}

/// Sends half a request head, a byte every second, and returns how long the server kept the
/// connection (it closes it, or `None` after `give_up`).
async fn slowloris(addr: String, give_up: std::time::Duration) -> Option<std::time::Duration> {
    let started = std::time::Instant::now();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let mut buf = [0u8; 512];
    while started.elapsed() < give_up {
        if stream.write_all(b"X").await.is_err() {
            return Some(started.elapsed());
        }
        match tokio::time::timeout(std::time::Duration::from_secs(1), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            // a 408 or similar: the server is closing
            Ok(Ok(_)) => return Some(started.elapsed()),
            Err(_) => {}
        }
    }
    None
}

/// A request whose body stops arriving held its connection (and a handler) for ever; now the CDM
/// answers 400 once no piece of the body has come for `BODY_READ_TIMEOUT`.
#[tokio::test]
async fn the_cdm_fails_a_request_whose_body_stops_arriving() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = default_lab(tmp.path()).await;
    let api = lab.info().devices[0].api.clone().unwrap();
    let started = std::time::Instant::now();
    let mut stream = tokio::net::TcpStream::connect(&api).await.unwrap();
    let host = api.clone();
    stream
        .write_all(
            format!(
                "POST /api/files HTTP/1.1\r\nHost: {host}\r\n{ADMIN_BASIC}Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"url\": \"ftp://"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let limit = acnslab::lab::BODY_READ_TIMEOUT;
    let mut reply = Vec::new();
    let read = tokio::time::timeout(limit + std::time::Duration::from_secs(10), async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => reply.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let waited = started.elapsed();
    assert!(read.is_ok(), "still open after {waited:?}");
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    // in the API's one error shape
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    let error: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {reply}"));
    assert!(error["error"].is_string(), "{reply}");
    assert!(
        waited >= limit - std::time::Duration::from_secs(1),
        "answered after {waited:?}: {reply}"
    );
    lab.shutdown().await;
}

/// Issue 15 item 10: no header-read timeout on the API or the image HTTP server (slowloris).
#[tokio::test]
async fn the_http_servers_close_a_client_that_never_finishes_its_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = default_lab(tmp.path()).await;
    let info = lab.info();
    let api = info.devices[0].api.clone().unwrap();
    let images = info.servers[0].http.clone().unwrap();
    let limit = acnslab::images::server::HEADER_READ_TIMEOUT;
    let give_up = limit + std::time::Duration::from_secs(10);
    let (api_kept, images_kept) = tokio::join!(slowloris(api, give_up), slowloris(images, give_up));
    for (server, kept) in [("api", api_kept), ("images", images_kept)] {
        let kept = kept.unwrap_or_else(|| panic!("{server}: still open after {give_up:?}"));
        assert!(
            kept >= limit - std::time::Duration::from_secs(1),
            "{server}: {kept:?}"
        );
    }
    lab.shutdown().await;
}
