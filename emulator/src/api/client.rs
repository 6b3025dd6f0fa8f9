//! A client of one CDM's API, for `acnslab cdm`, the scenario runner's `api` and `until_job`
//! steps, the benches and the tests: one HTTP/1.1 request per call on a connection of its own,
//! with the `Host` the guard wants and the credentials it was made with (HTTP Basic or a bearer
//! token); the answer as a status code and JSON. Knows no route.

use std::net::SocketAddr;

use axum_extra::headers::{Authorization, HeaderMapExt};
use http_body_util::{BodyExt, Full};

use crate::lab::DeviceInfo;

/// How a [`Client`] says who it is.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// No credentials: only `GET /api/openapi.json` and `POST /api/login` (with a body) answer.
    Anonymous,
    /// HTTP Basic with a CDM account, sent with every request.
    Basic { user: String, password: String },
    /// A token from `POST /api/login`.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    /// Never shows a password or a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Anonymous => f.write_str("Anonymous"),
            Auth::Basic { user, .. } => write!(f, "Basic({user})"),
            Auth::Bearer(_) => f.write_str("Bearer"),
        }
    }
}

/// Why a call to a CDM's API got no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{source}")]
    Http {
        addr: SocketAddr,
        source: hyper::Error,
    },
    #[error("bad request: {0}")]
    Request(#[from] axum::http::Error),
    #[error("a token that cannot be sent in a header")]
    Token,
    #[error("bad JSON from the CDM: {0}")]
    Json(#[from] serde_json::Error),
}

/// A client of the API at `addr`.
#[derive(Debug, Clone)]
pub struct Client {
    addr: SocketAddr,
    auth: Auth,
}

impl Client {
    /// A client of the API at `addr` that says who it is by `auth`.
    pub fn new(addr: SocketAddr, auth: Auth) -> Client {
        Client { addr, auth }
    }

    /// A client with HTTP Basic credentials.
    pub fn basic(addr: SocketAddr, user: &str, password: &str) -> Client {
        Client::new(
            addr,
            Auth::Basic {
                user: user.to_string(),
                password: password.to_string(),
            },
        )
    }

    /// The client of a CDM as `lab.json` (or `Lab::info`) describes it: its API address and its
    /// administrator account. `None` for a device without an API.
    pub fn of(device: &DeviceInfo) -> Option<Client> {
        let addr = device.api.as_deref()?.parse().ok()?;
        Some(Client::basic(addr, &device.username, &device.password))
    }

    /// The same API with other credentials.
    pub fn with_auth(&self, auth: Auth) -> Client {
        Client::new(self.addr, auth)
    }

    /// Where the API listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `method` `path` with an optional JSON body; the status code and the JSON answer (`null`
    /// when empty).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(u16, serde_json::Value), CallError> {
        let addr = self.addr;
        let http = |source| CallError::Http { addr, source };
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|source| CallError::Connect { addr, source })?;
        let io = hyper_util::rt::TokioIo::new(stream);
        let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(http)?;
        // Driven beside the request in this task; once it ends it stays pending, so the request
        // side decides the outcome.
        let drive = async move {
            let _ = connection.await;
            std::future::pending::<std::convert::Infallible>().await
        };
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", addr.to_string());
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut request = request.body(Full::new(bytes::Bytes::from(payload)))?;
        match &self.auth {
            Auth::Anonymous => {}
            Auth::Basic { user, password } => request
                .headers_mut()
                .typed_insert(Authorization::basic(user, password)),
            Auth::Bearer(token) => request
                .headers_mut()
                .typed_insert(Authorization::bearer(token).map_err(|_| CallError::Token)?),
        }
        let exchange = async {
            let response = sender.send_request(request).await.map_err(http)?;
            let status = response.status().as_u16();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(http)?
                .to_bytes();
            Ok::<_, CallError>((status, bytes))
        };
        let (status, bytes) = tokio::select! {
            answered = exchange => answered?,
            never = drive => match never {},
        };
        let value = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes)?
        };
        Ok((status, value))
    }

    /// Logs in (`POST /api/login` with this client's Basic credentials) and returns a client
    /// that sends the token instead; the status and answer when the CDM refuses.
    pub async fn login(&self) -> Result<Result<Client, (u16, serde_json::Value)>, CallError> {
        let (status, answer) = self.call("POST", "/api/login", None).await?;
        match answer["token"].as_str() {
            Some(token) if status == 200 => Ok(Ok(self.with_auth(Auth::Bearer(token.into())))),
            _ => Ok(Err((status, answer))),
        }
    }
}
