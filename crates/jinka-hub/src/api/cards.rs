//! `/v1/cards`: an issuer registers and lists its own cards; the operator, anyone's.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jinka_card::Aid;
use jinka_crypto::Profile;
use serde::Deserialize;

use crate::access::Caller;
use crate::api::error::ApiError;
use crate::api::extract::{JsonBody, PathParams, QueryParams};
use crate::api::page::{Listing, PageQuery};
use crate::api::route_table::RouteTable;
use crate::api::state::ApiState;
use crate::api::terminals::acting_for;
use crate::byte_id::{Asn, IssuerId};
use crate::card::{CARD_APPLICATIONS_MAX, Card, NewCard, parse_aid};
use crate::error::HubError;

pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
        .post("/v1/cards", create)
        .get("/v1/cards", list)
        .get("/v1/cards/{asn}", show)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCardBody {
    asn: String,
    /// The issuer participant: the caller when left out (the operator must name it).
    issuer: Option<u32>,
    issuer_id: String,
    profile: String,
    #[serde(default)]
    applications: Vec<String>,
}

async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody<NewCardBody>,
) -> Result<(StatusCode, Json<Card>), ApiError> {
    let issuer = acting_for(&caller, "issuer", body.issuer)?;
    let profile = Profile::from_name(&body.profile)
        .ok_or_else(|| ApiError::invalid("profile", "must be \"sm4\" or \"des3\""))?;
    if body.applications.len() > CARD_APPLICATIONS_MAX {
        return Err(ApiError::invalid("applications", "too many applications"));
    }
    let applications = body
        .applications
        .iter()
        .map(|aid| parse_aid(aid))
        .collect::<Result<Vec<Aid>, HubError>>()?;
    let new = NewCard::new(
        Asn::parse_hex(&body.asn)?,
        issuer,
        IssuerId::parse_hex(&body.issuer_id)?,
        profile,
        applications,
    )?;
    let card = state.blocking(move |hub| hub.register_card(new)).await?;
    Ok((StatusCode::CREATED, Json(card)))
}

async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    QueryParams(query): QueryParams<PageQuery>,
) -> Result<Json<Listing<Card>>, ApiError> {
    let page = query.page(&state.limits, Asn::parse_hex)?;
    let scope = caller.scope();
    let items = state
        .blocking(move |hub| hub.store.cards(scope, page))
        .await?;
    Ok(Json(Listing::new(items, page.limit, |card| {
        card.asn.to_string()
    })))
}

async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(asn): PathParams<String>,
) -> Result<Json<Card>, ApiError> {
    let asn = Asn::parse_hex(&asn)?;
    let card = state.blocking(move |hub| hub.store.card(asn)).await?;
    card.filter(|card| caller.may_see(card.issuer))
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no card {asn} of yours")))
}
