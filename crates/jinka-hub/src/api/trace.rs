//! `/v1/trace`: RFID traceability, EPCIS 2.0 (`jinka-trace`) stored by `jinka-trace-store`.
//!
//! - `POST /v1/trace/capture` with an `EPCISDocument` (`application/json` or
//!   `application/ld+json`, at most [`CAPTURE_BODY_BYTES_MAX`]) → `201 {"capture_id",
//!   "events": [{"event_id", "outcome"}], "recorded", "duplicates", "declared"}`: every event
//!   is checked first and one invalid event refuses the document whole (`400
//!   invalid_document`, the reason starting with `event <index>:`); events without an
//!   `eventID` get `urn:jinka:event:<n>`; the document is stored in one transaction. An
//!   `eventID` another participant captured: `409 event_id_taken`.
//! - `GET /v1/trace/events?<EPCIS query parameters>` → an `EPCISQueryDocument`; a next page
//!   is announced by `Link: <…&nextPageToken=…>; rel="next"` (EPCIS 2.0 REST paging).
//! - `GET /v1/trace/epcs/{epc}/location` → `{"epc", "location"}` (`404` when the caller may
//!   see no sighting); `…/history` → `{"epc", "entries", "truncated"}`; `…/contents`
//!   (`?recursive=false` for the direct children only) → `{"epc", "recursive", "contents"}`.
//!   `{epc}` is a pure identity URI (`urn:epc:id:sgtin:…`) or the tag's 24 hex digits.
//!
//! Any participant may capture; everyone reads what it may see: the operator everything, a
//! participant its own events and those that name it (`urn:jinka:participant:<N>`) as owning
//! or possessing party in their `sourceList` or `destinationList`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jinka_trace::{Applied, CaptureContext, Document, Epc, EventQuery, Timestamp};
use jinka_trace_store::{Captured, Participant, StoreError, StoreErrorKind, TraceStore, Viewer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_http::limit::RequestBodyLimitLayer;

use crate::access::Caller;
use crate::api::error::ApiError;
use crate::api::extract::{PathParams, QueryParams};
use crate::api::route_table::RouteTable;
use crate::api::state::ApiState;
use crate::trace_store::hub_error;

/// Largest capture body, in bytes: the trace core's document limit (16 MiB, room for
/// [`jinka_trace::DOCUMENT_EVENTS_MAX`] events of about 1.6 KiB each).
pub(crate) const CAPTURE_BODY_BYTES_MAX: usize = jinka_trace::DOCUMENT_BYTES_MAX;

const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld";

/// The trace routes: the capture with its own body limit, the reads.
pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
        .post("/v1/trace/capture", capture_route)
        .map_router(|router| {
            router
                .layer(DefaultBodyLimit::max(CAPTURE_BODY_BYTES_MAX))
                .layer(RequestBodyLimitLayer::new(CAPTURE_BODY_BYTES_MAX))
        })
        .get("/v1/trace/events", events_route)
        .get("/v1/trace/epcs/{epc}/location", location_route)
        .get("/v1/trace/epcs/{epc}/history", history_route)
        .get("/v1/trace/epcs/{epc}/contents", contents_route)
}

/// An EPCIS document body: `application/json` or `application/ld+json`.
struct EpcisBody(Bytes);

impl<S: Send + Sync> FromRequest<S> for EpcisBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let media = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(|media| media.trim().to_ascii_lowercase());
        if !matches!(
            media.as_deref(),
            Some("application/json" | "application/ld+json")
        ) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send Content-Type: application/json or application/ld+json",
            ));
        }
        Bytes::from_request(request, state)
            .await
            .map(EpcisBody)
            .map_err(|rejection| match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE)
                }
                _ => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "the request body could not be read",
                ),
            })
    }
}

/// Whose events the caller may see.
fn viewer(caller: &Caller) -> Result<Viewer, ApiError> {
    if caller.is_operator() {
        return Ok(Viewer::Operator);
    }
    participant(caller).map(Viewer::Participant)
}

fn participant(caller: &Caller) -> Result<Participant, ApiError> {
    Participant::new(caller.participant.get()).ok_or_else(ApiError::internal)
}

/// The answer for a trace store failure.
fn store_error(error: StoreError) -> ApiError {
    match (&error, error.kind()) {
        (StoreError::Event { .. }, _) => {
            ApiError::new(StatusCode::CONFLICT, "event_id_taken", error.to_string())
        }
        (StoreError::Trace(_), StoreErrorKind::RejectInput) => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", error.to_string())
        }
        _ => ApiError::from(hub_error(error)),
    }
}

/// The answer for a document the trace core refused.
fn document_error(error: &jinka_trace::Error) -> ApiError {
    match error {
        jinka_trace::Error::Json { .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", error.to_string())
        }
        jinka_trace::Error::DocumentTooLarge { .. } => {
            ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE)
        }
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_document",
            error.to_string(),
        ),
    }
}

/// Runs trace store work on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: &ApiState,
    work: impl FnOnce(&dyn TraceStore) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.hub.trace.clone();
    tokio::task::spawn_blocking(move || work(store.as_ref()))
        .await
        .map_err(|error| {
            tracing::error!(%error, "a blocking task failed");
            ApiError::internal()
        })?
}

#[derive(Serialize)]
struct CapturedEvent {
    event_id: String,
    outcome: &'static str,
}

#[derive(Serialize)]
struct CapturedBody {
    capture_id: u64,
    events: Vec<CapturedEvent>,
    recorded: usize,
    duplicates: usize,
    declared: usize,
}

impl CapturedBody {
    fn new(captured: Captured) -> CapturedBody {
        let count = |wanted: Applied| {
            captured
                .events
                .iter()
                .filter(|(_, applied)| *applied == wanted)
                .count()
        };
        CapturedBody {
            capture_id: captured.capture_id,
            recorded: count(Applied::Recorded),
            duplicates: count(Applied::Duplicate),
            declared: count(Applied::Declared),
            events: captured
                .events
                .iter()
                .map(|(id, applied)| CapturedEvent {
                    event_id: id.to_string(),
                    outcome: match applied {
                        Applied::Recorded => "recorded",
                        Applied::Duplicate => "duplicate",
                        Applied::Declared => "declared",
                    },
                })
                .collect(),
        }
    }
}

async fn capture_route(
    State(state): State<ApiState>,
    caller: Caller,
    EpcisBody(body): EpcisBody,
) -> Result<Response, ApiError> {
    let participant = participant(&caller)?;
    let record_time =
        Timestamp::from_epoch_ms(state.hub.clock.now().get()).map_err(|_| ApiError::internal())?;
    let captured = blocking(&state, move |store| {
        let text = std::str::from_utf8(&body).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                "the body is not UTF-8",
            )
        })?;
        let document = Document::parse(text, &CaptureContext::default())
            .map_err(|error| document_error(&error))?;
        store
            .capture(participant, record_time, document)
            .map_err(store_error)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(CapturedBody::new(captured))).into_response())
}

async fn events_route(
    State(state): State<ApiState>,
    caller: Caller,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let viewer = viewer(&caller)?;
    let query = EventQuery::from_pairs(
        pairs
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
    )
    .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", error.to_string()))?;
    let now =
        Timestamp::from_epoch_ms(state.hub.clock.now().get()).map_err(|_| ApiError::internal())?;
    let page = blocking(&state, move |store| {
        store.events(viewer, &query).map_err(store_error)
    })
    .await?;
    let events: Vec<Value> = page
        .events
        .iter()
        .map(jinka_trace::Event::to_json)
        .collect();
    let document = json!({
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": now.to_rfc3339(),
        "epcisBody": {"queryResults": {
            "queryName": "SimpleEventQuery",
            "resultsBody": {"eventList": events},
        }},
    });
    let mut response = Json(document).into_response();
    if let Some(token) = page.next_page_token {
        let mut next = pairs
            .iter()
            .filter(|(name, _)| name != "nextPageToken")
            .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
            .collect::<Vec<_>>();
        next.push(format!("nextPageToken={token}"));
        let link = format!("</v1/trace/events?{}>; rel=\"next\"", next.join("&"));
        let value = HeaderValue::from_str(&link).map_err(|_| ApiError::internal())?;
        response.headers_mut().insert(header::LINK, value);
    }
    Ok(response)
}

/// Percent-encodes a query string component (RFC 3986 unreserved characters stay).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// An EPC from the path: a pure identity URI or the tag's 24 hex digits.
fn path_epc(text: &str) -> Result<Epc, ApiError> {
    let invalid = |reason: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_epc", reason);
    if text.starts_with("urn:") {
        return Epc::from_pure_uri(text).map_err(|error| invalid(format!("{text}: {error}")));
    }
    jinka_epc::Epc::from_hex(text)
        .map(Epc::from)
        .map_err(|error| invalid(format!("{text}: {error}")))
}

async fn location_route(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(text): PathParams<String>,
) -> Result<Response, ApiError> {
    let viewer = viewer(&caller)?;
    let epc = path_epc(&text)?;
    let location = blocking(&state, move |store| {
        store.where_is(viewer, &epc).map_err(store_error)
    })
    .await?
    .ok_or_else(|| ApiError::not_found(format!("no sighting of {epc} that you may see")))?;
    Ok(Json(json!({"epc": epc, "location": location})).into_response())
}

async fn history_route(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(text): PathParams<String>,
) -> Result<Response, ApiError> {
    let viewer = viewer(&caller)?;
    let epc = path_epc(&text)?;
    let history = blocking(&state, move |store| {
        store.history(viewer, &epc).map_err(store_error)
    })
    .await?;
    Ok(Json(history).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContentsQuery {
    recursive: Option<bool>,
}

async fn contents_route(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(text): PathParams<String>,
    QueryParams(query): QueryParams<ContentsQuery>,
) -> Result<Response, ApiError> {
    let viewer = viewer(&caller)?;
    let epc = path_epc(&text)?;
    let recursive = query.recursive.unwrap_or(true);
    let contents = blocking(&state, move |store| {
        store.contents(viewer, &epc, recursive).map_err(store_error)
    })
    .await?;
    Ok(Json(json!({"epc": epc, "recursive": recursive, "contents": contents})).into_response())
}
