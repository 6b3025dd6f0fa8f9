//! The exercise's grade over HTTP, for a teacher's page that watches many labs, local or in pods
//! (docs/exercises.md, "A classroom"): `GET /exercise` on the lab's health port answers the same
//! JSON [`Grade`] the grader socket gives `acnslab exercise check`, 200; 503 while the setup still
//! runs and once the lab is stopping. Grading reads device state and CMS databases, so it runs off
//! the async workers. Added beside `/healthz` and `/metrics` by `acnslab exercise start`.

use std::sync::{Arc, OnceLock, Weak};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::{grade, Exercise, Grade};
use crate::lab::{Lab, LabHttp};

/// The path of the grade.
pub const PATH: &str = "/exercise";

/// What `/exercise` grades once the setup has run: the lab (gone once it stops) and its exercise.
pub struct Grader {
    pub lab: Weak<Lab>,
    pub exercise: Arc<Exercise>,
}

/// Filled by `exercise start` once the setup has run; empty until then.
pub type GraderSlot = Arc<OnceLock<Grader>>;

/// The route of the grade.
pub fn router(slot: GraderSlot) -> Router {
    Router::new().route(PATH, get(exercise)).with_state(slot)
}

/// What an exercise's lab serves on its health port: `/healthz` and `/metrics`
/// (`crate::observe`), and the grade beside them once the setup has run (for
/// [`crate::lab::LabOptions::lab_http`]).
pub fn health_port(slot: GraderSlot) -> LabHttp {
    Arc::new(move |watch| crate::observe::router_with(watch, router(slot.clone()), &[PATH]))
}

fn unavailable(why: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({ "error": why })),
    )
        .into_response()
}

async fn exercise(State(slot): State<GraderSlot>) -> Response {
    let Some(grader) = slot.get() else {
        return unavailable("the exercise is being set up");
    };
    let Some(lab) = grader.lab.upgrade() else {
        return unavailable("the exercise is stopping");
    };
    let exercise = grader.exercise.clone();
    let graded = tokio::task::spawn_blocking(move || grade(&lab, &exercise)).await;
    match graded {
        Ok(grade) => (StatusCode::OK, Json::<Grade>(grade)).into_response(),
        Err(_) => unavailable("the exercise is stopping"),
    }
}
