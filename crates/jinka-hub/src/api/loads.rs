//! `/v1/loads`: online load authorization and confirmation, by the load agent (or acquirer)
//! that owns the terminal.
//!
//! - `POST /v1/loads/authorize` with the card's INITIALIZE FOR LOAD answer and the load's
//!   terms → `200 {"load_id", "mac2"}` (the load id is the request id), or a refusal
//!   `{"error": code, "reason"}`: `409 request_id_reused`, `403 not_your_terminal`, `422`
//!   for the others (`unknown_terminal`, `unknown_card`, `card_not_active`, `amount_zero`,
//!   `amount_over_limit`, `balance_over_limit`, `daily_limit_exceeded`, `counter_replayed`,
//!   `unknown_key`, `mac1_invalid`); `403 terminal_suspended` for the caller's terminal a
//!   risk rule suspended (checked first). A hotlisted card is `card_not_active`. The same request id with the same request: the same
//!   answer.
//! - `POST /v1/loads/{load_id}/confirm` with `{"tac"}` → `200 {"status": "posted"}` (also
//!   when it was posted before); `409 load_voided`; `422` with the reject reason (`bad_tac`,
//!   ...); `404` for a load id the caller does not have.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jinka_clearing::{
    Asn, IssuerId, LoadDecision, LoadLimits, LoadRefusal, LoadRequest, RequestId, TerminalId,
};
use jinka_record::{Date, Time};
use serde::Serialize;

use crate::access::Caller;
use crate::api::error::ApiError;
use crate::api::extract::{JsonBody, PathParams};
use crate::api::route_table::RouteTable;
use crate::api::state::ApiState;
use crate::clearing::{Confirmed, confirm};
use crate::error::HubError;

pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
        .post("/v1/loads/authorize", authorize_route)
        .post("/v1/loads/{load_id}/confirm", confirm_route)
}

pub(crate) use crate::wire::{
    LoadAuthorizeBody as AuthorizeBody, LoadAuthorized as Authorized,
    LoadConfirmBody as ConfirmBody,
};

#[derive(Serialize)]
struct ConfirmedBody {
    status: &'static str,
}

fn hex_field<const N: usize>(field: &'static str, text: &str) -> Result<[u8; N], HubError> {
    let mut bytes = [0u8; N];
    hex::decode_to_slice(text, &mut bytes)
        .map_err(|_| HubError::invalid(field, format!("must be {N} bytes in hexadecimal")))?;
    Ok(bytes)
}

/// BCD digits: `text` must be all decimal digits (its hex is then the BCD bytes).
fn bcd_field<const N: usize>(field: &'static str, text: &str) -> Result<[u8; N], HubError> {
    if !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(HubError::invalid(field, "must be decimal digits"));
    }
    hex_field(field, text)
}

/// A request id, also the load's id in the ledger and in paths: 1 to 64 ASCII letters,
/// digits and `-_.:/`.
fn parse_request_id(field: &'static str, text: &str) -> Result<RequestId, HubError> {
    let invalid = || HubError::invalid(field, "must be 1 to 64 ASCII letters, digits and -_.:/");
    jinka_ledger::LoadId::new(text).map_err(|_| invalid())?;
    RequestId::new(text).map_err(|_| invalid())
}

impl AuthorizeBody {
    pub(crate) fn parse(self) -> Result<LoadRequest, HubError> {
        let date = Date::from_bcd(bcd_field("date", &self.date)?)
            .map_err(|_| HubError::invalid("date", "must be a real day as YYYYMMDD"))?;
        let time = Time::from_bcd(bcd_field("time", &self.time)?)
            .map_err(|_| HubError::invalid("time", "must be a time of day as HHMMSS"))?;
        Ok(LoadRequest {
            request_id: parse_request_id("request_id", &self.request_id)?,
            issuer_id: IssuerId::new(hex_field("issuer_id", &self.issuer_id)?),
            asn: Asn::new(hex_field("asn", &self.asn)?),
            key_version: self.key_version,
            algorithm_id: self.algorithm_id,
            balance_before_fen: self.balance_fen,
            online_atc: self.online_atc,
            card_random: hex_field("card_random", &self.card_random)?,
            mac1: hex_field("mac1", &self.mac1)?,
            amount_fen: self.amount_fen,
            terminal_id: TerminalId::new(hex_field("terminal_id", &self.terminal_id)?),
            date,
            time,
        })
    }
}

pub(crate) fn refusal(refusal: LoadRefusal) -> ApiError {
    let status = match refusal {
        LoadRefusal::RequestIdReused => StatusCode::CONFLICT,
        LoadRefusal::NotYourTerminal => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(
        status,
        refusal.code(),
        format!("the load is refused: {}", refusal.code().replace('_', " ")),
    )
}

/// `403 terminal_suspended` for a terminal of the caller's that a risk rule suspended
/// (`crate::risk`); another participant's terminal is left to `not_your_terminal`.
pub(crate) async fn refuse_suspended(
    state: &ApiState,
    caller: &Caller,
    terminal_id: TerminalId,
) -> Result<(), ApiError> {
    let requester = caller.participant;
    let suspended = state
        .blocking(move |hub| {
            if !hub.terminal_suspended(terminal_id)? {
                return Ok(false);
            }
            let id = crate::byte_id::TerminalId::new(terminal_id.bytes());
            Ok(hub
                .store
                .terminal(id)?
                .is_some_and(|terminal| terminal.owner == requester))
        })
        .await?;
    if suspended {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "terminal_suspended",
            "the load is refused: a risk rule suspended this terminal",
        ));
    }
    Ok(())
}

async fn authorize_route(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody<AuthorizeBody>,
) -> Result<Json<Authorized>, ApiError> {
    let request = body.parse()?;
    refuse_suspended(&state, &caller, request.terminal_id).await?;
    let limits = &state.limits;
    let limits = LoadLimits::new(
        limits.load_amount_max_fen,
        limits.card_balance_max_fen,
        limits.daily_load_max_fen,
    )
    .map_err(|error| HubError::config(error.to_string()))?;
    let keys = state.keys.current();
    let now = state.hub.clock.now();
    let requester = caller.participant;
    let decision = state
        .loads
        .authorize(request, requester, limits, keys, now)
        .await?;
    match decision {
        LoadDecision::Approved(approval) => Ok(Json(Authorized {
            load_id: approval
                .authorization
                .request
                .request_id
                .as_str()
                .to_owned(),
            mac2: hex::encode_upper(approval.mac2),
        })),
        LoadDecision::Refused(code) => Err(refusal(code)),
    }
}

async fn confirm_route(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(load_id): PathParams<String>,
    JsonBody(body): JsonBody<ConfirmBody>,
) -> Result<Json<ConfirmedBody>, ApiError> {
    let not_found = || ApiError::not_found(format!("no load {load_id} of yours"));
    let Ok(id) = parse_request_id("load_id", &load_id) else {
        return Err(not_found());
    };
    let tac = hex_field::<4>("tac", &body.tac)?;
    let keys = state.keys.current();
    let now = state.hub.clock.now();
    let requester = caller.participant;
    let confirmed = state
        .blocking(move |hub| {
            hub.clearing(|storage| confirm(storage, &id, requester, tac, keys.as_ref(), now))
        })
        .await?;
    match confirmed {
        None => Err(not_found()),
        Some(Confirmed::Posted) => Ok(Json(ConfirmedBody { status: "posted" })),
        Some(Confirmed::Voided) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "load_voided",
            "the load was voided: the card used its counter value for another load",
        )),
        Some(Confirmed::Refused(reason)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            reason.code(),
            format!(
                "the confirmation is rejected: {}",
                reason.code().replace('_', " ")
            ),
        )),
    }
}
