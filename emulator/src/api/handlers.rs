//! The handlers of the API's resources: devices, groups, registered files, upgrades and jobs, each
//! a thin call to `upgrade` (rules, answer shapes) or `lab` (registering, starting jobs) on the
//! primary CDM, its answer as JSON. Each carries its OpenAPI description (`#[utoipa::path]`),
//! which `super::openapi` gathers (and completes with the refusals every route gives: 401, 429;
//! and a route taking a body: 400, 413, 415, 422). Knows nothing of logins or of the HTTP layer's errors.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::errors::{ApiError, ErrorBody};
use super::ApiState;
use crate::lab::{register_file, start_upgrade};
use crate::upgrade::{self, DeviceView, FileView, GroupView, JobView, Target, UpgradeError};

type Answer<T> = Result<Json<T>, ApiError>;

/// The CDM's device list: the Devices page, with its Software Version column.
#[utoipa::path(
    get,
    path = "/api/devices",
    tag = "devices",
    responses(
        (status = 200, description = "every device the CDM knows", body = [DeviceView]),
        (status = 503, description = "not the primary, or CMS not running", body = ErrorBody),
    )
)]
pub(super) async fn devices(State(api): State<ApiState>) -> Answer<Vec<DeviceView>> {
    let cdm = api.lab.cdm();
    let reports = upgrade::standby_reports(cdm.device());
    let devices = upgrade::with_primary(cdm.device(), |cms| upgrade::devices(cms))?;
    Ok(Json(upgrade::with_standby_status(devices, &reports)))
}

/// One device, as in the device list.
#[utoipa::path(
    get,
    path = "/api/devices/{name}",
    tag = "devices",
    params(("name" = String, Path, description = "the device's name", example = "ce1")),
    responses(
        (status = 200, description = "the device", body = DeviceView),
        (status = 404, description = "no such device", body = ErrorBody),
        (status = 503, description = "not the primary, or CMS not running", body = ErrorBody),
    )
)]
pub(super) async fn device(
    State(api): State<ApiState>,
    Path(name): Path<String>,
) -> Answer<DeviceView> {
    let cdm = api.lab.cdm();
    let reports = upgrade::standby_reports(cdm.device());
    Ok(Json(upgrade::with_primary(cdm.device(), |cms| {
        upgrade::device(cms, &name, &reports)
    })?))
}

/// The device groups and their members.
#[utoipa::path(
    get,
    path = "/api/groups",
    tag = "groups",
    responses(
        (status = 200, description = "every device group", body = [GroupView]),
        (status = 503, description = "not the primary, or CMS not running", body = ErrorBody),
    )
)]
pub(super) async fn groups(State(api): State<ApiState>) -> Answer<Vec<GroupView>> {
    Ok(Json(upgrade::with_primary(
        api.lab.cdm().device(),
        |cms| upgrade::groups(cms),
    )?))
}

/// One device group, as in the group list.
#[utoipa::path(
    get,
    path = "/api/groups/{name}",
    tag = "groups",
    params(("name" = String, Path, description = "the group's name", example = "edge")),
    responses(
        (status = 200, description = "the group", body = GroupView),
        (status = 404, description = "no such group", body = ErrorBody),
        (status = 503, description = "not the primary, or CMS not running", body = ErrorBody),
    )
)]
pub(super) async fn group(
    State(api): State<ApiState>,
    Path(name): Path<String>,
) -> Answer<GroupView> {
    Ok(Json(upgrade::with_primary(
        api.lab.cdm().device(),
        |cms| upgrade::group(cms, &name),
    )?))
}

/// The registered software update files (System > Software Update).
#[utoipa::path(
    get,
    path = "/api/files",
    tag = "files",
    responses(
        (status = 200, description = "every registered file", body = [FileView]),
        (status = 503, description = "not the primary, or CMS not running", body = ErrorBody),
    )
)]
pub(super) async fn files(State(api): State<ApiState>) -> Answer<Vec<FileView>> {
    Ok(Json(upgrade::with_primary(
        api.lab.cdm().device(),
        |cms| upgrade::files(cms),
    )?))
}

/// One registered file, as in the file list.
#[utoipa::path(
    get,
    path = "/api/files/{id}",
    tag = "files",
    params(("id" = i64, Path, description = "the registration's id")),
    responses(
        (status = 200, description = "the registration", body = FileView),
        (status = 400, description = "the id is not an integer", body = ErrorBody),
        (status = 404, description = "no such registration", body = ErrorBody),
        (status = 503, description = "not the primary, or CMS not running", body = ErrorBody),
    )
)]
pub(super) async fn file(State(api): State<ApiState>, Path(id): Path<i64>) -> Answer<FileView> {
    Ok(Json(upgrade::with_primary(
        api.lab.cdm().device(),
        |cms| upgrade::file(cms, id),
    )?))
}

/// A meta file URL to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RegisterRequest {
    /// `ftp://` or `http://` URL of a meta file on an image server of the lab.
    #[schema(example = "http://10.1.1.100/meta/ACNS-5.2.1-K9-http.meta")]
    url: String,
    /// The FTP server's login (default `anonymous`).
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// Register a meta file URL: the CDM fetches and checks it.
#[utoipa::path(
    post,
    path = "/api/files",
    tag = "files",
    request_body = RegisterRequest,
    responses(
        (status = 200, description = "registered", body = FileView),
        (status = 400, description = "not a meta file, an image URL, no server there, a failed FTP login, a bad body", body = ErrorBody),
        (status = 404, description = "the file is not on the server", body = ErrorBody),
        (status = 409, description = "the URL is already registered", body = ErrorBody),
        (status = 503, description = "not the primary, or CMS not running", body = ErrorBody),
    )
)]
pub(super) async fn register(
    State(api): State<ApiState>,
    Json(req): Json<RegisterRequest>,
) -> Answer<FileView> {
    let file = register_file(
        &api.lab,
        &req.url,
        req.user.as_deref(),
        req.password.as_deref(),
    )
    .await?;
    Ok(Json(file))
}

/// Delete a registration.
#[utoipa::path(
    delete,
    path = "/api/files/{id}",
    tag = "files",
    params(("id" = i64, Path, description = "the registration's id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 404, description = "no such registration", body = ErrorBody),
        (status = 503, description = "not the primary, or CMS not running", body = ErrorBody),
    )
)]
pub(super) async fn unregister(
    State(api): State<ApiState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    upgrade::with_primary(api.lab.cdm().device(), |cms| upgrade::unregister(cms, id))?;
    Ok(StatusCode::NO_CONTENT)
}

/// An upgrade to start: a registered file and exactly one of `device` and `group`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct UpgradeRequest {
    /// The registration's id.
    file: i64,
    /// A CE or CR registered with this CDM.
    #[serde(default)]
    #[schema(example = "ce1")]
    device: Option<String>,
    /// A device group: one job per CE of it.
    #[serde(default)]
    group: Option<String>,
}

/// Start upgrade jobs: one per device, run in the background.
#[utoipa::path(
    post,
    path = "/api/upgrades",
    tag = "upgrades",
    request_body = UpgradeRequest,
    responses(
        (status = 200, description = "the new jobs' ids", body = [i64]),
        (status = 400, description = "neither or both of device and group, a CDM as target, an empty group, a bad body", body = ErrorBody),
        (status = 404, description = "no such file, device or group", body = ErrorBody),
        (status = 409, description = "a single device this CDM cannot upgrade, saying why", body = ErrorBody),
        (status = 503, description = "not the primary, or CMS not running", body = ErrorBody),
    )
)]
pub(super) async fn upgrade_request(
    State(api): State<ApiState>,
    Json(req): Json<UpgradeRequest>,
) -> Answer<Vec<i64>> {
    let target = match (req.device, req.group) {
        (Some(d), None) => Target::Device(d),
        (None, Some(g)) => Target::Group(g),
        _ => {
            return Err(
                UpgradeError::BadRequest("give either \"device\" or \"group\"".into()).into(),
            )
        }
    };
    Ok(Json(start_upgrade(&api.lab, req.file, &target)?))
}

/// The upgrade jobs, oldest first.
#[utoipa::path(
    get,
    path = "/api/jobs",
    tag = "upgrades",
    responses(
        (status = 200, description = "every job", body = [JobView]),
        (status = 503, description = "not the primary, or CMS not running", body = ErrorBody),
    )
)]
pub(super) async fn jobs(State(api): State<ApiState>) -> Answer<Vec<JobView>> {
    Ok(Json(upgrade::with_primary(
        api.lab.cdm().device(),
        |cms| upgrade::jobs(cms),
    )?))
}

/// One job with its status history.
#[utoipa::path(
    get,
    path = "/api/jobs/{id}",
    tag = "upgrades",
    params(("id" = i64, Path, description = "the job's id")),
    responses(
        (status = 200, description = "the job", body = JobView),
        (status = 400, description = "the id is not an integer", body = ErrorBody),
        (status = 404, description = "no such job", body = ErrorBody),
        (status = 503, description = "not the primary, or CMS not running", body = ErrorBody),
    )
)]
pub(super) async fn job(State(api): State<ApiState>, Path(id): Path<i64>) -> Answer<JobView> {
    Ok(Json(upgrade::with_primary(
        api.lab.cdm().device(),
        |cms| upgrade::job(cms, id),
    )?))
}
