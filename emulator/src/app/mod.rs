//! What the `acnslab` subcommands do, kept out of the binary so it is testable: `up` (start a lab,
//! print the table, serve until Ctrl-C or SIGTERM), `console` (a local line-edited console through
//! the control socket, [`crate::console`]) and `cdm` (`cdm.rs`: the CDM's API from a shell, its
//! tables in `cdm_tables.rs`). `record` lives in [`crate::record`].

mod cdm;
mod cdm_tables;

pub use cdm::{cdm, CdmArgs, CdmCommand};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::control;
use crate::lab::listen::{check_exposure, ListenArgs};
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
    listen: &ListenArgs,
) -> Result<(), String> {
    // the password is read and checked before anything is written
    let exposure = listen.resolve().map_err(|e| e.to_string())?;
    let topology = match topology {
        Some(path) => Some(Topology::load(&path).map_err(|errors| {
            for e in errors.iter() {
                eprintln!("{e}");
            }
            format!(
                "{} error(s) in {}; the lab was not started",
                errors.len(),
                path.display()
            )
        })?),
        None => None,
    };
    // a lab other hosts would reach with the default login is refused before the state
    // directory is made (Lab::start checks it again, for every caller)
    let effective = exposure
        .listen
        .or_else(|| topology.as_ref().map(|t| t.lab.listen))
        .or_else(|| stored_listen(&state_dir))
        .unwrap_or_else(|| Topology::default_lab().lab.listen);
    check_exposure(
        effective,
        exposure.password.as_ref(),
        exposure.allow_default_password,
    )
    .map_err(|e| e.to_string())?;
    let password_given = exposure.password.is_some();
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let mut stop = StopSignals::register();
        let mut options = LabOptions::new(state_dir);
        options.cdm_http = Some(crate::api::service());
        options.lab_http = Some(crate::observe::service());
        options.topology = topology;
        options.base_port = base_port;
        options.listen = exposure.listen;
        options.admin_password = exposure.password;
        options.allow_default_password = exposure.allow_default_password;
        overrides.apply(&mut options);
        // the first start writes the software images (seconds for large ones): a spinner on a
        // terminal, which becomes a bar of bytes while images are written
        let starting = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
            let spinner = indicatif::ProgressBar::new_spinner();
            spinner.set_message("starting the lab");
            spinner.enable_steady_tick(std::time::Duration::from_millis(120));
            spinner
        });
        let start = Lab::start(options);
        tokio::pin!(start);
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
        let images_before = crate::images::progress::IMAGE_WRITES.now();
        let started = loop {
            tokio::select! {
                started = &mut start => break started,
                _ = tick.tick() => {
                    if let Some(bar) = &starting {
                        show_image_writes(bar, images_before);
                    }
                }
            }
        };
        if let Some(spinner) = starting {
            spinner.finish_and_clear();
        }
        let lab = match started {
            Ok(lab) => Arc::new(lab),
            Err(crate::lab::LabError::Port {
                device,
                ip,
                port,
                source,
            }) => {
                let addr = std::net::SocketAddr::new(ip, port);
                return Err(crate::lifecycle::list::port_in_use(&device, addr, &source));
            }
            Err(e) => return Err(e.to_string()),
        };
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
        let password = if password_given {
            "the one given"
        } else {
            "default"
        };
        println!(
            "state: {}  (password for admin: {password}; Ctrl-C stops the lab and keeps its state)",
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

/// The listen address of the topology stored in `state_dir`, when there is one that reads.
fn stored_listen(state_dir: &Path) -> Option<std::net::IpAddr> {
    let stored = state_dir.join("topology.yaml");
    stored
        .exists()
        .then(|| Topology::load(&stored).ok())
        .flatten()
        .map(|t| t.lab.listen)
}

/// `acnslab console DEVICE` (see [`crate::console`]).
pub fn console(state_dir: &Path, device: &str) -> Result<(), String> {
    crate::console::run(state_dir, device).map_err(|e| e.to_string())
}

/// Turns the start's spinner into a bar of bytes while software images are written (counted from
/// `before`, the writes of this process before the start), and back when they are done.
fn show_image_writes(bar: &indicatif::ProgressBar, before: (u64, u64)) {
    let (written, total) = crate::images::progress::IMAGE_WRITES.now();
    let (written, total) = (written - before.0, total - before.1);
    if total > 0 && written < total {
        if bar.length() != Some(total) {
            bar.set_length(total);
            bar.set_position(written);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message("writing the software images");
        }
        bar.set_position(written);
    } else if bar.length().is_some() && written >= total {
        bar.set_message("starting the lab");
        bar.unset_length();
        bar.set_style(indicatif::ProgressStyle::default_spinner());
    }
}
