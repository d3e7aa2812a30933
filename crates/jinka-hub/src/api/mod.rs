//! The HTTP API: axum routes under `/v1`, JSON in and out, authenticated by API key.
//!
//! Layers, outermost first: tracing (method, path and status; never headers or bodies),
//! JSON error bodies, request metrics; then per route group the request body limit. Each
//! handler authenticates with the [`Caller`](crate::access::Caller) extractor (which also
//! applies the rate limit), converts the wire body to domain types, checks
//! [`access`](crate::access) and calls the registry on the blocking pool.

mod batches;
mod blacklist;
mod caller;
mod card_operations;
mod cards;
mod credential_cache;
mod credentials;
mod error;
mod extensions;
mod extract;
mod health;
mod issuer_keys;
mod json_errors;
mod loads;
mod metrics;
mod openapi;
mod page;
mod participants;
mod rate_limiter;
mod risk;
mod route_table;
mod state;
mod terminals;
mod trace;
mod windows;

use axum::Router;
use axum::middleware;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::config::Limits;
pub(crate) use route_table::RouteTable;
pub(crate) use state::ApiState;

/// Every route of the API. **Merge point**: the ingest, load and settlement routes join in
/// [`extensions`].
pub(crate) fn routes(limits: &Limits) -> RouteTable {
    let body_limit = limits.request_body_bytes_max;
    RouteTable::new()
        .merge(participants::routes())
        .merge(credentials::routes())
        .merge(terminals::routes())
        .merge(cards::routes())
        .merge(card_operations::routes())
        .merge(issuer_keys::routes())
        .merge(risk::routes())
        .merge(blacklist::routes())
        .merge(extensions::routes())
        .map_router(|router| router.layer(RequestBodyLimitLayer::new(body_limit)))
        .merge(health::routes())
        .merge(openapi::routes())
        .merge(extensions::bulk_routes(limits))
        .merge(trace::routes())
}

/// The application: routes, fallback and layers, over `state`.
pub(crate) fn app(state: ApiState) -> Router {
    routes(&state.limits)
        .router
        .fallback(json_errors::no_route)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::count_requests,
        ))
        .layer(middleware::map_response(json_errors::ensure_json_error))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
