//! The CDM's HTTP API (JSON; see docs/api.md): what the guide does in the CDM GUI, for scripts,
//! scenario files and `acnslab cdm`. Each CDM listens on loopback; only the primary answers, a
//! standby says so (503). Handlers call `upgrade` and the lab; they hold no state of their own.
//! `guard` checks `Host` and `Origin` on every request, API and web pages alike; `client` is the
//! client `acnslab cdm`, the scenario runner and the tests call the API with.

mod client;
mod guard;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

pub use client::{Auth, CallError, Client};

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
