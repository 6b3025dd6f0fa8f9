//! `acnslab cdm ...`: the CDM GUI's functions from a shell, through the CDM's HTTP API. Reads
//! `lab.json` of the running lab for the CDM's API address and its administrator account (HTTP
//! Basic on every call; `--user`/`--password` when the account changed since the lab started),
//! asks, and prints the answer as a table (`super::cdm_tables`) or, with `--json`, as the API's
//! JSON. A refusal is the `error` message, exit status 1.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::cdm_tables as tables;
use crate::api::{Auth, Client};

/// `acnslab cdm ...`: the CDM GUI's functions from a shell, through the CDM's HTTP API.
#[derive(Debug, Clone, clap::Args)]
pub struct CdmArgs {
    /// State directory of the running lab (its lab.json says where the API listens).
    #[arg(long, default_value = "acnslab-state", global = true)]
    pub state_dir: PathBuf,
    /// The CDM to ask (default: the primary).
    #[arg(long, global = true)]
    pub cdm: Option<String>,
    /// Print the API's JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// The CDM account to log in with (default: lab.json's, `admin`).
    #[arg(long)]
    pub user: Option<String>,
    /// Its password (default: lab.json's, the one the CDM had when the lab started).
    #[arg(long)]
    pub password: Option<String>,
    #[command(subcommand)]
    pub command: CdmCommand,
}

/// What to ask the CDM.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum CdmCommand {
    /// Devices with their Software Version column and status.
    Devices,
    /// One device, as in `devices`.
    Device {
        /// The device's name (e.g. ce1).
        name: String,
    },
    /// Device groups and their members.
    Groups,
    /// One device group.
    Group {
        /// The group's name (e.g. edge).
        name: String,
    },
    /// Registered software update files (meta file URLs).
    Files,
    /// One registered file.
    File {
        /// The registration's id (the Id column of `files`).
        id: i64,
    },
    /// Register a meta file URL (System > Software Update).
    Register {
        /// `ftp://` or `http://` URL of a meta file on an image server of the lab.
        url: String,
        /// The user name of an FTP URL's server (default: anonymous).
        #[arg(long)]
        user: Option<String>,
        /// That user's password on the FTP server.
        #[arg(long)]
        password: Option<String>,
    },
    /// Delete a registration.
    Delete {
        /// The registration's id (the Id column of `files`).
        id: i64,
    },
    /// Upgrade or downgrade one CE/CR, or every CE of a group, to a registered file.
    Upgrade {
        /// The registration's id of the file to install (the Id column of `files`).
        #[arg(long)]
        file: i64,
        /// The CE or CR to upgrade.
        #[arg(long, conflicts_with = "group", required_unless_present = "group")]
        device: Option<String>,
        /// The device group whose CEs to upgrade, instead of one device.
        #[arg(long)]
        group: Option<String>,
        /// Wait until the jobs have ended, printing each status message.
        #[arg(long)]
        wait: bool,
    },
    /// Upgrade jobs.
    Jobs,
    /// One job with its status history.
    Job {
        /// The job's id (the Job column of `jobs`).
        id: i64,
    },
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
    let client = Client::of(cdm).ok_or_else(|| "bad API address in lab.json".to_string())?;
    let client = client.with_auth(Auth::Basic {
        user: args.user.unwrap_or_else(|| cdm.username.clone()),
        password: args.password.unwrap_or_else(|| cdm.password.clone()),
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(run(&client, args.command, args.json))
}

/// One call; the answer, or the CDM's `error` message.
async fn ask(
    client: &Client,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let (status, value) = client
        .call(method, path, body)
        .await
        .map_err(|e| e.to_string())?;
    if status < 400 {
        return Ok(value);
    }
    let message = value["error"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("HTTP {status}"));
    Err(if status == 401 {
        format!("{message} (give --user and --password if the CDM's account changed since the lab started)")
    } else {
        message
    })
}

/// What to print: a table, or the API's JSON.
async fn run(client: &Client, command: CdmCommand, json: bool) -> Result<(), String> {
    let shown = |value: Value, table: fn(&Value) -> String| {
        if json {
            tables::pretty(&value)
        } else {
            table(&value)
        }
    };
    let out = match command {
        CdmCommand::Devices => shown(
            ask(client, "GET", "/api/devices", None).await?,
            tables::devices,
        ),
        CdmCommand::Device { name } => {
            let path = format!("/api/devices/{}", segment(&name));
            shown(ask(client, "GET", &path, None).await?, tables::device)
        }
        CdmCommand::Groups => shown(
            ask(client, "GET", "/api/groups", None).await?,
            tables::groups,
        ),
        CdmCommand::Group { name } => {
            let path = format!("/api/groups/{}", segment(&name));
            shown(ask(client, "GET", &path, None).await?, tables::group)
        }
        CdmCommand::Files => shown(ask(client, "GET", "/api/files", None).await?, tables::files),
        CdmCommand::File { id } => {
            let file = ask(client, "GET", &format!("/api/files/{id}"), None).await?;
            shown(file, tables::file)
        }
        CdmCommand::Register {
            url,
            user,
            password,
        } => {
            let body = json!({"url": url, "user": user, "password": password});
            shown(
                ask(client, "POST", "/api/files", Some(body)).await?,
                tables::file,
            )
        }
        CdmCommand::Delete { id } => {
            ask(client, "DELETE", &format!("/api/files/{id}"), None).await?;
            if json {
                tables::pretty(&json!({"deleted": id}))
            } else {
                tables::deleted(id)
            }
        }
        CdmCommand::Upgrade {
            file,
            device,
            group,
            wait,
        } => {
            let body = json!({"file": file, "device": device, "group": group});
            let ids = ask(client, "POST", "/api/upgrades", Some(body)).await?;
            if wait {
                return follow(client, &ids).await;
            }
            shown(ids, tables::started)
        }
        CdmCommand::Jobs => shown(ask(client, "GET", "/api/jobs", None).await?, tables::jobs),
        CdmCommand::Job { id } => shown(
            ask(client, "GET", &format!("/api/jobs/{id}"), None).await?,
            tables::job,
        ),
    };
    print!("{out}");
    Ok(())
}

/// A name as one path segment (`/` and the like percent-encoded).
fn segment(name: &str) -> String {
    percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `--wait`: prints each job's new status messages until every job has ended; fails (exit status
/// 1) when a job failed, saying which and why.
async fn follow(client: &Client, ids: &Value) -> Result<(), String> {
    let ids: Vec<i64> = ids
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_i64()).collect())
        .unwrap_or_default();
    let mut progress = Progress::new(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    let mut seen = std::collections::HashMap::new();
    loop {
        let mut open = 0;
        let mut failed = Vec::new();
        for id in &ids {
            let job = ask(client, "GET", &format!("/api/jobs/{id}"), None).await?;
            let history = job["history"].as_array().cloned().unwrap_or_default();
            let shown = seen.entry(*id).or_insert(0usize);
            for entry in history.iter().skip(*shown) {
                progress.message(*id, &tables::job_message(*id, &job, entry));
            }
            *shown = history.len();
            let status = job["status"].as_str().unwrap_or_default();
            if status.ends_with("Failed") {
                failed.push(tables::job_failure(*id, &job));
                progress.ended(*id);
            } else if status.ends_with("Successful") {
                progress.ended(*id);
            } else {
                open += 1;
            }
        }
        if open == 0 {
            progress.clear();
            println!(
                "{} upgraded, {} failed",
                ids.len() - failed.len(),
                failed.len()
            );
            if failed.is_empty() {
                return Ok(());
            }
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

/// How `--wait` shows the jobs' messages: on a terminal a line per job that changes in place
/// (indicatif), each message kept above it; otherwise each message once, and of the
/// `in Progress (Completed N MB)` messages only the first of a job, so that a log holds the
/// story and not a line per megabyte.
struct Progress {
    bars: Option<(
        indicatif::MultiProgress,
        std::collections::HashMap<i64, indicatif::ProgressBar>,
    )>,
    in_progress_shown: std::collections::HashSet<i64>,
}

impl Progress {
    fn new(terminal: bool) -> Progress {
        Progress {
            bars: terminal.then(|| (indicatif::MultiProgress::new(), Default::default())),
            in_progress_shown: Default::default(),
        }
    }

    fn message(&mut self, job: i64, text: &str) {
        let in_progress = text.contains("Prepositioned Download in Progress");
        match &mut self.bars {
            Some((multi, bars)) => {
                let bar = bars.entry(job).or_insert_with(|| {
                    let bar = multi.add(indicatif::ProgressBar::new_spinner());
                    bar.enable_steady_tick(std::time::Duration::from_millis(120));
                    bar
                });
                if !in_progress {
                    let _ = multi.println(text);
                }
                bar.set_message(text.to_string());
            }
            None => {
                if !in_progress || self.in_progress_shown.insert(job) {
                    println!("{text}");
                }
            }
        }
    }

    fn ended(&mut self, job: i64) {
        if let Some((_, bars)) = &mut self.bars {
            if let Some(bar) = bars.remove(&job) {
                bar.finish_and_clear();
            }
        }
    }

    fn clear(&mut self) {
        if let Some((multi, bars)) = &mut self.bars {
            for (_, bar) in bars.drain() {
                bar.finish_and_clear();
            }
            let _ = multi.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        cdm: CdmArgs,
    }

    #[test]
    fn the_lab_and_json_options_go_before_or_after_the_question() {
        for args in [
            ["cdm", "--json", "--state-dir", "lab", "devices"],
            ["cdm", "devices", "--json", "--state-dir", "lab"],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert!(cli.cdm.json, "{args:?}");
            assert_eq!(cli.cdm.state_dir, PathBuf::from("lab"), "{args:?}");
            assert!(matches!(cli.cdm.command, CdmCommand::Devices));
        }
    }
}
