//! Servers for the tests, each on a free port, with the runtime that drives them; the kit's binary; the runs of
//! the client properties and the Python adapter's command line. Deliberately broken clients are in
//! `broken_clients`, webhook receivers in `receivers`.

pub mod broken_clients;
pub mod receivers;

use std::process::Command;

use openmic_contract::server::{self, Report};
use openmic_contract::{
    ClientReport, ClientSuiteConfig, ClientUnderTest, OpenMicResponder, ResponderFault,
    ServerSuiteConfig, Target, run_client_properties,
};

/// The key the wiremock servers here accept: distinctive, so a test can prove it is never printed.
pub const SECRET_KEY: &str = "omic_secret_key_4711";

/// A multi-threaded runtime that keeps in-process servers running while the (synchronous) suite runs on the
/// test thread.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// A wiremock server serving the embedded data set through the responder, with `fault` if given.
pub fn responder_server(
    rt: &tokio::runtime::Runtime,
    fault: Option<ResponderFault>,
) -> wiremock::MockServer {
    rt.block_on(async {
        let server = wiremock::MockServer::start().await;
        let mut responder =
            OpenMicResponder::new(openmic_fixtures::default_calls()).api_key(SECRET_KEY);
        if let Some(fault) = fault {
            responder = responder.fault(fault);
        }
        responder.mount(&server).await;
        server
    })
}

/// Runs the suite with a fixed seed and 32 cases, returning the report and the printed text.
pub fn run_suite(
    base_url: &str,
    key: &str,
    tweak: impl FnOnce(&mut ServerSuiteConfig),
) -> (Report, String) {
    let mut config = ServerSuiteConfig::new(Target::new(base_url, key));
    config.seed = 20_260_101;
    config.cases = 32;
    tweak(&mut config);
    let mut out = Vec::new();
    let report = server::run(&config, &mut out, None).unwrap();
    (report, String::from_utf8(out).unwrap())
}

/// The `openmic-contract` binary, with no `OPENMIC_*` settings inherited from the developer's shell.
pub fn kit_bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_openmic-contract"));
    for (key, _) in std::env::vars() {
        if key.starts_with("OPENMIC_") {
            command.env_remove(key);
        }
    }
    command
}

/// Runs the client properties with a fixed seed and few cases (the CLI's `--cases` raises them).
pub fn run_clients<C: ClientUnderTest>(
    make: impl FnMut(&str, &str) -> Result<C, String>,
) -> (ClientReport, String) {
    let mut config = ClientSuiteConfig::new("a test client");
    config.seed = 20_260_101;
    config.cases = 16;
    let mut out = Vec::new();
    let report = run_client_properties(make, &config, &mut out).unwrap();
    (report, String::from_utf8(out).unwrap())
}

/// The Python adapter's command line; fails the test with a clear message when python3 is missing.
pub fn python_adapter(script: &str) -> String {
    let found = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "python3 is needed to test the Python adapter and was not found on PATH; install Python 3"
    );
    format!("python3 {}/{script}", env!("CARGO_MANIFEST_DIR"))
}
