//! The lab's health and metrics port (docs/deploy.md), for container probes, Kubernetes and
//! Prometheus: `GET /healthz` answers 200 when every device is up and its SSH port listens, 503
//! naming the others (JSON, [`HealthView`]); `GET /metrics` the lab's figures in the Prometheus
//! text format (`metrics.rs`), with the process's own (`process.rs`). Both read the lab through [`LabWatch`] and need no login (they
//! tell counts and states, no configuration and no secret). `service()` is what `acnslab up`
//! hands the lab ([`crate::lab::LabOptions::lab_http`]); `router_with` serves other routes beside
//! them (an exercise's `/exercise`). Any other address answers 404 naming the routes served.

mod metrics;
pub mod process;

pub use metrics::render;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::lab::{DeviceFigures, LabHttp, LabWatch};

/// `/healthz`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthView {
    /// `ok` (200) or `unavailable` (503).
    pub status: &'static str,
    /// Devices in the lab.
    pub devices: usize,
    /// Devices up and listening.
    pub ready: usize,
    /// The others: why each is not ready.
    pub not_ready: Vec<NotReady>,
}

/// A device that is not up and listening.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotReady {
    pub name: String,
    /// `booting`, `rebooting`, or `running` while its port is not open yet.
    pub power: &'static str,
    pub listening: bool,
}

impl HealthView {
    /// The health of a lab whose devices are `devices` (none: the lab is gone, unavailable).
    pub fn of(devices: &[DeviceFigures]) -> HealthView {
        let not_ready: Vec<NotReady> = devices
            .iter()
            .filter(|d| !d.ready())
            .map(|d| NotReady {
                name: d.name.clone(),
                power: d.power.word(),
                listening: d.listening,
            })
            .collect();
        let healthy = !devices.is_empty() && not_ready.is_empty();
        HealthView {
            status: if healthy { "ok" } else { "unavailable" },
            devices: devices.len(),
            ready: devices.len() - not_ready.len(),
            not_ready,
        }
    }

    pub fn healthy(&self) -> bool {
        self.status == "ok"
    }
}

/// The paths of the health port's own routes.
const PATHS: [&str; 2] = ["/healthz", "/metrics"];

/// The routes of the health port: `/healthz` and `/metrics`.
pub fn router(watch: LabWatch) -> Router {
    router_with(watch, Router::new(), &[])
}

/// The routes of the health port with `more` served beside `/healthz` and `/metrics` (an
/// exercise's `/exercise`); `more_paths` are its paths, named with ours in the 404 of any other
/// address. `more` has no fallback of its own.
pub fn router_with(watch: LabWatch, more: Router, more_paths: &[&str]) -> Router {
    let served: Vec<&str> = PATHS.iter().chain(more_paths).copied().collect();
    let message = not_found(&served);
    Router::new()
        .route(PATHS[0], get(healthz))
        .route(PATHS[1], get(metrics))
        .with_state(Arc::new(watch))
        .merge(more)
        .fallback(move || async move {
            (
                StatusCode::NOT_FOUND,
                Json(serde_json::json!({ "error": message })),
            )
        })
}

/// The 404's message: the routes the port serves, `not found: use /healthz, /metrics or /exercise`.
fn not_found(paths: &[&str]) -> String {
    let listed = match paths.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    format!("not found: use {listed}")
}

/// What the lab serves on its health port (for [`crate::lab::LabOptions`]).
pub fn service() -> LabHttp {
    Arc::new(router)
}

async fn healthz(State(watch): State<Arc<LabWatch>>) -> Response {
    let view = HealthView::of(&watch.devices());
    let code = if view.healthy() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(view)).into_response()
}

async fn metrics(State(watch): State<Arc<LabWatch>>) -> Response {
    // the primary's jobs are a query of its CMS database, the process's figures files of /proc:
    // off the async workers
    let figures = tokio::task::spawn_blocking(move || (watch.figures(), process::read())).await;
    match figures {
        Ok((Some(figures), process)) => (
            [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
            render(&figures, &process),
        )
            .into_response(),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"error": "the lab is stopping"})),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DeviceKind;
    use crate::device::Power;

    fn device(name: &str, power: Power, listening: bool) -> DeviceFigures {
        DeviceFigures {
            name: name.into(),
            kind: DeviceKind::Ce,
            power,
            listening,
            sessions_open: 0,
            counts: Default::default(),
        }
    }

    #[test]
    fn the_404_names_every_path_served() {
        assert_eq!(not_found(&PATHS), "not found: use /healthz or /metrics");
        assert_eq!(
            not_found(&["/healthz", "/metrics", "/exercise"]),
            "not found: use /healthz, /metrics or /exercise"
        );
    }

    #[test]
    fn healthy_only_when_every_device_is_up_and_listening() {
        let up = device("ce1", Power::Running, true);
        assert!(HealthView::of(std::slice::from_ref(&up)).healthy());
        let view = HealthView::of(&[
            up.clone(),
            device("ce2", Power::Rebooting, false),
            device("cr1", Power::Running, false),
        ]);
        assert!(!view.healthy());
        assert_eq!((view.devices, view.ready), (3, 1));
        let names: Vec<_> = view
            .not_ready
            .iter()
            .map(|d| (d.name.as_str(), d.power))
            .collect();
        assert_eq!(names, [("ce2", "rebooting"), ("cr1", "running")]);
        assert!(!HealthView::of(&[]).healthy(), "a lab that is gone");
    }
}
