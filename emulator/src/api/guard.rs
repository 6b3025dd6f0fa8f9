//! Who may talk to a CDM's HTTP port (the API and the web pages). On a port bound to loopback a
//! request must name the port in its `Host` header by the address it is bound to or as loopback
//! does (`127.0.0.2:PORT` for `--listen 127.0.0.2`, `127.0.0.1:PORT`, `localhost:PORT`,
//! `[::1]:PORT`): a web page that reaches loopback through a name of its own (DNS
//! rebinding) is answered 421. A port bound where other hosts reach it (`acnslab up --listen`) is
//! reached by names and ports the lab cannot know (a container's port mapping, a Kubernetes
//! Service): any `Host` passes, and the login is the lab password's to guard. Either way a
//! state-changing request (anything but GET, HEAD, OPTIONS) that a browser sends from another
//! origin (an `Origin` not `http://` + the request's own `Host`, or `Sec-Fetch-Site: cross-site`)
//! is answered 403, so a page elsewhere cannot post forms or API calls to the lab (CSRF). Refusals
//! are JSON errors. Knows nothing of routes.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The names a client on this host reaches the port by.
const LOOPBACK_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

/// Which `Host` a port answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hosts {
    /// The port's own address and the loopback names only (a port bound to a loopback address).
    Loopback(std::net::SocketAddr),
    /// Any (a port other hosts reach, under names the lab cannot know).
    Any,
}

impl Hosts {
    /// The rule of a port bound to `addr`.
    pub(super) fn of(addr: std::net::SocketAddr) -> Hosts {
        if crate::lab::listen::is_exposed(addr.ip()) {
            Hosts::Any
        } else {
            Hosts::Loopback(addr)
        }
    }
}

/// The middleware: `hosts` is the rule of the port the router is served on (`None`: not known,
/// no check).
pub(super) async fn check(
    State(hosts): State<Option<Hosts>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(hosts) = hosts {
        if let Err((code, message)) = verdict(hosts, request.method(), request.headers()) {
            tracing::warn!(%message, "CDM HTTP request refused");
            return (code, Json(json!({ "error": message }))).into_response();
        }
    }
    next.run(request).await
}

/// Whether a request with these headers may reach the routes of a port answering `hosts`.
fn verdict(hosts: Hosts, method: &Method, headers: &HeaderMap) -> Result<(), (StatusCode, String)> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let own = |authority: &str| match hosts {
        Hosts::Loopback(bound) => {
            authority.eq_ignore_ascii_case(&bound.to_string())
                || LOOPBACK_NAMES
                    .iter()
                    .any(|name| authority.eq_ignore_ascii_case(&format!("{name}:{}", bound.port())))
        }
        Hosts::Any => !host.is_empty() && authority.eq_ignore_ascii_case(host),
    };
    if let Hosts::Loopback(bound) = hosts {
        if !own(host) {
            let port = bound.port();
            let names = if bound.ip() == std::net::Ipv4Addr::LOCALHOST {
                format!("127.0.0.1:{port}, localhost:{port} or [::1]:{port}")
            } else {
                format!("{bound}, 127.0.0.1:{port}, localhost:{port} or [::1]:{port}")
            };
            return Err((
                StatusCode::MISDIRECTED_REQUEST,
                format!("Host '{host}' is not this server: use {names}"),
            ));
        }
    }
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let same = origin.strip_prefix("http://").is_some_and(own);
        if !same {
            return Err((
                StatusCode::FORBIDDEN,
                format!("cross-origin request from '{origin}' refused"),
            ));
        }
    } else if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.to_str().unwrap_or_default(), "same-origin" | "none") {
            return Err((
                StatusCode::FORBIDDEN,
                "cross-site request refused".to_string(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    const L: Hosts = Hosts::Loopback(std::net::SocketAddr::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        8080,
    ));

    #[test]
    fn only_the_ports_own_names_and_origins_pass() {
        let post = Method::POST;
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "[::1]:8080",
        ] {
            assert!(
                verdict(L, &Method::GET, &headers(&[("host", host)])).is_ok(),
                "{host}"
            );
        }
        for host in [
            "evil.example:8080",
            "127.0.0.1:8081",
            "127.0.0.1",
            "localhost.evil:8080",
        ] {
            let (code, message) =
                verdict(L, &Method::GET, &headers(&[("host", host)])).unwrap_err();
            assert_eq!(code, StatusCode::MISDIRECTED_REQUEST, "{host}");
            assert!(message.contains(host), "{message}");
        }
        assert!(verdict(L, &Method::GET, &HeaderMap::new()).is_err());
        let own = [
            ("host", "127.0.0.1:8080"),
            ("origin", "http://localhost:8080"),
        ];
        assert!(verdict(L, &post, &headers(&own)).is_ok());
        for origin in [
            "http://evil.example",
            "null",
            "http://127.0.0.1:9",
            "https://127.0.0.1:8080",
        ] {
            let h = headers(&[("host", "127.0.0.1:8080"), ("origin", origin)]);
            assert_eq!(
                verdict(L, &post, &h).unwrap_err().0,
                StatusCode::FORBIDDEN,
                "{origin}"
            );
            // reading is left to the browser's same-origin rule
            assert!(verdict(L, &Method::GET, &h).is_ok());
        }
        let h = headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")]);
        assert_eq!(verdict(L, &post, &h).unwrap_err().0, StatusCode::FORBIDDEN);
        // scripts and curl send neither
        assert!(verdict(L, &Method::DELETE, &headers(&[("host", "127.0.0.1:8080")])).is_ok());
    }

    #[test]
    fn an_exposed_port_answers_any_host_but_only_its_own_origin() {
        let any = Hosts::Any;
        for host in [
            "lab-7.classroom.svc:2301",
            "203.0.113.9:8080",
            "127.0.0.1:2301",
        ] {
            assert!(
                verdict(any, &Method::GET, &headers(&[("host", host)])).is_ok(),
                "{host}"
            );
        }
        let own = [
            ("host", "lab-7.classroom.svc:2301"),
            ("origin", "http://lab-7.classroom.svc:2301"),
        ];
        assert!(verdict(any, &Method::POST, &headers(&own)).is_ok());
        let other = [
            ("host", "lab-7.classroom.svc:2301"),
            ("origin", "http://evil.example"),
        ];
        assert_eq!(
            verdict(any, &Method::POST, &headers(&other)).unwrap_err().0,
            StatusCode::FORBIDDEN
        );
        // no Host: no origin can be its own
        let h = headers(&[("origin", "http://lab:2301")]);
        assert!(verdict(any, &Method::POST, &h).is_err());
        assert_eq!(Hosts::of("0.0.0.0:2301".parse().unwrap()), Hosts::Any);
        assert_eq!(
            Hosts::of("127.0.0.1:2301".parse().unwrap()),
            Hosts::Loopback("127.0.0.1:2301".parse().unwrap())
        );
    }

    #[test]
    fn a_port_on_another_loopback_address_answers_that_address_too() {
        let bound = Hosts::of("127.0.0.2:9601".parse().unwrap());
        for host in ["127.0.0.2:9601", "127.0.0.1:9601", "localhost:9601"] {
            assert!(
                verdict(bound, &Method::GET, &headers(&[("host", host)])).is_ok(),
                "{host}"
            );
        }
        let own = [
            ("host", "127.0.0.2:9601"),
            ("origin", "http://127.0.0.2:9601"),
        ];
        assert!(verdict(bound, &Method::POST, &headers(&own)).is_ok());
        let (code, message) =
            verdict(bound, &Method::GET, &headers(&[("host", "127.0.0.3:9601")])).unwrap_err();
        assert_eq!(code, StatusCode::MISDIRECTED_REQUEST);
        assert!(
            message.contains("use 127.0.0.2:9601, 127.0.0.1:9601"),
            "{message}"
        );
    }
}
