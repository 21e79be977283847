//! The client's rules over a real socket: wiremock servers bound to port 0, and a port nothing listens on.

mod rules;
