//! `/healthz` (the database answers) and `/metrics`: unauthenticated, for the operator's
//! monitoring on its own network.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api::error::ApiError;
use crate::api::route_table::RouteTable;
use crate::api::state::ApiState;

pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
        .get("/healthz", healthz)
        .get("/metrics", metrics)
}

async fn healthz(State(state): State<ApiState>) -> Result<Json<Value>, ApiError> {
    state.blocking(|hub| hub.store.kek_check()).await?;
    Ok(Json(json!({ "status": "ok" })))
}

async fn metrics(State(state): State<ApiState>) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
