//! The OpenMic contract-test kit.
//!
//! This crate will hold the property-based suites that check any List Calls server (the mock or the live API)
//! and any client against the contract described in `docs/contract.md`. It is intentionally empty for now.
