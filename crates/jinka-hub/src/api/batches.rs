//! `/v1/batches`: an acquirer (or load agent) uploads a batch of its terminals' offline
//! records, as JSON or in the compact bulk form, and gets one decision per record:
//!
//! `200 {"batch_id", "accepted": n, "rejected": n, "decisions": [{"index", "decision",
//! "reason"?, "flags"}]}`; the same batch id with the same records again: the first answer,
//! byte for byte; with other records: `409 batch_id_reused`. Each path has its own body
//! limit ([`crate::BATCH_JSON_BODY_BYTES_MAX`], [`crate::BULK_BATCH_BODY_BYTES_MAX`]).

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_http::limit::RequestBodyLimitLayer;

use crate::access::Caller;
use crate::api::error::ApiError;
use crate::api::extract::{BinaryBody, JsonBytes, json_error};
use crate::api::route_table::RouteTable;
use crate::api::state::ApiState;
use crate::clearing::{BatchAnswer, Upload};
use crate::config::Limits;
use crate::error::HubError;
use crate::role::Role;

/// `POST /v1/batches`, with its body limit.
pub(crate) fn json_routes(limits: &Limits) -> RouteTable {
    let bytes_max = limits.batch_json_body_bytes_max;
    RouteTable::new()
        .post("/v1/batches", upload_json)
        .map_router(|router| {
            router
                .layer(DefaultBodyLimit::max(bytes_max))
                .layer(RequestBodyLimitLayer::new(bytes_max))
        })
}

/// `POST /v1/batches/bulk`, with its body limit.
pub(crate) fn bulk_routes(limits: &Limits) -> RouteTable {
    let bytes_max = limits.bulk_batch_body_bytes_max;
    RouteTable::new()
        .post("/v1/batches/bulk", upload_bulk)
        .map_router(|router| {
            router
                .layer(DefaultBodyLimit::max(bytes_max))
                .layer(RequestBodyLimitLayer::new(bytes_max))
        })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    batch_id: String,
    records: Vec<serde_json::Value>,
}

/// Who uploads batches: the owners of terminals.
fn require_uploader(caller: &Caller) -> Result<(), ApiError> {
    if caller.roles.contains(Role::Acquirer) || caller.roles.contains(Role::LoadAgent) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only acquirers and load agents upload batches",
        ))
    }
}

/// Reading an upload on the blocking pool: a JSON syntax or shape error, or a refused field.
enum Unread {
    Json(serde_json::Error),
    Field(HubError),
}

async fn upload_json(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBytes(body): JsonBytes,
) -> Result<Response, ApiError> {
    require_uploader(&caller)?;
    let acquirer = caller.participant;
    let read = tokio::task::spawn_blocking(move || {
        let batch: BatchBody = serde_json::from_slice(&body).map_err(Unread::Json)?;
        Upload::from_json(acquirer, &batch.batch_id, &batch.records).map_err(Unread::Field)
    })
    .await
    .map_err(|_| ApiError::internal())?;
    let upload = match read {
        Ok(upload) => upload,
        Err(Unread::Json(error)) => return Err(json_error(&error)),
        Err(Unread::Field(error)) => return Err(error.into()),
    };
    ingest(&state, upload).await
}

async fn upload_bulk(
    State(state): State<ApiState>,
    caller: Caller,
    BinaryBody(body): BinaryBody,
) -> Result<Response, ApiError> {
    require_uploader(&caller)?;
    let acquirer = caller.participant;
    let upload = tokio::task::spawn_blocking(move || Upload::from_bulk(acquirer, &body))
        .await
        .map_err(|_| ApiError::internal())??;
    ingest(&state, upload).await
}

async fn ingest(state: &ApiState, upload: Upload) -> Result<Response, ApiError> {
    let keys = state.keys.current();
    let now = state.hub.clock.now();
    // Through the batch committer: the uploads waiting together share one commit.
    let answer = state.batches.ingest(upload, keys, now).await?;
    match answer {
        BatchAnswer::Decided(text) | BatchAnswer::Replayed(text) => Ok(json_text(text)),
        BatchAnswer::IdReused => Err(ApiError::new(
            StatusCode::CONFLICT,
            "batch_id_reused",
            "this batch id was uploaded before with other records: give the batch a new id",
        )),
    }
}

/// A `200` with a JSON text as it is.
pub(crate) fn json_text(text: String) -> Response {
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
