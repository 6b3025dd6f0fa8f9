//! The API's OpenAPI 3 document, generated with utoipa from the handlers' `#[utoipa::path]`
//! descriptions and the answer types' schemas (`upgrade::DeviceView`, ...), served as
//! `GET /api/openapi.json` without a login. Declares the two ways in (`basic`, `bearer`), needed by
//! every path that does not say otherwise. A test keeps the document and the router's route table
//! ([`super::routes`]) the same, both ways.

use axum::Json;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::OpenApi;

use super::{auth, handlers};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "acnslab CDM API",
        description = "What the CDM's GUI does (Software Update, Devices, Device Groups, upgrade \
            jobs), as JSON, on each CDM's HTTP port. Log in with the CDM's administrator account \
            (HTTP Basic, or a token from POST /api/login). Every refusal is {\"error\": \"...\"}. \
            See docs/api.md.",
        license(name = "Apache-2.0")
    ),
    paths(
        openapi_json,
        auth::login,
        auth::logout,
        handlers::devices,
        handlers::device,
        handlers::groups,
        handlers::group,
        handlers::files,
        handlers::file,
        handlers::register,
        handlers::unregister,
        handlers::upgrade_request,
        handlers::jobs,
        handlers::job,
    ),
    modifiers(&LoginSchemes, &CommonRefusals),
    security(("basic" = []), ("bearer" = [])),
    tags(
        (name = "login", description = "bearer tokens for the administrator account"),
        (name = "devices", description = "the Devices page"),
        (name = "groups", description = "Devices > Device Groups"),
        (name = "files", description = "System > Software Update: registered meta file URLs"),
        (name = "upgrades", description = "upgrade jobs and their table 7-2 status messages"),
        (name = "document", description = "this document"),
    )
)]
pub(super) struct ApiDoc;

/// Adds the security schemes the paths name.
struct LoginSchemes;

impl utoipa::Modify for LoginSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("the CDM's administrator account (admin)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("a token from POST /api/login"))
                    .build(),
            ),
        );
    }
}

/// Adds to each operation the refusals every route of its kind may give, where it does not say
/// them itself: 401 (no login) and 429 (logins locked) unless it needs no login; when it takes a
/// JSON body, the refusals of axum's `Json` extractor ([`BODY_REFUSALS`]: 400, 415, 422, each as
/// `ErrorBody` through `errors::json_errors`) and 413 (body too large).
struct CommonRefusals;

/// What a route that takes a JSON body answers, before its handler runs, to a body it cannot read.
pub(super) const BODY_REFUSALS: [(&str, &str); 3] = [
    ("400", "the body is not JSON"),
    (
        "415",
        "the body is not sent as application/json (its Content-Type header)",
    ),
    ("422", "a field missing, unknown or mistyped"),
];

impl CommonRefusals {
    fn add(op: &mut Operation, code: &str, description: &str) {
        let error = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build();
        let response = ResponseBuilder::new()
            .description(description)
            .content("application/json", error)
            .build();
        op.responses
            .responses
            .entry(code.to_string())
            .or_insert(response.into());
    }
}

impl utoipa::Modify for CommonRefusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let open = vec![SecurityRequirement::default()];
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                if op.security.as_ref() != Some(&open) {
                    Self::add(op, "401", "not logged in, or wrong credentials");
                    Self::add(
                        op,
                        "429",
                        "logins locked after failed ones (Basic credentials); see Retry-After",
                    );
                }
                if op.request_body.is_some() {
                    for (code, description) in BODY_REFUSALS {
                        Self::add(op, code, description);
                    }
                    Self::add(op, "413", "the body is larger than 2 MB");
                }
            }
        }
    }
}

/// The document as JSON.
pub(super) fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// This document (no login needed).
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "document",
    security(()),
    responses((status = 200, description = "the OpenAPI 3 document of this API", content_type = "application/json"))
)]
pub(super) async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    /// The document as JSON, as a client reads it.
    fn json() -> Value {
        serde_json::to_value(document()).unwrap()
    }

    #[test]
    fn every_route_is_in_the_document_and_nothing_else() {
        let routes: BTreeSet<(String, String)> = super::super::routes()
            .iter()
            .map(|r| (r.method.as_str().to_lowercase(), r.path.to_string()))
            .collect();
        let doc = json();
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if ["get", "post", "put", "delete", "patch", "head", "options"]
                    .contains(&method.as_str())
                {
                    documented.insert((method.clone(), path.clone()));
                }
            }
        }
        let missing: Vec<_> = routes.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&routes).collect();
        assert!(
            missing.is_empty(),
            "routes not in the document: {missing:?}"
        );
        assert!(extra.is_empty(), "documented, but no route: {extra:?}");
    }

    #[test]
    fn the_answers_schemas_are_in_the_document() {
        let doc = json();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for name in [
            "DeviceView",
            "GroupView",
            "FileView",
            "JobView",
            "ErrorBody",
            "RegisterRequest",
            "UpgradeRequest",
            "LoginRequest",
            "Token",
        ] {
            assert!(schemas.contains_key(name), "no schema {name}");
        }
        assert_eq!(
            schemas["DeviceView"]["required"],
            serde_json::json!([
                "name",
                "kind",
                "ip",
                "software_version",
                "version",
                "status"
            ])
        );
        // every reference points at a schema of the document
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(refs.len() > 20, "{refs:?}");
        for r in refs {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("a reference elsewhere: {r}"));
            assert!(schemas.contains_key(name), "{r} points at nothing");
        }
        // each GET answers 200 with its schema, each route refuses with ErrorBody
        let paths = doc["paths"].as_object().unwrap();
        for (path, want) in [
            ("/api/devices", "DeviceView"),
            ("/api/devices/{name}", "DeviceView"),
            ("/api/groups", "GroupView"),
            ("/api/groups/{name}", "GroupView"),
            ("/api/files", "FileView"),
            ("/api/files/{id}", "FileView"),
            ("/api/jobs", "JobView"),
            ("/api/jobs/{id}", "JobView"),
        ] {
            let ok = paths[path]["get"]["responses"]["200"].to_string();
            assert!(
                ok.contains(&format!("#/components/schemas/{want}")),
                "{path}: {ok}"
            );
        }
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                let secured = op
                    .get("security")
                    .is_none_or(|s| s != &serde_json::json!([{}]));
                let unauthorized = op["responses"]["401"].to_string();
                if secured && path != "/api/openapi.json" {
                    assert!(
                        unauthorized.contains("ErrorBody"),
                        "{method} {path} does not say it answers 401"
                    );
                }
            }
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["basic"]["scheme"],
            "basic"
        );
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }

    #[test]
    fn every_route_taking_a_body_documents_the_refusals_of_a_bad_one() {
        let doc = json();
        let mut with_body = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if op.get("requestBody").is_none() {
                    continue;
                }
                with_body += 1;
                let codes = BODY_REFUSALS.iter().map(|(code, _)| *code).chain(["413"]);
                for code in codes {
                    let answer = op["responses"][code].to_string();
                    assert!(
                        answer.contains("#/components/schemas/ErrorBody"),
                        "{method} {path} does not say it answers {code}: {answer}"
                    );
                }
            }
        }
        assert!(
            doc["paths"]["/api/login"]["post"]
                .get("requestBody")
                .is_some()
                && with_body > 1,
            "the login and the other routes taking a body"
        );
    }

    fn collect_refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    match v {
                        Value::String(s) if k == "$ref" => out.push(s.clone()),
                        _ => collect_refs(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
            _ => {}
        }
    }
}
