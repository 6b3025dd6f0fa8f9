//! Asks one lab for its grade: `GET /exercise` on its health port (`exercise::http`), one
//! HTTP/1.1 request on a connection of its own, the whole exchange under a time limit; the host is
//! a name (a pod's, resolved here) or an address. The answer is the [`Grade`], or why there is
//! none, in words for the page.

use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};

use super::labs::LabUrl;
use crate::exercise::Grade;

/// The most a grade may weigh.
const MAX_BODY: usize = 1 << 20;

/// The grade of the lab at `url`, or why there is none.
pub async fn grade(url: &LabUrl, timeout: Duration) -> Result<Grade, String> {
    match tokio::time::timeout(timeout, ask(url)).await {
        Ok(answer) => answer,
        Err(_) => Err(format!("no answer within {} s", timeout.as_secs())),
    }
}

async fn ask(url: &LabUrl) -> Result<Grade, String> {
    let stream = tokio::net::TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| e.to_string())?;
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    let drive = async move {
        let _ = connection.await;
        std::future::pending::<std::convert::Infallible>().await
    };
    let host = match url.port {
        80 => url.host.clone(),
        port if url.host.contains(':') => format!("[{}]:{port}", url.host),
        port => format!("{}:{port}", url.host),
    };
    let request = hyper::Request::builder()
        .method("GET")
        .uri(crate::exercise::http::PATH)
        .header("host", host)
        .body(Empty::<bytes::Bytes>::new())
        .map_err(|e| e.to_string())?;
    let exchange = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok::<_, String>((status, body))
    };
    let (status, body) = tokio::select! {
        answer = exchange => answer?,
        never = drive => match never {},
    };
    match status {
        200 => serde_json::from_slice(&body).map_err(|e| format!("not a grade: {e}")),
        404 => Err("no exercise runs there (HTTP 404)".into()),
        _ => {
            // the lab says why: {"error": "..."}
            let why = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_string))
                .unwrap_or_else(|| format!("HTTP {status}"));
            Err(why)
        }
    }
}
