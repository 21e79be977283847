//! The calls the mock serves: the indexed store of loaded calls ([`store`]), the live tier of created calls
//! ([`live`]), both merged page by page ([`served`]), and the data sets that hold them, swapped atomically,
//! with tenants' isolated ones ([`sets`]).

pub(crate) mod live;
pub(crate) mod served;
pub(crate) mod sets;
pub(crate) mod store;
