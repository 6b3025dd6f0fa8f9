//! The handlers of the API's resources: devices, groups, registered files, upgrades and jobs, each
//! a thin call to `upgrade` (rules, answer shapes) or `lab` (registering, starting jobs) on the
//! primary CDM, its answer as JSON. Knows nothing of logins or of the HTTP layer's errors.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::errors::ApiError;
use super::ApiState;
use crate::lab::{register_file, start_upgrade};
use crate::upgrade::{self, DeviceView, FileView, GroupView, JobView, Target, UpgradeError};

type Answer<T> = Result<Json<T>, ApiError>;

/// The CDM's device list: the Devices page, with its Software Version column.
pub(super) async fn devices(State(api): State<ApiState>) -> Answer<Vec<DeviceView>> {
    let cdm = api.lab.cdm();
    let reports = upgrade::standby_reports(cdm.device());
    let devices = upgrade::with_primary(cdm.device(), |cms| upgrade::devices(cms))?;
    Ok(Json(upgrade::with_standby_status(devices, &reports)))
}

/// One device, as in the device list.
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
pub(super) async fn groups(State(api): State<ApiState>) -> Answer<Vec<GroupView>> {
    Ok(Json(upgrade::with_primary(
        api.lab.cdm().device(),
        |cms| upgrade::groups(cms),
    )?))
}

/// One device group, as in the group list.
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
pub(super) async fn files(State(api): State<ApiState>) -> Answer<Vec<FileView>> {
    Ok(Json(upgrade::with_primary(
        api.lab.cdm().device(),
        |cms| upgrade::files(cms),
    )?))
}

/// One registered file, as in the file list.
pub(super) async fn file(State(api): State<ApiState>, Path(id): Path<i64>) -> Answer<FileView> {
    Ok(Json(upgrade::with_primary(
        api.lab.cdm().device(),
        |cms| upgrade::file(cms, id),
    )?))
}

/// A meta file URL to register.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RegisterRequest {
    /// `ftp://` or `http://` URL of a meta file on an image server of the lab.
    url: String,
    /// The FTP server's login (default `anonymous`).
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// Register a meta file URL: the CDM fetches and checks it.
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
pub(super) async fn unregister(
    State(api): State<ApiState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    upgrade::with_primary(api.lab.cdm().device(), |cms| upgrade::unregister(cms, id))?;
    Ok(StatusCode::NO_CONTENT)
}

/// An upgrade to start: a registered file and exactly one of `device` and `group`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UpgradeRequest {
    /// The registration's id.
    file: i64,
    /// A CE or CR registered with this CDM.
    #[serde(default)]
    device: Option<String>,
    /// A device group: one job per CE of it.
    #[serde(default)]
    group: Option<String>,
}

/// Start upgrade jobs: one per device, run in the background.
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
pub(super) async fn jobs(State(api): State<ApiState>) -> Answer<Vec<JobView>> {
    Ok(Json(upgrade::with_primary(
        api.lab.cdm().device(),
        |cms| upgrade::jobs(cms),
    )?))
}

/// One job with its status history.
pub(super) async fn job(State(api): State<ApiState>, Path(id): Path<i64>) -> Answer<JobView> {
    Ok(Json(upgrade::with_primary(
        api.lab.cdm().device(),
        |cms| upgrade::job(cms, id),
    )?))
}
