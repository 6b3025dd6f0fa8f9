//! The CDM's HTTP API (JSON; see docs/api.md): what the guide does in the CDM GUI, for scripts,
//! scenario files and `acnslab cdm`. Each CDM listens on loopback; only the primary answers, a
//! standby says so (503). This file holds the route table ([`routes`]: method, path, handler,
//! whether a login is needed) and builds the router from it: the API nested under `/api` beside
//! the web pages, behind the guard; a trailing slash on an API path is dropped (`/api/devices/`
//! answers as `/api/devices`). The folder:
//! - `handlers`: the resources (devices, groups, files, upgrades, jobs), thin calls to `upgrade`
//!   and the lab; they hold no state of their own;
//! - `auth`: logins: HTTP Basic with the CDM's administrator account or a bearer token from
//!   `POST /api/login`, checked as the GUI checks them (`crate::cdm_login`, one lockout for both);
//! - `errors`: one error shape, `{"error": "..."}`, for the CDM's refusals and the HTTP layer's;
//! - `openapi`: the OpenAPI 3 document (utoipa), `GET /api/openapi.json`;
//! - `client`: the client `acnslab cdm`, the scenario runner and the tests call the API with;
//! - `guard`: `Host` and `Origin` on every request, API and web pages alike.

mod auth;
mod client;
mod errors;
mod guard;
mod handlers;
mod openapi;

use std::sync::Arc;

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;
use tower_http::normalize_path::NormalizePath;

pub use client::{Auth, CallError, Client};

use crate::cdm_login::{LoginCheck, Sessions};
use crate::lab::{CdmHttp, CdmShared};

/// What the API's handlers share: the lab as the CDM's port reaches it, the CDM's login check
/// (the web GUI's too) and the logins (bearer tokens) of the API.
pub(crate) struct Api {
    lab: CdmShared,
    check: Arc<LoginCheck>,
    tokens: Sessions,
}

/// The router's state.
type ApiState = Arc<Api>;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone.
    Open,
    /// The CDM's administrator (HTTP Basic or a token; `auth::require_login`).
    Admin,
}

/// One route of the API.
struct Route {
    method: Method,
    /// As the OpenAPI document spells it, `/api/...` with `{name}` placeholders.
    path: &'static str,
    access: Access,
    /// The handler, routed for the method it is given.
    handler: Box<dyn FnOnce(MethodFilter) -> MethodRouter<ApiState>>,
}

fn route<H, T>(method: Method, path: &'static str, access: Access, handler: H) -> Route
where
    H: Handler<T, ApiState>,
    T: 'static,
{
    Route {
        method,
        path,
        access,
        handler: Box::new(move |filter| axum::routing::on(filter, handler)),
    }
}

/// Every route of the API, once. The router is built from this table, and a test keeps the
/// OpenAPI document the same.
fn routes() -> Vec<Route> {
    use Access::{Admin, Open};
    use Method as M;
    vec![
        route(M::GET, "/api/openapi.json", Open, openapi::openapi_json),
        route(M::POST, "/api/login", Open, auth::login),
        route(M::POST, "/api/logout", Admin, auth::logout),
        route(M::GET, "/api/devices", Admin, handlers::devices),
        route(M::GET, "/api/devices/{name}", Admin, handlers::device),
        route(M::GET, "/api/groups", Admin, handlers::groups),
        route(M::GET, "/api/groups/{name}", Admin, handlers::group),
        route(M::GET, "/api/files", Admin, handlers::files),
        route(M::POST, "/api/files", Admin, handlers::register),
        route(M::GET, "/api/files/{id}", Admin, handlers::file),
        route(M::DELETE, "/api/files/{id}", Admin, handlers::unregister),
        route(M::POST, "/api/upgrades", Admin, handlers::upgrade_request),
        route(M::GET, "/api/jobs", Admin, handlers::jobs),
        route(M::GET, "/api/jobs/{id}", Admin, handlers::job),
    ]
}

/// Where the API is nested.
const PREFIX: &str = "/api";

/// The routes: the JSON API under `/api` (its own 404 and JSON errors there), the web pages
/// (`crate::web`) elsewhere, all behind the `Host`/`Origin` guard of the port they are served on.
pub fn router(lab: CdmShared) -> Router {
    let hosts = lab.http_addr().map(guard::Hosts::of);
    let check = Arc::new(LoginCheck::default());
    let state: ApiState = Arc::new(Api {
        lab: lab.clone(),
        check: check.clone(),
        tokens: Sessions::default(),
    });
    let (mut open, mut admin) = (Router::new(), Router::new());
    for r in routes() {
        let path = r.path.strip_prefix(PREFIX).expect("an API path");
        let filter = MethodFilter::try_from(r.method).expect("a method axum routes");
        let handler = (r.handler)(filter);
        match r.access {
            Access::Open => open = open.route(path, handler),
            Access::Admin => admin = admin.route(path, handler),
        }
    }
    let admin = admin.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        auth::require_login,
    ));
    let api = open
        .merge(admin)
        .fallback(errors::no_route)
        .with_state(state);
    // `/api/devices/` is `/api/devices`: a trailing slash is dropped before the API routes it
    let api = NormalizePath::trim_trailing_slash(api);
    let routed = Router::new()
        .nest_service(PREFIX, api)
        .merge(crate::web::routes(lab, check))
        .layer(axum::middleware::from_fn_with_state(hosts, guard::check));
    // The JSON errors wrap the router as one service, so they see each answer as it leaves it: a
    // layer of the router would wrap each route, inside the method router that adds a 405's
    // `Allow`.
    Router::new()
        .fallback_service(routed)
        .layer(axum::middleware::from_fn(errors::json_errors))
}

/// What a CDM serves on its HTTP port: the API and the web pages (for [`crate::lab::LabOptions`]).
pub fn service() -> CdmHttp {
    Arc::new(router)
}
