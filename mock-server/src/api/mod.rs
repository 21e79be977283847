//! The API a client calls: the router and its layers ([`routes`]), `POST /v1/create-phone-call` ([`create`]),
//! the List Calls query string ([`query`]), and every error answer in the vendor's shape ([`error`]).

pub(crate) mod account_query;
pub(crate) mod bots;
pub(crate) mod calls;
pub(crate) mod create;
pub(crate) mod error;
pub(crate) mod pages;
pub(crate) mod phone_numbers;
pub(crate) mod query;
pub(crate) mod routes;
