//! `/v1/terminals`: an acquirer registers and lists its own terminals; the operator, anyone's.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::access::{ActingFor, Caller};
use crate::api::error::ApiError;
use crate::api::extract::{JsonBody, PathParams, QueryParams};
use crate::api::page::{Listing, PageQuery};
use crate::api::route_table::RouteTable;
use crate::api::state::ApiState;
use crate::byte_id::TerminalId;
use crate::participant::ParticipantId;
use crate::region::Region;
use crate::terminal::{NewTerminal, Terminal};

pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
        .post("/v1/terminals", create)
        .get("/v1/terminals", list)
        .get("/v1/terminals/{terminal_id}", show)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTerminalBody {
    terminal_id: String,
    /// The owning participant: the caller when left out (the operator must name it).
    owner: Option<u32>,
    region: u32,
}

/// The participant a change is for: `requested` or the caller, as [`Caller::acting_for`]
/// rules; `field` names it when the operator left it out.
pub(crate) fn acting_for(
    caller: &Caller,
    field: &'static str,
    requested: Option<u32>,
) -> Result<ParticipantId, ApiError> {
    let requested = requested.map(ParticipantId::new).transpose()?;
    match caller.acting_for(requested)? {
        ActingFor::Participant(id) => Ok(id),
        ActingFor::Unnamed => Err(ApiError::invalid(
            field,
            "the operator names the participant",
        )),
    }
}

async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody<NewTerminalBody>,
) -> Result<(StatusCode, Json<Terminal>), ApiError> {
    let owner = acting_for(&caller, "owner", body.owner)?;
    let new = NewTerminal {
        terminal_id: TerminalId::parse_hex(&body.terminal_id)?,
        owner,
        region: Region::new(body.region),
    };
    let terminal = state
        .blocking(move |hub| hub.register_terminal(new))
        .await?;
    Ok((StatusCode::CREATED, Json(terminal)))
}

async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    QueryParams(query): QueryParams<PageQuery>,
) -> Result<Json<Listing<Terminal>>, ApiError> {
    let page = query.page(&state.limits, TerminalId::parse_hex)?;
    let scope = caller.scope();
    let items = state
        .blocking(move |hub| hub.store.terminals(scope, page))
        .await?;
    Ok(Json(Listing::new(items, page.limit, |t| {
        t.terminal_id.to_string()
    })))
}

async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Terminal>, ApiError> {
    let id = TerminalId::parse_hex(&id)?;
    let terminal = state.blocking(move |hub| hub.store.terminal(id)).await?;
    terminal
        .filter(|terminal| caller.may_see(terminal.owner))
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no terminal {id} of yours")))
}
