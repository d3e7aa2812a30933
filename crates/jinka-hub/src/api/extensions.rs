//! **Extension point** for the routes that come next: `POST /v1/batches` (offline ingest),
//! `POST /v1/loads/authorize` and `POST /v1/loads/{id}/confirm` (online loads), settlement
//! windows and reports.
//!
//! - Add routes to [`routes`] with [`RouteTable::post`] / [`RouteTable::get`] and handlers
//!   taking `State<ApiState>` (the store, the key vault, the clock: [`ApiState::hub`]) and a
//!   [`Caller`](crate::access::Caller) (authenticated, rate limited). They get the registry's
//!   request body limit, metrics, tracing and JSON errors.
//! - A route whose body may be larger (the bulk batch upload) goes to [`bulk_routes`] with a
//!   body limit of its own (`RequestBodyLimitLayer` and `DefaultBodyLimit`).
//! - Every route must be in `openapi.json`: a test holds the two against each other.
//!
//! [`ApiState::hub`]: crate::api::state::ApiState

use crate::api::route_table::RouteTable;

/// Routes under the registry's request body limit.
pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
}

/// Routes that set their own body limit.
pub(crate) fn bulk_routes() -> RouteTable {
    RouteTable::new()
}
