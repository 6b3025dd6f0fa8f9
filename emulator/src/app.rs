//! What the `acnslab` subcommands do, kept out of the binary so it is testable: `up` (start a lab,
//! print the table, serve until Ctrl-C or SIGTERM) and `console` (a local line-edited console through
//! the control socket, with rustyline since it runs on a real terminal).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::control::{self, ConsoleClient, Request};
use crate::lab::{Lab, LabOptions};
use crate::topology::Topology;

/// `acnslab up`.
pub fn up(
    topology: Option<PathBuf>,
    state_dir: PathBuf,
    base_port: Option<u16>,
    speed: Option<f64>,
    boot_seconds: Option<f64>,
) -> Result<(), String> {
    let topology = topology
        .map(|path| Topology::load(&path))
        .transpose()
        .map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let mut stop = StopSignals::register();
        let mut options = LabOptions::new(state_dir);
        options.topology = topology;
        options.base_port = base_port;
        options.speed = speed;
        options.boot_seconds = boot_seconds;
        let lab = Arc::new(Lab::start(options).await.map_err(|e| e.to_string())?);
        let socket = control::socket_path(lab.state_dir());
        let control = tokio::spawn(control::serve(socket.clone(), lab.clone()));
        print!("{}", lab.table());
        println!(
            "state: {}  (password for admin: default; Ctrl-C stops the lab and keeps its state)",
            lab.state_dir().display()
        );
        stop.wait().await;
        control.abort();
        let _ = std::fs::remove_file(&socket);
        lab.shutdown().await;
        println!("lab stopped; state kept in the state directory");
        Ok(())
    })
}

/// SIGINT and SIGTERM, registered before the lab starts so that a signal during start-up also
/// stops the lab cleanly.
struct StopSignals {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn register() -> Self {
        use tokio::signal::unix::{signal, SignalKind};
        StopSignals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    async fn wait(&mut self) {
        async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
            match s.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            _ = recv(&mut self.interrupt) => {}
            _ = recv(&mut self.terminate) => {}
        }
    }
}

/// `acnslab console DEVICE`.
pub fn console(state_dir: &Path, device: &str) -> Result<(), String> {
    use rustyline::error::ReadlineError;
    let (mut client, first) = ConsoleClient::open(state_dir, device)?;
    let mut editor = rustyline::DefaultEditor::new().map_err(|e| e.to_string())?;
    let mut prompt = first.prompt;
    loop {
        let line = match editor.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        let request = match line.strip_suffix('?') {
            Some(before) => Request::Help(before.to_string()),
            None => {
                let _ = editor.add_history_entry(line.as_str());
                Request::Line(line)
            }
        };
        let reply = client.request(&request)?;
        print!("{}", reply.output);
        if let Some(e) = reply.error {
            return Err(e);
        }
        if reply.closed {
            return Ok(());
        }
        prompt = reply.prompt;
    }
}
