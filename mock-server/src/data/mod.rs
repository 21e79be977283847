//! The calls the mock serves: the indexed store of loaded calls ([`store`]), the live tier of created calls
//! ([`live`]), both merged page by page ([`served`]); one data set with both tiers and its created calls
//! ([`set`]), and the data sets, swapped atomically ([`sets`]): the default one, tenants' ([`tenants`]), calls
//! created in them ([`create`]), their webhooks ([`webhooks`]) and their accounts, bots and phone numbers
//! ([`account`], served from [`book`]).

pub(crate) mod account;
pub(crate) mod book;
pub(crate) mod create;
pub(crate) mod error;
pub(crate) mod live;
pub(crate) mod parallel;
pub(crate) mod served;
pub(crate) mod set;
pub(crate) mod sets;
pub(crate) mod store;
pub(crate) mod tenants;
pub(crate) mod webhooks;
