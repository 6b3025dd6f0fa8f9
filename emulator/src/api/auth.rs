//! Who may use the API: the CDM's administrator, the account the web GUI logs in with. A request
//! carries HTTP Basic credentials (checked on every request) or a bearer token from
//! `POST /api/login` (a login that ends like a GUI session: idle 30 minutes, 12 hours in all;
//! `POST /api/logout` ends it sooner). The check and the lockout are `crate::cdm_login`'s, shared
//! with the GUI: a wrong password here counts toward the same five a minute. The GUI's session
//! cookie is not taken, so no web page can call the API with a browser's login. Refusals: 401
//! with the `WWW-Authenticate` challenges, or 429 with `Retry-After` while logins are locked.

use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::headers::authorization::{Basic, Bearer};
use axum_extra::headers::{Authorization, HeaderMapExt};
use serde::{Deserialize, Serialize};

use super::errors::{ApiError, ErrorBody};
use super::ApiState;
use crate::cdm_login::{Door, Refused, IDLE, LIFETIME};
use crate::text::api as text;

/// A refusal to let a caller in.
enum Denied {
    /// No usable credentials, wrong ones, or a token that is no login: 401.
    Unauthorized(String),
    /// Logins are locked for this long after failures: 429.
    Locked(Duration),
}

impl From<Refused> for Denied {
    fn from(refused: Refused) -> Denied {
        match refused {
            Refused::Wrong => Denied::Unauthorized(refused.to_string()),
            Refused::Locked(wait) => Denied::Locked(wait),
        }
    }
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Denied::Unauthorized(message) => {
                let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message).into_response();
                let headers = response.headers_mut();
                for scheme in ["Basic", "Bearer"] {
                    let challenge = format!("{scheme} realm=\"{}\"", text::REALM);
                    if let Ok(value) = HeaderValue::from_str(&challenge) {
                        headers.append(header::WWW_AUTHENTICATE, value);
                    }
                }
                response
            }
            Denied::Locked(wait) => {
                let message = Refused::Locked(wait).to_string();
                let mut response =
                    ApiError::new(StatusCode::TOO_MANY_REQUESTS, message).into_response();
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(wait.as_secs().max(1)),
                );
                response
            }
        }
    }
}

/// Checks HTTP Basic credentials against the CDM's accounts (counted toward the lockout).
fn check_basic(api: &ApiState, basic: &Basic) -> Result<(), Denied> {
    api.check.check(
        api.lab.cdm().device(),
        Door::Api,
        basic.username(),
        basic.password(),
        Instant::now(),
    )?;
    Ok(())
}

/// Middleware of every route but `POST /api/login` and `GET /api/openapi.json`: Basic
/// credentials of the administrator, or a live token.
pub(super) async fn require_login(
    State(api): State<ApiState>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let verdict = if let Some(Authorization(basic)) = headers.typed_get::<Authorization<Basic>>() {
        check_basic(&api, &basic)
    } else if let Some(Authorization(bearer)) = headers.typed_get::<Authorization<Bearer>>() {
        if api.tokens.holds(bearer.token(), Instant::now()) {
            Ok(())
        } else {
            Err(Denied::Unauthorized(text::BAD_TOKEN.to_string()))
        }
    } else {
        Err(Denied::Unauthorized(text::LOGIN_REQUIRED.to_string()))
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(denied) => denied.into_response(),
    }
}

/// The account of `POST /api/login` as a JSON body (instead of HTTP Basic).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginRequest {
    #[schema(example = "admin")]
    username: String,
    #[schema(example = "default")]
    password: String,
}

/// A login: the token to send as `Authorization: Bearer TOKEN`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Token {
    #[schema(example = "6f1c0a4d2b9e8f7a6c5d4e3f2a1b0c9d")]
    token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// The login ends after this many seconds without a request.
    idle_seconds: u64,
    /// The login ends this many seconds after it began, used or not.
    lifetime_seconds: u64,
}

/// Log in: a bearer token for the CDM's administrator account.
#[utoipa::path(
    post,
    path = "/api/login",
    tag = "login",
    security((), ("basic" = [])),
    request_body(content = Option<LoginRequest>, description = "the account, unless given by HTTP Basic"),
    responses(
        (status = 200, description = "logged in", body = Token),
        (status = 401, description = "wrong or no credentials", body = ErrorBody),
        (status = 429, description = "logins locked after failures; see Retry-After", body = ErrorBody),
    )
)]
pub(super) async fn login(
    State(api): State<ApiState>,
    headers: HeaderMap,
    body: Option<Json<LoginRequest>>,
) -> Response {
    let checked = match (headers.typed_get::<Authorization<Basic>>(), body) {
        (Some(Authorization(basic)), _) => check_basic(&api, &basic),
        (None, Some(Json(account))) => api
            .check
            .check(
                api.lab.cdm().device(),
                Door::Api,
                &account.username,
                &account.password,
                Instant::now(),
            )
            .map_err(Denied::from),
        (None, None) => Err(Denied::Unauthorized(
            text::LOGIN_WITHOUT_CREDENTIALS.to_string(),
        )),
    };
    if let Err(denied) = checked {
        return denied.into_response();
    }
    Json(Token {
        token: api.tokens.start(Instant::now()),
        token_type: "Bearer",
        idle_seconds: IDLE.as_secs(),
        lifetime_seconds: LIFETIME.as_secs(),
    })
    .into_response()
}

/// Log out: the bearer token of the request stops being a login (with HTTP Basic: nothing to end).
#[utoipa::path(
    post,
    path = "/api/logout",
    tag = "login",
    responses((status = 204, description = "logged out"))
)]
pub(super) async fn logout(State(api): State<ApiState>, headers: HeaderMap) -> StatusCode {
    if let Some(Authorization(bearer)) = headers.typed_get::<Authorization<Bearer>>() {
        api.tokens.end(bearer.token());
    }
    StatusCode::NO_CONTENT
}
