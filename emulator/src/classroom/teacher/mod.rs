//! The teacher's page (`acnslab classroom teacher`, started in the background by `classroom up`):
//! every trainee's goals met, live. It reads the graders over HTTP (`GET /exercise` on each lab's
//! health port), so the same page watches the labs of `classroom up` on this host (`--dir`:
//! `classroom.json`) and the pods of the Kubernetes classroom (`--labs FILE`). The parts: [`labs`]
//! (which labs, from where), [`fetch`] (one lab asked), [`board`] (every lab's latest answer, as
//! data), [`page`] (the HTML). This file is the thin async edge: a poller task asks every lab every
//! [`POLL`] and records the answers; the routes render the board and never touch a lab's socket.

pub mod board;
pub mod fetch;
pub mod labs;
pub mod page;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use board::Board;

/// How often every lab is asked.
pub const POLL: Duration = Duration::from_secs(2);
/// How long one lab may take to answer.
pub const ASK_TIMEOUT: Duration = Duration::from_secs(5);
/// The page's port without `--dir` or `--port`.
pub const DEFAULT_PORT: u16 = 8080;

/// `acnslab classroom teacher`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct TeacherArgs {
    /// The classroom's folder: the labs of its classroom.json (written by `classroom up`).
    #[arg(long, conflicts_with = "labs", required_unless_present = "labs")]
    pub dir: Option<PathBuf>,
    /// A file of the labs to watch instead, one a line: `URL` or `NAME URL`, the URL the lab's
    /// health port (http://HOST:PORT), e.g. the Kubernetes classroom's pods.
    #[arg(long, value_name = "FILE")]
    pub labs: Option<PathBuf>,
    /// The address the page listens on [default: the classroom's, else 127.0.0.1].
    #[arg(long, value_name = "ADDR", value_parser = crate::lab::listen::parse_listen)]
    pub listen: Option<IpAddr>,
    /// The page's port [default: the classroom's teacher port, else 8080].
    #[arg(long)]
    pub port: Option<u16>,
}

/// The board the poller writes and the routes read (a std mutex: nothing awaits under it).
type Shared = Arc<Mutex<Board>>;

/// The routes of the page.
pub fn router(board: Shared) -> Router {
    Router::new()
        .route("/", get(whole_page))
        .route("/board", get(board_table))
        .route("/grades.json", get(grades))
        .with_state(board)
}

async fn whole_page(State(board): State<Shared>) -> Response {
    let markup = page::page(&lock(&board));
    Html(markup.into_string()).into_response()
}

async fn board_table(State(board): State<Shared>) -> Response {
    let markup = page::table(&lock(&board));
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(markup.into_string()),
    )
        .into_response()
}

async fn grades(State(board): State<Shared>) -> Response {
    let rows = lock(&board).rows();
    Json(rows).into_response()
}

fn lock(board: &Shared) -> std::sync::MutexGuard<'_, Board> {
    board
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Asks every lab, records the answers, waits [`POLL`]; until `stop`.
async fn poll(board: Shared, stop: tokio_util::sync::CancellationToken) {
    let labs = lock(&board).labs();
    loop {
        let asks = labs.iter().map(|lab| fetch::grade(&lab.url, ASK_TIMEOUT));
        let answers = tokio::select! {
            _ = stop.cancelled() => return,
            answers = futures_util::future::join_all(asks) => answers,
        };
        let now = SystemTime::now();
        {
            let mut board = lock(&board);
            for (index, answer) in answers.into_iter().enumerate() {
                board.record(index, answer, now);
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// `acnslab classroom teacher`: serves the page until Ctrl-C or SIGTERM.
pub fn run(args: TeacherArgs) -> Result<(), String> {
    let (labs, listen, port, dir) = match (&args.dir, &args.labs) {
        (Some(dir), _) => {
            let roster = super::roster::Roster::read(dir).map_err(|e| e.to_string())?;
            let labs = labs::from_roster(&roster, dir).map_err(|e| e.to_string())?;
            (
                labs,
                args.listen.unwrap_or(roster.listen),
                args.port.unwrap_or(roster.teacher_port),
                Some(dir.clone()),
            )
        }
        (None, Some(file)) => (
            labs::from_file(file).map_err(|e| e.to_string())?,
            args.listen.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            args.port.unwrap_or(DEFAULT_PORT),
            None,
        ),
        (None, None) => return Err("give the labs with --dir DIR or --labs FILE".into()),
    };
    // one page per classroom: `classroom down` finds it through this lock
    let _lock = match &dir {
        Some(dir) => Some(super::pidlock::TeacherLock::acquire(dir).map_err(|e| e.to_string())?),
        None => None,
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let mut stop = crate::signals::StopSignals::register();
        let addr = SocketAddr::new(listen, port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("--port {port}: cannot listen on {addr}: {e}"))?;
        let board: Shared = Arc::new(Mutex::new(Board::new(&labs)));
        let tasks = crate::owned::Tasks::new();
        let polled = board.clone();
        tasks.spawn_graceful(|stop| poll(polled, stop));
        let shown = crate::lab::listen::reachable(addr);
        println!(
            "teacher's page: http://{shown}/ watching {} lab(s); Ctrl-C stops it",
            labs.len()
        );
        let served = axum::serve(listener, router(board))
            .with_graceful_shutdown(async move { stop.wait().await })
            .await;
        tasks.shutdown(Duration::from_secs(5)).await;
        served.map_err(|e| e.to_string())?;
        println!("teacher's page stopped");
        Ok(())
    })
}
