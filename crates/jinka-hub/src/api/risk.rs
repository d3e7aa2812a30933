//! `/v1/risk`: the risk rules' decisions and configuration (`crate::risk`).
//!
//! - `GET /v1/risk/decisions?after=&limit=`: decisions in id order; an issuer sees those
//!   about its cards, an acquirer those about its terminals, the operator all.
//! - `GET /v1/risk/decisions/{id}`: one, with its evidence records (ASN, kind, ATC, amount,
//!   terminal, date and time, batch id); `404` when it is not the caller's.
//! - `POST /v1/terminals/{terminal_id}/reinstate` (the operator): lifts the suspension a
//!   rule put on a terminal.
//! - `GET /v1/risk/config`, `PUT /v1/risk/config` (the operator): the rules' configuration
//!   (`jinka_risk::RiskSettings` JSON); a configuration the rules refuse is `422
//!   invalid_config` with the reason. The one given is stored and applied in this hub
//!   process at once; other processes over the same database take it at their next start.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::access::Caller;
use crate::api::batches::json_text;
use crate::api::error::ApiError;
use crate::api::extract::{PathParams, QueryParams};
use crate::api::page::{Listing, PageQuery};
use crate::api::route_table::RouteTable;
use crate::api::state::ApiState;
use crate::error::HubError;
use crate::risk::ops::{Actor, ExplainedDecision};
use crate::risk::storage::StoredDecision;

pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
        .get("/v1/risk/decisions", list)
        .get("/v1/risk/decisions/{id}", show)
        .get("/v1/risk/config", config)
        .put("/v1/risk/config", set_config)
        .post("/v1/terminals/{terminal_id}/reinstate", reinstate)
}

#[derive(serde::Serialize)]
struct Reinstated {
    terminal_id: String,
    suspended: bool,
    changed: bool,
}

/// `POST /v1/terminals/{terminal_id}/reinstate` (the operator): lifts a risk rule's
/// suspension; `changed` is false when the terminal was not suspended.
async fn reinstate(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(terminal_id): PathParams<String>,
) -> Result<Json<Reinstated>, ApiError> {
    caller.require_operator()?;
    let id: crate::TerminalId = terminal_id
        .parse()
        .map_err(|_| ApiError::not_found(format!("no terminal {terminal_id}")))?;
    let changed = state
        .blocking(move |hub| hub.reinstate_terminal(jinka_clearing::TerminalId::new(id.bytes())))
        .await?;
    Ok(Json(Reinstated {
        terminal_id: id.to_string(),
        suspended: false,
        changed,
    }))
}

/// Who the caller is to risk control.
pub(crate) fn actor(caller: &Caller) -> Actor {
    if caller.is_operator() {
        Actor::Operator
    } else {
        Actor::Participant(caller.participant)
    }
}

fn parse_id(text: &str) -> Result<u64, HubError> {
    text.parse()
        .map_err(|_| HubError::invalid("after", "must be a decision id"))
}

async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    QueryParams(query): QueryParams<PageQuery>,
) -> Result<Json<Listing<StoredDecision>>, ApiError> {
    let page = query.page(&state.limits, parse_id)?;
    let actor = actor(&caller);
    let items = state
        .blocking(move |hub| hub.risk_decisions(actor, page.after, page.limit))
        .await?;
    Ok(Json(Listing::new(items, page.limit, |d| d.id.to_string())))
}

async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<ExplainedDecision>, ApiError> {
    let not_found = || ApiError::not_found(format!("no risk decision {id} of yours"));
    let number: u64 = id.parse().map_err(|_| not_found())?;
    let actor = actor(&caller);
    let found = state
        .blocking(move |hub| hub.risk_decision(actor, number))
        .await?;
    found.map(Json).ok_or_else(not_found)
}

async fn config(State(state): State<ApiState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require_operator()?;
    let text = serde_json::to_string(&state.hub.risk_config()).map_err(|_| ApiError::internal())?;
    Ok(json_text(text))
}

async fn set_config(
    State(state): State<ApiState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require_operator()?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::invalid("config", "must be UTF-8 JSON"))?;
    let outcome = state
        .blocking(move |hub| Ok(hub.set_risk_config(&text)))
        .await?;
    let config = outcome.map_err(|error| match error {
        HubError::Invalid { reason, .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_config", reason)
        }
        other => ApiError::from(other),
    })?;
    let text = serde_json::to_string(&config).map_err(|_| ApiError::internal())?;
    Ok(json_text(text))
}
