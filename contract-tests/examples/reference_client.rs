//! A small reference client for the OpenMic calls API (blocking reqwest, typed calls), checked against the
//! contract by the kit. It shows what a client must get right: percent-encoding every parameter, the bearer
//! header on every request, typed errors, and a pagination helper that follows `has_more`.
//!
//! Run it: `cargo run -p openmic-contract --example reference_client` (exit 0 when every property passes).

use std::time::{Duration, Instant};

use openmic_contract::{
    CallsPage, ClientError, ClientParams, ClientSuiteConfig, ClientUnderTest, CreateCallParams,
    ErrorKind, WaitParams, run_client_properties,
};
use openmic_fixtures::Call;
use serde_json::Value;

/// The client: a base URL, a key, and a connection pool.
pub struct ReferenceClient {
    http: reqwest::blocking::Client,
    base_url: String,
    api_key: String,
}

impl ReferenceClient {
    /// A client for `base_url` (no trailing slash needed) with `api_key`.
    pub fn new(base_url: &str, api_key: &str) -> Result<Self, String> {
        let http = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
        })
    }

    /// One GET: reqwest's `query` percent-encodes names and values (`+` becomes `%2B`), errors get a kind.
    fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ClientError> {
        let response = self
            .http
            .get(format!("{}{path}", self.base_url))
            .query(query)
            .bearer_auth(&self.api_key)
            .send()
            .map_err(|e| ClientError::new(ErrorKind::Transport, e.to_string()))?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            let body = response.text().unwrap_or_default();
            return Err(ClientError::from_status(status, body));
        }
        response
            .json()
            .map_err(|e| ClientError::new(ErrorKind::Other, format!("undecodable body: {e}")))
    }

    /// Decodes a call into the typed model and back: the kit then sees exactly what the model keeps.
    fn typed(value: Value) -> Result<Value, ClientError> {
        let call: Call = serde_json::from_value(value)
            .map_err(|e| ClientError::new(ErrorKind::Other, format!("not a call: {e}")))?;
        serde_json::to_value(call).map_err(|e| ClientError::new(ErrorKind::Other, e.to_string()))
    }
}

impl ClientUnderTest for ReferenceClient {
    fn list_calls(&mut self, params: &ClientParams) -> Result<CallsPage, ClientError> {
        let mut body = self.get("/v1/calls", &params.pairs())?;
        let calls = match body.get_mut("calls").map(Value::take) {
            Some(Value::Array(calls)) => calls
                .into_iter()
                .map(Self::typed)
                .collect::<Result<_, _>>()?,
            _ => return Err(ClientError::new(ErrorKind::Other, "no `calls` array")),
        };
        Ok(CallsPage {
            calls,
            pagination: body["pagination"].take(),
        })
    }

    fn get_call(&mut self, call_id: &str) -> Result<Value, ClientError> {
        let mut url = reqwest::Url::parse("http://x/v1/call/")
            .map_err(|e| ClientError::new(ErrorKind::Other, e.to_string()))?;
        // Push the id as one path segment, so `/` or `?` in an id cannot change the path.
        url.path_segments_mut()
            .map_err(|()| ClientError::new(ErrorKind::Other, "bad base"))?
            .pop()
            .push(call_id);
        Self::typed(self.get(url.path(), &[])?)
    }

    /// One POST. A 429 placed no call, so it is retried after its `Retry-After` (at most 3 times); a 5xx or a
    /// dropped connection may have placed it, so it is not retried: the caller decides.
    fn create_call(&mut self, params: &CreateCallParams) -> Result<Value, ClientError> {
        let body = params.to_json().to_string();
        let mut retries = 0;
        loop {
            let response = self
                .http
                .post(format!("{}/v1/create-phone-call", self.base_url))
                .bearer_auth(&self.api_key)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .map_err(|e| ClientError::new(ErrorKind::Transport, e.to_string()))?;
            let status = response.status().as_u16();
            if status == 429 && retries < 3 {
                let wait: u64 = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1);
                std::thread::sleep(Duration::from_secs(wait.min(60)));
                retries += 1;
                continue;
            }
            if !response.status().is_success() {
                return Err(ClientError::from_status(
                    status,
                    response.text().unwrap_or_default(),
                ));
            }
            return response
                .json()
                .map_err(|e| ClientError::new(ErrorKind::Other, format!("undecodable body: {e}")));
        }
    }

    /// Polls every `min_interval` until the call is `ended` or `error`; gives up when the next poll would
    /// come after the deadline.
    fn wait_for_end(&mut self, call_id: &str, wait: &WaitParams) -> Result<Value, ClientError> {
        let started = Instant::now();
        let mut url = reqwest::Url::parse("http://x/v1/call/")
            .map_err(|e| ClientError::new(ErrorKind::Other, e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| ClientError::new(ErrorKind::Other, "bad base"))?
            .pop()
            .push(call_id);
        loop {
            let call = self.get(url.path(), &[])?;
            if matches!(call["call_status"].as_str(), Some("ended" | "error")) {
                return Ok(call);
            }
            if started.elapsed() + wait.min_interval > wait.timeout {
                return Err(ClientError::new(
                    ErrorKind::Deadline,
                    format!("still {} after {:?}", call["call_status"], wait.timeout),
                ));
            }
            std::thread::sleep(wait.min_interval);
        }
    }

    fn list_all(&mut self, params: &ClientParams) -> Result<Vec<Value>, ClientError> {
        let mut params = params.clone();
        let mut offset = 0;
        let mut calls = Vec::new();
        loop {
            params.offset = Some(offset);
            let page = self.list_calls(&params)?;
            let got = page.calls.len() as u64;
            calls.extend(page.calls);
            offset += got;
            // Follow the server's `has_more`, never a guess about the page size; stop on an empty page too.
            if page.pagination["has_more"] != Value::Bool(true) || got == 0 {
                return Ok(calls);
            }
        }
    }
}

fn main() -> std::process::ExitCode {
    let mut config = ClientSuiteConfig::new("the reference client (examples/reference_client.rs)");
    config.seed = std::env::var("OPENMIC_CONTRACT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    match run_client_properties(ReferenceClient::new, &config, &mut std::io::stdout()) {
        Ok(report) if report.failed() == 0 => std::process::ExitCode::SUCCESS,
        Ok(_) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::from(2)
        }
    }
}
