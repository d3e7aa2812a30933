//! `/v1/participants`: the operator registers participants; a participant sees itself.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::access::Caller;
use crate::amount::Amount;
use crate::api::error::ApiError;
use crate::api::extract::{JsonBody, PathParams, QueryParams};
use crate::api::page::{Listing, PageQuery};
use crate::api::route_table::RouteTable;
use crate::api::state::ApiState;
use crate::error::HubError;
use crate::fee::{FeeRate, FeeSchedule};
use crate::participant::{NewParticipant, Participant, ParticipantId};
use crate::region::Region;
use crate::role::{Role, Roles};

pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
        .post("/v1/participants", create)
        .get("/v1/participants", list)
        .get("/v1/participants/{id}", show)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeeBody {
    basis_points: u32,
    fixed_fen: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeesBody {
    interchange: Option<FeeBody>,
    network: Option<FeeBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewParticipantBody {
    name: String,
    roles: Vec<String>,
    region: u32,
    fees: Option<FeesBody>,
    net_debit_cap_fen: Option<u64>,
    settlement_account: Option<String>,
}

fn fee_rate(field: &'static str, body: Option<FeeBody>) -> Result<FeeRate, HubError> {
    match body {
        None => Ok(FeeRate::ZERO),
        Some(fee) => FeeRate::new(
            field,
            fee.basis_points,
            Amount::from_fen(field, fee.fixed_fen)?,
        ),
    }
}

impl NewParticipantBody {
    fn parse(self) -> Result<NewParticipant, HubError> {
        let roles = self
            .roles
            .iter()
            .map(|name| name.parse::<Role>())
            .collect::<Result<Vec<Role>, HubError>>()?;
        let mut new =
            NewParticipant::new(&self.name, Roles::new(roles)?, Region::new(self.region))?;
        if let Some(fees) = self.fees {
            new = new.with_fees(FeeSchedule {
                interchange: fee_rate("fees.interchange", fees.interchange)?,
                network: fee_rate("fees.network", fees.network)?,
            });
        }
        if let Some(fen) = self.net_debit_cap_fen {
            new = new.with_net_debit_cap(Amount::from_fen("net_debit_cap_fen", fen)?);
        }
        if let Some(account) = &self.settlement_account {
            new = new.with_settlement_account(account)?;
        }
        Ok(new)
    }
}

async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody<NewParticipantBody>,
) -> Result<(StatusCode, Json<Participant>), ApiError> {
    caller.require_operator()?;
    let new = body.parse()?;
    let participant = state.blocking(move |hub| hub.add_participant(new)).await?;
    Ok((StatusCode::CREATED, Json(participant)))
}

async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    QueryParams(query): QueryParams<PageQuery>,
) -> Result<Json<Listing<Participant>>, ApiError> {
    let page = query.page(&state.limits, str::parse::<ParticipantId>)?;
    let scope = caller.scope();
    let items = state
        .blocking(move |hub| hub.store.participants(scope, page))
        .await?;
    Ok(Json(Listing::new(items, page.limit, |p| p.id.to_string())))
}

async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Participant>, ApiError> {
    let id: ParticipantId = id.parse()?;
    let not_found = || ApiError::not_found(format!("no participant {id}"));
    if !caller.may_see(id) {
        return Err(not_found());
    }
    let participant = state.blocking(move |hub| hub.store.participant(id)).await?;
    participant.map(Json).ok_or_else(not_found)
}
