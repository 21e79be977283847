//! The client properties, one file each, and the table that names them. A property gets the harness (the
//! in-process mock and its journal), the run's settings and the client under test; the table is the only way
//! a property is run, so a new one is a new row, never a string matched somewhere else.

mod comparison;
mod decoding;
mod encoding;
mod errors;
mod pagination;

use std::cell::RefCell;

use crate::client::harness::Env;
use crate::client::under_test::ClientUnderTest;
use crate::runner::{Outcome, RunSettings};

/// A named client check.
pub struct ClientProperty {
    /// The name printed on its line and accepted by `--property`.
    pub name: &'static str,
    /// What it checks, in one line.
    pub summary: &'static str,
    /// Runs it.
    pub(crate) run: fn(&Env<'_>, &RunSettings, &RefCell<dyn ClientUnderTest + '_>) -> Outcome,
}

impl std::fmt::Debug for ClientProperty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientProperty")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The client properties, in the order they run.
pub const CLIENT_PROPERTIES: &[ClientProperty] = &[
    ClientProperty {
        name: "encoding",
        summary: "generated parameters (awkward strings too) arrive exactly as asked, with Authorization: Bearer",
        run: encoding::encoding,
    },
    ClientProperty {
        name: "decoding",
        summary: "list_calls and get_call return what was served, field for field",
        run: decoding::decoding,
    },
    ClientProperty {
        name: "pagination_helper",
        summary: "list_all returns every match once, in order, in a bounded number of requests",
        run: pagination::pagination_helper,
    },
    ClientProperty {
        name: "errors",
        summary: "401, 400, 404, 429, 500 and a dropped connection map to the right kind; bounded retries",
        run: errors::errors,
    },
];
