//! What the `acnslab` subcommands do, kept out of the binary so it is testable: `up` (start a lab,
//! print the table, serve until Ctrl-C or SIGTERM), `console` (a local line-edited console through
//! the control socket, [`crate::console`]) and `cdm`. `record` lives in [`crate::record`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::control;
use crate::lab::{Lab, LabOptions, LabOverrides};
use crate::owned::Tasks;
use crate::signals::StopSignals;
use crate::topology::Topology;

/// `acnslab up`.
pub fn up(
    topology: Option<PathBuf>,
    state_dir: PathBuf,
    base_port: Option<u16>,
    overrides: LabOverrides,
) -> Result<(), String> {
    let topology = topology
        .map(|path| Topology::load(&path))
        .transpose()
        .map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let mut stop = StopSignals::register();
        let mut options = LabOptions::new(state_dir);
        options.cdm_http = Some(crate::api::service());
        options.topology = topology;
        options.base_port = base_port;
        overrides.apply(&mut options);
        let lab = Arc::new(Lab::start(options).await.map_err(|e| e.to_string())?);
        // before the control socket: `up --detach` returns once the socket is there
        crate::lifecycle::list::register(lab.state_dir());
        let socket = control::socket_path(lab.state_dir());
        let sockets = Tasks::new();
        let serving = (socket.clone(), lab.clone(), sockets.clone());
        sockets.spawn(async move {
            if let Err(e) = control::serve(serving.0, serving.1, serving.2).await {
                tracing::error!(error = %e, "control socket stopped");
            }
        });
        print!("{}", lab.table());
        println!(
            "state: {}  (password for admin: default; Ctrl-C stops the lab and keeps its state)",
            lab.state_dir().display()
        );
        stop.wait().await;
        sockets.shutdown(crate::control::CLIENTS_GRACE).await;
        let _ = std::fs::remove_file(&socket);
        lab.shutdown().await;
        println!("lab stopped; state kept in the state directory");
        Ok(())
    })
}

/// `acnslab console DEVICE` (see [`crate::console`]).
pub fn console(state_dir: &Path, device: &str) -> Result<(), String> {
    crate::console::run(state_dir, device).map_err(|e| e.to_string())
}

/// `acnslab cdm ...`: the CDM GUI's functions from a shell, through the CDM's HTTP API.
#[derive(Debug, Clone, clap::Args)]
pub struct CdmArgs {
    /// State directory of the running lab (its lab.json says where the API listens).
    #[arg(long, default_value = "acnslab-state")]
    pub state_dir: PathBuf,
    /// The CDM to ask (default: the primary).
    #[arg(long)]
    pub cdm: Option<String>,
    /// Print the API's JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(subcommand)]
    pub command: CdmCommand,
}

/// What to ask the CDM.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum CdmCommand {
    /// Devices with their Software Version column and status.
    Devices,
    /// Device groups and their members.
    Groups,
    /// Registered software update files (meta file URLs).
    Files,
    /// Register a meta file URL (System > Software Update).
    Register {
        url: String,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        password: Option<String>,
    },
    /// Delete a registration.
    Delete { id: i64 },
    /// Upgrade or downgrade one CE/CR, or every CE of a group, to a registered file.
    Upgrade {
        #[arg(long)]
        file: i64,
        #[arg(long, conflicts_with = "group", required_unless_present = "group")]
        device: Option<String>,
        #[arg(long)]
        group: Option<String>,
        /// Wait until the jobs have ended, printing each status message.
        #[arg(long)]
        wait: bool,
    },
    /// Upgrade jobs.
    Jobs,
    /// One job with its status history.
    Job { id: i64 },
}

/// `acnslab cdm`.
pub fn cdm(args: CdmArgs) -> Result<(), String> {
    let info = crate::lab::LabInfo::running(&args.state_dir).map_err(|e| e.to_string())?;
    let cdm = info
        .devices
        .iter()
        .filter(|d| d.api.is_some())
        .find(|d| match &args.cdm {
            Some(name) => &d.name == name,
            None => d.role == Some(crate::config::CdmRole::Primary),
        })
        .ok_or_else(|| "no such CDM in this lab".to_string())?;
    let addr: std::net::SocketAddr = cdm
        .api
        .as_deref()
        .unwrap_or_default()
        .parse()
        .map_err(|e| format!("bad API address: {e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(run_cdm(addr, args.command, args.json))
}

async fn ask(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<serde_json::Value, String> {
    let (status, value) = crate::api::call(addr, method, path, body)
        .await
        .map_err(|e| e.to_string())?;
    if status >= 400 {
        return Err(value["error"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP {status}")));
    }
    Ok(value)
}

fn field(v: &serde_json::Value, key: &str) -> String {
    match &v[key] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn table(rows: &serde_json::Value, columns: &[(&str, &str)]) -> String {
    let rows: Vec<Vec<String>> = rows
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| columns.iter().map(|(_, k)| field(r, k)).collect())
                .collect()
        })
        .unwrap_or_default();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, (h, _))| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([h.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(columns.iter().map(|(h, _)| h.to_string()).collect());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

async fn run_cdm(
    addr: std::net::SocketAddr,
    command: CdmCommand,
    json: bool,
) -> Result<(), String> {
    use serde_json::json;
    const FILE_COLUMNS: &[(&str, &str)] = &[
        ("Id", "id"),
        ("Version", "version"),
        ("Size", "size"),
        ("URL", "url"),
        ("Description", "description"),
    ];
    let (value, columns): (serde_json::Value, &[(&str, &str)]) = match command {
        CdmCommand::Devices => (
            ask(addr, "GET", "/api/devices", None).await?,
            &[
                ("Device", "name"),
                ("Type", "kind"),
                ("IP Address", "ip"),
                ("Software Version", "software_version"),
                ("Status", "status"),
                ("Standby Status", "standby_status"),
            ],
        ),
        CdmCommand::Groups => {
            let v = ask(addr, "GET", "/api/groups", None).await?;
            let rows: Vec<_> = v
                .as_array()
                .into_iter()
                .flatten()
                .map(|g| json!({"name": g["name"], "devices": g["devices"].as_array().map(|d| d.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", "))}))
                .collect();
            if json {
                (v, &[])
            } else {
                (
                    serde_json::Value::Array(rows),
                    &[("Device Group", "name"), ("Devices", "devices")],
                )
            }
        }
        CdmCommand::Files => (ask(addr, "GET", "/api/files", None).await?, FILE_COLUMNS),
        CdmCommand::Register {
            url,
            user,
            password,
        } => {
            let body = json!({"url": url, "user": user, "password": password});
            let file = ask(addr, "POST", "/api/files", Some(body)).await?;
            if json {
                (file, &[])
            } else {
                (serde_json::Value::Array(vec![file]), FILE_COLUMNS)
            }
        }
        CdmCommand::Delete { id } => {
            ask(addr, "DELETE", &format!("/api/files/{id}"), None).await?;
            if !json {
                println!("registration {id} deleted");
                return Ok(());
            }
            (json!({"deleted": id}), &[])
        }
        CdmCommand::Upgrade {
            file,
            device,
            group,
            wait,
        } => {
            let body = json!({"file": file, "device": device, "group": group});
            let ids = ask(addr, "POST", "/api/upgrades", Some(body)).await?;
            if wait {
                return follow(addr, &ids).await;
            }
            if !json {
                let list: Vec<String> = ids
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|id| id.to_string())
                    .collect();
                println!("jobs started: {}", list.join(", "));
                return Ok(());
            }
            (ids, &[])
        }
        CdmCommand::Jobs => (
            ask(addr, "GET", "/api/jobs", None).await?,
            &[
                ("Job", "id"),
                ("Device", "device"),
                ("File", "file"),
                ("Status", "status"),
                ("Reason", "reason"),
            ],
        ),
        CdmCommand::Job { id } => {
            let job = ask(addr, "GET", &format!("/api/jobs/{id}"), None).await?;
            if json {
                (job, &[])
            } else {
                println!(
                    "job {id}: {} (file {}): {}",
                    field(&job, "device"),
                    field(&job, "file"),
                    field(&job, "status")
                );
                if let Some(reason) = job["reason"].as_str() {
                    println!("reason: {reason}");
                }
                let history: Vec<_> = job["history"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|h| json!({"at": h[0], "message": h[1]}))
                    .collect();
                (
                    serde_json::Value::Array(history),
                    &[("Time", "at"), ("Message", "message")],
                )
            }
        }
    };
    if json || columns.is_empty() {
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        print!("{}", table(&value, columns));
    }
    Ok(())
}

/// `--wait`: prints each job's new status messages until every job has ended; fails (exit status
/// 1) when a job failed, saying which and why.
async fn follow(addr: std::net::SocketAddr, ids: &serde_json::Value) -> Result<(), String> {
    let ids: Vec<i64> = ids
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_i64()).collect())
        .unwrap_or_default();
    let mut seen = std::collections::HashMap::new();
    loop {
        let mut open = 0;
        let mut failed = Vec::new();
        for id in &ids {
            let job = ask(addr, "GET", &format!("/api/jobs/{id}"), None).await?;
            let history = job["history"].as_array().cloned().unwrap_or_default();
            let shown = seen.entry(*id).or_insert(0usize);
            for entry in &history[*shown..] {
                println!(
                    "job {id} {}: {}",
                    field(&job, "device"),
                    entry[1].as_str().unwrap_or_default()
                );
            }
            *shown = history.len();
            let status = field(&job, "status");
            if status.ends_with("Failed") {
                failed.push(format!(
                    "job {id} ({}): {}",
                    field(&job, "device"),
                    job["reason"].as_str().unwrap_or("no reason given")
                ));
            } else if !status.ends_with("Successful") {
                open += 1;
            }
        }
        if open == 0 && failed.is_empty() {
            return Ok(());
        }
        if open == 0 {
            return Err(format!(
                "{} of {} job(s) failed: {}",
                failed.len(),
                ids.len(),
                failed.join("; ")
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
