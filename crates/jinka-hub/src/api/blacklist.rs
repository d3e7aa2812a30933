//! The network blacklist (`crate::risk`): terminals fetch it, issuers change it.
//!
//! - `GET /v1/blacklist?since=V`: a `jinka_risk::BlacklistUpdate`: the delta from version
//!   `V`, or the full list when `V` is too far behind (or left out). JSON by default; the
//!   binary form (`BlacklistUpdate::encode`) with `Accept: application/octet-stream`. For
//!   participants with the acquirer or load agent role, and the operator (`403` for
//!   others); `400` for a `since` ahead of the hub's version.
//! - `POST /v1/cards/{asn}/hotlist` `{"reason": "lost" | "issuer_request"}`: the card's
//!   issuer (or the operator) puts an active card on the blacklist: `200 {"asn", "status",
//!   "version", "changed"}` (`changed: false` when it was hotlisted already); `409` for a
//!   card blocked, replaced or closed; `404` for a card not the caller's.
//! - `POST /v1/cards/{asn}/unhotlist`: the issuer (or the operator) takes a hotlisted card
//!   off: its status is `active` again. A card listed for `lost` or `issuer_request` may be
//!   taken off by its issuer; one listed by a risk rule only by the operator (`409`
//!   otherwise, and for a card that is not hotlisted).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jinka_clearing::Asn;
use jinka_risk::ListingReason;
use serde::Deserialize;

use crate::access::Caller;
use crate::api::batches::json_text;
use crate::api::error::ApiError;
use crate::api::extract::{JsonBody, PathParams, QueryParams};
use crate::api::risk::actor;
use crate::api::route_table::RouteTable;
use crate::api::state::ApiState;
use crate::byte_id;
use crate::risk::ops::BlacklistChanged;
use crate::role::Role;

pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
        .get("/v1/blacklist", fetch)
        .post("/v1/cards/{asn}/hotlist", hotlist)
        .post("/v1/cards/{asn}/unhotlist", unhotlist)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SinceQuery {
    since: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HotlistBody {
    reason: String,
}

const OCTET_STREAM: &str = "application/octet-stream";

async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    QueryParams(query): QueryParams<SinceQuery>,
) -> Result<Response, ApiError> {
    let allowed = [Role::Operator, Role::Acquirer, Role::LoadAgent];
    if !allowed.iter().any(|role| caller.roles.contains(*role)) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "forbidden",
            "the blacklist is for acquirers, load agents and the operator",
        ));
    }
    let binary = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains(OCTET_STREAM));
    let since = query.since;
    let answer = state
        .blocking(move |hub| {
            let update = hub.blacklist_update(since)?;
            Ok(if binary {
                Err(update.encode())
            } else {
                serde_json::to_string(&update)
                    .map(Ok)
                    .map_err(|error| crate::error::HubError::corrupt(error.to_string()))?
            })
        })
        .await?;
    Ok(match answer {
        Ok(json) => json_text(json),
        Err(bytes) => {
            let mut response = bytes.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(OCTET_STREAM));
            response
        }
    })
}

fn card_asn(text: &str) -> Result<Asn, ApiError> {
    Ok(Asn::new(byte_id::Asn::parse_hex(text)?.bytes()))
}

async fn hotlist(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(asn): PathParams<String>,
    JsonBody(body): JsonBody<HotlistBody>,
) -> Result<Json<BlacklistChanged>, ApiError> {
    let asn = card_asn(&asn)?;
    let reason = match body.reason.as_str() {
        "lost" => ListingReason::Lost,
        "issuer_request" => ListingReason::IssuerRequest,
        _ => {
            return Err(ApiError::invalid(
                "reason",
                "must be lost or issuer_request",
            ));
        }
    };
    let actor = actor(&caller);
    let changed = state
        .blocking(move |hub| hub.hotlist_card(actor, asn, reason))
        .await?;
    Ok(Json(changed))
}

async fn unhotlist(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(asn): PathParams<String>,
) -> Result<Json<BlacklistChanged>, ApiError> {
    let asn = card_asn(&asn)?;
    let actor = actor(&caller);
    let changed = state
        .blocking(move |hub| hub.unhotlist_card(actor, asn))
        .await?;
    Ok(Json(changed))
}
