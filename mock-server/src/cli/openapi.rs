//! `openmic-mock openapi`: prints the mock's OpenAPI 3.1 document (the one `GET /__admin/openapi.json` serves),
//! for code generators, Prism or Schemathesis without a running mock.

use std::io::Write;

use clap::Args;

#[derive(Debug, Args)]
pub(crate) struct OpenapiArgs {}

/// Writes the document to stdout; a closed pipe (`| head`) is an error like any other write error.
pub(crate) fn openapi(_args: OpenapiArgs) -> Result<(), String> {
    std::io::stdout()
        .lock()
        .write_all(openmic_mock::OPENAPI_JSON.as_bytes())
        .map_err(|err| format!("could not write the document to stdout: {err}"))
}
