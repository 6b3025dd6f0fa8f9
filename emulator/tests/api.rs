//! Issue 11 item 5, the CDM's HTTP API as a REST client meets it: logins with the CDM's own
//! administrator account (HTTP Basic, bearer tokens from `POST /api/login`), refused without
//! (401 and its challenge), wrong passwords counted in the web GUI's lockout; the single-resource
//! GETs; one JSON error shape for every failure under `/api/`, the HTTP layer's too; the OpenAPI
//! document, each route of it answering, and answering bad bodies as it says. Real lab, real HTTP
//! over TCP.

use acnslab::api::{Auth, Client};
use acnslab::lab::Lab;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::util::{admin_session, default_lab, CliMode};

/// `admin:default`, the default lab's CDM administrator, as HTTP Basic.
const ADMIN_BASIC: &str = "Basic YWRtaW46ZGVmYXVsdA==";

/// What came back from a raw request: status, header lines (names lowercased), body.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// The `error` of the one error shape (and nothing else in it).
    fn error(&self) -> String {
        let v = self.json();
        assert_eq!(
            v.as_object().map(|o| o.len()),
            Some(1),
            "only \"error\": {}",
            self.body
        );
        v["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error: {}", self.body))
            .to_string()
    }
}

/// One raw HTTP/1.1 request to `addr` with extra header lines and a body as given.
async fn raw(addr: &str, method: &str, path: &str, headers: &[&str], body: &[u8]) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).await.unwrap();
    // a body the server refuses early may not be read to its end
    let _ = stream.write_all(body).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {response:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// The address and the administrator's client of CDM number `i` of the default lab.
fn cdm(lab: &Lab, i: usize) -> (String, Client) {
    let info = &lab.info().devices[i];
    (info.api.clone().unwrap(), Client::of(info).unwrap())
}

/// The web GUI's login window, posted; where it redirects.
async fn gui_login(addr: &str, password: &str) -> String {
    let form = format!("username=admin&password={password}");
    let reply = raw(
        addr,
        "POST",
        "/login",
        &["Content-Type: application/x-www-form-urlencoded"],
        form.as_bytes(),
    )
    .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    reply.header("location")[0].to_string()
}

#[tokio::test]
async fn an_anonymous_call_is_refused_with_the_basic_challenge() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = default_lab(tmp.path()).await;
    let (addr, _) = cdm(&lab, 0);
    for path in ["/api/devices", "/api/files/1", "/api/jobs"] {
        let reply = raw(&addr, "GET", path, &[], b"").await;
        assert_eq!(reply.status, 401, "{path}: {}", reply.body);
        let challenges = reply.header("www-authenticate");
        assert_eq!(
            challenges,
            [
                "Basic realm=\"acnslab CDM\"",
                "Bearer realm=\"acnslab CDM\""
            ],
            "{path}"
        );
        assert!(reply.error().contains("POST /api/login"), "{}", reply.body);
        assert!(reply.header("content-type")[0].starts_with("application/json"));
    }
    // a scheme the API does not take, and a Basic header that does not decode
    for authorization in ["Digest username=\"admin\"", "Basic !!!"] {
        let header = format!("Authorization: {authorization}");
        let reply = raw(&addr, "GET", "/api/devices", &[&header], b"").await;
        assert_eq!(reply.status, 401, "{authorization}");
    }
    // a state change is refused before anything happens
    let body = br#"{"url": "http://10.1.1.100/meta/ACNS-5.2.1-K9-http.meta"}"#;
    let reply = raw(
        &addr,
        "POST",
        "/api/files",
        &["Content-Type: application/json"],
        body,
    )
    .await;
    assert_eq!(reply.status, 401);
    let (_, admin) = cdm(&lab, 0);
    let (_, files) = admin.call("GET", "/api/files", None).await.unwrap();
    assert_eq!(files, json!([]), "nothing was registered");
    // the document stays open
    let reply = raw(&addr, "GET", "/api/openapi.json", &[], b"").await;
    assert_eq!(reply.status, 200);
    assert!(reply.json()["openapi"].as_str().unwrap().starts_with("3."));
    // the standby asks for a login too, then says it is not the primary
    let (standby_addr, standby) = cdm(&lab, 1);
    let reply = raw(&standby_addr, "GET", "/api/devices", &[], b"").await;
    assert_eq!(reply.status, 401);
    let (status, body) = standby.call("GET", "/api/devices", None).await.unwrap();
    assert_eq!(status, 503, "{body}");
    lab.shutdown().await;
}

#[tokio::test]
async fn the_guis_account_logs_in_by_basic_and_by_token() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = default_lab(tmp.path()).await;
    let (addr, admin) = cdm(&lab, 0);
    // HTTP Basic on each request, as `curl -u admin:default`
    let header = format!("Authorization: {ADMIN_BASIC}");
    let reply = raw(&addr, "GET", "/api/devices", &[&header], b"").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json().as_array().unwrap().len(), 5);
    // a token from POST /api/login with Basic ...
    let reply = raw(&addr, "POST", "/api/login", &[&header], b"").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let login = reply.json();
    assert_eq!(login["token_type"], "Bearer");
    assert_eq!(login["idle_seconds"], 1800);
    assert_eq!(login["lifetime_seconds"], 43200);
    let token = login["token"].as_str().unwrap().to_string();
    let bearer = admin.with_auth(Auth::Bearer(token.clone()));
    let (status, groups) = bearer.call("GET", "/api/groups", None).await.unwrap();
    assert_eq!(status, 200, "{groups}");
    // ... or with a JSON body
    let anonymous = admin.with_auth(Auth::Anonymous);
    let (status, other) = anonymous
        .call(
            "POST",
            "/api/login",
            Some(json!({"username": "admin", "password": "default"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{other}");
    assert_ne!(other["token"], login["token"]);
    let (status, body) = anonymous.call("POST", "/api/login", None).await.unwrap();
    assert_eq!(status, 401, "no credentials at all: {body}");
    // a token that is no login, and one after logout
    let stranger = admin.with_auth(Auth::Bearer("0123456789abcdef".into()));
    let (status, body) = stranger.call("GET", "/api/groups", None).await.unwrap();
    assert_eq!(status, 401, "{body}");
    assert!(body["error"].as_str().unwrap().contains("log in again"));
    let (status, _) = bearer.call("POST", "/api/logout", None).await.unwrap();
    assert_eq!(status, 204);
    let (status, _) = bearer.call("GET", "/api/groups", None).await.unwrap();
    assert_eq!(status, 401, "the token ended with the logout");
    // the CDM's own account: a new password on the CDM is the API's at once
    let mut session = admin_session(&lab, "cdm1", CliMode::GlobalConfig);
    let reply = session.execute("username admin password s3cret");
    assert_eq!(reply.text, "", "{}", reply.text);
    let (status, _) = admin.call("GET", "/api/devices", None).await.unwrap();
    assert_eq!(status, 401, "the old password");
    let (status, _) = Client::basic(admin.addr(), "admin", "s3cret")
        .call("GET", "/api/devices", None)
        .await
        .unwrap();
    assert_eq!(status, 200, "the new one");
    // a token from before the change stays a login, as a GUI session does
    let (status, _) = anonymous
        .with_auth(Auth::Bearer(other["token"].as_str().unwrap().into()))
        .call("GET", "/api/devices", None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    // an account below privilege 15 is not the administrator
    session.execute("username viewer password view privilege 1");
    let (status, _) = Client::basic(admin.addr(), "viewer", "view")
        .call("GET", "/api/devices", None)
        .await
        .unwrap();
    assert_eq!(status, 401);
    lab.shutdown().await;
}

#[tokio::test]
async fn wrong_api_passwords_count_in_the_guis_lockout() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = default_lab(tmp.path()).await;
    let (addr, admin) = cdm(&lab, 0);
    let logged_in = admin.login().await.unwrap().unwrap();
    let guesser = Client::basic(admin.addr(), "admin", "guess");
    // three failures in the GUI's window, two through the API: five within a minute
    for _ in 0..3 {
        assert!(gui_login(&addr, "guess").await.contains("Login%20failed"));
    }
    for _ in 0..2 {
        let (status, body) = guesser.call("GET", "/api/devices", None).await.unwrap();
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"], "Login failed: wrong username or password.");
    }
    // now every login is refused, the right password too, at every door
    let (status, body) = admin.call("GET", "/api/devices", None).await.unwrap();
    assert_eq!(status, 429, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("Too many failed logins: try again in "),
        "{body}"
    );
    let header = format!("Authorization: {ADMIN_BASIC}");
    let reply = raw(&addr, "POST", "/api/login", &[&header], b"").await;
    assert_eq!(reply.status, 429);
    let wait: u64 = reply.header("retry-after")[0].parse().unwrap();
    assert!((50..=60).contains(&wait), "{wait}");
    let (status, _) = admin
        .with_auth(Auth::Anonymous)
        .call(
            "POST",
            "/api/login",
            Some(json!({"username": "admin", "password": "default"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 429);
    assert!(gui_login(&addr, "default")
        .await
        .contains("Too%20many%20failed%20logins"));
    // a login from before goes on, as a GUI session does
    let (status, _) = logged_in.call("GET", "/api/devices", None).await.unwrap();
    assert_eq!(status, 200);
    // the other CDM has a lockout of its own
    let (_, standby) = cdm(&lab, 1);
    let (status, _) = standby.call("GET", "/api/devices", None).await.unwrap();
    assert_eq!(status, 503, "logged in, then: not the primary");
    lab.shutdown().await;
}

#[tokio::test]
async fn single_resources_have_the_shape_of_their_list_items() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = default_lab(tmp.path()).await;
    let (_, api) = cdm(&lab, 0);
    let get = |path: String| {
        let api = api.clone();
        async move { api.call("GET", &path, None).await.unwrap() }
    };
    let (_, devices) = get("/api/devices".into()).await;
    for d in devices.as_array().unwrap() {
        let name = d["name"].as_str().unwrap();
        let (status, one) = get(format!("/api/devices/{name}")).await;
        assert_eq!(status, 200, "{one}");
        assert_eq!(&one, d, "{name}");
    }
    let (_, groups) = get("/api/groups".into()).await;
    let (status, edge) = get("/api/groups/edge".into()).await;
    assert_eq!(status, 200);
    assert_eq!(edge, groups[0]);
    assert_eq!(edge["devices"], json!(["ce1", "ce2"]));
    let url = "http://10.1.1.100/meta/ACNS-5.2.1-K9-http.meta";
    let (status, file) = api
        .call("POST", "/api/files", Some(json!({ "url": url })))
        .await
        .unwrap();
    assert_eq!(status, 200, "{file}");
    let (status, one) = get(format!("/api/files/{}", file["id"])).await;
    assert_eq!(status, 200);
    assert_eq!(one, file);
    let (_, files) = get("/api/files".into()).await;
    assert_eq!(files, json!([file]));
    // absent: 404 in the one error shape
    for (path, error) in [
        ("/api/devices/ce9", "no device ce9"),
        ("/api/groups/core", "no device group core"),
        ("/api/files/99", "no registered update file 99"),
        ("/api/jobs/99", "no job 99"),
    ] {
        let (status, body) = get(path.into()).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body, json!({ "error": error }), "{path}");
    }
    let (status, body) = get("/api/files/abc".into()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("abc"), "{body}");
    lab.shutdown().await;
}

#[tokio::test]
async fn the_http_layers_refusals_are_json_under_api_only() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = default_lab(tmp.path()).await;
    let (addr, _) = cdm(&lab, 0);
    let auth = format!("Authorization: {ADMIN_BASIC}");
    let json_type = "Content-Type: application/json";
    // no such route: 404, logged in or not
    for path in ["/api/nothing", "/api", "/api/", "/api/devices/ce1/more"] {
        for headers in [vec![], vec![auth.as_str()]] {
            let reply = raw(&addr, "GET", path, &headers, b"").await;
            assert_eq!(reply.status, 404, "{path}");
            assert_eq!(reply.error(), format!("no such API path: {path}"));
        }
    }
    // a method the route does not take: 405 with Allow
    let reply = raw(&addr, "PUT", "/api/devices", &[&auth], b"").await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), ["GET,HEAD"]);
    assert_eq!(
        reply.error(),
        "PUT is not allowed on /api/devices; use GET, HEAD"
    );
    let reply = raw(&addr, "DELETE", "/api/jobs/1", &[&auth], b"").await;
    assert_eq!(reply.status, 405);
    assert!(reply
        .error()
        .starts_with("DELETE is not allowed on /api/jobs/1"));
    // bodies the JSON extractor refuses
    let cases: [(&[&str], &[u8], u16, &str); 5] = [
        (&[json_type], b"{not json", 400, "JSON"),
        (&[], br#"{"url": "x"}"#, 415, "Content-Type"),
        (&[json_type], b"{}", 422, "missing field `url`"),
        (
            &[json_type],
            br#"{"url": "x", "colour": 1}"#,
            422,
            "unknown field `colour`",
        ),
        (&[json_type], br#"{"url": 7}"#, 422, "invalid type"),
    ];
    for (headers, body, status, part) in cases {
        let mut all = headers.to_vec();
        all.push(&auth);
        let reply = raw(&addr, "POST", "/api/files", &all, body).await;
        assert_eq!(reply.status, status, "{}", reply.body);
        assert!(reply.error().contains(part), "{part}: {}", reply.body);
    }
    // a body over axum's limit (2 MB): 413
    let big = vec![b' '; 3 * 1024 * 1024];
    let reply = raw(&addr, "POST", "/api/upgrades", &[&auth, json_type], &big).await;
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert!(reply.error().contains("length limit"), "{}", reply.body);
    // the GUI's pages keep their HTML; the menu only for a logged-in administrator
    let reply = raw(&addr, "GET", "/nothing-here", &[], b"").await;
    assert_eq!(reply.status, 404);
    assert!(reply.header("content-type")[0].starts_with("text/html"));
    assert!(!reply.body.contains("href=\"/groups\""), "{}", reply.body);
    let login = raw(
        &addr,
        "POST",
        "/login",
        &["Content-Type: application/x-www-form-urlencoded"],
        b"username=admin&password=default",
    )
    .await;
    let cookie = login.header("set-cookie")[0]
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let with_cookie = format!("Cookie: {cookie}");
    let reply = raw(&addr, "GET", "/nothing-here", &[&with_cookie], b"").await;
    assert_eq!(reply.status, 404);
    assert!(reply.body.contains("href=\"/groups\""), "{}", reply.body);
    lab.shutdown().await;
}

#[tokio::test]
async fn every_route_of_the_document_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = default_lab(tmp.path()).await;
    let (_, admin) = cdm(&lab, 0);
    let anonymous = admin.with_auth(Auth::Anonymous);
    let (status, doc) = anonymous
        .call("GET", "/api/openapi.json", None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 12, "{:?}", paths.keys().collect::<Vec<_>>());
    let mut asked = 0;
    for (path, item) in paths {
        let concrete = path.replace("{name}", "ce1").replace("{id}", "1");
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            let (status, body) = admin.call(&method, &concrete, None).await.unwrap();
            let no_route = body["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("no such API path"));
            assert!(
                status != 405 && !no_route,
                "{method} {concrete}: {status} {body}"
            );
            asked += 1;
        }
    }
    assert_eq!(asked, 14);
    lab.shutdown().await;
}

/// Each route of the document that takes a JSON body answers a body it cannot read (not JSON,
/// not sent as JSON, not of its shape) with a status its responses list, in the one error shape.
#[tokio::test]
async fn every_route_taking_a_body_answers_a_bad_one_as_documented() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = default_lab(tmp.path()).await;
    let (addr, admin) = cdm(&lab, 0);
    let (_, doc) = admin
        .with_auth(Auth::Anonymous)
        .call("GET", "/api/openapi.json", None)
        .await
        .unwrap();
    let auth = format!("Authorization: {ADMIN_BASIC}");
    let json_type = "Content-Type: application/json";
    let bad_bodies: [(&str, &[u8]); 3] = [
        (json_type, b"{not json"),
        ("Content-Type: text/plain", b"{}"),
        (json_type, br#"{"no_such_field": 1}"#),
    ];
    let mut checked = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("requestBody").is_none() {
                continue;
            }
            let responses = op["responses"].as_object().unwrap();
            let mut answered = std::collections::BTreeSet::new();
            for (content_type, body) in bad_bodies {
                let method = method.to_uppercase();
                let reply = raw(&addr, &method, path, &[&auth, content_type], body).await;
                let status = reply.status.to_string();
                assert!(
                    responses.contains_key(&status),
                    "{method} {path} answered {status} to {content_type} {:?}, not in its \
                     responses {:?}: {}",
                    String::from_utf8_lossy(body),
                    responses.keys().collect::<Vec<_>>(),
                    reply.body
                );
                assert!(
                    responses[&status].to_string().contains("ErrorBody"),
                    "{method} {path}: {status} is not documented as ErrorBody"
                );
                assert!(!reply.error().is_empty(), "{method} {path}: {}", reply.body);
                answered.insert(status);
            }
            assert_eq!(
                answered.len(),
                bad_bodies.len(),
                "{method} {path}: one status per kind of bad body: {answered:?}"
            );
            checked.push(format!("{method} {path}"));
        }
    }
    assert!(
        checked.iter().any(|c| c == "post /api/login"),
        "{checked:?}"
    );
    lab.shutdown().await;
}

/// A trailing slash on an API path answers as the path without it (`/api/devices/` is
/// `/api/devices`), for every route of the document; an address that is no route stays a 404.
#[tokio::test]
async fn a_trailing_slash_answers_as_the_path_without_it() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = default_lab(tmp.path()).await;
    let (addr, admin) = cdm(&lab, 0);
    let (_, doc) = admin
        .with_auth(Auth::Anonymous)
        .call("GET", "/api/openapi.json", None)
        .await
        .unwrap();
    let auth = format!("Authorization: {ADMIN_BASIC}");
    let mut asked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path.replace("{name}", "ce1").replace("{id}", "1");
        for method in item.as_object().unwrap().keys() {
            // reads only: a change would not answer the same twice
            if method != "get" {
                continue;
            }
            let plain = raw(&addr, "GET", &concrete, &[&auth], b"").await;
            let slashed = raw(&addr, "GET", &format!("{concrete}/"), &[&auth], b"").await;
            assert_eq!(
                (slashed.status, &slashed.body),
                (plain.status, &plain.body),
                "GET {concrete}/ and GET {concrete}"
            );
            asked += 1;
        }
    }
    assert!(asked > 1, "no GET routes in the document");
    // a change through a path with a slash: a login
    let login = raw(&addr, "POST", "/api/login/", &[&auth], b"").await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert!(login.json()["token"].is_string(), "{}", login.body);
    let nothing = raw(&addr, "GET", "/api/nothing/", &[&auth], b"").await;
    assert_eq!(nothing.status, 404, "{}", nothing.body);
    assert!(
        nothing.error().starts_with("no such API path"),
        "{}",
        nothing.body
    );
    lab.shutdown().await;
}
