//! acnslab: an emulator of Cisco ACNS 5.x content-networking devices (CDM, CE, CR) for test labs.
//!
//! Map of the crate, from the wire inwards:
//! - [`lab`]: the set of devices of a topology, the state directory, lifecycle, lab.json, the control
//!   socket; it drives each device's power state machine (timers, listeners).
//! - [`network`]: the virtual network between devices (cut/heal) and the CDM side of CMS messages.
//! - [`agent`]: the device side of CMS: registration, status, standby replication.
//! - [`owned`]: the lab's owned tasks (tracker + cancellation token, drain on shutdown), accept backoff.
//! - [`ssh`]: the russh server: bytes in, bytes out, nothing else.
//! - [`ssh_client`]: a line-at-a-time SSH client for lab devices (`acnslab run --ssh`).
//! - [`shell`]: line editor + session + pager for one interactive channel.
//! - [`terminal`]: the byte-level line editor and the `--More--` pager.
//! - [`session`]: modes, privilege, pending questions; feeds lines to the grammar.
//! - [`driver`]: runs a line and carries out what it asks (tasks, close, reload), for every front end.
//! - [`commands`]: the command table (one declaration per command) and the handlers.
//! - [`device`]: a device's identity, configuration, versions, disk and power state machine.
//! - [`disk_path`]: where a name typed at the CLI lands on the disk (`/local1`), and nowhere else.
//! - [`syslog_file`]: `/local1/syslog.txt`, the system log on the disk, bounded.
//! - [`standby`]: a standby CDM's replication state machine (in sync, updating, version mismatch...).
//! - [`config`]: configuration as data and its rendering.
//! - [`counters`]: what happens on a device, counted (sessions, commands, failed logins), for `/metrics`.
//! - [`persist`]: atomic, optionally durable writes of state files.
//! - [`cms`]: the CMS database of a CDM (SQLite): lifecycle, backups, schema versions, replication.
//! - [`clock`]: the lab clock (real with a speed factor, or virtual).
//! - [`release`]: the table of software releases.
//! - [`exercise`]: graded exercises (`acnslab exercise start|check`): a starting lab and goals.
//! - [`classroom`]: N labs of an exercise on one host and the teacher's page (`acnslab classroom`).
//! - [`file_schemas`]: the JSON Schemas of topology, scenario and exercise files (`acnslab schema`).
//! - [`scenario`]: scenario files (`acnslab run`): procedures replayed on a virtual clock, with faults.
//! - [`tasks`]: long CLI work (downloads, uploads) run outside the SSH callback.
//! - [`probe`]: `ping` and `traceroute` as they run, probe by probe on the lab clock.
//! - [`install`]: installing an image: checks, automatic CMS backup, pending version.
//! - [`api`]: the CDM's HTTP API (JSON) over `upgrade`: logins, routes, errors, its OpenAPI document, a client.
//! - [`cdm_login`]: a CDM's administrator logins (password check, lockout, sessions), for the GUI and the API.
//! - [`web`]: the CDM's web GUI (login, Devices, Device Groups, Software Update), as the guide walks it.
//! - [`upgrade`]: upgrades managed by the primary CDM: meta file registrations, groups, jobs.
//! - [`images`]: synthetic software images, meta files, the embedded FTP/HTTP image servers and clients.
//! - [`text`]: every user-visible text that mimics ACNS.
//! - [`topology`]: the topology file format and the default lab.
//! - [`yaml_parts`]: a YAML file read key by key and item by item, so every error of a file is found at once.
//! - [`control`]: the local control socket (`acnslab console`, `acnslab record`).
//! - [`console`]: the local line-edited console over the control socket.
//! - [`record`]: `acnslab record`, a live console session turned into a scenario file.
//! - [`signals`]: SIGINT/SIGTERM, registered before a lab starts.
//! - [`observe`]: the lab's health and metrics port (`/healthz`, `/metrics` in Prometheus text).
//! - [`app`]: what the `acnslab` subcommands do.
//!
//! `acnslab bench` is no part of the library: it lives in the binary (`src/bin/acnslab/bench/`).

pub mod admission;
pub mod agent;
pub mod api;
pub mod app;
pub mod cdm_login;
pub mod classroom;
pub mod clock;
pub mod cms;
pub mod commands;
pub mod config;
pub mod console;
pub mod control;
pub mod counters;
pub mod device;
pub mod disk_path;
pub mod driver;
pub mod exercise;
pub mod file_schemas;
pub mod images;
pub mod install;
pub mod lab;
pub mod lifecycle;
pub mod lockout;
pub mod network;
pub mod observe;
pub mod owned;
pub mod persist;
pub mod pid_lock;
pub mod probe;
pub mod record;
pub mod release;
pub mod scenario;
pub mod session;
pub mod shell;
pub mod signals;
pub mod ssh;
pub mod ssh_client;
pub mod standby;
pub mod syslog_file;
pub mod tasks;
pub mod terminal;
pub mod text;
pub mod topology;
pub mod upgrade;
pub mod web;
pub mod yaml_limits;
pub mod yaml_parts;
