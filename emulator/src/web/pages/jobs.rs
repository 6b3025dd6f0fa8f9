//! Software Update Jobs: each upgrade job with its device, file, status and history, reloaded by
//! the browser every 3 seconds. Reads through `upgrade`.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;

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
                    tr { th { "Job" } th { "Device" } th { "File" } th { "Status" } th { (text::REASON_COLUMN) } th { "History" } }
                    @for j in &jobs {
                        tr id={ "job-" (j.id) } {
                            td { (j.id) }
                            td.device { (j.device) }
                            td { (j.file) }
                            td.status { (j.status) }
                            td.reason { (j.reason.as_deref().unwrap_or("")) }
                            td.history { @for (at, message) in &j.history { (at) " " (message) br; } }
                        }
                    }
                }
            }
        })
    })
}
