//! A List Calls server with one deliberate bug, to see what a failing run of the kit looks like:
//!
//! ```sh
//! cargo run --release -p openmic-contract --example broken_server -- DropsLastMatch 8181 &
//! openmic-contract server --base-url http://127.0.0.1:8181 --api-key test-key
//! ```
//!
//! It is the kit's wiremock responder (`openmic_contract::OpenMicResponder`) serving the embedded data set
//! with the named `ResponderFault`; run it without arguments to list the faults.

use openmic_contract::{OpenMicResponder, ResponderFault};

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(fault) = args.next().as_deref().and_then(ResponderFault::from_name) else {
        let names: Vec<&str> = ResponderFault::ALL.iter().map(|f| f.name()).collect();
        eprintln!(
            "usage: broken_server FAULT [PORT]\nfaults: {}",
            names.join(", ")
        );
        return std::process::ExitCode::from(2);
    };
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("broken_server: cannot start a runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    runtime.block_on(async {
        let listener = match std::net::TcpListener::bind(("127.0.0.1", port)) {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("broken_server: cannot bind port {port}: {e}");
                return std::process::ExitCode::from(1);
            }
        };
        let server = wiremock::MockServer::builder()
            .listener(listener)
            .start()
            .await;
        OpenMicResponder::new(openmic_fixtures::default_calls())
            .fault(fault)
            .mount(&server)
            .await;
        println!("{} with {}: key test-key", server.uri(), fault.name());
        let _ = tokio::signal::ctrl_c().await;
        std::process::ExitCode::SUCCESS
    })
}
