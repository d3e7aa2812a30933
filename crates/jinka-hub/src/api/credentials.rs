//! `/v1/participants/{id}/credentials`: the operator creates an API key for a participant;
//! the answer holds the key, once.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::access::Caller;
use crate::api::error::ApiError;
use crate::api::extract::{JsonBody, PathParams};
use crate::api::route_table::RouteTable;
use crate::api::state::ApiState;
use crate::credential::Credential;
use crate::participant::ParticipantId;

pub(crate) fn routes() -> RouteTable {
    RouteTable::new().post("/v1/participants/{id}/credentials", create)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCredentialBody {
    #[serde(default)]
    label: String,
}

#[derive(Serialize)]
struct IssuedBody {
    #[serde(flatten)]
    credential: Credential,
    /// The key, shown this once.
    api_key: String,
}

async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<NewCredentialBody>,
) -> Result<(StatusCode, Json<IssuedBody>), ApiError> {
    caller.require_operator()?;
    let participant: ParticipantId = id.parse()?;
    let issued = state
        .blocking(move |hub| hub.create_credential(participant, &body.label))
        .await?;
    let api_key = issued.api_key.expose().to_string();
    Ok((
        StatusCode::CREATED,
        Json(IssuedBody {
            credential: issued.credential,
            api_key,
        }),
    ))
}
