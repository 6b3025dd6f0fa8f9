//! Software Update Jobs: one row per upgrade job (device, file, status, the reason of a failure,
//! when it started and last changed, to the second), reloaded by the browser every 3 seconds; each
//! job's history (every status message, e.g. one per MB downloaded) is behind a link, in a window
//! of its own. Reads through `upgrade`.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::html;

use super::to_second;
use crate::text::gui as text;
use crate::upgrade;
use crate::web::auth::Admin;
use crate::web::flash::Flash;
use crate::web::frame::data_window;
use crate::web::GuiState;

pub(in crate::web) async fn jobs_page(
    State(gui): State<GuiState>,
    _: Admin,
    Query(flash): Query<Flash>,
) -> Response {
    data_window(&gui.lab, text::WINDOW_JOBS, &flash, true, |cms| {
        let jobs = upgrade::jobs(cms)?;
        Ok(html! {
            @if jobs.is_empty() {
                p #no-jobs { (text::NO_JOBS) }
            } @else {
                table #jobs {
                    tr {
                        th { "Job" } th { "Device" } th { "File" } th { "Status" }
                        th { (text::REASON_COLUMN) } th { (text::STARTED_COLUMN) }
                        th { (text::CHANGED_COLUMN) } th { "History" }
                    }
                    @for j in &jobs {
                        tr id={ "job-" (j.id) } {
                            td { (j.id) }
                            td.device { (j.device) }
                            td { (j.file) }
                            td.status { (j.status) }
                            td.reason { (j.reason.as_deref().unwrap_or("")) }
                            td.started { (j.history.first().map(|(at, _)| to_second(at)).unwrap_or_default()) }
                            td.changed { (j.history.last().map(|(at, _)| to_second(at)).unwrap_or_default()) }
                            td { a.history href={ "/jobs/" (j.id) } { (j.history.len()) " " (text::ENTRIES) } }
                        }
                    }
                }
            }
        })
    })
}

/// One job's history: every status message with its time, to the second.
pub(in crate::web) async fn job_page(
    State(gui): State<GuiState>,
    _: Admin,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> Response {
    let title = format!("{} {id}", text::WINDOW_JOB);
    data_window(&gui.lab, &title, &flash, true, |cms| {
        let job = upgrade::job(cms, id)?;
        Ok(html! {
            p { "Device " span.device { (job.device) } ", status " span.status { (job.status) } }
            table #history {
                tr { th { "Time" } th { "Message" } }
                @for (at, message) in &job.history {
                    tr { td.at { (to_second(at)) } td.message { (message) } }
                }
            }
            p { a href="/jobs" { (text::WINDOW_JOBS) } }
        })
    })
}
