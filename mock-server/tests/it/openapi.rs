//! The mock's OpenAPI document (`mock-server/openapi.json`, served at `GET /__admin/openapi.json`, printed by
//! `openmic-mock openapi`) against itself and against the mock: its structure holds together (every `$ref`
//! resolves, every operation answers, path parameters are declared), every example in it validates against its
//! schema, and every answer of a broad run of requests validates against the schema the document gives for that
//! path, method and status. A mismatch is a bug of the document or of the mock; each is listed, all at once.
//!
//! Schemas are checked with the `jsonschema` crate (JSON Schema 2020-12, the dialect of OpenAPI 3.1), formats
//! such as `date-time` included. Each check compiles the whole document with a `$ref` to the schema in question,
//! so the document's own `$ref`s resolve as they are written.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::http::{Method, Request};
use openmic_mock::{AppState, MockServer, MockServerBuilder, OPENAPI_JSON, RateLimit};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::mock_bin;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::from_str(OPENAPI_JSON).unwrap())
}

/// A JSON Pointer token: `~` and `/` escaped.
fn token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Checks `instance` against the schema at `pointer` (a JSON Pointer into the document), every error listed.
fn check(pointer: &str, instance: &Value) -> Result<(), String> {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    let validator = {
        let mut cache = VALIDATORS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(pointer.to_string())
            .or_insert_with(|| {
                let mut root = document().clone();
                root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
                // A URI fragment: the braces of path templates percent-encoded.
                let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
                root["$ref"] = json!(format!("#{fragment}"));
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(true)
                    .build(&root)
                    .unwrap_or_else(|err| {
                        panic!("the schema at {pointer} does not compile: {err}")
                    });
                Arc::new(validator)
            })
            .clone()
    };
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|err| format!("{} at {}", err, err.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Every `(pointer, value)` of the document, depth first.
fn walk<'a>(value: &'a Value, pointer: String, out: &mut Vec<(String, &'a Value)>) {
    out.push((pointer.clone(), value));
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                walk(child, format!("{pointer}/{}", token(key)), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk(child, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn everything() -> Vec<(String, &'static Value)> {
    let mut out = Vec::new();
    walk(document(), String::new(), &mut out);
    out
}

/// A parameter as written, or the component its `$ref` names.
fn resolved(value: &'static Value) -> &'static Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => document().pointer(&reference[1..]).unwrap(),
        None => value,
    }
}

/// Every operation of the vendor's v1 document (12: the "13" counted one twice), and no other under
/// `/v1`: the mock serves exactly these.
const VENDOR_OPERATIONS: [(&str, &str); 12] = [
    ("get", "/v1/calls"),
    ("get", "/v1/call/{id}"),
    ("post", "/v1/create-phone-call"),
    ("get", "/v1/bots"),
    ("post", "/v1/bots"),
    ("get", "/v1/bots/{uid}"),
    ("patch", "/v1/bots/{uid}"),
    ("delete", "/v1/bots/{uid}"),
    ("get", "/v1/phone-numbers"),
    ("get", "/v1/phone-numbers/{uid}"),
    ("post", "/v1/phone-numbers/link-agent"),
    ("post", "/v1/phone-numbers/unlink-agent"),
];

#[test]
fn is_openapi_3_1_whose_refs_resolve_and_whose_operations_all_answer() {
    let doc = document();
    let mut problems = Vec::new();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    for (pointer, value) in everything() {
        if let Some(reference) = value.get("$ref").and_then(Value::as_str)
            && (!reference.starts_with("#/") || doc.pointer(&reference[1..]).is_none())
        {
            problems.push(format!("{pointer}: $ref {reference} does not resolve"));
        }
    }
    let declared_tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut operation_ids = BTreeSet::new();
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(path.starts_with('/'), "{path}");
        let in_template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            operations.insert((method, path.as_str()));
            let at = format!("{} {path}", method.to_uppercase());
            match operation["operationId"].as_str() {
                Some(id) if operation_ids.insert(id) => {}
                other => problems.push(format!("{at}: operationId {other:?} missing or repeated")),
            }
            for tag in operation["tags"].as_array().into_iter().flatten() {
                if !declared_tags.contains(tag.as_str().unwrap()) {
                    problems.push(format!("{at}: tag {tag} is not declared"));
                }
            }
            let responses = operation["responses"].as_object();
            if responses.is_none_or(|r| r.is_empty()) {
                problems.push(format!("{at}: no responses"));
            }
            for (status, response) in responses.into_iter().flatten() {
                if !resolved(response)["description"].is_string() {
                    problems.push(format!("{at} {status}: no description"));
                }
            }
            let declared: BTreeSet<&str> = item["parameters"]
                .as_array()
                .into_iter()
                .chain(operation["parameters"].as_array())
                .flatten()
                .map(resolved)
                .filter(|p| p["in"] == "path")
                .inspect(|p| {
                    if p["required"] != true {
                        problems.push(format!(
                            "{at}: path parameter {} is not required",
                            p["name"]
                        ));
                    }
                })
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            if declared != in_template {
                problems.push(format!(
                    "{at}: path parameters {declared:?}, template {in_template:?}"
                ));
            }
            let has = |status: &str| operation["responses"].get(status).is_some();
            if path.starts_with("/v1/") && !(has("401") && has("500") && has("429")) {
                problems.push(format!("{at}: an API operation documents 401, 429 and 500"));
            }
            if path.starts_with("/__admin/") && path != "/__admin/health" && !has("401") {
                problems.push(format!(
                    "{at}: an admin operation documents 401 (--admin-key)"
                ));
            }
        }
    }
    for (method, path) in VENDOR_OPERATIONS {
        if !operations.contains(&(method, path)) {
            problems.push(format!("the vendor's {method} {path} is missing"));
        }
    }
    let api: BTreeSet<(&str, &str)> = operations
        .iter()
        .filter(|(_, p)| p.starts_with("/v1/"))
        .copied()
        .collect();
    assert_eq!(api, BTreeSet::from(VENDOR_OPERATIONS));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The paths a source file routes: its string literals that start with `/v1/` or `/__admin`, and the
/// arguments of `at("...")` (the admin routes mounted under both prefixes, returned as `/__admin...`), with the
/// `{slash}` of `format!` dropped (the API's routes are mounted with and without a trailing slash).
fn routed_paths(file: &str) -> Vec<String> {
    let source =
        std::fs::read_to_string(format!("{}/src/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut paths = Vec::new();
    for (start, _) in source.match_indices('"') {
        let rest = &source[start + 1..];
        let Some(end) = rest.find('"') else { continue };
        let literal = &rest[..end];
        let scoped = source[..start].ends_with("at(");
        if scoped {
            paths.push(format!("/__admin{literal}"));
            paths.push(format!("/__admin/tenants/{{api_key}}{literal}"));
        } else if literal.starts_with("/v1/") || literal.starts_with("/__admin") {
            // A `format!` string: its braces doubled.
            let literal = literal
                .replace("{slash}", "")
                .replace("{{", "{")
                .replace("}}", "}");
            paths.push(literal);
        }
    }
    paths
}

/// A path with every `{parameter}` written `{}`, and no trailing slash: the router's and the document's names
/// for a parameter may differ.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut in_braces = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_braces = true;
                out.push('{');
            }
            '}' => {
                in_braces = false;
                out.push('}');
            }
            _ if !in_braces => out.push(c),
            _ => {}
        }
    }
    match out.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed.to_string(),
        _ => out,
    }
}

#[test]
fn documents_every_path_the_router_serves_and_no_other() {
    let api: BTreeSet<String> = routed_paths("api/routes.rs")
        .iter()
        .map(|p| shape(p))
        .collect();
    // Less the catch-alls that answer the admin 404 (`/__admin`, `/__admin/`, `/__admin/{*rest}`).
    let admin: BTreeSet<String> = routed_paths("admin/mod.rs")
        .iter()
        .filter(|p| !p.contains("{*"))
        .map(|p| shape(p))
        .filter(|p| p != "/__admin")
        .collect();
    let routed: BTreeSet<String> = api.union(&admin).cloned().collect();
    let documented: BTreeSet<String> = document()["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(|p| shape(p))
        .collect();
    assert_eq!(
        documented.difference(&routed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "documented, not routed"
    );
    assert_eq!(
        routed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "routed, not documented"
    );
}

/// Every documented method of every documented path reaches a handler: the answer is not the 405 or the
/// unknown-path 404.
#[tokio::test]
async fn every_documented_operation_is_served() {
    let state = MockServer::builder().generated(3, 5).build_state().unwrap();
    let mut missing = Vec::new();
    for (path, item) in document()["paths"].as_object().unwrap() {
        let uri = path
            .replace("{api_key}", "oas-probe")
            .replace('{', "x")
            .replace('}', "");
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let answer = send(
                &state,
                method.clone(),
                &uri,
                &[
                    ("content-type", "application/json"),
                    ("authorization", "Bearer test-key"),
                ],
                None,
            )
            .await;
            let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
            let message = body["message"].as_str().unwrap_or_default();
            if answer.status == 405
                || message.starts_with("No route for")
                || message.starts_with("No admin route")
            {
                missing.push(format!("{method} {path}: {} {body}", answer.status));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_example_validates_against_its_schema() {
    let mut checked = 0;
    let mut problems = Vec::new();
    for (pointer, value) in everything() {
        let Some(map) = value.as_object() else {
            continue;
        };
        // Inside an example, keys are data, not OpenAPI.
        if pointer.contains("/example/") || pointer.contains("/examples/") {
            continue;
        }
        let mut one = |schema: String, example: &Value, at: String| {
            checked += 1;
            if let Err(err) = check(&schema, example) {
                problems.push(format!("{at}: {err}"));
            }
        };
        match map.get("examples") {
            // A schema's `examples`: each one an instance of the schema itself.
            Some(Value::Array(examples)) => {
                for (i, example) in examples.iter().enumerate() {
                    one(pointer.clone(), example, format!("{pointer}/examples/{i}"));
                }
            }
            // A media type's or a parameter's named examples.
            Some(Value::Object(named)) if map.contains_key("schema") => {
                for (name, example) in named {
                    let example = resolved(example);
                    one(
                        format!("{pointer}/schema"),
                        &example["value"],
                        format!("{pointer}/examples/{name}"),
                    );
                }
            }
            _ => {}
        }
        if let Some(example) = map.get("example")
            && map.contains_key("schema")
        {
            one(
                format!("{pointer}/schema"),
                example,
                format!("{pointer}/example"),
            );
        }
    }
    assert!(checked >= 80, "only {checked} examples found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn the_served_and_printed_document_is_the_committed_file() {
    let state = MockServer::builder().generated(1, 5).build_state().unwrap();
    let served = send(&state, Method::GET, "/__admin/openapi.json", &[], None).await;
    assert_eq!(served.status, 200);
    assert_eq!(
        served.content_type.as_deref(),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(served.body, OPENAPI_JSON.as_bytes());

    let output = mock_bin().arg("openapi").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), OPENAPI_JSON);

    let keyed = MockServer::builder()
        .generated(1, 5)
        .admin_key("admin-secret")
        .build_state()
        .unwrap();
    let refused = send(&keyed, Method::GET, "/__admin/openapi.json", &[], None).await;
    assert_eq!(
        refused.status, 401,
        "behind the admin key like every admin route"
    );
    let allowed = send(
        &keyed,
        Method::GET,
        "/__admin/openapi.json",
        &[("authorization", "Bearer admin-secret")],
        None,
    )
    .await;
    assert_eq!(allowed.status, 200);
}

/// An answer, read whole.
struct Answer {
    status: u16,
    content_type: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

async fn send(
    state: &AppState,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = openmic_mock::app(state.clone())
        .oneshot(
            request
                .body(body.map_or_else(Body::empty, Body::from))
                .unwrap(),
        )
        .await
        .unwrap();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        content_type,
        headers,
        body,
    }
}

/// The document's path template for a request path: the one with the most literal segments among those that
/// match (`/v1/phone-numbers/link-agent` before `/v1/phone-numbers/{uid}`), a trailing slash ignored on the API.
fn template_of(path: &str) -> Option<&'static str> {
    let path = match path.strip_suffix('/') {
        Some(trimmed) if path.starts_with("/v1/") => trimmed,
        _ => path,
    };
    let segments: Vec<&str> = path.split('/').collect();
    document()["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literals = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literals += 1;
                } else {
                    return None;
                }
            }
            Some((literals, template.as_str()))
        })
        .max()
        .map(|(_, template)| template)
}

/// Checks one answer against the document; returns what disagrees.
fn conforms(method: &Method, uri: &str, answer: &Answer) -> Result<(), String> {
    let path = uri.split('?').next().unwrap();
    let admin = path.starts_with("/__admin");
    let body: Value = if answer.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&answer.body).map_err(|e| {
            format!(
                "the body is not JSON ({e}): {}",
                String::from_utf8_lossy(&answer.body)
            )
        })?
    };
    let documented = template_of(path).and_then(|template| {
        let item = &document()["paths"][template];
        item.get(method.as_str().to_lowercase()).map(|op| {
            (
                format!(
                    "/paths/{}/{}",
                    token(template),
                    method.as_str().to_lowercase()
                ),
                op,
            )
        })
    });
    let response_pointer = match (documented, answer.status) {
        (Some((operation, op)), status) => {
            let status = status.to_string();
            let Some(response) = op["responses"].get(&status) else {
                return Err(format!(
                    "status {status} is not documented for this operation"
                ));
            };
            match response.get("$ref").and_then(Value::as_str) {
                Some(reference) => reference[1..].to_string(),
                None => format!("{operation}/responses/{status}"),
            }
        }
        (None, 405) if template_of(path).is_some() => {
            let name = if admin {
                "AdminMethodNotAllowed"
            } else {
                "MethodNotAllowed"
            };
            format!("/components/responses/{name}")
        }
        (None, 404) if template_of(path).is_none() => {
            let name = if admin {
                "AdminRouteNotFound"
            } else {
                "RouteNotFound"
            };
            format!("/components/responses/{name}")
        }
        (None, status) => {
            return Err(format!(
                "status {status} for an operation the document lacks"
            ));
        }
    };
    let response = document().pointer(&response_pointer).unwrap();
    let headers = response["headers"].as_object();
    for (name, header) in headers.into_iter().flatten() {
        if resolved(header)["required"] == true
            && !answer
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            return Err(format!("the required header {name} is missing"));
        }
    }
    if answer.headers.iter().any(|(k, _)| k == "x-mock-warning")
        && !headers.is_some_and(|h| h.contains_key("X-Mock-Warning"))
    {
        return Err("X-Mock-Warning is sent but not documented for this answer".into());
    }
    match response.get("content") {
        None if answer.body.is_empty() => Ok(()),
        None => Err("a body where the document says none".into()),
        Some(_) => {
            if answer.content_type.as_deref() != Some("application/json; charset=utf-8") {
                return Err(format!("content type {:?}", answer.content_type));
            }
            check(
                &format!("{response_pointer}/content/application~1json/schema"),
                &body,
            )
        }
    }
}

/// A run of requests against one mock, each answer checked against the document.
struct Run {
    state: AppState,
    problems: Vec<String>,
    checked: usize,
    statuses: BTreeMap<String, BTreeSet<u16>>,
}

impl Run {
    fn new(builder: MockServerBuilder) -> Self {
        Run {
            state: builder.build_state().unwrap(),
            problems: Vec::new(),
            checked: 0,
            statuses: BTreeMap::new(),
        }
    }

    /// Sends the request and checks the answer; returns its JSON (`null` when it has no body).
    async fn go(
        &mut self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Value {
        let answer = send(&self.state, method.clone(), uri, headers, body).await;
        self.checked += 1;
        self.statuses
            .entry(format!(
                "{} {}",
                method.as_str().to_lowercase(),
                template_of(uri.split('?').next().unwrap()).unwrap_or("(none)")
            ))
            .or_default()
            .insert(answer.status);
        if let Err(err) = conforms(&method, uri, &answer) {
            self.problems.push(format!(
                "{method} {uri} -> {}: {err}\n    body: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
                    .chars()
                    .take(400)
                    .collect::<String>()
            ));
        }
        serde_json::from_slice(&answer.body).unwrap_or(Value::Null)
    }

    async fn api(&mut self, method: Method, uri: &str) -> Value {
        self.go(method, uri, &[("authorization", "Bearer test-key")], None)
            .await
    }

    async fn api_json(&mut self, method: Method, uri: &str, body: Value) -> Value {
        self.go(
            method,
            uri,
            &[
                ("authorization", "Bearer test-key"),
                ("content-type", "application/json"),
            ],
            Some(body.to_string()),
        )
        .await
    }

    async fn admin(&mut self, method: Method, uri: &str, body: Option<Value>) -> Value {
        let headers: &[(&str, &str)] = if method == Method::GET {
            &[]
        } else {
            &[("content-type", "application/json")]
        };
        self.go(method, uri, headers, body.map(|b| b.to_string()))
            .await
    }

    fn finish(self) -> (Vec<String>, usize) {
        (self.problems, self.checked)
    }
}

/// The embedded account's number with outbound calls (docs/api.md) and the agent of its calls.
const NUMBER: &str = "+16469304258";

/// The API: lists with filters, gets, creates, and each kind of refusal.
async fn drive_the_api(run: &mut Run) {
    let page = run.api(Method::GET, "/v1/calls").await;
    let call = page["calls"][0].clone();
    let call_id = call["call_id"].as_str().unwrap().to_string();
    let agent = call["agent_id"].as_str().unwrap().to_string();
    for uri in [
        "/v1/calls/?limit=5&offset=3",
        "/v1/calls?call_status=ended&call_type=phonecall&from_date=2025-01-01&to_date=2026-12-31T00:00:00Z",
        "/v1/calls?to_date=2025-11-30",
        "/v1/calls?from_number=%2B16469304258&limit=100",
        "/v1/calls?from_number=+16469304258",
        "/v1/calls?agent_id=x&customer_id=",
        "/v1/calls?offset=99999999999999999999999",
        "/v1/calls?limit=0&call_type=PhoneCall",
        "/v1/calls?limit=5&limit=5",
        "/v1/calls?from_date=yesterday",
        "/v1/call/no-such-call",
        "/v1/nope",
    ] {
        run.api(Method::GET, uri).await;
    }
    run.api(Method::GET, &format!("/v1/call/{call_id}")).await;
    run.api(Method::GET, &format!("/v1/call/{call_id}/?ignored=1"))
        .await;
    run.api(Method::POST, "/v1/calls").await;
    run.api(Method::DELETE, &format!("/v1/call/{call_id}"))
        .await;
    run.api(Method::GET, "/v1/create-phone-call").await;
    run.go(Method::GET, "/v1/calls", &[], None).await;
    run.go(
        Method::GET,
        &format!("/v1/call/{call_id}"),
        &[("authorization", "Bearer wrong")],
        None,
    )
    .await;

    let create = "/v1/create-phone-call";
    let created = run
        .api_json(
            Method::POST,
            create,
            json!({"from_number": NUMBER, "to_number": "+15551234567", "customer_id": "c-1",
                   "dynamic_variables": {"name": "John"}, "agent_id": "typo"}),
        )
        .await;
    if let Some(id) = created["call_id"].as_str() {
        run.api(Method::GET, &format!("/v1/call/{id}")).await;
    }
    run.api_json(
        Method::POST,
        create,
        json!({"from_number": NUMBER, "to_number": "+15551234567", "override_agent_id": agent}),
    )
    .await;
    run.api_json(
        Method::POST,
        create,
        json!({"from_number": NUMBER, "to_number": "+15551234567", "override_agent_id": "nobody"}),
    )
    .await;
    run.api_json(
        Method::POST,
        create,
        json!({"from_number": "+0987654321", "to_number": null}),
    )
    .await;
    run.api_json(Method::POST, create, json!([1, 2])).await;
    run.go(
        Method::POST,
        create,
        &[
            ("authorization", "Bearer test-key"),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        Some("from_number=1".into()),
    )
    .await;
    run.go(
        Method::POST,
        create,
        &[
            ("authorization", "Bearer test-key"),
            ("content-type", "application/json"),
        ],
        Some(format!("{{\"customer_id\": \"{}\"}}", "x".repeat(70_000))),
    )
    .await;
}

/// Bots and phone numbers: lists with filters, gets, create, update, delete (and its 409), link and unlink, and
/// each kind of refusal.
async fn drive_the_account(run: &mut Run) {
    let bots = run.api(Method::GET, "/v1/bots").await;
    let bot = bots["bots"][0].clone();
    let uid = bot["uid"].as_str().unwrap().to_string();
    let name_part: String = bot["name"].as_str().unwrap().chars().take(4).collect();
    for uri in [
        "/v1/bots/?limit=2&offset=1".to_string(),
        format!(
            "/v1/bots?name={}",
            name_part.to_uppercase().replace(' ', "%20")
        ),
        "/v1/bots?created_after=2020-01-01&created_before=2100-01-01T00:00:00Z".to_string(),
        "/v1/bots?created_after=2020-01-01T00:00:00+00:00".to_string(),
        "/v1/bots?colour=red&name=".to_string(),
        "/v1/bots?limit=101&offset=-1".to_string(),
        "/v1/bots?name=a&name=b".to_string(),
        "/v1/bots?offset=100000000000000000000000".to_string(),
        format!("/v1/bots/{uid}"),
        format!("/v1/bots/{uid}/"),
        "/v1/bots/no-such-bot".to_string(),
    ] {
        run.api(Method::GET, &uri).await;
    }
    run.api(Method::PUT, "/v1/bots").await;
    run.api(Method::POST, &format!("/v1/bots/{uid}")).await;
    run.go(Method::GET, "/v1/bots", &[], None).await;

    let created = run
        .api_json(
            Method::POST,
            "/v1/bots",
            json!({"name": "OpenAPI Test Bot", "prompt": "You check documents.", "voice_provider": "OpenAI",
                   "voice_speed": 1.1, "llm_model_temperature": 0.2, "knowledge_base_id": 7,
                   "call_settings": {"max_call_duration": 30, "voicemail_action": "hangup", "colour": "red"},
                   "advanced_settings": {"min_interruption_duration": 0.3, "short_pause": 2, "long_pause": 0.5},
                   "post_call_settings": {"success_evaluation_rubric_type": "SENTIMENT",
                                          "structured_extraction_json_schema": {"type": "object"}},
                   "temperature": 1}),
        )
        .await;
    let created_uid = created["uid"].as_str().unwrap_or("missing").to_string();
    run.api_json(Method::POST, "/v1/bots", json!({"prompt": null, "call_settings": {"max_call_duration": 31}, "name": "x".repeat(256)}))
        .await;
    run.api_json(Method::POST, "/v1/bots", json!("not an object"))
        .await;
    run.go(
        Method::POST,
        "/v1/bots",
        &[("authorization", "Bearer test-key")],
        Some("{}".into()),
    )
    .await;
    run.go(
        Method::POST,
        "/v1/bots",
        &[
            ("authorization", "Bearer test-key"),
            ("content-type", "application/json"),
        ],
        Some(format!("{{\"name\": \"{}\"}}", "x".repeat(70_000))),
    )
    .await;
    let bot_path = format!("/v1/bots/{created_uid}");
    run.api_json(
        Method::PATCH,
        &bot_path,
        json!({"name": "Renamed", "advanced_settings": {"agent_personality": "formal"}, "extra": 1}),
    )
    .await;
    run.api_json(
        Method::PATCH,
        &bot_path,
        json!({"advanced_settings": {"short_pause": 2.5}}),
    )
    .await;
    run.api_json(Method::PATCH, "/v1/bots/no-such-bot", json!({}))
        .await;
    let too_large = json!({ "name": "x".repeat(70_000) });
    run.api_json(Method::PATCH, &bot_path, too_large.clone())
        .await;
    run.api_json(
        Method::POST,
        "/v1/phone-numbers/link-agent",
        too_large.clone(),
    )
    .await;
    run.api_json(Method::POST, "/v1/phone-numbers/unlink-agent", too_large)
        .await;
    run.api(Method::GET, &bot_path).await;

    let numbers = run.api(Method::GET, "/v1/phone-numbers").await;
    let number = numbers["phone_numbers"][0].clone();
    let number_id = number["phone_number_id"].as_str().unwrap().to_string();
    let digits: String = number["phone_number"].as_str().unwrap()[1..5].to_string();
    for uri in [
        "/v1/phone-numbers/?limit=1&offset=1".to_string(),
        format!("/v1/phone-numbers?phone_number=%2B{digits}"),
        format!("/v1/phone-numbers?phone_number=+{digits}"),
        "/v1/phone-numbers?name=LINE&unknown=1".to_string(),
        "/v1/phone-numbers?limit=abc".to_string(),
        format!("/v1/phone-numbers/{number_id}"),
        "/v1/phone-numbers/no-such-number".to_string(),
    ] {
        run.api(Method::GET, &uri).await;
    }
    run.api(Method::POST, "/v1/phone-numbers").await;
    run.api(Method::GET, "/v1/phone-numbers/link-agent").await;

    let link = "/v1/phone-numbers/link-agent";
    let unlink = "/v1/phone-numbers/unlink-agent";
    run.api_json(
        Method::POST,
        link,
        json!({"phone_number_id": number_id, "agent_id": created_uid, "direction": "both", "note": 1}),
    )
    .await;
    // The created bot is linked now: deleting it is a 409.
    run.api(Method::DELETE, &bot_path).await;
    for direction in ["inbound", "outbound"] {
        run.api_json(
            Method::POST,
            link,
            json!({"phone_number_id": number_id, "agent_id": uid, "direction": direction}),
        )
        .await;
    }
    run.api_json(
        Method::POST,
        link,
        json!({"phone_number_id": number_id, "agent_id": uid, "direction": "sideways"}),
    )
    .await;
    run.api_json(Method::POST, link, json!({"phone_number_id": number_id}))
        .await;
    run.api_json(
        Method::POST,
        link,
        json!({"phone_number_id": "nope", "agent_id": uid, "direction": "both"}),
    )
    .await;
    run.api_json(
        Method::POST,
        link,
        json!({"phone_number_id": number_id, "agent_id": "nope", "direction": "both"}),
    )
    .await;
    for direction in ["inbound", "outbound", "both", "both"] {
        run.api_json(
            Method::POST,
            unlink,
            json!({"phone_number_id": number_id, "direction": direction}),
        )
        .await;
    }
    run.api_json(
        Method::POST,
        unlink,
        json!({"phone_number_id": number_id, "direction": "sideways"}),
    )
    .await;
    run.api_json(
        Method::POST,
        unlink,
        json!({"phone_number_id": "nope", "direction": "both"}),
    )
    .await;
    run.api_json(Method::POST, unlink, json!([])).await;
    run.api(Method::GET, &format!("/v1/phone-numbers/{number_id}"))
        .await;
    run.api_json(
        Method::POST,
        "/v1/create-phone-call",
        json!({"from_number": number["phone_number"], "to_number": "+15551234567"}),
    )
    .await;
    run.api(Method::DELETE, &bot_path).await;
    run.api(Method::DELETE, &bot_path).await;
    run.api(Method::GET, &bot_path).await;

    // The admin routes of the account, default and tenant.
    for scope in ["/__admin", "/__admin/tenants/oas-account"] {
        if scope != "/__admin" {
            run.admin(Method::GET, &format!("{scope}/bots"), None).await;
            run.admin(Method::POST, &format!("{scope}/reset"), None)
                .await;
        }
        let all_bots = run.admin(Method::GET, &format!("{scope}/bots"), None).await;
        let all_numbers = run
            .admin(Method::GET, &format!("{scope}/phone-numbers"), None)
            .await;
        run.admin(
            Method::PUT,
            &format!("{scope}/bots"),
            Some(all_bots.clone()),
        )
        .await;
        run.admin(
            Method::PUT,
            &format!("{scope}/bots"),
            Some(all_bots["bots"].clone()),
        )
        .await;
        run.admin(
            Method::PUT,
            &format!("{scope}/bots"),
            Some(json!([{"uid": "x"}])),
        )
        .await;
        run.admin(
            Method::PUT,
            &format!("{scope}/phone-numbers"),
            Some(all_numbers.clone()),
        )
        .await;
        run.admin(
            Method::PUT,
            &format!("{scope}/phone-numbers"),
            Some(json!({"phone_numbers": [{"phone_number": "12"}]})),
        )
        .await;
        let mut new_bot = all_bots["bots"][0].clone();
        new_bot["uid"] = json!("oasbot000000000000000001");
        run.admin(
            Method::PUT,
            &format!("{scope}/bots/oasbot000000000000000001"),
            Some(new_bot.clone()),
        )
        .await;
        run.admin(
            Method::PUT,
            &format!("{scope}/bots/oasbot000000000000000001"),
            Some(new_bot.clone()),
        )
        .await;
        run.admin(Method::PUT, &format!("{scope}/bots/other"), Some(new_bot))
            .await;
        let mut new_number = all_numbers["phone_numbers"][0].clone();
        new_number["phone_number_id"] = json!("oasnum000000000000000001");
        new_number["phone_number"] = json!("+15557654321");
        new_number["inbound_agent_id"] = json!("oasbot000000000000000001");
        run.admin(
            Method::PUT,
            &format!("{scope}/phone-numbers/oasnum000000000000000001"),
            Some(new_number.clone()),
        )
        .await;
        new_number["outbound_agent_id"] = json!("no-such-bot");
        run.admin(
            Method::PUT,
            &format!("{scope}/phone-numbers/oasnum000000000000000001"),
            Some(new_number),
        )
        .await;
        run.admin(Method::GET, &format!("{scope}/phone-numbers"), None)
            .await;
        run.admin(
            Method::DELETE,
            &format!("{scope}/bots/oasbot000000000000000001"),
            None,
        )
        .await;
        run.admin(
            Method::DELETE,
            &format!("{scope}/bots/oasbot000000000000000001"),
            None,
        )
        .await;
        run.admin(
            Method::DELETE,
            &format!("{scope}/phone-numbers/oasnum000000000000000001"),
            None,
        )
        .await;
        run.admin(
            Method::DELETE,
            &format!("{scope}/phone-numbers/oasnum000000000000000001"),
            None,
        )
        .await;
    }
    run.admin(Method::DELETE, "/__admin/tenants/oas-account", None)
        .await;
    run.admin(
        Method::GET,
        "/__admin/tenants/oas-account/phone-numbers",
        None,
    )
    .await;
    run.admin(Method::POST, "/__admin/reset", None).await;
}

/// The admin API of the default data set and of a tenant, and the server-wide routes.
async fn drive_the_admin_api(run: &mut Run) {
    let call = run
        .api(Method::GET, "/v1/calls?limit=1&call_status=ended")
        .await["calls"][0]
        .clone();
    let call_id = call["call_id"].as_str().unwrap().to_string();
    run.admin(Method::GET, "/__admin/health", None).await;
    run.admin(Method::GET, "/__admin/openapi.json", None).await;
    run.admin(Method::GET, "/__admin/calls?limit=2&offset=1", None)
        .await;
    run.admin(Method::GET, "/__admin/calls?limit=5000", None)
        .await;
    let mut renamed = call.clone();
    renamed["call_id"] = json!("oas-added-1");
    run.admin(Method::POST, "/__admin/calls", Some(renamed.clone()))
        .await;
    run.admin(Method::POST, "/__admin/calls", Some(renamed.clone()))
        .await;
    run.admin(
        Method::PUT,
        "/__admin/calls/oas-added-1",
        Some(renamed.clone()),
    )
    .await;
    run.admin(
        Method::PUT,
        "/__admin/calls/other-id",
        Some(renamed.clone()),
    )
    .await;
    run.admin(Method::DELETE, "/__admin/calls/oas-added-1", None)
        .await;
    run.admin(Method::DELETE, "/__admin/calls/oas-added-1", None)
        .await;
    run.admin(Method::PUT, "/__admin/calls", Some(json!([{"call_id": 5}])))
        .await;

    run.admin(Method::GET, "/__admin/faults", None).await;
    run.admin(
        Method::PUT,
        "/__admin/faults",
        Some(json!({"latency_ms": {"min": 0, "max": 1}, "seed": 3,
                    "next": [{"status": 500, "path": "/v1/calls"}, {"status": 429, "retry_after": 2, "path": "/v1/calls"}]})),
    )
    .await;
    run.api(Method::GET, "/v1/calls?limit=1").await;
    run.api(Method::GET, "/v1/calls?limit=1").await;
    run.admin(
        Method::POST,
        "/__admin/faults/next",
        Some(json!({"kind": "timeout", "ms": 1, "method": "get", "query": {"limit": 1}, "times": null})),
    )
    .await;
    run.admin(
        Method::PUT,
        "/__admin/faults",
        Some(json!({"error_rate": 2})),
    )
    .await;
    run.admin(Method::DELETE, "/__admin/faults", None).await;

    run.admin(Method::GET, "/__admin/requests?limit=1000&after=0", None)
        .await;
    run.admin(
        Method::GET,
        "/__admin/requests?path=/v1/call/*&status=404",
        None,
    )
    .await;
    run.admin(Method::GET, "/__admin/requests?colour=red", None)
        .await;
    run.admin(Method::DELETE, "/__admin/requests", None).await;

    run.admin(Method::GET, "/__admin/rate-limit", None).await;
    run.admin(
        Method::PUT,
        "/__admin/rate-limit",
        Some(json!({"per_minute": 1000})),
    )
    .await;
    run.admin(
        Method::PUT,
        "/__admin/rate-limit",
        Some(json!({"per_minute": 0})),
    )
    .await;
    run.admin(Method::DELETE, "/__admin/rate-limit", None).await;

    run.admin(Method::GET, "/__admin/clock", None).await;
    run.admin(
        Method::POST,
        "/__admin/clock/advance",
        Some(json!({"ms": 1})),
    )
    .await;
    run.admin(
        Method::PUT,
        "/__admin/clock",
        Some(json!({"now": "2030-01-01T00:00:00Z"})),
    )
    .await;

    run.admin(Method::GET, "/__admin/outcomes", None).await;
    run.admin(
        Method::POST,
        "/__admin/outcomes",
        Some(json!([{"status": "error", "disconnection_reason": "dial_busy"}, {"talk_ms": 1000, "to_number": "+15551234567"}])),
    )
    .await;
    run.admin(
        Method::POST,
        "/__admin/outcomes",
        Some(json!({"status": "ongoing"})),
    )
    .await;
    run.admin(Method::DELETE, "/__admin/outcomes", None).await;

    run.admin(Method::GET, "/__admin/webhooks", None).await;
    run.admin(
        Method::POST,
        "/__admin/webhooks/send",
        Some(json!({"call_id": call_id})),
    )
    .await;
    run.admin(
        Method::PUT,
        "/__admin/webhooks",
        Some(json!({"post_call_url": "http://127.0.0.1:1/post-call"})),
    )
    .await;
    run.admin(
        Method::POST,
        "/__admin/webhooks/send",
        Some(json!({"call_id": call_id})),
    )
    .await;
    run.admin(
        Method::POST,
        "/__admin/webhooks/send",
        Some(json!({"call_id": "nope"})),
    )
    .await;
    run.admin(
        Method::PUT,
        "/__admin/webhooks",
        Some(json!({"post_call_url": "ftp://x"})),
    )
    .await;
    run.admin(
        Method::GET,
        "/__admin/webhooks/deliveries?kind=post-call&limit=10",
        None,
    )
    .await;
    run.admin(Method::DELETE, "/__admin/webhooks/deliveries", None)
        .await;
    run.admin(Method::DELETE, "/__admin/webhooks", None).await;
    run.admin(
        Method::POST,
        "/__admin/inbound-calls",
        Some(json!({"from_number": "+15551234567", "to_number": NUMBER, "agent_id": call["agent_id"]})),
    )
    .await;
    run.admin(
        Method::POST,
        "/__admin/inbound-calls",
        Some(json!({"from_number": "+15551234567", "to_number": "+19999999999"})),
    )
    .await;

    let tenant = "/__admin/tenants/oas-tenant";
    run.admin(Method::GET, &format!("{tenant}/calls"), None)
        .await;
    run.admin(Method::GET, &format!("{tenant}/faults"), None)
        .await;
    run.admin(
        Method::PUT,
        &format!("{tenant}/calls"),
        Some(json!([call.clone()])),
    )
    .await;
    run.admin(Method::POST, &format!("{tenant}/reset"), None)
        .await;
    run.admin(Method::GET, "/__admin/tenants", None).await;
    run.admin(Method::GET, &format!("{tenant}/calls?limit=1"), None)
        .await;
    run.admin(
        Method::POST,
        &format!("{tenant}/calls"),
        Some(json!([renamed])),
    )
    .await;
    run.admin(
        Method::PUT,
        &format!("{tenant}/calls/oas-added-1"),
        Some(renamed_call(&call)),
    )
    .await;
    run.admin(Method::DELETE, &format!("{tenant}/calls/oas-added-1"), None)
        .await;
    run.admin(
        Method::PUT,
        &format!("{tenant}/faults"),
        Some(json!({"error_status": 503})),
    )
    .await;
    run.admin(
        Method::POST,
        &format!("{tenant}/faults/next"),
        Some(json!({"kind": "malformed"})),
    )
    .await;
    run.admin(Method::DELETE, &format!("{tenant}/faults"), None)
        .await;
    run.admin(
        Method::POST,
        &format!("{tenant}/outcomes"),
        Some(json!({"status": "ended"})),
    )
    .await;
    run.admin(Method::GET, &format!("{tenant}/outcomes"), None)
        .await;
    run.admin(Method::DELETE, &format!("{tenant}/outcomes"), None)
        .await;
    run.admin(
        Method::PUT,
        &format!("{tenant}/webhooks"),
        Some(json!({"direction": "inbound"})),
    )
    .await;
    run.admin(Method::GET, &format!("{tenant}/webhooks"), None)
        .await;
    run.admin(Method::DELETE, &format!("{tenant}/webhooks"), None)
        .await;
    run.admin(
        Method::POST,
        &format!("{tenant}/webhooks/send"),
        Some(json!({"call_id": call_id})),
    )
    .await;
    run.admin(
        Method::POST,
        &format!("{tenant}/inbound-calls"),
        Some(json!({"from_number": "+15551234567", "to_number": NUMBER, "agent_id": call["agent_id"]})),
    )
    .await;
    run.go(
        Method::GET,
        "/v1/calls?limit=1",
        &[("authorization", "Bearer oas-tenant")],
        None,
    )
    .await;
    run.admin(Method::DELETE, tenant, None).await;
    run.admin(Method::DELETE, tenant, None).await;
    run.admin(Method::GET, &format!("{tenant}/webhooks"), None)
        .await;

    run.admin(Method::PUT, "/__admin/calls", Some(json!([call])))
        .await;
    run.admin(Method::POST, "/__admin/reset", None).await;
    // The whole embedded data set, in one page.
    run.admin(Method::GET, "/__admin/calls?limit=1000", None)
        .await;
    run.admin(Method::POST, "/__admin/clock", None).await;
    run.admin(Method::GET, "/__admin/nope", None).await;
    run.go(Method::PUT, "/__admin/rate-limit", &[], Some("{}".into()))
        .await;
    run.admin(
        Method::PUT,
        "/__admin/rate-limit",
        Some(json!("not an object")),
    )
    .await;
}

fn renamed_call(call: &Value) -> Value {
    let mut call = call.clone();
    call["call_id"] = json!("oas-added-1");
    call
}

/// Settings that only some answers need: an admin key, a rate limit, a virtual clock.
async fn drive_the_settings() -> (Vec<String>, usize) {
    let mut problems = Vec::new();
    let mut checked = 0;

    let mut keyed = Run::new(
        MockServer::builder()
            .generated(2, 5)
            .admin_key("admin-secret"),
    );
    keyed.admin(Method::GET, "/__admin/calls", None).await;
    keyed.admin(Method::GET, "/__admin/health", None).await;
    let (p, n) = keyed.finish();
    problems.extend(p);
    checked += n;

    let mut limited = Run::new(
        MockServer::builder()
            .generated(2, 5)
            .rate_limit(RateLimit::per_minute(1).unwrap()),
    );
    limited.api(Method::GET, "/v1/calls").await;
    limited.api(Method::GET, "/v1/calls").await;
    let (p, n) = limited.finish();
    problems.extend(p);
    checked += n;

    let mut virtual_clock = Run::new(
        MockServer::builder().clock(openmic_mock::ClockSpec::Virtual(Some(crate::helpers::T0))),
    );
    virtual_clock
        .admin(
            Method::POST,
            "/__admin/clock/advance",
            Some(json!({"ms": 90_000})),
        )
        .await;
    virtual_clock
        .admin(Method::PUT, "/__admin/clock", Some(json!({"now": 0})))
        .await;
    let created = virtual_clock
        .api_json(
            Method::POST,
            "/v1/create-phone-call",
            json!({"from_number": NUMBER, "to_number": "+15551234567"}),
        )
        .await;
    if let Some(id) = created["call_id"].as_str() {
        for _ in 0..3 {
            virtual_clock
                .admin(
                    Method::POST,
                    "/__admin/clock/advance",
                    Some(json!({"ms": 200_000})),
                )
                .await;
            virtual_clock
                .api(Method::GET, &format!("/v1/call/{id}"))
                .await;
        }
    }
    let (p, n) = virtual_clock.finish();
    problems.extend(p);
    checked += n;
    (problems, checked)
}

#[tokio::test]
async fn the_mocks_answers_validate_against_the_document() {
    let mut run = Run::new(MockServer::builder());
    drive_the_api(&mut run).await;
    drive_the_account(&mut run).await;
    drive_the_admin_api(&mut run).await;
    // Everything above, as the journal recorded it.
    run.admin(Method::GET, "/__admin/requests?after=0&limit=1000", None)
        .await;
    let statuses = run.statuses.clone();
    let (mut problems, mut checked) = run.finish();
    let (more, n) = drive_the_settings().await;
    problems.extend(more);
    checked += n;
    assert!(checked > 100, "only {checked} answers checked");
    assert!(
        problems.is_empty(),
        "{} of {checked} answers disagree with the document:\n{}\n(statuses seen: {statuses:?})",
        problems.len(),
        problems.join("\n")
    );
    // Every answer the document gives an API operation was seen at least once (the key, the rate limit and
    // the 500 on one path are enough: they come from layers every path shares).
    let mut unseen = Vec::new();
    for (path, item) in document()["paths"].as_object().unwrap() {
        for method in METHODS
            .iter()
            .filter(|m| path.starts_with("/v1/") && item.get(**m).is_some())
        {
            let seen = statuses.get(&format!("{method} {path}"));
            for status in item[*method]["responses"].as_object().unwrap().keys() {
                let status: u16 = status.parse().unwrap();
                if ![401, 429, 500].contains(&status) && !seen.is_some_and(|s| s.contains(&status))
                {
                    unseen.push(format!("{method} {path} {status}"));
                }
            }
        }
    }
    assert!(unseen.is_empty(), "never answered: {unseen:?}");
}
