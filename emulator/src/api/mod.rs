//! The CDM's HTTP API (JSON; see docs/api.md): what the guide does in the CDM GUI, for scripts,
//! scenario files and `acnslab cdm`. Each CDM listens on loopback; only the primary answers, a
//! standby says so (503). Handlers call `upgrade` and the lab; they hold no state of their own.
//! `guard` checks `Host` and `Origin` on every request, API and web pages alike.

mod guard;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::lab::{register_file, start_upgrade, CdmHttp, CdmShared};
use crate::upgrade::{self, Target, UpgradeError};

pub(crate) type Shared = CdmShared;

impl IntoResponse for UpgradeError {
    fn into_response(self) -> Response {
        let code = match self {
            UpgradeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            UpgradeError::NotFound(_) => StatusCode::NOT_FOUND,
            UpgradeError::Conflict(_) => StatusCode::CONFLICT,
            UpgradeError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        (code, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

/// The routes: the JSON API under `/api`, the web pages (`crate::web`) elsewhere, all behind the
/// `Host`/`Origin` guard of the port they are served on.
pub fn router(lab: Shared) -> Router {
    let port = lab.http_addr().map(|a| a.port());
    Router::new()
        .route("/api/devices", get(devices))
        .route("/api/groups", get(groups))
        .route("/api/files", get(files).post(register))
        .route("/api/files/{id}", delete(unregister))
        .route("/api/upgrades", post(upgrade_request))
        .route("/api/jobs", get(jobs))
        .route("/api/jobs/{id}", get(job))
        .with_state(lab.clone())
        .merge(crate::web::routes(lab, Default::default()))
        .layer(axum::middleware::from_fn_with_state(port, guard::check))
}

/// What a CDM serves on its HTTP port: the API and the web pages (for [`crate::lab::LabOptions`]).
pub fn service() -> CdmHttp {
    std::sync::Arc::new(router)
}

type Answer<T> = Result<Json<T>, UpgradeError>;

async fn devices(State(lab): State<Shared>) -> Answer<Vec<upgrade::DeviceView>> {
    let reports = upgrade::standby_reports(lab.cdm().device());
    upgrade::with_primary(lab.cdm().device(), |cms| upgrade::devices(cms))
        .map(|devices| Json(upgrade::with_standby_status(devices, &reports)))
}

async fn groups(State(lab): State<Shared>) -> Answer<Vec<upgrade::GroupView>> {
    upgrade::with_primary(lab.cdm().device(), |cms| upgrade::groups(cms)).map(Json)
}

async fn files(State(lab): State<Shared>) -> Answer<Vec<upgrade::FileView>> {
    upgrade::with_primary(lab.cdm().device(), |cms| upgrade::files(cms)).map(Json)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
    url: String,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

async fn register(
    State(lab): State<Shared>,
    Json(req): Json<RegisterRequest>,
) -> Answer<upgrade::FileView> {
    register_file(&lab, &req.url, req.user.as_deref(), req.password.as_deref())
        .await
        .map(Json)
}

async fn unregister(
    State(lab): State<Shared>,
    Path(id): Path<i64>,
) -> Result<StatusCode, UpgradeError> {
    upgrade::with_primary(lab.cdm().device(), |cms| upgrade::unregister(cms, id))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpgradeRequest {
    file: i64,
    #[serde(default)]
    device: Option<String>,
    #[serde(default)]
    group: Option<String>,
}

async fn upgrade_request(
    State(lab): State<Shared>,
    Json(req): Json<UpgradeRequest>,
) -> Answer<Vec<i64>> {
    let target = match (req.device, req.group) {
        (Some(d), None) => Target::Device(d),
        (None, Some(g)) => Target::Group(g),
        _ => {
            return Err(UpgradeError::BadRequest(
                "give either \"device\" or \"group\"".into(),
            ))
        }
    };
    start_upgrade(&lab, req.file, &target).map(Json)
}

async fn jobs(State(lab): State<Shared>) -> Answer<Vec<upgrade::JobView>> {
    upgrade::with_primary(lab.cdm().device(), |cms| upgrade::jobs(cms)).map(Json)
}

async fn job(State(lab): State<Shared>, Path(id): Path<i64>) -> Answer<upgrade::JobView> {
    let all = upgrade::with_primary(lab.cdm().device(), |cms| upgrade::jobs(cms))?;
    all.into_iter()
        .find(|j| j.id == id)
        .map(Json)
        .ok_or_else(|| UpgradeError::NotFound(format!("no job {id}")))
}

/// Why a call to a CDM's API got no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{addr}: {source}")]
    Connect {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("{source}")]
    Http {
        addr: std::net::SocketAddr,
        source: hyper::Error,
    },
    #[error("bad request: {0}")]
    Request(#[from] axum::http::Error),
    #[error("bad JSON from the CDM: {0}")]
    Json(#[from] serde_json::Error),
}

/// A client call to a CDM's API: `method` `path` with an optional JSON body; returns the status
/// code and the JSON answer (`null` when empty). Used by `acnslab cdm` and the tests.
pub async fn call(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<(u16, serde_json::Value), CallError> {
    use http_body_util::{BodyExt, Full};
    let http = |source| CallError::Http { addr, source };
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|source| CallError::Connect { addr, source })?;
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(http)?;
    // Driven beside the request in this task; once it ends it stays pending, so the request side
    // decides the outcome.
    let drive = async move {
        let _ = connection.await;
        std::future::pending::<std::convert::Infallible>().await
    };
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .body(Full::new(bytes::Bytes::from(payload)))?;
    let exchange = async {
        let response = sender.send_request(request).await.map_err(http)?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(http)?
            .to_bytes();
        Ok::<_, CallError>((status, bytes))
    };
    let (status, bytes) = tokio::select! {
        answered = exchange => answered?,
        never = drive => match never {},
    };
    let value = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes)?
    };
    Ok((status, value))
}
