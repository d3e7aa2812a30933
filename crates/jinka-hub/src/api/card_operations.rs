//! The card's life over HTTP (`card_operation`, `card_application`):
//!
//! - `POST /v1/cards/{asn}/lost`, `/replace` `{new_asn}`, `/close`: the card's issuer (or the
//!   operator);
//! - `POST /v1/cards/{asn}/applications`: an application provider asks to add
//!   (`{"action": "add", "template", "keys", "start_date", "expiry_date"}`) or remove
//!   (`{"action": "remove", "aid"}`) its application;
//! - `GET /v1/card-operations`, `GET /v1/card-operations/{id}`: the issuer's and the
//!   requester's own, the operator's all;
//! - `POST /v1/card-operations/{id}/consent` (the issuer), `GET .../script` and
//!   `POST .../result` `{status_words}` (the issuer or the requester: its terminal),
//!   `POST .../complete` (the issuer: a replacement's or closing's old records are in);
//! - `POST /v1/card-operations/{id}/credit` with a load authorization's body
//!   (`wire::LoadAuthorizeBody`): a terminal of the caller's (a load agent or acquirer) puts a
//!   completed replacement's moved balance on the new card's chip (`replacement_credit`):
//!   `200 {"load_id", "mac2"}`, confirmed by `POST /v1/loads/{load_id}/confirm`; `400` for a
//!   card or amount that is not the replacement's, `409` when it is credited already or not
//!   completed, and the load refusals of `POST /v1/loads/authorize`.
//!
//! Every change runs in one clearing (write) transaction, serialized with ingest.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jinka_card::{IssuerKeys, Template};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::access::Caller;
use crate::api::error::ApiError;
use crate::api::extract::{JsonBody, PathParams, QueryParams, SecretJsonText};
use crate::api::page::{Listing, PageQuery};
use crate::api::route_table::RouteTable;
use crate::api::state::ApiState;
use crate::byte_id::Asn;
use crate::card::parse_aid;
use crate::card_application::{
    ApplicationChange, ApplicationRequest, Script, bcd_date, consent, report_result,
    request_application, script,
};
use crate::card_operation::{CardOperation, CardRequest, complete, request};
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::replacement_credit::{authorize_credit, credit_limits};
use crate::role::Role;
use crate::store::{Page, Scope};
use jinka_clearing::LoadDecision;

/// Most status words a result reports (a script's commands).
const STATUS_WORDS_MAX: usize = crate::card_application::SCRIPT_COMMANDS_MAX;

pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
        .post("/v1/cards/{asn}/lost", lost)
        .post("/v1/cards/{asn}/replace", replace)
        .post("/v1/cards/{asn}/close", close)
        .post("/v1/cards/{asn}/applications", applications)
        .get("/v1/card-operations", list)
        .get("/v1/card-operations/{id}", show)
        .post("/v1/card-operations/{id}/consent", consent_to)
        .get("/v1/card-operations/{id}/script", script_of)
        .post("/v1/card-operations/{id}/result", result)
        .post("/v1/card-operations/{id}/complete", complete_operation)
        .post("/v1/card-operations/{id}/credit", credit)
}

/// Whom the caller acts as: `None` for the operator (any card), else itself.
fn acting(caller: &Caller) -> Option<ParticipantId> {
    (!caller.is_operator()).then_some(caller.participant)
}

fn operation_id(text: &str) -> Result<u64, HubError> {
    text.parse()
        .map_err(|_| HubError::invalid("id", "must be a card operation number"))
}

async fn issuer_request(
    state: ApiState,
    caller: Caller,
    asn: String,
    card_request: impl FnOnce() -> Result<CardRequest, HubError>,
) -> Result<(StatusCode, Json<CardOperation>), ApiError> {
    let asn = Asn::parse_hex(&asn)?;
    let card_request = card_request()?;
    let issuer = acting(&caller);
    let operation = state
        .blocking(move |hub| {
            let now = hub.clock.now();
            hub.clearing(|storage| request(storage, asn, issuer, card_request, now))
        })
        .await?;
    Ok((StatusCode::CREATED, Json(operation)))
}

async fn lost(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(asn): PathParams<String>,
) -> Result<(StatusCode, Json<CardOperation>), ApiError> {
    issuer_request(state, caller, asn, || Ok(CardRequest::Lost)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplaceBody {
    new_asn: String,
}

async fn replace(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(asn): PathParams<String>,
    JsonBody(body): JsonBody<ReplaceBody>,
) -> Result<(StatusCode, Json<CardOperation>), ApiError> {
    issuer_request(state, caller, asn, || {
        let new_asn = Asn::parse_hex(&body.new_asn)
            .map_err(|_| HubError::invalid("new_asn", "must be 8 bytes in hexadecimal"))?;
        Ok(CardRequest::Replace { new_asn })
    })
    .await
}

async fn close(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(asn): PathParams<String>,
) -> Result<(StatusCode, Json<CardOperation>), ApiError> {
    issuer_request(state, caller, asn, || Ok(CardRequest::Close)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplicationBody {
    action: String,
    template: Option<String>,
    aid: Option<String>,
    /// The department's key set (the JSON of `jinka keys new`).
    keys: Option<serde_json::Value>,
    start_date: Option<String>,
    expiry_date: Option<String>,
    /// The card manager key version (default: the highest the hub keeps).
    key_version: Option<u8>,
}

fn application_change(body: ApplicationBody) -> Result<ApplicationChange, ApiError> {
    match body.action.as_str() {
        "add" => {
            let template = body
                .template
                .as_deref()
                .and_then(Template::from_name)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "template",
                        "must be \"e-purse\", \"social-security\" or \"access-control\"",
                    )
                })?;
            let keys = body
                .keys
                .ok_or_else(|| ApiError::invalid("keys", "the department's key set is needed"))?;
            let text = Zeroizing::new(keys.to_string());
            drop(keys);
            let keys = IssuerKeys::from_json(&text)
                .map_err(|_| ApiError::invalid("keys", "must be a jinka-issuer-keys key set"))?;
            let date = |field, value: Option<String>| {
                bcd_date(field, value.as_deref().unwrap_or_default())
            };
            Ok(ApplicationChange::Add {
                template,
                keys: Box::new(keys),
                start_date: date("start_date", body.start_date)?,
                expiry_date: date("expiry_date", body.expiry_date)?,
            })
        }
        "remove" => {
            let aid = body
                .aid
                .as_deref()
                .ok_or_else(|| ApiError::invalid("aid", "the application to remove"))?;
            Ok(ApplicationChange::Remove {
                aid: parse_aid(aid)?,
            })
        }
        _ => Err(ApiError::invalid("action", "must be \"add\" or \"remove\"")),
    }
}

async fn applications(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(asn): PathParams<String>,
    SecretJsonText(text): SecretJsonText,
) -> Result<(StatusCode, Json<CardOperation>), ApiError> {
    if !caller.roles.contains(Role::ApplicationProvider) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only an application provider asks for its application on a card",
        ));
    }
    let asn = Asn::parse_hex(&asn)?;
    let body: ApplicationBody = serde_json::from_str(&text)
        .map_err(|_| ApiError::invalid("body", "not an application request"))?;
    drop(text);
    let key_version = body.key_version;
    let application = ApplicationRequest {
        asn,
        requester: caller.participant,
        change: application_change(body)?,
        key_version,
    };
    let operation = state
        .blocking(move |hub| {
            let card = hub
                .store
                .card(asn)?
                .ok_or_else(|| HubError::not_found(format!("no card {asn}")))?;
            let keys = hub.vault.unseal_issuer_keys()?;
            let now = hub.clock.now();
            hub.clearing(|storage| {
                request_application(storage, &keys, &card.applications, &application, now)
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(operation)))
}

async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    QueryParams(query): QueryParams<PageQuery>,
) -> Result<Json<Listing<CardOperation>>, ApiError> {
    let page: Page<u64> = query.page(&state.limits, operation_id)?;
    let scope: Scope = caller.scope();
    let items = state
        .blocking(move |hub| {
            hub.clearing(|storage| storage.lifecycle().card_operations(scope, page))
        })
        .await?;
    Ok(Json(Listing::new(items, page.limit, |operation| {
        operation.id.to_string()
    })))
}

async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<CardOperation>, ApiError> {
    let id = operation_id(&id)?;
    let operation = state
        .blocking(move |hub| hub.clearing(|storage| storage.lifecycle().card_operation(id)))
        .await?;
    operation
        .filter(|operation| caller.may_see(operation.issuer) || caller.may_see(operation.requester))
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no card operation {id} of yours")))
}

async fn consent_to(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<CardOperation>, ApiError> {
    let id = operation_id(&id)?;
    let issuer = acting(&caller);
    let operation = state
        .blocking(move |hub| {
            let now = hub.clock.now();
            hub.clearing(|storage| consent(storage, id, issuer, now))
        })
        .await?;
    Ok(Json(operation))
}

async fn script_of(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Script>, ApiError> {
    let id = operation_id(&id)?;
    let who = acting(&caller);
    let script = state
        .blocking(move |hub| hub.clearing(|storage| script(storage, id, who)))
        .await?;
    Ok(Json(script))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResultBody {
    /// The card's status word for each command run, in order (hexadecimal, `9000`).
    status_words: Vec<String>,
}

async fn result(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<ResultBody>,
) -> Result<Json<CardOperation>, ApiError> {
    let id = operation_id(&id)?;
    if body.status_words.len() > STATUS_WORDS_MAX {
        return Err(ApiError::invalid("status_words", "too many status words"));
    }
    let words = body
        .status_words
        .iter()
        .map(|word| {
            (word.len() == 4)
                .then(|| u16::from_str_radix(word, 16).ok())
                .flatten()
                .ok_or_else(|| ApiError::invalid("status_words", "each is 4 hexadecimal digits"))
        })
        .collect::<Result<Vec<u16>, ApiError>>()?;
    let who = acting(&caller);
    let operation = state
        .blocking(move |hub| {
            let now = hub.clock.now();
            hub.clearing(|storage| report_result(storage, id, who, &words, now))
        })
        .await?;
    Ok(Json(operation))
}

async fn complete_operation(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<CardOperation>, ApiError> {
    let id = operation_id(&id)?;
    let issuer = acting(&caller);
    let operation = state
        .blocking(move |hub| {
            let now = hub.clock.now();
            hub.clearing(|storage| complete(storage, id, issuer, now))
        })
        .await?;
    Ok(Json(operation))
}

async fn credit(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<crate::wire::LoadAuthorizeBody>,
) -> Result<Json<crate::wire::LoadAuthorized>, ApiError> {
    let id = operation_id(&id)?;
    let request = body.parse()?;
    crate::api::loads::refuse_suspended(&state, &caller, request.terminal_id).await?;
    let limits = credit_limits(state.limits.card_balance_max_fen)?;
    let keys = state.keys.current();
    let requester = caller.participant;
    let decision = state
        .blocking(move |hub| {
            let now = hub.clock.now();
            hub.clearing(|storage| {
                authorize_credit(
                    storage,
                    id,
                    &request,
                    requester,
                    &limits,
                    keys.as_ref(),
                    now,
                )
            })
        })
        .await?;
    match decision {
        LoadDecision::Approved(approval) => Ok(Json(crate::wire::LoadAuthorized {
            load_id: approval
                .authorization
                .request
                .request_id
                .as_str()
                .to_owned(),
            mac2: hex::encode_upper(approval.mac2),
        })),
        LoadDecision::Refused(code) => Err(crate::api::loads::refusal(code)),
    }
}
