//! Upgrades managed by the primary CDM (spec §9, the guide's GUI procedures): registered meta file
//! URLs, device groups, and upgrade jobs that make a CE or CR really download its image (a
//! prepositioned download over the lab's FTP/HTTP servers), report the status messages of the
//! guide's table 7-2 into the CDM's job history and the device's system log, then install and reboot.
//! The device's version in the CDM's table changes only when it comes back and registers with it.
//! Everything is stored in the CDM's CMS database, so it replicates to the standby.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::cms::Cms;
use crate::config::{CdmRole, DeviceKind};
use crate::device::{Device, StandbyReport};
use crate::images::meta::{self, ImageUrl, MetaFile};
use crate::images::transfer;
use crate::network::Network;
use crate::release::Version;
use crate::text::upgrade as text;

/// Why an API request was refused; the HTTP layer maps the kind to a status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpgradeError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
}

use UpgradeError::*;

/// A registered software update file (a meta file URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FileView {
    pub id: i64,
    pub url: String,
    pub version: String,
    pub size: u64,
    pub description: String,
    /// When it was registered: lab time, RFC 3339 in UTC to the second.
    #[schema(example = "2026-11-26T09:36:14Z")]
    pub registered_at: String,
}

/// A device as the CDM's Devices page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    pub name: String,
    pub kind: String,
    pub ip: String,
    /// The "Software Version" column: an upgrade's status message while one is under way or failed,
    /// the version otherwise.
    pub software_version: String,
    /// Why the job whose message the Software Version column shows failed (only then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub version: String,
    pub status: String,
    /// A standby CDM: its state as it last reported it to this primary (`in sync`, `updating:
    /// ...`, `version mismatch: ...`, `primary unreachable`, `CMS disabled`; see
    /// `crate::standby::StandbyState::line`), with the time of the report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standby_status: Option<String>,
    /// When the standby reported `standby_status`: lab time, RFC 3339 in UTC to the second.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "2026-11-26T09:36:14Z")]
    pub standby_reported_at: Option<String>,
}

/// A device group and its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    pub name: String,
    pub devices: Vec<String>,
}

/// An upgrade job with its status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: i64,
    pub device: String,
    pub file: i64,
    pub status: String,
    /// Every status message with its time: `[time, message]`, oldest first; the time is lab time,
    /// RFC 3339 in UTC to the second.
    pub history: Vec<(String, String)>,
    /// Why the job failed (`null` unless it failed).
    pub reason: Option<String>,
}

/// The phase of a job by its status message (table 7-2): `proceeding`, `in_progress`,
/// `successful` or `failed` (the metrics' `status` label: a few values, not one per MB).
pub fn job_phase(status: &str) -> &'static str {
    let in_progress = text::IN_PROGRESS.split("{0}").next().unwrap_or_default();
    if status == text::SUCCESSFUL {
        "successful"
    } else if status == text::FAILED {
        "failed"
    } else if status.starts_with(in_progress) {
        "in_progress"
    } else {
        "proceeding"
    }
}

fn unavailable(e: impl std::fmt::Display) -> UpgradeError {
    Unavailable(e.to_string())
}

/// Runs `f` on the CDM's database when the CDM is up, its CMS runs, and it is the primary.
pub fn with_primary<T>(
    cdm: &Device,
    f: impl FnOnce(&mut Cms) -> Result<T, UpgradeError>,
) -> Result<T, UpgradeError> {
    let mut state = cdm.state();
    if state.power != crate::device::Power::Running
        || state.cms_service() != crate::device::CmsService::Running
    {
        return Err(Unavailable("the CDM's CMS service is not running".into()));
    }
    if state.running.cdm_role != Some(CdmRole::Primary) {
        return Err(Unavailable(text::NOT_PRIMARY.into()));
    }
    let cms = state
        .cms
        .as_mut()
        .ok_or_else(|| Unavailable("not a CDM".into()))?;
    f(cms)
}

fn text_of(row: &Map<String, Value>, key: &str) -> String {
    match row.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn int_of(row: &Map<String, Value>, key: &str) -> i64 {
    row.get(key).and_then(Value::as_i64).unwrap_or(0)
}

/// A time as every view gives it: RFC 3339 in UTC, to the second (`2026-11-26T09:36:14Z`).
pub fn view_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A stored time (RFC 3339 as the lab clock wrote it, to the nanosecond) as every view gives it
/// ([`view_time`]); a text that is no time stays as it is.
fn stored_time_in_view(stored: &str) -> String {
    DateTime::parse_from_rfc3339(stored)
        .map(|t| view_time(t.with_timezone(&Utc)))
        .unwrap_or_else(|_| stored.to_string())
}

fn file_view(row: &Map<String, Value>) -> FileView {
    FileView {
        id: int_of(row, "id"),
        url: text_of(row, "url"),
        version: text_of(row, "version"),
        size: int_of(row, "size") as u64,
        description: text_of(row, "description"),
        registered_at: stored_time_in_view(&text_of(row, "registered_at")),
    }
}

/// The registered files.
pub fn files(cms: &Cms) -> Result<Vec<FileView>, UpgradeError> {
    Ok(cms
        .rows("update_files")
        .map_err(unavailable)?
        .iter()
        .map(file_view)
        .collect())
}

/// Fetches the file behind `url` (a meta file) through the lab network's servers.
pub async fn fetch(
    network: &Network,
    url: &str,
    user: Option<&str>,
    password: Option<&str>,
) -> Result<Vec<u8>, UpgradeError> {
    let parsed: ImageUrl = url
        .parse()
        .map_err(|e: meta::BadUrl| BadRequest(e.to_string()))?;
    let server = network
        .server(parsed.host())
        .ok_or_else(|| BadRequest(format!("no FTP/HTTP server at {}", parsed.host())))?;
    const LIMIT: usize = 64 * 1024;
    let result = match &parsed {
        ImageUrl::Ftp { dir, file, .. } => {
            let addr = server
                .ftp
                .ok_or_else(|| BadRequest(format!("no FTP server at {}", parsed.host())))?;
            transfer::ftp_fetch(
                &transfer::FtpServer::new(
                    addr,
                    user.unwrap_or("anonymous"),
                    password.unwrap_or(""),
                ),
                dir,
                file,
                LIMIT,
            )
            .await
        }
        ImageUrl::Http { path, .. } => {
            let addr = server
                .http
                .ok_or_else(|| BadRequest(format!("no HTTP server at {}", parsed.host())))?;
            transfer::http_fetch(addr, path, LIMIT).await
        }
    };
    result.map_err(|e| match e {
        e @ (transfer::TransferError::NotFound(_) | transfer::TransferError::NoDirectory(_)) => {
            NotFound(e.to_string())
        }
        // A meta file is a few lines; anything this large is an image (or not a meta file at all).
        transfer::TransferError::TooLarge(_) => BadRequest(text::IMAGE_NOT_META.into()),
        other => BadRequest(other.to_string()),
    })
}

/// Registers a meta file URL whose content was fetched (`bytes`). The same URL twice is refused,
/// even if the file behind it changed, also when written otherwise (a query, `//`, `%6D`, the
/// default port); an image URL is refused.
pub fn register(
    cms: &mut Cms,
    url: &str,
    bytes: &[u8],
    now: &str,
) -> Result<FileView, UpgradeError> {
    if meta::looks_like_image(bytes) {
        return Err(BadRequest(text::IMAGE_NOT_META.into()));
    }
    let text = String::from_utf8_lossy(bytes);
    let parsed = meta::parse(&text, url).map_err(|e| BadRequest(e.to_string()))?;
    let rows = cms.rows("update_files").map_err(unavailable)?;
    let same_file = |other: &str| url_identity(other) == url_identity(url);
    if rows.iter().any(|r| same_file(&text_of(r, "url"))) {
        return Err(Conflict(text::ALREADY_REGISTERED.into()));
    }
    // A new registration never takes the id of a deleted one that jobs still name.
    let jobs = cms.rows("jobs").map_err(unavailable)?;
    let id = rows
        .iter()
        .map(|r| int_of(r, "id"))
        .chain(jobs.iter().map(|j| int_of(j, "update_file")))
        .max()
        .unwrap_or(0)
        + 1;
    let mut row = Map::new();
    row.insert("id".into(), id.into());
    row.insert("url".into(), url.into());
    row.insert("version".into(), parsed.version_text.clone().into());
    row.insert("size".into(), parsed.update_file_size.into());
    row.insert(
        "description".into(),
        parsed.description.clone().unwrap_or_default().into(),
    );
    row.insert("registered_at".into(), now.into());
    row.insert("meta".into(), text.into_owned().into());
    let view = file_view(&row);
    cms.put("update_files", row).map_err(unavailable)?;
    Ok(view)
}

/// What the duplicate-URL rule compares: the file a URL names (`ImageUrl::identity`), so that
/// `...meta?x=1` or `...//meta` is the same URL; the text itself when it does not parse.
fn url_identity(url: &str) -> String {
    url.parse::<ImageUrl>()
        .map(|u| u.identity())
        .unwrap_or_else(|_| url.to_string())
}

/// Deletes a registration.
pub fn unregister(cms: &mut Cms, id: i64) -> Result<(), UpgradeError> {
    let rows = cms.rows("update_files").map_err(unavailable)?;
    if !rows.iter().any(|r| int_of(r, "id") == id) {
        return Err(NotFound(text::NO_SUCH_FILE.replace("{0}", &id.to_string())));
    }
    cms.remove("update_files", &id.to_string())
        .map_err(unavailable)?;
    Ok(())
}

/// One registered file.
pub fn file(cms: &Cms, id: i64) -> Result<FileView, UpgradeError> {
    files(cms)?
        .into_iter()
        .find(|f| f.id == id)
        .ok_or_else(|| NotFound(text::NO_SUCH_FILE.replace("{0}", &id.to_string())))
}

/// The device groups.
pub fn groups(cms: &Cms) -> Result<Vec<GroupView>, UpgradeError> {
    let members = cms.rows("group_members").map_err(unavailable)?;
    Ok(cms
        .rows("device_groups")
        .map_err(unavailable)?
        .iter()
        .map(|g| {
            let name = text_of(g, "name");
            let devices = members
                .iter()
                .filter(|m| text_of(m, "group_name") == name)
                .map(|m| text_of(m, "device"))
                .collect();
            GroupView { name, devices }
        })
        .collect())
}

/// One device group.
pub fn group(cms: &Cms, name: &str) -> Result<GroupView, UpgradeError> {
    groups(cms)?
        .into_iter()
        .find(|g| g.name == name)
        .ok_or_else(|| NotFound(text::NO_SUCH_GROUP.replace("{0}", name)))
}

/// Creates a group with members unless it exists (the lab's topology groups, at start).
pub fn ensure_group(cms: &mut Cms, name: &str, devices: &[String]) -> Result<(), UpgradeError> {
    if groups(cms)?.iter().any(|g| g.name == name) {
        return Ok(());
    }
    let mut row = Map::new();
    row.insert("name".into(), name.into());
    cms.put("device_groups", row).map_err(unavailable)?;
    let members = devices.iter().map(|d| {
        let mut m = Map::new();
        m.insert("id".into(), format!("{name}/{d}").into());
        m.insert("group_name".into(), name.into());
        m.insert("device".into(), d.clone().into());
        m
    });
    cms.put_many("group_members", members)
        .map_err(unavailable)?;
    Ok(())
}

/// The jobs, newest last.
pub fn jobs(cms: &Cms) -> Result<Vec<JobView>, UpgradeError> {
    let mut jobs = stored_jobs(cms)?;
    for job in &mut jobs {
        for (at, _) in &mut job.history {
            *at = stored_time_in_view(at);
        }
    }
    Ok(jobs)
}

/// The jobs, newest last, with their history's times as stored (to the nanosecond, for
/// comparing with a device's `last_seen`).
fn stored_jobs(cms: &Cms) -> Result<Vec<JobView>, UpgradeError> {
    let history = cms.rows("job_history").map_err(unavailable)?;
    let mut jobs: Vec<JobView> = cms
        .rows("jobs")
        .map_err(unavailable)?
        .iter()
        .map(|j| {
            let id = int_of(j, "id");
            let mut h: Vec<(String, String, String)> = history
                .iter()
                .filter(|r| int_of(r, "job") == id)
                .map(|r| (text_of(r, "id"), text_of(r, "at"), text_of(r, "message")))
                .collect();
            h.sort();
            let reason = h
                .iter()
                .rev()
                .find_map(|(_, _, m)| m.strip_prefix(text::REASON))
                .map(str::to_string);
            JobView {
                id,
                device: text_of(j, "device"),
                file: int_of(j, "update_file"),
                status: text_of(j, "status"),
                history: h.into_iter().map(|(_, at, m)| (at, m)).collect(),
                reason,
            }
        })
        .collect();
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// One job.
pub fn job(cms: &Cms, id: i64) -> Result<JobView, UpgradeError> {
    jobs(cms)?
        .into_iter()
        .find(|j| j.id == id)
        .ok_or_else(|| NotFound(text::NO_SUCH_JOB.replace("{0}", &id.to_string())))
}

/// The Devices page: each device with its "Software Version" column.
pub fn devices(cms: &Cms) -> Result<Vec<DeviceView>, UpgradeError> {
    let jobs = stored_jobs(cms)?;
    Ok(cms
        .devices()
        .map_err(unavailable)?
        .into_iter()
        .map(|d| {
            let last = jobs.iter().rev().find(|j| j.device == d.name);
            let software_version = match last {
                Some(j) if j.status != text::SUCCESSFUL => j.status.clone(),
                // The device reboots onto the new image: the message stays until it is heard
                // from again (then with its new version).
                Some(j) if !heard_from_since(&d.last_seen, j) => j.status.clone(),
                _ => d.version.clone(),
            };
            let reason = last
                .filter(|j| j.status == text::FAILED && software_version == j.status)
                .and_then(|j| j.reason.clone());
            DeviceView {
                name: d.name,
                kind: d.kind,
                ip: d.ip,
                software_version,
                reason,
                version: d.version,
                status: d.status,
                standby_status: None,
                standby_reported_at: None,
            }
        })
        .collect())
}

/// What the standby CDMs last reported to the primary `cdm` (by name).
pub fn standby_reports(cdm: &Device) -> BTreeMap<String, StandbyReport> {
    cdm.state().standby_reports.clone()
}

/// `devices` with each standby CDM's last report filled in.
pub fn with_standby_status(
    mut devices: Vec<DeviceView>,
    reports: &BTreeMap<String, StandbyReport>,
) -> Vec<DeviceView> {
    for d in &mut devices {
        if let Some(report) = reports.get(&d.name) {
            d.standby_status = Some(report.line.clone());
            d.standby_reported_at = Some(view_time(report.at));
        }
    }
    devices
}

/// One device of the Devices page, with its standby report from `reports` (see
/// [`with_standby_status`]).
pub fn device(
    cms: &Cms,
    name: &str,
    reports: &BTreeMap<String, StandbyReport>,
) -> Result<DeviceView, UpgradeError> {
    let found: Vec<DeviceView> = devices(cms)?
        .into_iter()
        .filter(|d| d.name == name)
        .take(1)
        .collect();
    with_standby_status(found, reports)
        .pop()
        .ok_or_else(|| NotFound(text::NO_SUCH_DEVICE.replace("{0}", name)))
}

/// Whether a device last seen at `last_seen` has been heard from since `job`'s last message.
fn heard_from_since(last_seen: &str, job: &JobView) -> bool {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    match (
        parse(last_seen),
        job.history.last().and_then(|(at, _)| parse(at)),
    ) {
        (Some(seen), Some(ended)) => seen > ended,
        _ => true,
    }
}

/// What an upgrade request targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Device(String),
    Group(String),
}

/// The jobs of an upgrade request: every job's id (in device order), and those to run.
#[derive(Debug)]
pub struct CreatedJobs {
    pub ids: Vec<i64>,
    /// (job id, device name, meta) of each job to run with [`run_job`]; the others failed at once.
    pub run: Vec<(i64, String, MetaFile)>,
}

/// Why this CDM (running `cdm`) cannot upgrade the device of `row`, if it cannot: a device on a
/// version it does not manage (a CE downgraded to 4.2.9 belongs to a 4.x CDM), or one that is
/// Offline here.
fn not_managed(row: &crate::cms::DeviceRow, cdm: Version) -> Option<String> {
    let name = &row.name;
    if let Ok(version) = row.version.parse::<Version>() {
        if !crate::release::cdm_accepts(cdm, version) {
            return Some(
                text::NOT_MANAGED
                    .replace("{name}", name)
                    .replace("{version}", &version.to_string())
                    .replace("{cdm}", &cdm.to_string()),
            );
        }
    }
    (row.status != "Online").then(|| {
        let since = chrono::DateTime::parse_from_rfc3339(&row.last_seen)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|_| "never".into());
        text::DEVICE_OFFLINE
            .replace("{name}", name)
            .replace("{since}", &since)
    })
}

/// Creates the jobs of an upgrade request (validated against the device table and the file) on a
/// CDM running `cdm_version`. A single device this CDM cannot upgrade is refused, saying why; in a
/// group, such a member's job fails at once with the reason and the others run.
pub fn create_jobs(
    cms: &mut Cms,
    cdm_version: Version,
    file: i64,
    target: &Target,
    now: &str,
) -> Result<CreatedJobs, UpgradeError> {
    let file_row = cms
        .rows("update_files")
        .map_err(unavailable)?
        .into_iter()
        .find(|r| int_of(r, "id") == file)
        .ok_or_else(|| NotFound(text::NO_SUCH_FILE.replace("{0}", &file.to_string())))?;
    let meta = meta::parse(&text_of(&file_row, "meta"), &text_of(&file_row, "url"))
        .map_err(|e| BadRequest(e.to_string()))?;
    let table = cms.devices().map_err(unavailable)?;
    let names: Vec<String> = match target {
        Target::Device(name) => {
            let row = table
                .iter()
                .find(|d| &d.name == name)
                .ok_or_else(|| NotFound(text::NO_SUCH_DEVICE.replace("{0}", name)))?;
            if row.kind == DeviceKind::Cdm.label() {
                return Err(BadRequest(text::CDM_CLI_ONLY.into()));
            }
            if let Some(why) = not_managed(row, cdm_version) {
                return Err(Conflict(why));
            }
            vec![name.clone()]
        }
        Target::Group(group) => {
            let g = groups(cms)?
                .into_iter()
                .find(|g| &g.name == group)
                .ok_or_else(|| NotFound(text::NO_SUCH_GROUP.replace("{0}", group)))?;
            if g.devices.is_empty() {
                return Err(BadRequest(format!("device group {group} has no devices")));
            }
            g.devices
        }
    };
    let first = jobs(cms)?.iter().map(|j| j.id).max().unwrap_or(0) + 1;
    // (id, device, why it fails at once)
    let created: Vec<(i64, String, Option<String>)> = (first..)
        .zip(names)
        .map(|(id, name)| {
            let why = table
                .iter()
                .find(|d| d.name == name)
                .and_then(|row| not_managed(row, cdm_version));
            (id, name, why)
        })
        .collect();
    let job_rows = created.iter().map(|(id, name, why)| {
        let mut row = Map::new();
        row.insert("id".into(), (*id).into());
        row.insert("device".into(), name.clone().into());
        row.insert("update_file".into(), file.into());
        let status = if why.is_some() {
            text::FAILED
        } else {
            text::PROCEEDING
        };
        row.insert("status".into(), status.into());
        row.insert("created_at".into(), now.into());
        row
    });
    cms.put_many("jobs", job_rows).map_err(unavailable)?;
    let history = created.iter().flat_map(|(id, _, why)| {
        let mut rows = vec![history_row(*id, 0, now, text::PROCEEDING)];
        if let Some(why) = why {
            rows.push(history_row(*id, 1, now, text::FAILED));
            rows.push(history_row(*id, 2, now, &format!("{}{why}", text::REASON)));
        }
        rows
    });
    cms.put_many("job_history", history).map_err(unavailable)?;
    Ok(CreatedJobs {
        ids: created.iter().map(|(id, _, _)| *id).collect(),
        run: created
            .into_iter()
            .filter(|(_, _, why)| why.is_none())
            .map(|(id, name, _)| (id, name, meta.clone()))
            .collect(),
    })
}

fn history_row(job: i64, step: usize, at: &str, message: &str) -> Map<String, Value> {
    let mut row = Map::new();
    row.insert("id".into(), format!("{job:08}/{step:06}").into());
    row.insert("job".into(), job.into());
    row.insert("at".into(), at.into());
    row.insert("message".into(), message.into());
    row
}

fn add_history(
    cms: &mut Cms,
    job: i64,
    step: usize,
    at: &str,
    message: &str,
) -> Result<(), UpgradeError> {
    cms.put("job_history", history_row(job, step, at, message))
        .map_err(unavailable)?;
    Ok(())
}

/// Records a job's new status on the CDM and in the device's system log.
fn report(cdm: &Device, device: &Device, job: i64, step: usize, message: &str) {
    let now = cdm.clock().now().to_rfc3339();
    let mut state = cdm.state();
    if let Some(cms) = state.cms.as_mut().filter(|c| c.exists()) {
        if let Ok(Some(mut row)) = cms.row("jobs", &job.to_string()) {
            row.insert("status".into(), message.into());
            let _ = cms.put("jobs", row);
            let _ = add_history(cms, job, step, &now, message);
        }
    }
    drop(state);
    device.log(format!("%ACNS-6-UPGRADE: {message}"));
}

/// Marks every job that had not ended as failed (a lab stopped while it ran: at the next start
/// nothing runs it any more), with the reason; returns (job id, device) of each.
pub fn fail_unfinished(cms: &mut Cms, now: &str) -> Result<Vec<(i64, String)>, UpgradeError> {
    let mut failed = Vec::new();
    for job in jobs(cms)? {
        if job.status == text::SUCCESSFUL || job.status == text::FAILED {
            continue;
        }
        let step = job.history.len();
        if let Ok(Some(mut row)) = cms.row("jobs", &job.id.to_string()) {
            row.insert("status".into(), text::FAILED.into());
            cms.put("jobs", row).map_err(unavailable)?;
            add_history(cms, job.id, step, now, text::FAILED)?;
            add_history(
                cms,
                job.id,
                step + 1,
                now,
                &format!("{}{}", text::REASON, text::STOPPED),
            )?;
            failed.push((job.id, job.device));
        }
    }
    Ok(failed)
}

/// Records a job's failure on the CDM (the table 7-2 status, then the reason in the history) and
/// in the device's system log, with the reason.
fn report_failed(cdm: &Device, device: &Device, job: i64, step: usize, reason: &str) {
    let reason = reason.trim_start_matches("% Error: ");
    tracing::info!(device = %device.identity.name, job, reason, "prepositioned download failed");
    let now = cdm.clock().now().to_rfc3339();
    let mut state = cdm.state();
    if let Some(cms) = state.cms.as_mut().filter(|c| c.exists()) {
        if let Ok(Some(mut row)) = cms.row("jobs", &job.to_string()) {
            row.insert("status".into(), text::FAILED.into());
            let _ = cms.put("jobs", row);
            let _ = add_history(cms, job, step, &now, text::FAILED);
            let _ = add_history(
                cms,
                job,
                step + 1,
                &now,
                &format!("{}{reason}", text::REASON),
            );
        }
    }
    drop(state);
    device.log(format!("%ACNS-3-UPGRADE: {}: {reason}", text::FAILED));
}

/// Runs one job: the device (on `network`) downloads its image (status every MB), installs it and reboots
/// (`reboot` is called for that). A 4.x downgrade with `CDM-IP` points the device at that CDM first.
pub async fn run_job(
    cdm: Arc<Device>,
    device: Arc<Device>,
    network: &Network,
    job: i64,
    meta: MetaFile,
    reboot: impl FnOnce() + Send + 'static,
) {
    let mut step = 1;
    // What the install would refuse is refused before the download (same version, no path).
    let running = device.state().version;
    let downgrade_image = meta.url.file_name().to_ascii_uppercase().contains("-TO-");
    if let Err(refusal) = crate::release::install_path(running, meta.version, downgrade_image) {
        let reason = crate::install::InstallError::refused(refusal, running, meta.version);
        return report_failed(&cdm, &device, job, step, &reason.to_string());
    }
    let host = meta.url.host();
    let server = match network.server_from(device.identity.ip, host) {
        crate::network::ServerRoute::Reachable(endpoints) => endpoints,
        crate::network::ServerRoute::Cut | crate::network::ServerRoute::NoRoute => {
            let reason = text::SERVER_CUT.replace("{0}", host);
            return report_failed(&cdm, &device, job, step, &reason);
        }
        crate::network::ServerRoute::Unknown => {
            let reason = text::NO_SERVER.replace("{0}", host);
            return report_failed(&cdm, &device, job, step, &reason);
        }
    };
    let mut pace = transfer::Pace::link(device.clock(), server.rate_kbps);
    let server = Some(server);
    let temp = device.disk_dir().join(format!(".preposition-{job}"));
    let mark = device.boot_mark();
    let mut reported_mb = 0u64;
    let mut progress = |bytes: u64| {
        let mb = bytes / (1024 * 1024);
        if mb > reported_mb {
            reported_mb = mb;
            report(
                &cdm,
                &device,
                job,
                step,
                &text::IN_PROGRESS.replace("{0}", &mb.to_string()),
            );
            step += 1;
        }
    };
    let result = match (&meta.url, server) {
        (ImageUrl::Ftp { dir, file, .. }, Some(s)) if s.ftp.is_some() => {
            let (user, password) = (
                meta.user.as_deref().unwrap_or("anonymous"),
                meta.password.as_deref().unwrap_or(""),
            );
            transfer::ftp_download(
                &transfer::FtpServer::new(
                    s.ftp.unwrap_or_else(|| ([127, 0, 0, 1], 0).into()),
                    user,
                    password,
                ),
                dir,
                file,
                &temp,
                &mut pace,
                &mut progress,
            )
            .await
            .map_err(|e| e.to_string())
        }
        (ImageUrl::Http { path, .. }, Some(s)) if s.http.is_some() => transfer::http_download(
            s.http.unwrap_or_else(|| ([127, 0, 0, 1], 0).into()),
            path,
            &temp,
            &mut pace,
            &mut progress,
        )
        .await
        .map_err(|e| e.to_string()),
        _ => Err(format!("no server at {}", meta.url.host())),
    };
    if let Ok(bytes) = &result {
        network.count_transfer(device.identity.ip, host, *bytes, true);
    }
    let result = result.and_then(|bytes| {
        if !device.still_up(mark) {
            Err(text::POWER_LOST.to_string())
        } else if device.disk_full() {
            Err(crate::text::install::DISK_FULL.to_string())
        } else {
            Ok(bytes)
        }
    });
    // Install, clean up, reboot and report in one piece of blocking work (verifying hashes the
    // whole image: off the async workers), so that a lab stopping meanwhile never leaves an
    // installed image with its job still in progress, and a job is never seen successful before
    // its device has started to reboot.
    {
        let (cdm, device) = (cdm.clone(), device.clone());
        let name = meta.url.file_name().to_string();
        let cdm_ip = meta.cdm_ip;
        tokio::task::spawn_blocking(move || {
            let installed = result.and_then(|_| {
                crate::install::install(&device, &temp, &name).map_err(|e| e.to_string())
            });
            let _ = std::fs::remove_file(&temp);
            match installed {
                Ok(_) => {
                    if let Some(cdm_ip) = cdm_ip {
                        point_at_cdm(&device, cdm_ip);
                    }
                    reboot();
                    tracing::info!(device = %device.identity.name, job, version = %meta.version, "prepositioned download successful; the device reloads");
                    report(&cdm, &device, job, step, text::SUCCESSFUL);
                }
                Err(reason) => report_failed(&cdm, &device, job, step, &reason),
            }
        })
        .await
        .unwrap_or_else(|e| tracing::error!(job, error = %e, "upgrade job's install stopped"));
    }
}

/// After a downgrade to 4.x with `CDM-IP`: the device registers with that CDM from then on.
fn point_at_cdm(device: &Device, cdm_ip: Ipv4Addr) {
    {
        let mut state = device.state();
        state.running.cdm_ip = Some(cdm_ip);
        state.known_cdms.clear();
    }
    if let Err(e) = device.save_running() {
        tracing::error!(device = %device.identity.name, error = %e, "cannot save CDM-IP");
    }
}
