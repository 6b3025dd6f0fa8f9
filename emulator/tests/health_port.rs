//! The lab's health port as a probe or a person meets it: an address it does not serve answers
//! 404 naming the routes it does serve, and each route named answers; an exercise's lab serves
//! `/exercise` beside `/healthz` and `/metrics`, and its 404 names it too. Real lab, real HTTP.

use std::net::SocketAddr;
use std::path::Path;

use acnslab::clock::LabClock;
use acnslab::exercise::http::{health_port, GraderSlot};
use acnslab::lab::{Lab, LabHttp, LabOptions};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A lab of `dir` with `http` on its health port, every port a free one, on a virtual clock.
async fn lab_with(dir: &Path, http: LabHttp) -> Lab {
    let mut options = LabOptions::new(dir);
    options.lab_http = Some(http);
    options.base_port = Some(0);
    options.clock = Some(LabClock::virtual_at(chrono::Utc::now()));
    Lab::start(options).await.unwrap()
}

/// `GET path` on `addr`: the status and the body.
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {response:?}"));
    (status, body.to_string())
}

/// The paths the 404 of `addr` names (`not found: use /a, /b or /c`).
async fn paths_named_by_the_404(addr: SocketAddr) -> Vec<String> {
    let (status, body) = get(addr, "/no-such-route").await;
    assert_eq!(status, 404, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let message = error["error"].as_str().unwrap_or_default().to_string();
    let (_, listed) = message
        .split_once("use ")
        .unwrap_or_else(|| panic!("no routes named: {message}"));
    listed
        .split([',', ' '])
        .filter(|w| w.starts_with('/'))
        .map(str::to_string)
        .collect()
}

/// Every path the 404 names answers, and every path of `served` is named.
async fn the_404_names_what_is_served(addr: SocketAddr, served: &[&str]) {
    let named = paths_named_by_the_404(addr).await;
    for path in &named {
        let (status, body) = get(addr, path).await;
        assert_ne!(
            status, 404,
            "{path} is named by the 404 but not served: {body}"
        );
    }
    for path in served {
        let (status, body) = get(addr, path).await;
        assert_ne!(status, 404, "{path}: {body}");
        assert!(
            named.iter().any(|n| n == path),
            "{path} is served but the 404 names only {named:?}"
        );
    }
}

#[tokio::test]
async fn the_404_of_the_health_port_names_the_routes_it_serves() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab_with(tmp.path(), acnslab::observe::service()).await;
    let addr = lab.health_addr().expect("a health port");
    the_404_names_what_is_served(addr, &["/healthz", "/metrics"]).await;
    lab.shutdown().await;
}

#[tokio::test]
async fn an_exercises_health_port_names_exercise_in_its_404() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab_with(tmp.path(), health_port(GraderSlot::default())).await;
    let addr = lab.health_addr().expect("a health port");
    // before the setup has run, /exercise answers 503: served all the same
    the_404_names_what_is_served(addr, &["/healthz", "/metrics", "/exercise"]).await;
    lab.shutdown().await;
}
