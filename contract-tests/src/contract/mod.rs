//! The oracle both suites trust: what a bots or phone-numbers page and record must be ([`account`]), what a List Calls answer must be ([`reference`](mod@reference)), what a call and a page look
//! like on the wire ([`shape`]), date bounds as query strings carry them ([`dates`]), and what create-phone-call
//! must answer ([`create`]).
//!
//! Written from `docs/contract.md`, independently of the mock: nothing here imports `openmic_mock`, and it
//! shares only the call model (`openmic_fixtures::Call`) with it. A check that ran the mock's own code on both
//! sides would prove nothing.

pub mod account;
pub mod create;
pub mod dates;
pub mod reference;
pub mod shape;
