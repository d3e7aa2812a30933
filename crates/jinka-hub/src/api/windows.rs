//! `/v1/windows`: settlement windows.
//!
//! - `POST /v1/windows/close` (the operator): closes the open window; `200` with its report
//!   (`jinka_ledger::SettlementReport` JSON: window facts, positions, lines).
//! - `GET /v1/windows/{id}/report`: the operator sees the whole report; a participant the
//!   window's facts, its own position and its own lines. `?format=csv` gives a CSV table
//!   instead: `&table=lines` (the default) or `&table=positions`, with its header row.
//!   `404` for a window that is not closed.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::access::Caller;
use crate::api::batches::json_text;
use crate::api::error::ApiError;
use crate::api::extract::{PathParams, QueryParams};
use crate::api::route_table::RouteTable;
use crate::api::state::ApiState;
use crate::clearing::{CsvTable, close_window, report_csv, report_for};
use crate::error::HubError;

pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
        .post("/v1/windows/close", close)
        .get("/v1/windows/{id}/report", report)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    format: Option<String>,
    table: Option<String>,
}

async fn close(State(state): State<ApiState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require_operator()?;
    let now = state.hub.clock.now();
    let report = state
        .blocking(move |hub| {
            let report = hub.clearing(|storage| close_window(storage, now))?;
            // The rules' state is saved with each closed window (`crate::risk`).
            hub.risk.save_state(hub.store.as_ref(), now)?;
            Ok(report)
        })
        .await?;
    let text = serde_json::to_string(&report).map_err(|_| ApiError::internal())?;
    Ok(json_text(text))
}

async fn report(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<ReportQuery>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found(format!("no closed window {id}"));
    let window_id: u64 = id.parse().map_err(|_| not_found())?;
    let csv = match (query.format.as_deref(), query.table.as_deref()) {
        (None | Some("json"), None) => None,
        (Some("csv"), None | Some("lines")) => Some(CsvTable::Lines),
        (Some("csv"), Some("positions")) => Some(CsvTable::Positions),
        (Some("csv"), Some(_)) => {
            return Err(ApiError::invalid("table", "must be lines or positions"));
        }
        (None | Some("json"), Some(_)) => {
            return Err(ApiError::invalid("table", "is for format=csv"));
        }
        (Some(_), _) => return Err(ApiError::invalid("format", "must be json or csv")),
    };
    let viewer = (!caller.is_operator()).then_some(caller.participant);
    let stored = state
        .blocking(move |hub| hub.store.settlement_report(window_id))
        .await?
        .ok_or_else(not_found)?;
    match csv {
        Some(table) => {
            let text = report_csv(&stored, table, viewer)?;
            let mut response = text.into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            Ok(response)
        }
        None => {
            let report = report_for(&stored, viewer)?;
            let text = serde_json::to_string(&report)
                .map_err(|error| HubError::corrupt(format!("report: {error}")))?;
            Ok(json_text(text))
        }
    }
}
