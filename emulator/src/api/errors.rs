//! One shape for every failure under `/api/`: `{"error": "message"}` with the status code. The
//! CDM's own refusals ([`UpgradeError`]) map to their codes here; [`json_errors`] (around the
//! whole router, acting on `/api` paths only) turns what the HTTP layer answers on its own (axum's rejections of a body or path: 400, 413, 415, 422; the
//! body-read timeout's 400; a method a route does not take, 405) into the same shape, keeping its
//! status and headers; [`no_route`] is the 404 of an address that is no route. Knows no route.

use axum::body::Body;
use axum::extract::{OriginalUri, Request};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::text::api as text;
use crate::upgrade::UpgradeError;

/// The body of every refusal.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person to read.
    #[schema(example = "no device ce9")]
    pub error: String,
}

/// A refusal: a status code and its message.
#[derive(Debug)]
pub(super) struct ApiError {
    pub(super) status: StatusCode,
    pub(super) message: String,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response()
    }
}

impl From<UpgradeError> for ApiError {
    fn from(e: UpgradeError) -> ApiError {
        let status = match e {
            UpgradeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            UpgradeError::NotFound(_) => StatusCode::NOT_FOUND,
            UpgradeError::Conflict(_) => StatusCode::CONFLICT,
            UpgradeError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError::new(status, e.to_string())
    }
}

/// The API router's fallback: no route has this address (the whole of it: the router is nested
/// under `/api`).
pub(super) async fn no_route(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("{}{}", text::NO_SUCH_PATH, uri.path()),
    )
}

/// The longest text of a refusal from the HTTP layer taken into the JSON message.
const MAX_MESSAGE: usize = 4096;

/// Whether `path` is the API's (the rest is the web GUI's, which answers in HTML).
fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Middleware: under `/api`, an error answer (4xx, 5xx) that is not JSON becomes
/// `{"error": its text}` (the reason phrase when it has none; for a 405 which methods the route
/// takes), same status and headers. JSON answers, and every answer elsewhere, pass as they are.
pub(super) async fn json_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    if !is_api(&path) {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_MESSAGE)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if status == StatusCode::METHOD_NOT_ALLOWED {
        not_allowed(&method, &path, parts.headers.get(header::ALLOW))
    } else if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = serde_json::to_vec(&ErrorBody { error: message }).unwrap_or_default();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(body))
}

/// The message of a 405: the methods the route takes, from its `Allow` header.
fn not_allowed(method: &Method, path: &str, allow: Option<&HeaderValue>) -> String {
    let allowed = allow
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(|v| v.replace(',', ", "))
        .unwrap_or_else(|| "another method".to_string());
    text::METHOD_NOT_ALLOWED
        .replace("{method}", method.as_str())
        .replace("{path}", path)
        .replace("{allowed}", &allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_405_names_the_methods_the_route_takes() {
        assert_eq!(
            not_allowed(
                &Method::PUT,
                "/api/devices",
                Some(&HeaderValue::from_static("GET,HEAD"))
            ),
            "PUT is not allowed on /api/devices; use GET, HEAD"
        );
        assert!(not_allowed(&Method::PUT, "/api/x", None).ends_with("use another method"));
    }
}
