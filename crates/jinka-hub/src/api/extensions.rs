//! The clearing routes: offline batch ingest (`POST /v1/batches`, `POST /v1/batches/bulk`),
//! online loads (`POST /v1/loads/authorize`, `POST /v1/loads/{load_id}/confirm`) and
//! settlement windows (`POST /v1/windows/close`, `GET /v1/windows/{id}/report`).
//!
//! - [`routes`] get the registry's request body limit, metrics, tracing and JSON errors.
//! - [`bulk_routes`] (the batch uploads) set body limits of their own
//!   (`RequestBodyLimitLayer` and `DefaultBodyLimit`).
//! - Every route must be in `openapi.json`: a test holds the two against each other.

use crate::api::route_table::RouteTable;
use crate::api::{batches, loads, windows};
use crate::config::Limits;

/// Routes under the registry's request body limit.
pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
        .merge(loads::routes())
        .merge(windows::routes())
}

/// Routes that set their own body limit.
pub(crate) fn bulk_routes(limits: &Limits) -> RouteTable {
    RouteTable::new()
        .merge(batches::json_routes(limits))
        .merge(batches::bulk_routes(limits))
}
